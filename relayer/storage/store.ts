import { pino } from "pino";
import { getAddress, type Hex } from "viem";
// "zod/v4" is zod 4 whether the installed package is 3.25 (which ships v4 there) or 4.x.
import { z } from "zod/v4";
import { MESSAGE_TYPE, type MessageTypeName } from "../../sdk/codec/index.ts";
import { type BackoffPolicy, checkBackoffPolicy, DEFAULT_BACKOFF, nextRetryAt } from "./backoff.ts";
import { parseStoreConfig, type StoreConfig } from "./config.ts";
import { describeIssues, formatIssues, StoreError } from "./errors.ts";
import { migrate } from "./migrations.ts";
import { openPostgresDriver } from "./postgres.ts";
import { placeholders, type SqlDriver, type SqlExecutor, type SqlRow, type SqlValue } from "./sql.ts";
import {
  type AdvanceFields,
  type BlockRange,
  type ClaimOptions,
  type FailureOptions,
  type InsertOptions,
  type ListMessagesQuery,
  MESSAGE_STATES,
  type MessageKey,
  type MessagePage,
  type MessageState,
  type MessageStore,
  type NewMessage,
  type NewSignature,
  PENDING_STATES,
  type PendingState,
  type RecordedFailure,
  type SeenDelivery,
  type SignatureFilter,
  type SignedFields,
  type StoredMessage,
  type StoredSignature,
  type StoreLogger,
  type StreamRangeOutcome,
  TRANSPORTS,
} from "./types.ts";

export interface StoreOptions {
  /** Defaults to a pino logger; the service passes its own child logger (pino or fastify's). */
  logger?: StoreLogger;
  /** Unix milliseconds; tests move it to expire leases and reach retry times without waiting. */
  clock?: () => number;
  /** Retry schedule of `recordFailure` for a failure that is not a deferral. */
  backoff?: BackoffPolicy;
}

/** Opens (creating and migrating when needed) the store the config names. */
export async function openStore(config: StoreConfig, options: StoreOptions = {}): Promise<MessageStore> {
  const resolved = parseStoreConfig(config);
  const { logger = pino({ name: "xmargin-storage" }), clock = Date.now, backoff = DEFAULT_BACKOFF } = options;
  try {
    checkBackoffPolicy(backoff);
  } catch (error) {
    throw new StoreError("InvalidConfig", `invalid storage options: ${(error as Error).message}`, { cause: error });
  }
  const driver =
    resolved.kind === "sqlite"
      ? // Loaded on demand so that PostgreSQL users never load node:sqlite (and never see its ExperimentalWarning).
        (await import("./sqlite.ts")).openSqliteDriver(resolved.path)
      : openPostgresDriver(resolved.url, resolved.schema, logger);
  try {
    await migrate(driver, clock(), logger);
  } catch (error) {
    await driver.close();
    throw error;
  }
  return new SqlMessageStore(driver, clock, backoff);
}

const LIST_LIMIT_MAX = 1_000;
const CLAIM_LIMIT_MAX = 1_000;
/** Errors from RPCs can carry whole request bodies; the start says what went wrong. */
const LAST_ERROR_MAX_LENGTH = 2_000;
/** The largest value SQLite's INTEGER (signed 64-bit) holds, and PostgreSQL's BIGINT. */
const INT64_MAX = 2n ** 63n - 1n;

const hexBytes = (bytes: number) =>
  z
    .string()
    .regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), `expected 0x followed by ${bytes * 2} hex digits`)
    // Lowercase on the way in, so that the same id always finds the same row.
    .transform((value) => value.toLowerCase() as Hex);
// Two checks rather than /^0x([0-9a-f]{2})*$/, whose repeated group is slow on kilobyte payloads.
const hexData = z
  .string()
  .regex(/^0x[0-9a-fA-F]*$/, "expected 0x followed by hex digits")
  .refine((value) => value.length % 2 === 0, "expected whole bytes (an even number of hex digits)")
  .transform((value) => value.toLowerCase() as Hex);
