import { beforeEach, describe, expect, it } from "vitest";
import { AcceptReason, chainlinkConfig, deployOracle, type OracleFixture, priceId } from "./fixtures.ts";

const ETH = priceId("ETH");
const usd8 = (dollars: bigint) => dollars * 10n ** 8n;
const usd18 = (dollars: bigint) => dollars * 10n ** 18n;
/** ln(1.25) = 0.22314355131420975576…, rounded toward zero. */
const LN_1_25 = 223_143_551_314_209_755n;

describe("XmarginOracle: deviation bound", () => {
  let f: OracleFixture;
  let feed: Awaited<ReturnType<OracleFixture["deployFeed"]>>;
  beforeEach(async () => {
    f = await deployOracle();
    feed = await f.deployFeed(8, usd8(2_000n));
    // 20% bound, one-minute confirmation.
    await f.oracle.write.addPriceId([ETH, chainlinkConfig(feed.address)]);
    await f.networkHelpers.time.increase(60);
  });

  const stale = async () => (await f.oracle.read.getPrice([ETH])).stale;

  it("flags a read stale exactly when it moves more than maxDeviation from the anchor", async () => {
    for (const [answer, expected] of [
      [usd8(2_400n), false],
      [usd8(2_400n) + 1n, true],
      [usd8(1_600n), false],
      [usd8(1_600n) - 1n, true],
    ] as const) {
      await feed.write.setAnswer([answer]);
      expect(await stale(), `answer ${answer}`).toBe(expected);
    }
  });

  it("holds a jump pending until a poke at least minInterval later confirms it", async () => {
    await feed.write.setAnswer([usd8(2_500n)]);
    await f.viem.assertions.emitWithArgs(f.oracle.write.poke([ETH]), f.oracle, "PriceJumpPending", [
      ETH,
      usd18(2_000n),
      usd18(2_500n),
    ]);
    const { pendingSince, pendingPrice, price } = await f.oracle.read.observation([ETH]);
    expect({ pendingPrice, price }).toEqual({ pendingPrice: usd18(2_500n), price: usd18(2_000n) });
    expect(await f.oracle.read.getPrice([ETH])).toEqual({ price: usd18(2_500n), stale: true });

    await f.networkHelpers.time.setNextBlockTimestamp(pendingSince + 59n);
    await f.oracle.write.poke([ETH]);
    expect((await f.oracle.read.observation([ETH])).price).toBe(usd18(2_000n));
    expect(await stale()).toBe(true);

    await f.viem.assertions.emitWithArgs(f.oracle.write.poke([ETH]), f.oracle, "PriceAccepted", [
      ETH,
      usd18(2_500n),
      LN_1_25,
      AcceptReason.JumpConfirmed,
    ]);
    expect(await f.oracle.read.observation([ETH])).toEqual({
      price: usd18(2_500n),
      acceptedAt: pendingSince + 60n,
      pendingPrice: 0n,
      pendingSince: 0n,
    });
    expect(await stale()).toBe(false);
  });

  it("drops a glitch once the source returns within the bound", async () => {
    await feed.write.setAnswer([usd8(2_500n)]);
    await f.oracle.write.poke([ETH]);
    await feed.write.setAnswer([usd8(2_010n)]);
    expect(await stale()).toBe(false);
    await f.viem.assertions.emitWithArgs(f.oracle.write.poke([ETH]), f.oracle, "PriceAccepted", [
      ETH,
      usd18(2_010n),
      (logReturn: bigint) => logReturn > 0n,
      AcceptReason.WithinBound,
    ]);
    expect(await f.oracle.read.observation([ETH])).toMatchObject({ pendingPrice: 0n, pendingSince: 0n });
  });

  it("restarts the confirmation when the price moves beyond the bound around the pending one", async () => {
    await feed.write.setAnswer([usd8(2_500n)]);
    await f.oracle.write.poke([ETH]);
    const firstSeen = (await f.oracle.read.observation([ETH])).pendingSince;
    await feed.write.setAnswer([usd8(3_200n)]);
    await f.viem.assertions.emitWithArgs(f.oracle.write.poke([ETH]), f.oracle, "PriceJumpPending", [
      ETH,
      usd18(2_000n),
      usd18(3_200n),
    ]);
    const { pendingSince } = await f.oracle.read.observation([ETH]);
    expect(pendingSince).toBeGreaterThan(firstSeen);

    await f.networkHelpers.time.setNextBlockTimestamp(firstSeen + 60n);
    await f.oracle.write.poke([ETH]);
    expect((await f.oracle.read.observation([ETH])).price).toBe(usd18(2_000n));
    await f.networkHelpers.time.setNextBlockTimestamp(pendingSince + 60n);
    await f.oracle.write.poke([ETH]);
    expect(await f.oracle.read.getPrice([ETH])).toEqual({ price: usd18(3_200n), stale: false });
  });

  it("lets the owner confirm a jump at once, and only the owner", async () => {
    await feed.write.setAnswer([usd8(2_500n)]);
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.oracle.write.confirmPrice([ETH], { account: f.stranger.account }),
      f.oracle,
      "OwnableUnauthorizedAccount",
      [f.stranger.account.address],
    );
    await f.viem.assertions.emitWithArgs(f.oracle.write.confirmPrice([ETH]), f.oracle, "PriceAccepted", [
      ETH,
      usd18(2_500n),
      LN_1_25,
      AcceptReason.OwnerConfirmed,
    ]);
    expect(await stale()).toBe(false);
  });

  it("refuses to confirm or accept a stale source", async () => {
    await feed.write.setAnswer([usd8(2_500n)]);
    await f.networkHelpers.time.increase(3_601);
    await f.viem.assertions.revertWithCustomErrorWithArgs(f.oracle.write.confirmPrice([ETH]), f.oracle, "StalePrice", [
      ETH,
    ]);
    expect((await f.oracle.simulate.poke([ETH])).result).toBe(false);
  });

  it("accepts at most one observation per minInterval", async () => {
    await feed.write.setAnswer([usd8(2_010n)]);
    await f.oracle.write.poke([ETH]);
    const { acceptedAt } = await f.oracle.read.observation([ETH]);
    await feed.write.setAnswer([usd8(2_020n)]);
    await f.networkHelpers.time.setNextBlockTimestamp(acceptedAt + 59n);
    await f.oracle.write.poke([ETH]);
    expect((await f.oracle.read.observation([ETH])).price).toBe(usd18(2_010n));
    await f.networkHelpers.time.increase(1);
    expect((await f.oracle.simulate.poke([ETH])).result).toBe(true);
  });
});
