import {
  type MessageStore,
  type NewSignature,
  PENDING_STATES,
  type PendingState,
  type StoredMessage,
  type Transport,
} from "../storage/index.ts";
import { DeliveryDeferred, type DeliveryProgress, type DeliveryResult, type Lane } from "./lane.ts";
import { WakeablePause } from "./pause.ts";

export interface WorkerEvents {
  onDelivered?(message: StoredMessage, result: DeliveryResult): void;
  /** An attempt failed; `permanent` messages are never tried again. */
  onFailed?(message: StoredMessage, error: Error, outcome: { attempts: number; permanent: boolean }): void;
  /** Claiming or recording failed (the store is unreachable, say); the loop pauses and goes on. */
  onRoundError?(error: Error): void;
}

export interface DeliveryWorkerOptions {
  store: MessageStore;
  lanes: readonly Lane[];
  /** Unique per process: leases are held in its name. */
  workerId: string;
  batchSize: number;
  leaseMs: number;
  idleMs: number;
  /**
   * Deliveries in flight per destination chain (default 1). Above 1 the account's transactions are
   * pipelined through its nonce manager; messages of one chain may then land out of discovery order,
   * which the protocol accepts (reports carry seq, commands are applied in cmdNonce order on the spoke),
   * and a LayerZero packet's execution waits, in its lane, until its path's earlier nonces are verified.
   */
  concurrencyPerChain?: number;
  /**
   * Asked before each delivery: a number of milliseconds leaves the message to someone else for that
   * long (a backup operator while a peer is delivering); undefined delivers.
   */
  standBy?: (message: StoredMessage) => Promise<number | undefined>;
  events?: WorkerEvents;
}

/** A claimed message waiting for its chain to have room. */
interface Queued {
  message: StoredMessage;
  /** Resolves once the message was worked on, or left (lease gone, shutting down). */
  settle(): void;
  settled: Promise<void>;
}

/**
 * Claims due messages from the store and carries each to its destination through its lane, recording
 * every step (signed, verified, delivered) or the failure with a retry time. Messages to one chain go
 * `concurrencyPerChain` at a time (one account, one nonce sequence per chain); chains proceed in parallel.
 * Claiming never waits for a batch to finish: whenever fewer than `batchSize` claimed messages wait for
 * room, more are claimed, so a message found while others are in flight starts as soon as a slot frees.
 */
export class DeliveryWorker {
  private readonly lanes: ReadonlyMap<Transport, Lane>;
  private readonly waiting = new Map<number, Queued[]>();
  private readonly inFlightPerChain = new Map<number, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private running: Promise<void> | undefined;
  private stopping = false;
  private wake = new AbortController();
  /** Woken when work arrives (stored messages, a freed slot): the idle pause ends early. */
  private readonly idle = new WakeablePause();

  constructor(private readonly options: DeliveryWorkerOptions) {
    this.lanes = new Map(options.lanes.map((lane) => [lane.transport, lane]));
  }

