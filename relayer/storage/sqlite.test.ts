import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StoreError } from "./errors.ts";
import type { SqlDriver } from "./sql.ts";
import { openSqliteDriver } from "./sqlite.ts";

describe("SQLite driver: statements outside a transaction", () => {
  let dir: string;
  let driver: SqlDriver;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "xmargin-sqlite-"));
    driver = openSqliteDriver(join(dir, "store.db"));
    await driver.run("CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT NOT NULL UNIQUE)");
  });
  afterEach(async () => {
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const labels = async () => (await driver.rows("SELECT label FROM items ORDER BY id")).map((row) => row.label);

  it("asked while the queue is busy, commit together: one failing statement undoes only itself", async () => {
    let releaseTransaction: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      releaseTransaction = resolve;
    });
    const busy = driver.transaction(async (tx) => {
      await tx.run("INSERT INTO items (label) VALUES ('first')");
      await held;
    });
    const grouped = [
      driver.run("INSERT INTO items (label) VALUES ($1)", ["a"]),
      driver.run("INSERT INTO items (label) VALUES ($1)", ["first"]),
      driver.run("UPDATE items SET label = label || '!' WHERE label IN ('first', 'a')"),
      driver.run("INSERT INTO items (label) VALUES ($1)", ["b"]),
    ];
    await new Promise((resolve) => setTimeout(resolve, 20));
    releaseTransaction();
    await busy;
    const outcomes = await Promise.allSettled(grouped);
    expect(outcomes.map((outcome) => (outcome.status === "fulfilled" ? outcome.value : "rejected"))).toEqual([
      1,
      "rejected",
      2,
      1,
    ]);
    const failure = (outcomes[1] as PromiseRejectedResult).reason;
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as StoreError).message).toMatch(/UNIQUE constraint failed/);
    expect(await labels()).toEqual(["first!", "a!", "b"]);
  });

  it("asked together, cost one commit: the write-ahead log grows by one transaction's pages", async () => {
    // After a TRUNCATE checkpoint the log is empty; a PASSIVE one reports how many frames it then holds.
    const framesAfter = async (write: () => Promise<unknown>) => {
      await driver.rows("PRAGMA wal_checkpoint(TRUNCATE)");
      await write();
      const [row] = await driver.rows("PRAGMA wal_checkpoint(PASSIVE)");
      return Number(row?.log);
    };
    const inserts = (prefix: string) => [1, 2, 3, 4].map((n) => `INSERT INTO items (label) VALUES ('${prefix}${n}')`);
    const oneByOne = await framesAfter(async () => {
      for (const sql of inserts("sequential")) await driver.run(sql);
    });
    const together = await framesAfter(() => Promise.all(inserts("grouped").map((sql) => driver.run(sql))));
    expect(oneByOne).toBeGreaterThanOrEqual(4);
    expect(together).toBeLessThanOrEqual(oneByOne / 2);
  });

  it("keep the order they were asked in, reads and transactions between them included", async () => {
    const first = driver.run("INSERT INTO items (label) VALUES ('one')");
    const read = driver.rows("SELECT COUNT(*) AS count FROM items");
    const second = driver.run("INSERT INTO items (label) VALUES ('two')");
    const inTransaction = driver.transaction((tx) => tx.rows("SELECT COUNT(*) AS count FROM items"));
    const third = driver.run("INSERT INTO items (label) VALUES ('three')");
    await Promise.all([first, second, third]);
    expect(Number((await read)[0]?.count)).toBe(1);
    expect(Number((await inTransaction)[0]?.count)).toBe(2);
    expect(await labels()).toEqual(["one", "two", "three"]);
  });

  it("asked together, one that makes SQLite roll the whole transaction back costs the others nothing", async () => {
    // A one-row write that finds the disk full ends the whole transaction, savepoints included.
    const [{ page_count: pages } = {}] = await driver.rows("PRAGMA page_count");
    await driver.rows(`PRAGMA max_page_count = ${Number(pages) + 2}`);
    const busy = driver.transaction(() => new Promise((resolve) => setTimeout(resolve, 20)));
    const grouped = [
      driver.run("INSERT INTO items (label) VALUES ('before')"),
      driver.run("INSERT INTO items (label) VALUES ($1)", ["z".repeat(20_000)]),
      driver.run("INSERT INTO items (label) VALUES ('after')"),
    ];
    await busy;
    const outcomes = await Promise.allSettled(grouped);
    expect(outcomes.map((outcome) => (outcome.status === "fulfilled" ? outcome.value : "rejected"))).toEqual([
      1,
      "rejected",
      1,
    ]);
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toMatch(/full/);
    expect(await labels()).toEqual(["before", "after"]);
  });

  it("asked together after the driver closed, are refused", async () => {
    await driver.close();
    const timedOut = new Promise((resolve) => setTimeout(() => resolve("unsettled"), 1_000));
    const grouped = [
      driver.run("INSERT INTO items (label) VALUES ('a')"),
      driver.run("INSERT INTO items (label) VALUES ('b')"),
    ].map((running) => Promise.race([running.then(String, (error: Error) => error.message), timedOut]));
    expect(await Promise.all(grouped)).toEqual(Array(2).fill("SQLite statement failed: database is not open"));
  });

  it("alone, a failing statement is refused with the statement's error", async () => {
    await driver.run("INSERT INTO items (label) VALUES ('x')");
    await expect(driver.run("INSERT INTO items (label) VALUES ('x')")).rejects.toThrow(/UNIQUE constraint failed/);
    expect(await labels()).toEqual(["x"]);
  });
});
