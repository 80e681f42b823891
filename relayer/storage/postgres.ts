import pg from "pg";
import { StoreError } from "./errors.ts";
import type { Dialect, SqlDriver, SqlExecutor, SqlRow, SqlValue } from "./sql.ts";
import type { StoreLogger } from "./types.ts";

const POSTGRES: Dialect = {
  name: "postgres",
  serialPrimaryKey: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
  claimLockClause: "FOR UPDATE SKIP LOCKED",
};

/**
 * A connection pool whose sessions see only `schema` (through `search_path`), so the statements name no schema
 * and stay identical to SQLite's. `schema` is a validated identifier (see config.ts), safe to put into SQL.
 */
export function openPostgresDriver(url: string, schema: string, logger: StoreLogger): SqlDriver {
  const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}` });
  // Without a listener, a pooled idle connection that dies (server restart) would crash the process.
  pool.on("error", (error) =>
    logger.warn({ err: error }, "idle PostgreSQL connection failed; the pool will replace it"),
  );
  const target = describeTarget(url);

  const executor = (client: pg.Pool | pg.PoolClient): SqlExecutor => ({
    rows: async (sql, params = []) => (await query(client, sql, params)).rows,
    run: async (sql, params = []) => (await query(client, sql, params)).rowCount ?? 0,
  });
  const query = async (client: pg.Pool | pg.PoolClient, sql: string, params: readonly SqlValue[]) => {
    try {
      return await client.query<SqlRow>(sql, params as SqlValue[]);
    } catch (error) {
      throw asStoreError(error, sql, target);
    }
  };
  let ending: Promise<void> | undefined;

  return {
    dialect: POSTGRES,
    ...executor(pool),
    transaction: async (work) => {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw asStoreError(error, "BEGIN", target);
      }
      try {
        await query(client, "BEGIN", []);
        const result = await work(executor(client));
        await query(client, "COMMIT", []);
        client.release();
        return result;
      } catch (error) {
        try {
          await client.query("ROLLBACK");
          client.release();
        } catch (rollbackError) {
          logger.warn({ err: rollbackError }, "PostgreSQL rollback failed; dropping the connection");
          // Passing the error destroys the connection instead of pooling one in an unknown transaction state.
          client.release(rollbackError instanceof Error ? rollbackError : true);
        }
        throw error;
      }
    },
    lockForMigration: async (tx) => {
      // Concurrent `CREATE … IF NOT EXISTS` can still collide in PostgreSQL's catalogs; a transaction-scoped
      // advisory lock per schema makes instances that start together migrate one after the other.
      await tx.run("SELECT pg_advisory_xact_lock(hashtext($1))", [`xmargin-storage-migrations:${schema}`]);
      await tx.run(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    },
    close: () => {
      ending ??= pool.end();
      return ending;
    },
  };
}

/** host:port/database, never the password, for error messages. */
function describeTarget(url: string): string {
  const { hostname, port, pathname } = new URL(url);
  return `${hostname}:${port || "5432"}${pathname}`;
}

/**
 * Failing to connect or to log in is `Unavailable` (the statement never ran); what the server rejected is
 * `QueryFailed`. SQLSTATE codes have five characters; Node's network errors (ECONNREFUSED…) are longer, and
 * pg's own "Connection terminated" errors have no code.
 */
function asStoreError(error: unknown, sql: string, target: string): StoreError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const sqlState = typeof code === "string" && code.length === 5 ? code : undefined;
  // 08: connection exception, 28: authorization, 3D000: no such database, 57P: server shutting down.
  const connectionProblem = sqlState === undefined || /^(08|28|3D000|57P)/.test(sqlState);
  return connectionProblem
    ? new StoreError("Unavailable", `PostgreSQL at ${target} is unavailable: ${message}`, {
        cause: error,
        details: { target, code },
      })
    : new StoreError("QueryFailed", `PostgreSQL statement failed: ${message}`, {
        cause: error,
        details: { sql, code },
      });
}
