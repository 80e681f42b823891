import { formatUnits, parseUnits } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { seededUniform } from "../../test/helpers/random.ts";
import { ContractRevertError } from "../errors.ts";
import { fromHealthBreakdownStruct } from "../risk/onchain.ts";
import { deployFixture, type Fixture, priceId, wad } from "../test-utils/fixture.ts";
import type { PreviewHealthAction } from "./previewHealth.ts";

/** Draws on the tests' seeded mulberry32, so a failing sequence can be replayed. */
function random(seed: number) {
  const next = seededUniform(seed);
  return {
    next,
    int: (max: number) => Math.floor(next() * max),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T,
  };
}

const SEED = 20_240_601;
const STEPS = 40;
const COLLATERAL = [
  { chain: "spokeA", asset: "USDC", unit: parseUnits("1", 6), max: 20_000 },
  { chain: "spokeA", asset: "WETH", unit: wad("0.01"), max: 300 },
  { chain: "spokeB", asset: "WETH", unit: wad("0.01"), max: 300 },
  { chain: "spokeB", asset: "WBTC", unit: parseUnits("0.001", 8), max: 200 },
] as const;
const MARKETS = [
  { market: "ETH-PERP", lot: wad("0.001"), maxLots: 60_000, feed: "WETH", price: 3000 },
  { market: "BTC-PERP", lot: wad("0.0001"), maxLots: 30_000, feed: "WBTC", price: 60000 },
] as const;
/** Step kinds after the first three deposits, drawn uniformly; trades, the hardest to preview, weigh three. */
const KINDS = [
  "deposit",
  "lock",
  "trade",
  "trade",
  "trade",
  "release",
  "depositSettle",
  "withdrawSettle",
  "price",
] as const;
/** Settle-token (hub USDC) units; the trader holds `SETTLE_MAX * 10` of them. */
const SETTLE_UNIT = parseUnits("1", 6);
const SETTLE_MAX = 5_000;
/** The settle token's 6 decimals to WAD. */
const SETTLE_TO_WAD = 10n ** 12n;

