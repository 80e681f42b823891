// Gas per LayerZero step and message type, on real vault and engine paths: OApp send via SendUln302,
// DVN verify (2 of 3) with the commit batched into the same DVN.execute, and execution through
// Executor.execute302 or EndpointV2.lzReceive; and the batched verify+commit against the two
// transactions it replaces.
// Commands are sent through the hub gateway by its owner standing in for the engine, so that every
// type (Lock included) runs once per execution mode with the spoke vault acting on it for real.
import { type Address, type Hex, parseEther, parseUnits } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DESTINATION_GAS } from "../../../relayer/infra/layerzero.ts";
import { assembleSignatures } from "../../../relayer/transports/layerzero/index.ts";
import { CHAIN_IDS } from "../../../sdk/chains.ts";
import { encodeMessage, type MessageInput, type MessageTypeName } from "../../../sdk/codec/index.ts";
import { SPOKE_A } from "../../helpers/hub.ts";
import {
  DVN_QUORUM,
  deployLayerZeroFixture,
  dvnSigners,
  type LayerZeroFixture,
  LayerZeroRelay,
  type RelayedPacket,
} from "./fixture.ts";

const HUB = BigInt(CHAIN_IDS.hub);

interface StepGas {
  send: bigint;
  verifyAndCommit: bigint;
  execute302?: bigint;
  lzReceive?: bigint;
}

