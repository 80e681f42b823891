import { formatUnits, parseUnits } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { toRiskInputs } from "../portfolio/state.ts";
import { healthBreakdown } from "../risk/health.ts";
import { ACCOUNT_INDEX, type AssetName, deployFixture, type Fixture, priceId, wad } from "../test-utils/fixture.ts";

const FEED_UNIT = 10n ** 10n; // the mock feeds quote 8 decimals; the oracle scales them to 18

describe("getAccount", () => {
  let f: Fixture;
  let hub: ReturnType<Fixture["sdkClient"]>;
  let shorter: ReturnType<Fixture["sdkClient"]>;

  /** Sets a feed to the 8-decimal price nearest `price` (WAD) on the given side. */
  const setPriceWad = (asset: AssetName, price: bigint, side: "floor" | "ceil") => {
    const units = side === "floor" ? price / FEED_UNIT : (price + FEED_UNIT - 1n) / FEED_UNIT;
    return f.setPrice(asset, formatUnits(units, 8));
  };

  beforeAll(async () => {
    f = await deployFixture();
    hub = f.sdkClient("hub");
    const trader = hub.account.address;
    await f.mint("spokeA", "USDC", trader, parseUnits("5000", 6));
    await f.mint("spokeB", "WETH", trader, wad("2"));
    await f.sdkClient("spokeA").deposit({ asset: "USDC", amount: parseUnits("5000", 6) });
    await f.sdkClient("spokeB").deposit({ asset: "WETH", amount: wad("2"), lock: false });
    await f.sdkClient("spokeB").lock({ asset: "WETH", amount: wad("1.5") });
    await f.relay.flush();
    await hub.trade({ market: "ETH-PERP", size: wad("20") });

    shorter = f.sdkClient("hub", ACCOUNT_INDEX.other);
    await f.mint("spokeA", "USDC", shorter.account.address, parseUnits("3000", 6));
    await f.sdkClient("spokeA", ACCOUNT_INDEX.other).deposit({ asset: "USDC", amount: parseUnits("3000", 6) });
    await f.relay.flush();
    await shorter.trade({ market: "BTC-PERP", size: -wad("0.5") });
  });

  it("shows every vault, the hub ledger, positions and the hub's own health breakdown", async () => {
    const account = await hub.getAccount();
    expect(account.chains.map((c) => c.name)).toEqual(["spokeA", "spokeB"]);
    expect(account.chains[1]?.balances.find((b) => b.symbol === "WETH")).toMatchObject({
      total: wad("2"),
      locked: wad("1.5"),
      free: wad("0.5"),
      seq: 2,
      claimable: 0n,
    });
    expect(account.ledger).toMatchObject([
      { chainName: "spokeA", symbol: "USDC", counted: parseUnits("5000", 6), pendingDecrease: 0n, value: wad("5000") },
      { chainName: "spokeB", symbol: "WETH", counted: wad("1.5"), seq: 2, price: wad("3000"), value: wad("4500") },
    ]);
    expect(account.positions).toMatchObject([
      {
        market: "ETH-PERP",
        size: wad("20"),
        entryPrice: wad("3000"),
        notional: wad("60000"),
        pnl: 0n,
        fundingOwed: 0n,
      },
    ]);
    // The SDK's evaluation of the state it read equals the hub's healthOf at the same block, to the wei.
    expect(healthBreakdown(toRiskInputs(account.state))).toEqual(account.health);
    expect(account.health.liquidatable).toBe(false);
  });

  it("gives a long the price below which it is liquidatable, shared by the WETH entry; the hub agrees", async () => {
    const { positions, ledger } = await hub.getAccount();
    const level = positions[0]?.liquidationPrice;
    expect(level).toMatchObject({ priceId: priceId("WETH"), direction: "down", liquidatableNow: false });
    expect(ledger[1]?.liquidationPrice).toEqual(level);
    const price = level?.price as bigint;
    expect(price).toBeLessThan(wad("3000"));
    await setPriceWad("WETH", price + FEED_UNIT, "ceil");
    expect((await hub.getAccount()).health.liquidatable).toBe(false);
    await setPriceWad("WETH", price, "floor");
    expect((await hub.getAccount()).health.liquidatable).toBe(true);
    await f.setPrice("WETH", "3000");
  });

  it("gives a short the price above which it is liquidatable", async () => {
    const { positions, ledger } = await shorter.getAccount();
    const level = positions[0]?.liquidationPrice;
    expect(level).toMatchObject({ priceId: priceId("WBTC"), direction: "up" });
    const price = level?.price as bigint;
    expect(price).toBeGreaterThan(wad("60000"));
    await setPriceWad("WBTC", price - FEED_UNIT, "floor");
    expect((await shorter.getAccount()).health.liquidatable).toBe(false);
    await setPriceWad("WBTC", price, "ceil");
    expect((await shorter.getAccount()).health.liquidatable).toBe(true);
    // Along USDC, with BTC fixed: H^maint = 3000·p − 0.5·60000·3%, negative below p = 0.3 (to the wei).
    expect(ledger[0]?.liquidationPrice).toMatchObject({
      priceId: priceId("USDC"),
      direction: "down",
      price: wad("0.3") - 1n,
    });
  });

  it("reads another account than the client's", async () => {
    const account = await hub.getAccount({ account: shorter.account.address });
    expect(account.account).toBe(shorter.account.address);
    expect(account.positions[0]?.market).toBe("BTC-PERP");
  });
});
