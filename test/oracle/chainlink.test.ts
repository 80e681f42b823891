// Chainlink sources: decimals, invalid answers and configuration; staleness is in the adversarial
// catalogue (test/adversarial/stale-oracle.test.ts).
import { getAddress } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { chainlinkConfig, deployOracle, type OracleFixture, priceId } from "./fixtures.ts";

const ETH = priceId("ETH");

describe("XmarginOracle: Chainlink sources", () => {
  let f: OracleFixture;
  beforeEach(async () => {
    f = await deployOracle();
  });

  it.each([
    { decimals: 6, answer: 2_000_123_456n, price: 2_000_123_456_000_000_000_000n },
    { decimals: 8, answer: 200_012_345_678n, price: 2_000_123_456_780_000_000_000n },
    { decimals: 18, answer: 2_000_123_456_789_012_345_678n, price: 2_000_123_456_789_012_345_678n },
    // 20 decimals round down: the last two digits (91) are dropped.
    { decimals: 20, answer: 200_012_345_678_901_234_567_891n, price: 2_000_123_456_789_012_345_678n },
  ])("normalises $decimals decimals to 18", async ({ decimals, answer, price }) => {
    const feed = await f.deployFeed(decimals, answer);
    await f.oracle.write.addPriceId([ETH, chainlinkConfig(feed.address)]);
    expect(await f.oracle.read.getPrice([ETH])).toEqual({ price, stale: false });
  });

  it.each([0n, -5n])("reverts InvalidPrice for an answer of %s", async (answer) => {
    const feed = await f.deployFeed(8, 2_000n * 10n ** 8n);
    await f.oracle.write.addPriceId([ETH, chainlinkConfig(feed.address)]);
    await feed.write.setAnswer([answer]);
    await f.viem.assertions.revertWithCustomErrorWithArgs(f.oracle.read.getPrice([ETH]), f.oracle, "InvalidPrice", [
      ETH,
      answer,
    ]);
    await f.networkHelpers.time.increase(60);
    await f.viem.assertions.revertWithCustomErrorWithArgs(f.oracle.write.poke([ETH]), f.oracle, "InvalidPrice", [
      ETH,
      answer,
    ]);
  });

  it("reverts InvalidPrice for a positive answer that scales to zero", async () => {
    const feed = await f.deployFeed(20, 2_000n * 10n ** 20n);
    await f.oracle.write.addPriceId([ETH, chainlinkConfig(feed.address)]);
    await feed.write.setAnswer([99n]);
    await f.viem.assertions.revertWithCustomErrorWithArgs(f.oracle.read.getPrice([ETH]), f.oracle, "InvalidPrice", [
      ETH,
      99n,
    ]);
  });

  it("refuses to add a feed whose current answer is invalid", async () => {
    const feed = await f.deployFeed(8, -1n);
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.oracle.write.addPriceId([ETH, chainlinkConfig(feed.address)]),
      f.oracle,
      "InvalidPrice",
      [ETH, -1n],
    );
  });

  it("refuses a feed with more than 36 decimals", async () => {
    const feed = await f.deployFeed(37, 1n);
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.oracle.write.addPriceId([ETH, chainlinkConfig(feed.address)]),
      f.oracle,
      "UnsupportedDecimals",
      [ETH, 37],
    );
  });

  it("reverts UnknownPriceId for an id without a source", async () => {
    const unknown = priceId("NOPE");
    for (const read of [
      f.oracle.read.getPrice([unknown]),
      f.oracle.read.volatilityMultipliers([unknown]),
      f.oracle.read.volatility([unknown]),
      f.oracle.write.poke([unknown]),
    ]) {
      await f.viem.assertions.revertWithCustomErrorWithArgs(read, f.oracle, "UnknownPriceId", [unknown]);
    }
  });

  it("stores the configuration and anchors the first answer", async () => {
    const feed = await f.deployFeed(8, 2_000n * 10n ** 8n);
    const config = chainlinkConfig(feed.address);
    await f.oracle.write.addPriceId([ETH, config]);
    expect(await f.oracle.read.priceConfig([ETH])).toEqual({ ...config, source: getAddress(feed.address) });
    expect(await f.oracle.read.observation([ETH])).toEqual({
      price: 2_000n * 10n ** 18n,
      acceptedAt: await f.now(),
      pendingPrice: 0n,
      pendingSince: 0n,
    });
  });
});
