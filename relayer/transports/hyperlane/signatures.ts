import { type Address, type Hex, isAddressEqual } from "viem";
import { type Checkpoint, recoverCheckpointSigner, type SignedCheckpoint } from "./checkpoint.ts";
import { HyperlaneTransportError } from "./errors.ts";
import type { HyperlaneValidator } from "./validator.ts";

/** The checkpoint signatures one message needs, as its destination ISM states them. */
export interface CheckpointRequest {
  origin: number;
  merkleTreeHook: Address;
  messageId: Hex;
  /** Index of the message in the origin tree (from its `InsertedIntoTree` event). */
  index: number;
  /** The ISM's validators, in the ISM's order. */
  validators: readonly Address[];
  threshold: number;
}

/**
 * Anything that returns validator signatures for a checkpoint: an operator's own validator key, or a
 * callback that asks the other operators (over HTTP in the relayer service). Signatures are data:
 * the collector verifies every one of them before using it.
 */
export type CheckpointSignatureSource = (request: CheckpointRequest) => Promise<readonly SignedCheckpoint[]>;

/** A source backed by a validator this process runs; it signs only messages of its own origin and tree. */
export function validatorSignatureSource(validator: HyperlaneValidator): CheckpointSignatureSource {
  return async (request) => {
    const serves =
      validator.origin === request.origin &&
      isAddressEqual(validator.merkleTreeHook, request.merkleTreeHook) &&
      request.validators.some((address) => isAddressEqual(address, validator.address));
    return serves ? [await validator.sign(request.messageId, { index: request.index })] : [];
  };
}

/** Exactly `threshold` signatures over one checkpoint, in the ISM's validator order. */
export interface Quorum {
  checkpoint: Checkpoint;
  signatures: Hex[];
  signers: Address[];
}

export interface RejectedSignature {
  validator: Address;
  reason: string;
}

/**
 * Picks a quorum among `candidates`: each must be over this message's checkpoint (origin, hook,
 * index, id), come from a validator of the set, and recover to that validator. Signatures over
 * different roots never mix, since the metadata carries one root.
 */
export async function selectQuorum(
  request: CheckpointRequest,
  candidates: readonly SignedCheckpoint[],
): Promise<{ quorum?: Quorum; rejected: RejectedSignature[] }> {
  const rejected: RejectedSignature[] = [];
  const byRoot = new Map<string, { checkpoint: Checkpoint; signatureByPosition: Map<number, Hex> }>();
  for (const candidate of candidates) {
    const { checkpoint, validator } = candidate;
    const reject = (reason: string) => rejected.push({ validator, reason });
    if (
      checkpoint.origin !== request.origin ||
      !isAddressEqual(checkpoint.merkleTreeHook, request.merkleTreeHook) ||
      checkpoint.index !== request.index ||
      checkpoint.messageId.toLowerCase() !== request.messageId.toLowerCase()
    ) {
      reject("signed checkpoint is not this message's (origin, merkle tree hook, index or message id differ)");
      continue;
    }
    const position = request.validators.findIndex((address) => isAddressEqual(address, validator));
    if (position < 0) {
      reject("not a validator of the ISM");
      continue;
    }
    const signer = await recoverCheckpointSigner(candidate);
    if (!signer || !isAddressEqual(signer, validator)) {
      reject(signer ? `signature recovers to ${signer}` : "malformed signature");
      continue;
    }
    const key = checkpoint.root.toLowerCase();
    const group = byRoot.get(key) ?? { checkpoint, signatureByPosition: new Map<number, Hex>() };
    byRoot.set(key, group);
    group.signatureByPosition.set(position, candidate.signature);
  }
  for (const { checkpoint, signatureByPosition } of byRoot.values()) {
    if (signatureByPosition.size < request.threshold) continue;
    const chosen = [...signatureByPosition.entries()]
      .sort(([left], [right]) => left - right)
      .slice(0, request.threshold);
    return {
      quorum: {
        checkpoint,
        signatures: chosen.map(([, signature]) => signature),
        signers: chosen.map(([position]) => request.validators[position] as Address),
      },
      rejected,
    };
  }
  return { rejected };
}

/**
 * Asks the sources in order (own validators first, then peers) until `threshold` valid signatures
 * over one checkpoint are in hand. A failing source does not stop the others; if no quorum forms,
 * the error lists every rejected signature and every failed source.
 */
export async function collectQuorum(
  request: CheckpointRequest,
  sources: readonly CheckpointSignatureSource[],
): Promise<Quorum> {
  const candidates: SignedCheckpoint[] = [];
  const sourceFailures: string[] = [];
  let rejected: RejectedSignature[] = [];
  for (const source of sources) {
    try {
      candidates.push(...(await source(request)));
    } catch (error) {
      sourceFailures.push(error instanceof Error ? error.message : String(error));
      continue;
    }
    const selection = await selectQuorum(request, candidates);
    if (selection.quorum) return selection.quorum;
    rejected = selection.rejected;
  }
  throw new HyperlaneTransportError(
    "QuorumNotReached",
    `message ${request.messageId}: fewer than ${request.threshold} valid validator signatures`,
    {
      details: {
        messageId: request.messageId,
        origin: request.origin,
        index: request.index,
        threshold: request.threshold,
        validators: request.validators,
        candidates: candidates.length,
        rejected,
        sourceFailures,
      },
    },
  );
}
