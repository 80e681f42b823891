import { type Address, type Hex, isAddressEqual, type PublicClient, TransactionReceiptNotFoundError } from "viem";
import type { DigestSigner } from "../../engine/signer.ts";
import { type SentPacket, sentPacketsFromLogs } from "./delivery.ts";
import { LayerZeroError } from "./errors.ts";
import { decodePacket } from "./packet.ts";
import {
  instructionsOf,
  type VerificationAnswer,
  type VerificationRequest,
  verificationRequest,
} from "./signatures.ts";

/** What a DVN signer trusts: its own node of the source chain, and the destination's contracts. */
export interface VerifierView {
  source: { chainId: number; publicClient: PublicClient; endpoint: Address };
  destination: { chainId: number; eid: number; dvn: Address; vid: number; receiveUln302: Address };
  /** The longest instruction lifetime this signer accepts, in seconds from now. */
  maxTtlSeconds?: number;
  /** How deep the packet must be on this signer's own node before it signs, whatever the request claims. */
  minConfirmations?: bigint;
  /** The destination chain's time, which the request's expiration is measured against (default: this machine's clock). */
  now?: () => bigint | Promise<bigint>;
  /**
   * The packet this signer's own watcher found sent under a GUID, if any. A request for exactly that packet
   * (same source chain, transaction and bytes) that needs no more confirmations than the watcher waited for
   * is answered from it without reading the source chain again; other bytes under that GUID are refused.
   */
  recordedPacket?: (guid: Hex) => Promise<RecordedSentPacket | undefined>;
}

/** A packet as this signer's watcher recorded it, from logs it read `confirmations` blocks behind the head. */
export interface RecordedSentPacket {
  sent: SentPacket;
  confirmations: bigint;
}

type Refusal = (why: string, details?: Record<string, unknown>) => LayerZeroError;

const DEFAULT_MAX_TTL_SECONDS = 3_600n;

/**
 * A signer's answer to another operator's request: sign only if the packet was really sent, as
 * requested, on its own view of the source chain (its watcher's record of the packet, or else its node),
 * has the confirmations it claims, and each instruction of the request is exactly the DVN instruction that
 * verifies (or commits) that packet at the expected destination. The answer holds one signature per
 * instruction, verify first.
 */
export async function answerVerificationRequest(
  signer: DigestSigner,
  request: VerificationRequest,
  view: VerifierView,
): Promise<VerificationAnswer> {
  const refuse: Refusal = (why, details = {}) =>
    new LayerZeroError("SignatureRequestRejected", `${signer.address} refuses to sign: ${why}`, {
      details: {
        signer: signer.address,
        sourceChainId: request.sourceChainId,
        destinationChainId: request.destinationChainId,
        transactionHash: request.transactionHash,
        ...details,
      },
    });
  const { source, destination } = view;
  if (request.sourceChainId !== source.chainId || request.destinationChainId !== destination.chainId) {
    throw refuse("request for another pair of chains");
  }
  if (!isAddressEqual(request.dvn, destination.dvn) || request.vid !== destination.vid) {
    throw refuse("not our DVN");
  }
  for (const [name, instruction] of instructionsOf(request)) {
    if (!isAddressEqual(instruction.target, destination.receiveUln302)) {
      throw refuse(`the ${name} instruction does not call our receive library`, { target: instruction.target });
    }
  }
  // The instruction attests what the destination requires; this signer's own policy may ask for a deeper
  // packet on its own node before it signs, which only delays its signature.
  const minConfirmations = view.minConfirmations ?? 1n;
  const required = request.confirmations > minConfirmations ? request.confirmations : minConfirmations;
  const now = (await view.now?.()) ?? BigInt(Math.floor(Date.now() / 1000));
  const maxTtl = BigInt(view.maxTtlSeconds ?? DEFAULT_MAX_TTL_SECONDS);
  if (request.expiration > now + maxTtl) throw refuse(`expiration ${request.expiration} is too far ahead`);

  const sent =
    (await recordedPacketToAnswerFrom(request, view, required, refuse)) ??
    (await sentPacketOnSourceNode(request, view.source, required, refuse));
  if (sent.packet.dstEid !== destination.eid) throw refuse(`the packet is for eid ${sent.packet.dstEid}`);

  const expected = verificationRequest(sent.packet, {
    sourceChainId: source.chainId,
    destinationChainId: destination.chainId,
    transactionHash: request.transactionHash,
    dvn: destination.dvn,
    vid: destination.vid,
    receiveUln302: destination.receiveUln302,
    confirmations: request.confirmations,
    expiration: request.expiration,
    commit: request.commit !== undefined,
  });
  for (const [name, instruction] of instructionsOf(expected)) {
    const requested = request[name];
    if (
      !requested ||
      !sameHex(instruction.callData, requested.callData) ||
      !sameHex(instruction.digest, requested.digest)
    ) {
      throw refuse(`the ${name} instruction is not the one for the packet that was sent`, {
        expectedDigest: instruction.digest,
      });
    }
  }
  return Promise.all(
    instructionsOf(expected).map(async ([, { digest }]) => ({
      signer: signer.address,
      digest,
      signature: await signer.signDigest(digest),
    })),
  );
}

