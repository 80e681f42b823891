// Tampered payload: other bytes presented under a genuine message's proof (its payload hash, its
// validators' checkpoint), or a different payload on each transport of a dual route. Honest signers
// refuse to sign, the endpoint / ISM refuses to execute, the dual router never applies, and the hub's
// books do not move until the genuine bytes arrive.
import { type Address, concat, keccak256, parseUnits, size, slice } from "viem";
import { describe, expect, it } from "vitest";
import { messageIdMultisigMetadata } from "../../relayer/transports/hyperlane/index.ts";
import { type SentPacket, withMessage } from "../../relayer/transports/layerzero/index.ts";
import { collateralVaultAbi } from "../../sdk/abi/index.ts";
import { encodeMessage } from "../../sdk/codec/index.ts";
import { deployDualWorld, summary } from "../transports/dual/fixture.ts";
import { deployHyperlaneRejectionWorld, expectTransportError } from "../transports/hyperlane/rejection-kit.ts";
import { THRESHOLD } from "../transports/hyperlane/setup.ts";
import { deployLayerZeroFixture } from "../transports/layerzero/fixture.ts";
import { HUB, layerZeroFailure, layerZeroRejectionKit } from "../transports/layerzero/rejection-kit.ts";

describe("tampered payload", () => {
  it("refuses a tampered LayerZero payload: honest signers do not sign it and the endpoint will not execute it", async () => {
    const f = await deployLayerZeroFixture();
    const kit = layerZeroRejectionKit(f);
    const { sent } = await f.sendThroughGateway("spokeA", HUB, kit.report({ locked: parseUnits("30", 6) }));
    const tampered: SentPacket = {
      ...sent,
      packet: withMessage(sent.packet, kit.report({ locked: parseUnits("9999", 6) })),
    };

    // Signer-side: the peers check the packet against their own node of spoke A and refuse.
    const delivery = f.delivery();
    await layerZeroFailure(() => delivery.deliver(tampered), "InsufficientSignatures");

    // Executor-side: the genuine packet is verified; executing it with other bytes does not match the hash.
    await kit.verifyAndCommit(sent);
    const direct = await layerZeroFailure(() => delivery.execute(tampered, "endpoint"), "ExecutionReverted");
    expect(direct.reason?.errorName).toBe("LZ_PayloadHashNotFound");
    const viaExecutor = await layerZeroFailure(() => delivery.execute(tampered, "executor"), "ExecutionAlert");
    expect(viaExecutor.reason?.errorName).toBe("LZ_PayloadHashNotFound");
    expect(await kit.countedOnSpokeA()).toBe(0n);

    expect((await delivery.deliver(sent)).status).toBe("delivered");
    expect(await kit.countedOnSpokeA()).toBe(parseUnits("30", 6));
  });

  it("refuses a tampered Hyperlane payload under the genuine message's validator signatures", async () => {
    const kit = await deployHyperlaneRejectionWorld();
    const dispatched = await kit.sendFromSpokeA(kit.report({ locked: 9_000_000n }));
    const { checkpoint, signatures } = await kit.signaturesFor(dispatched);
    // Raise the reported locked amount: the last bytes of a report are seq and lastCommandNonce, so
    // flip a byte of `locked` (the 32 bytes before those 16).
    const body = dispatched.message.body;
    const at = size(body) - 17;
    const flipped = (Number.parseInt(slice(body, at, at + 1).slice(2), 16) ^ 0xff).toString(16).padStart(2, "0");
    const tamperedBody = concat([slice(body, 0, at), `0x${flipped}`, slice(body, at + 1)]);
    const tampered = concat([slice(dispatched.raw, 0, size(dispatched.raw) - size(body)), tamperedBody]);
    expect(keccak256(tampered)).not.toBe(dispatched.id);
    await expectTransportError(
      kit.processOnHub(messageIdMultisigMetadata(checkpoint, signatures.slice(0, THRESHOLD)), tampered),
      "ProcessReverted",
      { reason: "!threshold" },
    );
    expect(await kit.isDelivered(dispatched.id)).toBe(false);
    expect(await kit.reportedOnSpokeA()).toBe(0n);
  });

  it("never applies a dual-mode report whose LayerZero and Hyperlane payloads differ", async () => {
    const world = await deployDualWorld();
    const spokeA = world.spokeRecord("spokeA");
    await world.deposit("spokeA", "5000");
    await world.relay.flush();
    const before = await world.countedCollateral();
    const vaultBalance = await world.chains.spokeA.publicClient.readContract({
      address: spokeA.contracts.vault,
      abi: collateralVaultAbi,
      functionName: "balanceOf",
      args: [world.trader, spokeA.tokens.USDC?.address as Address],
    });
    // Both claim the vault's next seq, so the engine would accept either one; only the amounts differ.
    const forged = (locked: string) =>
      encodeMessage({
        type: "BalanceReport",
        origin: BigInt(spokeA.chainId),
        destination: BigInt(world.protocol.hub.chainId),
        account: world.trader,
        asset: spokeA.tokens.USDC?.address as Address,
        total: parseUnits(locked, 6),
        locked: parseUnits(locked, 6),
        seq: BigInt(vaultBalance.seq + 1),
        lastCommandNonce: 0n,
      });
    const overLayerZero = forged("1000000");
    const overHyperlane = forged("2000000");
    await world.sendThroughGateway("spokeA", "layerzero", overLayerZero);
    await world.sendThroughGateway("spokeA", "hyperlane", overHyperlane);

    const relayed = await world.relay.flush();
    expect(summary(relayed)).toEqual([
      "layerzero spokeA→hub BalanceReport delivered",
      "hyperlane spokeA→hub BalanceReport delivered",
    ]);
    const receipts = await world.receiptsOf("hub", relayed);
    // Each transport's bytes wait under their own key, for a partner that never comes.
    const pending = world
      .routerEvents(receipts)
      .map((event) => (event.eventName === "DualDeliveryPending" ? event.args.deliveredVia : event.eventName));
    expect(pending).toEqual([1, 2]);
    expect(await world.hubRouterState(overLayerZero, spokeA.chainId)).toBe(1);
    expect(await world.hubRouterState(overHyperlane, spokeA.chainId)).toBe(2);
    expect(world.engineEvents(receipts)).toEqual([]);
    expect(await world.countedCollateral()).toEqual(before);

    // The vault's genuine next report (same seq) still applies over both transports.
    await world.deposit("spokeA", "1");
    await world.relay.flush();
    expect((await world.countedCollateral()).find((entry) => entry.chainId === spokeA.chainId)?.counted).toBe(
      parseUnits("5001", 6),
    );
  });
});
