import type { BaseLogger } from "pino";
import type { Address, Hex } from "viem";
import type { MessageTypeName } from "../../sdk/codec/index.ts";

/** The little the store logs (migrations applied, dropped connections): any pino or fastify logger fits. */
export type StoreLogger = Pick<BaseLogger, "info" | "warn">;

export const TRANSPORTS = ["layerzero", "hyperlane"] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** The life cycle, in order; `failed` is reached from any pending state by a permanent failure. */
export const MESSAGE_STATES = ["discovered", "signed", "verified", "delivered", "failed"] as const;
export type MessageState = (typeof MESSAGE_STATES)[number];

/** States with work left to do: the ones workers claim. */
export const PENDING_STATES = ["discovered", "signed", "verified"] as const;
export type PendingState = (typeof PENDING_STATES)[number];

/** A message is identified by its transport and the transport's id (LayerZero GUID, Hyperlane message id). */
export interface MessageKey {
  transport: Transport;
  messageId: Hex;
}

/** What a watcher knows about a message when it discovers it. */
export interface NewMessage extends MessageKey {
  originChainId: number;
  destinationChainId: number;
  sourceTxHash: Hex;
  blockNumber: bigint;
  logIndex: number;
  /** The transport's raw payload (LayerZero packet, Hyperlane message). */
  payload: Hex;
  /** The decoded xmargin message type; null when the payload did not decode (the message is then failed). */
  messageType: MessageTypeName | null;
}

export interface InsertOptions {
  /** When the message is first due for work (default: now). A backup deliverer leaves the primary time to act. */
  dueAt?: Date;
}

export interface StoredMessage extends NewMessage {
  state: MessageState;
  /** Consecutive failed attempts at the current state's step; a successful transition resets it. */
  attempts: number;
  /** Why the latest attempt at the current step failed, if it did. */
  lastError: string | null;
  /** When the message is next due for work; null once it is delivered or failed. */
  nextAttemptAt: Date | null;
  discoveredAt: Date;
  /** Last transition or recorded failure (claiming does not count: leases are bookkeeping). */
  updatedAt: Date;
  deliveredAt: Date | null;
  /**
   * The transaction that delivered the message: ours, or another's that the watcher saw deliver it; null when a
   * delivery attempt found it already delivered without seeing by which transaction.
   */
  deliveryTxHash: Hex | null;
  /** The worker holding the lease, if any; after `leaseExpiresAt` other workers may claim the message. */
  claimedBy: string | null;
  leaseExpiresAt: Date | null;
}

export interface ClaimOptions {
  states: readonly PendingState[];
  /** Most messages to lease at once. */
  limit: number;
  /** How long the lease keeps other workers off the messages. */
  leaseMs: number;
}

export interface AdvanceFields {
  /** The worker that claimed the message; the transition only happens while it still holds it. */
  workerId: string;
  /** Our delivery transaction, when moving to `delivered`. */
  deliveryTxHash?: Hex;
  /**
   * Record the step but keep working on the message: the worker keeps its lease (for intermediate states
   * reached within one attempt, e.g. signatures gathered on the way to delivery).
   */
  keepLease?: boolean;
}

export interface SignedFields {
  /** The worker that claimed the message; it moves to `signed` only while this worker still holds it. */
  workerId: string;
  /** Keep the lease after the move (the worker goes on to verify and deliver within the same attempt). */
  keepLease?: boolean;
}

/** What a watcher read of one stream (one lane) in a block range. */
export interface StreamRange {
  stream: string;
  /** Messages sent in the range (this chain as origin). */
  messages: readonly NewMessage[];
  /** Deliveries the range shows (this chain as destination). */
  deliveries: readonly SeenDelivery[];
}

/** One chain's block range, read by every stream up to `toBlock`. */
export interface BlockRange {
  chainId: number;
  toBlock: bigint;
  streams: readonly StreamRange[];
}

/** What recording a block range did to one stream, in the order of `BlockRange.streams`. */
export interface StreamRangeOutcome {
  /** Messages new to the store. */
  inserted: number;
  /** Pending messages the deliveries moved to `delivered`. */
  settled: number;
  /** False when the stream's cursor already stood at or past `toBlock`. */
  cursorMoved: boolean;
}

export interface FailureOptions {
  /** The worker that claimed the message; the failure is only recorded while it still holds it. */
  workerId: string;
  /** The message can never succeed (e.g. it does not decode): it moves to `failed`. */
  permanent?: boolean;
  /**
   * The message is not failing, only not ready yet (e.g. a peer operator is delivering it): it comes back at this
   * time instead of on the backoff, and its attempt count and last error stay as they are — otherwise a message
   * deferred many times would wait the longest backoff at its first real failure.
   */
  deferUntil?: Date;
}

/** A message's delivery as its destination chain shows it. */
export interface SeenDelivery extends MessageKey {
  deliveryTxHash: Hex;
}

export interface RecordedFailure {
  state: "failed" | PendingState;
  attempts: number;
  /** Null when the failure was permanent. */
  nextAttemptAt: Date | null;
}

export interface NewSignature {
  signer: Address;
  /** The 32-byte digest that was signed. */
  digest: Hex;
  signature: Hex;
}

export interface StoredSignature extends NewSignature {
  storedAt: Date;
}

export interface SignatureFilter {
  digest?: Hex;
  signer?: Address;
}