const chainId = z.int().positive();
const blockNumber = z.bigint().nonnegative().max(INT64_MAX);
const stream = z.string().min(1, "must not be empty");
const workerId = z.string().min(1, "must not be empty").max(200);
const messageType = z.enum(Object.keys(MESSAGE_TYPE) as [MessageTypeName, ...MessageTypeName[]]);

// Built once: zod schemas cost far more to construct than to run, and these run on every watcher poll.
const hash = hexBytes(32);
const optionalDate = z.date().optional();
const keySchema = z.object({ transport: z.enum(TRANSPORTS), messageId: hash });
const seenDeliverySchema = keySchema.extend({ deliveryTxHash: hash });
const newMessageSchema = keySchema.extend({
  originChainId: chainId,
  destinationChainId: chainId,
  sourceTxHash: hash,
  blockNumber,
  logIndex: z.int().nonnegative(),
  payload: hexData,
  messageType: messageType.nullable(),
});
const claimSchema = z.object({
  workerId,
  states: z.array(z.enum(PENDING_STATES)).min(1, "must name at least one state"),
  limit: z.int().min(1).max(CLAIM_LIMIT_MAX),
  leaseMs: z.int().positive(),
});
const signatureSchema = z.object({ signer: hexBytes(20), digest: hash, signature: hexData });
const signatureFilterSchema = z.object({ signer: hexBytes(20).optional(), digest: hash.optional() });
const cursorSchema = z.object({ chainId, stream, block: blockNumber });
const blockRangeSchema = z.object({
  chainId,
  toBlock: blockNumber,
  streams: z
    .array(z.object({ stream, messages: z.array(newMessageSchema), deliveries: z.array(seenDeliverySchema) }))
    // A stream named twice would see its second cursor move refused and report it as already there.
    .refine(
      (streams) => new Set(streams.map((entry) => entry.stream)).size === streams.length,
      "must name each stream once",
    ),
});
const listSchema = z.object({
  state: z.enum(MESSAGE_STATES).optional(),
  transport: z.enum(TRANSPORTS).optional(),
  origin: chainId.optional(),
  destination: chainId.optional(),
  type: messageType.optional(),
  limit: z.int().min(1).max(LIST_LIMIT_MAX),
  // The cursor is the `seq` of the last message of the previous page; callers treat it as opaque.
  cursor: z
    .string()
    .refine((value) => /^\d{1,19}$/.test(value) && BigInt(value) <= INT64_MAX, "is not a cursor this store returned")
    .optional(),
});

function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = describeIssues(parsed.error);
  throw new StoreError("InvalidInput", `invalid ${what}: ${formatIssues(issues)}`, { details: { issues } });
}

const MESSAGE_COLUMNS = `seq, transport, message_id, origin_chain_id, destination_chain_id, source_tx_hash,
  block_number, log_index, payload, message_type, state, attempts, last_error, next_attempt_at, discovered_at,
  updated_at, delivered_at, delivery_tx_hash, claimed_by, lease_expires_at`;

/** Life-cycle order: a transition must move to a later state. */
const STATE_ORDER: Record<MessageState, number> = { discovered: 0, signed: 1, verified: 2, delivered: 3, failed: 4 };

class SqlMessageStore implements MessageStore {
  readonly backend: "sqlite" | "postgres";
  #driver: SqlDriver | undefined;

  constructor(
    driver: SqlDriver,
    private readonly clock: () => number,
    private readonly backoff: BackoffPolicy,
  ) {
    this.#driver = driver;
    this.backend = driver.dialect.name;
  }

