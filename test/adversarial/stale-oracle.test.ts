// Stale oracle: a feed that stopped updating, an incomplete or carried-over round, a timestamp in the
// future. The oracle flags the read stale and refuses to accept it; the hub refuses every action that adds
// risk at a stale price (opening, releasing collateral, withdrawing settle credit) and never blocks closing.
import { type Hex, parseUnits } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { connect } from "../helpers/chains.ts";
import { deployHub, priceId, SPOKE_A, wad } from "../helpers/hub.ts";
import {
  chainlinkConfig,
  deployEthOracle,
  deployOracle,
  ETH,
  type EthOracleFixture,
  type OracleFixture,
  usd8,
} from "../oracle/fixtures.ts";

describe("stale oracle", () => {
  describe("a Chainlink source", () => {
    let f: OracleFixture;
    beforeEach(async () => {
      f = await deployOracle();
    });

    it("flags a Chainlink answer stale exactly when it is older than maxAge", async () => {
      const feed = await f.deployFeed(8, 2_000n * 10n ** 8n);
      await f.oracle.write.addPriceId([ETH, chainlinkConfig(feed.address, { maxAge: 3_600 })]);
      const updatedAt = (await f.now()) + 10n;
      await f.networkHelpers.time.setNextBlockTimestamp(updatedAt);
      await feed.write.setRound([2n, 2_000n * 10n ** 8n, updatedAt, updatedAt, 2n]);

      await f.networkHelpers.time.increaseTo(updatedAt + 3_600n);
      expect((await f.oracle.read.getPrice([ETH])).stale).toBe(false);
      await f.networkHelpers.time.increase(1);
      expect(await f.oracle.read.getPrice([ETH])).toEqual({ price: 2_000n * 10n ** 18n, stale: true });
    });

    it.each([
      { name: "an incomplete round (updatedAt = 0)", round: 2n, updatedAtOffset: null, answeredInRound: 2n },
      { name: "an answer carried over from an earlier round", round: 3n, updatedAtOffset: 0n, answeredInRound: 2n },
      { name: "an updatedAt in the future", round: 2n, updatedAtOffset: 100n, answeredInRound: 2n },
    ])("flags a Chainlink read stale when it is $name", async ({ round, updatedAtOffset, answeredInRound }) => {
      const feed = await f.deployFeed(8, 2_000n * 10n ** 8n);
      await f.oracle.write.addPriceId([ETH, chainlinkConfig(feed.address)]);
      const updatedAt = updatedAtOffset === null ? 0n : (await f.now()) + 1n + updatedAtOffset;
      await feed.write.setRound([round, 2_000n * 10n ** 8n, updatedAt, updatedAt, answeredInRound]);
      expect((await f.oracle.read.getPrice([ETH])).stale).toBe(true);
    });
  });

  describe("a jump to confirm", () => {
    let f: EthOracleFixture;
    beforeEach(async () => {
      f = await deployEthOracle();
    });

    it("refuses to confirm or accept a price from a source older than maxAge", async () => {
      await f.feed.write.setAnswer([usd8(2_500n)]);
      await f.networkHelpers.time.increase(3_601);
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.oracle.write.confirmPrice([ETH]),
        f.oracle,
        "StalePrice",
        [ETH],
      );
      expect((await f.oracle.simulate.poke([ETH])).result).toBe(false);
    });
  });

  it("the hub refuses to open, release or withdraw at a stale price, and never blocks closing", async () => {
    const hub = await deployHub(await connect("hub"));
    const trader = hub.trader.account.address;
    const asTrader = { account: hub.trader.account };
    await hub.report(SPOKE_A, "USDC", "10000");
    await hub.engine.write.trade([0n, wad("2"), 0n], asTrader);
    // Settle credit to withdraw: realise a gain on one ETH.
    await hub.setPrice("WETH", "3100");
    await hub.engine.write.trade([0n, wad("-1"), 0n], asTrader);
    const settle = await hub.engine.read.settleBalanceOf([trader]);
    expect(settle).toBe(wad("100"));
    await hub.connection.networkHelpers.time.increase(3601);

    // Only ETH's feed went quiet: the others answer again.
    await hub.setPrice("USDC", "1");
    await hub.setPrice("WBTC", "60000");
    const stale: [Hex] = [priceId("WETH")];
    const { assertions } = hub.connection.viem;
    await assertions.revertWithCustomErrorWithArgs(
      hub.engine.write.trade([0n, wad("1"), 0n], asTrader),
      hub.engine,
      "StalePrice",
      stale,
    );
    await assertions.revertWithCustomErrorWithArgs(
      hub.engine.write.requestRelease([SPOKE_A, hub.spokeToken("USDC", SPOKE_A), parseUnits("1", 6), trader], asTrader),
      hub.engine,
      "StalePrice",
      stale,
    );
    await assertions.revertWithCustomErrorWithArgs(
      hub.engine.write.withdrawSettle([parseUnits("1", 6), trader], asTrader),
      hub.engine,
      "StalePrice",
      stale,
    );
    expect((await hub.engine.read.positionOf([trader, 0n])).size).toBe(wad("1"));
    expect((await hub.engine.read.collateralOf([trader]))[1]).toEqual([parseUnits("10000", 6)]);
    expect(await hub.engine.read.settleBalanceOf([trader])).toBe(settle);

    await hub.engine.write.trade([0n, wad("-1"), 0n], asTrader);
    expect((await hub.engine.read.positionOf([trader, 0n])).size).toBe(0n);
  });
});
