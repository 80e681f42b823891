/**
 * How likely a price is to reach a level within a horizon, under the volatility the hub's oracle estimates.
 *
 * Model. The log price is a driftless Brownian motion, ln(P_t / P_0) = σ·W_t, with σ the annualised
 * volatility of XmarginOracle.volatility(id) and t in years of 365 days (the oracle's year). The log
 * distance to the level is a = |ln(P* / P_0)|. By the reflection principle the probability that the
 * running minimum (or maximum) reaches −a (or +a) by T is twice the probability of ending beyond it:
 *
 *     P(τ_a ≤ T) = 2·Φ(−a / (σ·√T)) = erfc(a / (σ·√(2T)))
 *
 * No drift means no view on direction: the estimate is about volatility, not about where the market goes.
 * Jumps, fat tails and volatility that changes within the horizon are outside the model; σ is what the
 * oracle estimates now.
 */

/** Seconds in the oracle's year (IXmarginOracle: σ is annualised over 365 days). */
export const SECONDS_PER_YEAR = 365 * 24 * 3600;

/**
 * The complementary error function, with a relative error below 1.2e-7 everywhere (the Chebyshev fit of
 * Numerical Recipes, §6.2): ample for a probability that drives an alert.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const value = t * Math.exp(poly);
  return x >= 0 ? value : 2 - value;
}

/** The standard normal CDF Φ. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

export interface FirstPassageInput {
  /** Current price and the level, in the same units (both positive). */
  price: number;
  level: number;
  /** Annualised volatility σ (0.8 for 80%). */
  sigma: number;
  /** Horizon in seconds. */
  horizon: number;
}

export interface FirstPassage {
  /** a = |ln(level / price)|. */
  logDistance: number;
  /** a / σ: the move in units of annualised σ. */
  sigmas: number;
  /** a / (σ·√T): the move in standard deviations over the horizon. */
  horizonSigmas: number;
  /** P(the price touches the level within the horizon). */
  probability: number;
}

/** The first-passage probability of the module comment, and the distance it is computed from. */
export function firstPassage({ price, level, sigma, horizon }: FirstPassageInput): FirstPassage {
  const logDistance = Math.abs(Math.log(level / price));
  if (logDistance === 0) return { logDistance, sigmas: 0, horizonSigmas: 0, probability: 1 };
  const years = horizon / SECONDS_PER_YEAR;
  if (!(sigma > 0) || !(years > 0)) {
    return { logDistance, sigmas: sigma > 0 ? logDistance / sigma : Infinity, horizonSigmas: Infinity, probability: 0 };
  }
  const horizonSigmas = logDistance / (sigma * Math.sqrt(years));
  return {
    logDistance,
    sigmas: logDistance / sigma,
    horizonSigmas,
    probability: Math.min(1, erfc(horizonSigmas / Math.SQRT2)),
  };
}
