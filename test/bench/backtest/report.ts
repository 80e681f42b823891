/**
 * The backtest's report: what each margin mode suffered over the path, exact amounts as decimal strings
 * (USD, 18 decimals), and the comparison the mission's claim is about.
 */
import { formatWad } from "../../../sdk/risk/index.ts";
import type { GeneratedPortfolio } from "./portfolios.ts";
import type { PricePath, SeriesStatistics } from "./pricePath.ts";
import type { LiquidationEvent, MarginMode, ModeResult, PortfolioStyle } from "./simulator.ts";

export const REPORT_FORMAT = "xmargin-backtest-report/1";
const STYLES: readonly PortfolioStyle[] = ["directional", "mixed", "hedged"];
const SAMPLE_EVERY_STEPS = 24;

interface Totals {
  /** Account-steps with at least one liquidation call. */
  liquidations: number;
  /** Distinct (portfolio, step) pairs among them: a crash that hits three sleeves of one portfolio counts once. */
  portfolioSteps: number;
  liquidatedNotional: string;
  /** Positions (portfolio, market) reduced by at least one perp liquidation. */
  positionsLiquidated: number;
  portfoliosLiquidated: number;
}

export interface ModeSummary extends Totals {
  accounts: number;
  perpLiquidations: number;
  collateralLiquidations: number;
  /** Perp liquidation fees the traders paid. */
  liquidationFees: string;
  seizedCollateralValue: string;
  /** Seized value minus the debt repaid for it: what the collateral bonus cost the traders. */
  collateralBonusPaid: string;
  badDebt: string;
  /** Σ unweighted equity of the accounts at the opening (the same in both modes) and after the last step. */
  initialEquity: string;
  finalEquity: string;
  byStyle: Record<PortfolioStyle, Totals & { portfolios: number }>;
}

export interface TimelineRow {
  step: number;
  crossLiquidations: number;
  isolatedLiquidations: number;
  crossNotional: string;
  isolatedNotional: string;
}

export interface BacktestReport {
  format: typeof REPORT_FORMAT;
  command: string;
  portfolioSeed: number;
  pricePath: {
    file: string;
    generator: string;
    seed: number;
    steps: number;
    stepSeconds: number;
    series: Record<string, SeriesStatistics>;
  };
  portfolios: {
    count: number;
    byStyle: Record<PortfolioStyle, number>;
    positions: number;
    collateralEntries: number;
    /** Portfolios whose target leverage exceeded the initial margin and were scaled down. */
    capped: number;
    /** Gross leverage Σ notional / collateral value at the opening. */
    leverage: { p10: number; p50: number; p90: number; max: number };
  };
  assumptions: string[];
  modes: Record<MarginMode, ModeSummary>;
  comparison: {
    /** 1 − cross / isolated, for each measure. */
    liquidationsAvoidedByCross: number;
    portfolioStepsAvoidedByCross: number;
    positionsLiquidatedAvoidedByCross: number;
    notionalAvoidedByCross: number;
    portfoliosLiquidatedOnlyIsolated: number;
    portfoliosLiquidatedOnlyCross: number;
    portfoliosLiquidatedInBoth: number;
  };
  /** Cumulative figures once a day (every 24 steps) and at the last step. */
  timeline: TimelineRow[];
}

export const ASSUMPTIONS = [
  "Risk math: sdk/risk (docs/risk-spec.md) with SPEC_RISK_PARAMS; every health figure and liquidation size is the hub's to the wei.",
  "Mark = oracle price = the path's price at each hourly step; liquidators act at every step on every liquidatable account.",
  "Cross: one account per portfolio. Isolated: one account per position, given the share of every collateral entry that its position has of the portfolio's initial margin requirement.",
  "A liquidation = one account at one step with at least one liquidation call; calls continue while H^maint < 0 (the hub's condition for every call).",
  "Perp liquidation first (the open position with the largest maintenance requirement), collateral liquidation (lowest effective weight first) once no position is left and debt remains.",
  "Passive traders: no deposits, top-ups, trades or closes after the opening. No funding; volatility multipliers k = 1; size factors 0; USDC at exactly 1 USD.",
];

const sumOf = (events: readonly LiquidationEvent[], pick: (event: LiquidationEvent) => bigint) =>
  events.reduce((sum, event) => sum + pick(event), 0n);

function totals(events: readonly LiquidationEvent[]): Totals {
  return {
    liquidations: events.length,
    portfolioSteps: new Set(events.map((event) => `${event.portfolio}@${event.step}`)).size,
    liquidatedNotional: formatWad(sumOf(events, (event) => event.notional)),
    positionsLiquidated: new Set(
      events.flatMap((event) => event.closedMarkets.map((market) => `${event.portfolio}/${market}`)),
    ).size,
    portfoliosLiquidated: new Set(events.map((event) => event.portfolio)).size,
  };
}

