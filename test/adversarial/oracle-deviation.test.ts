// Oracle jump beyond the deviation bound: a source that moves more than maxDeviation from the accepted
// price (a manipulated or glitching feed) is flagged stale at once and accepted only once the move has
// persisted minInterval, or the owner confirms it; the hub refuses risk-increasing actions meanwhile.
import { beforeEach, describe, expect, it } from "vitest";
import { connect } from "../helpers/chains.ts";
import { deployHub, priceId, SPOKE_A, wad } from "../helpers/hub.ts";
import { AcceptReason, deployEthOracle, ETH, type EthOracleFixture, usd8, usd18 } from "../oracle/fixtures.ts";

/** ln(1.25) = 0.22314355131420975576…, rounded toward zero. */
const LN_1_25 = 223_143_551_314_209_755n;

describe("oracle jump beyond the deviation bound", () => {
  describe("on the oracle", () => {
    let f: EthOracleFixture;
    beforeEach(async () => {
      f = await deployEthOracle();
    });

    it("flags an oracle read stale when it jumps beyond the deviation bound, in either direction", async () => {
      for (const [answer, expected] of [
        [usd8(2_400n), false],
        [usd8(2_400n) + 1n, true],
        [usd8(1_600n), false],
        [usd8(1_600n) - 1n, true],
      ] as const) {
        await f.feed.write.setAnswer([answer]);
        expect(await f.stale(), `answer ${answer}`).toBe(expected);
      }
    });
    it("holds a jump beyond the deviation bound pending until a poke at least minInterval later confirms it", async () => {
      await f.feed.write.setAnswer([usd8(2_500n)]);
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
      expect(await f.stale()).toBe(true);

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
      expect(await f.stale()).toBe(false);
    });
    it("drops a one-poke jump beyond the deviation bound once the source returns within it", async () => {
      await f.feed.write.setAnswer([usd8(2_500n)]);
      await f.oracle.write.poke([ETH]);
      await f.feed.write.setAnswer([usd8(2_010n)]);
      expect(await f.stale()).toBe(false);
      await f.viem.assertions.emitWithArgs(f.oracle.write.poke([ETH]), f.oracle, "PriceAccepted", [
        ETH,
        usd18(2_010n),
        (logReturn: bigint) => logReturn > 0n,
        AcceptReason.WithinBound,
      ]);
      expect(await f.oracle.read.observation([ETH])).toMatchObject({ pendingPrice: 0n, pendingSince: 0n });
    });
    it("restarts the confirmation when the price jumps again beyond the bound around the pending one", async () => {
      await f.feed.write.setAnswer([usd8(2_500n)]);
      await f.oracle.write.poke([ETH]);
      const firstSeen = (await f.oracle.read.observation([ETH])).pendingSince;
      await f.feed.write.setAnswer([usd8(3_200n)]);
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
  });

  it("the hub refuses to open a position at a price that jumped beyond the bound, and allows closing", async () => {
    const hub = await deployHub(await connect("hub"));
    const trader = hub.trader.account.address;
    await hub.report(SPOKE_A, "USDC", "10000");
    await hub.engine.write.trade([0n, wad("1"), 0n], { account: trader });
    // deployHub's bound is 100%: 3000 → 6001 is beyond it.
    await hub.setPrice("WETH", "6001");
    await hub.connection.viem.assertions.revertWithCustomErrorWithArgs(
      hub.engine.write.trade([0n, wad("1"), 0n], { account: trader }),
      hub.engine,
      "StalePrice",
      [priceId("WETH")],
    );
    expect((await hub.engine.read.positionOf([trader, 0n])).size).toBe(wad("1"));
    await hub.engine.write.trade([0n, wad("-1"), 0n], { account: trader });
    expect((await hub.engine.read.positionOf([trader, 0n])).size).toBe(0n);
  });
});
