import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
// node:sqlite prints an ExperimentalWarning when it loads; it is left visible on purpose, and this module is
// imported lazily by openStore so that only SQLite users see it.
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { StoreError } from "./errors.ts";
import type { Dialect, SqlDriver, SqlExecutor, SqlRow, SqlValue } from "./sql.ts";

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
  const enqueue = <T>(operation: () => Promise<T>): Promise<T> => {
    const result = queue.then(operation);
    // The queue only orders operations; each caller gets its own operation's error through `result`.
    queue = result.catch(() => undefined);
    return result;
  };
  /**
   * Statements run outside a transaction that wait for the queue together: committed at once when their turn
   * comes (group commit), each in its own savepoint so that one failing undoes only itself. Under load the
   * delivering operator's steps (a message verified, delivered) come in bursts — a batch transaction delivers
   * many — and each commit of its own cost ~0.2 ms of SQLite. A statement that finds the queue idle still
   * runs at once, alone; any other operation closes the group, so everything runs in the order it was asked.
   */
  let group: { sql: string; params: readonly SqlValue[]; settle: (outcome: () => number) => void }[] | undefined;
  const exclusive = <T>(operation: () => Promise<T>): Promise<T> => {
    group = undefined;
    return enqueue(operation);
  };
  const runGrouped = (sql: string, params: readonly SqlValue[] = []): Promise<number> =>
    new Promise((resolve, reject) => {
      const settle = (outcome: () => number) => {
        try {
          resolve(outcome());
        } catch (error) {
          reject(error);
        }
      };
      if (group) {
        group.push({ sql, params, settle });
        return;
      }
      const members = [{ sql, params, settle }];
      group = members;
      void enqueue(async () => {
        if (group === members) group = undefined;
        commitGroup(members);
      });
    });
  const commitGroup = (members: NonNullable<typeof group>) => {
    const [only] = members;
    if (members.length === 1 && only) {
      only.settle(() => attempt(only.sql, () => Number(prepare(only.sql).run(...only.params).changes)));
      return;
    }
    const changes: (number | Error)[] = [];
    try {
      prepare("BEGIN IMMEDIATE").run();
      for (const member of members) {
        prepare("SAVEPOINT grouped").run();
        try {
          const changed = Number(prepare(member.sql).run(...member.params).changes);
          prepare("RELEASE grouped").run();
          changes.push(changed);
        } catch (error) {
          if (!database.isTransaction) {
            // SQLite rolled the whole transaction back (disk full, I/O error, OR ROLLBACK): the others' work went
            // with it before they were told anything, so they go again without this one, as alone they would.
            member.settle(() => {
              throw queryFailed(member.sql, error);
            });
            commitGroup(members.filter((other) => other !== member));
            return;
          }
          changes.push(error instanceof Error ? error : new Error(String(error)));
          prepare("ROLLBACK TO grouped").run();
          prepare("RELEASE grouped").run();
        }
      }
      prepare("COMMIT").run();
    } catch (error) {
      try {
        if (database.isTransaction) prepare("ROLLBACK").run();
      } catch {
        // A closed database or a failed rollback: `error` is the one that matters, and every member must hear it.
      }
      for (const member of members) {
        member.settle(() => {
          throw queryFailed(member.sql, error);
        });
      }
      return;
    }
    members.forEach((member, index) => {
      const outcome = changes[index] as number | Error;
      member.settle(() => {
        if (outcome instanceof Error) throw queryFailed(member.sql, outcome);
        return outcome;
      });
    });
  };
  let closed = false;

  return {
    dialect: SQLITE,
    rows: (sql, params) => exclusive(() => direct.rows(sql, params)),
    run: runGrouped,
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
    throw queryFailed(sql, error);
  }
}

function queryFailed(sql: string, error: unknown): StoreError {
  return new StoreError("QueryFailed", `SQLite statement failed: ${messageOf(error)}`, {
    cause: error,
    details: { sql },
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
