import { XmarginError } from "../../../sdk/errors.ts";

/**
 * What went wrong while watching, verifying or delivering Hyperlane messages:
 * - `MalformedMessage`: bytes that are not a Hyperlane message.
 * - `DispatchLogMismatch`: a `Dispatch` without its `DispatchId`, or with a different id.
 * - `MissingTreeInsertion`: a dispatched message the merkle tree hook did not insert.
 * - `MerkleTreeMismatch`: the locally kept tree disagrees with the hook (missed or reordered events), or a tree
 *   rebuilt from the logs for an evicted checkpoint disagrees with the one the hook confirmed.
 * - `CheckpointUnavailable`: a validator has not seen the message (yet) at the confirmed head.
 * - `QuorumNotReached`: fewer than `threshold` valid signatures over one checkpoint.
 * - `UnsupportedIsm`: the recipient's ISM is neither a routing nor a message-id multisig ISM.
 * - `UnknownDestination`: no destination client for the message's domain.
 * - `ProcessReverted`: `Mailbox.process` reverted (the decoded reason is in `details`).
 * - `NotDelivered`: `process` was mined but the Mailbox does not report the message delivered.
 * - `DeliveryFailed`: anything else that stopped a delivery (an RPC error, say); the cause is attached.
 */
export type HyperlaneTransportErrorKind =
  | "MalformedMessage"
  | "DispatchLogMismatch"
  | "MissingTreeInsertion"
  | "MerkleTreeMismatch"
  | "CheckpointUnavailable"
  | "QuorumNotReached"
  | "UnsupportedIsm"
  | "UnknownDestination"
  | "ProcessReverted"
  | "NotDelivered"
  | "DeliveryFailed";

export class HyperlaneTransportError extends XmarginError {
  override name = "HyperlaneTransportError";

  constructor(
    readonly kind: HyperlaneTransportErrorKind,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, { ...options, details: { kind, ...options.details } });
  }
}
