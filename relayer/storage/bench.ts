/**
 * Measures the message store on each backend; numbers are printed, not asserted.
 *   scripts/run npx tsx relayer/storage/bench.ts
 * PostgreSQL is measured when DATABASE_URL is set (in a fresh schema, dropped afterwards).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { pino } from "pino";
import type { Hex } from "viem";
import type { StoreConfig } from "./config.ts";
import { openStore } from "./store.ts";
import type { MessageKey, MessageStore, NewMessage, NewSignature } from "./types.ts";

const COUNT = 2_000;
const BATCH = 50;
/** Block ranges per variant of the watcher's step; each settles one delivery per stream. */
const RANGES = COUNT / 4;
const WORKER = "bench";
const LEASE_MS = 60_000;
/** The most claimDue hands out at once. */
const CLAIM_MAX = 1_000;

const hex32 = (n: number): Hex => `0x${n.toString(16).padStart(64, "0")}`;

function message(n: number): NewMessage {
  return {
    transport: n % 2 === 0 ? "layerzero" : "hyperlane",
    messageId: hex32(n),
    originChainId: 70_701,
    destinationChainId: 70_700,
    sourceTxHash: hex32(n + 1_000_000),
    blockNumber: BigInt(n),
    logIndex: 0,
    // About the size of a LayerZero packet carrying a BalanceReport.
    payload: `0x${"ab".repeat(300)}`,
    messageType: "BalanceReport",
  };
}

/** A quorum of two signatures of one digest. */
const QUORUM: readonly NewSignature[] = [1, 2].map((signer) => ({
  signer: `0x${signer.toString(16).padStart(40, "0")}`,
  digest: hex32(7),
  signature: `0x${"cd".repeat(65)}`,
}));

interface Measurement {
  operation: string;
  /** Operations the run made: what the per-operation figures divide by. */
  count: number;
  ms: number;
  /** This process's CPU time (all of SQLite's work; only the client's side of PostgreSQL's). */
  cpuMs: number;
}

async function timed(operation: string, count: number, run: () => Promise<void>): Promise<Measurement> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await run();
  const ms = performance.now() - start;
  const { user, system } = process.cpuUsage(cpu);
  return { operation, count, ms, cpuMs: (user + system) / 1_000 };
}

/** Leases `count` discovered messages to the bench's worker (outside the timed runs). */
async function claimDiscovered(store: MessageStore, count: number): Promise<MessageKey[]> {
  const claimed: MessageKey[] = [];
  while (claimed.length < count) {
    const limit = Math.min(CLAIM_MAX, count - claimed.length);
    const batch = await store.claimDue(WORKER, { states: ["discovered"], limit, leaseMs: LEASE_MS });
    if (batch.length === 0) throw new Error(`only ${claimed.length} of ${count} messages to claim`);
    claimed.push(...batch);
  }
  return claimed;
}

/**
 * One watcher block range: per stream one new message and one delivery of a message stored before (the
 * `verified` messages of the earlier runs, unleased), the cursors moved to the range's end.
 */
function blockRange(range: number, variant: number) {
  const streams = (["layerzero", "hyperlane"] as const).map((stream, index) => {
    const n = (variant * RANGES + range) * 2 + index;
    return {
      stream,
      messages: [{ ...message(10 * COUNT + n), transport: stream }],
      deliveries: [{ transport: message(n).transport, messageId: hex32(n), deliveryTxHash: hex32(n + 2_000_000) }],
    };
  });
  return { chainId: 70_701, toBlock: BigInt(variant * RANGES + range + 1), streams };
}

