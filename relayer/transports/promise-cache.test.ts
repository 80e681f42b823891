import { afterEach, describe, expect, it, vi } from "vitest";
import { PromiseCache } from "./promise-cache.ts";

describe("PromiseCache", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("shares one computation per key until it is ttl old", async () => {
    vi.useFakeTimers();
    const cache = new PromiseCache<string, number>(1_000);
    let calls = 0;
    const compute = async () => ++calls;
    expect(await Promise.all([cache.get("a", compute), cache.get("a", compute)])).toEqual([1, 1]);
    expect(await cache.get("b", compute)).toBe(2);
    vi.advanceTimersByTime(999);
    expect(await cache.get("a", compute)).toBe(1);
    vi.advanceTimersByTime(1);
    expect(await cache.get("a", compute)).toBe(3);
  });

  it("keeps values for good without a ttl, until forgotten", async () => {
    const cache = new PromiseCache<string, number>();
    let calls = 0;
    const compute = async () => ++calls;
    await cache.get("a", compute);
    expect(await cache.get("a", compute)).toBe(1);
    cache.forget("a");
    expect(await cache.get("a", compute)).toBe(2);
  });

  it("forgets a failed computation at once: the next call starts afresh", async () => {
    const cache = new PromiseCache<string, number>();
    await expect(cache.get("a", async () => Promise.reject(new Error("node down")))).rejects.toThrow("node down");
    expect(await cache.get("a", async () => 7)).toBe(7);
  });
});
