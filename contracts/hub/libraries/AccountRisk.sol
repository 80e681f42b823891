// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarginEngine} from "../../interfaces/IMarginEngine.sol";
import {IPriceOracle} from "../../interfaces/IPriceOracle.sol";
import {RiskMath} from "../../libraries/RiskMath.sol";
import {AssetRisk, CollateralRisk, HealthBreakdown, MarketRisk, PositionRisk} from "../../types/RiskTypes.sol";
import {Account, EngineState} from "../EngineState.sol";
import {AccountCollateral, CollateralEntry, CollateralLedger} from "./CollateralLedger.sol";
import {FixedPoint} from "../../libraries/FixedPoint.sol";
import {MarketConfig, MarketState, PerpMarkets, Position, TradeOutcome} from "./PerpMarkets.sol";

/// @notice Everything a health evaluation needs, gathered once per call.
struct RiskView {
    HealthBreakdown health;
    AssetRisk[] assets;
    CollateralRisk[] collateral;
    MarketRisk[] markets;
    PositionRisk[] positions;
    /// Risk asset id of each entry of `assets`.
    uint256[] assetIds;
    /// The first stale price met, or zero.
    bytes32 stalePriceId;
    /// The key (CollateralLedger.key) of the first counted entry whose report is too old, or zero.
    bytes32 staleReportKey;
    /// Prices already read in this evaluation: an asset and a market on the same feed read it once.
    PriceQuote[] quotes;
    uint256 quoteCount;
}

/// @notice One oracle read, kept for the rest of an evaluation.
struct PriceQuote {
    bytes32 priceId;
    uint256 price;
    uint256 kInit;
    uint256 kMaint;
}

