// The whole protocol across three in-process chains (hub, spoke A, spoke B), with the test transport
// carrying messages. The same story runs over LayerZero and Hyperlane in the transport suites.
import { type Address, parseUnits } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { CHAIN_IDS } from "../../sdk/chains.ts";
import { type Connection, connect } from "../helpers/chains.ts";
import { deployHub, type Hub, SPOKE_A, SPOKE_B, wad } from "../helpers/hub.ts";
import { TestRelay } from "../helpers/relay.ts";

async function deploySpoke(connection: Connection, relayer: Address) {
  const [owner] = await connection.viem.getWalletClients();
  if (!owner) throw new Error("no owner");
  const messenger = await connection.viem.deployContract("TestMessenger", [relayer]);
  const vault = await connection.viem.deployContract("CollateralVault", [
    owner.account.address,
    BigInt(CHAIN_IDS.hub),
    messenger.address,
  ]);
  const usdc = await connection.viem.deployContract("TestToken", ["USD Coin", "USDC", 6]);
  const weth = await connection.viem.deployContract("TestToken", ["Wrapped Ether", "WETH", 18]);
  await vault.write.configureAsset([usdc.address, true, 6]);
  await vault.write.configureAsset([weth.address, true, 18]);
  return { connection, messenger, vault, usdc, weth };
}

type Spoke = Awaited<ReturnType<typeof deploySpoke>>;

describe("cross-chain margin over the test transport", () => {
  let hub: Hub;
  let spokeA: Spoke;
  let spokeB: Spoke;
  let relay: TestRelay;
  let trader: Address;
  let liquidator: Address;

  beforeAll(async () => {
    hub = await deployHub(await connect("hub"));
    const relayer = hub.owner.account.address;
    spokeA = await deploySpoke(await connect("spokeA"), relayer);
    spokeB = await deploySpoke(await connect("spokeB"), relayer);
    trader = hub.trader.account.address;
    liquidator = hub.liquidator.account.address;
    await hub.engine.write.configureCollateralToken([SPOKE_A, spokeA.usdc.address, 0, 6, true]);
    await hub.engine.write.configureCollateralToken([SPOKE_B, spokeB.weth.address, 1, 18, true]);

    relay = new TestRelay();
    relay.add({
      chainId: BigInt(CHAIN_IDS.hub),
      connection: hub.connection,
      messenger: hub.messenger.address,
      receiver: hub.engine.address,
    });
    relay.add({
      chainId: SPOKE_A,
      connection: spokeA.connection,
      messenger: spokeA.messenger.address,
      receiver: spokeA.vault.address,
    });
    relay.add({
      chainId: SPOKE_B,
      connection: spokeB.connection,
      messenger: spokeB.messenger.address,
      receiver: spokeB.vault.address,
    });
    await relay.flush();
  });

  it("deposits on two spokes become one margin account on the hub", async () => {
    await spokeA.usdc.write.mint([trader, parseUnits("5000", 6)]);
    await spokeA.usdc.write.approve([spokeA.vault.address, parseUnits("5000", 6)], { account: trader });
    await spokeA.vault.write.deposit([spokeA.usdc.address, parseUnits("5000", 6), true], { account: trader });
    await spokeB.weth.write.mint([trader, wad("2")]);
    await spokeB.weth.write.approve([spokeB.vault.address, wad("2")], { account: trader });
    await spokeB.vault.write.deposit([spokeB.weth.address, wad("2"), true], { account: trader });
    expect(await relay.flush()).toBe(2);

    const health = await hub.engine.read.healthOf([trader]);
    // 5000 USDC on A (no haircut) + 2 WETH × 3000 × 0.80 × (1 − 0.02) on B.
    expect(health.collateralValueInit).toBe(wad("5000") + wad("4704"));
  });

  it("a position on the hub is margined by both spokes; a price drop makes it liquidatable", async () => {
    await hub.engine.write.trade([0n, wad("40"), 0n], { account: trader });
    await hub.setPrice("WETH", "2750");
    const health = await hub.engine.read.healthOf([trader]);
    expect(health.liquidatable).toBe(true);
    while ((await hub.engine.read.healthOf([trader])).healthLiquidationEnd < 0n) {
      const position = await hub.engine.read.positionOf([trader, 0n]);
      if (position.size === 0n) break;
      await hub.engine.write.liquidatePerp([trader, 0n], { account: liquidator });
    }
    expect(await hub.engine.read.settleBalanceOf([trader])).toBeLessThan(0n);
  });

  it("collateral liquidation seizes on spoke A and pays the liquidator there", async () => {
    await hub.fund(liquidator, "100000");
    const debtBefore = -(await hub.engine.read.settleBalanceOf([trader]));
    await hub.engine.write.liquidateCollateral([trader, SPOKE_A, spokeA.usdc.address, 0n], { account: liquidator });
    const [pending] = await hub.engine.read.collateralOf([trader]);
    expect(pending.find((entry) => entry.chainId === SPOKE_A)?.pendingDecrease).toBeGreaterThan(0n);
    await relay.flush();

    const seized = await spokeA.usdc.read.balanceOf([liquidator]);
    expect(seized).toBeGreaterThan(0n);
    // Each seizure was acknowledged by a report: nothing is pending any more.
    const [entries] = await hub.engine.read.collateralOf([trader]);
    expect(entries.every((entry) => entry.pendingDecrease === 0n)).toBe(true);
    expect(-(await hub.engine.read.settleBalanceOf([trader]))).toBeLessThan(debtBefore);
    const vaultBalance = await spokeA.vault.read.balanceOf([trader, spokeA.usdc.address]);
    expect(await spokeA.usdc.read.balanceOf([spokeA.vault.address])).toBe(BigInt(vaultBalance.total));
  });

  it("the trader releases what remains on spoke B to their wallet there", async () => {
    const { size } = await hub.engine.read.positionOf([trader, 0n]);
    if (size !== 0n) await hub.engine.write.trade([0n, -size, 0n], { account: trader });
    await hub.setPrice("WETH", "3000");
    const settle = await hub.engine.read.settleBalanceOf([trader]);
    if (settle < 0n) {
      await hub.fund(trader, "100000");
      await hub.engine.write.depositSettle([trader, -settle / 10n ** 12n + 1n], { account: trader });
    }
    const release = wad("1.5");
    await hub.engine.write.requestRelease([SPOKE_B, spokeB.weth.address, release, trader], { account: trader });
    await relay.flush();
    expect(await spokeB.weth.read.balanceOf([trader])).toBe(release);
    const onSpoke = await spokeB.vault.read.balanceOf([trader, spokeB.weth.address]);
    expect(onSpoke).toMatchObject({ total: wad("0.5"), locked: wad("0.5") });
    const [entries, counted] = await hub.engine.read.collateralOf([trader]);
    const index = entries.findIndex((entry) => entry.chainId === SPOKE_B);
    expect(counted[index]).toBe(wad("0.5"));
  });
});
