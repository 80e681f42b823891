// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Inputs and outputs of `RiskMath` (docs/risk-spec.md). Every amount, price and rate is an 18-decimal
// fixed-point number (WAD). The TypeScript mirror (sdk/risk/types.ts) has the same fields.
//
// Supported domain, inside which no intermediate value overflows (outside it the math reverts; the SDK
// refuses such inputs up front, see sdk/risk/domain.ts): amounts and each asset's total < 2^128;
// |size|, |settleBalance|, |fundingOwed|, debt < 2^127; prices < 2^96; k, margins, size factors, buffer,
// fee, bonus < 2^64; weights, haircuts and shares <= 1 (1e18); |healthLiquidationEnd| < 2^192.

/// @notice Global risk parameters.
struct RiskParams {
    /// @dev Weight on positive uPnL in the init tier (maint uses 1).
    uint256 pnlWeightInit;
    /// @dev β: extra margin, as a fraction of notional plus debt, that a liquidation restores.
    uint256 liquidationBuffer;
    /// @dev φ: perp liquidation fee on closed notional.
    uint256 liquidationFee;
    uint256 liquidationFeeInsuranceShare;
    /// @dev λ: the liquidator's bonus on seized collateral.
    uint256 collateralBonus;
    uint256 collateralBonusProtocolShare;
}

/// @notice One collateral asset: oracle price, parameters and current volatility multipliers.
struct AssetRisk {
    uint256 price;
    uint256 weightInit;
    uint256 weightMaint;
    /// @dev imf_a of the size discount; 0 disables it.
    uint256 sizeFactor;
    uint256 kInit;
    uint256 kMaint;
}

/// @notice One perp market: mark price, parameters and current volatility multipliers.
struct MarketRisk {
    uint256 markPrice;
    uint256 marginInit;
    uint256 marginMaint;
    /// @dev imf_j of the size premium; 0 disables it.
    uint256 sizeFactor;
    uint256 lotSize;
    uint256 kInit;
    uint256 kMaint;
}

/// @notice Collateral of one asset on one chain. Entries sharing `assetIndex` add up for the size discount.
struct CollateralRisk {
    /// @dev Index into the `AssetRisk` array.
    uint256 assetIndex;
    /// @dev δ_c of the chain holding it (0 on the hub).
    uint256 haircut;
    uint256 amount;
}

/// @notice An open perp position.
struct PositionRisk {
    /// @dev Index into the `MarketRisk` array.
    uint256 marketIndex;
    /// @dev Signed base size: positive long, negative short.
    int256 size;
    uint256 entryPrice;
    /// @dev Funding the position owes (negative when it is owed funding).
    int256 fundingOwed;
}

/// @notice Everything the spec derives from one account, rounded in the protocol's favour.
struct HealthBreakdown {
    uint256 collateralValueInit;
    uint256 collateralValueMaint;
    int256 pnlInit;
    int256 pnlMaint;
    uint256 debt;
    int256 equityInit;
    int256 equityMaint;
    uint256 requirementInit;
    uint256 requirementMaint;
    int256 healthInit;
    int256 healthMaint;
    int256 healthLiquidationEnd;
    /// @dev False when the account has no maintenance requirement (the ratio is then undefined).
    bool hasHealthRatioMaint;
    int256 healthRatioMaint;
    /// @dev Σ q·p + b + Σ u_j; below zero the account is bankrupt.
    int256 unweightedEquity;
    uint256 notional;
    bool liquidatable;
}

/// @notice Outcome of a perp liquidation of one position.
struct PerpLiquidation {
    /// @dev Base size to close (unsigned).
    uint256 size;
    uint256 fee;
    uint256 feeToLiquidator;
    uint256 feeToInsurance;
}

/// @notice Outcome of a collateral liquidation of one entry.
struct CollateralLiquidation {
    /// @dev Settle debt the liquidator repays on the hub.
    uint256 repay;
    /// @dev Tokens taken from the entry: `seizedToLiquidator` to the liquidator, `seizedToProtocol` kept.
    uint256 seized;
    uint256 seizedToLiquidator;
    uint256 seizedToProtocol;
}
