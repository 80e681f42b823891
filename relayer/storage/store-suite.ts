import { pino } from "pino";
import type { Hex } from "viem";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StoreError } from "./errors.ts";
import type { StoreOptions } from "./store.ts";
import type { MessageKey, MessageStore, NewMessage, Transport } from "./types.ts";

/** One test's database: every `open` reaches the same data through a new, independent store instance. */
export interface StoreHarness {
  open(options: StoreOptions): Promise<MessageStore>;
  /**
   * Makes the (already migrated) database refuse to insert a row of `table` whose `column` holds `value`, as a
   * full disk or a lost connection would refuse a write: what a transaction wrote before it must go back.
   */
  refuseInserts(table: "cursors" | "message_signatures", column: string, value: string): Promise<void>;
}

export interface StoreBackend {
  /** A database no other test uses. */
  freshDatabase(): StoreHarness;
  /**
   * Whether several store instances may work one database at the same time (PostgreSQL). The SQLite store is
   * one instance per file per process, so its concurrency test runs parallel claims through one instance.
   */
  concurrentInstances: boolean;
}

const T0 = Date.UTC(2030, 0, 1);
const BACKOFF = { baseMs: 1_000, maxMs: 8_000, jitter: 0 };
const LEASE_MS = 30_000;
const WORKER = "worker-a";
const OTHER_WORKER = "worker-b";

const hex32 = (n: number, salt = 0): Hex =>
  `0x${salt.toString(16).padStart(8, "0")}${n.toString(16).padStart(56, "0")}`;

function newMessage(n: number, overrides: Partial<NewMessage> = {}): NewMessage {
  return {
    transport: n % 2 === 0 ? "layerzero" : "hyperlane",
    messageId: hex32(n),
    originChainId: 70_701 + (n % 2),
    destinationChainId: 70_700,
    sourceTxHash: hex32(n, 0xabc),
    blockNumber: 1_000n + BigInt(n),
    logIndex: n % 5,
    payload: `0x01${n.toString(16).padStart(4, "0")}`,
    messageType: n % 3 === 0 ? "BalanceReport" : "Lock",
    ...overrides,
  };
}

const keyOf = ({ transport, messageId }: MessageKey): MessageKey => ({ transport, messageId });
const idsOf = (messages: readonly MessageKey[]) => messages.map((message) => message.messageId);

async function storeError(promise: Promise<unknown>): Promise<StoreError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(StoreError);
  return error as StoreError;
}

