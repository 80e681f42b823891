import {
  type Address,
  concat,
  encodeFunctionData,
  encodePacked,
  getAddress,
  type Hex,
  hexToBigInt,
  isAddressEqual,
} from "viem";
import { type DigestSigner, recoverDigestSigner } from "../../engine/signer.ts";
import { keccak256 } from "../keccak.ts";
import { receiveUln302Abi } from "./abi.ts";
import { LayerZeroError } from "./errors.ts";
import type { Packet } from "./packet.ts";

/** One call the DVN makes on the destination chain once a quorum of its signers signed `digest`. */
export interface DvnInstruction {
  /** The destination's ReceiveUln302 (both instructions call it). */
  target: Address;
  callData: Hex;
  /** keccak256(vid ‖ target ‖ expiration ‖ callData): each signer signs it as an EIP-191 message. */
  digest: Hex;
}

/**
 * The DVN instructions to sign for one packet: `ReceiveUln302.verify(header, payloadHash, confirmations)`
 * and, when this DVN's verification completes the quorum the destination requires,
 * `ReceiveUln302.commitVerification(header, payloadHash)`, executed in the same `DVN.execute`. Every
 * signer must derive the same instructions, so the request carries them, plus where the packet was
 * sent, for signers to check it on their own node.
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
  confirmations: bigint;
  /** Unix seconds after which the DVN ignores the instructions. */
  expiration: bigint;
  verify: DvnInstruction;
  commit?: DvnInstruction;
}

/** An instruction of a request, by the request field that holds it. */
export type DvnInstructionName = "verify" | "commit";

/**
 * A signature of one instruction's digest by one DVN signer. A signer's answer to a request is a list
 * of them, one per instruction of the request.
 */
export interface DvnSignature {
  signer: Address;
  digest: Hex;
  signature: Hex;
}

/** One signer's signatures of a request, one per instruction, verify first. */
export type VerificationAnswer = readonly DvnSignature[];

/** Where a deliverer gets signatures for a request: its own keys, its peers, or both. */
export type SignatureSource = (request: VerificationRequest) => Promise<readonly DvnSignature[]>;

/**
 * Asks other operators for their signatures (the relayer service does it over HTTP). `wanted` is how
 * many more signers are needed (each answering with one signature per instruction); answering with
 * more or fewer is allowed, invalid ones are discarded.
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
  /** Whether to add the `commitVerification` instruction (this DVN's verification completes the quorum). */
  commit: boolean;
}

/** Builds the DVN instructions that verify `packet` at the destination's receive library, and commit it. */
export function verificationRequest(packet: Packet, target: VerificationTarget): VerificationRequest {
  const instruction = (callData: Hex): DvnInstruction => ({
    target: target.receiveUln302,
    callData,
    digest: dvnInstructionDigest(target.vid, target.receiveUln302, target.expiration, callData),
  });
  const verify = instruction(
    encodeFunctionData({
      abi: receiveUln302Abi,
      functionName: "verify",
      args: [packet.header, packet.payloadHash, target.confirmations],
    }),
  );
  const commit = target.commit
    ? instruction(
        encodeFunctionData({
          abi: receiveUln302Abi,
          functionName: "commitVerification",
          args: [packet.header, packet.payloadHash],
        }),
      )
    : undefined;
  return {
    sourceChainId: target.sourceChainId,
    destinationChainId: target.destinationChainId,
    transactionHash: target.transactionHash,
    encodedPacket: packet.encoded,
    dvn: target.dvn,
    vid: target.vid,
    confirmations: target.confirmations,
    expiration: target.expiration,
    verify,
    ...(commit ? { commit } : {}),
  };
}

/** The request's instructions by name, in execution order. */
export const instructionsOf = (request: VerificationRequest): [DvnInstructionName, DvnInstruction][] =>
  request.commit
    ? [
        ["verify", request.verify],
        ["commit", request.commit],
      ]
    : [["verify", request.verify]];