function summarize(result: ModeResult, portfolios: readonly GeneratedPortfolio[]): ModeSummary {
  const { events } = result;
  const styleOf = new Map(portfolios.map((portfolio) => [portfolio.id, portfolio.style]));
  const byStyle = Object.fromEntries(
    STYLES.map((style) => [
      style,
      {
        portfolios: portfolios.filter((portfolio) => portfolio.style === style).length,
        ...totals(events.filter((event) => styleOf.get(event.portfolio) === style)),
      },
    ]),
  ) as ModeSummary["byStyle"];
  const seized = sumOf(events, (event) => event.seizedValue);
  return {
    accounts: result.accounts,
    ...totals(events),
    perpLiquidations: events.reduce((sum, event) => sum + event.perpLiquidations, 0),
    collateralLiquidations: events.reduce((sum, event) => sum + event.collateralLiquidations, 0),
    liquidationFees: formatWad(sumOf(events, (event) => event.fees)),
    seizedCollateralValue: formatWad(seized),
    collateralBonusPaid: formatWad(seized - sumOf(events, (event) => event.repaid)),
    badDebt: formatWad(sumOf(events, (event) => event.badDebt)),
    initialEquity: formatWad(result.initialEquity),
    finalEquity: formatWad(result.finalEquity),
    byStyle,
  };
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

const round = (value: number, digits = 4) => Number(value.toFixed(digits));
const avoided = (cross: number, isolated: number) => (isolated === 0 ? 0 : round(1 - cross / isolated));

export interface ReportInputs {
  command: string;
  portfolioSeed: number;
  pathFile: string;
  path: PricePath;
  series: Record<string, SeriesStatistics>;
  portfolios: readonly GeneratedPortfolio[];
  results: Record<MarginMode, ModeResult>;
}

export function buildReport({
  command,
  portfolioSeed,
  pathFile,
  path,
  series,
  portfolios,
  results,
}: ReportInputs): BacktestReport {
  const cross = summarize(results.cross, portfolios);
  const isolated = summarize(results.isolated, portfolios);
  const liquidated = (mode: MarginMode) => new Set(results[mode].events.map((event) => event.portfolio));
  const [inCross, inIsolated] = [liquidated("cross"), liquidated("isolated")];
  const leverages = portfolios.map((portfolio) => portfolio.leverage).sort((a, b) => a - b);
  const steps = results.cross.cumulativeLiquidations.length - 1;
  const sampled = Array.from({ length: steps + 1 }, (_, step) => step).filter(
    (step) => step % SAMPLE_EVERY_STEPS === 0 || step === steps,
  );
  return {
    format: REPORT_FORMAT,
    command,
    portfolioSeed,
    pricePath: {
      file: pathFile,
      generator: path.generator,
      seed: path.seed,
      steps: path.model.steps,
      stepSeconds: path.model.stepSeconds,
      series,
    },
    portfolios: {
      count: portfolios.length,
      byStyle: Object.fromEntries(
        STYLES.map((style) => [style, portfolios.filter((portfolio) => portfolio.style === style).length]),
      ) as Record<PortfolioStyle, number>,
      positions: portfolios.reduce((sum, portfolio) => sum + portfolio.positions.length, 0),
      collateralEntries: portfolios.reduce((sum, portfolio) => sum + portfolio.collateral.length, 0),
      capped: portfolios.filter((portfolio) => portfolio.capped).length,
      leverage: {
        p10: round(quantile(leverages, 0.1), 2),
        p50: round(quantile(leverages, 0.5), 2),
        p90: round(quantile(leverages, 0.9), 2),
        max: round(leverages[leverages.length - 1] ?? 0, 2),
      },
    },
    assumptions: ASSUMPTIONS,
    modes: { cross, isolated },
    comparison: {
      liquidationsAvoidedByCross: avoided(cross.liquidations, isolated.liquidations),
      portfolioStepsAvoidedByCross: avoided(cross.portfolioSteps, isolated.portfolioSteps),
      positionsLiquidatedAvoidedByCross: avoided(cross.positionsLiquidated, isolated.positionsLiquidated),
      notionalAvoidedByCross: avoided(Number(cross.liquidatedNotional), Number(isolated.liquidatedNotional)),
      portfoliosLiquidatedOnlyIsolated: [...inIsolated].filter((id) => !inCross.has(id)).length,
      portfoliosLiquidatedOnlyCross: [...inCross].filter((id) => !inIsolated.has(id)).length,
      portfoliosLiquidatedInBoth: [...inCross].filter((id) => inIsolated.has(id)).length,
    },
    timeline: sampled.map((step) => ({
      step,
      crossLiquidations: results.cross.cumulativeLiquidations[step] ?? 0,
      isolatedLiquidations: results.isolated.cumulativeLiquidations[step] ?? 0,
      crossNotional: formatWad(results.cross.cumulativeNotional[step] ?? 0n),
      isolatedNotional: formatWad(results.isolated.cumulativeNotional[step] ?? 0n),
    })),
  };
}
