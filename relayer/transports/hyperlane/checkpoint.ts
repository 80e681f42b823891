import { type Address, concat, encodePacked, type Hex, isAddressEqual, numberToHex, size, stringToHex } from "viem";
import { type DigestSigner, recoverDigestSigner } from "../../engine/signer.ts";
import { keccak256 } from "../keccak.ts";
import { HyperlaneTransportError } from "./errors.ts";
import { addressToBytes32 } from "./message.ts";

/**
 * What a validator attests for a message-id multisig ISM: message `messageId` sits at `index` of the
 * origin's merkle tree hook, whose root after inserting it is `root`.
 */
export interface Checkpoint {
  origin: number;
  merkleTreeHook: Address;
  root: Hex;
  index: number;
  messageId: Hex;
}

export interface SignedCheckpoint {
  checkpoint: Checkpoint;
  /** The validator that claims to have signed; checked against the recovered signer. */
  validator: Address;
  /** 65-byte EIP-191 signature over `checkpointDigest(checkpoint)`. */
  signature: Hex;
}

export const SIGNATURE_LENGTH = 65;

/** keccak256(abi.encodePacked(uint32 origin, bytes32 merkleTreeHook, "HYPERLANE")), as CheckpointLib.domainHash. */
/**
 * By origin and hook: a relayer signs and checks checkpoints of a handful of trees, each many times. Bounded, as
 * a peer's answer can name any tree.
 */
const domainHashes = new Map<string, Hex>();
const MAX_DOMAIN_HASHES = 64;

export function checkpointDomainHash(origin: number, merkleTreeHook: Address): Hex {
  const key = `${origin}:${merkleTreeHook.toLowerCase()}`;
  let hash = domainHashes.get(key);
  if (hash === undefined) {
    hash = keccak256(
      concat([numberToHex(origin, { size: 4 }), addressToBytes32(merkleTreeHook), stringToHex("HYPERLANE")]),
    );
    if (domainHashes.size >= MAX_DOMAIN_HASHES) domainHashes.clear();
    domainHashes.set(key, hash);
  }
  return hash;
}

/** The 32 bytes a validator signs as an EIP-191 message (CheckpointLib.digest before the EIP-191 prefix). */
export function checkpointDigest(checkpoint: Checkpoint): Hex {
  return keccak256(
    encodePacked(
      ["bytes32", "bytes32", "uint32", "bytes32"],
      [
        checkpointDomainHash(checkpoint.origin, checkpoint.merkleTreeHook),
        checkpoint.root,
        checkpoint.index,
        checkpoint.messageId,
      ],
    ),
  );
}

export async function signCheckpoint(signer: DigestSigner, checkpoint: Checkpoint): Promise<SignedCheckpoint> {
  return { checkpoint, validator: signer.address, signature: await signer.signDigest(checkpointDigest(checkpoint)) };
}

/** The address that produced `signature` over the checkpoint, or undefined for a malformed signature. */
export async function recoverCheckpointSigner(signed: SignedCheckpoint): Promise<Address | undefined> {
  if (size(signed.signature) !== SIGNATURE_LENGTH) return undefined;
  try {
    return await recoverDigestSigner(checkpointDigest(signed.checkpoint), signed.signature);
  } catch {
    return undefined;
  }
}

export async function isValidCheckpointSignature(signed: SignedCheckpoint): Promise<boolean> {
  const signer = await recoverCheckpointSigner(signed);
  return signer !== undefined && isAddressEqual(signer, signed.validator);
}

/**
 * `Mailbox.process` metadata for a message-id multisig ISM (MessageIdMultisigIsmMetadata):
 * merkleTreeHook b32 | root b32 | index u32 | signatures, 65 bytes each, in the ISM's validator order.
 */
export function messageIdMultisigMetadata(checkpoint: Checkpoint, signatures: readonly Hex[]): Hex {
  for (const signature of signatures) {
    if (size(signature) !== SIGNATURE_LENGTH) {
      throw new HyperlaneTransportError("QuorumNotReached", "a signature is not 65 bytes", {
        details: { signature, messageId: checkpoint.messageId },
      });
    }
  }
  return concat([
    addressToBytes32(checkpoint.merkleTreeHook),
    checkpoint.root,
    numberToHex(checkpoint.index, { size: 4 }),
    ...signatures,
  ]);
}
