/**
 * The protocol configuration the backtest runs under: the spec's global parameters (SPEC_RISK_PARAMS),
 * the spec's example chains, collateral weights and margins for BTC and ETH (test/vectors/risk.json), and
 * the same shape for the other assets with wider margins. Size factors are 0 everywhere: the size discount
 * depends on an account's total holding and would favour whichever mode splits collateral into smaller
 * accounts, which is not what the comparison is about.
 */
import { parseWad, SPEC_RISK_PARAMS } from "../../../sdk/risk/index.ts";
import type { RiskParams } from "../../../sdk/risk/types.ts";

export interface ChainConfig {
  name: string;
  haircut: bigint;
}

export interface CollateralAssetConfig {
  name: string;
  /** The price path series it follows; null for a stablecoin held at exactly 1 USD. */
  priceSource: string | null;
  weightInit: bigint;
  weightMaint: bigint;
  sizeFactor: bigint;
  /** Token decimals on its spoke: what the hub's dust sweep after a seizure counts in. */
  decimals: number;
}

export interface PerpMarketConfig {
  name: string;
  priceSource: string;
  marginInit: bigint;
  marginMaint: bigint;
  sizeFactor: bigint;
  lotSize: bigint;
}

export interface BacktestMarket {
  params: RiskParams;
  chains: ChainConfig[];
  assets: CollateralAssetConfig[];
  markets: PerpMarketConfig[];
}

const chain = (name: string, haircut: string): ChainConfig => ({ name, haircut: parseWad(haircut) });

const asset = (
  name: string,
  priceSource: string | null,
  weightInit: string,
  weightMaint: string,
  decimals: number,
): CollateralAssetConfig => ({
  name,
  priceSource,
  weightInit: parseWad(weightInit),
  weightMaint: parseWad(weightMaint),
  sizeFactor: 0n,
  decimals,
});

const market = (
  name: string,
  priceSource: string,
  marginInit: string,
  marginMaint: string,
  lotSize: string,
): PerpMarketConfig => ({
  name,
  priceSource,
  marginInit: parseWad(marginInit),
  marginMaint: parseWad(marginMaint),
  sizeFactor: 0n,
  lotSize: parseWad(lotSize),
});

export const BACKTEST_MARKET: BacktestMarket = {
  params: SPEC_RISK_PARAMS,
  chains: [chain("A", "0"), chain("B", "0.02"), chain("C", "0.05")],
  assets: [
    asset("USDC", null, "1", "1", 6),
    asset("WETH", "ETH", "0.80", "0.85", 18),
    asset("WBTC", "BTC", "0.75", "0.80", 8),
    asset("WSOL", "SOL", "0.65", "0.70", 9),
  ],
  markets: [
    market("BTC-PERP", "BTC", "0.05", "0.03", "0.0001"),
    market("ETH-PERP", "ETH", "0.05", "0.03", "0.001"),
    market("SOL-PERP", "SOL", "0.10", "0.05", "0.01"),
    market("BNB-PERP", "BNB", "0.10", "0.05", "0.01"),
    market("DOGE-PERP", "DOGE", "0.10", "0.05", "1"),
    market("LINK-PERP", "LINK", "0.10", "0.05", "0.1"),
  ],
};
