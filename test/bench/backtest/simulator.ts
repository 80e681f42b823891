/**
 * Replays a price path over a set of portfolios in one margin mode and applies every liquidation the
 * protocol would allow, with the SDK's risk math (sdk/risk: exact 18-decimal fixed point, the hub's
 * numbers to the wei).
 *
 * - cross: one account per portfolio; all collateral backs all positions, gains net against losses.
 * - isolated: one account per position (a "sleeve"). Each sleeve gets, of every collateral entry, the
 *   share its position has of the portfolio's initial margin requirement (R^init_j / Σ R^init), the last
 *   sleeve the rounding remainder, so every sleeve starts at the cross account's own init health ratio and
 *   the two modes start from the same collateral, positions and headroom.
 *
 * Each step, every account with something to liquidate is evaluated at that step's prices; while it is
 * liquidatable (H^maint < 0, as the hub requires for every call) a liquidator calls, as the hub allows:
 * - a perp liquidation of the open position with the largest maintenance requirement, sized by
 *   `perpLiquidation` (docs/risk-spec.md) and closed at the mark like LiquidationLogic.liquidatePerp:
 *   realized PnL n·(m − e) (toward −∞) and the fee go to the settle balance, the entry price is kept;
 * - once no position is left and the account has debt, a collateral liquidation of the entry with the
 *   lowest effective maintenance weight (the most restored per unit repaid), sized by
 *   `collateralLiquidation`; the repay credits the settle balance, the seized tokens leave the entry, and a
 *   remainder of at most 3 token units is swept as the hub does;
 * - an account left with debt and no positions or collateral has bad debt, written off as
 *   `resolveBadDebt` does.
 * Accounts far from liquidation skip the exact evaluation: H^maint is linear in the prices (amounts, sizes,
 * weights and margin fractions do not depend on them), so from the last exact value H_0 at prices p_0 it
 * cannot fall below H_0 − Σ_i |∂H/∂p_i|·|p_i − p_0,i|; only when that bound, with a margin far above
 * float and wei rounding, reaches zero is the account evaluated again. The screen changes no result
 * (backtest.test.ts replays with and without it).
 * One "liquidation" is one account at one step with at least one such call; liquidated notional is the
 * closed size times the mark. Traders are passive: no deposits, top-ups, trades or closes. No funding
 * (fundingOwed stays 0) and volatility multipliers stay at k = 1, in both modes alike.
 */

import { XmarginError } from "../../../sdk/errors.ts";
import {
  collateralLiquidation,
  effectiveWeight,
  healthBreakdown,
  marginFractions,
  mulDown,
  mulFloor,
  mulUp,
  perpLiquidation,
  tightenedWeights,
  WAD,
} from "../../../sdk/risk/index.ts";
import type { AssetRisk, HealthBreakdown, MarketRisk, RiskInputs } from "../../../sdk/risk/types.ts";
import type { BacktestMarket } from "./market.ts";

/** A portfolio or price table that names a chain, asset, market or price series the backtest does not have. */
export class BacktestInputError extends XmarginError {
  override name = "BacktestInputError";
}

export type MarginMode = "cross" | "isolated";
export const MARGIN_MODES: readonly MarginMode[] = ["cross", "isolated"];

export type PortfolioStyle = "directional" | "mixed" | "hedged";

export interface Portfolio {
  id: number;
  style: PortfolioStyle;
  collateral: { chain: string; asset: string; amount: bigint }[];
  positions: { market: string; size: bigint; entryPrice: bigint }[];
}

/** WAD prices per price source (a path series name), one per step, the initial price first. */
export type PriceTable = Readonly<Record<string, readonly bigint[]>>;

export interface LiquidationEvent {
  step: number;
  portfolio: number;
  /** The sleeve's market in isolated mode; null for a cross account. */
  market: string | null;
  /** Markets of the positions a perp liquidation reduced. */
  closedMarkets: string[];
  perpLiquidations: number;
  collateralLiquidations: number;
  /** Σ closed size × mark. */
  notional: bigint;
  /** Perp liquidation fees the trader paid. */
  fees: bigint;
  /** Market value of the collateral seized. */
  seizedValue: bigint;
  /** Debt the liquidators repaid for it. */
  repaid: bigint;
  badDebt: bigint;
}

