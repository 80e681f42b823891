import {
  type Address,
  createPublicClient,
  formatLog,
  getAddress,
  type Hex,
  type Log,
  numberToHex,
  type RpcLog,
  toEventSelector,
  webSocket,
} from "viem";
import type { MessageStore, NewMessage, SeenDelivery } from "../storage/index.ts";
import type { Lane, LogObserver } from "./lane.ts";
import type { EngineChain } from "./network.ts";
import { WakeablePause } from "./pause.ts";

/** Blocks read per log query: within what public RPCs accept. */
const MAX_BLOCK_RANGE = 2_000n;
/** The longest pause after repeated RPC failures before trying again. */
const MAX_BACKOFF_MS = 30_000;
/**
 * How long the cursors may move in memory only while the blocks read hold nothing to store, instead of a
 * validated store transaction for every empty block of every chain; a crash re-reads at most this much, which
 * is harmless (messages are stored idempotently).
 */
const CURSOR_SAVE_INTERVAL_MS = 5_000;

/** How deep a block is when the watcher reads its logs: the chain's `confirmations`, the head counting as one. */
export const watchedConfirmations = (chain: EngineChain): bigint => BigInt(Math.max(1, chain.config.confirmations));

export interface WatcherStatus {
  chain: string;
  chainId: number;
  /** Latest block the node reported; undefined before the first successful poll. */
  head?: bigint;
  /**
   * Per transport, the last block fully read (its messages stored). The store's cursor may trail it by the
   * blocks since the last save, which held nothing to store.
   */
  cursors: Partial<Record<Lane["transport"], bigint>>;
  /** Blocks between the head and the slowest cursor. */
  lag?: bigint;
  consecutiveErrors: number;
  lastError?: string;
}

export interface WatcherEvents {
  /** Messages a poll found; `inserted` of them were new to the store. */
  onDiscovered?(chain: EngineChain, messages: readonly NewMessage[], inserted: number): void;
  /**
   * Deliveries a poll saw on this chain (by anyone); `settled` of them moved a pending message of the store to
   * `delivered` (the others were already delivered, held by a worker, or never stored here).
   */
  onSettled?(chain: EngineChain, seen: readonly SeenDelivery[], settled: number): void;
  /** A poll failed (usually the RPC); the watcher backs off and retries from the same cursor. */
  onPollError?(chain: EngineChain, error: Error): void;
}

/**
 * Reads one chain's logs for every lane from the cursors persisted in the store, `confirmations` blocks
 * behind the head. Each block range with something to store is recorded in one transaction: every lane's
 * messages, the stored messages its deliveries settle (this chain as destination) and its moved cursor, so a
 * crash leaves the range recorded or still to read, never half of it (reading it again is idempotent). A
 * range with nothing to store moves the cursors in memory only: they are saved at most every
 * `cursorSaveIntervalMs`, with the next range that stores something, and on stop, so a restart after a crash
 * re-reads those empty blocks. RPC failures back off and retry; nothing is skipped. With a websocket endpoint
 * configured, a new head starts the next poll at once (the interval stays as the fallback).
 */
export class ChainWatcher {
  readonly status: WatcherStatus;
  private running: Promise<void> | undefined;
  private stopping = false;
  private wake = new AbortController();
  /** Woken when the node announces a block: the pause between polls ends early. */
  private readonly nextHead = new WakeablePause();
  private unwatchHeads: (() => Promise<void>) | undefined;
  /** The head of the last poll that read every lane to the end. */
  private readThrough: bigint | undefined;
  /** The newest head the node announced over the websocket and no poll has taken yet. */
  private announcedHead: bigint | undefined;
  /**
   * Every lane's log sources on this chain together: what each poll asks the node for, in one query. By the
   * events' selectors, not their ABIs: the lanes decode what they read, and viem decoding every log first
   * (getLogs with `events`) was the backup operators' largest single cost after SQLite.
   */
  private readonly logFilter: { addresses: Address[]; selectors: Hex[] };
  /** Per lane, a cursor moved past the store's over blocks that held nothing to store. */
  private readonly unsavedCursors = new Map<Lane["transport"], bigint>();
  /** When the cursors were last written; undefined until the first write, which is not held back. */
  private cursorsSavedAt: number | undefined;