/// @title AccountRisk
/// @notice Builds RiskMath's inputs from the engine's storage (one oracle read per price id) and keeps
/// positions and the settle balance consistent when a position changes.
library AccountRisk {
    using FixedPoint for uint256;
    using CollateralLedger for CollateralEntry;
    using PerpMarkets for Position;
    using PerpMarkets for MarketState;

    uint256 internal constant MAX_OPEN_MARKETS = 16;

    function riskView(EngineState storage s, address accountAddress) internal view returns (RiskView memory risk) {
        Account storage account = s.accounts[accountAddress];
        risk.quotes = new PriceQuote[](account.collateral.keys.length + account.openMarkets.length);
        _gatherCollateral(s, account.collateral, risk);
        uint256[] storage openMarkets = account.openMarkets;
        risk.markets = new MarketRisk[](openMarkets.length);
        risk.positions = new PositionRisk[](openMarkets.length);
        for (uint256 i; i < openMarkets.length; ++i) {
            uint256 marketId = openMarkets[i];
            Position storage position = account.positions[marketId];
            risk.markets[i] = _marketRisk(s, risk, s.marketConfigs[marketId]);
            risk.positions[i] = PositionRisk({
                marketIndex: i,
                size: position.size,
                entryPrice: position.entryPrice,
                fundingOwed: position.fundingOwed(s.marketStates[marketId])
            });
        }
        risk.health = RiskMath.healthBreakdown(
            s.riskParams, risk.assets, risk.markets, risk.collateral, account.settleBalance, risk.positions
        );
    }

    /// @notice Reverts unless every price is fresh and `H^init ≥ 0`: the gate of every risk-increasing action.
    function requireInitialHealth(EngineState storage s, address account) internal view {
        RiskView memory risk = riskView(s, account);
        if (risk.stalePriceId != bytes32(0)) revert IMarginEngine.StalePrice(risk.stalePriceId);
        if (risk.staleReportKey != bytes32(0)) {
            uint256 key = uint256(risk.staleReportKey);
            revert IMarginEngine.StaleReport(uint64(key >> 160), address(uint160(key)));
        }
        if (risk.health.healthInit < 0) revert IMarginEngine.InitialHealthViolated(risk.health.healthInit);
    }

    /// @notice Index of `assetId` in the view's assets and its total over all chains (the size discount's Q_a).
    function assetInView(RiskView memory risk, uint256 assetId) internal pure returns (uint256 index, uint256 total) {
        while (index < risk.assetIds.length && risk.assetIds[index] != assetId) ++index;
        if (index == risk.assetIds.length) revert IMarginEngine.NothingToLiquidate();
        for (uint256 i; i < risk.collateral.length; ++i) {
            if (risk.collateral[i].assetIndex == index) total += risk.collateral[i].amount;
        }
    }

    /// @notice Applies a size change at `price`: funding and realized PnL move between the account's
    /// settle balance and the pool; the open-market list follows the position.
    function changePosition(EngineState storage s, address accountAddress, uint256 marketId, int256 sizeDelta, uint256 price)
        internal
        returns (TradeOutcome memory outcome)
    {
        Account storage account = s.accounts[accountAddress];
        MarketState storage state = s.marketStates[marketId];
        state.accrueFunding(s.marketConfigs[marketId], price);
        Position storage position = account.positions[marketId];
        bool wasOpen = position.size != 0;
        outcome = position.trade(state, sizeDelta, price);
        int256 settled = outcome.realizedPnl - outcome.fundingPaid;
        account.settleBalance += settled;
        s.poolBalance -= settled;
        bool isOpen = position.size != 0;
        if (!wasOpen && isOpen) {
            if (account.openMarkets.length >= MAX_OPEN_MARKETS) revert IMarginEngine.TooManyPositions(accountAddress);
            account.openMarkets.push(marketId);
        } else if (wasOpen && !isOpen) {
            _removeOpenMarket(account.openMarkets, marketId);
        }
    }

    /// @notice Brings the funding index of every market the account trades up to now.
    function accrueAccountFunding(EngineState storage s, address accountAddress) internal {
        uint256[] storage openMarkets = s.accounts[accountAddress].openMarkets;
        for (uint256 i; i < openMarkets.length; ++i) {
            uint256 marketId = openMarkets[i];
            MarketConfig storage config = s.marketConfigs[marketId];
            s.marketStates[marketId].accrueFunding(config, s.oracle.getPrice(config.priceId).price);
        }
    }

    function _gatherCollateral(EngineState storage s, AccountCollateral storage ledger, RiskView memory risk)
        private
        view
    {
        uint256 entryCount = ledger.keys.length;
        uint256 maxReportAge = s.maxReportAge;
        risk.collateral = new CollateralRisk[](entryCount);
        risk.assets = new AssetRisk[](entryCount);
        risk.assetIds = new uint256[](entryCount);
        uint256 assetCount;
        uint256 collateralCount;
        for (uint256 i; i < entryCount; ++i) {
            CollateralEntry storage entry = ledger.entries[ledger.keys[i]];
            uint256 amount = entry.counted();
            if (amount == 0) continue;
            if (
                maxReportAge != 0 && risk.staleReportKey == bytes32(0)
                    && block.timestamp > entry.reportedAt + maxReportAge
            ) risk.staleReportKey = ledger.keys[i];
            IMarginEngine.CollateralToken memory token = s.collateralTokens[entry.chainId][entry.asset];
            uint256 index;
            while (index < assetCount && risk.assetIds[index] != token.assetId) ++index;
            if (index == assetCount) {
                risk.assetIds[index] = token.assetId;
                risk.assets[index] = _assetRisk(s, risk, s.assets[token.assetId]);
                ++assetCount;
            }
            risk.collateral[collateralCount++] = CollateralRisk({
                assetIndex: index,
                haircut: s.spokes[entry.chainId].haircut,
                amount: amount.toWadDown(token.decimals)
            });
        }
        AssetRisk[] memory assets = risk.assets;
        CollateralRisk[] memory collateral = risk.collateral;
        uint256[] memory assetIds = risk.assetIds;
        // Shrink the arrays to what was filled (entries with nothing counted are skipped).
        assembly ("memory-safe") {
            mstore(assets, assetCount)
            mstore(assetIds, assetCount)
            mstore(collateral, collateralCount)
        }
    }

    function _assetRisk(EngineState storage s, RiskView memory risk, IMarginEngine.AssetConfig storage config)
        private
        view
        returns (AssetRisk memory)
    {
        (uint256 price, uint256 kInit, uint256 kMaint) = _readPrice(s, risk, config.priceId);
        return AssetRisk({
            price: price,
            weightInit: config.weightInit,
            weightMaint: config.weightMaint,
            sizeFactor: config.sizeFactor,
            kInit: kInit,
            kMaint: kMaint
        });
    }

    function _marketRisk(EngineState storage s, RiskView memory risk, MarketConfig storage config)
        private
        view
        returns (MarketRisk memory)
    {
        (uint256 price, uint256 kInit, uint256 kMaint) = _readPrice(s, risk, config.priceId);
        return MarketRisk({
            markPrice: price,
            marginInit: config.marginInit,
            marginMaint: config.marginMaint,
            sizeFactor: config.sizeFactor,
            lotSize: config.lotSize,
            kInit: kInit,
            kMaint: kMaint
        });
    }

    function _readPrice(EngineState storage s, RiskView memory risk, bytes32 priceId)
        private
        view
        returns (uint256 price, uint256 kInit, uint256 kMaint)
    {
        for (uint256 i; i < risk.quoteCount; ++i) {
            PriceQuote memory quote = risk.quotes[i];
            if (quote.priceId == priceId) return (quote.price, quote.kInit, quote.kMaint);
        }
        IPriceOracle.PriceRead memory read = s.oracle.getPrice(priceId);
        if (read.stale && risk.stalePriceId == bytes32(0)) risk.stalePriceId = priceId;
        (kInit, kMaint) = s.oracle.volatilityMultipliers(priceId);
        risk.quotes[risk.quoteCount++] = PriceQuote({priceId: priceId, price: read.price, kInit: kInit, kMaint: kMaint});
        return (read.price, kInit, kMaint);
    }

    function _removeOpenMarket(uint256[] storage openMarkets, uint256 marketId) private {
        uint256 last = openMarkets.length - 1;
        for (uint256 i; i <= last; ++i) {
            if (openMarkets[i] == marketId) {
                openMarkets[i] = openMarkets[last];
                openMarkets.pop();
                return;
            }
        }
    }
}