export interface ModeResult {
  mode: MarginMode;
  accounts: number;
  events: LiquidationEvent[];
  /** Liquidations (events) up to and including each step. */
  cumulativeLiquidations: number[];
  /** Liquidated notional up to and including each step. */
  cumulativeNotional: bigint[];
  /** Σ unweighted equity (collateral at market + settle balance + uPnL) over the accounts at the opening. */
  initialEquity: bigint;
  /** The same after the last step. */
  finalEquity: bigint;
}

const MAX_CALLS_PER_STEP = 64;
const SWEPT_TOKEN_UNITS = 3n;

interface SimAccount {
  portfolio: Portfolio;
  market: string | null;
  inputs: RiskInputs;
  /** Dust threshold in WAD per collateral entry (3 token units at the asset's decimals). */
  dust: bigint[];
  /** Name of each of `inputs.markets`. */
  marketNames: string[];
  /** Price source index of each of `inputs.assets` (null: fixed at 1 USD) and of each of `inputs.markets`. */
  assetSources: (number | null)[];
  marketSources: number[];
  /** ∂H^maint/∂p per price source index, for the current amounts and sizes. */
  sensitivity: Map<number, number>;
  /** The last exact H^maint and the step it was evaluated at; null when the next step must evaluate. */
  anchor: { health: number; step: number } | null;
}

/** Risk inputs whose price fields follow the step: every account refers to these same objects. */
class PriceBoard {
  readonly assets = new Map<string, AssetRisk>();
  readonly markets = new Map<string, MarketRisk>();
  /** Price sources in a fixed order, and their prices as floats per step (for the screen only). */
  readonly sources: string[];
  readonly floatPrices: number[][];

  constructor(
    private readonly config: BacktestMarket,
    private readonly prices: PriceTable,
  ) {
    for (const asset of config.assets) {
      const { weightInit, weightMaint, sizeFactor } = asset;
      this.assets.set(asset.name, { price: WAD, weightInit, weightMaint, sizeFactor, kInit: WAD, kMaint: WAD });
    }
    for (const market of config.markets) {
      const { marginInit, marginMaint, sizeFactor, lotSize } = market;
      this.markets.set(market.name, {
        markPrice: WAD,
        marginInit,
        marginMaint,
        sizeFactor,
        lotSize,
        kInit: WAD,
        kMaint: WAD,
      });
    }
    this.sources = Object.keys(prices);
    this.floatPrices = this.sources.map((source) => (prices[source] ?? []).map(toNumber));
    this.setStep(0);
  }

  sourceIndex(source: string | null): number | null {
    if (source === null) return null;
    const index = this.sources.indexOf(source);
    if (index < 0) throw new BacktestInputError(`the price table has no series "${source}"`);
    return index;
  }

  get steps(): number {
    return Math.min(...Object.values(this.prices).map((series) => series.length)) - 1;
  }

  setStep(step: number): void {
    for (const asset of this.config.assets) {
      (this.assets.get(asset.name) as AssetRisk).price =
        asset.priceSource === null ? WAD : this.price(asset.priceSource, step);
    }
    for (const market of this.config.markets) {
      (this.markets.get(market.name) as MarketRisk).markPrice = this.price(market.priceSource, step);
    }
  }

  private price(source: string, step: number): bigint {
    const price = Object.hasOwn(this.prices, source) ? this.prices[source]?.[step] : undefined;
    if (price === undefined) throw new BacktestInputError(`the price table has no "${source}" price at step ${step}`);
    return price;
  }

  asset(name: string): AssetRisk {
    const asset = this.assets.get(name);
    if (asset === undefined) throw new BacktestInputError(`unknown collateral asset "${name}"`);
    return asset;
  }

  market(name: string): MarketRisk {
    const market = this.markets.get(name);
    if (market === undefined) throw new BacktestInputError(`unknown market "${name}"`);
    return market;
  }
}

const abs = (value: bigint) => (value < 0n ? -value : value);
const toNumber = (wad: bigint) => Number(wad) / 1e18;
/** Screen margin: relative and absolute, orders of magnitude above float error and wei rounding. */
const SCREEN_RELATIVE = 1e-9;
const SCREEN_ABSOLUTE = 1e-6;

