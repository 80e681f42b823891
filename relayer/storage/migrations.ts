import { StoreError } from "./errors.ts";
import type { Dialect, SqlDriver } from "./sql.ts";
import type { StoreLogger } from "./types.ts";

interface Migration {
  version: number;
  description: string;
  statements(dialect: Dialect): string[];
}

/**
 * Append only: a released migration never changes, later changes are new versions. Timestamps are Unix
 * milliseconds in BIGINT and hex values are lowercase TEXT, so both databases store the same values.
 */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "messages, signatures and cursors",
    statements: (dialect) => [
      `CREATE TABLE messages (
        seq ${dialect.serialPrimaryKey},
        transport TEXT NOT NULL CHECK (transport IN ('layerzero', 'hyperlane')),
        message_id TEXT NOT NULL,
        origin_chain_id BIGINT NOT NULL,
        destination_chain_id BIGINT NOT NULL,
        source_tx_hash TEXT NOT NULL,
        block_number BIGINT NOT NULL,
        log_index INTEGER NOT NULL,
        payload TEXT NOT NULL,
        message_type TEXT CHECK (message_type IN ('BalanceReport', 'Release', 'Lock', 'Seize')),
        state TEXT NOT NULL CHECK (state IN ('discovered', 'signed', 'verified', 'delivered', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_at BIGINT,
        discovered_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        delivered_at BIGINT,
        delivery_tx_hash TEXT,
        claimed_by TEXT,
        lease_expires_at BIGINT,
        UNIQUE (transport, message_id)
      )`,
      // Claiming: one state's messages by due time. Not a partial index on the pending states: the claim binds
      // its states as parameters, and neither planner can then prove that a partial index covers them.
      "CREATE INDEX messages_due ON messages (state, next_attempt_at, seq)",
      // Listing one state newest first (the unfiltered listing walks the primary key).
      "CREATE INDEX messages_state_seq ON messages (state, seq)",
      `CREATE TABLE message_signatures (
        transport TEXT NOT NULL,
        message_id TEXT NOT NULL,
        digest TEXT NOT NULL,
        signer TEXT NOT NULL,
        signature TEXT NOT NULL,
        stored_at BIGINT NOT NULL,
        PRIMARY KEY (transport, message_id, digest, signer),
        FOREIGN KEY (transport, message_id) REFERENCES messages (transport, message_id) ON DELETE CASCADE
      )`,
      `CREATE TABLE cursors (
        chain_id BIGINT NOT NULL,
        stream TEXT NOT NULL,
        block_number BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (chain_id, stream)
      )`,
    ],
  },
];

export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((migration) => migration.version));

/** Brings the database to `SCHEMA_VERSION` in one transaction; a database already there is left untouched. */
export async function migrate(driver: SqlDriver, now: number, logger: StoreLogger): Promise<void> {
  const applied = await driver.transaction(async (tx) => {
    await driver.lockForMigration(tx);
    await tx.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      description TEXT NOT NULL,
      applied_at BIGINT NOT NULL
    )`);
    const rows = await tx.rows("SELECT version FROM schema_migrations");
    const done = new Set(rows.map((row) => Number(row.version)));
    const newest = Math.max(0, ...done);
    if (newest > SCHEMA_VERSION) {
      throw new StoreError(
        "SchemaTooNew",
        `the database has storage schema version ${newest}, newer than this relayer's ${SCHEMA_VERSION}; ` +
          "upgrade the relayer",
        { details: { databaseVersion: newest, supportedVersion: SCHEMA_VERSION } },
      );
    }
    const pending = MIGRATIONS.filter((migration) => !done.has(migration.version));
    for (const migration of pending) {
      for (const statement of migration.statements(driver.dialect)) await tx.run(statement);
      await tx.run("INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)", [
        migration.version,
        migration.description,
        now,
      ]);
    }
    return pending;
  });
  for (const migration of applied) {
    logger.info(
      { version: migration.version, backend: driver.dialect.name },
      `applied storage migration: ${migration.description}`,
    );
  }
}