async function measure(store: MessageStore): Promise<Measurement[]> {
  const results: Measurement[] = [];
  results.push(
    await timed("inserts, one at a time", COUNT, async () => {
      for (let n = 0; n < COUNT; n++) await store.insertMessage(message(n));
    }),
  );
  results.push(
    await timed("claim+advance cycles, claiming 1", COUNT, async () => {
      for (let n = 0; n < COUNT; n++) {
        const [claimed] = await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
        if (claimed === undefined || !(await store.advance(claimed, "discovered", "signed", { workerId: WORKER }))) {
          throw new Error(`cycle ${n} found no work`);
        }
      }
    }),
  );
  results.push(
    await timed(`claim+advance, claiming ${BATCH} at a time`, COUNT, async () => {
      for (let done = 0; done < COUNT; ) {
        const claimed = await store.claimDue(WORKER, { states: ["signed"], limit: BATCH, leaseMs: LEASE_MS });
        if (claimed.length === 0) throw new Error(`no work left after ${done}`);
        for (const message of claimed) await store.advance(message, "signed", "verified", { workerId: WORKER });
        done += claimed.length;
      }
    }),
  );
  await store.insertMessages(Array.from({ length: 2 * COUNT }, (_, index) => message(COUNT + index)));
  const perStatement = await claimDiscovered(store, COUNT);
  results.push(
    await timed("signed step: 2 saveSignature + advance", COUNT, async () => {
      for (const key of perStatement) {
        for (const signature of QUORUM) await store.saveSignature(key, signature);
        if (!(await store.advance(key, "discovered", "signed", { workerId: WORKER, keepLease: true }))) {
          throw new Error(`${key.messageId} did not move`);
        }
      }
    }),
  );
  const together = await claimDiscovered(store, COUNT);
  results.push(
    await timed("signed step: recordSigned (2 signatures)", COUNT, async () => {
      for (const key of together) {
        if (!(await store.recordSigned(key, "discovered", QUORUM, { workerId: WORKER, keepLease: true }))) {
          throw new Error(`${key.messageId} did not move`);
        }
      }
    }),
  );
  results.push(
    await timed("range of 2 streams: insert+settle+setCursor each", RANGES, async () => {
      for (let range = 0; range < RANGES; range++) {
        const { chainId, toBlock, streams } = blockRange(range, 0);
        for (const { stream, messages, deliveries } of streams) {
          await store.insertMessages(messages);
          if ((await store.settleDelivered(deliveries)) !== 1) throw new Error(`range ${range} settled nothing`);
          await store.setCursor(chainId, stream, toBlock);
        }
      }
    }),
  );
  results.push(
    await timed("range of 2 streams: recordBlockRange", RANGES, async () => {
      for (let range = 0; range < RANGES; range++) {
        const outcomes = await store.recordBlockRange(blockRange(range, 1));
        if (outcomes.some(({ settled }) => settled !== 1)) throw new Error(`range ${range} settled nothing`);
      }
    }),
  );
  return results;
}

async function bench(backend: string, config: StoreConfig): Promise<void> {
  const store = await openStore(config, { logger: pino({ level: "warn" }) });
  try {
    for (const { operation, count, ms, cpuMs } of await measure(store)) {
      const total = `${ms.toFixed(0).padStart(6)} ms`;
      const each = `${((ms * 1_000) / count).toFixed(0).padStart(5)} µs/op`;
      const cpu = `${((cpuMs * 1_000) / count).toFixed(0).padStart(5)} µs CPU/op`;
      const rate = `${String(Math.round((count / ms) * 1_000)).padStart(6)} /s`;
      const operations = `${count} × ${operation}`;
      console.log(`${backend.padEnd(10)} ${operations.padEnd(56)} ${total}  ${each}  ${cpu}  ${rate}`);
    }
  } finally {
    await store.close();
  }
}

const directory = await mkdtemp(join(tmpdir(), "xmargin-bench-"));
try {
  await bench("sqlite", { kind: "sqlite", path: join(directory, "relayer.db") });
} finally {
  await rm(directory, { recursive: true, force: true });
}

const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl === undefined) {
  console.warn("postgres   SKIPPED: set DATABASE_URL to measure PostgreSQL");
} else {
  const schema = `xmargin_bench_${randomBytes(4).toString("hex")}`;
  try {
    await bench("postgres", { kind: "postgres", url: databaseUrl, schema });
  } finally {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}
