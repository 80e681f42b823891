// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {FixedPoint} from "./FixedPoint.sol";
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

/// @title RiskMath
/// @notice Unified portfolio health and liquidation sizing of docs/risk-spec.md. sdk/risk (health.ts,
/// liquidation.ts) performs the same operations in the same order, so both agree to the wei.
/// @dev Rounding, always in the protocol's favour:
/// - tightened weight 1 − k·(1 − w): k·(1 − w) up, so the weight comes out down;
/// - size discount 1.1 / (1 + imf·√Q): √Q up and imf·√Q up, the quotient down;
/// - effective weight (1 − δ)·ŵ down; collateral value (q·p down)·w_eff down;
/// - margin fraction k·MF̂ up, 0.8·(k·MF̂) up, imf·√|n| with √|n| up and the product up;
/// - notional |n|·m up, requirement notional·MF up, β·(N + D) up;
/// - PnL n·(m − e) toward −∞ (gains down, losses more negative), w_pnl·u down for gains;
/// - health ratio E/R toward −∞;
/// - perp liquidation size: m·(MF + β − φ) down, S / that up, then up to a whole lot;
///   fee (size·m up)·φ up, insurance share up, the liquidator gets the remainder;
/// - collateral liquidation: repay cap q·p/(1 + λ) down (the seizure never exceeds the entry); repay to
///   restore S / (1 + β − (1 + λ)·w_eff) with (1 + λ)·w_eff up and the quotient up; seized x·(1 + λ)/p down;
///   protocol share (seized − seized/(1 + λ))·share with seized/(1 + λ) down and the product up, the
///   liquidator gets the remainder.
/// Nothing is liquidated while H^LE ≥ 0: there is no shortfall S = −H^LE to restore.
library RiskMath {
    using FixedPoint for uint256;
    using FixedPoint for int256;

    uint256 internal constant SIZE_DISCOUNT_NUMERATOR = 1.1e18;
    uint256 private constant WAD = 1e18;
    uint256 internal constant SIZE_PREMIUM_BASE_SHARE = 0.8e18;

    /// @notice Evaluates an account: collateral, PnL, requirement, equity and every health figure of the spec.
    /// @param assets Price, parameters and volatility of every asset `collateral` refers to.
    /// @param markets Mark price, parameters and volatility of every market `positions` refers to.
    /// @param collateral One entry per (chain, asset) holding, with the chain's haircut.
    /// @param settleBalance b: the hub settle balance, negative when in debt.
    function healthBreakdown(
        RiskParams memory params,
        AssetRisk[] memory assets,
        MarketRisk[] memory markets,
        CollateralRisk[] memory collateral,
        int256 settleBalance,
        PositionRisk[] memory positions
    ) internal pure returns (HealthBreakdown memory breakdown) {
        writeHealthBreakdown(breakdown, params, assets, markets, collateral, settleBalance, positions);
    }

    /// @notice `healthBreakdown` written into `breakdown`, which must be all zero (a struct the caller has
    /// allocated anyway, so the evaluation allocates no other).
    function writeHealthBreakdown(
        HealthBreakdown memory breakdown,
        RiskParams memory params,
        AssetRisk[] memory assets,
        MarketRisk[] memory markets,
        CollateralRisk[] memory collateral,
        int256 settleBalance,
        PositionRisk[] memory positions
    ) internal pure {
        uint256 marketValue = _valueCollateral(breakdown, assets, collateral);
        _valuePositions(breakdown, params, markets, positions);

        int256 signedDebt = settleBalance < 0 ? -settleBalance : int256(0);
        int256 credit = settleBalance > 0 ? settleBalance : int256(0);
        uint256 debt = uint256(signedDebt);
        breakdown.debt = debt;
        // Collateral values, requirements and Σ q·p are sums of WAD quotients (each below 2^197) over memory
        // arrays (far fewer than 2^58 elements), and the buffer term is one such quotient: all below 2^255, so
        // they cast to int256 as `SafeCast.toInt256` would, without its check.
        breakdown.equityInit = int256(breakdown.collateralValueInit) + credit + breakdown.pnlInit - signedDebt;
        breakdown.equityMaint = int256(breakdown.collateralValueMaint) + credit + breakdown.pnlMaint - signedDebt;
        breakdown.healthInit = breakdown.equityInit - int256(breakdown.requirementInit);
        breakdown.healthMaint = breakdown.equityMaint - int256(breakdown.requirementMaint);
        breakdown.healthLiquidationEnd =
            breakdown.healthMaint - int256(params.liquidationBuffer.mulUp(breakdown.notional + debt));
        if (breakdown.requirementMaint != 0) {
            breakdown.hasHealthRatioMaint = true;
            breakdown.healthRatioMaint = breakdown.equityMaint.divFloor(int256(breakdown.requirementMaint));
        }
        breakdown.unweightedEquity = int256(marketValue) + settleBalance + breakdown.pnlMaint;
        breakdown.liquidatable = breakdown.healthMaint < 0;
    }

    /// @notice How much of a perp position to close, and the fee split, while the account's H^LE is negative.
    /// @param positionSize Signed size n_j of the position being liquidated.
    function perpLiquidation(
        RiskParams memory params,
        MarketRisk memory market,
        int256 positionSize,
        int256 healthLiquidationEnd
    ) internal pure returns (PerpLiquidation memory liquidation) {
        if (healthLiquidationEnd >= 0 || positionSize == 0) return liquidation;

        uint256 shortfall = uint256(-healthLiquidationEnd);
        uint256 absSize = _abs(positionSize);
        (, uint256 marginMaint) = marginFractions(market, absSize);
        uint256 restoredPerNotional = marginMaint + params.liquidationBuffer;
        uint256 size = absSize;
        if (restoredPerNotional > params.liquidationFee) {
            uint256 restoredPerBase = market.markPrice.mulDown(restoredPerNotional - params.liquidationFee);
            if (restoredPerBase != 0) {
                size = _min(absSize, _ceilToLot(shortfall.divUp(restoredPerBase), market.lotSize));
            }
        }
        liquidation.size = size;
        liquidation.fee = size.mulUp(market.markPrice).mulUp(params.liquidationFee);
        liquidation.feeToInsurance = liquidation.fee.mulUp(params.liquidationFeeInsuranceShare);
        liquidation.feeToLiquidator = liquidation.fee - liquidation.feeToInsurance;
    }

    /// @notice How much debt a liquidator repays against one collateral entry, and what it seizes in return.
    /// @param assetTotal Q_a: the account's total of this asset over all chains (drives the size discount).
    /// @param haircut δ_c of the chain holding the entry.
    /// @param amount q: the entry's amount.
    function collateralLiquidation(
        RiskParams memory params,
        AssetRisk memory asset,
        uint256 assetTotal,
        uint256 haircut,
        uint256 amount,
        uint256 debt,
        int256 healthLiquidationEnd
    ) internal pure returns (CollateralLiquidation memory liquidation) {
        if (healthLiquidationEnd >= 0) return liquidation;

        uint256 bonusFactor = FixedPoint.WAD + params.collateralBonus;
        uint256 repay = _min(debt, amount.mulDown(asset.price).divDown(bonusFactor));
        (, uint256 weightMaint) = tightenedWeights(asset, assetTotal);
        uint256 seizedValuePerRepay = bonusFactor.mulUp(effectiveWeight(haircut, weightMaint));
        uint256 restoredPerRepay = FixedPoint.WAD + params.liquidationBuffer;
        if (restoredPerRepay > seizedValuePerRepay) {
            repay = _min(repay, uint256(-healthLiquidationEnd).divUp(restoredPerRepay - seizedValuePerRepay));
        }
        if (repay == 0) return liquidation;

        uint256 seized = repay.mulDown(bonusFactor).divDown(asset.price);
        uint256 seizedToProtocol = (seized - seized.divDown(bonusFactor)).mulUp(params.collateralBonusProtocolShare);
        liquidation.repay = repay;
        liquidation.seized = seized;
        liquidation.seizedToLiquidator = seized - seizedToProtocol;
        liquidation.seizedToProtocol = seizedToProtocol;
    }

    /// @notice ŵ^T_a: the asset's weights after volatility tightening and the size discount for a total holding.
    function tightenedWeights(AssetRisk memory asset, uint256 assetTotal)
        internal
        pure
        returns (uint256 weightInit, uint256 weightMaint)
    {
        weightInit = _tightenedWeight(asset.weightInit, asset.kInit);
        weightMaint = _tightenedWeight(asset.weightMaint, asset.kMaint);
        if (asset.sizeFactor != 0) {
            uint256 cap =
                SIZE_DISCOUNT_NUMERATOR.divDown(FixedPoint.WAD + asset.sizeFactor.mulUp(assetTotal.sqrtUp()));
            weightInit = _min(weightInit, cap);
            weightMaint = _min(weightMaint, cap);
        }
    }

    /// @notice w_eff = (1 − δ_c)·ŵ.
    function effectiveWeight(uint256 haircut, uint256 weight) internal pure returns (uint256) {
        return (FixedPoint.WAD - haircut).mulDown(weight);
    }

    /// @notice MF^T_j for a position of `absSize` base units, with the size premium and the cap at 1.
    function marginFractions(MarketRisk memory market, uint256 absSize)
        internal
        pure
        returns (uint256 marginInit, uint256 marginMaint)
    {
        marginInit = market.kInit.mulUp(market.marginInit);
        marginMaint = market.kMaint.mulUp(market.marginMaint);
        if (market.sizeFactor != 0) {
            uint256 premium = market.sizeFactor.mulUp(absSize.sqrtUp());
            marginInit = _max(marginInit, SIZE_PREMIUM_BASE_SHARE.mulUp(marginInit) + premium);
            marginMaint = _max(marginMaint, SIZE_PREMIUM_BASE_SHARE.mulUp(marginMaint) + premium);
        }
        if (marginInit > FixedPoint.WAD) marginInit = FixedPoint.WAD;
        if (marginMaint > FixedPoint.WAD) marginMaint = FixedPoint.WAD;
    }

    /// @notice Q_a for every asset index: the amount held over all chains.
    function assetTotals(uint256 assetCount, CollateralRisk[] memory collateral)
        internal
        pure
        returns (uint256[] memory totals)
    {
        totals = new uint256[](assetCount);
        for (uint256 i; i < collateral.length; ++i) {
            CollateralRisk memory entry = collateral[i];
            totals[entry.assetIndex] += entry.amount;
        }
    }

    /// @dev Sets both collateral values; returns Σ q·p for the unweighted equity.
    function _valueCollateral(
        HealthBreakdown memory breakdown,
        AssetRisk[] memory assets,
        CollateralRisk[] memory collateral
    ) private pure returns (uint256 marketValue) {
        uint256 assetCount = assets.length;
        uint256[] memory weightsInit = assetTotals(assetCount, collateral);
        uint256[] memory weightsMaint = new uint256[](assetCount);
        // The totals are needed only here, so their array is reused for the init weights.
        for (uint256 i; i < assetCount; ++i) {
            uint256 total = weightsInit[i];
            if (total != 0) (weightsInit[i], weightsMaint[i]) = tightenedWeights(assets[i], total);
        }
        uint256 valueInit;
        uint256 valueMaint;
        for (uint256 i; i < collateral.length; ++i) {
            CollateralRisk memory entry = collateral[i];
            uint256 assetIndex = entry.assetIndex;
            uint256 value = entry.amount.mulDown(assets[assetIndex].price);
            // Checked: a haircut above 1 reverts.
            uint256 kept = FixedPoint.WAD - entry.haircut;
            // Operation for operation `value.mulDown(effectiveWeight(haircut, weight))`, without their checks:
            // weights and `kept` are at most 1 (WAD) and `value` is a quotient by WAD, so no product exceeds
            // 256 bits; each term is at most `value` < 2^197 and a memory array has far fewer than 2^59
            // entries, so neither do the sums. `assetTotals` has indexed its array, as long as the weight
            // arrays, with every `assetIndex`.
            assembly ("memory-safe") {
                let offset := shl(5, add(assetIndex, 1))
                let weightInit := div(mul(kept, mload(add(weightsInit, offset))), WAD)
                let weightMaint := div(mul(kept, mload(add(weightsMaint, offset))), WAD)
                valueInit := add(valueInit, div(mul(value, weightInit), WAD))
                valueMaint := add(valueMaint, div(mul(value, weightMaint), WAD))
                marketValue := add(marketValue, value)
            }
        }
        breakdown.collateralValueInit = valueInit;
        breakdown.collateralValueMaint = valueMaint;
    }

    /// @dev Sets PnL (both tiers), requirement (both tiers) and notional.
    function _valuePositions(
        HealthBreakdown memory breakdown,
        RiskParams memory params,
        MarketRisk[] memory markets,
        PositionRisk[] memory positions
    ) private pure {
        uint256 requirementInit;
        uint256 requirementMaint;
        uint256 totalNotional;
        int256 pnlInit;
        int256 pnlMaint;
        for (uint256 i; i < positions.length; ++i) {
            PositionRisk memory position = positions[i];
            MarketRisk memory market = markets[position.marketIndex];
            {
                uint256 absSize = _abs(position.size);
                uint256 notional = absSize.mulUp(market.markPrice);
                (uint256 marginInit, uint256 marginMaint) = marginFractions(market, absSize);
                // Margin fractions are at most 1 (WAD) and `notional` is a quotient by WAD rounded up, so
                // every term is below 2^197 and none of these sums (of far fewer than 2^59 terms) exceeds
                // 256 bits.
                unchecked {
                    requirementInit += notional.mulUp(marginInit);
                    requirementMaint += notional.mulUp(marginMaint);
                    totalNotional += notional;
                }
            }
            int256 pnl = _positionPnl(position, market.markPrice);
            pnlMaint += pnl;
            // A WAD quotient (below 2^197) casts without SafeCast's check.
            pnlInit += pnl > 0 ? int256(uint256(pnl).mulDown(params.pnlWeightInit)) : pnl;
        }
        breakdown.requirementInit = requirementInit;
        breakdown.requirementMaint = requirementMaint;
        breakdown.notional = totalNotional;
        breakdown.pnlInit = pnlInit;
        breakdown.pnlMaint = pnlMaint;
    }

    /// @dev u_j = n·(m − e) − funding owed.
    function _positionPnl(PositionRisk memory position, uint256 markPrice) private pure returns (int256) {
        uint256 entryPrice = position.entryPrice;
        // `SafeCast.toInt256` of each price, inline.
        if (markPrice > uint256(type(int256).max)) revert SafeCast.SafeCastOverflowedUintToInt(markPrice);
        if (entryPrice > uint256(type(int256).max)) revert SafeCast.SafeCastOverflowedUintToInt(entryPrice);
        int256 priceMove;
        // The difference of two non-negative int256 cannot overflow.
        unchecked {
            priceMove = int256(markPrice) - int256(entryPrice);
        }
        return position.size.mulFloor(priceMove) - position.fundingOwed;
    }

    function _tightenedWeight(uint256 weight, uint256 k) private pure returns (uint256) {
        uint256 cut = k.mulUp(FixedPoint.WAD - weight);
        if (cut >= FixedPoint.WAD) return 0;
        unchecked {
            return FixedPoint.WAD - cut;
        }
    }

    function _ceilToLot(uint256 size, uint256 lotSize) private pure returns (uint256) {
        // Rounds up: a partial lot still has to be closed to restore the shortfall.
        return size == 0 ? 0 : ((size - 1) / lotSize + 1) * lotSize;
    }

    function _abs(int256 x) private pure returns (uint256) {
        return x < 0 ? uint256(-x) : uint256(x);
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }

    function _max(uint256 a, uint256 b) private pure returns (uint256) {
        return a > b ? a : b;
    }
}