export interface ListMessagesQuery {
  state?: MessageState;
  transport?: Transport;
  origin?: number;
  destination?: number;
  type?: MessageTypeName;
  /** Page size, 1 to 1000. */
  limit: number;
  /** `nextCursor` of the previous page; absent for the first page. */
  cursor?: string;
}

export interface MessagePage {
  /** Newest first. */
  messages: StoredMessage[];
  /** Opaque; absent on the last page. */
  nextCursor?: string;
}

/**
 * The relayer's durable record of every message it discovered, the work it did on them, the signatures it
 * gathered and how far it read each chain. One implementation over SQLite and PostgreSQL.
 */
export interface MessageStore {
  readonly backend: "sqlite" | "postgres";

  /** Stores a newly discovered message as `discovered`, due now. False (and nothing changed) if already stored. */
  insertMessage(message: NewMessage, options?: InsertOptions): Promise<boolean>;
  /** Stores several in one transaction (all or none); returns how many were new. */
  insertMessages(messages: readonly NewMessage[], options?: InsertOptions): Promise<number>;
  getMessage(key: MessageKey): Promise<StoredMessage | undefined>;

  /**
   * Leases up to `limit` messages in `states` that are due and not leased by anyone (or whose lease expired),
   * oldest due first. No two workers ever hold the same message at once.
   */
  claimDue(workerId: string, options: ClaimOptions): Promise<StoredMessage[]>;
  /**
   * Moves a claimed message forward from `from` to `to` (a later state; stages may be skipped, e.g. when the
   * destination already has it) and releases the lease, leaving it due at once for the next step.
   * False when the message is not in `from` or the worker no longer holds it: someone else moved it.
   */
  advance(
    key: MessageKey,
    from: PendingState,
    to: Exclude<MessageState, "discovered" | "failed">,
    fields: AdvanceFields,
  ): Promise<boolean>;
  /**
   * Stores a quorum of signatures and, when the message is `discovered` (`from`) and the worker still holds it,
   * moves it to `signed` — one transaction, so a crash leaves both or neither. A message already past
   * `discovered` (`from` signed or verified: a retry that gathered signatures again) only gets the signatures,
   * which are kept whoever holds the message, as `saveSignature` keeps them. Returns whether the message moved.
   */
  recordSigned(
    key: MessageKey,
    from: PendingState,
    signatures: readonly NewSignature[],
    fields: SignedFields,
  ): Promise<boolean>;
  /**
   * Records deliveries seen on the destinations (their delivery events, whoever sent them): each stored message
   * still pending and not leased to a live worker becomes `delivered` with that transaction. A message a worker
   * holds is left to it, and keys not stored are ignored. Returns how many messages moved.
   */
  settleDelivered(deliveries: readonly SeenDelivery[]): Promise<number>;
  /**
   * Counts a failed attempt, keeps the error, releases the lease and schedules a retry with exponential backoff,
   * or moves the message to `failed` when the failure is permanent. Undefined when the worker no longer holds it.
   */
  recordFailure(key: MessageKey, error: unknown, options: FailureOptions): Promise<RecordedFailure | undefined>;
  /** Hands back every lease the worker holds (graceful shutdown); returns how many it held. */
  releaseLeases(workerId: string): Promise<number>;

  /**
   * Stores our own or a peer's signature of a message's digest. False if that signer's signature of that digest
   * is already stored.
   */
  saveSignature(key: MessageKey, signature: NewSignature): Promise<boolean>;
  /**
   * Stores several messages' signatures in one transaction, skipping those of messages it does not hold (where
   * `saveSignature` refuses). Returns how many were new.
   */
  keepSignatures(entries: readonly { key: MessageKey; signature: NewSignature }[]): Promise<number>;
  /** Signatures of a message, oldest first. */
  listSignatures(key: MessageKey, filter?: SignatureFilter): Promise<StoredSignature[]>;

  /** The last processed block of a chain's stream (e.g. one per watched contract). */
  getCursor(chainId: number, stream: string): Promise<bigint | undefined>;
  /** Moves the cursor forward; false (and unchanged) if `block` is not past it. */
  setCursor(chainId: number, stream: string, block: bigint): Promise<boolean>;
  /**
   * What a watcher read of one chain's block range, in one transaction: per stream, inserts its messages
   * (as `insertMessages`), settles its deliveries (as `settleDelivered`) and moves its cursor forward to
   * `toBlock` (as `setCursor`). A crash leaves the whole range recorded or none of it.
   */
  recordBlockRange(range: BlockRange, options?: InsertOptions): Promise<StreamRangeOutcome[]>;
  /** Sets the cursor even backwards, e.g. to re-read blocks after a reorg. */
  resetCursor(chainId: number, stream: string, block: bigint): Promise<void>;

  /** Newest first with keyset pagination, so pages stay consistent while messages arrive. */
  listMessages(query: ListMessagesQuery): Promise<MessagePage>;
  countByState(): Promise<Record<MessageState, number>>;
  /**
   * Age of the oldest message still in progress (discovered, signed or verified), for lag metrics. Failed
   * messages are no backlog (nothing will happen to them); `countByState` counts them.
   */
  oldestPendingAgeMs(): Promise<number | undefined>;

  /** Waits for running operations and closes the database; later calls fail with a `Closed` error. Idempotent. */
  close(): Promise<void>;
}
