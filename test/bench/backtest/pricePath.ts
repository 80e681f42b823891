/**
 * The price path the backtest replays, and the model that generates it.
 *
 * Model (per hourly step t, assets i):
 *   z_i   = ℓ_i·F + √(1 − ℓ_i²)·e_i                   one-factor correlation: corr(i, k) = ℓ_i·ℓ_k
 *   d_i   = σ_i,t·z_i                                  diffusive shock, F and e_i independent N(0, 1)
 *   J     ~ N(μ_J, s_J) with probability λ·Δt, else 0  one market-wide jump, shared by every asset
 *   r_i   = d_i − σ²_i,t/2 + β_i·J − λΔt·(E[e^{β_i·J}] − 1)   log return; the drift terms make E[P_t+1] = P_t
 *   σ²_i,t+1 = ω_i + α·d_i² + β·σ²_i,t                GARCH(1,1) on the diffusive shock
 * with ω_i chosen so the diffusive and the jump variance together give each asset its annual volatility:
 *   ω_i = (1 − α − β)·(v_i − λΔt·β_i²·(μ_J² + s_J²)),  v_i = annualVolatility_i² · Δt / 1 year.
 * The README beside this file justifies the parameters. Prices are written with 8 significant digits as
 * decimal strings, which parse exactly into the risk math's 18-decimal fixed point.
 */
import { readFileSync } from "node:fs";
import { z } from "zod/v4";
import { XmarginError } from "../../../sdk/errors.ts";
import { MAX_PRICE, parseWad } from "../../../sdk/risk/index.ts";
import { createRandom } from "../../helpers/random.ts";

export const PRICE_PATH_FORMAT = "xmargin-price-path/1";
const SECONDS_PER_YEAR = 365 * 24 * 3600;
const SIGNIFICANT_DIGITS = 8;

/** A price path file that fails validation; `issues` names every offending field. */
export class PricePathError extends XmarginError {
  override name = "PricePathError";
}

const assetModelSchema = z.strictObject({
  name: z.string().regex(/^[A-Z][A-Z0-9]*$/),
  initialPrice: z.number().positive(),
  /** Target annualised volatility of log returns, diffusion and jumps together. */
  annualVolatility: z.number().positive().max(5),
  /** ℓ_i, the loading on the common factor. */
  factorLoading: z.number().min(-1).max(1),
  /** β_i, how much of the market-wide jump the asset takes. */
  jumpBeta: z.number().min(0).max(5),
});

const modelSchema = z
  .strictObject({
    stepSeconds: z.number().int().positive(),
    steps: z.number().int().min(1).max(100_000),
    garch: z.strictObject({ alpha: z.number().min(0), beta: z.number().min(0) }),
    jump: z.strictObject({
      /** λ: jumps per year. */
      ratePerYear: z.number().min(0),
      /** μ_J and s_J of the jump's log size. */
      meanLog: z.number(),
      sdLog: z.number().min(0),
    }),
    assets: z.array(assetModelSchema).min(1),
  })
  .superRefine((model, ctx) => {
    if (model.garch.alpha + model.garch.beta >= 1) {
      ctx.addIssue({ code: "custom", path: ["garch"], message: "alpha + beta must be below 1 (stationary variance)" });
    }
    const names = model.assets.map((asset) => asset.name);
    if (new Set(names).size !== names.length) {
      ctx.addIssue({ code: "custom", path: ["assets"], message: "asset names must be unique" });
    }
    for (const [i, asset] of model.assets.entries()) {
      if (diffusiveVariance(model, asset) <= 0) {
        ctx.addIssue({
          code: "custom",
          path: ["assets", i, "annualVolatility"],
          message: "the jumps alone exceed this volatility",
        });
      }
    }
  });

export type PathModel = z.output<typeof modelSchema>;
type AssetModel = PathModel["assets"][number];

const decimalPrice = z.string().superRefine((text, ctx) => {
  try {
    const value = parseWad(text);
    if (value <= 0n || value > MAX_PRICE) ctx.addIssue({ code: "custom", message: `${text} is not in (0, MAX_PRICE]` });
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
  }
});