function buildAccount(
  config: BacktestMarket,
  board: PriceBoard,
  portfolio: Portfolio,
  market: string | null,
  collateral: Portfolio["collateral"],
  positions: Portfolio["positions"],
): SimAccount {
  const assetNames = [...new Set(collateral.map((entry) => entry.asset))];
  const marketNames = positions.map((position) => position.market);
  const haircut = (name: string) => {
    const chain = config.chains.find((c) => c.name === name);
    if (chain === undefined) throw new BacktestInputError(`unknown chain "${name}"`);
    return chain.haircut;
  };
  const assetConfig = (name: string) => {
    const asset = config.assets.find((a) => a.name === name);
    if (asset === undefined) throw new BacktestInputError(`unknown collateral asset "${name}"`);
    return asset;
  };
  const marketSource = (name: string) => {
    const market = config.markets.find((m) => m.name === name);
    if (market === undefined) throw new BacktestInputError(`unknown market "${name}"`);
    return board.sourceIndex(market.priceSource) as number;
  };
  const account: SimAccount = {
    portfolio,
    market,
    inputs: {
      params: config.params,
      assets: assetNames.map((name) => board.asset(name)),
      markets: marketNames.map((name) => board.market(name)),
      account: {
        collateral: collateral.map((entry) => ({
          assetIndex: assetNames.indexOf(entry.asset),
          haircut: haircut(entry.chain),
          amount: entry.amount,
        })),
        settleBalance: 0n,
        positions: positions.map((position, i) => ({
          marketIndex: i,
          size: position.size,
          entryPrice: position.entryPrice,
          fundingOwed: 0n,
        })),
      },
    },
    dust: collateral.map((entry) => SWEPT_TOKEN_UNITS * 10n ** BigInt(18 - assetConfig(entry.asset).decimals)),
    marketNames,
    assetSources: assetNames.map((name) => board.sourceIndex(assetConfig(name).priceSource)),
    marketSources: marketNames.map(marketSource),
    sensitivity: new Map(),
    anchor: null,
  };
  account.sensitivity = sensitivities(account);
  return account;
}

/** ∂H^maint/∂p_i: Σ q·w_eff^maint over collateral priced by source i, plus Σ n_j − |n_j|·MF^maint_j over its markets. */
function sensitivities(account: SimAccount): Map<number, number> {
  const { inputs, assetSources, marketSources } = account;
  const result = new Map<number, number>();
  const add = (source: number | null | undefined, value: number) => {
    if (source !== null && source !== undefined) result.set(source, (result.get(source) ?? 0) + value);
  };
  const totals = inputs.assets.map((_, i) =>
    inputs.account.collateral.reduce((sum, entry) => (entry.assetIndex === i ? sum + entry.amount : sum), 0n),
  );
  for (const entry of inputs.account.collateral) {
    const asset = inputs.assets[entry.assetIndex] as AssetRisk;
    const weight = effectiveWeight(entry.haircut, tightenedWeights(asset, totals[entry.assetIndex] ?? 0n).maint);
    add(assetSources[entry.assetIndex], toNumber(entry.amount) * toNumber(weight));
  }
  for (const position of inputs.account.positions) {
    const market = inputs.markets[position.marketIndex] as MarketRisk;
    const absSize = abs(position.size);
    const fraction = marginFractions(market, absSize).maint;
    add(marketSources[position.marketIndex], toNumber(position.size) - toNumber(absSize) * toNumber(fraction));
  }
  return result;
}

/** False only when H^maint provably stayed above zero since the account's last exact evaluation. */
function mayBeLiquidatable(account: SimAccount, board: PriceBoard, step: number): boolean {
  const { anchor } = account;
  if (anchor === null) return true;
  let fall = 0;
  for (const [source, slope] of account.sensitivity) {
    const series = board.floatPrices[source] as number[];
    fall += Math.abs(slope) * Math.abs((series[step] as number) - (series[anchor.step] as number));
  }
  return fall + SCREEN_ABSOLUTE + SCREEN_RELATIVE * Math.abs(anchor.health) >= anchor.health;
}

/** The health of a book opened at the first prices of the table, as one cross account. */
export function openingBreakdown(
  config: BacktestMarket,
  prices: PriceTable,
  collateral: Portfolio["collateral"],
  positions: Portfolio["positions"],
): HealthBreakdown {
  const opening = Object.fromEntries(Object.entries(prices).map(([source, series]) => [source, series.slice(0, 1)]));
  const board = new PriceBoard(config, opening);
  const portfolio: Portfolio = { id: -1, style: "mixed", collateral, positions };
  return healthBreakdown(buildAccount(config, board, portfolio, null, collateral, positions).inputs);
}

