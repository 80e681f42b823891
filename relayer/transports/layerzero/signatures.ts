import {
  type Address,
  concat,
  encodeFunctionData,
  encodePacked,
  getAddress,
  type Hex,
  hexToBigInt,
  isAddressEqual,
  keccak256,
  recoverMessageAddress,
} from "viem";
import type { DigestSigner } from "../../engine/signer.ts";
import { receiveUln302Abi } from "./abi.ts";
import { LayerZeroError } from "./errors.ts";
import type { Packet } from "./packet.ts";

/**
 * One DVN instruction to sign: "call `ReceiveUln302.verify(header, payloadHash, confirmations)` on
 * the destination chain". Every signer must derive the same `callData` and `expiration`, so the
 * request carries both, plus where the packet was sent, for signers to check it on their own node.
 */
export interface VerificationRequest {
  sourceChainId: number;
  destinationChainId: number;
  /** The transaction that emitted `PacketSent`, and the encoded packet it carried. */
  transactionHash: Hex;
  encodedPacket: Hex;
  /** The DVN on the destination chain and its verifier id. */
  dvn: Address;
  vid: number;
  /** The destination's ReceiveUln302: the target of the DVN call. */
  target: Address;
  confirmations: bigint;
  callData: Hex;
  /** Unix seconds after which the DVN ignores the instruction. */
  expiration: bigint;
  /** keccak256(vid ‖ target ‖ expiration ‖ callData): each signer signs it as an EIP-191 message. */
  digest: Hex;
}

/** A signature of a request's digest by one DVN signer. */
export interface DvnSignature {
  signer: Address;
  signature: Hex;
}

/** Where a deliverer gets signatures for a request: its own keys, its peers, or both. */
export type SignatureSource = (request: VerificationRequest) => Promise<readonly DvnSignature[]>;

/**
 * Asks other operators for their signatures (the relayer service does it over HTTP). `wanted` is how
 * many more are needed; answering with more or fewer is allowed, invalid ones are discarded.
 */
export type PeerSignatureRequester = (request: VerificationRequest, wanted: number) => Promise<readonly DvnSignature[]>;

/** `DVN.hashCallData`: keccak256(abi.encodePacked(vid, target, expiration, callData)). */
export const dvnInstructionDigest = (vid: number, target: Address, expiration: bigint, callData: Hex): Hex =>
  keccak256(encodePacked(["uint32", "address", "uint256", "bytes"], [vid, target, expiration, callData]));

export interface VerificationTarget {
  sourceChainId: number;
  destinationChainId: number;
  transactionHash: Hex;
  dvn: Address;
  vid: number;
  receiveUln302: Address;
  confirmations: bigint;
  expiration: bigint;
}

/** Builds the DVN instruction that verifies `packet` at the destination's receive library. */
export function verificationRequest(packet: Packet, target: VerificationTarget): VerificationRequest {
  const callData = encodeFunctionData({
    abi: receiveUln302Abi,
    functionName: "verify",
    args: [packet.header, packet.payloadHash, target.confirmations],
  });
  return {
    sourceChainId: target.sourceChainId,
    destinationChainId: target.destinationChainId,
    transactionHash: target.transactionHash,
    encodedPacket: packet.encoded,
    dvn: target.dvn,
    vid: target.vid,
    target: target.receiveUln302,
    confirmations: target.confirmations,
    callData,
    expiration: target.expiration,
    digest: dvnInstructionDigest(target.vid, target.receiveUln302, target.expiration, callData),
  };
}

/** Signs with keys this process holds. */
export function localSignatures(signers: readonly DigestSigner[]): SignatureSource {
  return async (request) =>
    Promise.all(
      signers.map(async (signer) => ({ signer: signer.address, signature: await signer.signDigest(request.digest) })),
    );
}

/** Local keys first; peers are asked only for what is still missing to reach `quorum`. */
export function signaturesFromLocalAndPeers(options: {
  local: readonly DigestSigner[];
  peers?: PeerSignatureRequester;
  quorum: number;
}): SignatureSource {
  const local = localSignatures(options.local);
  return async (request) => {
    const own = await local(request);
    const missing = options.quorum - own.length;
    if (missing <= 0 || !options.peers) return own;
    return [...own, ...(await options.peers(request, missing))];
  };
}

export interface QuorumOptions {
  /** The DVN's signer set: signatures by anyone else are discarded. */
  committee: readonly Address[];
  quorum: number;
}

/**
 * Keeps the valid signatures (each recovers to its claimed signer, a committee member, once), takes
 * exactly `quorum` of them and concatenates them in ascending signer order, as `MultiSig` requires.
 */
export async function assembleSignatures(
  request: VerificationRequest,
  signatures: readonly DvnSignature[],
  options: QuorumOptions,
): Promise<Hex> {
  const valid = new Map<string, DvnSignature>();
  for (const candidate of signatures) {
    const key = candidate.signer.toLowerCase();
    if (valid.has(key)) continue;
    if (!options.committee.some((member) => isAddressEqual(member, candidate.signer))) continue;
    let recovered: Address;
    try {
      recovered = await recoverMessageAddress({ message: { raw: request.digest }, signature: candidate.signature });
    } catch {
      continue;
    }
    if (isAddressEqual(recovered, candidate.signer))
      valid.set(key, { signer: getAddress(recovered), signature: candidate.signature });
  }
  if (valid.size < options.quorum) {
    throw new LayerZeroError(
      "InsufficientSignatures",
      `${valid.size} valid DVN signature(s) of the ${options.quorum} required (${signatures.length} offered)`,
      {
        details: {
          sourceChainId: request.sourceChainId,
          destinationChainId: request.destinationChainId,
          transactionHash: request.transactionHash,
          valid: [...valid.values()].map((signature) => signature.signer),
          offered: signatures.map((signature) => signature.signer),
        },
      },
    );
  }
  const chosen = [...valid.values()]
    .sort((a, b) => (hexToBigInt(a.signer) < hexToBigInt(b.signer) ? -1 : 1))
    .slice(0, options.quorum);
  return concat(chosen.map((signature) => signature.signature));
}
