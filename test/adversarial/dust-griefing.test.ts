// Griefing by dust: positions and liquidations too small to matter, used to make an account costly to
// check or to charge a liquidator for nothing. The engine caps the open markets of an account and refuses
// a liquidation that would seize nothing, by name, without moving the books.
import { parseUnits } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { connect } from "../helpers/chains.ts";
import { deployHub, type Hub, SPOKE_A, wad } from "../helpers/hub.ts";

/** OpenMarkets.MAX. */
const MAX_OPEN_MARKETS = 20;

describe("griefing by dust", () => {
  let hub: Hub;
  beforeEach(async () => {
    hub = await deployHub(await connect("hub"));
  });

  it("refuses a dust position in one market more than an account may hold", async () => {
    const trader = hub.trader.account.address;
    await hub.report(SPOKE_A, "USDC", "100000");
    // More markets like ETH-PERP, so that the account can reach the cap.
    const ethPerp = await hub.engine.read.marketConfig([0n]);
    for (let marketId = 2n; marketId <= BigInt(MAX_OPEN_MARKETS); marketId++) {
      await hub.engine.write.configureMarket([marketId, ethPerp]);
    }
    for (let marketId = 0n; marketId < BigInt(MAX_OPEN_MARKETS); marketId++) {
      await hub.engine.write.trade([marketId, marketId === 1n ? wad("0.0001") : wad("0.001"), 0n], { account: trader });
    }
    await hub.connection.viem.assertions.revertWithCustomErrorWithArgs(
      hub.engine.write.trade([BigInt(MAX_OPEN_MARKETS), wad("0.001"), 0n], { account: trader }),
      hub.engine,
      "TooManyPositions",
      [trader],
    );
    expect(await hub.engine.read.openMarketsOf([trader])).toHaveLength(MAX_OPEN_MARKETS);
    expect((await hub.engine.read.positionOf([trader, BigInt(MAX_OPEN_MARKETS)])).size).toBe(0n);
  });

  it("refuses a dust-capped collateral liquidation that would seize nothing", async () => {
    const trader = hub.trader.account.address;
    const liquidator = hub.liquidator.account.address;
    await hub.report(SPOKE_A, "USDC", "1000");
    await hub.engine.write.trade([0n, wad("5"), 0n], { account: trader });
    await hub.setPrice("WETH", "2800");
    while ((await hub.engine.read.positionOf([trader, 0n])).size !== 0n) {
      await hub.engine.write.liquidatePerp([trader, 0n], { account: liquidator });
    }
    await hub.fund(liquidator, "10000");
    const token = hub.spokeToken("USDC", SPOKE_A);
    const before = {
      counted: (await hub.engine.read.collateralOf([trader]))[1],
      settle: await hub.engine.read.settleBalanceOf([trader]),
      wallet: await hub.usdc.read.balanceOf([liquidator]),
    };
    expect(before.settle).toBeLessThan(0n);
    // Repaying one wei of settle value would seize less than a unit of USDC.
    await hub.connection.viem.assertions.revertWithCustomError(
      hub.engine.write.liquidateCollateral([trader, SPOKE_A, token, 1n], { account: hub.liquidator.account }),
      hub.engine,
      "NothingToLiquidate",
    );
    expect({
      counted: (await hub.engine.read.collateralOf([trader]))[1],
      settle: await hub.engine.read.settleBalanceOf([trader]),
      wallet: await hub.usdc.read.balanceOf([liquidator]),
    }).toEqual(before);
    expect(before.wallet).toBe(parseUnits("10000", 6));
  });
});
