// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RiskMath} from "../libraries/RiskMath.sol";
import {
    AssetRisk,
    CollateralLiquidation,
    CollateralRisk,
    HealthBreakdown,
    MarketRisk,
    PerpLiquidation,
    PositionRisk,
    RiskParams
} from "../types/RiskTypes.sol";

/// @notice Test-only: exposes the internal risk math so TypeScript can check it against the vectors and sdk/risk.
contract RiskMathHarness {
    function healthBreakdown(
        RiskParams calldata params,
        AssetRisk[] calldata assets,
        MarketRisk[] calldata markets,
        CollateralRisk[] calldata collateral,
        int256 settleBalance,
        PositionRisk[] calldata positions
    ) external pure returns (HealthBreakdown memory) {
        return RiskMath.healthBreakdown(params, assets, markets, collateral, settleBalance, positions);
    }

    function perpLiquidation(
        RiskParams calldata params,
        MarketRisk calldata market,
        int256 positionSize,
        int256 healthLiquidationEnd
    ) external pure returns (PerpLiquidation memory) {
        return RiskMath.perpLiquidation(params, market, positionSize, healthLiquidationEnd);
    }

    function collateralLiquidation(
        RiskParams calldata params,
        AssetRisk calldata asset,
        uint256 assetTotal,
        uint256 haircut,
        uint256 amount,
        uint256 debt,
        int256 healthLiquidationEnd
    ) external pure returns (CollateralLiquidation memory) {
        return RiskMath.collateralLiquidation(params, asset, assetTotal, haircut, amount, debt, healthLiquidationEnd);
    }
}
