// Liquidation of a healthy account: a liquidator who tries to take a position, collateral or a debt
// write-off from an account above maintenance. Each is refused by name and nothing moves.
import { parseUnits } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { connect } from "../helpers/chains.ts";
import { deployHub, type Hub, SPOKE_A, wad } from "../helpers/hub.ts";

describe("liquidation of a healthy account", () => {
  let hub: Hub;
  const books = async () => {
    const trader = hub.trader.account.address;
    return {
      position: (await hub.engine.read.positionOf([trader, 0n])).size,
      counted: (await hub.engine.read.collateralOf([trader]))[1],
      settle: await hub.engine.read.settleBalanceOf([trader]),
      liquidatorSettle: await hub.engine.read.settleBalanceOf([hub.liquidator.account.address]),
      pool: await hub.engine.read.poolAccounts(),
    };
  };

  beforeAll(async () => {
    hub = await deployHub(await connect("hub"));
    await hub.report(SPOKE_A, "USDC", "2300");
    await hub.engine.write.trade([0n, wad("1"), 0n], { account: hub.trader.account });
    // A settle debt, so that only health (not the absence of debt) can refuse the collateral liquidation.
    await hub.setPrice("WETH", "2900");
    await hub.engine.write.trade([0n, wad("-0.5"), 0n], { account: hub.trader.account });
    await hub.fund(hub.liquidator.account.address, "10000");
    expect((await hub.engine.read.healthOf([hub.trader.account.address])).liquidatable).toBe(false);
  });

  it("refuses to liquidate a healthy account's position", async () => {
    const before = await books();
    await hub.connection.viem.assertions.revertWithCustomError(
      hub.engine.write.liquidatePerp([hub.trader.account.address, 0n], { account: hub.liquidator.account }),
      hub.engine,
      "NotLiquidatable",
    );
    expect(await books()).toEqual(before);
  });

  it("refuses to seize a healthy account's collateral", async () => {
    const before = await books();
    expect(before.settle).toBeLessThan(0n);
    await hub.connection.viem.assertions.revertWithCustomError(
      hub.engine.write.liquidateCollateral(
        [hub.trader.account.address, SPOKE_A, hub.spokeToken("USDC", SPOKE_A), parseUnits("10", 6)],
        { account: hub.liquidator.account },
      ),
      hub.engine,
      "NotLiquidatable",
    );
    expect(await books()).toEqual(before);
    expect(await hub.usdc.read.balanceOf([hub.liquidator.account.address])).toBe(parseUnits("10000", 6));
  });

  it("refuses to write off the debt of an account that still has a position and collateral", async () => {
    const before = await books();
    await hub.connection.viem.assertions.revertWithCustomErrorWithArgs(
      hub.engine.write.resolveBadDebt([hub.trader.account.address], { account: hub.liquidator.account }),
      hub.engine,
      "NotBankrupt",
      [hub.trader.account.address],
    );
    expect(await books()).toEqual(before);
  });
});
