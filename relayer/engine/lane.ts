import type { AbiEvent, Address, Hex, Log } from "viem";
import { decodeMessage, type MessageTypeName } from "../../sdk/codec/index.ts";
import type { NewMessage, NewSignature, SeenDelivery, StoredMessage, Transport } from "../storage/index.ts";
import type { EngineChain } from "./network.ts";

/** What a lane reports while it delivers, so the store follows the message through its states. */
export interface DeliveryProgress {
  /** A quorum of signatures is in hand (ours and the peers'): stored, and the message moves to `signed`. */
  signed(signatures: readonly NewSignature[]): Promise<void>;
  /** The destination accepted the verification (LayerZero: committed at the endpoint): `verified`. */
  verified(): Promise<void>;
}

export interface DeliveryStepGas {
  step: string;
  chain: string;
  gasUsed: bigint;
}

export interface DeliveryResult {
  /** `alreadyDelivered`: someone else (a peer operator, an earlier attempt) had finished it. */
  status: "delivered" | "alreadyDelivered";
  /** The transaction that handed the message to its recipient, when this instance sent it. */
  transactionHash?: Hex;
  /** Every transaction this attempt sent. */
  gas: DeliveryStepGas[];
}

/**
 * One transport's part of the engine: find its messages in a block range of a chain (the watcher
 * stores them) and carry a stored message to its destination (the worker calls it).
 */
export interface Lane {
  readonly transport: Transport;
  /** The first block worth reading on a chain (where the transport's contracts were deployed). */
  startBlock(chain: EngineChain): bigint;
  /** The contracts and events its messages show in on `chain`: the watcher reads every lane's in one query. */
  logSources(chain: EngineChain): LogSources;
  /**
   * This protocol's messages sent in `fromBlock`..`toBlock` on `chain`, to chains this operator serves,
   * among `logs`: every log of the lane's sources in that range, in chain order (other logs may be there).
   */
  discover(chain: EngineChain, fromBlock: bigint, toBlock: bigint, logs: readonly Log[]): Promise<NewMessage[]>;
  /**
   * This transport's messages delivered on `chain` among `logs` (the same logs `discover` reads), by whoever sent
   * the delivery: the watcher settles them in the store, so an operator learns of a peer's deliveries from the
   * chain instead of asking the destination message by message.
   */
  deliveredOn(chain: EngineChain, logs: readonly Log[]): SeenDelivery[];
  deliver(message: StoredMessage, progress: DeliveryProgress): Promise<DeliveryResult>;
  /** Whether the message has reached its recipient already (whoever delivered it): one read of the destination. */
  isDelivered(message: StoredMessage): Promise<boolean>;
}

export interface LogSources {
  addresses: readonly Address[];
  events: readonly AbiEvent[];
}

/** Reads the logs the watcher reads, after the lanes: one more consumer of the same query (its sources added). */
export interface LogObserver {
  logSources(chain: EngineChain): LogSources;
  observe(chain: EngineChain, logs: readonly Log[]): void;
}

/**
 * The message cannot go yet for a reason that clears on its own soon (e.g. LayerZero: an earlier nonce of
 * its path is not verified yet): retried after `retryAfterMs` rather than on the growing backoff.
 */
export class DeliveryDeferred extends Error {
  override name = "DeliveryDeferred";
  constructor(
    message: string,
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Whether nothing can have moved the message on since this instance stored it: in its first state, never tried,
 * never deferred. A lane then does not ask the destination for its status first — a peer's delivery shows in the
 * watcher's settling instead, and a step that finds the message further along is recognised by its failure, at
 * the cost of one wasted transaction in that rare case.
 */
export function isFirstAttempt(message: StoredMessage): boolean {
  return message.state === "discovered" && message.attempts === 0 && message.lastError === null;
}

/** The xmargin message type of a payload, or null for bytes that are not one (they are stored, then failed). */
export function xmarginMessageType(payload: Hex): MessageTypeName | null {
  try {
    return decodeMessage(payload).type;
  } catch {
    return null;
  }
}
