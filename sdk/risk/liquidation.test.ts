import { describe, expect, it } from "vitest";
import {
  type AssetRisk,
  collateralLiquidation,
  type MarketRisk,
  parseWad,
  perpLiquidation,
  RiskInputError,
  WAD,
} from "./index.ts";
import { SPEC_RISK_PARAMS } from "./params.ts";

const w = (decimal: string) => parseWad(decimal);

const params = SPEC_RISK_PARAMS;

const ethPerp: MarketRisk = {
  markPrice: w("2850"),
  marginInit: w("0.05"),
  marginMaint: w("0.03"),
  sizeFactor: 0n,
  lotSize: w("0.001"),
  kInit: WAD,
  kMaint: WAD,
};

const weth: AssetRisk = {
  price: w("2400"),
  weightInit: w("0.8"),
  weightMaint: w("0.85"),
  sizeFactor: 0n,
  kInit: WAD,
  kMaint: WAD,
};

describe("perpLiquidation", () => {
  it("closes enough whole lots to restore H^LE (V4) and splits the fee", () => {
    // 1175.95 / (2850·0.04) = 10.31535… → 10.316 lots of 0.001.
    const liquidation = perpLiquidation({
      params,
      market: ethPerp,
      positionSize: w("20"),
      healthLiquidationEnd: w("-1175.95"),
    });
    expect(liquidation).toEqual({
      size: w("10.316"),
      fee: w("294.006"),
      feeToLiquidator: w("220.5045"),
      feeToInsurance: w("73.5015"),
    });
  });

  it("treats shorts like longs and never closes more than the position", () => {
    const short = perpLiquidation({
      params,
      market: ethPerp,
      positionSize: w("-5"),
      healthLiquidationEnd: w("-1175.95"),
    });
    expect(short.size).toBe(w("5"));
  });

  it("closes the whole position when the fee eats the margin it frees", () => {
    const liquidation = perpLiquidation({
      params: { ...params, liquidationFee: w("0.05") },
      market: ethPerp,
      positionSize: w("20"),
      healthLiquidationEnd: w("-1"),
    });
    expect(liquidation.size).toBe(w("20"));
  });

  it("rounds the fee and its insurance share up; the liquidator gets the rest", () => {
    const liquidation = perpLiquidation({
      params: { ...params, liquidationFeeInsuranceShare: w("0.333333333333333333") },
      market: { ...ethPerp, markPrice: w("1.000000000000000001"), lotSize: 1n },
      positionSize: w("7"),
      healthLiquidationEnd: w("-1000"),
    });
    expect(liquidation.fee).toBe(w("0.070000000000000001")); // 7.000000000000000007 · 0.01 rounded up
    expect(liquidation.feeToInsurance).toBe(w("0.023333333333333334"));
    expect(liquidation.feeToLiquidator + liquidation.feeToInsurance).toBe(liquidation.fee);
  });

  it("does nothing without a shortfall or a position", () => {
    const none = { size: 0n, fee: 0n, feeToLiquidator: 0n, feeToInsurance: 0n };
    expect(perpLiquidation({ params, market: ethPerp, positionSize: w("20"), healthLiquidationEnd: 0n })).toEqual(none);
    expect(perpLiquidation({ params, market: ethPerp, positionSize: 0n, healthLiquidationEnd: w("-5") })).toEqual(none);
  });

  it("refuses inputs outside the domain", () => {
    expect(() =>
      perpLiquidation({ params, market: { ...ethPerp, lotSize: 0n }, positionSize: WAD, healthLiquidationEnd: -WAD }),
    ).toThrow(RiskInputError);
  });
});

describe("collateralLiquidation", () => {
  const request = {
    params,
    asset: weth,
    assetTotal: w("4"),
    haircut: 0n,
    amount: w("4"),
    debt: w("8500"),
    healthLiquidationEnd: w("-510"),
  };

  it("repays what restores H^LE and seizes with the bonus (V5)", () => {
    // 510 / (1.02 − 1.05·0.85) = 4000; 4000·1.05/2400 = 1.75.
    expect(collateralLiquidation(request)).toEqual({
      repay: w("4000"),
      seized: w("1.75"),
      // The bonus 1.75 − 1.75/1.05 rounds up (the quotient rounds down), and so does the protocol's share.
      seizedToLiquidator: w("1.741666666666666666"),
      seizedToProtocol: w("0.008333333333333334"),
    });
  });

  it("caps the repayment by the debt", () => {
    expect(collateralLiquidation({ ...request, debt: w("100") }).repay).toBe(w("100"));
  });

  it("caps the repayment so the seizure never exceeds the entry", () => {
    const liquidation = collateralLiquidation({ ...request, amount: w("1"), healthLiquidationEnd: w("-100000") });
    expect(liquidation.repay).toBe(w("2285.714285714285714285"));
    expect(liquidation.seized).toBeLessThanOrEqual(w("1"));
  });

  it("ignores the restoring term when seizing cannot raise H^LE", () => {
    const liquidation = collateralLiquidation({
      ...request,
      asset: { ...weth, weightMaint: WAD },
      params: { ...params, liquidationBuffer: 0n },
      healthLiquidationEnd: w("-1"),
    });
    expect(liquidation.repay).toBe(w("8500"));
  });

  it("does nothing without a shortfall, without debt or without collateral", () => {
    const none = { repay: 0n, seized: 0n, seizedToLiquidator: 0n, seizedToProtocol: 0n };
    expect(collateralLiquidation({ ...request, healthLiquidationEnd: 0n })).toEqual(none);
    expect(collateralLiquidation({ ...request, debt: 0n })).toEqual(none);
    expect(collateralLiquidation({ ...request, amount: 0n })).toEqual(none);
  });

  it("refuses an entry larger than the asset's total", () => {
    expect(() => collateralLiquidation({ ...request, amount: w("5") })).toThrow(/^amount: /);
  });
});