/**
 * The packet this signer's watcher recorded, when it answers the request alone: undefined when none is
 * recorded under the GUID, it came from another transaction, or more confirmations are required than the
 * watcher waited for (the source node is asked then).
 */
async function recordedPacketToAnswerFrom(
  request: VerificationRequest,
  view: VerifierView,
  required: bigint,
  refuse: Refusal,
): Promise<SentPacket | undefined> {
  if (!view.recordedPacket) return undefined;
  let guid: Hex;
  try {
    guid = decodePacket(request.encodedPacket).guid;
  } catch (error) {
    if (error instanceof LayerZeroError && error.kind === "MalformedPacket") throw refuse(error.message);
    throw error;
  }
  const recorded = await view.recordedPacket(guid);
  if (!recorded) return undefined;
  const { sent } = recorded;
  // One GUID is one packet: other bytes under it contradict what this signer saw confirmed (a false request, or
  // a reorganisation deeper than its confirmations), and signing them would vouch for two packets at once.
  if (sent.sourceChainId !== view.source.chainId || !sameHex(sent.packet.encoded, request.encodedPacket)) {
    throw refuse(`the packet is not the one this signer saw sent under GUID ${guid}`, {
      recordedSourceChainId: sent.sourceChainId,
      recordedTransactionHash: sent.transactionHash,
    });
  }
  if (!sameHex(sent.transactionHash, request.transactionHash) || recorded.confirmations < required) return undefined;
  return sent;
}

/** The requested packet as the source node shows it now: sent in the request's transaction, `required` deep. */
async function sentPacketOnSourceNode(
  request: VerificationRequest,
  source: VerifierView["source"],
  required: bigint,
  refuse: Refusal,
): Promise<SentPacket> {
  let receipt: Awaited<ReturnType<PublicClient["getTransactionReceipt"]>>;
  let head: bigint;
  try {
    // The head is read alongside: the packet is deep in it by the time another operator asks.
    [receipt, head] = await Promise.all([
      source.publicClient.getTransactionReceipt({ hash: request.transactionHash }),
      source.publicClient.getBlockNumber({ cacheTime: 0 }),
    ]);
  } catch (error) {
    // Only "no such transaction" is a refusal; a node that fails is this signer's problem, not the request's,
    // and its message (which can carry the RPC URL) stays out of the answer.
    if (!(error instanceof TransactionReceiptNotFoundError)) throw error;
    throw refuse(`transaction ${request.transactionHash} not found on chain ${source.chainId}`);
  }
  if (receipt.status !== "success") throw refuse("the source transaction reverted");
  const sent = sentPacketsFromLogs(source.chainId, source.endpoint, receipt.logs).find((candidate) =>
    sameHex(candidate.packet.encoded, request.encodedPacket),
  );
  if (!sent) throw refuse("the source transaction sent no such packet");
  const confirmations = head - receipt.blockNumber + 1n;
  if (confirmations < required) {
    throw refuse(`the packet has ${confirmations} confirmations, ${required} required`);
  }
  return sent;
}

const sameHex = (a: Hex, b: Hex) => a.toLowerCase() === b.toLowerCase();
