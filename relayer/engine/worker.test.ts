import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { Hex } from "viem";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type MessageStore,
  type NewMessage,
  openStore,
  type SeenDelivery,
  type StoredMessage,
} from "../storage/index.ts";
import { DeliveryDeferred, type DeliveryProgress, type DeliveryResult, type Lane, type LogSources } from "./lane.ts";
import { DeliveryWorker } from "./worker.ts";

const id = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;
const message = (n: number, overrides: Partial<NewMessage> = {}): NewMessage => ({
  transport: "layerzero",
  messageId: id(n),
  originChainId: 70701,
  destinationChainId: 70700,
  sourceTxHash: id(1000 + n),
  blockNumber: BigInt(n),
  logIndex: 0,
  payload: "0x01",
  messageType: "BalanceReport",
  ...overrides,
});

/**
 * A scripted lane (test double, no chain behind it): per message id, what `deliver` does — report progress,
 * then succeed or throw.
 */
class ScriptedLane implements Lane {
  constructor(
    private readonly script: (message: StoredMessage, progress: DeliveryProgress) => Promise<DeliveryResult>,
    readonly transport: "layerzero" | "hyperlane" = "layerzero",
  ) {}
  readonly delivered: Hex[] = [];
  /** Messages a peer delivered: `isDelivered` says so for these. */
  readonly deliveredElsewhere = new Set<Hex>();
  logSources(): LogSources {
    return { addresses: [], events: [] };
  }
  startBlock(): bigint {
    return 0n;
  }
  async discover(): Promise<NewMessage[]> {
    return [];
  }
  deliveredOn(): SeenDelivery[] {
    return [];
  }
  async deliver(stored: StoredMessage, progress: DeliveryProgress): Promise<DeliveryResult> {
    const result = await this.script(stored, progress);
    this.delivered.push(stored.messageId);
    return result;
  }
  async isDelivered(stored: StoredMessage): Promise<boolean> {
    return this.deliveredElsewhere.has(stored.messageId);
  }
}

const SIGNATURE = {
  signer: "0x0000000000000000000000000000000000000001",
  digest: id(7),
  signature: `0x${"ab".repeat(65)}`,
} as const;

