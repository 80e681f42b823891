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
import type { MessageStore, NewMessage } from "./types.ts";

const COUNT = 2_000;
const BATCH = 50;
const WORKER = "bench";
const LEASE_MS = 60_000;

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

interface Measurement {
  operation: string;
  ms: number;
}

async function timed(operation: string, run: () => Promise<void>): Promise<Measurement> {
  const start = performance.now();
  await run();
  return { operation, ms: performance.now() - start };
}

async function measure(store: MessageStore): Promise<Measurement[]> {
  const results: Measurement[] = [];
  results.push(
    await timed(`${COUNT} inserts, one at a time`, async () => {
      for (let n = 0; n < COUNT; n++) await store.insertMessage(message(n));
    }),
  );
  results.push(
    await timed(`${COUNT} claim+advance cycles, claiming 1`, async () => {
      for (let n = 0; n < COUNT; n++) {
        const [claimed] = await store.claimDue(WORKER, { states: ["discovered"], limit: 1, leaseMs: LEASE_MS });
        if (claimed === undefined || !(await store.advance(claimed, "discovered", "signed", { workerId: WORKER }))) {
          throw new Error(`cycle ${n} found no work`);
        }
      }
    }),
  );
  results.push(
    await timed(`${COUNT} claim+advance, claiming ${BATCH} at a time`, async () => {
      for (let done = 0; done < COUNT; ) {
        const claimed = await store.claimDue(WORKER, { states: ["signed"], limit: BATCH, leaseMs: LEASE_MS });
        if (claimed.length === 0) throw new Error(`no work left after ${done}`);
        for (const message of claimed) await store.advance(message, "signed", "verified", { workerId: WORKER });
        done += claimed.length;
      }
    }),
  );
  return results;
}

async function bench(backend: string, config: StoreConfig): Promise<void> {
  const store = await openStore(config, { logger: pino({ level: "warn" }) });
  try {
    for (const { operation, ms } of await measure(store)) {
      const total = `${ms.toFixed(0).padStart(6)} ms`;
      const each = `${((ms * 1_000) / COUNT).toFixed(0).padStart(5)} µs/op`;
      const rate = `${String(Math.round((COUNT / ms) * 1_000)).padStart(6)} /s`;
      console.log(`${backend.padEnd(10)} ${operation.padEnd(42)} ${total}  ${each}  ${rate}`);
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
