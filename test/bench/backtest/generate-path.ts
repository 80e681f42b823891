// Writes the backtest's price path: `scripts/run npx tsx test/bench/backtest/generate-path.ts [--seed N] [--out FILE]`.
// The shipped test/bench/backtest/price-path.json is `--seed 1` with the default model (pricePath.ts).
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DEFAULT_PATH_MODEL, generatePricePath } from "./pricePath.ts";

const { values } = parseArgs({
  options: { seed: { type: "string", default: "1" }, out: { type: "string" } },
});
const seed = Number(values.seed);
if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)
  throw new Error(`--seed must be an integer in [0, 2^32), got ${values.seed}`);
const out = values.out ?? join(dirname(fileURLToPath(import.meta.url)), "price-path.json");

const path = generatePricePath(DEFAULT_PATH_MODEL, seed);
writeFileSync(out, `${JSON.stringify(path, null, 2)}\n`);
const last = (series: readonly string[]) => series[series.length - 1];
const moves = Object.entries(path.prices).map(([name, series]) => `${name} ${series[0]} → ${last(series)}`);
console.log(
  `wrote ${out}: ${DEFAULT_PATH_MODEL.steps} steps of ${DEFAULT_PATH_MODEL.stepSeconds} s; ${moves.join(", ")}`,
);
