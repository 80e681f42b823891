/**
 * Inputs and outputs of the risk math (docs/risk-spec.md). Every amount is an 18-decimal fixed-point
 * bigint (WAD). The input shapes mirror the structs of contracts/types/RiskTypes.sol field for field, so
 * the hub, the SDK preview and the harness all evaluate the same thing.
 */

/** Global parameters. */
export interface RiskParams {
  /** Weight on positive uPnL in the init tier (maint uses 1); at most 1. */
  pnlWeightInit: bigint;
  /** β: extra margin, as a fraction of notional plus debt, that a liquidation restores. */
  liquidationBuffer: bigint;
  /** φ: perp liquidation fee on closed notional. */
  liquidationFee: bigint;
  /** Share of the perp liquidation fee that goes to the insurance fund; at most 1. */
  liquidationFeeInsuranceShare: bigint;
  /** λ: the liquidator's bonus on seized collateral. */
  collateralBonus: bigint;
  /** Share of the collateral bonus kept by the protocol; at most 1. */
  collateralBonusProtocolShare: bigint;
}

/** One collateral asset: oracle price, parameters and current volatility multipliers. */
export interface AssetRisk {
  /** USD per token. */
  price: bigint;
  weightInit: bigint;
  weightMaint: bigint;
  /** imf_a of the size discount; 0 disables it. */
  sizeFactor: bigint;
  kInit: bigint;
  kMaint: bigint;
}

/** One perp market: mark price, parameters and current volatility multipliers. */
export interface MarketRisk {
  /** USD per unit of base (m_j = oracle price in v1). */
  markPrice: bigint;
  marginInit: bigint;
  marginMaint: bigint;
  /** imf_j of the size premium; 0 disables it. */
  sizeFactor: bigint;
  lotSize: bigint;
  kInit: bigint;
  kMaint: bigint;
}

/** Collateral of one asset on one chain; several entries may share an asset (one per chain). */
export interface CollateralRisk {
  /** Index into `RiskInputs.assets`. */
  assetIndex: number;
  /** δ_c of the chain holding the collateral (0 on the hub). */
  haircut: bigint;
  amount: bigint;
}

/** An open perp position. */
export interface PositionRisk {
  /** Index into `RiskInputs.markets`. */
  marketIndex: number;
  /** Signed base size: positive long, negative short. */
  size: bigint;
  entryPrice: bigint;
  /** Funding the position owes (negative when it is owed funding). */
  fundingOwed: bigint;
}

export interface AccountRisk {
  collateral: CollateralRisk[];
  /** b: realized PnL, fees, funding and repaid debt on the hub; negative is debt. */
  settleBalance: bigint;
  positions: PositionRisk[];
}

export interface RiskInputs {
  params: RiskParams;
  assets: AssetRisk[];
  markets: MarketRisk[];
  account: AccountRisk;
}

export interface Tiered {
  init: bigint;
  maint: bigint;
}

/** Everything the spec derives from one account, rounded in the protocol's favour. */
export interface HealthBreakdown {
  collateralValue: Tiered;
  pnl: Tiered;
  debt: bigint;
  equity: Tiered;
  requirement: Tiered;
  health: Tiered & { liquidationEnd: bigint };
  /** E^maint / R^maint; null when the account has no requirement. */
  healthRatioMaint: bigint | null;
  /** Σ q·p + b + Σ u_j; below zero the account is bankrupt. */
  unweightedEquity: bigint;
  notional: bigint;
  liquidatable: boolean;
}

/** Inputs of a perp liquidation: the position's market and size, and the account's H^LE. */
export interface PerpLiquidationRequest {
  params: RiskParams;
  market: MarketRisk;
  /** Signed size n_j of the position being liquidated. */
  positionSize: bigint;
  healthLiquidationEnd: bigint;
}

/** Inputs of a collateral liquidation of one entry (chain c, asset a). */
export interface CollateralLiquidationRequest {
  params: RiskParams;
  asset: AssetRisk;
  /** Q_a: the account's total of this asset over all chains (drives the size discount). */
  assetTotal: bigint;
  /** δ_c of the chain holding the entry. */
  haircut: bigint;
  /** q: the entry's amount. */
  amount: bigint;
  debt: bigint;
  healthLiquidationEnd: bigint;
}

export interface PerpLiquidation {
  /** Base size to close (unsigned). */
  size: bigint;
  fee: bigint;
  feeToLiquidator: bigint;
  feeToInsurance: bigint;
}

export interface CollateralLiquidation {
  /** Settle debt the liquidator repays on the hub. */
  repay: bigint;
  /** Tokens taken from the entry; the liquidator gets `seizedToLiquidator`, the protocol the rest. */
  seized: bigint;
  seizedToLiquidator: bigint;
  seizedToProtocol: bigint;
}
