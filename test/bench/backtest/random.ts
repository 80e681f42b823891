/**
 * The seeded generator behind the price path and the portfolio set: mulberry32, small, fast and fully
 * determined by its 32-bit seed, so a seed reproduces a run on any machine.
 */
export type Random = ReturnType<typeof createRandom>;

export function createRandom(seed: number) {
  let state = seed >>> 0;
  const next32 = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
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
