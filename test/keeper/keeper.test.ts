import { pino } from "pino";
import { type Address, erc20Abi, type Hash, parseEventLogs, parseUnits } from "viem";
import { readContract, writeContract } from "viem/actions";
import { beforeAll, describe, expect, it } from "vitest";
import {
  createKeeper,
  createPriceMover,
  type Keeper,
  type KeeperAction,
  type KeeperTickResult,
  loadPricePath,
  oraclePriceFeeds,
  type PriceFeeds,
  parsePricePath,
  pathSchedule,
} from "../../relayer/keeper/index.ts";
import { collateralVaultAbi, marginEngineAbi } from "../../sdk/abi/index.ts";
import { fromWadUp } from "../../sdk/portfolio/state.ts";
import { mulUp } from "../../sdk/risk/fixed.ts";
import { fromHealthBreakdownStruct } from "../../sdk/risk/onchain.ts";
import { ACCOUNT_INDEX, deployFixture, type Fixture, priceId, wad } from "../../sdk/test-utils/fixture.ts";

const EXAMPLE_PATH = new URL("../../relayer/keeper/examples/eth-slide.prices.json", import.meta.url).pathname;
const usdc = (amount: string) => parseUnits(amount, 6);

// Accounts beyond the fixture's named roles.
const HEALTHY = 6;
const GAPPED = 7;
const OPTED_IN = 8;
const NOT_OPTED_IN = 9;

/**
 * The keeper on the three in-process chains (hub, spoke A, spoke B) over the test transport: accounts
 * pushed below maintenance by the price mover are liquidated by `tick()`, healthy ones are left alone, and
 * an opted-in account near maintenance gets one Lock.
 */
