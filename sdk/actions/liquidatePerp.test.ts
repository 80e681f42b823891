import { erc20Abi, parseUnits } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { isContractRevert } from "../contract-errors.ts";
import { ACCOUNT_INDEX, deployFixture, type Fixture, wad } from "../test-utils/fixture.ts";

// The story of test/integration/cross-chain.test.ts, told through the SDK: margin on two spokes, a position
// on the hub, a price drop, perp liquidations, then a collateral liquidation paid out on spoke A.
describe("liquidatePerp and liquidateCollateral", () => {
  let f: Fixture;
  let trader: `0x${string}`;
  let liquidator: ReturnType<Fixture["sdkClient"]>;

  beforeAll(async () => {
    f = await deployFixture();
    const spokeA = f.sdkClient("spokeA");
    const spokeB = f.sdkClient("spokeB");
    trader = spokeA.account.address;
    liquidator = f.sdkClient("hub", ACCOUNT_INDEX.liquidator);
    await f.mint("spokeA", "USDC", trader, parseUnits("5000", 6));
    await f.mint("spokeB", "WETH", trader, wad("2"));
    await spokeA.deposit({ asset: "USDC", amount: parseUnits("5000", 6) });
    await spokeB.deposit({ asset: "WETH", amount: wad("2") });
    await f.relay.flush();
    await f.sdkClient("hub").trade({ market: "ETH-PERP", size: wad("40") });
    await f.mint("hub", "USDC", liquidator.account.address, parseUnits("100000", 6));
  });

  it("a healthy account cannot be liquidated: NotLiquidatable(H^maint)", async () => {
    const error = await liquidator.liquidatePerp({ account: trader, market: "ETH-PERP" }).catch((e: unknown) => e);
    expect(isContractRevert(error, "NotLiquidatable")).toBe(true);
  });

  it("closes the position in spec-sized steps until H^LE is restored", async () => {
    await f.setPrice("WETH", "2750");
    expect((await liquidator.getAccount({ account: trader })).health.liquidatable).toBe(true);
    let closed = 0n;
    for (let step = 0; step < 10; step++) {
      const { health, positions } = await liquidator.getAccount({ account: trader });
      if (health.health.liquidationEnd >= 0n || positions.length === 0) break;
      const result = await liquidator.liquidatePerp({ account: trader, market: "ETH-PERP" });
      expect(result.price).toBe(wad("2750"));
      expect(result.feeToLiquidator).toBeGreaterThan(0n);
      closed += result.size;
    }
    expect(closed).toBeGreaterThan(0n);
    expect((await liquidator.getAccount({ account: trader })).settleBalance).toBeLessThan(0n);
  });

  it("repays the debt and seizes collateral on spoke A, paid there when the Seize runs", async () => {
    const result = await liquidator.liquidateCollateral({ account: trader, chain: "spokeA", asset: "USDC" });
    expect(result.repaid).toBeGreaterThan(0n);
    expect(result.messages.map((m) => m.message.type)).toEqual(["Seize", "Seize"]);
    const delivered = f.sdkClient("hub").waitForDelivery({ hash: result.hash, timeout: 10_000 });
    await f.relay.flush();
    const { deliveries } = await delivered;
    expect(deliveries.map((d) => d.outcome)).toEqual(["executed", "executed"]);
    const paid = await f.chains.spokeA.publicClient.readContract({
      address: f.deployment.spokes[0]?.tokens.USDC?.address as `0x${string}`,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [liquidator.account.address],
    });
    expect(paid).toBe(result.seizedToLiquidator);
  });
});
