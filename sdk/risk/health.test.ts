import { describe, expect, it } from "vitest";
import {
  type AssetRisk,
  healthBreakdown,
  MAX_PRICE,
  type MarketRisk,
  marginFractions,
  parseWad,
  RiskInputError,
  type RiskInputs,
  tightenedWeights,
  WAD,
} from "./index.ts";
import { SPEC_RISK_PARAMS } from "./params.ts";

const w = (decimal: string) => parseWad(decimal);

const params = SPEC_RISK_PARAMS;

const asset = (overrides: Partial<AssetRisk> = {}): AssetRisk => ({
  price: w("1"),
  weightInit: WAD,
  weightMaint: WAD,
  sizeFactor: 0n,
  kInit: WAD,
  kMaint: WAD,
  ...overrides,
});

const market = (overrides: Partial<MarketRisk> = {}): MarketRisk => ({
  markPrice: w("3000"),
  marginInit: w("0.05"),
  marginMaint: w("0.03"),
  sizeFactor: 0n,
  lotSize: w("0.001"),
  kInit: WAD,
  kMaint: WAD,
  ...overrides,
});

const inputs = (overrides: Partial<RiskInputs["account"]> & Partial<Omit<RiskInputs, "account">> = {}): RiskInputs => ({
  params,
  assets: overrides.assets ?? [asset()],
  markets: overrides.markets ?? [market()],
  account: {
    collateral: overrides.collateral ?? [],
    settleBalance: overrides.settleBalance ?? 0n,
    positions: overrides.positions ?? [],
  },
});

describe("tightenedWeights", () => {
  it("tightens by k and floors at zero", () => {
    expect(tightenedWeights(asset({ weightInit: w("0.8"), kInit: w("2") }), WAD).init).toBe(w("0.6"));
    expect(tightenedWeights(asset({ weightInit: w("0.4"), kInit: w("2") }), WAD).init).toBe(0n);
    expect(tightenedWeights(asset({ weightInit: w("0.5"), kInit: w("2") }), WAD).init).toBe(0n);
  });

  it("caps by the size discount, computed with √Q up so the cap comes out down", () => {
    // 1.1 / (1 + 0.005·70) = 0.814814814814814814(81…): rounded down.
    const weights = tightenedWeights(
      asset({ weightInit: w("0.8"), weightMaint: w("0.85"), sizeFactor: w("0.005") }),
      w("4900"),
    );
    expect(weights).toEqual({ init: w("0.8"), maint: w("0.814814814814814814") });
    // √2 is irrational: rounding it up makes the cap strictly smaller than with √2 rounded down.
    const capped = tightenedWeights(asset({ sizeFactor: WAD }), w("2")).maint;
    expect(capped).toBe((w("1.1") * WAD) / (WAD + w("1.414213562373095049")));
  });
});

describe("marginFractions", () => {
  it("applies k, the size premium from √|n| rounded up, and the cap at 1", () => {
    expect(marginFractions(market({ kInit: w("2") }), w("40"))).toEqual({ init: w("0.1"), maint: w("0.03") });
    expect(marginFractions(market({ sizeFactor: w("0.0005") }), w("10000"))).toEqual({
      init: w("0.09"),
      maint: w("0.074"),
    });
    expect(marginFractions(market({ marginInit: w("0.6"), kInit: w("3") }), WAD).init).toBe(WAD);
    // 0.0005·√2 = 0.000707106781186547(52…) → the premium rounds up at each step.
    expect(marginFractions(market({ marginMaint: 0n, sizeFactor: w("0.0005") }), w("2")).maint).toBe(
      w("0.000707106781186548"),
    );
  });
});

