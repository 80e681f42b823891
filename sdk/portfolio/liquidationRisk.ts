/**
 * The predictive view of an account: for each oracle price it is exposed to, how far that price must move,
 * in units of its current volatility, to make the account liquidatable, and how likely that is within a
 * horizon (sdk/portfolio/firstPassage.ts for the model, liquidationPrice.ts for the level).
 */
import type { Hex } from "viem";
import { healthBreakdown } from "../risk/health.ts";
import { type FirstPassage, firstPassage } from "./firstPassage.ts";
import { type LiquidationPrice, liquidationPrices } from "./liquidationPrice.ts";
import { type AccountState, toRiskInputs } from "./state.ts";

export interface LiquidationRiskFactor extends LiquidationPrice, FirstPassage {
  /** Annualised σ of the price id as the oracle estimates it (WAD; zero without an estimator). */
  sigma: bigint;
}

export interface LiquidationRisk {
  /** Seconds the probabilities look ahead. */
  horizon: number;
  liquidatableNow: boolean;
  /** One per price id the account is exposed to, the likeliest first. */
  factors: LiquidationRiskFactor[];
  /** The largest single-price probability: a lower bound on the account's. */
  probability: number;
  /**
   * min(1, Σ probabilities): an upper bound on reaching any single-price liquidation level (union bound).
   * Joint moves of several prices can liquidate before any one reaches its level; the model does not
   * capture that correlation.
   */
  probabilityUpperBound: number;
}

const toNumber = (wad: bigint) => Number(wad) / 1e18;

/** Liquidation risk of `state` within `horizon` seconds, given each price id's σ. */
export function liquidationRisk(
  state: AccountState,
  sigmas: ReadonlyMap<Hex, bigint>,
  horizon: number,
): LiquidationRisk {
  const liquidatableNow = healthBreakdown(toRiskInputs(state)).liquidatable;
  const factors = [...liquidationPrices(state).values()].map((level): LiquidationRiskFactor => {
    const sigma = sigmas.get(level.priceId) ?? 0n;
    if (liquidatableNow) return { ...level, sigma, logDistance: 0, sigmas: 0, horizonSigmas: 0, probability: 1 };
    if (level.price === null || level.price === 0n) {
      return { ...level, sigma, logDistance: Infinity, sigmas: Infinity, horizonSigmas: Infinity, probability: 0 };
    }
    const passage = firstPassage({
      price: toNumber(level.currentPrice),
      level: toNumber(level.price),
      sigma: toNumber(sigma),
      horizon,
    });
    return { ...level, sigma, ...passage };
  });
  factors.sort((a, b) => b.probability - a.probability);
  const probabilities = factors.map((factor) => factor.probability);
  return {
    horizon,
    liquidatableNow,
    factors,
    probability: liquidatableNow ? 1 : Math.max(0, ...probabilities),
    probabilityUpperBound: liquidatableNow
      ? 1
      : Math.min(
          1,
          probabilities.reduce((sum, p) => sum + p, 0),
        ),
  };
}
