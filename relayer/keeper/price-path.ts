/**
 * Price schedules for the devnet's writable feeds: a path read from a JSON file, or a seeded random walk.
 * A schedule only computes prices; relayer/keeper/price-mover.ts writes them to the feeds.
 *
 * The path file (see relayer/keeper/README.md and relayer/keeper/examples/):
 *
 * ```json
 * {
 *   "description": "ETH slides 10% in 2% steps, then holds",
 *   "intervalSeconds": 5,
 *   "end": "hold",
 *   "feeds": {
 *     "WETH": { "prices": ["2940", "2880", "2820", "2760", "2700"] },
 *     "ETH-PERP": { "follow": "WETH" },
 *     "WBTC": { "moves": ["-0.01", "0.005"] }
 *   }
 * }
 * ```
 *
 * - `feeds` keys are feed names of the deployment (`hub.priceFeeds` of deployments/devnet.json: USDC, WETH,
 *   WBTC, ETH-PERP, BTC-PERP) or their oracle price ids (0x + 64 hex digits).
 * - Each feed has exactly one of: `prices`, absolute USD prices per step; `moves`, relative moves per step
 *   applied to the feed's price at that moment (`"-0.02"` is −2 %, each above −1); `follow`, the name of
 *   another feed whose price it takes at every step (the devnet prices a market apart from its asset).
 * - Values are decimal strings or JSON numbers without exponents, at most 18 decimals.
 * - Step i sets every feed to its i-th value. Series may differ in length: the path has as many steps as its
 *   longest series, and a shorter one holds its last price (`moves`: stays still). `end`: `"hold"` (default)
 *   stops after the last step, `"repeat"` starts every series over.
 * - `intervalSeconds` is the pace the file suggests; the mover's own interval, when given, wins.
 */
import { readFile } from "node:fs/promises";
import { isHex } from "viem";
import { z } from "zod/v4";
import { mulDown, parseWad, WAD } from "../../sdk/risk/fixed.ts";
import { PricePathError } from "./errors.ts";

const DECIMAL = /^-?\d+(\.\d{1,18})?$/;