const pricePathSchema = z
  .strictObject({
    format: z.literal(PRICE_PATH_FORMAT),
    /** The command that wrote the file. */
    generator: z.string(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1),
    model: modelSchema,
    /** One series per asset of the model, `steps + 1` prices each (the initial price first). */
    prices: z.record(z.string(), z.array(decimalPrice)),
  })
  .superRefine((path, ctx) => {
    const names = path.model.assets.map((asset) => asset.name);
    for (const name of names) {
      const series = Object.hasOwn(path.prices, name) ? path.prices[name] : undefined;
      if (series === undefined) ctx.addIssue({ code: "custom", path: ["prices", name], message: "missing series" });
      else if (series.length !== path.model.steps + 1) {
        ctx.addIssue({
          code: "custom",
          path: ["prices", name],
          message: `expected ${path.model.steps + 1} prices (steps + 1), got ${series.length}`,
        });
      }
    }
    for (const name of Object.keys(path.prices)) {
      if (!names.includes(name)) {
        ctx.addIssue({ code: "custom", path: ["prices", name], message: "not an asset of the model" });
      }
    }
  });

export type PricePath = z.output<typeof pricePathSchema>;

/** Validates a price path file's JSON; throws a PricePathError listing every offending field. */
export function parsePricePath(json: unknown): PricePath {
  const parsed = pricePathSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({
    field: issue.path.map(String).join("."),
    message: issue.message,
  }));
  const lines = issues.map(({ field, message }) => `  ${field === "" ? "(root)" : field}: ${message}`);
  throw new PricePathError(`invalid price path:\n${lines.join("\n")}`, { details: { issues } });
}

export function readPricePath(file: string): PricePath {
  return parsePricePath(JSON.parse(readFileSync(file, "utf8")));
}

/** The model of the shipped path: six crypto assets, hourly, 90 days. README.md justifies each number. */
export const DEFAULT_PATH_MODEL: PathModel = {
  stepSeconds: 3600,
  steps: 90 * 24,
  garch: { alpha: 0.08, beta: 0.9 },
  jump: { ratePerYear: 36.5, meanLog: -0.03, sdLog: 0.04 },
  assets: [
    { name: "BTC", initialPrice: 60_000, annualVolatility: 0.55, factorLoading: 0.9, jumpBeta: 1 },
    { name: "ETH", initialPrice: 3_000, annualVolatility: 0.7, factorLoading: 0.88, jumpBeta: 1.25 },
    { name: "SOL", initialPrice: 150, annualVolatility: 0.95, factorLoading: 0.8, jumpBeta: 1.6 },
    { name: "BNB", initialPrice: 550, annualVolatility: 0.6, factorLoading: 0.75, jumpBeta: 1.1 },
    { name: "DOGE", initialPrice: 0.15, annualVolatility: 1, factorLoading: 0.72, jumpBeta: 1.8 },
    { name: "LINK", initialPrice: 15, annualVolatility: 0.9, factorLoading: 0.78, jumpBeta: 1.5 },
  ],
};

const stepYears = (model: PathModel) => model.stepSeconds / SECONDS_PER_YEAR;

/** Long-run variance per step of the diffusive part: the asset's total minus what the jumps contribute. */
function diffusiveVariance(model: PathModel, asset: AssetModel): number {
  const dt = stepYears(model);
  const { ratePerYear, meanLog, sdLog } = model.jump;
  const jumpVariance = ratePerYear * dt * asset.jumpBeta ** 2 * (meanLog ** 2 + sdLog ** 2);
  return asset.annualVolatility ** 2 * dt - jumpVariance;
}

