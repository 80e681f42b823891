// Reentrant token: a collateral token whose transfer calls back into the vault mid-payment. The vault's
// guard refuses the nested call by name (ReentrancyGuardReentrantCall), so the outer operation pays once
// and the books match the tokens the vault holds.
import type { ContractReturnType } from "@nomicfoundation/hardhat-viem/types";
import { decodeErrorResult, encodeFunctionData } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { connect } from "../helpers/chains.ts";
import { deployVault, type VaultFixture } from "../helpers/vault.ts";

describe("reentrant token", () => {
  let f: VaultFixture;
  let token: ContractReturnType<"ReentrantToken">;

  /** The error the token's armed callback met, decoded with the vault's ABI. */
  const callbackError = async () =>
    decodeErrorResult({ abi: f.vault.abi, data: await token.read.lastCallbackResult() }).errorName;

  beforeEach(async () => {
    f = await deployVault(await connect("spokeA"));
    token = await f.connection.viem.deployContract("ReentrantToken");
    const trader = f.trader.account.address;
    await f.vault.write.configureAsset([token.address, true, 18]);
    await token.write.mint([trader, 1_000n]);
    await token.write.approve([f.vault.address, 1_000n], f.asTrader);
    await f.vault.write.deposit([token.address, 1_000n, false], f.asTrader);
  });

  it("refuses a withdrawal re-entered from the token's transfer", async () => {
    const trader = f.trader.account.address;
    await token.write.arm([
      f.vault.address,
      encodeFunctionData({ abi: f.vault.abi, functionName: "withdrawFree", args: [token.address, 500n, trader] }),
    ]);
    await f.vault.write.withdrawFree([token.address, 500n, trader], f.asTrader);
    expect(await token.read.lastCallbackSucceeded()).toBe(false);
    expect(await callbackError()).toBe("ReentrancyGuardReentrantCall");
    expect(await f.balanceOf(token.address)).toMatchObject({ total: 500n, locked: 0n });
    expect(await token.read.balanceOf([f.vault.address])).toBe(500n);
  });

  it("refuses a claim re-entered from a hub command's payment", async () => {
    const trader = f.trader.account.address;
    await f.vault.write.lock([token.address, 1_000n], f.asTrader);
    await token.write.arm([
      f.vault.address,
      encodeFunctionData({ abi: f.vault.abi, functionName: "claim", args: [token.address, trader] }),
    ]);
    await f.deliver(f.command({ type: "Release", account: trader, asset: token.address, amount: 400n, to: trader }));
    expect(await token.read.lastCallbackSucceeded()).toBe(false);
    expect(await callbackError()).toBe("ReentrancyGuardReentrantCall");
    expect(await f.vault.read.lastCommandNonce([trader])).toBe(1n);
    expect(await f.balanceOf(token.address)).toMatchObject({ total: 600n, locked: 600n });
    expect(await token.read.balanceOf([f.vault.address])).toBe(600n);
  });
});