  /** Claims one batch and works through it; returns how many messages it claimed. */
  async round(): Promise<number> {
    const claimed = await this.claim(this.options.batchSize);
    await Promise.all(claimed.map((queued) => queued.settled));
    return claimed.length;
  }

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.wake = new AbortController();
    this.running = this.loop();
  }

  /** New work arrived (the watcher stored messages): end the idle pause now instead of at its end. */
  wakeUp(): void {
    this.idle.wake();
  }

  /** Finishes the messages in progress, leaves the claimed ones not started yet, and stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake.abort();
    await this.running;
    await Promise.all(this.inFlight);
    for (const queue of this.waiting.values()) for (const queued of queue.splice(0)) queued.settle();
    this.running = undefined;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      // Armed before claiming: work that arrives while the claim runs ends the pause that follows it.
      this.idle.arm();
      const room = this.options.batchSize - this.waitingCount();
      let claimed = 0;
      if (room > 0) {
        try {
          claimed = (await this.claim(room)).length;
        } catch (error) {
          this.options.events?.onRoundError?.(asError(error));
        }
      }
      if (claimed === 0 && !this.stopping) {
        // Until the pause ends, new work is stored (wakeUp) or a delivery frees a slot.
        await this.idle.sleep(this.options.idleMs, this.wake.signal);
      }
    }
  }

  private async claim(limit: number): Promise<Queued[]> {
    const { store, workerId, leaseMs } = this.options;
    const claimed = await store.claimDue(workerId, { states: PENDING_STATES, limit, leaseMs });
    const queued = claimed.map((message): Queued => {
      let settle: () => void = () => {};
      const settled = new Promise<void>((resolve) => {
        settle = resolve;
      });
      return { message, settle, settled };
    });
    for (const entry of queued) {
      const queue = this.waiting.get(entry.message.destinationChainId) ?? [];
      queue.push(entry);
      this.waiting.set(entry.message.destinationChainId, queue);
    }
    this.startWhatFits();
    return queued;
  }

  /** Starts waiting messages, oldest first, while their chain has a free slot. */
  private startWhatFits(): void {
    const perChain = this.options.concurrencyPerChain ?? 1;
    for (const [chainId, queue] of this.waiting) {
      while ((this.inFlightPerChain.get(chainId) ?? 0) < perChain && !this.stopping) {
        const queued = queue.shift();
        if (!queued) break;
        const { message } = queued;
        // Past its lease another instance sharing the store may hold it: leave it to that one.
        if (message.leaseExpiresAt && message.leaseExpiresAt.getTime() <= Date.now()) {
          queued.settle();
          continue;
        }
        this.inFlightPerChain.set(chainId, (this.inFlightPerChain.get(chainId) ?? 0) + 1);
        const working: Promise<void> = this.work(message)
          .catch((error: unknown) => this.options.events?.onRoundError?.(asError(error)))
          .finally(() => {
            this.inFlightPerChain.set(chainId, (this.inFlightPerChain.get(chainId) ?? 1) - 1);
            this.inFlight.delete(working);
            queued.settle();
            this.startWhatFits();
            this.idle.wake();
          });
        this.inFlight.add(working);
      }
    }
  }

  private waitingCount(): number {
    let count = 0;
    for (const queue of this.waiting.values()) count += queue.length;
    return count;
  }

  private async work(message: StoredMessage): Promise<void> {
    const { store, workerId, events } = this.options;
    const key = { transport: message.transport, messageId: message.messageId };
    let state: PendingState = message.state as PendingState;
    const fail = async (error: Error, permanent: boolean) => {
      const deferUntil = error instanceof DeliveryDeferred ? new Date(Date.now() + error.retryAfterMs) : undefined;
      const recorded = await store.recordFailure(key, error, {
        workerId,
        permanent,
        ...(deferUntil ? { deferUntil } : {}),
      });
      if (recorded) events?.onFailed?.(message, error, { attempts: recorded.attempts, permanent });
    };
    const lane = this.lanes.get(message.transport);
    if (message.messageType === null) {
      return fail(new Error("the payload is not an xmargin message: nothing to deliver"), true);
    }
    if (!lane) return fail(new Error(`no ${message.transport} lane in this engine`), false);

    const progress: DeliveryProgress = {
      async signed(signatures: readonly NewSignature[]) {
        if (await store.recordSigned(key, state, signatures, { workerId, keepLease: true })) state = "signed";
      },
      async verified() {
        if (state === "verified") return;
        if (await store.advance(key, state, "verified", { workerId, keepLease: true })) state = "verified";
      },
    };
    let result: DeliveryResult;
    try {
      const standByMs = await this.options.standBy?.(message);
      if (standByMs === undefined) {
        result = await lane.deliver(message, progress);
      } else if (await lane.isDelivered(message)) {
        // A backup looks before it waits again: what the peer delivered is settled at the first look, not
        // claimed and deferred every `standByMs` until its stand-by window ends.
        result = { status: "alreadyDelivered", gas: [] };
      } else {
        throw new DeliveryDeferred("left to a peer operator that is delivering (this instance is a backup)", standByMs);
      }
    } catch (error) {
      return fail(asError(error), false);
    }
    const moved = await store.advance(key, state, "delivered", {
      workerId,
      ...(result.transactionHash ? { deliveryTxHash: result.transactionHash } : {}),
    });
    if (moved) events?.onDelivered?.(message, result);
  }
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