/** A decimal string or a JSON number without an exponent, as WAD. */
const decimalValue = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const text = typeof value === "number" ? String(value) : value;
  if (!DECIMAL.test(text)) {
    // continue: false spares the reader the refinements that would fail on the missing value.
    ctx.addIssue({
      code: "custom",
      input: value,
      continue: false,
      message: `expected a decimal number such as "2950.5" (at most 18 decimals, no exponent), got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return parseWad(text);
});

const priceValue = decimalValue.refine((price) => price > 0n, { message: "a price must be above zero" });
const moveValue = decimalValue.refine((move) => move > -WAD, {
  message: 'a move must be above -1 (e.g. "-0.05" is −5 %)',
});

const seriesSchema = z
  .object({
    prices: z.array(priceValue).min(1, "prices needs at least one price").optional(),
    moves: z.array(moveValue).min(1, "moves needs at least one move").optional(),
    follow: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((series, ctx) => {
    const given = (["prices", "moves", "follow"] as const).filter((key) => series[key] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: `give exactly one of prices, moves or follow${given.length > 1 ? ` (got ${given.join(" and ")})` : ""}`,
      });
    }
  });

export const pricePathSchema = z
  .object({
    description: z.string().optional(),
    intervalSeconds: z.number().positive().optional(),
    end: z.enum(["hold", "repeat"]).default("hold"),
    feeds: z.record(z.string().min(1), seriesSchema),
  })
  .strict()
  .superRefine((path, ctx) => {
    const names = Object.keys(path.feeds);
    if (names.length === 0) ctx.addIssue({ code: "custom", path: ["feeds"], message: "name at least one feed" });
    for (const [name, series] of Object.entries(path.feeds)) {
      if (series.follow === undefined) continue;
      const target = path.feeds[series.follow];
      const problem =
        target === undefined
          ? `follows ${JSON.stringify(series.follow)}, which is not a feed of this path (it has ${names.join(", ")})`
          : target.follow !== undefined
            ? `follows ${series.follow}, which follows another feed: follow a feed with prices or moves`
            : undefined;
      if (problem !== undefined) ctx.addIssue({ code: "custom", path: ["feeds", name, "follow"], message: problem });
    }
  });

export type PricePathInput = z.input<typeof pricePathSchema>;

/** One feed's series: absolute prices or relative moves per step (WAD), or another feed's price. */
export type PriceSeries =
  | { kind: "prices"; values: readonly bigint[] }
  | { kind: "moves"; values: readonly bigint[] }
  | { kind: "follow"; feed: string };

export interface PricePath {
  description?: string | undefined;
  intervalSeconds?: number | undefined;
  end: "hold" | "repeat";
  /** By the key the file used: a feed name or a price id. */
  feeds: Readonly<Record<string, PriceSeries>>;
  /** Steps before the path ends (or repeats): the longest series. */
  steps: number;
}

/** Validates a parsed path file; the error lists every problem with its location in the file. */
export function parsePricePath(json: unknown, source = "price path"): PricePath {
  const result = pricePathSchema.safeParse(json);
  if (!result.success) {
    throw new PricePathError(`invalid ${source}:\n${z.prettifyError(result.error)}`, {
      cause: result.error,
      details: { issues: result.error.issues },
    });
  }
  const { description, intervalSeconds, end } = result.data;
  const feeds: Record<string, PriceSeries> = {};
  let steps = 0;
  for (const [key, series] of Object.entries(result.data.feeds)) {
    if (series.prices !== undefined) feeds[key] = { kind: "prices", values: series.prices };
    else if (series.moves !== undefined) feeds[key] = { kind: "moves", values: series.moves };
    else feeds[key] = { kind: "follow", feed: series.follow as string };
    steps = Math.max(steps, series.prices?.length ?? series.moves?.length ?? 0);
  }
  return { description, intervalSeconds, end, feeds, steps };
}

/** Reads and validates a path file. */
export async function loadPricePath(file: string): Promise<PricePath> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new PricePathError(`cannot read price path ${file}`, { cause: error, details: { file } });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PricePathError(`price path ${file} is not JSON: ${(error as Error).message}`, {
      cause: error,
      details: { file },
    });
  }
  return parsePricePath(json, `price path ${file}`);
}

/**
 * Prices step by step (WAD, by feed key). `next` receives every feed's current price and returns the prices
 * of the next step, or undefined once the schedule has ended.
 */
export interface PriceSchedule {
  /** The feed keys it moves: feed names or price ids. */
  readonly feeds: readonly string[];
  next(current: ReadonlyMap<string, bigint>): Map<string, bigint> | undefined;
}

/** current·(1 + move), rounded down, never below the smallest WAD price. */
function applyMove(current: bigint, move: bigint): bigint {
  const moved = mulDown(current, WAD + move);
  return moved > 0n ? moved : 1n;
}

function requireCurrent(current: ReadonlyMap<string, bigint>, feed: string): bigint {
  const price = current.get(feed);
  if (price === undefined) throw new PricePathError(`no current price of feed ${feed}`, { details: { feed } });
  return price;
}

/** Fills in the feeds that follow another one. */
function withFollowers(prices: Map<string, bigint>, follow: Readonly<Record<string, string>>): Map<string, bigint> {
  for (const [feed, leader] of Object.entries(follow)) {
    const price = prices.get(leader);
    if (price !== undefined) prices.set(feed, price);
  }
  return prices;
}

/** The schedule of a path file. */
export function pathSchedule(path: PricePath): PriceSchedule {
  let step = 0;
  const follow = Object.fromEntries(
    Object.entries(path.feeds).flatMap(([feed, series]) => (series.kind === "follow" ? [[feed, series.feed]] : [])),
  );
  return {
    feeds: Object.keys(path.feeds),
    next(current) {
      if (path.end === "hold" && step >= path.steps) return undefined;
      const prices = new Map<string, bigint>();
      for (const [feed, series] of Object.entries(path.feeds)) {
        if (series.kind === "follow") continue;
        const { values } = series;
        const index = path.end === "repeat" ? step % values.length : step;
        if (series.kind === "prices") {
          prices.set(feed, values[Math.min(index, values.length - 1)] as bigint);
        } else {
          const move = index < values.length ? (values[index] as bigint) : 0n;
          prices.set(feed, applyMove(requireCurrent(current, feed), move));
        }
      }
      step++;
      return withFollowers(prices, follow);
    },
  };
}

const randomWalkSchema = z
  .object({
    seed: z.number().int().min(0).max(0xffff_ffff),
    /** Standard deviation of each step's relative move, e.g. 0.01 for 1 %. */
    volatility: z.number().positive().max(0.5),
    /** Mean relative move per step, e.g. -0.002 to push prices down. */
    drift: z.number().min(-0.5).max(0.5).default(0),
    feeds: z.array(z.string().min(1)).min(1, "walk at least one feed"),
    follow: z.record(z.string().min(1), z.string().min(1)).default({}),
    /** Steps before the walk ends; endless when absent. */
    steps: z.number().int().positive().optional(),
  })
  .strict()
  .superRefine((options, ctx) => {
    for (const [feed, leader] of Object.entries(options.follow)) {
      if (!options.feeds.includes(leader)) {
        ctx.addIssue({
          code: "custom",
          path: ["follow", feed],
          message: `follows ${leader}, which the walk does not move (it moves ${options.feeds.join(", ")})`,
        });
      }
      if (options.feeds.includes(feed)) {
        ctx.addIssue({ code: "custom", path: ["follow", feed], message: "a walked feed cannot also follow another" });
      }
    }
  });

export type RandomWalkOptions = z.input<typeof randomWalkSchema>;

/**
 * mulberry32: a small, fast 32-bit generator; the same seed gives the same stream everywhere. Each call
 * returns the next 32-bit word divided by 2^32 (exactly: a word times 2^32 is the word again).
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * A standard normal draw, approximated by the sum of twelve uniforms minus six (Irwin–Hall): only additions,
 * so the stream is bit-identical on every platform, unlike Box–Muller's log and cos.
 */
function standardNormal(uniform: () => number): number {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += uniform();
  return sum - 6;
}

/** Relative moves are rounded to 1e-12, which keeps the float → WAD conversion exact. */
const MOVE_RESOLUTION = 1e12;
const MOVE_SCALE = WAD / BigInt(MOVE_RESOLUTION);
/** The largest fall in one step, so that a price never reaches zero. */
const MIN_MOVE = -0.9;

/**
 * A seeded geometric random walk: at each step every feed of `feeds` moves by `drift + volatility·z`
 * (z ~ N(0, 1), independent per feed and step, at least −90 %), and each feed of `follow` takes its
 * leader's new price. The same seed and start prices give the same prices on every run.
 */
export function randomWalk(options: RandomWalkOptions): PriceSchedule {
  const result = randomWalkSchema.safeParse(options);
  if (!result.success) {
    throw new PricePathError(`invalid random walk:\n${z.prettifyError(result.error)}`, { cause: result.error });
  }
  const { seed, volatility, drift, feeds, follow, steps } = result.data;
  const uniform = mulberry32(seed);
  let step = 0;
  return {
    feeds: [...feeds, ...Object.keys(follow)],
    next(current) {
      if (steps !== undefined && step >= steps) return undefined;
      step++;
      const prices = new Map<string, bigint>();
      for (const feed of feeds) {
        const move = Math.max(MIN_MOVE, drift + volatility * standardNormal(uniform));
        prices.set(
          feed,
          applyMove(requireCurrent(current, feed), BigInt(Math.round(move * MOVE_RESOLUTION)) * MOVE_SCALE),
        );
      }
      return withFollowers(prices, follow);
    },
  };
}

/**
 * The random walk over the devnet's feeds (relayer/infra/protocol.ts): WETH and WBTC walk, each market's
 * mark follows its asset, USDC stays at its price.
 */
export function devnetRandomWalk(options: { seed: number; volatility: number; drift?: number }): PriceSchedule {
  return randomWalk({
    ...options,
    feeds: ["WETH", "WBTC"],
    follow: { "ETH-PERP": "WETH", "BTC-PERP": "WBTC" },
  });
}

/** True when `key` is an oracle price id rather than a feed name. */
export const isPriceIdKey = (key: string): boolean => isHex(key) && key.length === 66;
