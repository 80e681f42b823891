import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { createWalletClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  createPriceMover,
  devnetRandomWalk,
  loadPricePath,
  PricePathError,
  type PriceSchedule,
  parsePricePath,
  pathSchedule,
  randomWalk,
} from "../../relayer/keeper/index.ts";
import { wad } from "../../sdk/test-utils/fixture.ts";

const EXAMPLE_PATH = new URL("../../relayer/keeper/examples/eth-slide.prices.json", import.meta.url).pathname;

/** The error `run` throws; fails the test when it throws none. */
function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}

/** Runs `schedule` for `steps` steps from `start`, feeding each step's prices back in. */
function run(schedule: PriceSchedule, start: Record<string, bigint>, steps: number): Record<string, bigint>[] {
  let current = new Map(Object.entries(start));
  const out: Record<string, bigint>[] = [];
  for (let i = 0; i < steps; i++) {
    const next = schedule.next(current);
    if (next === undefined) break;
    current = new Map([...current, ...next]);
    out.push(Object.fromEntries(next));
  }
  return out;
}

describe("price path files", () => {
  it("the example parses: ten steps, ETH-PERP following WETH", async () => {
    const path = await loadPricePath(EXAMPLE_PATH);
    expect(path.steps).toBe(10);
    expect(path.feeds["ETH-PERP"]).toEqual({ kind: "follow", feed: "WETH" });
    const steps = run(pathSchedule(path), { WETH: wad("3000"), WBTC: wad("60000") }, 20);
    expect(steps).toHaveLength(10);
    expect(steps[0]).toEqual({
      WETH: wad("2970"),
      "ETH-PERP": wad("2970"),
      WBTC: wad("59400"),
      "BTC-PERP": wad("59400"),
    });
    expect(steps[9]?.WETH).toBe(wad("2700"));
    // WBTC's four moves, then it stays where they left it.
    expect(steps[4]?.WBTC).toBe(steps[3]?.WBTC);
  });

  it("holds a shorter series at its last price, or starts every series over with end: repeat", () => {
    const feeds = { A: { prices: [1, "2.5", 3] }, B: { prices: ["10"] }, C: { moves: ["0.1", "-0.5"] } };
    const start = { A: wad("1"), B: wad("1"), C: wad("100") };
    const held = run(pathSchedule(parsePricePath({ feeds })), start, 10);
    expect(held.map((step) => step.B)).toEqual([wad("10"), wad("10"), wad("10")]);
    expect(held.map((step) => step.C)).toEqual([wad("110"), wad("55"), wad("55")]);
    const repeated = run(pathSchedule(parsePricePath({ end: "repeat", feeds })), start, 5);
    expect(repeated.map((step) => step.A)).toEqual([wad("1"), wad("2.5"), wad("3"), wad("1"), wad("2.5")]);
    expect(repeated.map((step) => step.C)).toEqual([wad("110"), wad("55"), wad("60.5"), wad("30.25"), wad("33.275")]);
  });

  it.each([
    [{ feeds: {} }, "name at least one feed\n  → at feeds"],
    [{ feeds: { WETH: { prices: [] } } }, "prices needs at least one price"],
    [{ feeds: { WETH: { prices: ["0"] } } }, "a price must be above zero"],
    [{ feeds: { WETH: { prices: ["-5"] } } }, "a price must be above zero"],
    [{ feeds: { WETH: { prices: ["1e3"] } } }, 'expected a decimal number such as "2950.5"'],
    [{ feeds: { WETH: { prices: [1e21] } } }, "no exponent"],
    [{ feeds: { WETH: { prices: ["0.0000000000000000001"] } } }, "at most 18 decimals"],
    [{ feeds: { WETH: { moves: ["-1"] } } }, "a move must be above -1"],
    [
      { feeds: { WETH: { prices: ["1"], moves: ["0.1"] } } },
      "give exactly one of prices, moves or follow (got prices and moves)",
    ],
    [{ feeds: { WETH: {} } }, "give exactly one of prices, moves or follow"],
    [{ feeds: { WETH: { price: ["1"] } } }, 'Unrecognized key: "price"'],
    [{ feeds: { "ETH-PERP": { follow: "WETH" } } }, 'follows "WETH", which is not a feed of this path'],
    [
      { feeds: { A: { prices: ["1"] }, B: { follow: "A" }, C: { follow: "B" } } },
      "follows B, which follows another feed",
    ],
    [{ end: "stop", feeds: { A: { prices: ["1"] } } }, "end"],
    [{ intervalSeconds: 0, feeds: { A: { prices: ["1"] } } }, "intervalSeconds"],
  ])("rejects %j: %s", (json, message) => {
    const error = thrown(() => parsePricePath(json));
    expect(error).toBeInstanceOf(PricePathError);
    expect(error.message).toContain(message);
  });

  it("names the file when it cannot be read or is not JSON", async () => {
    const directory = await mkdtemp(join(tmpdir(), "xmargin-prices-"));
    const broken = join(directory, "broken.json");
    await writeFile(broken, "{ feeds: ");
    await expect(loadPricePath(broken)).rejects.toThrow(`price path ${broken} is not JSON`);
    await expect(loadPricePath(join(directory, "missing.json"))).rejects.toThrow("cannot read price path");
    const invalid = join(directory, "invalid.json");
    await writeFile(invalid, JSON.stringify({ feeds: { WETH: { prices: ["x"] } } }));
    await expect(loadPricePath(invalid)).rejects.toThrow(
      `invalid price path ${invalid}:\n✖ expected a decimal number such as "2950.5" (at most 18 decimals, no exponent), got "x"\n  → at feeds.WETH.prices[0]`,
    );
  });

  it("a mover refuses a path that names feeds the deployment does not have", () => {
    const walletClient = createWalletClient({
      account: privateKeyToAccount(`0x${"11".repeat(32)}`),
      chain: {
        id: 1,
        name: "unused",
        nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
        rpcUrls: { default: { http: ["http://unused.invalid"] } },
      },
      transport: http("http://unused.invalid"),
    });
    const feed = { address: `0x${"22".repeat(20)}`, decimals: 8, priceId: `0x${"33".repeat(32)}` } as const;
    const error = thrown(() =>
      createPriceMover({
        walletClient,
        feeds: { WETH: feed },
        schedule: pathSchedule(parsePricePath({ feeds: { WETH: { prices: ["1"] }, DOGE: { prices: ["1"] } } })),
        intervalMs: 1,
        logger: pino({ level: "silent" }),
      }),
    );
    expect(error).toBeInstanceOf(PricePathError);
    expect(error.message).toBe("the price path names feeds the deployment does not have: DOGE (it has WETH)");
    // A price id names its feed too.
    const byId = pathSchedule(parsePricePath({ feeds: { [feed.priceId]: { prices: ["1"] } } }));
    expect(() =>
      createPriceMover({
        walletClient,
        feeds: { WETH: feed },
        schedule: byId,
        intervalMs: 1,
        logger: pino({ level: "silent" }),
      }),
    ).not.toThrow();
  });
});