/** R^init of each position at the board's current prices. */
function initialRequirements(board: PriceBoard, positions: Portfolio["positions"]): bigint[] {
  return positions.map((position) => {
    const market = board.market(position.market);
    const absSize = abs(position.size);
    return mulUp(mulUp(absSize, market.markPrice), marginFractions(market, absSize).init);
  });
}

/** The isolated sleeves of a portfolio: one per position, collateral split by initial requirement. */
export function isolatedCollateral(portfolio: Portfolio, requirements: readonly bigint[]): Portfolio["collateral"][] {
  const total = requirements.reduce((sum, value) => sum + value, 0n);
  const given = portfolio.collateral.map(() => 0n);
  return requirements.map((requirement, j) =>
    portfolio.collateral.map((entry, e) => {
      const share =
        j === requirements.length - 1 ? entry.amount - (given[e] as bigint) : (entry.amount * requirement) / total;
      given[e] = (given[e] as bigint) + share;
      return { ...entry, amount: share };
    }),
  );
}

function buildAccounts(config: BacktestMarket, board: PriceBoard, portfolios: readonly Portfolio[], mode: MarginMode) {
  board.setStep(0);
  return portfolios.flatMap((portfolio) => {
    if (mode === "cross") {
      return [buildAccount(config, board, portfolio, null, portfolio.collateral, portfolio.positions)];
    }
    const sleeves = isolatedCollateral(portfolio, initialRequirements(board, portfolio.positions));
    return portfolio.positions.map((position, j) =>
      buildAccount(config, board, portfolio, position.market, sleeves[j] ?? [], [position]),
    );
  });
}

function closeLargestPosition(account: SimAccount, breakdown: HealthBreakdown, event: LiquidationEvent): boolean {
  const { inputs } = account;
  const positions = inputs.account.positions;
  let chosen = 0;
  let largest = -1n;
  for (const [i, position] of positions.entries()) {
    const market = inputs.markets[position.marketIndex] as MarketRisk;
    const absSize = abs(position.size);
    const requirement = mulUp(mulUp(absSize, market.markPrice), marginFractions(market, absSize).maint);
    if (requirement > largest) [chosen, largest] = [i, requirement];
  }
  const position = positions[chosen];
  if (position === undefined) return false;
  const market = inputs.markets[position.marketIndex] as MarketRisk;
  const liquidation = perpLiquidation({
    params: inputs.params,
    market,
    positionSize: position.size,
    healthLiquidationEnd: breakdown.health.liquidationEnd,
  });
  if (liquidation.size === 0n) return false;

  const perUnit = position.size > 0n ? market.markPrice - position.entryPrice : position.entryPrice - market.markPrice;
  inputs.account.settleBalance += mulFloor(perUnit, liquidation.size) - liquidation.fee;
  position.size += position.size > 0n ? -liquidation.size : liquidation.size;
  if (position.size === 0n) positions.splice(chosen, 1);
  const name = account.marketNames[position.marketIndex] as string;
  if (!event.closedMarkets.includes(name)) event.closedMarkets.push(name);
  event.perpLiquidations += 1;
  event.notional += mulUp(liquidation.size, market.markPrice);
  event.fees += liquidation.fee;
  return true;
}

function seizeCollateral(account: SimAccount, breakdown: HealthBreakdown, event: LiquidationEvent): boolean {
  const { inputs } = account;
  const entries = inputs.account.collateral;
  const totals = inputs.assets.map((_, i) =>
    entries.filter((entry) => entry.assetIndex === i).reduce((sum, entry) => sum + entry.amount, 0n),
  );
  // Rank by (effective maintenance weight ascending, market value descending).
  let chosen = -1;
  let best = { weight: 0n, value: 0n };
  for (const [i, entry] of entries.entries()) {
    if (entry.amount === 0n) continue;
    const asset = inputs.assets[entry.assetIndex] as AssetRisk;
    const weight = effectiveWeight(entry.haircut, tightenedWeights(asset, totals[entry.assetIndex] ?? 0n).maint);
    const value = mulDown(entry.amount, asset.price);
    if (chosen < 0 || weight < best.weight || (weight === best.weight && value > best.value)) {
      chosen = i;
      best = { weight, value };
    }
  }
  const entry = entries[chosen];
  if (entry === undefined) return false;
  const asset = inputs.assets[entry.assetIndex] as AssetRisk;
  const liquidation = collateralLiquidation({
    params: inputs.params,
    asset,
    assetTotal: totals[entry.assetIndex] ?? 0n,
    haircut: entry.haircut,
    amount: entry.amount,
    debt: breakdown.debt,
    healthLiquidationEnd: breakdown.health.liquidationEnd,
  });
  if (liquidation.repay === 0n) return false;

  inputs.account.settleBalance += liquidation.repay;
  entry.amount -= liquidation.seized;
  if (entry.amount <= (account.dust[chosen] as bigint)) entry.amount = 0n;
  event.collateralLiquidations += 1;
  event.seizedValue += mulDown(liquidation.seized, asset.price);
  event.repaid += liquidation.repay;
  return true;
}

