/** What the store binds: bigints for block numbers and millisecond timestamps, no booleans (SQLite has none). */
export type SqlValue = string | number | bigint | null;

/** Column values as the drivers return them: PostgreSQL gives BIGINT as a string, SQLite as a bigint. */
export type SqlRow = Record<string, unknown>;

/**
 * Statements are written once, in PostgreSQL's `$1` placeholder style, and in the SQL that both databases
 * understand (ON CONFLICT … DO NOTHING, conditional DO UPDATE, RETURNING); the SQLite driver rewrites `$n` to its `?n`.
 */
export interface SqlExecutor {
  /** Rows of a SELECT or of a statement with RETURNING. */
  rows(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
  /** Runs a statement and returns how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/** The few places the two databases cannot share a statement. */
export interface Dialect {
  readonly name: "sqlite" | "postgres";
  /** Column definition of the surrogate key that orders messages by discovery. */
  readonly serialPrimaryKey: string;
  /**
   * Appended to the SELECT that picks messages to claim. PostgreSQL locks the picked rows and lets concurrent
   * claimers skip them instead of queueing; SQLite's BEGIN IMMEDIATE already holds the database's write lock.
   */
  readonly claimLockClause: string;
}

export interface SqlDriver extends SqlExecutor {
  readonly dialect: Dialect;
  /**
   * Runs `work` in one transaction, committed when it resolves and rolled back when it throws.
   * `work` must use the executor it is given, not the driver.
   */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Run first in the migration transaction, so that only one process migrates a database at a time. */
  lockForMigration(tx: SqlExecutor): Promise<void>;
  close(): Promise<void>;
}

/** `$1, $2, …` for a list of values appended after `offset` other parameters. */
export function placeholders(count: number, offset: number): string {
  return Array.from({ length: count }, (_, index) => `$${offset + index + 1}`).join(", ");
}