describe("LayerZero gas", () => {
  let f: LayerZeroFixture;
  let account: Address;
  let liquidator: Address;
  const table = new Map<MessageTypeName, StepGas>();

  /** Keeps the warm cost of send and verify+commit (the first message of a path also pays for new storage). */
  const record = (type: MessageTypeName, send: bigint, packet: RelayedPacket, mode: "execute302" | "lzReceive") => {
    const step = (name: string) => packet.outcome.steps.find((candidate) => candidate.step === name)?.gasUsed ?? 0n;
    const known = table.get(type);
    const least = (a: bigint, b: bigint | undefined) => (b === undefined || a < b ? a : b);
    table.set(type, {
      ...known,
      send: least(send, known?.send),
      verifyAndCommit: least(step("verifyAndCommit"), known?.verifyAndCommit),
      [mode]: step("execute"),
    });
  };

  beforeAll(async () => {
    f = await deployLayerZeroFixture();
    account = f.hub.lp.account.address;
    liquidator = f.hub.liquidator.account.address;
    const [owner] = await f.spokeA.connection.viem.getWalletClients();
    await owner?.sendTransaction({ to: f.spokeA.vault.address, value: parseEther("1") });
    await f.spokeA.usdc.write.mint([account, parseUnits("1000", 6)]);
    await f.spokeA.usdc.write.approve([f.spokeA.vault.address, parseUnits("1000", 6)], { account });
    await f.spokeA.vault.write.deposit([f.spokeA.usdc.address, parseUnits("1000", 6), false], {
      account,
      value: parseEther("0.01"),
    });
    const relay = new LayerZeroRelay(f.delivery(), f.chains);
    expect((await relay.flush()).map((packet) => packet.type)).toContain("BalanceReport");
  });

  it.each(["execute302", "lzReceive"] as const)(
    "sends, verifies and commits in one transaction, and executes each type (%s)",
    async (mode) => {
      const relay = new LayerZeroRelay(
        f.delivery({ execution: mode === "execute302" ? "executor" : "endpoint" }),
        f.chains,
      );
      await relay.skipHistory();
      const nonce = mode === "execute302" ? 0n : 3n;
      const commands: MessageInput[] = [
        { type: "Lock", account, asset: f.spokeA.usdc.address, amount: parseUnits("300", 6), cmdNonce: nonce + 1n },
        {
          type: "Release",
          account,
          asset: f.spokeA.usdc.address,
          amount: parseUnits("100", 6),
          to: account,
          cmdNonce: nonce + 2n,
        },
        {
          type: "Seize",
          account,
          asset: f.spokeA.usdc.address,
          amount: parseUnits("100", 6),
          to: liquidator,
          cmdNonce: nonce + 3n,
        },
      ].map((command) => ({ ...command, origin: HUB, destination: SPOKE_A }) as MessageInput);
      for (const command of commands) {
        const { receipt } = await f.sendThroughGateway("hub", SPOKE_A, encodeMessage(command));
        const [delivered, report] = await relay.flush();
        if (!delivered || !report) throw new Error("expected the command and the vault's report");
        expect([delivered.type, report.type]).toEqual([command.type, "BalanceReport"]);
        expect(delivered.outcome.steps.map((step) => step.step)).toEqual(["verifyAndCommit", "execute"]);
        record(command.type, receipt.gasUsed, delivered, mode);
      }
      const balance = await f.spokeA.vault.read.balanceOf([account, f.spokeA.usdc.address]);
      expect(await f.spokeA.vault.read.lastCommandNonce([account])).toBe(nonce + 3n);
      expect(balance.total).toBe(parseUnits(mode === "execute302" ? "800" : "600", 6));

      const reportMessage: Hex = encodeMessage({
        type: "BalanceReport",
        origin: SPOKE_A,
        destination: HUB,
        account,
        asset: f.spokeA.usdc.address,
        total: balance.total,
        locked: balance.locked,
        seq: 1_000n + nonce,
        lastCommandNonce: nonce + 3n,
      });
      const { receipt } = await f.sendThroughGateway("spokeA", HUB, reportMessage);
      const [report] = await relay.flush();
      if (!report) throw new Error("expected the report");
      record("BalanceReport", receipt.gasUsed, report, mode);
    },
  );

  it("stays within budget; the owner-fixed destination gas covers every execution", () => {
    console.info("LayerZero gas per step (transaction gasUsed)", Object.fromEntries(table));
    expect([...table.keys()].sort()).toEqual(["BalanceReport", "Lock", "Release", "Seize"]);
    for (const [type, gas] of table) {
      expect(gas.send, `${type} send`).toBeLessThan(300_000n);
      expect(gas.verifyAndCommit, `${type} verify+commit`).toBeGreaterThan(0n);
      expect(gas.verifyAndCommit, `${type} verify+commit`).toBeLessThan(200_000n);
      // Whole transactions (base cost, calldata, endpoint and executor overhead) stay under the budget
      // that lzReceive alone is given: the budget has room.
      for (const executed of [gas.execute302, gas.lzReceive]) {
        expect(executed, `${type} execution`).toBeGreaterThan(0n);
        expect(executed, `${type} execution`).toBeLessThan(DEFAULT_DESTINATION_GAS[type]);
      }
    }
  });

  it("verify+commit in one DVN.execute against verify and commit in two transactions", async () => {
    const delivery = f.delivery();
    const balanceReport = async (seq: bigint) => {
      const balance = await f.spokeA.vault.read.balanceOf([account, f.spokeA.usdc.address]);
      const message = encodeMessage({
        type: "BalanceReport",
        origin: SPOKE_A,
        destination: HUB,
        account,
        asset: f.spokeA.usdc.address,
        total: balance.total,
        locked: balance.locked,
        seq,
        lastCommandNonce: 6n,
      });
      return (await f.sendThroughGateway("spokeA", HUB, message)).sent;
    };

    const batched = await delivery.deliver(await balanceReport(2_000n));
    const [verifyAndCommit] = batched.steps;
    expect(batched.steps.map((step) => step.step)).toEqual(["verifyAndCommit", "execute"]);

    // The same packet shape on the same warm path, its request without the commit instruction.
    const sent = await balanceReport(2_001n);
    const { commit: _, ...verifyOnly } = await delivery.verificationRequest(sent);
    const signatures = await assembleSignatures(verifyOnly, await f.signatures(verifyOnly), {
      quorum: DVN_QUORUM,
      committee: dvnSigners.map((signer) => signer.address),
    });
    const verify = await delivery.submitVerification(sent, verifyOnly, signatures);
    const commit = await delivery.commit(sent);
    await delivery.execute(sent);
    expect([verify.step, commit.step]).toEqual(["verify", "commit"]);
    if (!verifyAndCommit) throw new Error("no verification step");

    const separate = verify.gasUsed + commit.gasUsed;
    console.info("LayerZero verify+commit (transaction gasUsed)", {
      batched: verifyAndCommit.gasUsed,
      separate: { verify: verify.gasUsed, commit: commit.gasUsed, total: separate },
      saved: separate - verifyAndCommit.gasUsed,
    });
    expect(verifyAndCommit.gasUsed).toBeLessThan(separate);
  });
});
