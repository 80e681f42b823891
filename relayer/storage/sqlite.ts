import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
// node:sqlite prints an ExperimentalWarning when it loads; it is left visible on purpose, and this module is
// imported lazily by openStore so that only SQLite users see it.
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { StoreError } from "./errors.ts";
import type { Dialect, SqlDriver, SqlExecutor, SqlRow } from "./sql.ts";

const SQLITE: Dialect = {
  name: "sqlite",
  serialPrimaryKey: "INTEGER PRIMARY KEY",
  claimLockClause: "",
};

/** How long a statement waits for another process's write lock before failing with "database is locked". */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * One connection, used by one store per file per process. node:sqlite is synchronous, so the only way two
 * operations of this process could interleave is across the awaits inside a transaction; a promise queue
 * runs operations one at a time so that nothing slips into another's transaction. Other processes on the
 * same file are kept out by SQLite's own locks (BEGIN IMMEDIATE, busy timeout).
 */
export function openSqliteDriver(path: string): SqlDriver {
  let database: DatabaseSync;
  try {
    mkdirSync(dirname(path), { recursive: true });
    database = new DatabaseSync(path);
    // WAL: readers (API) never block the writer. synchronous=NORMAL: a killed process loses nothing committed;
    // a power cut may lose the last commits, but WAL keeps them in order, so cursors roll back together with
    // the messages they covered and the watchers re-read those blocks (inserts are idempotent).
    database.exec(`PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      PRAGMA foreign_keys = ON;
      PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS};`);
  } catch (error) {
    throw new StoreError("Unavailable", `cannot open the SQLite database ${path}: ${messageOf(error)}`, {
      cause: error,
      details: { path },
    });
  }

  const statements = new Map<string, StatementSync>();
  const prepare = (sql: string): StatementSync => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = database.prepare(sql.replace(/\$(\d+)/g, "?$1"));
      // Block numbers and millisecond timestamps need 64 bits; the store converts what fits in a number.
      statement.setReadBigInts(true);
      statements.set(sql, statement);
    }
    return statement;
  };
  const direct: SqlExecutor = {
    rows: async (sql, params = []) => attempt(sql, () => prepare(sql).all(...params) as SqlRow[]),
    run: async (sql, params = []) => attempt(sql, () => Number(prepare(sql).run(...params).changes)),
  };

  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(operation: () => Promise<T>): Promise<T> => {
    const result = queue.then(operation);
    // The queue only orders operations; each caller gets its own operation's error through `result`.
    queue = result.catch(() => undefined);
    return result;
  };
  let closed = false;

  return {
    dialect: SQLITE,
    rows: (sql, params) => exclusive(() => direct.rows(sql, params)),
    run: (sql, params) => exclusive(() => direct.run(sql, params)),
    transaction: (work) =>
      exclusive(async () => {
        // IMMEDIATE takes the write lock now, so another process cannot change what this transaction reads.
        await direct.run("BEGIN IMMEDIATE");
        try {
          const result = await work(direct);
          await direct.run("COMMIT");
          return result;
        } catch (error) {
          try {
            await direct.run("ROLLBACK");
          } catch {
            // Some errors (disk full, I/O) make SQLite roll back by itself; `error` is the one that matters.
          }
          throw error;
        }
      }),
    lockForMigration: async () => {},
    close: () =>
      exclusive(async () => {
        if (closed) return;
        closed = true;
        database.close();
      }),
  };
}

function attempt<T>(sql: string, statement: () => T): T {
  try {
    return statement();
  } catch (error) {
    throw new StoreError("QueryFailed", `SQLite statement failed: ${messageOf(error)}`, {
      cause: error,
      details: { sql },
    });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