describe("healthBreakdown", () => {
  it("rounds collateral value and PnL gains down, losses toward −∞, requirement and notional up", () => {
    const breakdown = healthBreakdown(
      inputs({
        assets: [asset({ price: w("1.5") })],
        markets: [market({ markPrice: w("2.5") })],
        collateral: [{ assetIndex: 0, haircut: 0n, amount: 1n }],
        positions: [{ marketIndex: 0, size: 1n, entryPrice: w("3"), fundingOwed: 0n }],
      }),
    );
    expect(breakdown.collateralValue).toEqual({ init: 1n, maint: 1n }); // 1.5 wei → 1
    expect(breakdown.pnl).toEqual({ init: -1n, maint: -1n }); // −0.5 wei → −1
    expect(breakdown.notional).toBe(3n); // 2.5 wei → 3
    expect(breakdown.requirement).toEqual({ init: 1n, maint: 1n }); // 0.15 and 0.09 wei → 1
    expect(breakdown.unweightedEquity).toBe(0n); // 1 − 1
  });

  it("weights positive PnL in the init tier only, and counts funding owed as a loss", () => {
    const breakdown = healthBreakdown(
      inputs({
        positions: [{ marketIndex: 0, size: w("-2"), entryPrice: w("3100"), fundingOwed: w("15") }],
      }),
    );
    expect(breakdown.pnl).toEqual({ init: w("148"), maint: w("185") });
  });

  it("adds credit, subtracts debt, and widens the liquidation buffer by the debt", () => {
    const credit = healthBreakdown(inputs({ settleBalance: w("100") }));
    expect(credit.equity).toEqual({ init: w("100"), maint: w("100") });
    expect(credit.debt).toBe(0n);
    const debt = healthBreakdown(
      inputs({ collateral: [{ assetIndex: 0, haircut: 0n, amount: w("1000") }], settleBalance: w("-500") }),
    );
    expect(debt.debt).toBe(w("500"));
    expect(debt.equity.maint).toBe(w("500"));
    expect(debt.health.liquidationEnd).toBe(w("490"));
    expect(debt.healthRatioMaint).toBeNull();
    expect(debt.unweightedEquity).toBe(w("500"));
  });

  it("rounds the health ratio toward −∞", () => {
    const breakdown = healthBreakdown(
      inputs({
        collateral: [{ assetIndex: 0, haircut: 0n, amount: w("100") }],
        positions: [{ marketIndex: 0, size: w("1"), entryPrice: w("3000"), fundingOwed: 0n }],
        settleBalance: w("-190"),
      }),
    );
    expect(breakdown.equity.maint).toBe(w("-90"));
    expect(breakdown.healthRatioMaint).toBe(w("-1")); // −90/90
    const third = healthBreakdown(
      inputs({
        collateral: [{ assetIndex: 0, haircut: 0n, amount: w("100") }],
        positions: [{ marketIndex: 0, size: w("1"), entryPrice: w("3000"), fundingOwed: 0n }],
        settleBalance: w("-130"),
      }),
    );
    expect(third.healthRatioMaint).toBe(w("-0.333333333333333334"));
    expect(third.liquidatable).toBe(true);
  });

  it("sums the same asset over chains for the size discount but haircuts each chain", () => {
    const discounted = asset({ price: w("3000"), weightMaint: w("0.85"), sizeFactor: w("0.005") });
    const split = healthBreakdown(
      inputs({
        assets: [discounted],
        collateral: [
          { assetIndex: 0, haircut: 0n, amount: w("2900") },
          { assetIndex: 0, haircut: w("0.02"), amount: w("2000") },
        ],
      }),
    );
    const weight = w("0.814814814814814814");
    expect(split.collateralValue.maint).toBe(
      (w("8700000") * weight) / WAD + (w("6000000") * ((w("0.98") * weight) / WAD)) / WAD,
    );
  });

  it("refuses inputs outside the domain, naming the field", () => {
    const call = (overrides: Parameters<typeof inputs>[0]) => () => healthBreakdown(inputs(overrides));
    expect(call({ collateral: [{ assetIndex: 1, haircut: 0n, amount: WAD }] })).toThrow(
      /^account\.collateral\[0\]\.assetIndex: index 1 is outside \[0, 0\]/,
    );
    expect(call({ assets: [asset({ weightInit: w("1.01") })] })).toThrow(/^assets\[0\]\.weightInit: /);
    expect(call({ collateral: [{ assetIndex: 0, haircut: w("1.5"), amount: WAD }] })).toThrow(
      /account\.collateral\[0\]\.haircut/,
    );
    expect(call({ assets: [asset({ price: MAX_PRICE + 1n })] })).toThrow(RiskInputError);
    expect(call({ markets: [market({ lotSize: 0n })] })).toThrow(/^markets\[0\]\.lotSize/);
    expect(call({ collateral: [{ assetIndex: 0, haircut: 0n, amount: -1n }] })).toThrow(/amount/);
    expect(
      call({
        collateral: [
          { assetIndex: 0, haircut: 0n, amount: 1n << 127n },
          { assetIndex: 0, haircut: 0n, amount: 1n << 127n },
        ],
      }),
    ).toThrow(/^account\.collateral\[1\]\.amount: the total of asset 0/);
  });
});