describe("DeliveryWorker", () => {
  let directory: string;
  let store: MessageStore;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), "xmargin-worker-"));
    store = await openStore(
      { kind: "sqlite", path: join(directory, "relayer.db") },
      { logger: pino({ level: "warn" }) },
    );
  });
  afterEach(async () => {
    await store.close();
    await rm(directory, { recursive: true, force: true });
  });

  type WorkerOptions = ConstructorParameters<typeof DeliveryWorker>[0];
  const worker = (lane: Lane, events: WorkerOptions["events"] = {}, options: Partial<WorkerOptions> = {}) =>
    new DeliveryWorker({
      store,
      lanes: [lane],
      workerId: "w1",
      batchSize: 10,
      leaseMs: 60_000,
      idleMs: 10,
      events,
      ...options,
    });

  it("walks a message through signed and verified to delivered, keeping the signatures and the delivery tx", async () => {
    const seen: string[] = [];
    const lane = new ScriptedLane(async (stored, progress) => {
      seen.push((await store.getMessage(stored))?.state ?? "?");
      await progress.signed([SIGNATURE]);
      seen.push((await store.getMessage(stored))?.state ?? "?");
      await progress.verified();
      seen.push((await store.getMessage(stored))?.state ?? "?");
      return { status: "delivered", transactionHash: id(99), gas: [{ step: "execute", chain: "hub", gasUsed: 1n }] };
    });
    await store.insertMessage(message(1));
    const delivered: DeliveryResult[] = [];
    expect(await worker(lane, { onDelivered: (_m, result) => delivered.push(result) }).round()).toBe(1);
    expect(seen).toEqual(["discovered", "signed", "verified"]);
    expect(await store.getMessage(message(1))).toMatchObject({
      state: "delivered",
      deliveryTxHash: id(99),
      claimedBy: null,
    });
    expect(await store.listSignatures(message(1))).toMatchObject([
      { signer: SIGNATURE.signer, digest: SIGNATURE.digest },
    ]);
    expect(delivered).toHaveLength(1);
  });

  it("keeps the signatures a retry of a signed message gathers again, without moving it back", async () => {
    const resigned = { ...SIGNATURE, digest: id(8) };
    let attempts = 0;
    const lane = new ScriptedLane(async (_stored, progress) => {
      attempts += 1;
      await progress.signed([attempts === 1 ? SIGNATURE : resigned]);
      if (attempts === 1) throw new DeliveryDeferred("the destination is not ready", 20);
      return { status: "delivered", gas: [] };
    });
    await store.insertMessage(message(10));
    const running = worker(lane);
    await running.round();
    expect(await store.getMessage(message(10))).toMatchObject({ state: "signed", claimedBy: null });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(await running.round()).toBe(1);
    expect(await store.getMessage(message(10))).toMatchObject({ state: "delivered" });
    expect((await store.listSignatures(message(10))).map((stored) => stored.digest)).toEqual([id(7), id(8)]);
  });

  it("records a failed attempt with its reason and retries it later, never twice at once", async () => {
    let attempts = 0;
    const lane = new ScriptedLane(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error("destination RPC timed out");
      return { status: "alreadyDelivered", gas: [] };
    });
    await store.insertMessage(message(2));
    const failures: string[] = [];
    const running = worker(lane, { onFailed: (_m, error) => failures.push(error.message) });
    await running.round();
    expect(await store.getMessage(message(2))).toMatchObject({
      state: "discovered",
      attempts: 1,
      lastError: expect.stringContaining("destination RPC timed out"),
    });
    expect(failures).toEqual(["destination RPC timed out"]);
    // Backed off: not due again at once.
    expect(await running.round()).toBe(0);
  });

  it("stands by when asked to: the lane is not called and the message comes due again after the given time", async () => {
    const lane = new ScriptedLane(async () => ({ status: "delivered", transactionHash: id(98), gas: [] }));
    await store.insertMessage(message(4));
    let peerDelivering = true;
    const asked: Hex[] = [];
    const backup = worker(
      lane,
      {},
      {
        standBy: async (stored) => {
          asked.push(stored.messageId);
          return peerDelivering ? 40 : undefined;
        },
      },
    );
    await backup.round();
    expect(lane.delivered).toEqual([]);
    expect(await store.getMessage(message(4))).toMatchObject({ state: "discovered" });
    // Left for 40 ms, not for the growing backoff of a failure.
    expect(await backup.round()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    peerDelivering = false;
    expect(await backup.round()).toBe(1);
    expect(lane.delivered).toEqual([message(4).messageId]);
    expect(asked).toEqual([message(4).messageId, message(4).messageId]);
    expect(await store.getMessage(message(4))).toMatchObject({ state: "delivered" });
  });

  it("settles at once, while standing by, a message a peer already delivered", async () => {
    const lane = new ScriptedLane(async () => ({ status: "delivered", transactionHash: id(98), gas: [] }));
    await store.insertMessage(message(5));
    await store.insertMessage(message(6));
    lane.deliveredElsewhere.add(message(5).messageId);
    const delivered: { id: Hex; status: string }[] = [];
    const backup = worker(
      lane,
      { onDelivered: (stored, result) => delivered.push({ id: stored.messageId, status: result.status }) },
      { standBy: async () => 40 },
    );
    expect(await backup.round()).toBe(2);
    expect(lane.delivered).toEqual([]);
    expect(delivered).toEqual([{ id: message(5).messageId, status: "alreadyDelivered" }]);
    expect(await store.getMessage(message(5))).toMatchObject({ state: "delivered", deliveryTxHash: null });
    // Not delivered anywhere yet: left for the stand-by time.
    expect(await store.getMessage(message(6))).toMatchObject({ state: "discovered" });
    expect(await backup.round()).toBe(0);
  });

  it("fails a payload that is not an xmargin message for good without asking the lane", async () => {
    const lane = new ScriptedLane(async () => ({ status: "delivered", gas: [] }));
    await store.insertMessage(message(3, { messageType: null }));
    await worker(lane).round();
    expect(await store.getMessage(message(3))).toMatchObject({ state: "failed", nextAttemptAt: null });
    expect(lane.delivered).toEqual([]);
  });

  it("delivers to different destinations in parallel and to one destination one at a time", async () => {
    const inFlightPerChain = new Map<number, number>();
    let maxPerChain = 0;
    let maxOverall = 0;
    const lane = new ScriptedLane(async (stored) => {
      inFlightPerChain.set(stored.destinationChainId, (inFlightPerChain.get(stored.destinationChainId) ?? 0) + 1);
      maxPerChain = Math.max(maxPerChain, ...inFlightPerChain.values());
      maxOverall = Math.max(
        maxOverall,
        [...inFlightPerChain.values()].reduce((a, b) => a + b, 0),
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlightPerChain.set(stored.destinationChainId, (inFlightPerChain.get(stored.destinationChainId) ?? 1) - 1);
      return { status: "delivered", gas: [] };
    });
    await store.insertMessages([
      message(4),
      message(5),
      message(6, { destinationChainId: 70701 }),
      message(7, { destinationChainId: 70701 }),
    ]);
    await worker(lane).round();
    expect(maxPerChain).toBe(1);
    expect(maxOverall).toBe(2);
    expect((await store.countByState()).delivered).toBe(4);
  });

  it("pipelines up to concurrencyPerChain deliveries to one chain, starting them in discovery order", async () => {
    let inFlight = 0;
    let most = 0;
    const started: Hex[] = [];
    const lane = new ScriptedLane(async (stored) => {
      started.push(stored.messageId);
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight -= 1;
      return { status: "delivered", gas: [] };
    });
    // One LayerZero path and another origin's, to one chain: the lane orders executions, not the worker.
    const messages = [
      message(20),
      message(21),
      message(22, { originChainId: 70702 }),
      message(23),
      message(24, { originChainId: 70702 }),
    ];
    await store.insertMessages(messages);
    await worker(lane, {}, { concurrencyPerChain: 3 }).round();
    expect(most).toBe(3);
    expect(started).toEqual(messages.map((m) => m.messageId));
    expect((await store.countByState()).delivered).toBe(5);
  });

  it("starts a message found while another chain's delivery hangs, without waiting for that batch", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const lane = new ScriptedLane(async (stored) => {
      if (stored.destinationChainId === 70701) await gate;
      return { status: "delivered", gas: [] };
    });
    await store.insertMessages([message(30, { destinationChainId: 70701 }), message(31)]);
    const running = worker(lane);
    running.start();
    try {
      await expect.poll(() => lane.delivered, { timeout: 2_000 }).toEqual([id(31)]);
      await store.insertMessage(message(32));
      running.wakeUp();
      await expect.poll(() => lane.delivered, { timeout: 2_000 }).toEqual([id(31), id(32)]);
    } finally {
      release();
      await running.stop();
    }
    expect(lane.delivered).toEqual([id(31), id(32), id(30)]);
  });

  it("stops after the delivery in progress and leaves the rest claimable", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const lane = new ScriptedLane(async () => {
      await gate;
      return { status: "delivered", gas: [] };
    });
    await store.insertMessages([message(8), message(9)]);
    const running = worker(lane);
    running.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stopping = running.stop();
    release();
    await stopping;
    await store.releaseLeases("w1");
    expect(lane.delivered).toEqual([id(8)]);
    expect(await store.getMessage(message(9))).toMatchObject({ state: "discovered", claimedBy: null });
  });
});