/** `value` with 8 significant digits as a plain decimal string (never an exponent), trailing zeros dropped. */
export function formatPrice(value: number): string {
  const decimals = Math.max(0, SIGNIFICANT_DIGITS - 1 - Math.floor(Math.log10(value)));
  const text = value.toFixed(decimals);
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

/** Simulates the model from `seed`: every asset's prices, the initial price first. */
export function simulatePrices(model: PathModel, seed: number): Record<string, string[]> {
  const random = createRandom(seed);
  const dt = stepYears(model);
  const { alpha, beta } = model.garch;
  const jumpProbability = model.jump.ratePerYear * dt;
  const states = model.assets.map((asset) => {
    const longRun = diffusiveVariance(model, asset);
    const { meanLog, sdLog } = model.jump;
    const expectedJumpGrowth = Math.exp(asset.jumpBeta * meanLog + 0.5 * asset.jumpBeta ** 2 * sdLog ** 2);
    return {
      asset,
      omega: (1 - alpha - beta) * longRun,
      variance: longRun,
      logPrice: Math.log(asset.initialPrice),
      jumpCompensator: jumpProbability * (expectedJumpGrowth - 1),
      series: [formatPrice(asset.initialPrice)],
    };
  });
  for (let step = 0; step < model.steps; step++) {
    // Every step draws the same number of variates, so a jump never shifts the stream of later steps.
    const factor = random.normal();
    const idiosyncratic = states.map(() => random.normal());
    const jumps = random.uniform() < jumpProbability;
    const jumpSize = model.jump.meanLog + model.jump.sdLog * random.normal();
    for (const [i, state] of states.entries()) {
      const loading = state.asset.factorLoading;
      const z = loading * factor + Math.sqrt(1 - loading ** 2) * (idiosyncratic[i] as number);
      const shock = Math.sqrt(state.variance) * z;
      const jump = jumps ? state.asset.jumpBeta * jumpSize : 0;
      state.logPrice += shock - state.variance / 2 + jump - state.jumpCompensator;
      state.variance = state.omega + alpha * shock ** 2 + beta * state.variance;
      state.series.push(formatPrice(Math.exp(state.logPrice)));
    }
  }
  return Object.fromEntries(states.map((state) => [state.asset.name, state.series]));
}

/** The command that regenerates a path file: the file records it. */
export const generatorCommand = (seed: number) =>
  `scripts/run npx tsx test/bench/backtest/generate-path.ts --seed ${seed}`;

export function generatePricePath(model: PathModel, seed: number): PricePath {
  return {
    format: PRICE_PATH_FORMAT,
    generator: generatorCommand(seed),
    seed,
    model,
    prices: simulatePrices(model, seed),
  };
}

/** The path's prices as WAD, per series: the simulator's price table. */
export function priceTable(path: PricePath): Record<string, bigint[]> {
  return Object.fromEntries(
    Object.entries(path.prices).map(([name, series]) => [name, series.map((price) => parseWad(price))]),
  );
}

export interface SeriesStatistics {
  first: string;
  last: string;
  /** Annualised standard deviation of the log returns. */
  realizedVolatility: number;
  /** Largest fall from a running high, as a fraction. */
  maxDrawdown: number;
  /** Worst single-step log return. */
  worstStep: number;
}

const round4 = (value: number) => Number(value.toFixed(4));

/** What the path actually did, per series: a reader's check that it resembles the model's targets. */
export function pathStatistics(path: PricePath): Record<string, SeriesStatistics> {
  const stepsPerYear = SECONDS_PER_YEAR / path.model.stepSeconds;
  return Object.fromEntries(
    Object.entries(path.prices).map(([name, series]) => {
      const values = series.map(Number);
      const returns = values.slice(1).map((value, i) => Math.log(value / (values[i] as number)));
      const mean = returns.reduce((sum, r) => sum + r, 0) / returns.length;
      const variance = returns.reduce((sum, r) => sum + (r - mean) ** 2, 0) / Math.max(1, returns.length - 1);
      let high = 0;
      let maxDrawdown = 0;
      for (const value of values) {
        high = Math.max(high, value);
        maxDrawdown = Math.max(maxDrawdown, 1 - value / high);
      }
      return [
        name,
        {
          first: series[0] as string,
          last: series[series.length - 1] as string,
          realizedVolatility: round4(Math.sqrt(variance * stepsPerYear)),
          maxDrawdown: round4(maxDrawdown),
          worstStep: round4(Math.min(...returns)),
        },
      ];
    }),
  );
}
