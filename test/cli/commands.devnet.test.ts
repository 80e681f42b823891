// The trader and keeper commands as a user runs them against `xmargin devnet`: anvil chains with the
// protocol deployed and messages relayed (LayerZero to spokeA, Hyperlane to spokeB). One devnet for the
// file; the commands run in process (runCliInProcess), the deployments file is the devnet's own.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevnetDeployment } from "../../relayer/devnet/deployment.ts";
import { type Devnet, startDevnet } from "../../relayer/devnet/launcher.ts";
import { DEVNET_ACCOUNT_ROLES, deployDevnetProtocol } from "../../relayer/devnet/protocol.ts";
import { createDevnetRelay, type ProtocolRelay } from "../helpers/protocol-relay.ts";
import { runCliInProcess } from "./run.ts";

const directory = mkdtempSync(join(tmpdir(), "xmargin-cli-devnet-"));
const TRADER = `dev:${DEVNET_ACCOUNT_ROLES.trader}`;
const LIQUIDATOR = `dev:${DEVNET_ACCOUNT_ROLES.liquidator}`;

describe("xmargin trader and keeper commands on the devnet", () => {
  let devnet: Devnet;
  let deployment: DevnetDeployment;
  let relay: ProtocolRelay;
  let trader: string;

  /** Runs `xmargin COMMAND --deployment <the devnet's> ARGS`; fails the test on a non-zero exit. */
  const xmargin = async (command: string[], args: string[], expectedCode = 0) => {
    const result = await runCliInProcess([...command, "--deployment", devnet.outFile, ...args]);
    expect(result.code, `${command.join(" ")} ${args.join(" ")}\n${result.stderr}`).toBe(expectedCode);
    return result;
  };
  const accountJson = async () => JSON.parse((await xmargin(["account"], ["--key", TRADER, "--json"])).stdout);

  beforeAll(async () => {
    devnet = await startDevnet({ spokes: 2, outFile: join(directory, "devnet.json") });
    ({ deployment } = await deployDevnetProtocol(devnet.deployment, devnet.outFile));
    relay = createDevnetRelay(deployment);
    relay.start();
    trader = deployment.accounts[DEVNET_ACCOUNT_ROLES.trader]?.address as string;
  });

  afterAll(async () => {
    await relay?.stop();
    await devnet?.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it("faucet mints test tokens, to the first funded dev account without --key", async () => {
    const first = deployment.accounts[0]?.address as string;
    const { stdout } = await xmargin(["faucet"], ["--chain", "spokeB", "--asset", "WETH", "--amount", "1"]);
    expect(stdout).toContain(`minted 1 WETH on spokeB to ${first}`);
    await xmargin(["faucet"], ["--key", TRADER, "--chain", "spokeA", "--asset", "USDC", "--amount", "5000"]);
  });

  it("deposit waits until the hub applied the report, printing progress on stderr", async () => {
    const { stdout, stderr } = await xmargin(
      ["deposit"],
      ["--key", TRADER, "--chain", "spokeA", "--asset", "USDC", "--amount", "2500"],
    );
    expect(stdout).toContain("deposited 2500 USDC into the spokeA vault, locked as margin");
    expect(stdout).toContain("the hub has applied the report");
    expect(stderr).toContain("sent BalanceReport spokeA → hub (seq 1); waiting for delivery…");
    expect(stderr).toContain("hub applied BalanceReport spokeA → hub (seq 1): 2500 USDC locked");
    expect((await accountJson()).ledger[0]).toMatchObject({ chainName: "spokeA", counted: "2500000000" });
  });

  it("deposit --no-lock --no-wait returns once mined; lock then locks part of it", async () => {
    const args = ["--key", TRADER, "--chain", "spokeA", "--asset", "USDC"];
    const { stderr } = await xmargin(["deposit"], [...args, "--amount", "500", "--no-lock", "--no-wait"]);
    expect(stderr).toMatch(/^not waiting for delivery \(--no-wait\); transaction 0x[0-9a-f]{64}\n$/);
    const locked = await xmargin(["lock"], [...args, "--amount", "100.5", "--json"]);
    const result = JSON.parse(locked.stdout);
    expect(result.chain).toBe("spokeA");
    expect(result.deliveries).toMatchObject([{ outcome: "applied", message: { locked: "2600500000" } }]);
  });

  it("lock and withdraw check the free balance first; withdraw then pays it out", async () => {
    const args = ["--key", TRADER, "--chain", "spokeA", "--asset", "USDC"];
    const lockRefused = await xmargin(["lock"], [...args, "--amount", "400"], 1);
    expect(lockRefused.stderr).toBe("xmargin lock: spokeA: free USDC is 399.5, cannot lock 400\n");
    const refused = await xmargin(["withdraw"], [...args, "--amount", "400"], 1);
    expect(refused.stderr).toBe("xmargin withdraw: spokeA: free USDC is 399.5, cannot withdraw 400\n");
    const { stdout } = await xmargin(["withdraw"], [...args, "--amount", "399.5"]);
    expect(stdout).toContain(`withdrew 399.5 USDC from the spokeA vault to ${trader}`);
  });

  it("trade opens a position; a trade beyond initial margin is refused in USD", async () => {
    const { stdout } = await xmargin(["trade"], ["--key", TRADER, "--market", "ETH-PERP", "--buy", "10"]);
    expect(stdout).toMatch(/^bought 10 ETH-PERP at 3000 \(fee 15 USD/);
    expect(stdout).toContain("position now: long 10");
    const refused = await xmargin(["trade"], ["--key", TRADER, "--market", "eth-perp", "--buy", "100"], 1);
    expect(refused.stderr).toMatch(
      /^xmargin trade: initial health would be -[\d.]+ USD; add margin or trade less \(InitialHealthViolated\)\n$/,
    );
    const fine = await xmargin(["trade"], ["--key", TRADER, "--market", "ETH-PERP", "--sell", "0.0005"], 2);
    expect(fine.stderr).toBe("xmargin trade: --sell 0.0005 is not a multiple of ETH-PERP's lot size 0.001\n");
  });

  it("account prints balances per chain, the ledger, positions and health; --json the SDK's result", async () => {
    const { stdout } = await xmargin(["account"], ["--key", TRADER]);
    const lines = stdout.split("\n");
    expect(lines[0]).toMatch(new RegExp(`^account ${trader} on devnet \\(hub block \\d+\\)$`));
    expect(lines[2]).toMatch(/^spokeA \(chain 70701\) vault 0x[0-9a-fA-F]{40}$/);
    expect(lines[3]).toMatch(/^ {2}asset +total +locked +free +claimable$/);
    expect(lines[4]).toMatch(/^ {2}USDC +2600\.5 +2600\.5 +0 +0$/);
    expect(stdout).toMatch(/spokeA +USDC +2600\.5 +0 +2600\.5 +1 +2600\.5 +[\d.]+ \(below\)/);
    expect(stdout).toMatch(/ETH-PERP +10 +3000 +3000 +30000 +0 +0 +[\d.]+ \(below\)/);
    expect(stdout).toMatch(/H\^init +1085\.5 +2585\.5 +1500/);
    expect(stdout).toMatch(/H\^maint +1685\.5 +2585\.5 +900/);
    expect(stdout).toContain("liquidatable: no; auto-margin: off");
    const json = await accountJson();
    expect(json.positions[0]).toMatchObject({ market: "ETH-PERP", size: "10000000000000000000" });
    expect(json.health.liquidatable).toBe(false);
    expect(json.settleBalance).toBe("-15000000000000000000");
  });

  it("risk --account prints the liquidation risk per price and the account's; --json the SDK's result", async () => {
    // Long 10 ETH-PERP at 3000 on 2585.5 USD of equity, 3 % maintenance margin: H^maint = 0 at
    // 2585.5 + 10·(p − 3000) − 0.3·p = 0, p ≈ 2826.2, a 5.8 % fall. The devnet's oracle keeps no volatility
    // estimate (σ_ref 0), so σ is 0, no move is reachable in units of σ and every probability is 0.
    const { stdout } = await xmargin(["risk"], ["--account", trader]);
    const lines = stdout.split("\n");
    expect(lines[0]).toMatch(new RegExp(`^liquidation risk of ${trader} within 1 day on devnet \\(hub block \\d+\\)$`));
    expect(lines[2]).toMatch(
      /^ {2}price of +now +liquidation price +move +σ yearly +distance σ +distance σ√T +P within 1 day$/,
    );
    expect(stdout).toMatch(/\n {2}ETH-PERP +3000 +2826\.\d+ \(below\) +-5\.79% +— +— +— +0%\n/);
    expect(stdout).toContain("probability of liquidation within 1 day: at least 0% (the likeliest price), at most 0%");
    expect(stdout).toMatch(/σ —: the oracle keeps no volatility estimate for .*ETH-PERP/);

    const day = JSON.parse((await xmargin(["risk"], ["--account", trader, "--json"])).stdout);
    expect(day).toMatchObject({ account: trader, horizon: 86_400, liquidatableNow: false });
    expect(day.blockNumber).toMatch(/^\d+$/);
    const perp = day.factors.find((factor: { labels: string[] }) => factor.labels.includes("ETH-PERP"));
    expect(perp).toMatchObject({ direction: "down", currentPrice: "3000000000000000000000", sigma: "0" });
    expect(perp.price).toMatch(/^2826\d{18}$/);
    expect(perp.logDistance).toBeCloseTo(Math.log(3000 / 2826.2), 4);
    expect(perp.sigmas).toBeNull(); // Infinity, which JSON cannot write
    for (const probability of [day.probability, day.probabilityUpperBound, perp.probability]) {
      expect(probability).toBeGreaterThanOrEqual(0);
      expect(probability).toBeLessThanOrEqual(1);
    }
    const week = JSON.parse((await xmargin(["risk"], ["--account", trader, "--horizon", "7d", "--json"])).stdout);
    expect(week.horizon).toBe(7 * 86_400);
  });

  it("release asks the hub and waits until the spoke paid", async () => {
    const args = ["--key", TRADER, "--chain", "spokeA", "--asset", "USDC"];
    const refused = await xmargin(["release"], [...args, "--amount", "5000"], 1);
    expect(refused.stderr).toBe(
      "xmargin release: hub: the counted USDC margin on spokeA is 2600.5, cannot release 5000\n",
    );
    const { stdout, stderr } = await xmargin(["release"], [...args, "--amount", "100"]);
    expect(stdout).toContain("release of 100 USDC on spokeA to");
    expect(stdout).toContain("the spokeA vault executed it");
    expect(stderr).toContain(`spokeA executed Release #1 hub → spokeA: 100 USDC to ${trader}`);
  });

  it("settle deposits and withdraws settle credit; auto-margin, sync and claim", async () => {
    const key = ["--key", TRADER];
    await xmargin(["faucet"], [...key, "--chain", "hub", "--asset", "USDC", "--amount", "100"]);
    const deposited = await xmargin(["settle", "deposit"], [...key, "--amount", "100"]);
    expect(deposited.stdout).toContain("settle balance now 85 USD");
    const refused = await xmargin(["settle", "withdraw"], [...key, "--amount", "90"], 1);
    expect(refused.stderr).toBe("xmargin settle: hub: the settle credit is 85 USD, cannot withdraw 90\n");
    expect((await xmargin(["settle", "withdraw"], [...key, "--amount", "5"])).stdout).toContain(
      "settle balance now 80 USD",
    );

    await xmargin(["auto-margin", "on"], key);
    expect((await accountJson()).autoMargin).toBe(true);
    const synced = await xmargin(["sync"], [...key, "--chain", "spokeA", "--asset", "USDC"]);
    expect(synced.stderr).toMatch(/hub applied BalanceReport spokeA → hub \(seq \d+\): 2500\.5 USDC locked/);
    const claim = await xmargin(["claim"], [...key, "--chain", "spokeA", "--asset", "USDC"], 1);
    expect(claim.stderr).toBe(`xmargin claim: spokeA: nothing claimable in USDC for ${trader}\n`);
  });

  it("liquidate: a healthy account is refused; after a price drop, perp then collateral liquidation", async () => {
    const key = ["--key", LIQUIDATOR];
    const healthy = await xmargin(["liquidate"], [...key, "--account", trader, "--perp", "ETH-PERP"], 1);
    expect(healthy.stderr).toMatch(
      /^xmargin liquidate: the account is healthy \(maintenance health [\d.]+ USD\) \(NotLiquidatable\)\n$/,
    );

    await xmargin(["price"], ["ETH-PERP", "2000"]);
    expect((await accountJson()).health.liquidatable).toBe(true);
    const perp = await xmargin(["liquidate"], [...key, "--account", trader, "--perp", "ETH-PERP"]);
    expect(perp.stdout).toMatch(new RegExp(`^liquidated [\\d.]+ ETH-PERP of ${trader} at 2000`));

    await xmargin(["faucet"], [...key, "--chain", "hub", "--asset", "USDC", "--amount", "100000"]);
    const collateral = await xmargin(
      ["liquidate"],
      [...key, "--account", trader, "--collateral", "--chain", "spokeA", "--asset", "USDC"],
    );
    expect(collateral.stdout).toMatch(/^repaid [\d.]+ USDC of 0x[0-9a-fA-F]{40}'s debt/);
    expect(collateral.stdout).toMatch(/seized on spokeA: [\d.]+ USDC to you, [\d.]+ USDC to the treasury, paid/);
    expect(collateral.stderr.match(/spokeA executed Seize #\d+ hub → spokeA/g)).toHaveLength(2);
  });
});
