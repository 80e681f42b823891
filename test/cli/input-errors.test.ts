// Every bad input a trader can give fails with one line and a non-zero exit, before anything is sent: the
// deployments file below points at an RPC port nothing listens on, so a command that reached the network
// would fail differently.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { KEY_ENV } from "../../relayer/cli/wallet.ts";
import { type CliResult, runCli, runCliInProcess } from "./run.ts";

const directory = mkdtempSync(join(tmpdir(), "xmargin-cli-input-"));
const address = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const UNREACHABLE = "http://127.0.0.1:9";
const tokens = { USDC: { address: address(11), decimals: 6 }, WETH: { address: address(12), decimals: 18 } };

function writeDeployment(name: string, overrides: Record<string, unknown>): string {
  const file = join(directory, `${name}.json`);
  const deployment = {
    network: "devnet",
    hub: {
      name: "hub",
      chainId: 70700,
      rpcUrl: UNREACHABLE,
      contracts: { engine: address(1), oracle: address(2), messenger: address(3) },
      tokens: { USDC: { address: address(21), decimals: 6 } },
      markets: { "ETH-PERP": { id: 0 }, "BTC-PERP": { id: 1 } },
    },
    spokes: ["spokeA", "spokeB"].map((spoke, index) => ({
      name: spoke,
      chainId: 70701 + index,
      rpcUrl: UNREACHABLE,
      contracts: { vault: address(4 + index), messenger: address(6 + index) },
      tokens,
    })),
    accounts: [
      {
        address: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        privateKey: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
      },
    ],
    ...overrides,
  };
  writeFileSync(file, JSON.stringify(deployment));
  return file;
}

const devnet = writeDeployment("devnet", {});
const publicNetwork = writeDeployment("public", { network: "testnet", accounts: undefined });

afterAll(() => rmSync(directory, { recursive: true, force: true }));
afterEach(() => {
  delete process.env[KEY_ENV];
});

