/**
 * The seeded portfolio set. Each trader:
 * - deposits V USD, log-uniform in [2 000, 250 000], spread over 2–4 collateral assets (random shares,
 *   each at least 20% of the largest) on random chains among A (hub), B and C;
 * - opens 2–6 perps in distinct markets, notional shares uniform in [0.5, 1.5] before normalising, at the
 *   opening prices of the path, sizes rounded down to the market's lot (at least one lot);
 * - picks a gross leverage L = Σ notional / V from a mixture: 45% log-uniform in [1, 3], 35% in [3, 8],
 *   20% in [8, 15]; when the initial margin does not allow it the positions shrink to 95% of what it
 *   allows (the hub refuses a trade that leaves H^init < 0), so the realized distribution is reported;
 * - has a style: 35% directional (every position on one side, long with probability 0.6), 35% mixed
 *   (each side a coin flip), 30% hedged (alternating sides, longs and shorts of equal notional).
 */
import { formatWad, WAD } from "../../../sdk/risk/index.ts";
import { createRandom, type Random } from "../../helpers/random.ts";
import type { BacktestMarket, CollateralAssetConfig } from "./market.ts";
import {
  BacktestInputError,
  openingBreakdown,
  type Portfolio,
  type PortfolioStyle,
  type PriceTable,
} from "./simulator.ts";

const EQUITY_RANGE = [2_000, 250_000] as const;
const LEVERAGE_BANDS = [
  { probability: 0.45, min: 1, max: 3 },
  { probability: 0.35, min: 3, max: 8 },
  { probability: 0.2, min: 8, max: 15 },
] as const;
const STYLES: readonly { style: PortfolioStyle; probability: number }[] = [
  { style: "directional", probability: 0.35 },
  { style: "mixed", probability: 0.35 },
  { style: "hedged", probability: 0.3 },
];
/** Of the initial-margin capacity, what a trader whose target exceeds it uses. */
const CAPACITY_USED = 0.95;

const toNumber = (wad: bigint) => Number(formatWad(wad));
/** A float as WAD with 12 decimals: ample for amounts and far from the fixed point's limits. */
const toWad = (value: number) => BigInt(Math.round(value * 1e12)) * 10n ** 6n;

function pickWeighted<T extends { probability: number }>(random: Random, items: readonly T[]): T {
  let roll = random.uniform();
  for (const item of items) {
    if (roll < item.probability) return item;
    roll -= item.probability;
  }
  return items[items.length - 1] as T;
}

function sides(random: Random, style: PortfolioStyle, count: number): number[] {
  if (style === "directional") {
    const side = random.chance(0.6) ? 1 : -1;
    return Array.from({ length: count }, () => side);
  }
  if (style === "mixed") return Array.from({ length: count }, () => (random.chance(0.5) ? 1 : -1));
  const first = random.chance(0.5) ? 1 : -1;
  return Array.from({ length: count }, (_, i) => (i % 2 === 0 ? first : -first));
}

/** Notional shares summing to 1; for a hedged book the long and the short halves each sum to 1/2. */
function notionalShares(random: Random, signs: readonly number[], hedged: boolean): number[] {
  const raw = signs.map(() => random.between(0.5, 1.5));
  if (!hedged) {
    const total = raw.reduce((sum, value) => sum + value, 0);
    return raw.map((value) => value / total);
  }
  const sideTotal = (side: number) => raw.reduce((sum, value, i) => (signs[i] === side ? sum + value : sum), 0);
  const longs = sideTotal(1);
  const shorts = sideTotal(-1);
  return raw.map((value, i) => value / 2 / (signs[i] === 1 ? longs : shorts));
}

function priceAtOpen(prices: PriceTable, source: string | null): bigint {
  if (source === null) return WAD;
  const price = Object.hasOwn(prices, source) ? prices[source]?.[0] : undefined;
  if (price === undefined) throw new BacktestInputError(`the price table has no series "${source}"`);
  return price;
}

export interface GeneratedPortfolio extends Portfolio {
  /** Σ notional / collateral market value at the opening. */
  leverage: number;
  targetLeverage: number;
  /** The target exceeded the initial margin and was scaled down. */
  capped: boolean;
}

function generatePortfolio(config: BacktestMarket, prices: PriceTable, random: Random, id: number): GeneratedPortfolio {
  const equity = random.logBetween(...EQUITY_RANGE);
  const assets = random.sample(config.assets, random.int(2, Math.min(4, config.assets.length)));
  const assetShares = assets.map(() => random.between(0.2, 1));
  const assetTotal = assetShares.reduce((sum, value) => sum + value, 0);
  const collateral = assets.map((asset, i) => ({
    chain: (random.sample(config.chains, 1)[0] as BacktestMarket["chains"][number]).name,
    asset: asset.name,
    amount: toWad(
      (equity * (assetShares[i] as number)) / assetTotal / toNumber(priceAtOpen(prices, asset.priceSource)),
    ),
  }));

  const { style } = pickWeighted(random, STYLES);
  const band = pickWeighted(random, LEVERAGE_BANDS);
  const targetLeverage = random.logBetween(band.min, band.max);
  const markets = random.sample(config.markets, random.int(2, Math.min(6, config.markets.length)));
  const signs = sides(random, style, markets.length);
  const shares = notionalShares(random, signs, style === "hedged");

  const positionsAt = (gross: number) =>
    markets.map((market, i) => {
      const price = priceAtOpen(prices, market.priceSource);
      const lot = toNumber(market.lotSize);
      const lots = Math.max(1, Math.floor((gross * (shares[i] as number)) / toNumber(price) / lot));
      return {
        market: market.name,
        size: BigInt(signs[i] as number) * BigInt(lots) * market.lotSize,
        entryPrice: price,
      };
    });
  const collateralValue = collateral.reduce(
    (sum, entry, i) =>
      sum + toNumber(entry.amount) * toNumber(priceAtOpen(prices, (assets[i] as CollateralAssetConfig).priceSource)),
    0,
  );
  let positions = positionsAt(targetLeverage * collateralValue);
  const capacity = initialCapacity(config, prices, collateral, positions);
  const capped = capacity < 1;
  if (capped) positions = positionsAt(targetLeverage * collateralValue * capacity * CAPACITY_USED);
  const notional = positions.reduce(
    (sum, position) => sum + Math.abs(toNumber(position.size)) * toNumber(position.entryPrice),
    0,
  );
  return { id, style, collateral, positions, leverage: notional / collateralValue, targetLeverage, capped };
}

/** E^init / R^init of a freshly opened book: at least 1 the hub accepts it, and it scales linearly with size. */
function initialCapacity(
  config: BacktestMarket,
  prices: PriceTable,
  collateral: Portfolio["collateral"],
  positions: Portfolio["positions"],
): number {
  const breakdown = openingBreakdown(config, prices, collateral, positions);
  return toNumber(breakdown.equity.init) / toNumber(breakdown.requirement.init);
}

/** `count` portfolios from `seed`, opened at the first prices of the table. */
export function generatePortfolios(
  config: BacktestMarket,
  prices: PriceTable,
  count: number,
  seed: number,
): GeneratedPortfolio[] {
  const random = createRandom(seed);
  return Array.from({ length: count }, (_, id) => generatePortfolio(config, prices, random, id));
}