  constructor(
    private readonly chain: EngineChain,
    private readonly lanes: readonly Lane[],
    private readonly store: MessageStore,
    private readonly options: {
      dueDelayMs: number;
      events?: WatcherEvents;
      /** Also given each range's logs, once every lane has read it (they add their sources to the query). */
      observers?: readonly LogObserver[];
      /** The longest a moved cursor waits in memory for its save; defaults to CURSOR_SAVE_INTERVAL_MS. */
      cursorSaveIntervalMs?: number;
      /** Unix milliseconds; tests move it to reach the cursor save interval without waiting. */
      clock?: () => number;
    },
  ) {
    this.status = { chain: chain.name, chainId: chain.chainId, cursors: {}, consecutiveErrors: 0 };
    const sources = [...lanes, ...(options.observers ?? [])].map((reader) => reader.logSources(chain));
    this.logFilter = {
      addresses: [...new Set(sources.flatMap((source) => source.addresses.map((address) => getAddress(address))))],
      selectors: [...new Set(sources.flatMap((source) => source.events.map((event) => toEventSelector(event))))],
    };
  }

  private async logsIn(fromBlock: bigint, toBlock: bigint): Promise<Log[]> {
    const { addresses, selectors } = this.logFilter;
    const logs: RpcLog[] = await this.chain.publicClient.request({
      method: "eth_getLogs",
      params: [
        {
          address: addresses,
          topics: [selectors],
          fromBlock: numberToHex(fromBlock),
          toBlock: numberToHex(toBlock),
        },
      ],
    });
    return logs.map((log) => formatLog(log));
  }

  /**
   * One pass over every lane up to the confirmed head; returns the messages found. Every lane's logs of a
   * block range come from one query (the lanes read from their own cursors within it).
   */
  async poll(): Promise<number> {
    // A head the node announced since the last poll spares asking for it.
    const announced = this.announcedHead;
    this.announcedHead = undefined;
    const head =
      announced !== undefined && (this.readThrough === undefined || announced > this.readThrough)
        ? announced
        : await this.chain.publicClient.getBlockNumber({ cacheTime: 0 });
    this.status.head = head;
    // Every lane read up to this head already: nothing to look at until the chain moves.
    if (head === this.readThrough) {
      await this.saveCursorsWhenDue();
      return 0;
    }
    const confirmed = head - (watchedConfirmations(this.chain) - 1n);
    // The status holds each cursor as this watcher last wrote or read it: the store is read only until then
    // (a restart resumes there), not before every poll.
    const stored = await Promise.all(
      this.lanes.map(
        (lane) => this.status.cursors[lane.transport] ?? this.store.getCursor(this.chain.chainId, lane.transport),
      ),
    );
    const next = this.lanes.map((lane, index) => {
      const cursor = stored[index];
      return cursor === undefined ? lane.startBlock(this.chain) : cursor + 1n;
    });
    const { addresses } = this.logFilter;
    let found = 0;
    let from = confirmed + 1n;
    for (const block of next) if (block < from) from = block;
    while (from <= confirmed) {
      const to = from + MAX_BLOCK_RANGE - 1n < confirmed ? from + MAX_BLOCK_RANGE - 1n : confirmed;
      // No address would mean every log of the chain: lanes without sources read nothing.
      const logs = addresses.length === 0 ? [] : await this.logsIn(from, to);
      const read = await Promise.all(
        this.lanes.map(async (lane, index) => {
          const laneFrom = next[index] as bigint;
          if (laneFrom > to) return undefined;
          const laneLogs = laneFrom > from ? logs.filter((log) => (log.blockNumber ?? 0n) >= laneFrom) : logs;
          const messages = await lane.discover(this.chain, laneFrom, to, laneLogs);
          return { lane, index, messages, seen: lane.deliveredOn(this.chain, laneLogs) };
        }),
      );
      const lanesRead = read.filter((entry) => entry !== undefined);
      const toStore = lanesRead.some(({ messages, seen }) => messages.length > 0 || seen.length > 0);
      const outcomes = toStore
        ? await this.store.recordBlockRange(
            {
              chainId: this.chain.chainId,
              toBlock: to,
              streams: lanesRead.map(({ lane, messages, seen }) => ({
                stream: lane.transport,
                messages,
                deliveries: seen,
              })),
            },
            { dueAt: new Date(Date.now() + this.options.dueDelayMs) },
          )
        : undefined;
      lanesRead.forEach(({ lane, index, messages, seen }, position) => {
        const { inserted, settled } = outcomes?.[position] ?? { inserted: 0, settled: 0 };
        if (seen.length > 0) this.options.events?.onSettled?.(this.chain, seen, settled);
        this.status.cursors[lane.transport] = to;
        if (toStore) this.unsavedCursors.delete(lane.transport);
        else this.unsavedCursors.set(lane.transport, to);
        next[index] = to + 1n;
        found += messages.length;
        if (messages.length > 0) this.options.events?.onDiscovered?.(this.chain, messages, inserted);
      });
      for (const observer of this.options.observers ?? []) observer.observe(this.chain, logs);
      from = to + 1n;
    }
    this.lanes.forEach((lane, index) => {
      const cursor = stored[index];
      if (cursor !== undefined && this.status.cursors[lane.transport] === undefined) {
        this.status.cursors[lane.transport] = cursor;
      }
    });
    const cursors = Object.values(this.status.cursors);
    const slowest = cursors.reduce<bigint | undefined>(
      (min, block) => (min === undefined || block < min ? block : min),
      undefined,
    );
    this.status.lag = slowest === undefined ? undefined : head - slowest;
    this.readThrough = head;
    await this.saveCursorsWhenDue();
    return found;
  }

