import { mulberry32 as uniformMulberry32 } from "../../relayer/keeper/price-path.ts";

/** mulberry32 in [0, 1): the keeper's random walk and the tests draw from the same generator. */
export const seededUniform = uniformMulberry32;

/**
 * mulberry32, the tests' seeded generator: small, fast and fully determined by its 32-bit seed, so a seed
 * reproduces a run on any machine. Each call returns the next unsigned 32-bit word of the stream.
 */
export function mulberry32(seed: number): () => number {
  const next = uniformMulberry32(seed);
  return () => next() * 4_294_967_296;
}

export type Random = ReturnType<typeof createRandom>;

/**
 * Floating-point draws on mulberry32, behind the backtest's price path and portfolio set. The shipped
 * price-path.json depends on how many words each draw takes, so a change here must leave that file as it is.
 */
export function createRandom(seed: number) {
  const next32 = mulberry32(seed);
  /** Uniform in [0, 1) with 53 random bits. */
  const uniform = () => (next32() * 2 ** 21 + (next32() >>> 11)) / 2 ** 53;
  const between = (min: number, max: number) => min + (max - min) * uniform();
  const int = (min: number, max: number) => min + Math.floor(uniform() * (max - min + 1));
  return {
    uniform,
    between,
    int,
    /** Log-uniform in [min, max]: as many portfolios between 1k and 10k as between 10k and 100k. */
    logBetween: (min: number, max: number) => Math.exp(between(Math.log(min), Math.log(max))),
    chance: (probability: number) => uniform() < probability,
    /** Standard normal (Box–Muller; one draw per call so the stream does not depend on caching). */
    normal: () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()),
    /** `count` distinct items, in a random order. */
    sample: <T>(items: readonly T[], count: number): T[] => {
      const pool = [...items];
      for (let i = pool.length - 1; i > 0; i--) {
        const j = int(0, i);
        [pool[i], pool[j]] = [pool[j] as T, pool[i] as T];
      }
      return pool.slice(0, count);
    },
  };
}
