// The vault's own behaviour; the attacks on it (forged origin, wrong peer, replayed commands, reentrant,
// fee-on-transfer and blacklist tokens) are in the adversarial catalogue (test/adversarial).
import { type Address, getAddress, type Hex, parseUnits, zeroAddress } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { CHAIN_IDS } from "../../sdk/chains.ts";
import { encodeMessage, type MessageInput } from "../../sdk/codec/index.ts";
import { connect } from "../helpers/chains.ts";
import { HUB, SPOKE_A } from "../helpers/hub.ts";
import { sentMessages } from "../helpers/messaging.ts";
import { deployVault, type VaultFixture } from "../helpers/vault.ts";

const SPOKE = SPOKE_A;

describe("CollateralVault", () => {
  let f: VaultFixture;
  let trader: Address;

  beforeEach(async () => {
    f = await deployVault(await connect("spokeA"));
    trader = f.trader.account.address;
  });

  const balance = async (asset: Address, account = trader) => f.vault.read.balanceOf([account, asset]);

  describe("deposits and free balance", () => {
    it("credits a deposit, locks it as margin and reports it to the hub", async () => {
      const amount = parseUnits("1000", 6);
      const hash = await f.vault.write.deposit([f.usdc.address, amount, true], f.asTrader);
      await f.connection.viem.assertions.emitWithArgs(hash, f.vault, "Deposited", [
        getAddress(trader),
        getAddress(f.usdc.address),
        amount,
        true,
      ]);
      expect(await balance(f.usdc.address)).toEqual({ total: amount, locked: amount, seq: 1 });

      const [report] = sentMessages(await f.receiptOf(hash), f.messenger.address);
      expect(report?.destination).toBe(HUB);
      expect(report?.decoded).toEqual({
        version: 1,
        type: "BalanceReport",
        origin: SPOKE,
        destination: HUB,
        account: getAddress(trader),
        asset: getAddress(f.usdc.address),
        total: amount,
        locked: amount,
        seq: 1n,
        lastCommandNonce: 0n,
      });
    });

    it("rejects assets off the allowlist and zero amounts", async () => {
      const { vault, connection } = f;
      await connection.viem.assertions.revertWithCustomErrorWithArgs(
        vault.write.deposit([f.other.account.address, 1n, false], f.asTrader),
        vault,
        "AssetNotAllowed",
        [getAddress(f.other.account.address)],
      );
      await connection.viem.assertions.revertWithCustomError(
        vault.write.deposit([f.usdc.address, 0n, false], f.asTrader),
        vault,
        "ZeroAmount",
      );
    });

    it("locks free balance and refuses to lock or withdraw more than is free", async () => {
      await f.vault.write.deposit([f.usdc.address, 500n, false], f.asTrader);
      await f.vault.write.lock([f.usdc.address, 300n], f.asTrader);
      expect(await balance(f.usdc.address)).toEqual({ total: 500n, locked: 300n, seq: 2 });
      await f.connection.viem.assertions.revertWithCustomErrorWithArgs(
        f.vault.write.lock([f.usdc.address, 201n], f.asTrader),
        f.vault,
        "InsufficientFreeBalance",
        [getAddress(trader), getAddress(f.usdc.address), 200n, 201n],
      );
      await f.connection.viem.assertions.revertWithCustomErrorWithArgs(
        f.vault.write.withdrawFree([f.usdc.address, 201n, trader], f.asTrader),
        f.vault,
        "InsufficientFreeBalance",
        [getAddress(trader), getAddress(f.usdc.address), 200n, 201n],
      );
    });

    it("pays free balance at once, without the hub", async () => {
      await f.vault.write.deposit([f.usdc.address, 500n, false], f.asTrader);
      const to = f.other.account.address;
      const hash = await f.vault.write.withdrawFree([f.usdc.address, 200n, to], f.asTrader);
      expect(await f.usdc.read.balanceOf([to])).toBe(200n);
      expect(await balance(f.usdc.address)).toEqual({ total: 300n, locked: 0n, seq: 2 });
      const [report] = sentMessages(await f.receiptOf(hash), f.messenger.address);
      expect(report?.decoded).toMatchObject({ total: 300n, seq: 2n });
    });

    it("pausing stops deposits only", async () => {
      await f.vault.write.deposit([f.usdc.address, 500n, true], f.asTrader);
      await f.vault.write.pause();
      await f.connection.viem.assertions.revertWithCustomError(
        f.vault.write.deposit([f.usdc.address, 1n, false], f.asTrader),
        f.vault,
        "EnforcedPause",
      );
      await f.deliver(
        f.command({ type: "Release", account: trader, asset: f.usdc.address, amount: 100n, to: zeroAddress }),
      );
      await f.vault.write.withdrawFree([f.usdc.address, 100n, trader], f.asTrader);
      expect(await balance(f.usdc.address)).toMatchObject({ total: 400n, locked: 400n });
    });
  });

  describe("hub commands", () => {
    beforeEach(async () => {
      await f.vault.write.deposit([f.usdc.address, 1_000n, true], f.asTrader);
      await f.vault.write.deposit([f.blacklist.address, 1_000n, true], f.asTrader);
    });

    it("releases locked funds to the trader's wallet and acknowledges the nonce", async () => {
      const before = await f.usdc.read.balanceOf([trader]);
      const hash = await f.deliver(
        f.command({ type: "Release", account: trader, asset: f.usdc.address, amount: 400n, to: trader }),
      );
      await f.connection.viem.assertions.emitWithArgs(hash, f.vault, "CommandExecuted", [
        getAddress(trader),
        1n,
        2,
        getAddress(f.usdc.address),
        400n,
        getAddress(trader),
      ]);
      expect(await f.usdc.read.balanceOf([trader])).toBe(before + 400n);
      expect(await balance(f.usdc.address)).toEqual({ total: 600n, locked: 600n, seq: 2 });
      const [report] = sentMessages(await f.receiptOf(hash), f.messenger.address);
      expect(report?.decoded).toMatchObject({ type: "BalanceReport", locked: 600n, lastCommandNonce: 1n });
    });

    it("a release to the zero address makes the amount free instead of paying it", async () => {
      await f.deliver(
        f.command({ type: "Release", account: trader, asset: f.usdc.address, amount: 250n, to: zeroAddress }),
      );
      expect(await balance(f.usdc.address)).toMatchObject({ total: 1_000n, locked: 750n });
    });

    it("seizes locked collateral to the liquidator", async () => {
      const liquidator = f.liquidator.account.address;
      await f.deliver(
        f.command({ type: "Seize", account: trader, asset: f.usdc.address, amount: 175n, to: liquidator }),
      );
      expect(await f.usdc.read.balanceOf([liquidator])).toBe(175n);
      expect(await balance(f.usdc.address)).toMatchObject({ total: 825n, locked: 825n });
    });

    it("auto-margin Lock moves at most the free balance into locked", async () => {
      await f.deliver(
        f.command({ type: "Release", account: trader, asset: f.usdc.address, amount: 300n, to: zeroAddress }),
      );
      await f.deliver(f.command({ type: "Lock", account: trader, asset: f.usdc.address, amount: 1_000n }));
      expect(await balance(f.usdc.address)).toMatchObject({ total: 1_000n, locked: 1_000n });
    });

    it("executes commands strictly in nonce order: a command ahead of its predecessor waits", async () => {
      const first = f.command({ type: "Release", account: trader, asset: f.usdc.address, amount: 100n, to: trader });
      const second = f.command({ type: "Seize", account: trader, asset: f.usdc.address, amount: 50n, to: trader });
      const parked = await f.deliver(second);
      await f.connection.viem.assertions.emitWithArgs(parked, f.vault, "CommandParked", [getAddress(trader), 2n]);
      expect(await f.vault.read.lastCommandNonce([trader])).toBe(0n);
      await f.deliver(first);
      expect(await f.vault.read.lastCommandNonce([trader])).toBe(2n);
      expect(await balance(f.usdc.address)).toMatchObject({ total: 850n, locked: 850n });
    });

    it("runs at most MAX_COMMANDS_PER_DELIVERY parked commands per delivery and says when more are ready", async () => {
      const limit = await f.vault.read.MAX_COMMANDS_PER_DELIVERY();
      const lock = () => f.command({ type: "Lock", account: trader, asset: f.usdc.address, amount: 1n });
      const first = lock();
      const ahead = Array.from({ length: Number(limit) + 2 }, lock);
      for (const command of ahead) await f.deliver(command);
      const delivered = await f.deliver(first);
      expect(await f.vault.read.lastCommandNonce([trader])).toBe(1n + limit);
      await f.connection.viem.assertions.emitWithArgs(delivered, f.vault, "ParkedCommandsReady", [
        getAddress(trader),
        2n + limit,
      ]);
      // Anyone runs the rest; with nothing more parked no event is emitted.
      const resumed = await f.vault.write.executeParkedCommands([trader, limit], { account: f.other.account });
      expect(await f.vault.read.lastCommandNonce([trader])).toBe(3n + limit);
      const events = await f.publicClient.getContractEvents({
        address: f.vault.address,
        abi: f.vault.abi,
        eventName: "ParkedCommandsReady",
        blockHash: (await f.receiptOf(resumed)).blockHash,
      });
      expect(events).toHaveLength(0);
    });

    it("defers a report it cannot pay for, and syncBalance sends it later", async () => {
      await f.messenger.write.setFee([1_000n]);
      const hash = await f.deliver(
        f.command({ type: "Release", account: trader, asset: f.usdc.address, amount: 1n, to: trader }),
      );
      await f.connection.viem.assertions.emitWithArgs(hash, f.vault, "ReportDeferred", [
        getAddress(trader),
        getAddress(f.usdc.address),
      ]);
      expect(await f.vault.read.lastCommandNonce([trader])).toBe(1n);
      const sync = await f.vault.write.syncBalance([trader, f.usdc.address], {
        account: f.other.account,
        value: 1_000n,
      });
      const [report] = sentMessages(await f.receiptOf(sync), f.messenger.address);
      expect(report?.decoded).toMatchObject({ locked: 999n, lastCommandNonce: 1n });
    });
  });

  describe("authentication (safety rules 1 and 4)", () => {
    beforeEach(async () => {
      await f.vault.write.deposit([f.usdc.address, 1_000n, true], f.asTrader);
    });

    const release = (overrides: Partial<MessageInput> = {}) =>
      encodeMessage({
        type: "Release",
        origin: HUB,
        destination: SPOKE,
        account: trader,
        asset: f.usdc.address,
        amount: 1_000n,
        to: trader,
        cmdNonce: 1n,
        ...overrides,
      } as MessageInput);

    it("only the messenger delivers", async () => {
      await f.connection.viem.assertions.revertWithCustomErrorWithArgs(
        f.vault.write.receiveMessage([HUB, release()], f.asTrader),
        f.vault,
        "UnauthorizedMessenger",
        [getAddress(trader)],
      );
    });

    it("rejects a message for another chain", async () => {
      await f.connection.viem.assertions.revertWithCustomErrorWithArgs(
        f.deliver(release({ destination: BigInt(CHAIN_IDS.spokeB) })),
        f.vault,
        "WrongDestination",
        [BigInt(CHAIN_IDS.spokeB), SPOKE],
      );
    });

    it("rejects malformed payloads and balance reports", async () => {
      const valid = release();
      await f.connection.viem.assertions.revertWithCustomErrorWithArgs(
        f.deliver(`${valid}00` as Hex),
        f.vault,
        "MessageTrailingBytes",
        [118n, 119n],
      );
      const report = encodeMessage({
        type: "BalanceReport",
        origin: HUB,
        destination: SPOKE,
        account: trader,
        asset: f.usdc.address,
        total: 0n,
        locked: 0n,
        seq: 9n,
        lastCommandNonce: 0n,
      });
      await f.connection.viem.assertions.revertWithCustomError(f.deliver(report), f.vault, "UnexpectedMessageType");
      expect(await balance(f.usdc.address)).toMatchObject({ total: 1_000n, locked: 1_000n });
    });
  });
});