function expectOneLineError(result: CliResult, message: RegExp | string): void {
  expect(result.code, result.stderr).not.toBe(0);
  expect(result.stdout).toBe("");
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

const d = ["--deployment", devnet];
const spokeA = ["--chain", "spokeA", "--asset", "USDC"];

describe("xmargin trader and keeper commands: bad input", () => {
  it.each([
    [
      "unknown chain",
      ["deposit", ...d, "--chain", "spokeZ", "--asset", "USDC", "--amount", "1"],
      /unknown chain "spokeZ"; devnet has hub \(70700\), spokeA \(70701\), spokeB \(70702\)/,
    ],
    [
      "a chain without a vault",
      ["lock", ...d, "--chain", "hub", "--asset", "USDC", "--amount", "1"],
      "--chain hub has no vault; use one of spokeA, spokeB",
    ],
    ["no chain", ["withdraw", ...d, "--asset", "USDC", "--amount", "1"], "--chain is required (one of spokeA, spokeB)"],
    [
      "unknown asset",
      ["deposit", ...d, "--chain", "spokeA", "--asset", "DOGE", "--amount", "1"],
      'unknown asset "DOGE" on spokeA; it has USDC, WETH',
    ],
    [
      "an asset on another chain",
      ["release", ...d, "--chain", "spokeB", "--asset", address(99), "--amount", "1"],
      /unknown asset "0x0+63" on spokeB/,
    ],
    [
      "too many decimals",
      ["deposit", ...d, ...spokeA, "--amount", "1.1234567"],
      "--amount 1.1234567 has 7 decimals; USDC has 6",
    ],
    [
      "not a number",
      ["lock", ...d, ...spokeA, "--amount", "1e6"],
      '--amount "1e6" is not a decimal number such as 12.5',
    ],
    ["a negative amount", ["withdraw", ...d, ...spokeA, "--amount=-5"], '--amount "-5" is not a decimal number'],
    ["a zero amount", ["release", ...d, ...spokeA, "--amount", "0.000"], "--amount must be more than zero"],
    ["no amount", ["deposit", ...d, ...spokeA], "--amount is required"],
    [
      "a bad recipient",
      ["withdraw", ...d, ...spokeA, "--amount", "1", "--to", "0x1234"],
      '--to "0x1234" is not an address',
    ],
    [
      "--to with --unlock",
      ["release", ...d, ...spokeA, "--amount", "1", "--to", address(5), "--unlock"],
      "--to and --unlock exclude each other",
    ],
    [
      "no trade side",
      ["trade", ...d, "--market", "ETH-PERP"],
      "give exactly one of --buy SIZE, --sell SIZE or --close",
    ],
    ["two trade sides", ["trade", ...d, "--market", "ETH-PERP", "--buy", "1", "--sell", "1"], "give exactly one of"],
    [
      "unknown market",
      ["trade", ...d, "--market", "DOGE-PERP", "--buy", "1"],
      'unknown market "DOGE-PERP"; devnet has ETH-PERP, BTC-PERP',
    ],
    [
      "a size finer than WAD",
      ["trade", ...d, "--market", "ETH-PERP", "--sell", "0.0000000000000000001"],
      "--sell 0.0000000000000000001 has 19 decimals",
    ],
    [
      "slippage and limit",
      ["trade", ...d, "--market", "ETH-PERP", "--buy", "1", "--slippage", "10", "--limit", "3000"],
      "--slippage and --limit exclude each other",
    ],
    ["no account to liquidate", ["liquidate", ...d, "--perp", "ETH-PERP"], "--account is required"],
    [
      "both liquidation kinds",
      ["liquidate", ...d, "--account", address(5), "--perp", "ETH-PERP", "--collateral"],
      "give exactly one of --perp MARKET or --collateral",
    ],
    [
      "collateral options on a perp liquidation",
      ["liquidate", ...d, "--account", address(5), "--perp", "ETH-PERP", "--chain", "spokeA"],
      "--chain, --asset and --max-repay go with --collateral",
    ],
    [
      "a malformed key",
      ["deposit", ...d, ...spokeA, "--amount", "1", "--key", "0xabc"],
      "--key is not a private key: expected 64 hex digits (0x optional) or dev:N",
    ],
    [
      "a dev account the devnet lacks",
      ["lock", ...d, ...spokeA, "--amount", "1", "--key", "dev:7"],
      "--key dev:7: devnet has 1 dev accounts (dev:0 … dev:0)",
    ],
    [
      "no key off a devnet",
      ["deposit", "--deployment", publicNetwork, ...spokeA, "--amount", "1"],
      "no key: pass --key HEX or set XMARGIN_PRIVATE_KEY (testnet lists no dev accounts)",
    ],
    [
      "a missing deployments file",
      ["account", "--deployment", join(directory, "none.json")],
      /cannot read deployment .*none\.json/,
    ],
    [
      "an invalid deployments file",
      ["account", "--deployment", writeDeployment("broken", { spokes: [] })],
      /invalid deployment; .*spokes/,
    ],
    ["an unknown option", ["deposit", ...d, "--chian", "spokeA"], "Unknown option '--chian'"],
    [
      "a settle direction",
      ["settle", "borrow", ...d, "--amount", "1"],
      'expected `settle deposit` or `settle withdraw`, got "borrow"',
    ],
    [
      "an auto-margin setting",
      ["auto-margin", "maybe", ...d],
      'expected `auto-margin on` or `auto-margin off`, got "maybe"',
    ],
    [
      "a bad --timeout",
      ["deposit", ...d, ...spokeA, "--amount", "1", "--timeout", "soon"],
      "--timeout must be a number",
    ],
    [
      "a bad --horizon",
      ["risk", ...d, "--account", address(5), "--horizon", "soon"],
      '--horizon "soon" is not a duration such as 3600 (seconds), 90m, 1h, 1d or 7d',
    ],
    [
      "a zero --horizon",
      ["risk", ...d, "--account", address(5), "--horizon", "0h"],
      '--horizon must be from 1 second to 10 years (3650d), got "0h"',
    ],
    [
      "risk with both FILE.json and --account",
      ["risk", "test/vectors/risk.json", ...d, "--account", address(5)],
      "give FILE.json or --account ADDRESS, not both",
    ],
    ["risk with neither FILE.json nor --account", ["risk", ...d, "--json"], "missing FILE.json or --account ADDRESS"],
    ["a bad risk --account", ["risk", ...d, "--account", "0x1234"], '--account "0x1234" is not an address'],
    [
      "risk --onchain with --account",
      ["risk", ...d, "--account", address(5), "--onchain"],
      "--onchain goes with FILE.json, not with --account",
    ],
    [
      "risk FILE.json with --horizon",
      ["risk", "test/vectors/risk.json", "--horizon", "1d"],
      "--horizon goes with --account, not FILE.json",
    ],
    [
      "the faucet off a devnet",
      ["faucet", "--deployment", publicNetwork, ...spokeA, "--amount", "1"],
      "faucet mints devnet test tokens; testnet is not a devnet",
    ],
  ])("%s", async (_case, args, message) => {
    expectOneLineError(await runCliInProcess(args as string[]), message as RegExp | string);
  });

  it("a malformed $XMARGIN_PRIVATE_KEY is named as such", async () => {
    process.env[KEY_ENV] = "not-a-key";
    expectOneLineError(
      await runCliInProcess(["lock", ...d, ...spokeA, "--amount", "1"]),
      "XMARGIN_PRIVATE_KEY is not a private key",
    );
  });

  it("an unreachable chain is one line too", async () => {
    expectOneLineError(await runCliInProcess(["account", ...d]), /failed: HTTP request failed/);
  });

  it("as a real process: one line on stderr, exit code 2 for usage and 1 for the rest, no stack trace", async () => {
    const usage = await runCli(["deposit", ...d, ...spokeA, "--amount", "0.1234567"]);
    expectOneLineError(usage, "xmargin deposit: --amount 0.1234567 has 7 decimals; USDC has 6");
    expect(usage.code).toBe(2);
    const lookup = await runCli(["trade", ...d, "--market", "SOL-PERP", "--buy", "1"]);
    expectOneLineError(lookup, 'xmargin trade: unknown market "SOL-PERP"');
    expect(lookup.code).toBe(1);
  });

  it("every command has --help naming its options, and the default key", async () => {
    for (const command of ["deposit", "lock", "withdraw", "release", "trade", "account", "liquidate", "settle"]) {
      const { code, stdout } = await runCliInProcess([command, "--help"]);
      expect(code).toBe(0);
      expect(stdout).toContain(`Usage: xmargin ${command}`);
      expect(stdout).toContain("the first funded dev account (dev:0)");
    }
    const risk = await runCliInProcess(["risk", "--help"]);
    expect(risk.code).toBe(0);
    for (const option of ["--account ADDRESS", "--horizon DURATION", "--deployment FILE", "--json", "--onchain"]) {
      expect(risk.stdout).toContain(option);
    }
  });
});