  private get db(): SqlDriver {
    if (this.#driver === undefined) throw new StoreError("Closed", "the message store is closed");
    return this.#driver;
  }

  async insertMessage(message: NewMessage, options: InsertOptions = {}): Promise<boolean> {
    return (await this.insertMessages([message], options)) === 1;
  }

  async insertMessages(messages: readonly NewMessage[], options: InsertOptions = {}): Promise<number> {
    const parsed = messages.map((message) => parseInput(newMessageSchema, message, "message"));
    const now = this.clock();
    const due = dueTime(options, now);
    if (parsed.length === 0) return 0;
    // One transaction: one commit (one fsync on PostgreSQL) for a whole block range of messages.
    return this.db.transaction((tx) => insertRows(tx, parsed, due, now));
  }

  async getMessage(key: MessageKey): Promise<StoredMessage | undefined> {
    const { transport, messageId } = parseInput(keySchema, key, "message key");
    const [row] = await this.db.rows(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE transport = $1 AND message_id = $2`,
      [transport, messageId],
    );
    return row === undefined ? undefined : toMessage(row);
  }

  async claimDue(worker: string, options: ClaimOptions): Promise<StoredMessage[]> {
    const { workerId, states, limit, leaseMs } = parseInput(claimSchema, { ...options, workerId: worker }, "claim");
    const now = this.clock();
    const db = this.db;
    return db.transaction(async (tx) => {
      const picked = await tx.rows(
        `SELECT seq FROM messages
         WHERE state IN (${placeholders(states.length, 2)})
           AND next_attempt_at <= $1
           AND (lease_expires_at IS NULL OR lease_expires_at <= $1)
         ORDER BY next_attempt_at, seq
         LIMIT $2 ${db.dialect.claimLockClause}`,
        [now, limit, ...states],
      );
      if (picked.length === 0) return [];
      const order = new Map(picked.map((row, index) => [String(row.seq), index]));
      const leased = await tx.rows(
        `UPDATE messages SET claimed_by = $1, lease_expires_at = $2
         WHERE seq IN (${placeholders(picked.length, 2)})
         RETURNING ${MESSAGE_COLUMNS}`,
        [workerId, now + leaseMs, ...picked.map((row) => row.seq as SqlValue)],
      );
      // RETURNING gives no order; hand the messages out oldest due first, as picked.
      return leased.sort((a, b) => (order.get(String(a.seq)) ?? 0) - (order.get(String(b.seq)) ?? 0)).map(toMessage);
    });
  }

  async advance(
    key: MessageKey,
    from: PendingState,
    to: Exclude<MessageState, "discovered" | "failed">,
    fields: AdvanceFields,
  ): Promise<boolean> {
    const parsedKey = parseInput(keySchema, key, "message key");
    const worker = parseInput(workerId, fields.workerId, "workerId");
    // Checked at run time too: the states often come from data (the claimed message's state).
    const forward =
      (PENDING_STATES as readonly string[]).includes(from) &&
      ["signed", "verified", "delivered"].includes(to) &&
      STATE_ORDER[to] > STATE_ORDER[from];
    if (!forward) {
      throw new StoreError("InvalidTransition", `a message cannot move from ${from} to ${to}`, {
        details: { from, to },
      });
    }
    if (fields.deliveryTxHash !== undefined && to !== "delivered") {
      throw new StoreError("InvalidInput", `a delivery transaction belongs to a move to delivered, not to ${to}`);
    }
    const deliveryTxHash =
      fields.deliveryTxHash === undefined ? null : parseInput(hash, fields.deliveryTxHash, "deliveryTxHash");
    if (fields.keepLease && to === "delivered") {
      throw new StoreError("InvalidInput", "a delivered message has no lease to keep");
    }
    const move = { from, to, worker, deliveryTxHash, keepLease: fields.keepLease === true };
    return moveForward(this.db, parsedKey, move, this.clock());
  }

  async recordSigned(
    key: MessageKey,
    from: PendingState,
    signatures: readonly NewSignature[],
    fields: SignedFields,
  ): Promise<boolean> {
    const parsedKey = parseInput(keySchema, key, "message key");
    const worker = parseInput(workerId, fields.workerId, "workerId");
    const parsed = signatures.map((signature) => parseInput(signatureSchema, signature, "signature"));
    // Checked at run time: the state comes from data (the claimed message's state).
    if (!(PENDING_STATES as readonly string[]).includes(from)) {
      throw new StoreError("InvalidTransition", `a message in ${from} is not being signed`, { details: { from } });
    }
    const now = this.clock();
    return this.db.transaction(async (tx) => {
      const move = { from, to: "signed", worker, deliveryTxHash: null, keepLease: fields.keepLease === true } as const;
      const moved = from === "discovered" && (await moveForward(tx, parsedKey, move, now));
      const saved = await insertSignatures(tx, parsedKey, parsed, now);
      if (!moved && saved === 0) await requireMessage(tx, parsedKey, "sign");
      return moved;
    });
  }

  async settleDelivered(deliveries: readonly SeenDelivery[]): Promise<number> {
    const parsed = deliveries.map((delivery) => parseInput(seenDeliverySchema, delivery, "delivery"));
    if (parsed.length === 0) return 0;
    const now = this.clock();
    return this.db.transaction((tx) => settleRows(tx, parsed, now));
  }

  async recordFailure(key: MessageKey, error: unknown, options: FailureOptions): Promise<RecordedFailure | undefined> {
    const { transport, messageId } = parseInput(keySchema, key, "message key");
    const worker = parseInput(workerId, options.workerId, "workerId");
    const deferUntil = parseInput(optionalDate, options.deferUntil, "deferUntil");
    const [held] = await this.db.rows(
      "SELECT state, attempts FROM messages WHERE transport = $1 AND message_id = $2 AND claimed_by = $3",
      [transport, messageId, worker],
    );
    if (held === undefined) return undefined;
    const now = this.clock();
    const heldAttempts = toInteger(held.attempts);
    const state = options.permanent ? "failed" : (held.state as PendingState);
    const isDeferral = deferUntil !== undefined && state !== "failed";
    const attempts = isDeferral ? heldAttempts : heldAttempts + 1;
    const nextAttemptAt =
      state === "failed" ? null : (deferUntil ?? nextRetryAt(attempts, this.backoff, new Date(now), Math.random()));
    // Guarded by what was read: if another worker took the message in between, nothing changes.
    const changed = await this.db.run(
      `UPDATE messages
       SET state = $1, attempts = $2, last_error = COALESCE($3, last_error), next_attempt_at = $4, updated_at = $5,
           claimed_by = NULL, lease_expires_at = NULL
       WHERE transport = $6 AND message_id = $7 AND claimed_by = $8 AND state = $9 AND attempts = $10`,
      [
        state,
        attempts,
        // A deferral is no failure: the last real error, if any, stays on record.
        isDeferral ? null : describeError(error),
        nextAttemptAt?.getTime() ?? null,
        now,
        transport,
        messageId,
        worker,
        held.state as string,
        heldAttempts,
      ],
    );
    return changed === 1 ? { state, attempts, nextAttemptAt } : undefined;
  }

  async releaseLeases(worker: string): Promise<number> {
    return this.db.run("UPDATE messages SET claimed_by = NULL, lease_expires_at = NULL WHERE claimed_by = $1", [
      parseInput(workerId, worker, "workerId"),
    ]);
  }

  async saveSignature(key: MessageKey, signature: NewSignature): Promise<boolean> {
    const parsedKey = parseInput(keySchema, key, "message key");
    const parsed = parseInput(signatureSchema, signature, "signature");
    if ((await insertSignatures(this.db, parsedKey, [parsed], this.clock())) === 1) return true;
    await requireMessage(this.db, parsedKey, "attach a signature to");
    return false;
  }

  async keepSignatures(entries: readonly { key: MessageKey; signature: NewSignature }[]): Promise<number> {
    const parsed = entries.map(({ key, signature }) => ({
      key: parseInput(keySchema, key, "message key"),
      signature: parseInput(signatureSchema, signature, "signature"),
    }));
    if (parsed.length === 0) return 0;
    const now = this.clock();
    return this.db.transaction(async (tx) => {
      let kept = 0;
      for (const { key, signature } of parsed) kept += await insertSignatures(tx, key, [signature], now);
      return kept;
    });
  }

  async listSignatures(key: MessageKey, filter: SignatureFilter = {}): Promise<StoredSignature[]> {
    const { transport, messageId } = parseInput(keySchema, key, "message key");
    const { signer, digest } = parseInput(signatureFilterSchema, filter, "signature filter");
    const params: SqlValue[] = [transport, messageId];
    const conditions = ["transport = $1", "message_id = $2"];
    if (digest !== undefined) conditions.push(`digest = $${params.push(digest)}`);
    if (signer !== undefined) conditions.push(`signer = $${params.push(signer)}`);
    const rows = await this.db.rows(
      `SELECT signer, digest, signature, stored_at FROM message_signatures
       WHERE ${conditions.join(" AND ")} ORDER BY stored_at, signer`,
      params,
    );
    return rows.map((row) => ({
      signer: getAddress(row.signer as string),
      digest: row.digest as Hex,
      signature: row.signature as Hex,
      storedAt: toDate(row.stored_at),
    }));
  }

  async getCursor(chain: number, stream: string): Promise<bigint | undefined> {
    const cursor = parseInput(cursorSchema.omit({ block: true }), { chainId: chain, stream }, "cursor");
    const [row] = await this.db.rows("SELECT block_number FROM cursors WHERE chain_id = $1 AND stream = $2", [
      cursor.chainId,
      cursor.stream,
    ]);
    return row === undefined ? undefined : BigInt(row.block_number as string | bigint);
  }

  async setCursor(chain: number, stream: string, block: bigint): Promise<boolean> {
    const cursor = parseInput(cursorSchema, { chainId: chain, stream, block }, "cursor");
    return moveCursorForward(this.db, cursor, this.clock());
  }

  async recordBlockRange(range: BlockRange, options: InsertOptions = {}): Promise<StreamRangeOutcome[]> {
    const { chainId, toBlock, streams } = parseInput(blockRangeSchema, range, "block range");
    const now = this.clock();
    const due = dueTime(options, now);
    if (streams.length === 0) return [];
    return this.db.transaction(async (tx) => {
      const outcomes: StreamRangeOutcome[] = [];
      for (const { stream, messages, deliveries } of streams) {
        outcomes.push({
          inserted: await insertRows(tx, messages, due, now),
          settled: await settleRows(tx, deliveries, now),
          cursorMoved: await moveCursorForward(tx, { chainId, stream, block: toBlock }, now),
        });
      }
      return outcomes;
    });
  }

  async resetCursor(chain: number, stream: string, block: bigint): Promise<void> {
    const cursor = parseInput(cursorSchema, { chainId: chain, stream, block }, "cursor");
    await this.db.run(
      `INSERT INTO cursors (chain_id, stream, block_number, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (chain_id, stream) DO UPDATE
       SET block_number = excluded.block_number, updated_at = excluded.updated_at`,
      [cursor.chainId, cursor.stream, cursor.block, this.clock()],
    );
  }

  async listMessages(query: ListMessagesQuery): Promise<MessagePage> {
    const { state, transport, origin, destination, type, limit, cursor } = parseInput(listSchema, query, "query");
    const params: SqlValue[] = [];
    const conditions: string[] = [];
    const where = (column: string, value: SqlValue | undefined) => {
      if (value !== undefined) conditions.push(`${column} = $${params.push(value)}`);
    };
    where("state", state);
    where("transport", transport);
    where("origin_chain_id", origin);
    where("destination_chain_id", destination);
    where("message_type", type);
    if (cursor !== undefined) conditions.push(`seq < $${params.push(BigInt(cursor))}`);
    // One row more than the page tells whether another page follows.
    const rows = await this.db.rows(
      `SELECT ${MESSAGE_COLUMNS} FROM messages
       ${conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : ""}
       ORDER BY seq DESC LIMIT $${params.push(limit + 1)}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      messages: page.map(toMessage),
      ...(rows.length > limit && last !== undefined ? { nextCursor: String(last.seq) } : {}),
    };
  }

  async countByState(): Promise<Record<MessageState, number>> {
    const counts = Object.fromEntries(MESSAGE_STATES.map((state) => [state, 0])) as Record<MessageState, number>;
    const rows = await this.db.rows("SELECT state, COUNT(*) AS count FROM messages GROUP BY state");
    for (const row of rows) counts[row.state as MessageState] = toInteger(row.count);
    return counts;
  }

  async oldestPendingAgeMs(): Promise<number | undefined> {
    const [row] = await this.db.rows(
      `SELECT MIN(discovered_at) AS oldest FROM messages WHERE state IN (${placeholders(PENDING_STATES.length, 0)})`,
      [...PENDING_STATES],
    );
    if (row === undefined || row.oldest === null) return undefined;
    // A clock that steps back (NTP) must not report a negative lag.
    return Math.max(0, this.clock() - toInteger(row.oldest));
  }

  async close(): Promise<void> {
    const driver = this.#driver;
    this.#driver = undefined;
    await driver?.close();
  }
}

type ParsedKey = z.output<typeof keySchema>;

function dueTime(options: InsertOptions, now: number): number {
  return parseInput(optionalDate, options.dueAt, "dueAt")?.getTime() ?? now;
}

async function insertRows(
  db: SqlExecutor,
  messages: readonly z.output<typeof newMessageSchema>[],
  due: number,
  now: number,
): Promise<number> {
  let inserted = 0;
  for (const m of messages) {
    inserted += await db.run(
      `INSERT INTO messages (transport, message_id, origin_chain_id, destination_chain_id, source_tx_hash,
         block_number, log_index, payload, message_type, state, attempts, next_attempt_at, discovered_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'discovered', 0, $10, $11, $11)
       ON CONFLICT (transport, message_id) DO NOTHING`,
      [
        m.transport,
        m.messageId,
        m.originChainId,
        m.destinationChainId,
        m.sourceTxHash,
        m.blockNumber,
        m.logIndex,
        m.payload,
        m.messageType,
        due,
        now,
      ],
    );
  }
  return inserted;
}

/** A checked forward move of `advance` or `recordSigned`. */
interface Move {
  from: PendingState;
  to: Exclude<MessageState, "discovered" | "failed">;
  worker: string;
  deliveryTxHash: Hex | null;
  keepLease: boolean;
}

async function moveForward(db: SqlExecutor, key: ParsedKey, move: Move, now: number): Promise<boolean> {
  const delivered = move.to === "delivered";
  // The guard is the state and the lease holder, not the lease's expiry: a worker that finishes late still owns
  // the message unless another worker claimed it meanwhile, and then `claimed_by` no longer matches.
  const lease = move.keepLease ? "" : ", claimed_by = NULL, lease_expires_at = NULL";
  const changed = await db.run(
    `UPDATE messages
     SET state = $1, attempts = 0, last_error = NULL, next_attempt_at = $2, updated_at = $3, delivered_at = $4,
         delivery_tx_hash = $5${lease}
     WHERE transport = $6 AND message_id = $7 AND state = $8 AND claimed_by = $9`,
    [
      move.to,
      delivered ? null : now,
      now,
      delivered ? now : null,
      move.deliveryTxHash,
      key.transport,
      key.messageId,
      move.from,
      move.worker,
    ],
  );
  return changed === 1;
}

async function settleRows(
  db: SqlExecutor,
  deliveries: readonly z.output<typeof seenDeliverySchema>[],
  now: number,
): Promise<number> {
  let settled = 0;
  for (const { transport, messageId, deliveryTxHash } of deliveries) {
    settled += await db.run(
      `UPDATE messages
       SET state = 'delivered', attempts = 0, last_error = NULL, next_attempt_at = NULL, updated_at = $1,
           delivered_at = $1, delivery_tx_hash = $2, claimed_by = NULL, lease_expires_at = NULL
       WHERE transport = $3 AND message_id = $4 AND state IN ('discovered', 'signed', 'verified')
         AND (claimed_by IS NULL OR lease_expires_at <= $1)`,
      [now, deliveryTxHash, transport, messageId],
    );
  }
  return settled;
}

/**
 * Stores signatures of a message in one statement; returns how many were new (not there yet for that signer and
 * digest). A message that is not stored gets none.
 */
async function insertSignatures(
  db: SqlExecutor,
  key: ParsedKey,
  signatures: readonly z.output<typeof signatureSchema>[],
  now: number,
): Promise<number> {
  if (signatures.length === 0) return 0;
  // Selecting from messages makes a signature of an unknown message insert nothing instead of tripping the
  // foreign key with a driver-specific error; the CASTs give PostgreSQL the types of the parameters. Both
  // databases name a VALUES list's columns column1, column2, …
  const rows = signatures.map((_, index) => {
    const [digest, signer, signature] = [4, 5, 6].map((column) => `$${index * 3 + column}`);
    return `(CAST(${digest} AS TEXT), CAST(${signer} AS TEXT), CAST(${signature} AS TEXT))`;
  });
  return db.run(
    `INSERT INTO message_signatures (transport, message_id, digest, signer, signature, stored_at)
     SELECT m.transport, m.message_id, s.column1, s.column2, s.column3, CAST($3 AS BIGINT)
     FROM messages m, (VALUES ${rows.join(", ")}) AS s
     WHERE m.transport = $1 AND m.message_id = $2
     ON CONFLICT (transport, message_id, digest, signer) DO NOTHING`,
    [
      key.transport,
      key.messageId,
      now,
      ...signatures.flatMap((signature) => [signature.digest, signature.signer, signature.signature]),
    ],
  );
}

async function requireMessage(db: SqlExecutor, { transport, messageId }: ParsedKey, purpose: string): Promise<void> {
  const [row] = await db.rows("SELECT 1 AS found FROM messages WHERE transport = $1 AND message_id = $2", [
    transport,
    messageId,
  ]);
  if (row === undefined) {
    throw new StoreError("UnknownMessage", `no ${transport} message ${messageId} to ${purpose}`, {
      details: { transport, messageId },
    });
  }
}

async function moveCursorForward(
  db: SqlExecutor,
  cursor: z.output<typeof cursorSchema>,
  now: number,
): Promise<boolean> {
  const moved = await db.run(
    `INSERT INTO cursors (chain_id, stream, block_number, updated_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (chain_id, stream) DO UPDATE
     SET block_number = excluded.block_number, updated_at = excluded.updated_at
     WHERE cursors.block_number < excluded.block_number`,
    [cursor.chainId, cursor.stream, cursor.block, now],
  );
  return moved === 1;
}

function toMessage(row: SqlRow): StoredMessage {
  return {
    transport: row.transport as StoredMessage["transport"],
    messageId: row.message_id as Hex,
    originChainId: toInteger(row.origin_chain_id),
    destinationChainId: toInteger(row.destination_chain_id),
    sourceTxHash: row.source_tx_hash as Hex,
    blockNumber: BigInt(row.block_number as string | bigint),
    logIndex: toInteger(row.log_index),
    payload: row.payload as Hex,
    messageType: row.message_type as MessageTypeName | null,
    state: row.state as MessageState,
    attempts: toInteger(row.attempts),
    lastError: row.last_error as string | null,
    nextAttemptAt: toOptionalDate(row.next_attempt_at),
    discoveredAt: toDate(row.discovered_at),
    updatedAt: toDate(row.updated_at),
    deliveredAt: toOptionalDate(row.delivered_at),
    deliveryTxHash: row.delivery_tx_hash as Hex | null,
    claimedBy: row.claimed_by as string | null,
    leaseExpiresAt: toOptionalDate(row.lease_expires_at),
  };
}

/** Integers arrive as bigint (SQLite), string (PostgreSQL BIGINT, COUNT) or number (PostgreSQL INTEGER). */
function toInteger(value: unknown): number {
  const number = Number(value as number | bigint | string);
  if (!Number.isSafeInteger(number)) {
    throw new StoreError("QueryFailed", `the database returned ${String(value)} where a safe integer was expected`);
  }
  return number;
}

function toDate(value: unknown): Date {
  return new Date(toInteger(value));
}

function toOptionalDate(value: unknown): Date | null {
  return value === null ? null : toDate(value);
}

function describeError(error: unknown): string {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return message.length > LAST_ERROR_MAX_LENGTH ? `${message.slice(0, LAST_ERROR_MAX_LENGTH)}…` : message;
}
