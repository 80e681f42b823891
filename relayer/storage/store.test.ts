import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreError } from "./errors.ts";
import { openStore } from "./store.ts";
import { storeSuite } from "./store-suite.ts";

describe("SQLite store", () => {
  let directory: string;
  let databases = 0;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "xmargin-store-"));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  storeSuite({
    concurrentInstances: false,
    freshDatabase: () => {
      // A directory that does not exist yet: opening creates it, as it does under a fresh data directory.
      const path = join(directory, `test-${databases++}`, "relayer.db");
      return {
        open: (options) => openStore({ kind: "sqlite", path }, options),
        refuseInserts: async (table, column, value) => {
          const database = new DatabaseSync(path);
          try {
            database.exec(`CREATE TRIGGER refuse_${table} BEFORE INSERT ON ${table} WHEN NEW.${column} = '${value}'
              BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
          } finally {
            database.close();
          }
        },
      };
    },
  });
});

const databaseUrl = process.env.DATABASE_URL;
const POSTGRES_SKIPPED = "SKIPPED: set DATABASE_URL to run the PostgreSQL storage suite";
if (databaseUrl === undefined) {
  console.warn(`\n!!! ${POSTGRES_SKIPPED} (e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/test) !!!\n`);
}

describe.skipIf(databaseUrl === undefined)(databaseUrl === undefined ? POSTGRES_SKIPPED : "PostgreSQL store", () => {
  const url = databaseUrl ?? "";
  // One schema per test, all under this run's random prefix, so that runs sharing the server never meet.
  const runPrefix = `xmargin_test_${randomBytes(4).toString("hex")}`;
  const schemas: string[] = [];
  afterAll(async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  });

  storeSuite({
    concurrentInstances: true,
    freshDatabase: () => {
      const schema = `${runPrefix}_${schemas.length}`;
      schemas.push(schema);
      return {
        open: (options) => openStore({ kind: "postgres", url, schema }, options),
        refuseInserts: async (table, column, value) => {
          const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
          await client.connect();
          try {
            await client.query(`CREATE OR REPLACE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql
              AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$`);
            await client.query(`CREATE TRIGGER refuse_${table} BEFORE INSERT ON ${table}
              FOR EACH ROW WHEN (NEW.${column} = '${value}') EXECUTE FUNCTION refuse_insert()`);
          } finally {
            await client.end();
          }
        },
      };
    },
  });
});

describe("openStore", () => {
  const rejection = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(StoreError);
    return error as StoreError;
  };

  it("says which config field is wrong and why", async () => {
    const kind = await rejection(openStore({ kind: "mysql" } as never));
    expect(kind).toMatchObject({
      kind: "InvalidConfig",
      message: expect.stringMatching(/kind: must be "sqlite" or "postgres"/),
    });
    const url = await rejection(openStore({ kind: "postgres", url: "http://localhost/test" }));
    expect(url.message).toMatch(/url: must use the postgres:\/\/ or postgresql:\/\/ scheme/);
    const schema = await rejection(
      openStore({ kind: "postgres", url: "postgres://localhost/test", schema: "My-Schema" }),
    );
    expect(schema.message).toMatch(/schema: must be a lowercase SQL identifier/);
    const path = await rejection(openStore({ kind: "sqlite", path: "" }));
    expect(path.details).toMatchObject({ issues: [{ field: "path", message: "must name the database file" }] });
  });

  it("rejects a backoff policy out of range", async () => {
    const error = await rejection(
      openStore({ kind: "sqlite", path: join(tmpdir(), "unused.db") }, { backoff: { baseMs: 0, maxMs: 1, jitter: 0 } }),
    );
    expect(error.message).toMatch(/baseMs/);
  });

  it("reports an unreachable PostgreSQL server without leaking the password", async () => {
    const error = await rejection(openStore({ kind: "postgres", url: "postgres://relayer:hunter2@127.0.0.1:1/test" }));
    expect(error.kind).toBe("Unavailable");
    expect(error.message).toMatch(/PostgreSQL at 127\.0\.0\.1:1\/test is unavailable: .*ECONNREFUSED/);
    expect(error.message).not.toMatch(/hunter2/);
  });

  it("reports a SQLite file that cannot be opened", async () => {
    const directory = await mkdtemp(join(tmpdir(), "xmargin-store-"));
    try {
      // The path is an existing directory, which SQLite cannot open as a database.
      const error = await rejection(openStore({ kind: "sqlite", path: directory }));
      expect(error.kind).toBe("Unavailable");
      expect(error.message).toContain(directory);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