/** Signs with keys this process holds: every instruction of the request, with every key. */
export function localSignatures(signers: readonly DigestSigner[]): SignatureSource {
  return async (request) =>
    Promise.all(
      signers.flatMap((signer) =>
        instructionsOf(request).map(async ([, { digest }]) => ({
          signer: signer.address,
          digest,
          signature: await signer.signDigest(digest),
        })),
      ),
    );
}

/** Local keys first; peers are asked only for the signers still missing to reach `quorum`. */
export function signaturesFromLocalAndPeers(options: {
  local: readonly DigestSigner[];
  peers?: PeerSignatureRequester;
  quorum: number;
}): SignatureSource {
  const local = localSignatures(options.local);
  return async (request) => {
    const own = await local(request);
    const missing = options.quorum - new Set(options.local.map((signer) => signer.address.toLowerCase())).size;
    if (missing <= 0 || !options.peers) return own;
    return [...own, ...(await options.peers(request, missing))];
  };
}

export interface QuorumOptions {
  /** The DVN's signer set: signatures by anyone else are discarded. */
  committee: readonly Address[];
  quorum: number;
}

/** Per instruction, the quorum's signatures as `DVN.execute` takes them (65 bytes each, concatenated). */
export interface QuorumSignatures {
  verify: Hex;
  /** Absent when the request has no commit instruction or fewer than a quorum signed it. */
  commit?: Hex;
}

/**
 * Per instruction, keeps the valid signatures (each of the instruction's digest, recovering to its
 * claimed signer, a committee member, once), takes exactly `quorum` of them and concatenates them in
 * ascending signer order, as `MultiSig` requires. The verify instruction must reach the quorum; a
 * commit instruction that does not is left out (the deliverer then commits in its own transaction).
 */
export async function assembleSignatures(
  request: VerificationRequest,
  signatures: readonly DvnSignature[],
  options: QuorumOptions,
): Promise<QuorumSignatures> {
  const verify = await validSignatures(request.verify.digest, signatures, options.committee);
  if (verify.length < options.quorum) {
    throw new LayerZeroError(
      "InsufficientSignatures",
      `${verify.length} valid DVN signature(s) of the verify instruction, ${options.quorum} required (${signatures.length} offered)`,
      {
        details: {
          sourceChainId: request.sourceChainId,
          destinationChainId: request.destinationChainId,
          transactionHash: request.transactionHash,
          valid: verify.map((signature) => signature.signer),
          offered: signatures.map((signature) => signature.signer),
        },
      },
    );
  }
  const commit = request.commit ? await validSignatures(request.commit.digest, signatures, options.committee) : [];
  return {
    verify: quorumOf(verify, options.quorum),
    ...(commit.length >= options.quorum ? { commit: quorumOf(commit, options.quorum) } : {}),
  };
}

async function validSignatures(
  digest: Hex,
  signatures: readonly DvnSignature[],
  committee: readonly Address[],
): Promise<DvnSignature[]> {
  const valid = new Map<string, DvnSignature>();
  for (const candidate of signatures) {
    const key = candidate.signer.toLowerCase();
    if (valid.has(key) || candidate.digest.toLowerCase() !== digest.toLowerCase()) continue;
    if (!committee.some((member) => isAddressEqual(member, candidate.signer))) continue;
    let recovered: Address;
    try {
      recovered = await recoverDigestSigner(digest, candidate.signature);
    } catch {
      continue;
    }
    if (isAddressEqual(recovered, candidate.signer)) {
      valid.set(key, { signer: getAddress(recovered), digest, signature: candidate.signature });
    }
  }
  return [...valid.values()];
}

const quorumOf = (valid: readonly DvnSignature[], quorum: number): Hex =>
  concat(
    valid
      .toSorted((a, b) => (hexToBigInt(a.signer) < hexToBigInt(b.signer) ? -1 : 1))
      .slice(0, quorum)
      .map((signature) => signature.signature),
  );