describe("keeper", () => {
  let f: Fixture;
  let keeper: Keeper;
  let keeperAddress: Address;
  let feeds: PriceFeeds;
  const logLines: Record<string, unknown>[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => logLines.push(JSON.parse(line)) });
  const address = (index: number) => f.address(index);

  const health = async (account: Address) => fromHealthBreakdownStruct(await f.engine.read.healthOf([account]));
  const actionsOf = (result: KeeperTickResult, account: Address) =>
    result.actions.filter((action) => action.account === account);
  const engineEvents = async (hash: Hash) =>
    parseEventLogs({
      abi: marginEngineAbi,
      logs: (await f.chains.hub.publicClient.getTransactionReceipt({ hash })).logs,
    });

  /** Margin on a spoke, then a position on the hub. */
  async function open(
    index: number,
    margin: { chain: "spokeA" | "spokeB"; asset: string; amount: bigint },
    market: string,
    size: bigint,
  ) {
    const spoke = f.sdkClient(margin.chain, index);
    await f.mint(margin.chain, margin.asset, spoke.account.address, margin.amount);
    await spoke.deposit({ asset: margin.asset, amount: margin.amount });
    await f.relay.flush();
    await f.sdkClient("hub", index).trade({ market, size });
  }

  beforeAll(async () => {
    f = await deployFixture();
    const walletClient = f.walletClient("hub", ACCOUNT_INDEX.keeper);
    keeperAddress = walletClient.account.address;
    await f.mint("hub", "USDC", keeperAddress, usdc("100000"));
    keeper = createKeeper({
      deployment: f.deployment,
      hub: { publicClient: f.chains.hub.publicClient, walletClient },
      chainClients: f.chainClients,
      logger,
    });
    // The fixture prices each market by its asset's feed; the devnet's names for them resolve to the same.
    feeds = await oraclePriceFeeds(f.chains.hub.publicClient, f.oracle.address, {
      WETH: priceId("WETH"),
      "ETH-PERP": priceId("WETH"),
      WBTC: priceId("WBTC"),
      "BTC-PERP": priceId("WBTC"),
    });

    // The example path's account: 50 ETH long on 10,000 USDC, liquidatable below about 2886.
    await open(ACCOUNT_INDEX.trader, { chain: "spokeA", asset: "USDC", amount: usdc("10000") }, "ETH-PERP", wad("50"));
    await open(HEALTHY, { chain: "spokeA", asset: "USDC", amount: usdc("10000") }, "ETH-PERP", wad("1"));
    // 1 BTC long on 0.1 WBTC (spoke B, 2 % haircut): a gap to 54,000 leaves debt beyond the collateral.
    await open(GAPPED, { chain: "spokeB", asset: "WBTC", amount: parseUnits("0.1", 8) }, "BTC-PERP", wad("1"));
  });

  it("evaluates every account the engine's events name and leaves healthy ones alone", async () => {
    const result = await keeper.tick();
    expect(result.failures).toEqual([]);
    expect(result.actions).toEqual([]);
    expect(result.watched).toBe(3);
    expect(result.evaluated).toBe(3);
    // No block since: nothing to re-evaluate.
    expect((await keeper.tick()).evaluated).toBe(0);
  });

  it("liquidates the position the example price path pushes below maintenance, step by step", async () => {
    const trader = address(ACCOUNT_INDEX.trader);
    const path = await loadPricePath(EXAMPLE_PATH);
    const mover = createPriceMover({
      walletClient: f.walletClient("hub", ACCOUNT_INDEX.owner),
      publicClient: f.chains.hub.publicClient,
      feeds,
      schedule: pathSchedule(path),
      oracle: f.oracle.address,
      intervalMs: 0,
      logger,
    });
    const actions: KeeperAction[] = [];
    const liquidatedAt: bigint[] = [];
    for (let step = 0; step < path.steps; step++) {
      const moved = await mover.step();
      expect(moved?.step).toBe(step + 1);
      const result = await keeper.tick();
      expect(result.failures).toEqual([]);
      actions.push(...result.actions);
      if (actionsOf(result, trader).length > 0) liquidatedAt.push(moved?.prices.WETH as bigint);
    }
    expect(await mover.step()).toBeUndefined();
    expect((await f.oracle.read.getPrice([priceId("WETH")])).price).toBe(wad("2700"));

    // Perp liquidations only, of the trader only, from the first step below 2886.
    expect(liquidatedAt[0]).toBe(wad("2880"));
    expect(new Set(actions.map((a) => a.kind))).toEqual(new Set(["liquidatePerp"]));
    expect(new Set(actions.map((a) => a.account))).toEqual(new Set([trader]));
    const closed = actions.reduce((sum, a) => sum + (a.kind === "liquidatePerp" ? a.size : 0n), 0n);
    const position = await f.engine.read.positionOf([trader, 0n]);
    expect(position.size).toBe(wad("50") - closed);
    expect(position.size).toBeGreaterThan(0n);
    expect((await health(trader)).liquidatable).toBe(false);
    expect((await f.engine.read.positionOf([address(HEALTHY), 0n])).size).toBe(wad("1"));

    for (const action of actions) {
      expect(action.gasUsed).toBeGreaterThan(0n);
      const liquidated = (await engineEvents(action.hash)).find((e) => e.eventName === "PerpLiquidated");
      expect(liquidated?.args).toMatchObject({ account: trader, liquidator: keeperAddress, marketId: 0n });
    }
    expect(await f.engine.read.settleBalanceOf([keeperAddress])).toBeGreaterThan(0n);
    const logged = logLines.filter((line) => line.module === "keeper" && line.kind === "liquidatePerp");
    expect(logged.map((line) => line.hash)).toEqual(actions.map((a) => a.hash));
  });

  it("after a gap, closes the position first and then seizes the collateral, in one tick", async () => {
    const gapped = address(GAPPED);
    const mover = createPriceMover({
      walletClient: f.walletClient("hub", ACCOUNT_INDEX.owner),
      publicClient: f.chains.hub.publicClient,
      feeds,
      schedule: pathSchedule(parsePricePath({ feeds: { WBTC: { prices: ["54000"] } } })),
      intervalMs: 0,
      logger,
    });
    await mover.step();
    const result = await keeper.tick();
    expect(result.failures).toEqual([]);
    const actions = actionsOf(result, gapped);
    expect(actions.map((a) => a.kind)).toEqual(["liquidatePerp", "liquidateCollateral"]);
    const [perp, collateral] = actions;
    if (perp?.kind !== "liquidatePerp" || collateral?.kind !== "liquidateCollateral") throw new Error("unreachable");
    expect(perp.size).toBe(wad("1"));

    const spokeB = f.deployment.spokes[1];
    const wbtc = spokeB?.tokens.WBTC?.address as Address;
    expect(collateral).toMatchObject({ chainId: spokeB?.chainId, asset: wbtc });
    expect(collateral.seizedToLiquidator + collateral.seizedToProtocol).toBe(parseUnits("0.1", 8));
    const events = await engineEvents(collateral.hash);
    expect(events.find((e) => e.eventName === "CollateralLiquidated")?.args).toMatchObject({
      account: gapped,
      liquidator: keeperAddress,
      repay: collateral.repaid,
    });
    expect(events.filter((e) => e.eventName === "CommandSent").map((e) => e.args)).toMatchObject([
      { kind: 4, to: keeperAddress },
      { kind: 4 },
    ]);

    // The position is gone, the collateral is pending seizure, the rest of the debt waits for the Seizes.
    expect(await f.engine.read.openMarketsOf([gapped])).toEqual([]);
    const [, counted] = await f.engine.read.collateralOf([gapped]);
    expect(counted).toEqual([0n]);
    expect(await f.engine.read.settleBalanceOf([gapped])).toBeLessThan(0n);
    expect(result.skipped).toContainEqual({
      account: gapped,
      kind: "resolveBadDebt",
      reason: "waiting for the spokes to execute the seizures",
    });
  });

  it("writes the remaining debt off once the seizures have landed", async () => {
    const gapped = address(GAPPED);
    const debt = -(await f.engine.read.settleBalanceOf([gapped]));
    await f.relay.flush();
    const result = await keeper.tick();
    expect(result.failures).toEqual([]);
    expect(actionsOf(result, gapped)).toMatchObject([{ kind: "resolveBadDebt", debt }]);
    expect(await f.engine.read.settleBalanceOf([gapped])).toBe(0n);
    expect((await health(gapped)).liquidatable).toBe(false);
    const seized = await readContract(f.chains.spokeB.publicClient, {
      address: f.deployment.spokes[1]?.tokens.WBTC?.address as Address,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [keeperAddress],
    });
    expect(seized).toBeGreaterThan(0n);
    // Nothing left that a price could push under: the account is no longer watched.
    const next = await keeper.tick();
    expect(next.watched).toBe(result.watched - 1);
  });

  it("sends one Lock for an opted-in account near maintenance, none for one that did not opt in", async () => {
    const optedIn = address(OPTED_IN);
    const notOptedIn = address(NOT_OPTED_IN);
    for (const index of [OPTED_IN, NOT_OPTED_IN]) {
      const spokeA = f.sdkClient("spokeA", index);
      await f.mint("spokeA", "USDC", spokeA.account.address, usdc("3000"));
      await spokeA.deposit({ asset: "USDC", amount: usdc("3000"), lock: false });
      await open(index, { chain: "spokeA", asset: "USDC", amount: usdc("5000") }, "BTC-PERP", wad("1"));
    }
    const hubWallet = f.walletClient("hub", OPTED_IN);
    await writeContract(hubWallet, {
      address: f.engine.address,
      abi: marginEngineAbi,
      functionName: "setAutoMargin",
      args: [true],
    });
    // At 51,000 (opened at 54,000): H^init ≈ −550 < 0 ≤ H^maint ≈ 470, E^maint/R^maint ≈ 1.31 (a little
    // worse: the earlier gap raised WBTC's volatility multipliers).
    await f.setPrice("WBTC", "51000");
    const before = await health(optedIn);
    expect(before.health.init).toBeLessThan(wad("-500"));
    expect(before.liquidatable).toBe(false);
    expect(before.healthRatioMaint).toBeLessThan(wad("1.5"));

    const result = await keeper.tick();
    expect(result.failures).toEqual([]);
    expect(actionsOf(result, notOptedIn)).toEqual([]);
    const spokeA = f.deployment.spokes[0];
    const usdcA = spokeA?.tokens.USDC?.address as Address;
    // Enough USDC (weight 1, no haircut) to lift H^init to 10 % of R^init.
    const shortfall = mulUp(before.requirement.init, wad("0.1")) - before.health.init;
    const amount = fromWadUp(shortfall, 6);
    expect(amount).toBeGreaterThan(usdc("800"));
    expect(actionsOf(result, optedIn)).toMatchObject([
      { kind: "autoMarginLock", chainId: spokeA?.chainId, asset: usdcA, amount, cmdNonce: 1n },
    ]);

    // In flight: not sent again.
    await f.setPrice("WBTC", "50900");
    const waiting = await keeper.tick();
    expect(actionsOf(waiting, optedIn)).toEqual([]);
    expect(waiting.skipped).toContainEqual({
      account: optedIn,
      kind: "autoMarginLock",
      reason: "a Lock is still on its way to the spoke",
    });

    await f.relay.flush();
    const balance = await readContract(f.chains.spokeA.publicClient, {
      address: spokeA?.contracts.vault as Address,
      abi: collateralVaultAbi,
      functionName: "balanceOf",
      args: [optedIn, usdcA],
    });
    expect(balance.locked).toBe(usdc("5000") + amount);
    expect((await health(optedIn)).health.init).toBeGreaterThan(0n);
    const after = await keeper.tick();
    expect(actionsOf(after, optedIn)).toEqual([]);
    expect(after.skipped.filter((s) => s.account === optedIn)).toEqual([]);
  });

  it("start() ticks until stop(), handing each result to onTick", async () => {
    const results: KeeperTickResult[] = [];
    const running = createKeeper({
      deployment: f.deployment,
      hub: { publicClient: f.chains.hub.publicClient, walletClient: f.walletClient("hub", ACCOUNT_INDEX.keeper) },
      chainClients: f.chainClients,
      logger,
      pollIntervalMs: 10,
      onTick: (result) => results.push(result),
    });
    running.start();
    await expect.poll(() => results.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
    await running.stop();
    expect(running.running).toBe(false);
    const count = results.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(results.length).toBe(count);
    expect(results[0]?.watched).toBeGreaterThan(0);
  });
});
