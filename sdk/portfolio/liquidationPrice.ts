/**
 * Liquidation prices: for one oracle price id, the price at which the account's maintenance health
 * H^maint turns negative while every other price stays where it is.
 *
 * Method. Every input priced by the id moves together (a WETH collateral entry and an ETH-PERP position
 * read the same feed). H^maint is affine in that price: collateral contributes q·p·w_eff, a position
 * n·(p − e) − |n|·p·MF^maint, and neither the weights, the margin fractions nor the maintenance PnL weight
 * (1) depend on the price. So there is one root, and the sign of the slope says on which side it lies
 * ("down": the account loses as the price falls). The root is then found by bisection on the exact
 * fixed-point evaluation of sdk/risk — the hub's own arithmetic — so the returned price is, to the wei,
 * the first price at which the hub would call the account liquidatable (the rounding of the fixed-point
 * terms moves the root by a few wei from the real-valued one, never the decision at the returned price).
 */
import type { Hex } from "viem";
import { MAX_PRICE } from "../risk/domain.ts";
import { WAD } from "../risk/fixed.ts";
import { healthBreakdown } from "../risk/health.ts";
import { type AccountState, exposedPrices, toRiskInputs } from "./state.ts";

export interface LiquidationPrice {
  priceId: Hex;
  currentPrice: bigint;
  /**
   * The first price, moving from the current one in `direction`, at which H^maint < 0 (WAD): at or below
   * it when "down", at or above it when "up". Null when no price in [0, MAX_PRICE] gets there, or when
   * health does not depend on this price.
   */
  price: bigint | null;
  /** Which way the price must move; null when health does not depend on it. */
  direction: "down" | "up" | null;
  /** H^maint < 0 already at current prices. */
  liquidatableNow: boolean;
}

/** H^maint of `state` with the price of `priceId` set to `price`. */
function maintenanceHealthAt(state: AccountState, priceId: Hex, price: bigint): bigint {
  return healthBreakdown(toRiskInputs(state, new Map([[priceId, price]]))).health.maint;
}

/** Smallest `hi` in (lo, hi] with `liquidatable(hi)`, given `!liquidatable(lo)` and `liquidatable(hi)`. */
function firstLiquidatableAbove(lo: bigint, hi: bigint, liquidatable: (price: bigint) => boolean): bigint {
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (liquidatable(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Largest `lo` in [lo, hi) with `liquidatable(lo)`, given `liquidatable(lo)` and `!liquidatable(hi)`. */
function lastLiquidatableBelow(lo: bigint, hi: bigint, liquidatable: (price: bigint) => boolean): bigint {
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (liquidatable(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The liquidation price of `state` along `priceId` (see the module comment for the method). */
export function liquidationPrice(state: AccountState, priceId: Hex): LiquidationPrice {
  const currentPrice = exposedPrices(state).get(priceId);
  if (currentPrice === undefined) {
    const health = healthBreakdown(toRiskInputs(state)).health.maint;
    return { priceId, currentPrice: 0n, price: null, direction: null, liquidatableNow: health < 0n };
  }
  const health = (price: bigint) => maintenanceHealthAt(state, priceId, price);
  const liquidatable = (price: bigint) => health(price) < 0n;
  const currentHealth = health(currentPrice);
  const probe = currentPrice === 0n ? WAD : currentPrice * 2n <= MAX_PRICE ? currentPrice * 2n : currentPrice / 2n;
  const rise = (health(probe) - currentHealth) * (probe - currentPrice);
  const direction = rise > 0n ? "down" : rise < 0n ? "up" : null;
  const liquidatableNow = currentHealth < 0n;
  const result = { priceId, currentPrice, direction, liquidatableNow } as const;
  if (liquidatableNow) return { ...result, price: currentPrice };
  if (direction === "down") {
    return { ...result, price: liquidatable(0n) ? lastLiquidatableBelow(0n, currentPrice, liquidatable) : null };
  }
  if (direction === "up") {
    return {
      ...result,
      price: liquidatable(MAX_PRICE) ? firstLiquidatableAbove(currentPrice, MAX_PRICE, liquidatable) : null,
    };
  }
  return { ...result, price: null };
}

/** The liquidation price along every price id the account is exposed to. */
export function liquidationPrices(state: AccountState): Map<Hex, LiquidationPrice> {
  return new Map([...exposedPrices(state).keys()].map((priceId) => [priceId, liquidationPrice(state, priceId)]));
}
