// Withdraw racing a liquidation, in both orders, over the test transport (hub + spoke A). The hub counts
// what is in flight against the account at once, and the vault runs hub commands strictly in nonce
// order, so neither side can take the same collateral twice and the vault always holds what it owes.
import { type Address, getAddress, type Hex, parseUnits } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { HUB, SPOKE_A, wad } from "../helpers/hub.ts";
import { sentMessages } from "../helpers/messaging.ts";
import { deployProtocol, type Protocol, type SpokeToken } from "../helpers/protocol.ts";

describe("withdraw racing a liquidation", () => {
  let p: Protocol;
  let usdc: SpokeToken;
  let trader: Address;
  let liquidator: Address;

  /** The hub's commands a transaction sent, as raw bytes in nonce order. */
  const commandsOf = async (hash: Hex) =>
    sentMessages(await p.hub.publicClient.waitForTransactionReceipt({ hash }), p.hub.messenger.address).map(
      (message) => message.raw,
    );
  const deliverToSpokeA = (raw: Hex) =>
    p.spokes.spokeA.messenger.write.deliver([p.spokes.spokeA.vault.address, HUB, raw]);
  const counted = async () => (await p.hub.engine.read.collateralOf([trader]))[1][0] ?? 0n;
  /** 5 ETH long on the trader's counted USDC, then a 10% drop: liquidated down to a settle debt. */
  const bankrupt = async () => {
    await p.hub.engine.write.trade([0n, wad("5"), 0n], { account: trader });
    await p.hub.setPrice("WETH", "2700");
    while ((await p.hub.engine.read.positionOf([trader, 0n])).size !== 0n) {
      await p.hub.engine.write.liquidatePerp([trader, 0n], { account: liquidator });
    }
    await p.hub.fund(liquidator, "100000");
  };
  const liquidateCollateral = () =>
    p.hub.engine.write.liquidateCollateral([trader, SPOKE_A, usdc.address, 0n], { account: liquidator });
  /** The vault holds exactly what it owes the trader on spoke A. */
  const expectVaultSolvent = async () => {
    const balance = await p.spokes.spokeA.vault.read.balanceOf([trader, usdc.address]);
    expect(await usdc.token.read.balanceOf([p.spokes.spokeA.vault.address])).toBe(BigInt(balance.total));
  };

  beforeEach(async () => {
    p = await deployProtocol();
    trader = p.hub.trader.account.address;
    liquidator = p.hub.liquidator.account.address;
    const found = p.spokes.spokeA.tokens.find((token) => token.symbol === "USDC");
    if (!found) throw new Error("no USDC on spoke A");
    usdc = found;
    await usdc.token.write.mint([trader, parseUnits("1000", 6)]);
    await usdc.token.write.approve([p.spokes.spokeA.vault.address, parseUnits("1000", 6)], { account: trader });
    await p.spokes.spokeA.vault.write.deposit([usdc.address, parseUnits("1000", 6), true], { account: trader });
    await p.relay.flush();
  });

  it("a release requested before the liquidation is paid first even when the Seize lands first", async () => {
    const release = await commandsOf(
      await p.hub.engine.write.requestRelease([SPOKE_A, usdc.address, parseUnits("100", 6), trader], {
        account: trader,
      }),
    );
    expect(await counted()).toBe(parseUnits("900", 6));
    await bankrupt();
    const seizes = await commandsOf(await liquidateCollateral());
    // The seizure was sized on what remains counted, not on the 100 in flight to the trader.
    expect(await counted()).toBe(0n);

    // The transport delivers the seizures before the release: they wait for nonce 1.
    for (const [index, seize] of seizes.entries()) {
      await p.spokes.spokeA.connection.viem.assertions.emitWithArgs(
        deliverToSpokeA(seize),
        p.spokes.spokeA.vault,
        "CommandParked",
        [getAddress(trader), BigInt(2 + index)],
      );
    }
    expect(await usdc.token.read.balanceOf([liquidator])).toBe(0n);
    await deliverToSpokeA(release[0] as Hex);
    expect(await p.spokes.spokeA.vault.read.lastCommandNonce([trader])).toBe(BigInt(1 + seizes.length));
    expect(await usdc.token.read.balanceOf([trader])).toBe(parseUnits("100", 6));
    const seized =
      (await usdc.token.read.balanceOf([liquidator])) +
      (await usdc.token.read.balanceOf([p.hub.owner.account.address]));
    expect(seized).toBeGreaterThan(0n);
    expect(seized).toBeLessThanOrEqual(parseUnits("900", 6));
    await expectVaultSolvent();
    // The relay then carries the same commands again (ignored) and the acknowledging reports to the hub.
    await p.relay.flush();
    const [entries] = await p.hub.engine.read.collateralOf([trader]);
    expect(entries.every((ledger) => ledger.pendingDecrease === 0n)).toBe(true);
    await expectVaultSolvent();
  });

  it("a release requested after the liquidation cannot take the collateral the Seize is moving", async () => {
    await bankrupt();
    const before = await counted();
    await liquidateCollateral();
    const left = await counted();
    expect(left).toBeLessThan(before);
    await p.hub.connection.viem.assertions.revertWithCustomError(
      p.hub.engine.write.requestRelease([SPOKE_A, usdc.address, before, trader], { account: trader }),
      p.hub.engine,
      "InsufficientCollateral",
    );
    expect(await counted()).toBe(left);
    // On the spoke the collateral is locked: the trader cannot pull it out under the Seize either.
    await p.spokes.spokeA.connection.viem.assertions.revertWithCustomError(
      p.spokes.spokeA.vault.write.withdrawFree([usdc.address, 1n, trader], { account: trader }),
      p.spokes.spokeA.vault,
      "InsufficientFreeBalance",
    );
    await p.relay.flush();
    expect(await usdc.token.read.balanceOf([trader])).toBe(0n);
    expect(await usdc.token.read.balanceOf([liquidator])).toBeGreaterThan(0n);
    await expectVaultSolvent();
  });
});