describe("random walk", () => {
  const start = { WETH: wad("3000"), WBTC: wad("60000") };

  it("is the same walk for the same seed and start, and another for another seed", () => {
    const walk = (seed: number) => run(devnetRandomWalk({ seed, volatility: 0.01 }), start, 200);
    const first = walk(42);
    expect(walk(42)).toEqual(first);
    expect(walk(43)).not.toEqual(first);
    expect(first).toHaveLength(200);
    for (const step of first) {
      expect(step["ETH-PERP"]).toBe(step.WETH);
      expect(step["BTC-PERP"]).toBe(step.WBTC);
    }
    // Seed 42's first step, pinned: the stream must not change between runs, machines or versions.
    expect(first[0]).toMatchInlineSnapshot(`
      {
        "BTC-PERP": 59420993300700000000000n,
        "ETH-PERP": 3019222425186000000000n,
        "WBTC": 59420993300700000000000n,
        "WETH": 3019222425186000000000n,
      }
    `);
  });

  it("moves by about the volatility per step, and drifts when told to", () => {
    const logReturns = (steps: Record<string, bigint>[]) =>
      steps.map((step, i) => Math.log(Number(step.WETH) / Number(i === 0 ? start.WETH : steps[i - 1]?.WETH)));
    const returns = logReturns(run(randomWalk({ seed: 7, volatility: 0.02, feeds: ["WETH"] }), start, 2_000));
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    const deviation = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / returns.length);
    expect(deviation).toBeGreaterThan(0.018);
    expect(deviation).toBeLessThan(0.022);
    const falling = run(randomWalk({ seed: 7, volatility: 0.01, drift: -0.01, feeds: ["WETH"] }), start, 100);
    expect(falling.at(-1)?.WETH).toBeLessThan(wad("1500"));
  });

  it("ends after `steps` when given", () => {
    expect(run(randomWalk({ seed: 1, volatility: 0.01, feeds: ["WETH"], steps: 3 }), start, 10)).toHaveLength(3);
  });

  it.each([
    [{ seed: 1, volatility: 0, feeds: ["WETH"] }, "volatility"],
    [{ seed: -1, volatility: 0.01, feeds: ["WETH"] }, "seed"],
    [{ seed: 1, volatility: 0.01, feeds: [] }, "walk at least one feed"],
    [
      { seed: 1, volatility: 0.01, feeds: ["WETH"], follow: { "BTC-PERP": "WBTC" } },
      "follows WBTC, which the walk does not move",
    ],
  ])("rejects %j", (options, message) => {
    const error = thrown(() => randomWalk(options));
    expect(error).toBeInstanceOf(PricePathError);
    expect(error.message).toContain(message);
  });
});
