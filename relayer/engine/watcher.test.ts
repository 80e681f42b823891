import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { createPublicClient, http, type PublicClient, parseAbiItem, type Transport as ViemTransport } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChainConfig } from "../config/schema.ts";
import { type AnvilHandle, startAnvil } from "../devnet/anvil.ts";
import { type MessageStore, type NewMessage, openStore, type SeenDelivery, type Transport } from "../storage/index.ts";
import type { Lane, LogSources } from "./lane.ts";
import type { EngineChain } from "./network.ts";
import { ChainWatcher, type WatcherEvents } from "./watcher.ts";

const CHAIN_ID = 70_991;

/**
 * A lane double (no contracts behind it): it records the block ranges the watcher asks it to read, finds the
 * messages it is given in every range, reports the deliveries it is told to as seen in the next range it reads,
 * and fails its next read when told to.
 */
class RecordingLane implements Lane {
  readonly ranges: [bigint, bigint][] = [];
  messages: NewMessage[] = [];
  seenNext: SeenDelivery[] = [];
  failNext: Error | undefined;
  constructor(
    readonly transport: Transport = "hyperlane",
    private readonly sources: LogSources = { addresses: [], events: [] },
  ) {}
  logSources(): LogSources {
    return this.sources;
  }
  startBlock(): bigint {
    return 1n;
  }
  async discover(_chain: EngineChain, fromBlock: bigint, toBlock: bigint): Promise<NewMessage[]> {
    this.ranges.push([fromBlock, toBlock]);
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
    return this.messages;
  }
  deliveredOn(): SeenDelivery[] {
    const seen = this.seenNext;
    this.seenNext = [];
    return seen;
  }
  async deliver(): Promise<never> {
    throw new Error("the watcher never delivers");
  }
  async isDelivered(): Promise<never> {
    throw new Error("the watcher never asks");
  }
}

