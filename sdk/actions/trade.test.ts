import { parseUnits } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { isContractRevert } from "../contract-errors.ts";
import { InvalidParameterError, UnknownMarketError } from "../errors.ts";
import { deployFixture, type Fixture, wad } from "../test-utils/fixture.ts";

describe("trade and closePosition", () => {
  let f: Fixture;
  let hub: ReturnType<Fixture["sdkClient"]>;

  beforeAll(async () => {
    f = await deployFixture({ takerFee: wad("0.001") });
    const spokeA = f.sdkClient("spokeA");
    hub = f.sdkClient("hub");
    await f.mint("spokeA", "USDC", spokeA.account.address, parseUnits("10000", 6));
    await spokeA.deposit({ asset: "USDC", amount: parseUnits("10000", 6) });
    await f.relay.flush();
  });

  it("opens and increases a position at the oracle price, paying the taker fee", async () => {
    const opened = await hub.trade({ market: "ETH-PERP", size: wad("1"), limitPrice: wad("3001") });
    expect(opened).toMatchObject({ marketId: 0n, newSize: wad("1"), price: wad("3000"), fee: wad("3") });
    await f.setPrice("WETH", "3100");
    const increased = await hub.trade({ market: "eth-perp", size: wad("1"), slippageBps: 50 });
    expect(increased).toMatchObject({ newSize: wad("2"), price: wad("3100") });
    const [position] = (await hub.getAccount()).positions;
    expect(position).toMatchObject({
      market: "ETH-PERP",
      size: wad("2"),
      entryPrice: wad("3050"),
      markPrice: wad("3100"),
    });
    expect(position?.unrealizedPnl).toBe(wad("100"));
  });

  it("refuses a price beyond the limit with PriceLimitExceeded(price, limit)", async () => {
    const error = await hub
      .trade({ market: "ETH-PERP", size: wad("1"), limitPrice: wad("3000") })
      .catch((e: unknown) => e);
    expect(isContractRevert(error, "PriceLimitExceeded")).toBe(true);
    if (isContractRevert(error, "PriceLimitExceeded")) expect(error.args).toEqual([wad("3100"), wad("3000")]);
  });

  it("reduces with realized PnL, then closes the rest", async () => {
    await f.setPrice("WETH", "3200");
    const reduced = await hub.trade({ market: 0n, size: -wad("0.5"), limitPrice: wad("3199") });
    expect(reduced).toMatchObject({ newSize: wad("1.5"), realizedPnl: wad("75") });
    const closed = await hub.closePosition({ market: "ETH-PERP" });
    expect(closed.newSize).toBe(0n);
    expect((await hub.getAccount()).positions).toEqual([]);
    await expect(hub.closePosition({ market: "ETH-PERP" })).rejects.toThrow(/no open position/);
  });

  it("checks the lot size, the market and slippage locally", async () => {
    await expect(hub.trade({ market: "BTC-PERP", size: wad("0.00001") })).rejects.toThrow(InvalidParameterError);
    await expect(hub.trade({ market: "SOL-PERP", size: wad("1") })).rejects.toThrow(UnknownMarketError);
    await expect(hub.trade({ market: "ETH-PERP", size: wad("1"), slippageBps: 1.5 })).rejects.toThrow(/slippageBps/);
  });

  it("a risk-increasing trade beyond initial health reverts with InitialHealthViolated", async () => {
    const error = await hub.trade({ market: "BTC-PERP", size: wad("10") }).catch((e: unknown) => e);
    expect(isContractRevert(error, "InitialHealthViolated")).toBe(true);
  });
});
