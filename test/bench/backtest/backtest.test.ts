import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseWad, SPEC_RISK_PARAMS } from "../../../sdk/risk/index.ts";
import { BACKTEST_MARKET, type BacktestMarket } from "./market.ts";
import { generatePortfolios } from "./portfolios.ts";
import { generatePricePath, PricePathError, parsePricePath, priceTable, readPricePath } from "./pricePath.ts";
import { isolatedCollateral, type MarginMode, type Portfolio, type PriceTable, simulate } from "./simulator.ts";

const wad = (text: string) => parseWad(text);
const SHIPPED_PATH = join(import.meta.dirname, "price-path.json");

describe("simulator on a hand-computed hedge", () => {
  // 4 000 USDC backs long 10 ETH at 3 000 and short 0.5 BTC at 60 000 (30 000 notional each, R^init 1 500
  // each, so each isolated sleeve gets 2 000 USDC). Both fall 4.5%, then 10% from the opening.
  const market: BacktestMarket = {
    params: SPEC_RISK_PARAMS,
    chains: [{ name: "A", haircut: 0n }],
    assets: [
      { name: "USDC", priceSource: null, weightInit: wad("1"), weightMaint: wad("1"), sizeFactor: 0n, decimals: 6 },
    ],
    markets: [
      {
        name: "ETH-PERP",
        priceSource: "ETH",
        marginInit: wad("0.05"),
        marginMaint: wad("0.03"),
        sizeFactor: 0n,
        lotSize: wad("0.001"),
      },
      {
        name: "BTC-PERP",
        priceSource: "BTC",
        marginInit: wad("0.05"),
        marginMaint: wad("0.03"),
        sizeFactor: 0n,
        lotSize: wad("0.0001"),
      },
    ],
  };
  const prices: PriceTable = {
    ETH: [wad("3000"), wad("2865"), wad("2700")],
    BTC: [wad("60000"), wad("57300"), wad("54000")],
  };
  const hedge: Portfolio = {
    id: 0,
    style: "hedged",
    collateral: [{ chain: "A", asset: "USDC", amount: wad("4000") }],
    positions: [
      { market: "ETH-PERP", size: wad("10"), entryPrice: wad("3000") },
      { market: "BTC-PERP", size: wad("-0.5"), entryPrice: wad("60000") },
    ],
  };
  const run = (mode: MarginMode, screen: boolean) =>
    simulate({ config: market, prices, portfolios: [hedge], mode, screen });

  it("splits the collateral by initial requirement", () => {
    expect(isolatedCollateral(hedge, [wad("1500"), wad("1500")]).map((sleeve) => sleeve[0]?.amount)).toEqual([
      wad("2000"),
      wad("2000"),
    ]);
  });

  it("keeps the cross account alive: the short's gain pays the long's loss", () => {
    // Step 2: E = 4000 − 3000 + 3000 = 4000 against R^maint = 0.03 · 54 000 = 1 620.
    const cross = run("cross", true);
    expect(cross.events).toEqual([]);
    expect(cross.cumulativeLiquidations).toEqual([0, 0, 0]);
    expect(cross.finalEquity).toBe(wad("4000"));
  });

  it.each([true, false])("liquidates the isolated losing leg, then takes its collateral (screen %s)", (screen) => {
    const isolated = run("isolated", screen);
    expect(isolated.accounts).toBe(2);
    expect(isolated.events).toEqual([
      {
        // ETH 2 865: E = 2000 − 1350 = 650, R = 859.5, H^LE = −209.5 − 0.02 · 28 650 = −782.5;
        // size = ⌈782.5 / (2865 · (0.03 + 0.02 − 0.01)) = 6.8281⌉ to 0.001 = 6.829, fee 1% of 19 565.085.
        // After: settle −921.915 − 195.65085, 3.171 ETH left, H^maint = 454.34915 − 272.54745 ≥ 0: stop.
        step: 1,
        portfolio: 0,
        market: "ETH-PERP",
        closedMarkets: ["ETH-PERP"],
        perpLiquidations: 1,
        collateralLiquidations: 0,
        notional: wad("19565.085"),
        fees: wad("195.65085"),
        seizedValue: 0n,
        repaid: 0n,
        badDebt: 0n,
      },
      {
        // ETH 2 700: H^LE = −325.71685 − 0.02 · (8 561.7 + 1 117.56585) < 0 needs 4.81 > 3.171 ETH: all of it,
        // fee 85.617, settle −2 154.48285. The USDC weighs 1, so the repay is capped by q·p / 1.05 only:
        // 1 904.761904761904761904 repaid, 1 999.999999999999999999 seized, the last wei swept as dust,
        // and 249.720945238095238096 of debt is left with nothing behind it.
        step: 2,
        portfolio: 0,
        market: "ETH-PERP",
        closedMarkets: ["ETH-PERP"],
        perpLiquidations: 1,
        collateralLiquidations: 1,
        notional: wad("8561.7"),
        fees: wad("85.617"),
        seizedValue: wad("1999.999999999999999999"),
        repaid: wad("1904.761904761904761904"),
        badDebt: wad("249.720945238095238096"),
      },
    ]);
    expect(isolated.cumulativeLiquidations).toEqual([0, 1, 2]);
    expect(isolated.cumulativeNotional).toEqual([0n, wad("19565.085"), wad("28126.785")]);
    // The BTC sleeve: 2000 + 0.5 · 6000.
    expect(isolated.finalEquity).toBe(wad("5000"));
  });
});