describe("ChainWatcher over a websocket", () => {
  let anvil: AnvilHandle;
  /** A chain the watcher reads on an explicit poll only (one confirmation, a minute between polls). */
  const polledChain = (chainId: number, publicClient: PublicClient): EngineChain => {
    const config: ChainConfig = {
      name: "hub",
      chainId,
      rpcUrl: anvil.rpcUrl,
      confirmations: 1,
      pollIntervalMs: 60_000,
    };
    return { name: "hub", chainId, config, publicClient } as unknown as EngineChain;
  };
  let directory: string;
  let store: MessageStore;

  beforeAll(async () => {
    anvil = await startAnvil({
      chainId: CHAIN_ID,
      mnemonic: "test test test test test test test test test test test junk",
      accounts: 1,
      blockTime: 3_600,
    });
    directory = await mkdtemp(join(tmpdir(), "xmargin-watcher-"));
    store = await openStore(
      { kind: "sqlite", path: join(directory, "relayer.db") },
      { logger: pino({ level: "warn" }) },
    );
  });
  afterAll(async () => {
    await store?.close();
    await anvil?.stop();
    await rm(directory, { recursive: true, force: true });
  });

  it("reads a new block when the node announces it, long before the next poll", async () => {
    const config: ChainConfig = {
      name: "hub",
      chainId: CHAIN_ID,
      rpcUrl: anvil.rpcUrl,
      wsUrl: anvil.rpcUrl.replace(/^http/, "ws"),
      confirmations: 1,
      pollIntervalMs: 60_000,
    };
    const publicClient = createPublicClient({ transport: http(anvil.rpcUrl) });
    const chain = { name: "hub", chainId: CHAIN_ID, config, publicClient } as unknown as EngineChain;
    const lane = new RecordingLane();
    const watcher = new ChainWatcher(chain, [lane], store, { dueDelayMs: 0 });
    await publicClient.request({ method: "anvil_mine" as never, params: ["0x1"] as never });
    watcher.start();
    try {
      await expect.poll(() => lane.ranges.at(-1)?.[1], { timeout: 5_000 }).toBe(1n);
      await publicClient.request({ method: "anvil_mine" as never, params: ["0x1"] as never });
      // The poll interval is a minute: only the announced head can bring this read.
      await expect.poll(() => lane.ranges.at(-1)?.[1], { timeout: 5_000 }).toBe(2n);
    } finally {
      await watcher.stop();
    }
    expect(lane.ranges).toEqual([
      [1n, 1n],
      [2n, 2n],
    ]);
    expect(await store.getCursor(CHAIN_ID, "hyperlane")).toBe(2n);
  });

  it("reads every lane's logs of a block range in one query, each lane from its own cursor", async () => {
    const chainId = CHAIN_ID + 1;
    const methods: string[] = [];
    const counting: ViemTransport = (options) => {
      const transport = http(anvil.rpcUrl)(options);
      return {
        ...transport,
        request: async (args) => {
          methods.push(args.method);
          return transport.request(args);
        },
      } as ReturnType<ViemTransport>;
    };
    const publicClient = createPublicClient({ transport: counting });
    const chain = polledChain(chainId, publicClient);
    const ping = parseAbiItem("event Ping(uint256 value)");
    const hyperlane = new RecordingLane("hyperlane", {
      addresses: ["0x00000000000000000000000000000000000000a1"],
      events: [ping],
    });
    const layerZero = new RecordingLane("layerzero", {
      addresses: ["0x00000000000000000000000000000000000000b2"],
      events: [ping],
    });
    await publicClient.request({ method: "anvil_mine" as never, params: ["0x3"] as never });
    const head = await publicClient.getBlockNumber({ cacheTime: 0 });
    await store.setCursor(chainId, "layerzero", head - 1n);
    methods.length = 0;

    await new ChainWatcher(chain, [hyperlane, layerZero], store, { dueDelayMs: 0 }).poll();

    expect(methods.filter((method) => method === "eth_getLogs")).toHaveLength(1);
    expect(hyperlane.ranges).toEqual([[1n, head]]);
    expect(layerZero.ranges).toEqual([[head, head]]);
    expect(await store.getCursor(chainId, "hyperlane")).toBe(head);
    expect(await store.getCursor(chainId, "layerzero")).toBe(head);
  });

  /** A message between this test's chain and another, keyed by `index` (unique per test chain). */
  const sent = (chainId: number, index: number, transport: Transport = "layerzero"): NewMessage => ({
    transport,
    messageId: `0x${chainId.toString(16).padStart(8, "0")}${index.toString(16).padStart(56, "0")}`,
    originChainId: chainId + 100,
    destinationChainId: chainId,
    sourceTxHash: `0x${"11".repeat(32)}`,
    blockNumber: 1n,
    logIndex: index,
    payload: "0x",
    messageType: null,
  });

  it("settles the stored messages whose deliveries its logs show, leaving the rest pending", async () => {
    const chainId = CHAIN_ID + 2;
    const publicClient = createPublicClient({ transport: http(anvil.rpcUrl) });
    const chain = polledChain(chainId, publicClient);
    const pending = (index: number) => sent(chainId, index);
    await store.insertMessages([pending(1), pending(2)]);
    const lane = new RecordingLane("layerzero");
    lane.seenNext = [
      { transport: "layerzero", messageId: pending(1).messageId, deliveryTxHash: `0x${"22".repeat(32)}` },
    ];
    const settledEvents: number[] = [];
    await publicClient.request({ method: "anvil_mine" as never, params: ["0x1"] as never });

    await new ChainWatcher(chain, [lane], store, {
      dueDelayMs: 0,
      events: { onSettled: (_chain, _seen, settled) => settledEvents.push(settled) },
    }).poll();

    expect(settledEvents).toEqual([1]);
    expect(await store.getMessage(pending(1))).toMatchObject({
      state: "delivered",
      deliveryTxHash: `0x${"22".repeat(32)}`,
    });
    expect(await store.getMessage(pending(2))).toMatchObject({ state: "discovered" });
  });

  it("records a block range for every lane or for none, then reports each lane's new messages", async () => {
    const chainId = CHAIN_ID + 3;
    const publicClient = createPublicClient({ transport: http(anvil.rpcUrl) });
    const chain = polledChain(chainId, publicClient);
    const hyperlane = new RecordingLane("hyperlane");
    const layerZero = new RecordingLane("layerzero");
    hyperlane.messages = [sent(chainId, 1, "hyperlane")];
    layerZero.messages = [sent(chainId, 2), sent(chainId, 3)];
    await store.insertMessage(sent(chainId, 2));
    layerZero.failNext = new Error("layerzero: the node dropped the request");
    const discovered: { transport: Transport; found: number; inserted: number }[] = [];
    const watcher = new ChainWatcher(chain, [hyperlane, layerZero], store, {
      dueDelayMs: 0,
      events: {
        onDiscovered: (_chain, messages, inserted) =>
          discovered.push({ transport: messages[0]?.transport as Transport, found: messages.length, inserted }),
      },
    });
    await publicClient.request({ method: "anvil_mine" as never, params: ["0x1"] as never });

    // Hyperlane read its part of the range, but LayerZero failed: none of the range is recorded.
    await expect(watcher.poll()).rejects.toThrow(/dropped the request/);
    expect(hyperlane.ranges).toHaveLength(1);
    expect(await store.getMessage(sent(chainId, 1, "hyperlane"))).toBeUndefined();
    expect(await store.getCursor(chainId, "hyperlane")).toBeUndefined();
    expect(discovered).toEqual([]);

    const head = await publicClient.getBlockNumber({ cacheTime: 0 });
    expect(await watcher.poll()).toBe(3);
    expect(hyperlane.ranges.at(-1)).toEqual([1n, head]);
    expect(discovered).toEqual([
      { transport: "hyperlane", found: 1, inserted: 1 },
      { transport: "layerzero", found: 2, inserted: 1 },
    ]);
    expect(await store.getCursor(chainId, "hyperlane")).toBe(head);
    expect(await store.getCursor(chainId, "layerzero")).toBe(head);
    expect(watcher.status.cursors).toEqual({ hyperlane: head, layerzero: head });
  });

  describe("cursor over blocks with nothing to store", () => {
    let now = 0;
    /** Polled by hand like `polledChain`'s, its cursor saves ten seconds apart on the test's clock. */
    const lazyWatcher = (chainId: number, lane: Lane, events?: WatcherEvents) =>
      new ChainWatcher(polledChain(chainId, createPublicClient({ transport: http(anvil.rpcUrl) })), [lane], store, {
        dueDelayMs: 0,
        cursorSaveIntervalMs: 10_000,
        clock: () => now,
        ...(events ? { events } : {}),
      });
    /** Mines a block and returns the new head. */
    const mine = async (): Promise<bigint> => {
      const publicClient = createPublicClient({ transport: http(anvil.rpcUrl) });
      await publicClient.request({ method: "anvil_mine" as never, params: ["0x1"] as never });
      return publicClient.getBlockNumber({ cacheTime: 0 });
    };

    it("is saved at once the first time, then after the interval, with a range that stores something, and on stop", async () => {
      const chainId = CHAIN_ID + 4;
      const lane = new RecordingLane("hyperlane");
      const watcher = lazyWatcher(chainId, lane);
      const cursor = () => store.getCursor(chainId, "hyperlane");

      const first = await mine();
      await watcher.poll();
      expect(await cursor()).toBe(first);

      const held = await mine();
      await watcher.poll();
      expect(watcher.status.cursors.hyperlane).toBe(held);
      expect(await cursor()).toBe(first);
      // The chain stands still: the poll after the interval saves what the last one read.
      now += 10_000;
      await watcher.poll();
      expect(await cursor()).toBe(held);

      await mine();
      await watcher.poll();
      lane.messages = [sent(chainId, 1, "hyperlane")];
      const withMessage = await mine();
      await watcher.poll();
      expect(await cursor()).toBe(withMessage);
      expect(await store.getMessage(sent(chainId, 1, "hyperlane"))).toMatchObject({ state: "discovered" });

      lane.messages = [];
      const last = await mine();
      await watcher.poll();
      expect(await cursor()).toBe(withMessage);
      await watcher.stop();
      expect(await cursor()).toBe(last);
    });

    it("after a crash, is re-read from where it was saved, storing nothing twice", async () => {
      const chainId = CHAIN_ID + 5;
      const stored = sent(chainId, 1, "hyperlane");
      const before = new RecordingLane("hyperlane");
      before.messages = [stored];
      const crashed = lazyWatcher(chainId, before);
      await mine();
      await crashed.poll();
      before.messages = [];
      const saved = await mine();
      await crashed.poll();
      const unsaved = await mine();
      await crashed.poll();
      expect(crashed.status.cursors.hyperlane).toBe(unsaved);
      expect(await store.getCursor(chainId, "hyperlane")).toBe(saved);

      // The restarted watcher finds the stored message again in what it re-reads.
      const after = new RecordingLane("hyperlane");
      after.messages = [stored];
      const inserted: number[] = [];
      const restarted = lazyWatcher(chainId, after, {
        onDiscovered: (_chain, _messages, count) => inserted.push(count),
      });
      await restarted.poll();
      expect(after.ranges).toEqual([[saved + 1n, unsaved]]);
      expect(inserted).toEqual([0]);
      expect(await store.getCursor(chainId, "hyperlane")).toBe(unsaved);
    });
  });
});
