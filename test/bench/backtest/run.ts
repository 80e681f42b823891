// The backtest of the mission's claim: `scripts/run npx tsx test/bench/backtest/run.ts [--out DIR] [--seed N]
// [--portfolios N] [--path FILE]`. Replays the price path over a seeded portfolio set in cross and in
// isolated margin, and writes report.json and chart.png to DIR (default: this directory). --seed seeds the
// portfolio set; the path comes from FILE (default: the shipped price-path.json). Same inputs, same files.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chartSvg, renderPng } from "./chart.ts";
import { BACKTEST_MARKET } from "./market.ts";
import { generatePortfolios } from "./portfolios.ts";
import { pathStatistics, priceTable, readPricePath } from "./pricePath.ts";
import { buildReport, type ModeSummary } from "./report.ts";
import { MARGIN_MODES, type MarginMode, type ModeResult, simulate } from "./simulator.ts";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../..");
const { values } = parseArgs({
  options: {
    out: { type: "string", default: here },
    seed: { type: "string", default: "1" },
    portfolios: { type: "string", default: "200" },
    path: { type: "string", default: join(here, "price-path.json") },
  },
});
const integerOption = (name: string, text: string, min: number, max: number) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`--${name} must be an integer in [${min}, ${max}], got ${text}`);
  }
  return value;
};
const seed = integerOption("seed", values.seed, 0, 2 ** 32 - 1);
const count = integerOption("portfolios", values.portfolios, 1, 100_000);
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
const progress = (text: string) => console.log(`… ${text} (${elapsed()})`);

const pathFile = resolve(values.path);
const path = readPricePath(pathFile);
const prices = priceTable(path);
progress(`price path ${relative(repo, pathFile)}: ${Object.keys(path.prices).join(", ")}, ${path.model.steps} steps`);
const portfolios = generatePortfolios(BACKTEST_MARKET, prices, count, seed);
progress(
  `${portfolios.length} portfolios (seed ${seed}), ${portfolios.reduce((n, p) => n + p.positions.length, 0)} positions`,
);

const results = {} as Record<MarginMode, ModeResult>;
for (const mode of MARGIN_MODES) {
  results[mode] = simulate({
    config: BACKTEST_MARKET,
    prices,
    portfolios,
    mode,
    onProgress: (step, steps) => progress(`${mode}: step ${step}/${steps}`),
  });
}

const report = buildReport({
  command: `scripts/run npx tsx test/bench/backtest/run.ts --seed ${seed} --portfolios ${count} --path ${relative(repo, pathFile)}`,
  portfolioSeed: seed,
  pathFile: relative(repo, pathFile),
  path,
  series: pathStatistics(path),
  portfolios,
  results,
});
const out = resolve(values.out);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
const { cross, isolated } = report.modes;
const usd = (text: string) => Math.round(Number(text)).toLocaleString("en-US");
const subtitle =
  `${count} portfolios (seed ${seed}), ${report.portfolios.positions} positions; liquidations: cross ${cross.liquidations}, ` +
  `isolated ${isolated.liquidations}; liquidated notional: cross $${usd(cross.liquidatedNotional)}, isolated $${usd(isolated.liquidatedNotional)}`;
writeFileSync(join(out, "chart.png"), renderPng(chartSvg({ path, results, subtitle })));
progress(`wrote ${relative(repo, join(out, "report.json"))} and ${relative(repo, join(out, "chart.png"))}`);

const row = (label: string, pick: (summary: ModeSummary) => string | number) => ({
  label,
  cross: String(pick(cross)),
  isolated: String(pick(isolated)),
});
const table = [
  row("accounts", (s) => s.accounts),
  row("liquidations (account-steps)", (s) => s.liquidations),
  row("portfolio-steps with a liquidation", (s) => s.portfolioSteps),
  row("perp liquidation calls", (s) => s.perpLiquidations),
  row("collateral liquidation calls", (s) => s.collateralLiquidations),
  row("liquidated notional (USD)", (s) => usd(s.liquidatedNotional)),
  row("liquidation fees (USD)", (s) => usd(s.liquidationFees)),
  row("collateral bonus paid (USD)", (s) => usd(s.collateralBonusPaid)),
  row("bad debt (USD)", (s) => usd(s.badDebt)),
  row(`positions liquidated (of ${report.portfolios.positions})`, (s) => s.positionsLiquidated),
  row(`portfolios liquidated (of ${count})`, (s) => s.portfoliosLiquidated),
  row(`final equity (USD, opening ${usd(cross.initialEquity)})`, (s) => usd(s.finalEquity)),
  ...(["directional", "mixed", "hedged"] as const).map((style) =>
    row(`${style} (${cross.byStyle[style].portfolios}): liquidations / notional`, (s) => {
      const totals = s.byStyle[style];
      return `${totals.liquidations} / ${usd(totals.liquidatedNotional)}`;
    }),
  ),
];
const width = (pick: (r: (typeof table)[number]) => string) => Math.max(...table.map((r) => pick(r).length));
const [labelWidth, crossWidth] = [
  width((r) => r.label),
  Math.max(
    5,
    width((r) => r.cross),
  ),
];
console.log(`\n${"".padEnd(labelWidth)}  ${"cross".padStart(crossWidth)}  isolated`);
for (const r of table) console.log(`${r.label.padEnd(labelWidth)}  ${r.cross.padStart(crossWidth)}  ${r.isolated}`);
const { comparison } = report;
console.log(
  `\ncross avoids ${(100 * comparison.liquidationsAvoidedByCross).toFixed(1)}% of isolated liquidations ` +
    `(${(100 * comparison.portfolioStepsAvoidedByCross).toFixed(1)}% of portfolio-steps, ` +
    `${(100 * comparison.positionsLiquidatedAvoidedByCross).toFixed(1)}% of liquidated positions) and ` +
    `${(100 * comparison.notionalAvoidedByCross).toFixed(1)}% of the liquidated notional; portfolios liquidated only ` +
    `isolated ${comparison.portfoliosLiquidatedOnlyIsolated}, only cross ${comparison.portfoliosLiquidatedOnlyCross}, ` +
    `both ${comparison.portfoliosLiquidatedInBoth} (${elapsed()})`,
);
