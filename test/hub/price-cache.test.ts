import { getAddress } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { connect } from "../helpers/chains.ts";
import { deployHub, type Hub, priceId, SPOKE_A, wad } from "../helpers/hub.ts";

const MAX_PRICE_AGE = 300;

describe("the engine's price cache (healthOf reads it; state-changing paths read the oracle live)", () => {
  let hub: Hub;
  let trader: Hub["trader"]["account"];

  beforeEach(async () => {
    hub = await deployHub(await connect("hub"));
    trader = hub.trader.account;
    await hub.report(SPOKE_A, "USDC", "1000");
    await hub.engine.write.trade([0n, wad("3"), 0n], { account: trader });
  });

  const liveHealth = async () => {
    const cacheAge = await hub.engine.read.maxPriceAge();
    await hub.engine.write.setMaxPriceAge([0]);
    const health = await hub.engine.read.healthOf([trader.address]);
    await hub.engine.write.setMaxPriceAge([cacheAge]);
    return health;
  };

  it("is off by default: healthOf follows the oracle at once and refreshPrices is refused", async () => {
    const before = await hub.engine.read.healthOf([trader.address]);
    await hub.setPrice("WETH", "2900");
    expect((await hub.engine.read.healthOf([trader.address])).pnlMaint).toBeLessThan(before.pnlMaint);
    await hub.connection.viem.assertions.revertWithCustomError(
      hub.engine.write.refreshPrices([[priceId("WETH")]]),
      hub.engine,
      "PriceCacheDisabled",
    );
    expect((await hub.engine.read.cachedPrice([priceId("WETH")])).readAt).toBe(0);
  });

  it("refreshes only the price ids of configured assets and markets", async () => {
    await hub.engine.write.setMaxPriceAge([MAX_PRICE_AGE]);
    await hub.connection.viem.assertions.revertWithCustomErrorWithArgs(
      hub.engine.write.refreshPrices([[priceId("WETH"), priceId("NOT-CONFIGURED")]]),
      hub.engine,
      "UnusedPriceId",
      [priceId("NOT-CONFIGURED")],
    );
    expect((await hub.engine.read.cachedPrice([priceId("NOT-CONFIGURED")])).readAt).toBe(0);
  });

  it("bounds maxPriceAge to an hour", async () => {
    await hub.connection.viem.assertions.revertWithCustomError(
      hub.engine.write.setMaxPriceAge([3601]),
      hub.engine,
      "ParameterOutOfBounds",
    );
    await hub.connection.viem.assertions.revertWithCustomError(
      hub.engine.write.setMaxPriceAge([60], { account: trader }),
      hub.engine,
      "OwnableUnauthorizedAccount",
    );
  });

  it("serves healthOf until refreshed or too old, while a release sees the live price", async () => {
    await hub.engine.write.setMaxPriceAge([MAX_PRICE_AGE]);
    // A risk check caches what it read: the trade's health check reads USDC and WETH.
    await hub.engine.write.trade([0n, wad("1"), 0n], { account: trader });
    const cached = await hub.engine.read.cachedPrice([priceId("WETH")]);
    expect(cached.price).toBe(wad("3000"));
    expect(cached.readAt).not.toBe(0);
    const atOldPrice = await hub.engine.read.healthOf([trader.address]);
    expect(atOldPrice).toEqual(await liveHealth());

    // ETH falls: the view keeps the cached price, the release checks the live one and is refused.
    await hub.setPrice("WETH", "2950");
    const atNewPrice = await liveHealth();
    expect(atNewPrice.healthInit).toBeLessThan(atOldPrice.healthInit);
    expect(await hub.engine.read.healthOf([trader.address])).toEqual(atOldPrice);
    const token = getAddress(hub.spokeToken("USDC", SPOKE_A));
    // Between what the cached and the live price would allow (USDC has weight 1 and 6 decimals).
    const release = (atOldPrice.healthInit + atNewPrice.healthInit) / 2n / 10n ** 12n;
    expect(atNewPrice.healthInit).toBeGreaterThan(0n);
    await hub.connection.viem.assertions.revertWithCustomError(
      hub.engine.write.requestRelease([SPOKE_A, token, release, trader.address], { account: trader }),
      hub.engine,
      "InitialHealthViolated",
    );

    // A keeper's refresh brings the view to the oracle.
    await hub.engine.write.refreshPrices([[priceId("WETH")]], { account: hub.keeper.account });
    expect(await hub.engine.read.healthOf([trader.address])).toEqual(atNewPrice);

    // Past maxPriceAge the view reads the oracle again.
    await hub.setPrice("WETH", "2700");
    await hub.connection.networkHelpers.time.increase(MAX_PRICE_AGE + 1);
    expect(await hub.engine.read.healthOf([trader.address])).toEqual(await liveHealth());
  });

  it("keeps a stale oracle read out of use, and a stale price still blocks risk-increasing trades", async () => {
    await hub.engine.write.setMaxPriceAge([MAX_PRICE_AGE]);
    await hub.connection.networkHelpers.time.increase(3601);
    await hub.setPrice("USDC", "1");
    // The WETH feed is now older than its maxAge: the read is stale.
    await hub.engine.write.refreshPrices([[priceId("WETH")]]);
    const cached = await hub.engine.read.cachedPrice([priceId("WETH")]);
    expect(cached.price).toBe(wad("3000"));
    expect(cached.readAt).toBe(0);
    await hub.connection.viem.assertions.revertWithCustomErrorWithArgs(
      hub.engine.write.trade([0n, wad("1"), 0n], { account: trader }),
      hub.engine,
      "StalePrice",
      [priceId("WETH")],
    );
    // Closing is never blocked.
    await hub.engine.write.trade([0n, wad("-1"), 0n], { account: trader });
    expect(await hub.engine.read.healthOf([trader.address])).toEqual(await liveHealth());
  });
});
