// Fee-on-transfer token: the vault must credit what arrived, not what was asked, or its books would
// promise more than it holds. Here the token takes 1% of every transfer.
import { beforeEach, describe, expect, it } from "vitest";
import { connect } from "../helpers/chains.ts";
import { sentMessages } from "../helpers/messaging.ts";
import { deployVault, type VaultFixture } from "../helpers/vault.ts";

describe("fee-on-transfer token", () => {
  let f: VaultFixture;
  beforeEach(async () => {
    f = await deployVault(await connect("spokeA"));
  });

  it("credits and reports only what a fee-on-transfer deposit delivered", async () => {
    const hash = await f.vault.write.deposit([f.feeToken.address, 10_000n, false], f.asTrader);
    expect(await f.balanceOf(f.feeToken.address)).toEqual({ total: 9_900n, locked: 0n, seq: 1 });
    expect(await f.feeToken.read.balanceOf([f.vault.address])).toBe(9_900n);
    const [report] = sentMessages(await f.receiptOf(hash), f.messenger.address);
    expect(report?.decoded).toMatchObject({ total: 9_900n, locked: 0n });
  });

  it("cannot withdraw more than the fee-on-transfer deposit delivered: the vault stays solvent", async () => {
    const trader = f.trader.account.address;
    await f.vault.write.deposit([f.feeToken.address, 10_000n, false], f.asTrader);
    await f.connection.viem.assertions.revertWithCustomErrorWithArgs(
      f.vault.write.withdrawFree([f.feeToken.address, 10_000n, trader], f.asTrader),
      f.vault,
      "InsufficientFreeBalance",
      [trader, f.feeToken.address, 9_900n, 10_000n],
    );
    await f.vault.write.withdrawFree([f.feeToken.address, 9_900n, trader], f.asTrader);
    expect(await f.balanceOf(f.feeToken.address)).toMatchObject({ total: 0n, locked: 0n });
    expect(await f.feeToken.read.balanceOf([f.vault.address])).toBe(0n);
  });
});
