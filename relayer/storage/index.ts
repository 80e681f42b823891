/**
 * The relayer's durable message store: `openStore` over embedded SQLite (the zero-setup default) or PostgreSQL
 * (several instances sharing work). Both run the same statements through a small driver seam (sql.ts); only
 * the claim's row locks, the key column type and the migration lock differ.
 */
export { type BackoffPolicy, DEFAULT_BACKOFF, nextRetryAt } from "./backoff.ts";
export { type ResolvedStoreConfig, type StoreConfig, storeConfigSchema } from "./config.ts";
export { type InputIssue, StoreError, type StoreErrorKind } from "./errors.ts";
export { SCHEMA_VERSION } from "./migrations.ts";
export { openStore, type StoreOptions } from "./store.ts";
export * from "./types.ts";
