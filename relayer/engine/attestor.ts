import type { Hex } from "viem";
import type { MessageKey, MessageStore, NewSignature } from "../storage/index.ts";
import { ChainClock } from "../transports/chain-clock.ts";
import { checkpointDigest, HyperlaneTransportError, type SignedCheckpoint } from "../transports/hyperlane/index.ts";
import {
  answerVerificationRequest,
  decodePacket,
  LayerZeroError,
  type VerificationAnswer,
  type VerificationRequest,
} from "../transports/layerzero/index.ts";
import type { HyperlaneLane } from "./hyperlane-lane.ts";
import { sentPacketOf } from "./layerzero-lane.ts";
import type { EngineNetwork } from "./network.ts";
import type { CheckpointRequestJson } from "./peers.ts";
import type { DigestSigner } from "./signer.ts";
import { watchedConfirmations } from "./watcher.ts";

/** A peer's request this operator will not sign, and why (the API answers 422 with the reason). */
export class AttestationRefusedError extends Error {
  override name = "AttestationRefusedError";
}

/**
 * This operator's answers to peer operators: it signs only what its own nodes show (the packet really
 * sent with the claimed confirmations, as its watcher stored it or else as the source node shows it; the
 * message really in the origin tree it rebuilt), and keeps a copy of every signature it gives in the store.
 */
export class Attestor {
  /** The destinations' time, which requested expirations are checked against. */
  private readonly clock = new ChainClock();
  /** Signatures given this turn of the event loop, written together at the next. */
  private pendingKeeps: { entries: { key: MessageKey; signature: NewSignature }[]; written: Promise<void> } | undefined;

  constructor(
    private readonly network: EngineNetwork,
    private readonly signer: DigestSigner,
    private readonly hyperlaneLane: HyperlaneLane,
    private readonly store: MessageStore,
  ) {}

  async layerZero(request: VerificationRequest): Promise<VerificationAnswer> {
    const source = this.network.byChainId(request.sourceChainId);
    const destination = this.network.byChainId(request.destinationChainId);
    if (!source || !destination) {
      throw new AttestationRefusedError(
        `chains ${request.sourceChainId} → ${request.destinationChainId} are not both in this operator's deployment`,
      );
    }
    let answer: VerificationAnswer;
    try {
      answer = await answerVerificationRequest(this.signer, request, {
        source: {
          chainId: source.chainId,
          publicClient: source.publicClient,
          endpoint: source.record.layerZero.endpoint,
        },
        destination: {
          chainId: destination.chainId,
          eid: destination.record.layerZero.eid,
          dvn: destination.record.layerZero.dvn,
          vid: destination.record.layerZero.dvnConfig.vid,
          receiveUln302: destination.record.layerZero.receiveUln302,
        },
        minConfirmations: BigInt(source.config.confirmations),
        now: () => this.clock.now(destination.chainId, destination.publicClient),
        // The watcher stored the packet from logs it read this deep: under load peers ask for packets it has
        // already seen, and answering from the store spares the source node a receipt and a head read each.
        recordedPacket: async (guid) => {
          const message = await this.store.getMessage({ transport: "layerzero", messageId: guid });
          return message && { sent: sentPacketOf(message), confirmations: watchedConfirmations(source) };
        },
      });
    } catch (error) {
      if (error instanceof LayerZeroError && error.kind === "SignatureRequestRejected") {
        // A refusal may come from a stale reading of a clock that jumped: the next request reads it again.
        this.clock.forget(destination.chainId);
        throw new AttestationRefusedError(error.message);
      }
      throw error;
    }
    const messageId = decodePacket(request.encodedPacket).guid;
    await Promise.all(answer.map((signature) => this.keep("layerzero", messageId, signature)));
    return answer;
  }

  async hyperlane(request: CheckpointRequestJson): Promise<SignedCheckpoint> {
    const validator = this.hyperlaneLane.servesOrigin(request);
    if (!validator) {
      throw new AttestationRefusedError(
        `this operator validates no tree ${request.merkleTreeHook} on domain ${request.origin}`,
      );
    }
    let signed: SignedCheckpoint;
    try {
      // Only a message this operator's watcher stored may be rebuilt from the origin's logs.
      signed = await validator.sign(request.messageId, {
        mayRebuild: async () =>
          (await this.store.getMessage({ transport: "hyperlane", messageId: request.messageId })) !== undefined,
      });
    } catch (error) {
      if (error instanceof HyperlaneTransportError && error.kind === "CheckpointUnavailable") {
        throw new AttestationRefusedError(error.message);
      }
      throw error;
    }
    await this.keep("hyperlane", request.messageId, {
      signer: signed.validator,
      digest: checkpointDigest(signed.checkpoint),
      signature: signed.signature,
    });
    return signed;
  }

  /**
   * Stored when this operator's watcher knows the message; a signature for one it has not seen yet is not kept.
   * The signatures given within one turn of the event loop (a peer's batch request answers up to 64) are
   * written in one store transaction: one commit instead of one per signature.
   */
  private keep(transport: "layerzero" | "hyperlane", messageId: Hex, signature: NewSignature): Promise<void> {
    if (!this.pendingKeeps) {
      const entries: { key: MessageKey; signature: NewSignature }[] = [];
      const written = new Promise<void>((resolve, reject) => {
        setImmediate(() => {
          this.pendingKeeps = undefined;
          // In key order: two instances of one operator sharing a PostgreSQL schema then lock rows in the same
          // order and cannot deadlock each other.
          entries.sort((a, b) => compareKeys(a.key, b.key));
          Promise.resolve()
            .then(() => this.store.keepSignatures(entries))
            .then(() => resolve(), reject);
        });
      });
      this.pendingKeeps = { entries, written };
    }
    this.pendingKeeps.entries.push({ key: { transport, messageId }, signature });
    return this.pendingKeeps.written;
  }
}

const compareKeys = (a: MessageKey, b: MessageKey): number => {
  const [left, right] = [`${a.transport}:${a.messageId.toLowerCase()}`, `${b.transport}:${b.messageId.toLowerCase()}`];
  return left < right ? -1 : left > right ? 1 : 0;
};
