// Blacklisted receiver: a hub command whose payment the token refuses (the receiver is blacklisted).
// The vault must not block the account's command queue on it: the command executes, the payment becomes
// a claim for its recipient, and the commands after it run.
import { type Address, getAddress } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { connect } from "../helpers/chains.ts";
import { deployVault, type VaultFixture } from "../helpers/vault.ts";

describe("blacklisted receiver", () => {
  let f: VaultFixture;
  beforeEach(async () => {
    f = await deployVault(await connect("spokeA"));
    await f.vault.write.deposit([f.usdc.address, 1_000n, true], f.asTrader);
    await f.vault.write.deposit([f.blacklist.address, 1_000n, true], f.asTrader);
  });

  /**
   * Delivers `type` of 300 blacklist tokens paid to a blacklisted `to` (nonce 1), then a USDC release
   * (nonce 2), and checks that the first became `to`'s claim without blocking the second.
   */
  const payBlacklisted = async (type: "Seize" | "Release", to: Address) => {
    const trader = f.trader.account.address;
    await f.blacklist.write.setBlacklisted([to, true]);
    const walletBefore = await f.blacklist.read.balanceOf([to]);
    const hash = await f.deliver(f.command({ type, account: trader, asset: f.blacklist.address, amount: 300n, to }));
    await f.connection.viem.assertions.emitWithArgs(hash, f.vault, "CommandPaymentFailed", [
      getAddress(trader),
      1n,
      getAddress(to),
      getAddress(f.blacklist.address),
      300n,
    ]);
    await f.deliver(f.command({ type: "Release", account: trader, asset: f.usdc.address, amount: 100n, to: trader }));
    expect(await f.vault.read.lastCommandNonce([trader])).toBe(2n);
    expect(await f.vault.read.claimable([to, f.blacklist.address])).toBe(300n);
    expect(await f.blacklist.read.balanceOf([to])).toBe(walletBefore);
    expect(await f.balanceOf(f.blacklist.address)).toMatchObject({ total: 700n, locked: 700n });
  };

  it("turns a Seize paid to a blacklisted liquidator into a claim and runs the next command", async () => {
    const liquidator = f.liquidator.account.address;
    await payBlacklisted("Seize", liquidator);
    const payTo = f.other.account.address;
    await f.vault.write.claim([f.blacklist.address, payTo], { account: f.liquidator.account });
    expect(await f.blacklist.read.balanceOf([payTo])).toBe(300n);
    await f.connection.viem.assertions.revertWithCustomErrorWithArgs(
      f.vault.write.claim([f.blacklist.address, payTo], { account: f.liquidator.account }),
      f.vault,
      "NothingToClaim",
      [getAddress(liquidator), getAddress(f.blacklist.address)],
    );
  });

  it("turns a Release paid to a blacklisted trader into a claim and runs the next command", async () => {
    const trader = f.trader.account.address;
    await payBlacklisted("Release", trader);
    // Still blacklisted: the claim waits, and can be paid elsewhere.
    const payTo = f.other.account.address;
    await f.vault.write.claim([f.blacklist.address, payTo], f.asTrader);
    expect(await f.blacklist.read.balanceOf([payTo])).toBe(300n);
    expect(await f.vault.read.claimable([trader, f.blacklist.address])).toBe(0n);
  });
});
