// The protocol story of test/integration/cross-chain.test.ts, carried by the real LayerZero v2 stack:
// EndpointV2, SendUln302/ReceiveUln302, a 2-of-3 multisig DVN and the Executor on every chain, our
// gateways as OApps, and the delivery engine collecting signatures from three operators' keys.
import { Options } from "@layerzerolabs/lz-v2-utilities";
import { type Address, parseEther, parseUnits } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DESTINATION_GAS } from "../../../relayer/infra/layerzero.ts";
import { CHAIN_IDS } from "../../../sdk/chains.ts";
import { encodeMessage, type MessageTypeName } from "../../../sdk/codec/index.ts";
import { SPOKE_A, SPOKE_B, wad } from "../../helpers/hub.ts";
import { deployLayerZeroFixture, type LayerZeroFixture, LayerZeroRelay, type RelayedPacket } from "./fixture.ts";

const HUB = BigInt(CHAIN_IDS.hub);

describe("cross-chain margin over LayerZero v2", () => {
  let f: LayerZeroFixture;
  let relay: LayerZeroRelay;
  let trader: Address;
  let liquidator: Address;
  const relayed: RelayedPacket[] = [];

  const flush = async () => {
    const batch = await relay.flush();
    relayed.push(...batch);
    return batch;
  };
  const typesOf = (batch: RelayedPacket[]) => batch.map((packet) => packet.type);

  beforeAll(async () => {
    f = await deployLayerZeroFixture();
    trader = f.hub.trader.account.address;
    liquidator = f.hub.liquidator.account.address;
    // Reports a vault sends after executing a hub command are paid from the vault's own balance.
    for (const spoke of [f.spokeA, f.spokeB]) {
      const [owner] = await spoke.connection.viem.getWalletClients();
      await owner?.sendTransaction({ to: spoke.vault.address, value: parseEther("1") });
    }
    relay = new LayerZeroRelay(f.delivery(), f.chains);
    await relay.skipHistory();
  });

  it("quotes a fee for each message type from the worker configs, and refunds what a sender overpays", async () => {
    const gateway = await f.spokeA.connection.viem.getContractAt("LayerZeroGateway", f.layerZero.spokeA.gateway);
    const report = encodeMessage({
      type: "BalanceReport",
      origin: SPOKE_A,
      destination: HUB,
      account: trader,
      asset: f.spokeA.usdc.address,
      total: 1n,
      locked: 1n,
      seq: 1n,
      lastCommandNonce: 0n,
    });
    const fee = await gateway.read.quote([HUB, report]);
    expect(fee).toBeGreaterThan(0n);
    // The executor gas in the options is the owner's, for the message's type.
    const options = Options.newOptions().addExecutorLzReceiveOption(DEFAULT_DESTINATION_GAS.BalanceReport).toHex();
    expect(await gateway.read.optionsFor([report])).toBe(options);

    await f.spokeA.usdc.write.mint([trader, parseUnits("5000", 6)]);
    await f.spokeA.usdc.write.approve([f.spokeA.vault.address, parseUnits("5000", 6)], { account: trader });
    const publicClient = await f.spokeA.connection.viem.getPublicClient();
    const before = await publicClient.getBalance({ address: trader });
    const hash = await f.spokeA.vault.write.deposit([f.spokeA.usdc.address, parseUnits("5000", 6), true], {
      account: trader,
      value: fee * 10n,
    });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    const spent = before - (await publicClient.getBalance({ address: trader }));
    expect(spent).toBe(fee + receipt.gasUsed * receipt.effectiveGasPrice);
  });

  it("deposits on two spokes become one margin account on the hub", async () => {
    await f.spokeB.weth.write.mint([trader, wad("2")]);
    await f.spokeB.weth.write.approve([f.spokeB.vault.address, wad("2")], { account: trader });
    await f.spokeB.vault.write.deposit([f.spokeB.weth.address, wad("2"), true], {
      account: trader,
      value: parseEther("0.01"),
    });
    const batch = await flush();
    expect(typesOf(batch)).toEqual(["BalanceReport", "BalanceReport"]);
    expect(batch.every((packet) => packet.outcome.status === "delivered")).toBe(true);

    const health = await f.hub.engine.read.healthOf([trader]);
    // 5000 USDC on A (no haircut) + 2 WETH × 3000 × 0.80 × (1 − 0.02) on B.
    expect(health.collateralValueInit).toBe(wad("5000") + wad("4704"));
  });

  it("delivering the same packets again changes nothing: each was delivered once", async () => {
    const delivery = f.delivery();
    const again = await Promise.all(relayed.map((packet) => delivery.deliver(packet.sent)));
    expect(again.map((outcome) => outcome.status)).toEqual(relayed.map(() => "alreadyDelivered"));
    expect(again.every((outcome) => outcome.steps.length === 0)).toBe(true);
    const health = await f.hub.engine.read.healthOf([trader]);
    expect(health.collateralValueInit).toBe(wad("5000") + wad("4704"));
  });

  it("a position on the hub is margined by both spokes; a price drop makes it liquidatable", async () => {
    await f.hub.engine.write.trade([0n, wad("40"), 0n], { account: trader });
    await f.hub.setPrice("WETH", "2750");
    expect((await f.hub.engine.read.healthOf([trader])).liquidatable).toBe(true);
    while ((await f.hub.engine.read.healthOf([trader])).healthLiquidationEnd < 0n) {
      const position = await f.hub.engine.read.positionOf([trader, 0n]);
      if (position.size === 0n) break;
      await f.hub.engine.write.liquidatePerp([trader, 0n], { account: liquidator });
    }
    expect(await f.hub.engine.read.settleBalanceOf([trader])).toBeLessThan(0n);
  });

  it("collateral liquidation seizes on spoke A and pays the liquidator there", async () => {
    await f.hub.fund(liquidator, "100000");
    const debtBefore = -(await f.hub.engine.read.settleBalanceOf([trader]));
    await f.hub.engine.write.liquidateCollateral([trader, SPOKE_A, f.spokeA.usdc.address, 0n], {
      account: liquidator,
      value: parseEther("0.1"),
    });
    const [pending] = await f.hub.engine.read.collateralOf([trader]);
    expect(pending.find((entry) => entry.chainId === SPOKE_A)?.pendingDecrease).toBeGreaterThan(0n);

    const batch = await flush();
    // Seize(s) to spoke A, then the vault's acknowledging report(s) back to the hub.
    expect(typesOf(batch).filter((type) => type === "Seize").length).toBeGreaterThan(0);
    expect(typesOf(batch).filter((type) => type === "BalanceReport").length).toBe(
      typesOf(batch).filter((type) => type === "Seize").length,
    );
    expect(await f.spokeA.usdc.read.balanceOf([liquidator])).toBeGreaterThan(0n);
    const [entries] = await f.hub.engine.read.collateralOf([trader]);
    expect(entries.every((entry) => entry.pendingDecrease === 0n)).toBe(true);
    expect(-(await f.hub.engine.read.settleBalanceOf([trader]))).toBeLessThan(debtBefore);
    const vaultBalance = await f.spokeA.vault.read.balanceOf([trader, f.spokeA.usdc.address]);
    expect(await f.spokeA.usdc.read.balanceOf([f.spokeA.vault.address])).toBe(BigInt(vaultBalance.total));
  });

  it("the trader releases what remains on spoke B to their wallet there", async () => {
    const { size } = await f.hub.engine.read.positionOf([trader, 0n]);
    if (size !== 0n) await f.hub.engine.write.trade([0n, -size, 0n], { account: trader });
    await f.hub.setPrice("WETH", "3000");
    const settle = await f.hub.engine.read.settleBalanceOf([trader]);
    if (settle < 0n) {
      await f.hub.fund(trader, "100000");
      await f.hub.engine.write.depositSettle([trader, -settle / 10n ** 12n + 1n], { account: trader });
    }
    const release = wad("1.5");
    await f.hub.engine.write.requestRelease([SPOKE_B, f.spokeB.weth.address, release, trader], {
      account: trader,
      value: parseEther("0.01"),
    });
    expect(typesOf(await flush())).toEqual(["Release", "BalanceReport"]);
    expect(await f.spokeB.weth.read.balanceOf([trader])).toBe(release);
    expect(await f.spokeB.vault.read.balanceOf([trader, f.spokeB.weth.address])).toMatchObject({
      total: wad("0.5"),
      locked: wad("0.5"),
    });
    const [entries, counted] = await f.hub.engine.read.collateralOf([trader]);
    const index = entries.findIndex((entry) => entry.chainId === SPOKE_B);
    expect(counted[index]).toBe(wad("0.5"));
  });

  it("every message went through DVN verify+commit (one transaction) and execute302, within the gas budgets", () => {
    const perType = new Map<MessageTypeName, Record<string, bigint>>();
    for (const packet of relayed) {
      expect(packet.outcome.steps.map((step) => step.step)).toEqual(["verifyAndCommit", "execute"]);
      const gas = Object.fromEntries(packet.outcome.steps.map((step) => [step.step, step.gasUsed]));
      const known = perType.get(packet.type);
      // Keep the most expensive instance of each type.
      if (!known || (gas.execute ?? 0n) > (known.execute ?? 0n)) perType.set(packet.type, gas);
    }
    console.info("LayerZero delivery gas per message type (transaction gasUsed)", Object.fromEntries(perType));
    expect([...perType.keys()].sort()).toEqual(["BalanceReport", "Release", "Seize"]);
    for (const gas of perType.values()) expect(gas.verifyAndCommit).toBeLessThan(200_000n);
    // Whole transactions stay under the gas the owner gives lzReceive alone.
    for (const [type, gas] of perType) expect(gas.execute, type).toBeLessThan(DEFAULT_DESTINATION_GAS[type]);
  });
});