  private async saveCursorsWhenDue(): Promise<void> {
    const now = this.now();
    const interval = this.options.cursorSaveIntervalMs ?? CURSOR_SAVE_INTERVAL_MS;
    if (this.cursorsSavedAt === undefined || now - this.cursorsSavedAt >= interval) await this.saveCursors();
  }

  /** Writes the cursors moved in memory only, one transaction per block they stand at (usually one). */
  private async saveCursors(): Promise<void> {
    if (this.unsavedCursors.size === 0) return;
    const lanesAt = new Map<bigint, Lane["transport"][]>();
    for (const [transport, block] of this.unsavedCursors)
      lanesAt.set(block, [...(lanesAt.get(block) ?? []), transport]);
    for (const [block, transports] of lanesAt) {
      await this.store.recordBlockRange({
        chainId: this.chain.chainId,
        toBlock: block,
        streams: transports.map((transport) => ({ stream: transport, messages: [], deliveries: [] })),
      });
      for (const transport of transports) this.unsavedCursors.delete(transport);
    }
    this.cursorsSavedAt = this.now();
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.wake = new AbortController();
    this.unwatchHeads = this.watchHeads();
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake.abort();
    await this.unwatchHeads?.();
    this.unwatchHeads = undefined;
    await this.running;
    this.running = undefined;
    try {
      await this.saveCursors();
    } catch (error) {
      // Only costs re-reading the blocks since the last save at the next start.
      const failure = new Error(`saving the cursors on stop: ${(error as Error).message}`, { cause: error });
      this.options.events?.onPollError?.(this.chain, failure);
    }
  }

  private watchHeads(): (() => Promise<void>) | undefined {
    const { wsUrl } = this.chain.config;
    if (!wsUrl) return undefined;
    const client = createPublicClient({
      transport: webSocket(wsUrl, { retryCount: 0, reconnect: { attempts: Number.MAX_SAFE_INTEGER, delay: 1_000 } }),
    });
    const unwatch = client.watchBlockNumber({
      onBlockNumber: (blockNumber) => {
        if (this.announcedHead === undefined || blockNumber > this.announcedHead) this.announcedHead = blockNumber;
        this.nextHead.wake();
      },
      onError: (error) => {
        const failure = new Error(`head subscription: ${error.message.split("\n")[0]}`, { cause: error });
        this.options.events?.onPollError?.(this.chain, failure);
      },
    });
    return async () => {
      unwatch();
      (await client.transport.getRpcClient()).close();
    };
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let pause = this.chain.config.pollIntervalMs;
      // Armed before reading: a head announced while this poll runs calls for the next one at once.
      this.nextHead.arm();
      try {
        await this.poll();
        this.status.consecutiveErrors = 0;
        this.status.lastError = undefined;
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        this.status.consecutiveErrors += 1;
        this.status.lastError = failure.message.split("\n")[0];
        this.options.events?.onPollError?.(this.chain, failure);
        pause = Math.min(MAX_BACKOFF_MS, pause * 2 ** Math.min(this.status.consecutiveErrors, 10));
      }
      // After a failure only the backoff counts: a new head does not end it.
      await this.nextHead.sleep(pause, this.wake.signal, this.status.consecutiveErrors === 0);
    }
  }
}
