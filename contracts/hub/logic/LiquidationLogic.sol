// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarginEngine} from "../../interfaces/IMarginEngine.sol";
import {RiskMath} from "../../libraries/RiskMath.sol";
import {CollateralLiquidation, MarketRisk, PerpLiquidation} from "../../types/RiskTypes.sol";
import {Account, CollateralTokenSlot, EngineState, TokenRiskSlot} from "../EngineState.sol";
import {AccountRisk, RiskView} from "../libraries/AccountRisk.sol";
import {AccountCollateral, CollateralLedger, LedgerEntry} from "../libraries/CollateralLedger.sol";
import {FixedPoint} from "../../libraries/FixedPoint.sol";
import {OpenMarkets} from "../libraries/OpenMarkets.sol";
import {Position, TradeOutcome} from "../libraries/PerpMarkets.sol";

/// @notice What a collateral liquidation moves, in token units.
struct CollateralLiquidationPlan {
    /// Settle tokens the liquidator pays (rounded up).
    uint256 payTokens;
    /// Collateral tokens seized for the liquidator and for the treasury (rounded down).
    uint256 toLiquidator;
    uint256 toProtocol;
    /// Number of the entry's token, for the engine to record the decreases.
    uint256 tokenNumber;
}

/// @title LiquidationLogic
/// @notice Perp and collateral liquidation sized by RiskMath, and bad-debt resolution, run by the
/// engine through DELEGATECALL. Liquidations run at current prices even when stale (safety rule 5).
library LiquidationLogic {
    using FixedPoint for uint256;

    /// @notice Token units left by rounding that a collateral liquidation sweeps to the protocol.
    uint256 internal constant DUST_UNITS = 3;
    using CollateralLedger for AccountCollateral;
    using CollateralLedger for LedgerEntry;

    function liquidatePerp(EngineState storage s, address liquidator, address accountAddress, uint256 marketId)
        public
        returns (uint256 size)
    {
        if (marketId >= s.marketConfigs.length) revert IMarginEngine.UnknownMarket(marketId);
        Account storage account = s.accounts[accountAddress];
        Position storage position = account.positions[marketId];
        if (position.size == 0) revert IMarginEngine.NothingToLiquidate();
        AccountRisk.accrueAccountFunding(s, accountAddress);
        RiskView memory risk = AccountRisk.riskView(s, accountAddress, false);
        if (!risk.health.liquidatable) revert IMarginEngine.NotLiquidatable(risk.health.healthMaint);
        AccountRisk.cacheQuotes(s, risk);

        MarketRisk memory market = _marketInView(s, account.openMarkets, risk, marketId);
        uint256 price = market.markPrice;
        PerpLiquidation memory liquidation =
            RiskMath.perpLiquidation(AccountRisk.riskParams(s), market, position.size, risk.health.healthLiquidationEnd);
        size = liquidation.size;
        if (size == 0) revert IMarginEngine.NothingToLiquidate();

        int256 sizeDelta = position.size > 0 ? -int256(size) : int256(size);
        TradeOutcome memory outcome = AccountRisk.changePosition(s, accountAddress, marketId, sizeDelta, price);
        account.settleBalance -= int256(liquidation.fee);
        s.insuranceFund += liquidation.feeToInsurance;
        s.accounts[liquidator].settleBalance += int256(liquidation.feeToLiquidator);
        emit IMarginEngine.PositionChanged(
            accountAddress, marketId, sizeDelta, position.size, price, outcome.realizedPnl, outcome.fundingPaid, 0
        );
        emit IMarginEngine.PerpLiquidated(
            accountAddress, marketId, liquidator, size, price, liquidation.feeToLiquidator, liquidation.feeToInsurance
        );
    }

    /// @notice Sizes a collateral liquidation of (chainId, asset); the engine records and sends it.
    function planCollateralLiquidation(
        EngineState storage s,
        address accountAddress,
        uint64 chainId,
        address asset,
        uint256 maxRepay
    ) public returns (CollateralLiquidationPlan memory plan) {
        CollateralTokenSlot memory slot = s.collateralTokens[chainId][asset];
        if (!slot.enabled) revert IMarginEngine.UnknownCollateral(chainId, asset);
        plan.tokenNumber = slot.number;
        AccountRisk.accrueAccountFunding(s, accountAddress);
        RiskView memory risk = AccountRisk.riskView(s, accountAddress, false);
        if (!risk.health.liquidatable) revert IMarginEngine.NotLiquidatable(risk.health.healthMaint);
        if (risk.health.debt == 0) revert IMarginEngine.NoDebt(accountAddress);
        AccountRisk.cacheQuotes(s, risk);

        uint256 counted = s.accounts[accountAddress].collateral.entries[slot.number].counted();
        TokenRiskSlot memory token = s.tokenRisk[slot.number];
        CollateralLiquidation memory liquidation =
            _collateralLiquidation(s, risk, token, counted.toWadDown(token.decimals));
        if (maxRepay != 0 && liquidation.repay > maxRepay) liquidation = _scaled(liquidation, maxRepay);
        if (liquidation.repay == 0) revert IMarginEngine.NothingToLiquidate();

        plan.payTokens = liquidation.repay.fromWadUp(s.settleDecimals);
        plan.toLiquidator = liquidation.seizedToLiquidator.fromWadDown(token.decimals);
        plan.toProtocol = liquidation.seizedToProtocol.fromWadDown(token.decimals);
        if (plan.toLiquidator == 0) revert IMarginEngine.NothingToLiquidate();
        // Seized amounts round down, which can strand a few token units no later liquidation could take
        // (it would seize 0) and so block bad-debt resolution for ever: that dust goes to the protocol.
        if (plan.toLiquidator + plan.toProtocol <= counted) {
            uint256 remainder = counted - plan.toLiquidator - plan.toProtocol;
            if (remainder <= DUST_UNITS) plan.toProtocol += remainder;
        }
        if (plan.toLiquidator + plan.toProtocol > counted) {
            revert IMarginEngine.InsufficientCollateral(chainId, asset, counted, plan.toLiquidator + plan.toProtocol);
        }
    }

    /// @notice Writes off the debt of an account with no positions and no collateral left.
    function resolveBadDebt(EngineState storage s, address accountAddress) public {
        Account storage account = s.accounts[accountAddress];
        if (OpenMarkets.count(account.openMarkets) != 0 || account.settleBalance >= 0) {
            revert IMarginEngine.NotBankrupt(accountAddress);
        }
        AccountCollateral storage collateral = account.collateral;
        uint256 entryCount = collateral.entryCount();
        for (uint256 i; i < entryCount; ++i) {
            LedgerEntry storage entry = collateral.entries[collateral.numberAt(i)];
            if (entry.reportedLocked != 0 || entry.pendingDecrease != 0) revert IMarginEngine.NotBankrupt(accountAddress);
        }
        uint256 debt = uint256(-account.settleBalance);
        uint256 covered = debt < s.insuranceFund ? debt : s.insuranceFund;
        uint256 socialized = debt - covered;
        s.insuranceFund -= covered;
        s.socializedLoss += socialized;
        // The pool was owed this debt: the insurance fund pays what it can, the pool absorbs the rest.
        s.poolBalance -= int256(socialized);
        account.settleBalance = 0;
        emit IMarginEngine.BadDebtResolved(accountAddress, debt, covered, socialized);
    }

    /// @notice The view's input of `marketId` (which the account trades), with the lot size liquidation rounds to.
    function _marketInView(EngineState storage s, uint256 openMarkets, RiskView memory risk, uint256 marketId)
        private
        view
        returns (MarketRisk memory market)
    {
        uint256 index;
        while (OpenMarkets.at(openMarkets, index) != marketId) ++index;
        market = risk.markets[index];
        market.lotSize = s.marketConfigs[marketId].lotSize;
    }

    function _collateralLiquidation(
        EngineState storage s,
        RiskView memory risk,
        TokenRiskSlot memory token,
        uint256 amount
    ) private view returns (CollateralLiquidation memory) {
        (uint256 index, uint256 assetTotal) = AccountRisk.assetInView(risk, token.assetId);
        return RiskMath.collateralLiquidation(
            AccountRisk.riskParams(s),
            risk.assets[index],
            assetTotal,
            token.haircut,
            amount,
            risk.health.debt,
            risk.health.healthLiquidationEnd
        );
    }

    /// @dev A liquidator may repay less than the maximum; seized amounts scale down with it (rounded down).
    function _scaled(CollateralLiquidation memory full, uint256 maxRepay)
        private
        pure
        returns (CollateralLiquidation memory scaled)
    {
        scaled.repay = maxRepay;
        scaled.seized = full.seized * maxRepay / full.repay;
        scaled.seizedToProtocol = full.seizedToProtocol * maxRepay / full.repay;
        scaled.seizedToLiquidator = scaled.seized - scaled.seizedToProtocol;
    }
}