describe("previewHealth", () => {
  let f: Fixture;
  let hub: ReturnType<Fixture["sdkClient"]>;

  beforeAll(async () => {
    // Taker fees and funding on, so the preview has to get both right to the wei.
    f = await deployFixture({ takerFee: wad("0.0005"), maxFundingRatePerSecond: 10n ** 12n });
    hub = f.sdkClient("hub");
    const trader = hub.account.address;
    for (const { chain, asset, unit, max } of COLLATERAL) await f.mint(chain, asset, trader, unit * BigInt(max) * 10n);
    await f.mint("hub", "USDC", trader, SETTLE_UNIT * BigInt(SETTLE_MAX) * 10n);
  });

  it(`equals healthOf after each of ${STEPS} random deposits, locks, trades, releases, settle deposits and withdrawals, and price moves (seed ${SEED})`, async () => {
    const rng = random(SEED);
    const healthOnChain = async () => fromHealthBreakdownStruct(await f.engine.read.healthOf([hub.account.address]));
    let reverted = 0;
    let fundingPaid = false;
    const executed = new Set<string>();
    for (let step = 0; step < STEPS; step++) {
      const kind = step < 3 ? "deposit" : rng.pick(KINDS);
      let action: PreviewHealthAction;
      let execute: () => Promise<unknown>;
      const timestamp = (await f.chains.hub.publicClient.getBlock()).timestamp + 7n;
      if (kind === "deposit" || kind === "lock") {
        const { chain, asset, unit, max } = rng.pick(COLLATERAL);
        const amount = unit * BigInt(1 + rng.int(max));
        const client = f.sdkClient(chain);
        if (kind === "lock") {
          const free = (await client.getAccount()).chains
            .find((c) => c.name === chain)
            ?.balances.find((b) => b.symbol === asset)?.free;
          if (!free) continue;
          const locked = free / 2n + 1n;
          action = { type: "lock", chain, asset, amount: locked };
          execute = () => client.lock({ asset, amount: locked });
        } else {
          const lock = rng.next() < 0.7;
          action = { type: "deposit", chain, asset, amount, lock };
          execute = () => client.deposit({ asset, amount, lock });
        }
      } else if (kind === "trade") {
        const { market, lot, maxLots } = rng.pick(MARKETS);
        const size = lot * BigInt(1 + rng.int(maxLots)) * (rng.next() < 0.5 ? -1n : 1n);
        action = { type: "trade", market, size };
        execute = async () => {
          await f.setNextBlockTimestamp("hub", timestamp);
          if ((await hub.trade({ market, size })).fundingPaid !== 0n) fundingPaid = true;
        };
      } else if (kind === "release") {
        const { ledger } = await hub.getAccount();
        const entry = rng.pick(ledger.filter((e) => e.counted > 0n));
        if (entry === undefined) continue;
        const amount = (entry.counted * BigInt(1 + rng.int(150))) / 100n;
        if (amount === 0n) continue;
        const asset = entry.symbol as string;
        action = { type: "release", chain: entry.chainId, asset, amount };
        execute = () => hub.requestRelease({ chain: entry.chainId, asset, amount });
      } else if (kind === "depositSettle") {
        const amount = SETTLE_UNIT * BigInt(1 + rng.int(SETTLE_MAX));
        action = { type: "depositSettle", amount };
        execute = () => hub.depositSettle({ amount });
      } else if (kind === "withdrawSettle") {
        // Up to 1.5× the settle credit, so both InsufficientSettleCredit and InitialHealthViolated can come up.
        const { settleBalance } = await hub.getAccount();
        const credit = settleBalance > 0n ? settleBalance / SETTLE_TO_WAD : 0n;
        const amount =
          credit > 0n ? (credit * BigInt(1 + rng.int(150))) / 100n : SETTLE_UNIT * BigInt(1 + rng.int(SETTLE_MAX));
        if (amount === 0n) continue;
        action = { type: "withdrawSettle", amount };
        execute = () => hub.withdrawSettle({ amount });
      } else {
        const { feed, price } = rng.pick(MARKETS);
        const units = parseUnits(String(Math.round(price * (0.85 + 0.3 * rng.next()))), 8);
        action = { type: "setPrice", priceId: priceId(feed), price: units * 10n ** 10n };
        execute = () => f.setPrice(feed, formatUnits(units, 8));
      }

      executed.add(kind);
      const preview = await hub.previewHealth({ actions: [action], timestamp });
      const [predicted] = preview.steps;
      const before = await healthOnChain();
      expect(preview.before, `step ${step}: before`).toEqual(before);
      const outcome = await execute().then(
        () => undefined,
        (error: unknown) => error,
      );
      await f.relay.flush();
      if (outcome !== undefined) {
        expect(outcome, `step ${step}: ${kind} failed`).toBeInstanceOf(ContractRevertError);
        expect(predicted?.violation?.errorName, `step ${step}: predicted revert`).toBe(
          (outcome as ContractRevertError).errorName,
        );
        expect(await healthOnChain(), `step ${step}: unchanged`).toEqual(before);
        reverted++;
      } else {
        expect(predicted?.violation, `step ${step}: ${kind} succeeded`).toBeUndefined();
        expect(
          preview.after,
          `step ${step}: ${JSON.stringify(action, (_, v) => (typeof v === "bigint" ? `${v}` : v))}`,
        ).toEqual(await healthOnChain());
      }
    }
    // The sequence exercises every kind and both outcomes, and funding was accruing while positions were open.
    expect([...executed].sort()).toEqual([...new Set(KINDS)].sort());
    expect(reverted).toBeGreaterThan(0);
    expect(reverted).toBeLessThan(STEPS);
    expect(fundingPaid).toBe(true);
  });

  it("names the engine's revert for an action it would refuse, and leaves the state as it was", async () => {
    const preview = await hub.previewHealth({
      actions: [
        { type: "trade", market: "ETH-PERP", size: 1n },
        { type: "release", chain: "spokeA", asset: "USDC", amount: parseUnits("1000000000", 6) },
      ],
    });
    expect(preview.steps.map((s) => s.violation?.errorName)).toEqual(["LotSizeViolated", "InsufficientCollateral"]);
    expect(preview.after).toEqual(preview.before);
  });
});