/** The storage behaviour every backend must have; called inside a backend's `describe`. */
export function storeSuite(backend: StoreBackend): void {
  let clock: { now: number };
  let harness: StoreHarness;
  let opened: MessageStore[];
  let store: MessageStore;
  const open = async (database = harness) => {
    const instance = await database.open({
      clock: () => clock.now,
      backoff: BACKOFF,
      // Warnings and errors stay visible; the per-test "applied migration" lines would only be noise.
      logger: pino({ level: "warn" }),
    });
    opened.push(instance);
    return instance;
  };
  const insert = async (count: number, from = 0) => {
    const messages = Array.from({ length: count }, (_, index) => newMessage(from + index));
    for (const message of messages) {
      expect(await store.insertMessage(message)).toBe(true);
      clock.now += 1;
    }
    return messages;
  };

  const insertOne = async () => {
    const [message] = (await insert(1)).map(keyOf) as [MessageKey];
    return message;
  };

  beforeEach(async () => {
    clock = { now: T0 };
    harness = backend.freshDatabase();
    opened = [];
    store = await open();
  });
  afterEach(async () => {
    await Promise.all(opened.map((instance) => instance.close()));
  });

  describe("insert", () => {
    it("stores a discovered message once; a second insert changes nothing and says so", async () => {
      const message = newMessage(1);
      expect(await store.insertMessage(message)).toBe(true);
      const stored = await store.getMessage(message);
      expect(stored).toEqual({
        ...message,
        state: "discovered",
        attempts: 0,
        lastError: null,
        nextAttemptAt: new Date(T0),
        discoveredAt: new Date(T0),
        updatedAt: new Date(T0),
        deliveredAt: null,
        deliveryTxHash: null,
        claimedBy: null,
        leaseExpiresAt: null,
      });

      clock.now += 5_000;
      expect(await store.insertMessage({ ...message, blockNumber: 9n, payload: "0xff" })).toBe(false);
      expect(await store.getMessage(message)).toEqual(stored);
      expect((await store.countByState()).discovered).toBe(1);
    });

    it("keys messages by transport and id, whatever the hex case", async () => {
      const message = newMessage(2, { messageId: `0x${"AB".repeat(32)}` });
      expect(await store.insertMessage(message)).toBe(true);
      expect(await store.insertMessage({ ...message, messageId: `0x${"ab".repeat(32)}` })).toBe(false);
      expect(await store.insertMessage({ ...message, transport: "hyperlane" })).toBe(true);
      expect((await store.getMessage({ transport: "layerzero", messageId: `0x${"aB".repeat(32)}` }))?.messageId).toBe(
        `0x${"ab".repeat(32)}`,
      );
      expect(await store.getMessage({ transport: "layerzero", messageId: hex32(404) })).toBeUndefined();
    });

    it("inserts a batch in one transaction, counting only new messages, due when asked", async () => {
      const [first] = await insert(1);
      const batch = [first as NewMessage, newMessage(7), newMessage(8)];
      const dueAt = new Date(T0 + 60_000);
      expect(await store.insertMessages(batch, { dueAt })).toBe(2);
      expect((await store.getMessage(newMessage(7)))?.nextAttemptAt).toEqual(dueAt);
      expect(await store.claimDue("early", { states: ["discovered"], limit: 10, leaseMs: 600_000 })).toHaveLength(1);
      clock.now = dueAt.getTime();
      expect(await store.claimDue("later", { states: ["discovered"], limit: 10, leaseMs: 1_000 })).toHaveLength(2);
      expect(await store.insertMessages([])).toBe(0);
    });

    it("inserts nothing of a batch holding one malformed message", async () => {
      const error = await storeError(store.insertMessages([newMessage(3), { ...newMessage(4), originChainId: 0 }]));
      expect(error.kind).toBe("InvalidInput");
      expect((await store.countByState()).discovered).toBe(0);
    });

    it("rejects malformed input, naming the field", async () => {
      const error = await storeError(store.insertMessage({ ...newMessage(3), messageId: "0x1234" }));
      expect(error.kind).toBe("InvalidInput");
      expect(error.message).toMatch(/messageId: expected 0x followed by 64 hex digits/);
      const transport = await storeError(store.insertMessage({ ...newMessage(3), transport: "wormhole" as Transport }));
      expect(transport.message).toMatch(/transport/);
      expect((await storeError(store.insertMessage({ ...newMessage(3), originChainId: 0 }))).message).toMatch(
        /originChainId/,
      );
    });
  });

  describe("claiming", () => {
    it("leases due messages oldest first, each to one worker", async () => {
      const messages = await insert(5);
      const first = await store.claimDue(WORKER, { states: ["discovered"], limit: 3, leaseMs: LEASE_MS });
      expect(idsOf(first)).toEqual(idsOf(messages.slice(0, 3)));
      for (const message of first) {
        expect(message.claimedBy).toBe(WORKER);
        expect(message.leaseExpiresAt).toEqual(new Date(clock.now + LEASE_MS));
      }
      const second = await store.claimDue(OTHER_WORKER, { states: ["discovered"], limit: 10, leaseMs: LEASE_MS });
      expect(idsOf(second)).toEqual(idsOf(messages.slice(3)));
      expect(await store.claimDue("worker-c", { states: ["discovered"], limit: 10, leaseMs: LEASE_MS })).toEqual([]);
    });

    it("lets another worker claim a message whose lease expired; the first can then no longer move it", async () => {
      const key = await insertOne();
      await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
      clock.now += LEASE_MS - 1;
      expect(await store.claimDue(OTHER_WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS })).toEqual([]);
      clock.now += 1;
      const [reclaimed] = await store.claimDue(OTHER_WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
      expect(reclaimed?.claimedBy).toBe(OTHER_WORKER);
      expect(await store.advance(key, "discovered", "signed", { workerId: WORKER })).toBe(false);
      expect(await store.recordFailure(key, new Error("late"), { workerId: WORKER })).toBeUndefined();
      expect(await store.advance(key, "discovered", "signed", { workerId: OTHER_WORKER })).toBe(true);
    });

    it("claims only the requested states, and only messages that are due", async () => {
      const [a, b, c] = (await insert(3)).map(keyOf) as [MessageKey, MessageKey, MessageKey];
      await store.claimDue(WORKER, { states: ["discovered"], limit: 2, leaseMs: LEASE_MS });
      await store.advance(a, "discovered", "signed", { workerId: WORKER });
      await store.recordFailure(b, "rpc down", { workerId: WORKER });

      const signed = await store.claimDue(OTHER_WORKER, {
        states: ["signed", "verified"],
        limit: 10,
        leaseMs: LEASE_MS,
      });
      expect(idsOf(signed)).toEqual([a.messageId]);
      const discovered = await store.claimDue(OTHER_WORKER, { states: ["discovered"], limit: 10, leaseMs: LEASE_MS });
      expect(idsOf(discovered)).toEqual([c.messageId]);
      clock.now += BACKOFF.baseMs;
      const retried = await store.claimDue(OTHER_WORKER, { states: ["discovered"], limit: 10, leaseMs: LEASE_MS });
      expect(idsOf(retried)).toEqual([b.messageId]);
    });

    it("hands a worker's leases back on releaseLeases", async () => {
      await insert(4);
      await store.claimDue(WORKER, { states: ["discovered"], limit: 3, leaseMs: LEASE_MS });
      await store.claimDue(OTHER_WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
      expect(await store.releaseLeases(WORKER)).toBe(3);
      const reclaimed = await store.claimDue("worker-c", { states: ["discovered"], limit: 10, leaseMs: LEASE_MS });
      expect(reclaimed).toHaveLength(3);
    });

    it("rejects a claim without states or with a limit out of range", async () => {
      expect((await storeError(store.claimDue(WORKER, { states: [], limit: 1, leaseMs: 1 }))).message).toMatch(
        /states/,
      );
      expect((await storeError(store.claimDue(WORKER, { states: ["signed"], limit: 0, leaseMs: 1 }))).message).toMatch(
        /limit/,
      );
      expect((await storeError(store.claimDue("", { states: ["signed"], limit: 1, leaseMs: 1 }))).message).toMatch(
        /workerId/,
      );
    });

    it("never hands one message to two parallel claimers", async () => {
      const total = 240;
      await insert(total);
      const instances = backend.concurrentInstances
        ? [store, ...(await Promise.all([open(), open(), open()]))]
        : [store];
      const claims = new Map<Hex, string[]>();
      const lostMoves: Hex[] = [];
      const work = async (instance: MessageStore, workerId: string) => {
        for (;;) {
          const claimed = await instance.claimDue(workerId, { states: ["discovered"], limit: 7, leaseMs: LEASE_MS });
          if (claimed.length === 0) return;
          for (const message of claimed) {
            claims.set(message.messageId, [...(claims.get(message.messageId) ?? []), workerId]);
            if (!(await instance.advance(message, "discovered", "signed", { workerId })))
              lostMoves.push(message.messageId);
          }
        }
      };
      await Promise.all(
        instances.flatMap((instance, i) => [work(instance, `worker-${i}-a`), work(instance, `worker-${i}-b`)]),
      );

      const claimedTwice = [...claims].filter(([, workers]) => workers.length > 1);
      expect(claimedTwice).toEqual([]);
      expect(lostMoves).toEqual([]);
      expect(claims.size).toBe(total);
      expect((await store.countByState()).signed).toBe(total);
      // Every worker got a share: the claims really ran side by side rather than one after another.
      const workersUsed = new Set([...claims.values()].flat());
      expect(workersUsed.size).toBe(instances.length * 2);
    });
  });

  describe("transitions", () => {
    it("moves a message only from the expected state and only for the lease holder", async () => {
      const key = await insertOne();
      expect(await store.advance(key, "discovered", "signed", { workerId: WORKER })).toBe(false);
      await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
      expect(await store.advance(key, "discovered", "signed", { workerId: OTHER_WORKER })).toBe(false);
      expect(await store.advance(key, "signed", "verified", { workerId: WORKER })).toBe(false);
      clock.now += 100;
      expect(await store.advance(key, "discovered", "signed", { workerId: WORKER })).toBe(true);

      expect(await store.getMessage(key)).toMatchObject({
        state: "signed",
        claimedBy: null,
        leaseExpiresAt: null,
        nextAttemptAt: new Date(clock.now),
        updatedAt: new Date(clock.now),
      });
      // Released and due at once: any worker may take the next step.
      const [next] = await store.claimDue(OTHER_WORKER, { states: ["signed"], limit: 1, leaseMs: LEASE_MS });
      expect(next?.messageId).toBe(key.messageId);
      expect(await store.advance(key, "discovered", "signed", { workerId: OTHER_WORKER })).toBe(false);
    });

    it("records an intermediate step within one attempt without giving up the lease", async () => {
      const key = await insertOne();
      const [claimed] = await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
      expect(await store.advance(key, "discovered", "signed", { workerId: WORKER, keepLease: true })).toBe(true);
      expect(await store.getMessage(key)).toMatchObject({
        state: "signed",
        claimedBy: WORKER,
        leaseExpiresAt: claimed?.leaseExpiresAt,
      });
      expect(await store.claimDue(OTHER_WORKER, { states: ["signed"], limit: 1, leaseMs: LEASE_MS })).toEqual([]);
      expect(await store.advance(key, "signed", "delivered", { workerId: WORKER })).toBe(true);
      const error = await storeError(store.advance(key, "signed", "delivered", { workerId: WORKER, keepLease: true }));
      expect(error.kind).toBe("InvalidInput");
    });

    it("records the delivery and takes a delivered message out of the work", async () => {
      const key = await insertOne();
      await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
      await store.advance(key, "discovered", "signed", { workerId: WORKER });
      await store.claimDue(WORKER, { states: ["signed"], limit: 1, leaseMs: LEASE_MS });
      await store.advance(key, "signed", "verified", { workerId: WORKER });
      await store.claimDue(WORKER, { states: ["verified"], limit: 1, leaseMs: LEASE_MS });
      clock.now += 2_000;
      const deliveryTxHash = hex32(7, 0xd);
      expect(await store.advance(key, "verified", "delivered", { workerId: WORKER, deliveryTxHash })).toBe(true);

      expect(await store.getMessage(key)).toMatchObject({
        state: "delivered",
        deliveredAt: new Date(clock.now),
        deliveryTxHash,
        nextAttemptAt: null,
        claimedBy: null,
      });
      clock.now += 10 * LEASE_MS;
      const states = ["discovered", "signed", "verified"] as const;
      expect(await store.claimDue(WORKER, { states, limit: 10, leaseMs: LEASE_MS })).toEqual([]);
    });

    it("skips stages when the destination already has the message", async () => {
      const key = await insertOne();
      await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
      expect(await store.advance(key, "discovered", "delivered", { workerId: WORKER })).toBe(true);
      expect(await store.getMessage(key)).toMatchObject({
        state: "delivered",
        deliveryTxHash: null,
      });
    });

    it("refuses to move backwards or out of a final state", async () => {
      const key = await insertOne();
      const backwards = await storeError(store.advance(key, "verified", "signed" as "verified", { workerId: WORKER }));
      expect(backwards.kind).toBe("InvalidTransition");
      const fromFailed = await storeError(
        store.advance(key, "failed" as "verified", "delivered", { workerId: WORKER }),
      );
      expect(fromFailed.kind).toBe("InvalidTransition");
      const misplacedTx = await storeError(
        store.advance(key, "discovered", "signed", { workerId: WORKER, deliveryTxHash: hex32(1) }),
      );
      expect(misplacedTx.kind).toBe("InvalidInput");
    });
  });

  describe("signing", () => {
    const quorum = [
      {
        signer: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
        digest: hex32(1, 0xd1),
        signature: `0x${"11".repeat(65)}`,
      },
      {
        signer: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        digest: hex32(1, 0xd1),
        signature: `0x${"22".repeat(65)}`,
      },
    ] as const;
    const signersOf = async (key: MessageKey) => (await store.listSignatures(key)).map((stored) => stored.signer);

    it("stores the quorum and moves the message to signed in one step, for the lease holder", async () => {
      const key = await insertOne();
      const [claimed] = await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
      clock.now += 100;
      expect(await store.recordSigned(key, "discovered", quorum, { workerId: WORKER, keepLease: true })).toBe(true);
      expect(await store.getMessage(key)).toMatchObject({
        state: "signed",
        updatedAt: new Date(clock.now),
        claimedBy: WORKER,
        leaseExpiresAt: claimed?.leaseExpiresAt,
      });
      expect(await store.listSignatures(key)).toEqual(
        quorum.map((signature) => ({ ...signature, storedAt: new Date(clock.now) })),
      );
      // Once more (a retry of the same step): nothing moves and no signature is stored twice.
      expect(await store.recordSigned(key, "discovered", quorum, { workerId: WORKER, keepLease: true })).toBe(false);
      expect(await store.listSignatures(key)).toHaveLength(2);
      expect(await store.advance(key, "signed", "delivered", { workerId: WORKER })).toBe(true);
    });

    it("releases the lease unless asked to keep it, leaving the message due for the next step", async () => {
      const key = await insertOne();
      await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
      expect(await store.recordSigned(key, "discovered", quorum, { workerId: WORKER })).toBe(true);
      expect(await store.getMessage(key)).toMatchObject({ state: "signed", claimedBy: null, leaseExpiresAt: null });
      const [next] = await store.claimDue(OTHER_WORKER, { states: ["signed"], limit: 1, leaseMs: LEASE_MS });
      expect(next?.messageId).toBe(key.messageId);
    });

    it("moves only the holder's discovered message, keeping the signatures as saveSignature does", async () => {
      const key = await insertOne();
      expect(await store.recordSigned(key, "discovered", [], { workerId: WORKER })).toBe(false);
      await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
      const [first, second] = quorum;
      expect(await store.recordSigned(key, "discovered", [first], { workerId: OTHER_WORKER })).toBe(false);
      expect(await store.getMessage(key)).toMatchObject({ state: "discovered", claimedBy: WORKER });
      expect(await signersOf(key)).toEqual([first.signer]);
      // A message already signed (a retry that gathered signatures again) only gets the new ones.
      await store.advance(key, "discovered", "signed", { workerId: WORKER, keepLease: true });
      expect(await store.recordSigned(key, "signed", [second], { workerId: WORKER, keepLease: true })).toBe(false);
      expect(await store.getMessage(key)).toMatchObject({ state: "signed", claimedBy: WORKER });
      expect(await signersOf(key)).toEqual([first.signer, second.signer]);
    });

    it("takes the move back when a signature cannot be stored", async () => {
      const key = await insertOne();
      await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
      await harness.refuseInserts("message_signatures", "signer", quorum[1].signer.toLowerCase());
      const error = await storeError(store.recordSigned(key, "discovered", quorum, { workerId: WORKER }));
      expect(error.kind).toBe("QueryFailed");
      expect(await store.getMessage(key)).toMatchObject({ state: "discovered", claimedBy: WORKER });
      expect(await store.listSignatures(key)).toEqual([]);
    });

    it("refuses an unknown message, a final state and a malformed signature, changing nothing", async () => {
      const unknown = { transport: "hyperlane", messageId: hex32(99) } as const;
      expect((await storeError(store.recordSigned(unknown, "discovered", quorum, { workerId: WORKER }))).kind).toBe(
        "UnknownMessage",
      );
      const key = await insertOne();
      await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
      const final = await storeError(store.recordSigned(key, "failed" as "discovered", quorum, { workerId: WORKER }));
      expect(final.kind).toBe("InvalidTransition");
      const malformed = [quorum[0], { ...quorum[1], digest: "0x12" as Hex }];
      const invalid = await storeError(store.recordSigned(key, "discovered", malformed, { workerId: WORKER }));
      expect(invalid).toMatchObject({ kind: "InvalidInput", message: expect.stringMatching(/digest/) });
      expect(await store.getMessage(key)).toMatchObject({ state: "discovered" });
      expect(await store.listSignatures(key)).toEqual([]);
    });
  });

  describe("deliveries seen on the destination", () => {
    it("settles pending messages nobody holds, leaves a held one to its worker, ignores unknown keys", async () => {
      const [idle, held, done] = (await insert(3)).map(keyOf) as [MessageKey, MessageKey, MessageKey];
      await store.claimDue(WORKER, { states: ["discovered"], limit: 3, leaseMs: LEASE_MS });
      // `idle` was deferred (its lease handed back), `done` delivered by this worker, `held` is in its hands.
      await store.recordFailure(idle, "a peer operator is delivering", {
        workerId: WORKER,
        deferUntil: new Date(clock.now + 60_000),
      });
      expect(await store.advance(done, "discovered", "delivered", { workerId: WORKER, deliveryTxHash: hex32(7) })).toBe(
        true,
      );
      clock.now += 5;
      const unknown = { transport: "hyperlane", messageId: hex32(999) } as const;
      const seen = [idle, held, done, unknown].map((key, index) => ({ ...key, deliveryTxHash: hex32(100 + index) }));
      expect(await store.settleDelivered(seen)).toBe(1);
      expect(await store.getMessage(idle)).toMatchObject({
        state: "delivered",
        deliveryTxHash: hex32(100),
        deliveredAt: new Date(clock.now),
        nextAttemptAt: null,
        lastError: null,
        claimedBy: null,
      });
      expect(await store.getMessage(done)).toMatchObject({ state: "delivered", deliveryTxHash: hex32(7) });
      expect(await store.getMessage(unknown)).toBeUndefined();
      // The holder finishes its own work as usual ...
      expect(await store.getMessage(held)).toMatchObject({ state: "discovered", claimedBy: WORKER });
      expect(await store.advance(held, "discovered", "signed", { workerId: WORKER, keepLease: true })).toBe(true);
      // ... and once its lease lapsed, what the chain shows wins.
      clock.now += LEASE_MS;
      expect(await store.settleDelivered([{ ...held, deliveryTxHash: hex32(101) }])).toBe(1);
      expect(await store.getMessage(held)).toMatchObject({ state: "delivered", claimedBy: null });
      expect(await store.advance(held, "signed", "delivered", { workerId: WORKER })).toBe(false);
      expect(await store.countByState()).toMatchObject({ delivered: 3, discovered: 0, signed: 0 });
    });

    it("refuses a malformed delivery and changes nothing", async () => {
      const key = await insertOne();
      const error = await storeError(store.settleDelivered([{ ...key, deliveryTxHash: "0x1234" as `0x${string}` }]));
      expect(error.kind).toBe("InvalidInput");
      expect(await store.getMessage(key)).toMatchObject({ state: "discovered" });
      expect(await store.settleDelivered([])).toBe(0);
    });
  });

  describe("failures", () => {
    it("counts attempts and backs off exponentially up to the cap, keeping the error", async () => {
      const key = await insertOne();
      const delays: number[] = [];
      for (let attempt = 1; attempt <= 5; attempt++) {
        const [claimed] = await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
        expect(claimed?.attempts).toBe(attempt - 1);
        const failure = await store.recordFailure(key, new Error(`rpc timeout ${attempt}`), { workerId: WORKER });
        expect(failure).toMatchObject({ state: "discovered", attempts: attempt });
        delays.push((failure?.nextAttemptAt?.getTime() ?? 0) - clock.now);
        clock.now += 1;
        expect(await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS })).toEqual([]);
        clock.now = failure?.nextAttemptAt?.getTime() ?? 0;
      }
      expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
      expect(await store.getMessage(key)).toMatchObject({
        attempts: 5,
        lastError: "Error: rpc timeout 5",
        claimedBy: null,
      });

      await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
      await store.advance(key, "discovered", "signed", { workerId: WORKER });
      expect(await store.getMessage(key)).toMatchObject({ state: "signed", attempts: 0, lastError: null });
    });

    it("defers to the caller's time without counting an attempt", async () => {
      const key = await insertOne();
      for (let deferral = 1; deferral <= 4; deferral++) {
        await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
        const deferUntil = new Date(clock.now + 60_000);
        const deferred = await store.recordFailure(key, "a peer operator is delivering", {
          workerId: WORKER,
          deferUntil,
        });
        expect(deferred).toEqual({ state: "discovered", attempts: 0, nextAttemptAt: deferUntil });
        clock.now += 59_999;
        expect(await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS })).toEqual([]);
        clock.now += 1;
      }
      expect(await store.getMessage(key)).toMatchObject({ attempts: 0, lastError: null });
      // The first real failure after many deferrals waits the first backoff step, not the deferrals' count's ...
      await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
      const failure = await store.recordFailure(key, new Error("quorum not reached"), { workerId: WORKER });
      expect(failure).toEqual({
        state: "discovered",
        attempts: 1,
        nextAttemptAt: new Date(clock.now + BACKOFF.baseMs),
      });
      expect(await store.getMessage(key)).toMatchObject({ attempts: 1, lastError: "Error: quorum not reached" });
      // ... and a deferral after it keeps that error on record.
      clock.now += BACKOFF.baseMs;
      await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
      await store.recordFailure(key, "a peer operator is delivering", {
        workerId: WORKER,
        deferUntil: new Date(clock.now + 60_000),
      });
      expect(await store.getMessage(key)).toMatchObject({ attempts: 1, lastError: "Error: quorum not reached" });
    });

    it("moves a permanently failing message to failed, for good", async () => {
      const key = await insertOne();
      await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
      const failure = await store.recordFailure(key, new Error("payload does not decode"), {
        workerId: WORKER,
        permanent: true,
      });
      expect(failure).toEqual({ state: "failed", attempts: 1, nextAttemptAt: null });
      expect(await store.getMessage(key)).toMatchObject({
        state: "failed",
        lastError: "Error: payload does not decode",
        nextAttemptAt: null,
        claimedBy: null,
      });
      clock.now += 10 * BACKOFF.maxMs;
      const states = ["discovered", "signed", "verified"] as const;
      expect(await store.claimDue(WORKER, { states, limit: 10, leaseMs: LEASE_MS })).toEqual([]);
      expect(await store.countByState()).toMatchObject({ failed: 1, discovered: 0 });
    });

    it("records a failure only for the lease holder", async () => {
      const key = await insertOne();
      expect(await store.recordFailure(key, "no lease", { workerId: WORKER })).toBeUndefined();
      await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
      expect(await store.recordFailure(key, "not mine", { workerId: OTHER_WORKER })).toBeUndefined();
      expect(await store.getMessage(key)).toMatchObject({ attempts: 0, lastError: null, claimedBy: WORKER });
    });
  });

  describe("signatures", () => {
    it("stores our own and peers' signatures once each", async () => {
      const key = await insertOne();
      const digest = hex32(1, 0xd1);
      const own = {
        signer: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        digest,
        signature: `0x${"11".repeat(65)}`,
      } as const;
      const peer = {
        signer: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
        digest,
        signature: `0x${"22".repeat(65)}`,
      } as const;
      expect(await store.saveSignature(key, own)).toBe(true);
      clock.now += 1;
      expect(await store.saveSignature(key, peer)).toBe(true);
      expect(await store.saveSignature(key, { ...peer, signer: peer.signer.toLowerCase() as Hex })).toBe(false);
      expect(await store.saveSignature(key, { ...own, digest: hex32(2, 0xd1) })).toBe(true);

      expect(await store.listSignatures(key, { digest })).toEqual([
        { ...own, storedAt: new Date(T0 + 1) },
        { ...peer, storedAt: new Date(T0 + 2) },
      ]);
      expect(await store.listSignatures(key, { signer: own.signer })).toHaveLength(2);
      expect(await store.listSignatures(key)).toHaveLength(3);
    });

    it("keeps several messages' signatures in one call, skipping a message it does not hold", async () => {
      const [first, second] = [newMessage(1), newMessage(2)].map(keyOf) as [MessageKey, MessageKey];
      await store.insertMessages([newMessage(1), newMessage(2)]);
      const signature = (n: number) =>
        ({ signer: `0x${"ab".repeat(20)}`, digest: hex32(n, 0xd1), signature: `0x${"33".repeat(65)}` }) as const;
      const unknown: MessageKey = { transport: "hyperlane", messageId: hex32(99) };
      const entries = [
        { key: first, signature: signature(1) },
        { key: unknown, signature: signature(3) },
        { key: second, signature: signature(2) },
      ];
      expect(await store.keepSignatures(entries)).toBe(2);
      expect(await store.keepSignatures(entries)).toBe(0);
      expect(await store.keepSignatures([])).toBe(0);
      expect((await store.listSignatures(first)).map(({ digest }) => digest)).toEqual([hex32(1, 0xd1)]);
      expect((await store.listSignatures(second)).map(({ digest }) => digest)).toEqual([hex32(2, 0xd1)]);
      expect(await store.listSignatures(unknown)).toEqual([]);
    });

    it("refuses a signature of a message it does not hold", async () => {
      const error = await storeError(
        store.saveSignature(
          { transport: "hyperlane", messageId: hex32(99) },
          { signer: `0x${"12".repeat(20)}`, digest: hex32(1), signature: "0x00" },
        ),
      );
      expect(error.kind).toBe("UnknownMessage");
    });
  });

  describe("cursors", () => {
    it("only move forward unless reset", async () => {
      expect(await store.getCursor(70_701, "vault")).toBeUndefined();
      expect(await store.setCursor(70_701, "vault", 100n)).toBe(true);
      expect(await store.setCursor(70_701, "vault", 90n)).toBe(false);
      expect(await store.setCursor(70_701, "vault", 100n)).toBe(false);
      expect(await store.getCursor(70_701, "vault")).toBe(100n);
      expect(await store.setCursor(70_701, "vault", 2n ** 40n)).toBe(true);
      expect(await store.getCursor(70_701, "vault")).toBe(2n ** 40n);

      await store.resetCursor(70_701, "vault", 80n);
      expect(await store.getCursor(70_701, "vault")).toBe(80n);
    });

    it("keep one position per chain and stream", async () => {
      await store.setCursor(70_701, "vault", 10n);
      await store.setCursor(70_701, "mailbox", 20n);
      await store.setCursor(70_702, "vault", 30n);
      expect(await store.getCursor(70_701, "vault")).toBe(10n);
      expect(await store.getCursor(70_701, "mailbox")).toBe(20n);
      expect(await store.getCursor(70_702, "vault")).toBe(30n);
      expect((await storeError(store.setCursor(70_701, "vault", -1n))).message).toMatch(/block/);
    });
  });

  describe("block ranges", () => {
    const CHAIN = 70_700;

    it("records every stream's messages, settlements and cursor of a range at once, idempotently", async () => {
      // Messages 1 and 3 are Hyperlane's; 1 is leased to a live worker.
      const [, held, , pending] = (await insert(4)).map(keyOf) as [MessageKey, MessageKey, MessageKey, MessageKey];
      await store.claimDue(WORKER, { states: ["discovered"], limit: 2, leaseMs: LEASE_MS });
      await store.setCursor(CHAIN, "layerzero", 40n);
      const dueAt = new Date(clock.now + 60_000);
      const range = {
        chainId: CHAIN,
        toBlock: 100n,
        streams: [
          { stream: "layerzero", messages: [newMessage(10), newMessage(12), newMessage(0)], deliveries: [] },
          {
            stream: "hyperlane",
            messages: [newMessage(11)],
            deliveries: [pending, held, { transport: "hyperlane", messageId: hex32(404) } as const].map((key) => ({
              ...key,
              deliveryTxHash: hex32(7, 0xd),
            })),
          },
        ],
      };
      expect(await store.recordBlockRange(range, { dueAt })).toEqual([
        // newMessage(0) was stored already.
        { inserted: 2, settled: 0, cursorMoved: true },
        // `held` stays with its worker; the unknown key is ignored.
        { inserted: 1, settled: 1, cursorMoved: true },
      ]);
      expect(await store.getCursor(CHAIN, "layerzero")).toBe(100n);
      expect(await store.getCursor(CHAIN, "hyperlane")).toBe(100n);
      expect(await store.getMessage(newMessage(11))).toMatchObject({ state: "discovered", nextAttemptAt: dueAt });
      expect(await store.getMessage(pending)).toMatchObject({ state: "delivered", deliveryTxHash: hex32(7, 0xd) });
      expect(await store.getMessage(held)).toMatchObject({ state: "discovered", claimedBy: WORKER });

      // The same range again (a crash before the caller saw the answer): nothing changes.
      const counts = await store.countByState();
      expect(await store.recordBlockRange(range)).toEqual([
        { inserted: 0, settled: 0, cursorMoved: false },
        { inserted: 0, settled: 0, cursorMoved: false },
      ]);
      expect(await store.countByState()).toEqual(counts);
      // A cursor only moves forward.
      const behind = { chainId: CHAIN, toBlock: 90n, streams: [{ stream: "hyperlane", messages: [], deliveries: [] }] };
      expect(await store.recordBlockRange(behind)).toEqual([{ inserted: 0, settled: 0, cursorMoved: false }]);
      expect(await store.getCursor(CHAIN, "hyperlane")).toBe(100n);
      expect(await store.recordBlockRange({ chainId: CHAIN, toBlock: 101n, streams: [] })).toEqual([]);
    });

    it("takes the whole range back when one of its writes fails", async () => {
      const pending = await insertOne();
      await harness.refuseInserts("cursors", "stream", "hyperlane");
      const range = {
        chainId: CHAIN,
        toBlock: 100n,
        streams: [
          {
            stream: "layerzero",
            messages: [newMessage(10)],
            deliveries: [{ ...pending, deliveryTxHash: hex32(7, 0xd) }],
          },
          { stream: "hyperlane", messages: [newMessage(11)], deliveries: [] },
        ],
      };
      expect((await storeError(store.recordBlockRange(range))).kind).toBe("QueryFailed");
      expect(await store.getMessage(newMessage(10))).toBeUndefined();
      expect(await store.getMessage(newMessage(11))).toBeUndefined();
      expect(await store.getMessage(pending)).toMatchObject({ state: "discovered" });
      expect(await store.getCursor(CHAIN, "layerzero")).toBeUndefined();
    });

    it("refuses a malformed range, naming the field, and records none of it", async () => {
      const range = (streams: { stream: string; messages: NewMessage[] }[]) => ({
        chainId: CHAIN,
        toBlock: 100n,
        streams: streams.map((entry) => ({ ...entry, deliveries: [] })),
      });
      const malformed = await storeError(
        store.recordBlockRange(
          range([
            { stream: "layerzero", messages: [newMessage(10)] },
            { stream: "hyperlane", messages: [{ ...newMessage(11), originChainId: 0 }] },
          ]),
        ),
      );
      expect(malformed).toMatchObject({ kind: "InvalidInput", message: expect.stringMatching(/originChainId/) });
      const twice = await storeError(
        store.recordBlockRange(
          range([
            { stream: "layerzero", messages: [] },
            { stream: "layerzero", messages: [] },
          ]),
        ),
      );
      expect(twice.message).toMatch(/streams: must name each stream once/);
      const negative = await storeError(store.recordBlockRange({ chainId: CHAIN, toBlock: -1n, streams: [] }));
      expect(negative.message).toMatch(/toBlock/);
      expect(await store.getMessage(newMessage(10))).toBeUndefined();
      expect(await store.getCursor(CHAIN, "layerzero")).toBeUndefined();
    });
  });

  describe("restart", () => {
    it("finds every message, lease, signature and cursor exactly as it left them", async () => {
      const keys = (await insert(6)).map(keyOf);
      const [signed, delivered, failed, retrying] = keys as [MessageKey, MessageKey, MessageKey, MessageKey];
      await store.claimDue(WORKER, { states: ["discovered"], limit: 5, leaseMs: LEASE_MS });
      await store.advance(signed, "discovered", "signed", { workerId: WORKER });
      await store.advance(delivered, "discovered", "delivered", { workerId: WORKER, deliveryTxHash: hex32(1, 9) });
      await store.recordFailure(failed, "bad payload", { workerId: WORKER, permanent: true });
      await store.recordFailure(retrying, "rpc down", { workerId: WORKER });
      await store.saveSignature(signed, { signer: `0x${"ab".repeat(20)}`, digest: hex32(5), signature: "0x1234" });
      await store.setCursor(70_701, "vault", 123_456n);
      await store.setCursor(70_700, "hub", 7n);

      const snapshot = async (instance: MessageStore) => ({
        messages: await Promise.all(keys.map((key) => instance.getMessage(key))),
        signatures: await instance.listSignatures(signed),
        cursors: [await instance.getCursor(70_701, "vault"), await instance.getCursor(70_700, "hub")],
        counts: await instance.countByState(),
      });
      const before = await snapshot(store);
      await store.close();
      await expect(store.getMessage(signed)).rejects.toMatchObject({ kind: "Closed" });

      const reopened = await open();
      expect(await snapshot(reopened)).toEqual(before);
      // The fifth message's lease survived too: until it expires nobody else may take it.
      const due = await reopened.claimDue(OTHER_WORKER, { states: ["discovered"], limit: 10, leaseMs: LEASE_MS });
      expect(idsOf(due)).toEqual([keys[5]?.messageId]);
      // A second open of a migrated database changes nothing.
      expect(await snapshot(await open())).toEqual(await snapshot(reopened));
    });
  });

  it.runIf(backend.concurrentInstances)(
    "lets instances that start together on a new database migrate it once",
    async () => {
      const database = backend.freshDatabase();
      const instances = await Promise.all([open(database), open(database), open(database), open(database)]);
      await Promise.all(instances.map((instance, i) => instance.setCursor(1, "stream", BigInt(i + 1))));
      expect(await instances[0]?.getCursor(1, "stream")).toBe(4n);
    },
  );

  describe("queries", () => {
    it("pages newest first with a cursor that stays valid while messages arrive", async () => {
      const messages = await insert(25);
      const newestFirst = messages.map((message) => message.messageId).reverse();
      const seen: Hex[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.listMessages({ limit: 10, ...(cursor === undefined ? {} : { cursor }) });
        seen.push(...idsOf(page.messages));
        cursor = page.nextCursor;
        pages++;
        if (pages === 1) await insert(3, 100);
      } while (cursor !== undefined);
      expect(pages).toBe(3);
      expect(seen).toEqual(newestFirst);

      const exact = await store.listMessages({ limit: 28 });
      expect(exact.messages).toHaveLength(28);
      expect(exact.nextCursor).toBeUndefined();
    });

    it("filters by state, transport, origin, destination and type", async () => {
      const messages = await insert(12);
      const [first] = messages.map(keyOf) as [MessageKey];
      await store.claimDue(WORKER, { states: ["discovered"], limit: 2, leaseMs: LEASE_MS });
      await store.advance(first, "discovered", "signed", { workerId: WORKER });
      const list = async (filter: Omit<Parameters<MessageStore["listMessages"]>[0], "limit">) =>
        idsOf((await store.listMessages({ ...filter, limit: 100 })).messages).sort();
      const expected = (keep: (message: NewMessage) => boolean) =>
        messages
          .filter(keep)
          .map((m) => m.messageId)
          .sort();

      expect(await list({ state: "signed" })).toEqual([messages[0]?.messageId]);
      expect(await list({ transport: "hyperlane" })).toEqual(expected((m) => m.transport === "hyperlane"));
      expect(await list({ origin: 70_701 })).toEqual(expected((m) => m.originChainId === 70_701));
      expect(await list({ destination: 70_701 })).toEqual([]);
      expect(await list({ type: "BalanceReport", transport: "layerzero" })).toEqual(
        expected((m) => m.messageType === "BalanceReport" && m.transport === "layerzero"),
      );
      expect(await list({ state: "discovered", type: "Lock" })).toEqual(
        expected((m) => m.messageType === "Lock" && m !== messages[0]),
      );
    });

    it("rejects page sizes out of bounds and cursors it did not issue", async () => {
      for (const limit of [0, 1_001, 2.5]) {
        expect((await storeError(store.listMessages({ limit }))).message).toMatch(/limit/);
      }
      for (const cursor of ["abc", "-1", "99999999999999999999"]) {
        const error = await storeError(store.listMessages({ limit: 10, cursor }));
        expect(error).toMatchObject({ kind: "InvalidInput" });
        expect(error.message).toMatch(/cursor/);
      }
    });

    it("counts messages by state and measures the oldest message still in progress", async () => {
      expect(await store.countByState()).toEqual({ discovered: 0, signed: 0, verified: 0, delivered: 0, failed: 0 });
      expect(await store.oldestPendingAgeMs()).toBeUndefined();
      const [first, second, third] = (await insert(4)).map(keyOf) as [MessageKey, MessageKey, MessageKey];
      await store.claimDue(WORKER, { states: ["discovered"], limit: 3, leaseMs: LEASE_MS });
      await store.advance(first, "discovered", "delivered", { workerId: WORKER });
      await store.recordFailure(second, "bad", { workerId: WORKER, permanent: true });
      await store.advance(third, "discovered", "verified", { workerId: WORKER });

      expect(await store.countByState()).toEqual({ discovered: 1, signed: 0, verified: 1, delivered: 1, failed: 1 });
      clock.now = T0 + 60_000;
      // Delivered (first) and failed (second) messages are no backlog; the third was discovered at T0 + 2.
      expect(await store.oldestPendingAgeMs()).toBe(60_000 - 2);
    });
  });
}