/** Every liquidation call the account allows at the board's current prices; null when there is none. */
function liquidate(account: SimAccount, step: number): LiquidationEvent | null {
  let breakdown = healthBreakdown(account.inputs);
  const anchorAt = (exact: HealthBreakdown) => {
    account.anchor = exact.liquidatable ? null : { health: toNumber(exact.health.maint), step };
  };
  anchorAt(breakdown);
  if (!breakdown.liquidatable) return null;
  const event: LiquidationEvent = {
    step,
    portfolio: account.portfolio.id,
    market: account.market,
    closedMarkets: [],
    perpLiquidations: 0,
    collateralLiquidations: 0,
    notional: 0n,
    fees: 0n,
    seizedValue: 0n,
    repaid: 0n,
    badDebt: 0n,
  };
  const state = account.inputs.account;
  for (let call = 0; breakdown.liquidatable && call < MAX_CALLS_PER_STEP; call++) {
    const progressed =
      state.positions.length > 0
        ? closeLargestPosition(account, breakdown, event)
        : breakdown.debt > 0n && seizeCollateral(account, breakdown, event);
    if (!progressed) break;
    breakdown = healthBreakdown(account.inputs);
  }
  account.sensitivity = sensitivities(account);
  anchorAt(breakdown);
  const bankrupt =
    state.positions.length === 0 && state.settleBalance < 0n && state.collateral.every((entry) => entry.amount === 0n);
  if (bankrupt) {
    event.badDebt = -state.settleBalance;
    state.settleBalance = 0n;
  }
  return event.perpLiquidations + event.collateralLiquidations > 0 ? event : null;
}

/** An account can only become liquidatable while it has a position or debt. */
const atRisk = (account: SimAccount) =>
  account.inputs.account.positions.length > 0 || account.inputs.account.settleBalance < 0n;

export interface SimulationOptions {
  config: BacktestMarket;
  prices: PriceTable;
  portfolios: readonly Portfolio[];
  mode: MarginMode;
  /** Skip accounts that provably stayed solvent since their last evaluation (default true; same results). */
  screen?: boolean;
  /** Called every `progressEvery` steps with the step just done. */
  onProgress?: (step: number, steps: number) => void;
  progressEvery?: number;
}

/** Replays every step of the price table (the first is the opening) in one margin mode. */
export function simulate({
  config,
  prices,
  portfolios,
  mode,
  screen = true,
  onProgress,
  progressEvery = 240,
}: SimulationOptions): ModeResult {
  const board = new PriceBoard(config, prices);
  const accounts = buildAccounts(config, board, portfolios, mode);
  const totalEquity = () =>
    accounts.reduce((sum, account) => sum + healthBreakdown(account.inputs).unweightedEquity, 0n);
  const initialEquity = totalEquity();
  const events: LiquidationEvent[] = [];
  const cumulativeLiquidations: number[] = [0];
  const cumulativeNotional: bigint[] = [0n];
  const steps = board.steps;
  for (let step = 1; step <= steps; step++) {
    board.setStep(step);
    let liquidations = cumulativeLiquidations[step - 1] as number;
    let notional = cumulativeNotional[step - 1] as bigint;
    for (const account of accounts) {
      if (!atRisk(account) || (screen && !mayBeLiquidatable(account, board, step))) continue;
      const event = liquidate(account, step);
      if (event === null) continue;
      events.push(event);
      liquidations += 1;
      notional += event.notional;
    }
    cumulativeLiquidations.push(liquidations);
    cumulativeNotional.push(notional);
    if (onProgress !== undefined && (step % progressEvery === 0 || step === steps)) onProgress(step, steps);
  }
  const finalEquity = totalEquity();
  return {
    mode,
    accounts: accounts.length,
    events,
    cumulativeLiquidations,
    cumulativeNotional,
    initialEquity,
    finalEquity,
  };
}
