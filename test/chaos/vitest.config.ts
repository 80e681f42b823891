// The chaos suite (`npm run test:chaos`): long-running devnet scenarios, outside the default `vitest run`.
// XMARGIN_CHAOS_SCALE=short (the default, CI) or full; XMARGIN_CHAOS_SEED replays a run's random choices.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/chaos/**/*.chaos.ts"],
    testTimeout: 900_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Each scenario runs its own chains and relayer processes: one at a time on small machines.
    fileParallelism: false,
  },
});