describe("determinism", () => {
  const path = readPricePath(SHIPPED_PATH);
  const shortPrices: PriceTable = Object.fromEntries(
    Object.entries(priceTable(path)).map(([name, series]) => [name, series.slice(0, 481)]),
  );

  it("gives the same portfolios and the same liquidations for the same seed", () => {
    const portfolios = generatePortfolios(BACKTEST_MARKET, shortPrices, 25, 7);
    expect(generatePortfolios(BACKTEST_MARKET, shortPrices, 25, 7)).toEqual(portfolios);
    expect(generatePortfolios(BACKTEST_MARKET, shortPrices, 25, 8)).not.toEqual(portfolios);
    for (const mode of ["cross", "isolated"] as const) {
      const first = simulate({ config: BACKTEST_MARKET, prices: shortPrices, portfolios, mode });
      expect(simulate({ config: BACKTEST_MARKET, prices: shortPrices, portfolios, mode })).toEqual(first);
      expect(simulate({ config: BACKTEST_MARKET, prices: shortPrices, portfolios, mode, screen: false })).toEqual(
        first,
      );
    }
    const isolated = simulate({ config: BACKTEST_MARKET, prices: shortPrices, portfolios, mode: "isolated" });
    expect(isolated.events.length).toBeGreaterThan(0);
  });

  it("allocates every unit of collateral to the sleeves", () => {
    for (const portfolio of generatePortfolios(BACKTEST_MARKET, shortPrices, 25, 7)) {
      const requirements = portfolio.positions.map((_, j) => BigInt(j + 1) * 10n ** 18n);
      const sleeves = isolatedCollateral(portfolio, requirements);
      portfolio.collateral.forEach((entry, e) => {
        expect(sleeves.reduce((sum, sleeve) => sum + (sleeve[e]?.amount ?? 0n), 0n)).toBe(entry.amount);
      });
    }
  });
});

describe("price path file", () => {
  const json = JSON.parse(readFileSync(SHIPPED_PATH, "utf8"));

  it("is what its generator command writes", () => {
    const path = parsePricePath(json);
    expect(path.generator).toBe("scripts/run npx tsx test/bench/backtest/generate-path.ts --seed 1");
    expect(Object.keys(path.prices)).toEqual(["BTC", "ETH", "SOL", "BNB", "DOGE", "LINK"]);
    expect(generatePricePath(path.model, path.seed)).toEqual(path);
    expect(generatePricePath(path.model, path.seed + 1).prices).not.toEqual(path.prices);
  });

  const broken: [string, (copy: typeof json) => void, RegExp][] = [
    ["a short series", (copy) => copy.prices.ETH.pop(), /prices\.ETH: expected 2161 prices/],
    ["a negative price", (copy) => (copy.prices.BTC[5] = "-1"), /prices\.BTC\.5: -1 is not in/],
    ["an exponent", (copy) => (copy.prices.SOL[1] = "1e3"), /prices\.SOL\.1: expected a decimal string/],
    ["a missing series", (copy) => delete copy.prices.DOGE, /prices\.DOGE: missing series/],
    ["an unknown series", (copy) => (copy.prices.XRP = copy.prices.BTC), /prices\.XRP: not an asset of the model/],
    ["a non-stationary GARCH", (copy) => (copy.model.garch.beta = 0.95), /model\.garch: alpha \+ beta must be below 1/],
    ["another format", (copy) => (copy.format = "csv"), /format/],
  ];
  it.each(broken)("rejects %s", (_, mutate, message) => {
    const copy = structuredClone(json);
    mutate(copy);
    expect(() => parsePricePath(copy)).toThrow(PricePathError);
    expect(() => parsePricePath(copy)).toThrow(message);
  });
});
