import { WAD } from "../../sdk/risk/index.ts";
import type {
  AssetRisk,
  CollateralRisk,
  MarketRisk,
  PositionRisk,
  RiskInputs,
  RiskParams,
} from "../../sdk/risk/types.ts";
import { mulberry32 } from "../helpers/random.ts";

/** Seed for the random suites: `RISK_SEED=<n>` reproduces a reported failure. */
export const riskSeed = (): number =>
  process.env.RISK_SEED === undefined ? Math.floor(Math.random() * 2 ** 32) : Number(process.env.RISK_SEED);

export type Random = ReturnType<typeof createRandom>;

/**
 * Exact bigint and WAD draws on mulberry32. `int` and `chance` use whole 32-bit words, unlike the float
 * draws of helpers/random.ts, and must stay so: a reported RISK_SEED or INVARIANT_SEED replays only while
 * every draw takes the same words.
 */
export function createRandom(seed: number) {
  const next32 = mulberry32(seed);
  /** Uniform in [min, max] (the modulo bias of a spare 32 bits is irrelevant here). */
  const bigint = (min: bigint, max: bigint): bigint => {
    const span = max - min + 1n;
    let value = 0n;
    for (let bits = 0; bits < span.toString(2).length + 32; bits += 32) value = (value << 32n) | BigInt(next32());
    return min + (value % span);
  };
  const int = (min: number, max: number) => Number(bigint(BigInt(min), BigInt(max)));
  return {
    bigint,
    int,
    chance: (probability: number) => next32() / 2 ** 32 < probability,
    pick: <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T,
    /** A WAD value with full 18-decimal precision, log-uniform between 10^minExponent and 10^maxExponent. */
    magnitude: (minExponent: number, maxExponent: number): bigint => {
      const exponent = int(minExponent + 18, maxExponent + 17);
      return bigint(10n ** BigInt(exponent), 10n ** BigInt(exponent + 1) - 1n);
    },
    /** A WAD value with full 18-decimal precision, uniform between two decimals. */
    between: (min: number, max: number): bigint => bigint(decimalWad(min), decimalWad(max)),
  };
}

const decimalWad = (value: number) => BigInt(Math.round(value * 1e6)) * 10n ** 12n;

export function randomParams(random: Random): RiskParams {
  return {
    pnlWeightInit: random.between(0.5, 1),
    liquidationBuffer: random.chance(0.1) ? 0n : random.between(0, 0.05),
    liquidationFee: random.chance(0.1) ? 0n : random.between(0, 0.08),
    liquidationFeeInsuranceShare: random.between(0, 1),
    collateralBonus: random.chance(0.1) ? 0n : random.between(0, 0.15),
    collateralBonusProtocolShare: random.between(0, 1),
  };
}

/** k^init in [1, 3]; k^maint ramps toward it, so it lies in [1, k^init]. */
function randomVolatility(random: Random) {
  const kInit = random.chance(0.3) ? WAD : random.between(1, 3);
  const kMaint = random.chance(0.3) ? WAD : random.bigint(WAD, kInit);
  return { kInit, kMaint };
}

export function randomAsset(random: Random): AssetRisk {
  const weightMaint = random.chance(0.15) ? WAD : random.between(0.3, 1);
  return {
    price: random.magnitude(-4, 5),
    weightInit: random.bigint(weightMaint / 2n, weightMaint),
    weightMaint,
    sizeFactor: random.chance(0.4) ? 0n : random.between(0, 0.02),
    ...randomVolatility(random),
  };
}

export function randomMarket(random: Random): MarketRisk {
  const marginInit = random.between(0.01, 0.25);
  return {
    markPrice: random.magnitude(-3, 5),
    marginInit,
    marginMaint: random.bigint(marginInit / 4n, marginInit),
    sizeFactor: random.chance(0.4) ? 0n : random.between(0, 0.005),
    lotSize: 10n ** BigInt(random.int(12, 18)),
    ...randomVolatility(random),
  };
}

function randomSigned(random: Random, minExponent: number, maxExponent: number): bigint {
  const magnitude = random.magnitude(minExponent, maxExponent);
  return random.chance(0.5) ? -magnitude : magnitude;
}

/** 1–8 assets over 1–4 chains with haircuts, 0–6 positions long and short, any settle balance, nonzero funding. */
export function randomPortfolio(random: Random): RiskInputs {
  const assets = Array.from({ length: random.int(1, 8) }, () => randomAsset(random));
  const haircuts = [0n, ...Array.from({ length: random.int(0, 3) }, () => random.between(0, 0.1))];
  const collateral: CollateralRisk[] = Array.from({ length: random.int(1, assets.length * haircuts.length) }, () => ({
    assetIndex: random.int(0, assets.length - 1),
    haircut: random.pick(haircuts),
    amount: random.chance(0.05) ? 0n : random.magnitude(-6, 6),
  }));
  const markets = Array.from({ length: random.int(0, 6) }, () => randomMarket(random));
  const positions: PositionRisk[] = markets.map((market, marketIndex) => ({
    marketIndex,
    size: randomSigned(random, -3, 5),
    entryPrice: (market.markPrice * random.between(0.5, 1.5)) / WAD + 1n,
    fundingOwed: randomSigned(random, -2, 4),
  }));
  const settleBalance = random.chance(0.15) ? 0n : randomSigned(random, -2, 7);
  return { params: randomParams(random), assets, markets, account: { collateral, settleBalance, positions } };
}
