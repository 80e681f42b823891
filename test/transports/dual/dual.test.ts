// Dual mode on the in-process hub, spoke A and spoke B (see ./fixture.ts): a message applies only once
// both transports delivered the same bytes. Tampered and replayed dual deliveries are in the adversarial
// catalogue (test/adversarial).
import { type Address, parseEther, parseUnits } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { messageRouterAbi } from "../../../relayer/infra/protocol-abi.ts";
import { type DualWorld, deployDualWorld, summary } from "./fixture.ts";

describe("dual mode: LayerZero and Hyperlane must both deliver the same bytes", () => {
  let world: DualWorld;

  beforeAll(async () => {
    world = await deployDualWorld();
  });

  it("routes both spokes over both transports, on the hub and on the spokes", async () => {
    const { hub } = world.protocol;
    for (const spoke of world.protocol.spokes) {
      expect(
        await world.chains.hub.publicClient.readContract({
          address: hub.contracts.router,
          abi: messageRouterAbi,
          functionName: "routeOf",
          args: [BigInt(spoke.chainId)],
        }),
      ).toBe(3);
      expect(
        await world.chains[spoke.name as "spokeA" | "spokeB"].publicClient.readContract({
          address: spoke.contracts.router,
          abi: messageRouterAbi,
          functionName: "routeOf",
          args: [BigInt(hub.chainId)],
        }),
      ).toBe(3);
    }
  });

  it("a deposit report arrives over LayerZero, waits, and applies only when Hyperlane delivers it too", async () => {
    const spokeA = world.spokeRecord("spokeA");
    const firstReport = await world.deposit("spokeA", "5000");

    const overLayerZero = await world.relay.flush(["layerzero"]);
    expect(summary(overLayerZero)).toEqual(["layerzero spokeA→hub BalanceReport delivered"]);
    const pendingEvents = world.routerEvents(await world.receiptsOf("hub", overLayerZero));
    expect(pendingEvents.map((event) => event.eventName)).toEqual(["DualDeliveryPending"]);
    expect(await world.hubRouterState(firstReport, spokeA.chainId)).toBe(1);
    // One transport alone: the hub has not seen the collateral.
    expect(world.engineEvents(await world.receiptsOf("hub", overLayerZero))).toEqual([]);
    expect(await world.countedCollateral()).toEqual([]);

    const overHyperlane = await world.relay.flush(["hyperlane"]);
    expect(summary(overHyperlane)).toEqual(["hyperlane spokeA→hub BalanceReport delivered"]);
    expect(world.engineEvents(await world.receiptsOf("hub", overHyperlane)).map((event) => event.eventName)).toEqual([
      "BalanceReportApplied",
    ]);
    expect(await world.hubRouterState(firstReport, spokeA.chainId)).toBe(3);
    expect(await world.countedCollateral()).toEqual([
      { chainId: spokeA.chainId, asset: spokeA.tokens.USDC?.address, counted: parseUnits("5000", 6) },
    ]);
  });

  it("the order does not matter: Hyperlane first, then LayerZero", async () => {
    const spokeB = world.spokeRecord("spokeB");
    const report = await world.deposit("spokeB", "700");
    expect(summary(await world.relay.flush(["hyperlane"]))).toEqual(["hyperlane spokeB→hub BalanceReport delivered"]);
    expect(await world.hubRouterState(report, spokeB.chainId)).toBe(2);
    expect((await world.countedCollateral()).some((entry) => entry.chainId === spokeB.chainId)).toBe(false);

    expect(summary(await world.relay.flush(["layerzero"]))).toEqual(["layerzero spokeB→hub BalanceReport delivered"]);
    expect(await world.hubRouterState(report, spokeB.chainId)).toBe(3);
    expect((await world.countedCollateral()).find((entry) => entry.chainId === spokeB.chainId)?.counted).toBe(
      parseUnits("700", 6),
    );
  });

  it("a release in dual mode pays once both transports carried it; the second delivery runs it within its gas", async () => {
    const spokeA = world.spokeRecord("spokeA");
    const usdc = spokeA.tokens.USDC?.address as Address;
    const engine = await world.connections.hub.viem.getContractAt("MarginEngine", world.protocol.hub.contracts.engine);
    const token = await world.connections.spokeA.viem.getContractAt("TestToken", usdc);
    const walletBefore = await token.read.balanceOf([world.trader]);
    await engine.write.requestRelease([BigInt(spokeA.chainId), usdc, parseUnits("1000", 6), world.trader], {
      account: world.trader,
      value: parseEther("0.05"),
    });

    const commandOverHyperlane = await world.relay.pass(["hyperlane"]);
    expect(summary(commandOverHyperlane)).toEqual(["hyperlane hub→spokeA Release delivered"]);
    expect(await token.read.balanceOf([world.trader])).toBe(walletBefore);

    // LayerZero's executor runs lzReceive with exactly the gas the hub paid for: that delivery executes the
    // release, pays the trader and sends the acknowledging report over both transports.
    const commandOverLayerZero = await world.relay.pass(["layerzero"]);
    expect(summary(commandOverLayerZero)).toEqual(["layerzero hub→spokeA Release delivered"]);
    expect((await token.read.balanceOf([world.trader])) - walletBefore).toBe(parseUnits("1000", 6));

    const reports = await world.relay.flush();
    expect(summary(reports)).toEqual([
      "layerzero spokeA→hub BalanceReport delivered",
      "hyperlane spokeA→hub BalanceReport delivered",
    ]);
    const [entries] = await engine.read.collateralOf([world.trader]);
    expect(entries.every((entry) => entry.pendingDecrease === 0n)).toBe(true);
    console.info(
      "dual-mode delivery gas (whole transactions):",
      [...commandOverHyperlane, ...commandOverLayerZero, ...reports].map(
        (message) => `${message.transport} ${message.type} ${message.gasUsed}`,
      ),
    );
  });
});
