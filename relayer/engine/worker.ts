import { setTimeout as delay } from "node:timers/promises";
import {
  type MessageStore,
  type NewSignature,
  PENDING_STATES,
  type PendingState,
  type StoredMessage,
  type Transport,
} from "../storage/index.ts";
import { DeliveryDeferred, type DeliveryProgress, type DeliveryResult, type Lane } from "./lane.ts";

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
   * pipelined through viem's nonce manager; messages of one chain may then land out of discovery order
   * (except a LayerZero path's, which stay in order), which the protocol accepts (reports carry seq,
   * commands are applied in cmdNonce order on the spoke).
   */
  concurrencyPerChain?: number;
  events?: WorkerEvents;
}

/**
 * Claims due messages from the store and carries each to its destination through its lane, recording
 * every step (signed, verified, delivered) or the failure with a retry time. Messages to one chain go
 * `concurrencyPerChain` at a time (one account, one nonce sequence per chain); chains proceed in parallel.
 */
export class DeliveryWorker {
  private readonly lanes: ReadonlyMap<Transport, Lane>;
  private running: Promise<void> | undefined;
  private stopping = false;
  private wake = new AbortController();
  private idle = new AbortController();

  constructor(private readonly options: DeliveryWorkerOptions) {
    this.lanes = new Map(options.lanes.map((lane) => [lane.transport, lane]));
  }

  /** Claims one batch and works through it; returns how many messages it claimed. */
  async round(): Promise<number> {
    const { store, workerId, batchSize, leaseMs } = this.options;
    const claimed = await store.claimDue(workerId, { states: PENDING_STATES, limit: batchSize, leaseMs });
    const byDestination = new Map<number, StoredMessage[]>();
    for (const message of claimed) {
      const queue = byDestination.get(message.destinationChainId) ?? [];
      queue.push(message);
      byDestination.set(message.destinationChainId, queue);
    }
    const inFlightPerChain = this.options.concurrencyPerChain ?? 1;
    await Promise.all(
      [...byDestination.values()].flatMap((queue) => {
        const pathsInFlight = new Set<string>();
        // The next message whose ordered path (if any) has nothing in flight.
        const next = () => {
          const index = queue.findIndex((message) => {
            const path = orderedPath(message);
            return path === undefined || !pathsInFlight.has(path);
          });
          return index < 0 ? undefined : queue.splice(index, 1)[0];
        };
        return Array.from({ length: Math.min(inFlightPerChain, queue.length) }, async () => {
          for (let message = next(); message; message = next()) {
            // On shutdown, what is not started yet goes back to the store (its lease is released by the engine).
            if (this.stopping) return;
            // Past its lease another instance sharing the store may hold it: leave it to that one.
            if (message.leaseExpiresAt && message.leaseExpiresAt.getTime() <= Date.now()) continue;
            const path = orderedPath(message);
            if (path) pathsInFlight.add(path);
            try {
              await this.work(message);
            } finally {
              if (path) pathsInFlight.delete(path);
            }
          }
        });
      }),
    );
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
    this.idle.abort();
  }

  /** Finishes the messages in progress, leaves the rest of the batch, and stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake.abort();
    await this.running;
    this.running = undefined;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let claimed = 0;
      try {
        claimed = await this.round();
      } catch (error) {
        this.options.events?.onRoundError?.(asError(error));
      }
      if (claimed === 0 && !this.stopping) {
        this.idle = new AbortController();
        const stopOrWork = AbortSignal.any([this.wake.signal, this.idle.signal]);
        await delay(this.options.idleMs, undefined, { signal: stopOrWork }).catch(() => {});
      }
    }
  }

  private async work(message: StoredMessage): Promise<void> {
    const { store, workerId, events } = this.options;
    const key = { transport: message.transport, messageId: message.messageId };
    let state: PendingState = message.state as PendingState;
    const fail = async (error: Error, permanent: boolean) => {
      const retryAt = error instanceof DeliveryDeferred ? new Date(Date.now() + error.retryAfterMs) : undefined;
      const recorded = await store.recordFailure(key, error, { workerId, permanent, ...(retryAt ? { retryAt } : {}) });
      if (recorded) events?.onFailed?.(message, error, { attempts: recorded.attempts, permanent });
    };
    const lane = this.lanes.get(message.transport);
    if (message.messageType === null) {
      return fail(new Error("the payload is not an xmargin message: nothing to deliver"), true);
    }
    if (!lane) return fail(new Error(`no ${message.transport} lane in this engine`), false);

    const moveTo = async (to: "signed" | "verified") => {
      if (PENDING_STATES.indexOf(to) <= PENDING_STATES.indexOf(state)) return;
      if (await store.advance(key, state, to, { workerId, keepLease: true })) state = to;
    };
    const progress: DeliveryProgress = {
      async signed(signatures: readonly NewSignature[]) {
        for (const signature of signatures) await store.saveSignature(key, signature);
        await moveTo("signed");
      },
      verified: () => moveTo("verified"),
    };
    let result: DeliveryResult;
    try {
      result = await lane.deliver(message, progress);
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

/**
 * LayerZero executes a path's packets only once every earlier nonce is verified: messages of one
 * (origin, destination) path go one at a time, in discovery order. Hyperlane messages are independent.
 */
const orderedPath = (message: StoredMessage): string | undefined =>
  message.transport === "layerzero" ? `${message.originChainId}>${message.destinationChainId}` : undefined;

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
