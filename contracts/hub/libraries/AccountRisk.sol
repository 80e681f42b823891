// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarginEngine} from "../../interfaces/IMarginEngine.sol";
import {IPriceOracle} from "../../interfaces/IPriceOracle.sol";
import {RiskMath} from "../../libraries/RiskMath.sol";
import {
    AssetRisk, CollateralRisk, HealthBreakdown, MarketRisk, PositionRisk, RiskParams
} from "../../types/RiskTypes.sol";
import {
    Account, CachedPrice, EngineState, HealthSettings, LiquidationParams, TokenRiskSlot
} from "../EngineState.sol";
import {AccountCollateral, CollateralLedger, LedgerEntry} from "./CollateralLedger.sol";
import {FixedPoint} from "../../libraries/FixedPoint.sol";
import {MarketConfig, MarketState, PerpMarkets, Position, TradeOutcome} from "./PerpMarkets.sol";
import {OpenMarkets} from "./OpenMarkets.sol";

/// @notice Everything a health evaluation needs, gathered once per call.
struct RiskView {
    HealthBreakdown health;
    AssetRisk[] assets;
    CollateralRisk[] collateral;
    /// @dev Their lot sizes are left zero: valuing a position does not need them (liquidation reads its own).
    MarketRisk[] markets;
    PositionRisk[] positions;
    /// Risk asset id of each entry of `assets`.
    uint256[] assetIds;
    /// The first stale price met, or zero.
    bytes32 stalePriceId;
    /// The key (CollateralLedger.key) of the first counted entry whose report is too old, or zero.
    bytes32 staleReportKey;
    /// Oracle reads made in this evaluation: an asset and a market on the same feed read it once. Allocated
    /// at the first (for `quoteCapacity` reads), so an evaluation served by the price cache allocates none.
    PriceQuote[] quotes;
    uint256 quoteCount;
    /// Distinct prices the evaluation may read: one per entry and one per position at most.
    uint256 quoteCapacity;
    /// Nonzero: prices come from the engine's cache when read at most this many seconds ago (views only).
    uint256 maxCachedPriceAge;
}

/// @notice One oracle read, kept for the rest of an evaluation (and for the price cache).
struct PriceQuote {
    /// Number of the price id (EngineState.priceIds).
    uint256 priceNumber;
    bytes32 priceId;
    uint256 price;
    uint256 kInit;
    uint256 kMaint;
    bool stale;
}

/// @title AccountRisk
/// @notice Builds RiskMath's inputs from the engine's storage (one oracle read per price id) and keeps
/// positions and the settle balance consistent when a position changes.
library AccountRisk {
    using FixedPoint for uint256;
    using CollateralLedger for AccountCollateral;
    using CollateralLedger for LedgerEntry;
    using PerpMarkets for Position;
    using PerpMarkets for MarketState;



    /// @notice Keeps the live reads of an evaluation in the engine's price cache (when the cache is enabled).
    function cacheQuotes(EngineState storage s, RiskView memory risk) internal {
        if (s.settings.maxPriceAge == 0) return;
        for (uint256 i; i < risk.quoteCount; ++i) {
            PriceQuote memory quote = risk.quotes[i];
            cachePrice(s, quote.priceNumber, quote.priceId, quote.price, quote.kInit, quote.kMaint, quote.stale);
        }
    }

    /// @notice Stores one oracle read; a read outside the risk domain's bounds is not cached (views read it live).
    function cachePrice(
        EngineState storage s,
        uint256 number,
        bytes32 priceId,
        uint256 price,
        uint256 kInit,
        uint256 kMaint,
        bool stale
    ) internal {
        if (price > type(uint96).max || kInit > type(uint64).max || kMaint > type(uint64).max) {
            delete s.prices[number];
            return;
        }
        s.prices[number] = CachedPrice({
            price: uint96(price),
            kInit: uint64(kInit),
            kMaint: uint64(kMaint),
            readAt: stale ? 0 : uint32(block.timestamp)
        });
        emit IMarginEngine.PriceCached(priceId, price, kInit, kMaint, stale);
    }

    /// @notice Everything RiskMath needs for `accountAddress`, at live oracle prices, or with `cached` at cached
    /// prices where fresh enough (`maxPriceAge`) and live otherwise: cached prices are for views only, since a
    /// state-changing path must see the oracle as it is now.
    function riskView(EngineState storage s, address accountAddress, bool cached)
        internal
        view
        returns (RiskView memory risk)
    {
        Account storage account = s.accounts[accountAddress];
        HealthSettings memory settings = s.settings;
        if (cached) risk.maxCachedPriceAge = settings.maxPriceAge;
        uint256 openMarkets = account.openMarkets;
        uint256 firstWord = account.collateral.wordOf(0);
        risk.quoteCapacity = CollateralLedger.countIn(firstWord) + OpenMarkets.count(openMarkets);
        _gatherCollateral(s, account.collateral, firstWord, settings.maxReportAge, risk);
        _gatherPositions(s, account, openMarkets, risk);
        // Into the view's own (zero) breakdown.
        RiskMath.writeHealthBreakdown(
            risk.health,
            _healthParams(settings),
            risk.assets,
            risk.markets,
            risk.collateral,
            account.settleBalance,
            risk.positions
        );
    }

    function _gatherPositions(EngineState storage s, Account storage account, uint256 openMarkets, RiskView memory risk)
        private
        view
    {
        uint256 positionCount = OpenMarkets.count(openMarkets);
        MarketRisk[] memory markets;
        PositionRisk[] memory positions;
        {
            (uint256 first, uint256 second) = _pointerArrays(positionCount);
            // Every element is set below before anything reads it.
            assembly ("memory-safe") {
                markets := first
                positions := second
            }
        }
        risk.markets = markets;
        risk.positions = positions;
        for (uint256 i; i < positionCount; ++i) {
            uint256 marketId = OpenMarkets.at(openMarkets, i);
            int256 fundingIndex = _setMarketRisk(s, risk, marketId, markets, i);
            _setPositionRisk(account.positions[marketId], fundingIndex, positions, i);
        }
    }

    /// @dev Reads each of the position's two slots once, rather than the size again for the funding owed.
    function _setPositionRisk(
        Position storage position,
        int256 fundingIndex,
        PositionRisk[] memory positions,
        uint256 index
    ) private view {
        (int256 size, uint256 entryPrice) = (position.size, position.entryPrice);
        int256 fundingOwed = PerpMarkets.fundingOwed(size, position.fundingSnapshot, fundingIndex);
        positions[index] = PositionRisk({marketIndex: index, size: size, entryPrice: entryPrice, fundingOwed: fundingOwed});
    }

    /// @dev The parameters `healthBreakdown` reads; the liquidation ones are left zero.
    function _healthParams(HealthSettings memory settings) private pure returns (RiskParams memory params) {
        params.pnlWeightInit = settings.pnlWeightInit;
        params.liquidationBuffer = settings.liquidationBuffer;
    }

    /// @notice The number of `priceId` in `priceIds`, numbering it if it is new.
    function priceNumber(EngineState storage s, bytes32 priceId) internal returns (uint16) {
        uint256 numberPlusOne = s.priceNumbers[priceId];
        if (numberPlusOne == 0) {
            numberPlusOne = s.priceIds.length + 1;
            // Risk slots keep price numbers in 16 bits.
            if (numberPlusOne > type(uint16).max) revert IMarginEngine.ParameterOutOfBounds("priceIds", numberPlusOne);
            s.priceIds.push(priceId);
            s.priceNumbers[priceId] = numberPlusOne;
        }
        return uint16(numberPlusOne - 1);
    }

    /// @notice The global risk parameters as RiskMath takes them.
    function riskParams(EngineState storage s) internal view returns (RiskParams memory) {
        HealthSettings memory settings = s.settings;
        LiquidationParams memory liquidation = s.liquidationParams;
        return RiskParams({
            pnlWeightInit: settings.pnlWeightInit,
            liquidationBuffer: settings.liquidationBuffer,
            liquidationFee: liquidation.liquidationFee,
            liquidationFeeInsuranceShare: liquidation.liquidationFeeInsuranceShare,
            collateralBonus: liquidation.collateralBonus,
            collateralBonusProtocolShare: liquidation.collateralBonusProtocolShare
        });
    }

    /// @notice Reverts unless every price is fresh and `H^init ≥ 0`: the gate of every risk-increasing action.
    /// Reads the oracle live and caches what it read.
    function requireInitialHealth(EngineState storage s, address account) internal {
        RiskView memory risk = riskView(s, account, false);
        cacheQuotes(s, risk);
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
            uint256 openMarkets = account.openMarkets;
            if (OpenMarkets.count(openMarkets) >= OpenMarkets.MAX) revert IMarginEngine.TooManyPositions(accountAddress);
            account.openMarkets = OpenMarkets.push(openMarkets, marketId);
        } else if (wasOpen && !isOpen) {
            account.openMarkets = OpenMarkets.remove(account.openMarkets, marketId);
        }
    }

    /// @notice Brings the funding index of every market the account trades up to now.
    function accrueAccountFunding(EngineState storage s, address accountAddress) internal {
        uint256 openMarkets = s.accounts[accountAddress].openMarkets;
        uint256 count = OpenMarkets.count(openMarkets);
        for (uint256 i; i < count; ++i) {
            uint256 marketId = OpenMarkets.at(openMarkets, i);
            MarketConfig storage config = s.marketConfigs[marketId];
            s.marketStates[marketId].accrueFunding(config, s.oracle.getPrice(config.priceId).price);
        }
    }

    /// @param word The first word of the account's entry list.
    function _gatherCollateral(
        EngineState storage s,
        AccountCollateral storage ledger,
        uint256 word,
        uint256 maxReportAge,
        RiskView memory risk
    ) private view {
        uint256 entryCount = CollateralLedger.countIn(word);
        CollateralRisk[] memory collateral;
        AssetRisk[] memory assets;
        {
            (uint256 first, uint256 second) = _pointerArrays(entryCount);
            // Every element kept is set below before anything reads it; the arrays end shortened to those.
            assembly ("memory-safe") {
                collateral := first
                assets := second
            }
        }
        uint256[] memory assetIds = new uint256[](entryCount);
        risk.collateral = collateral;
        risk.assets = assets;
        risk.assetIds = assetIds;
        uint256 assetCount;
        uint256 collateralCount;
        for (uint256 i; i < entryCount; ++i) {
            word = ledger.nextWord(word, i);
            (uint256 tokenNumber, LedgerEntry storage entry, uint256 amount) =
                ledger.countedIn(CollateralLedger.laneOf(word, i));
            if (amount == 0) continue;
            if (
                maxReportAge != 0 && risk.staleReportKey == bytes32(0)
                    && block.timestamp > entry.reportedAt + maxReportAge
            ) risk.staleReportKey = s.collateralTokenKeys[tokenNumber];
            assetCount = _setEntryRisk(s, risk, tokenNumber, amount, collateralCount, assetCount);
            unchecked {
                ++collateralCount;
            }
        }
        // Shrink the arrays to what was filled (entries with nothing counted are skipped).
        assembly ("memory-safe") {
            mstore(assets, assetCount)
            mstore(assetIds, assetCount)
            mstore(collateral, collateralCount)
        }
    }

    /// @notice Sets the view's collateral entry `index` and, when the entry's asset is new to the view, the asset.
    /// @return The view's asset count, one more when the entry's asset is new to it.
    function _setEntryRisk(
        EngineState storage s,
        RiskView memory risk,
        uint256 tokenNumber,
        uint256 amount,
        uint256 index,
        uint256 assetCount
    ) private view returns (uint256) {
        TokenRiskSlot storage token = s.tokenRisk[tokenNumber];
        // One read of the slot for the three fields; the asset's terms are read (from the same slot) only
        // when the asset is new to the view.
        (uint256 assetId, uint256 haircut, uint8 decimals) = (token.assetId, token.haircut, token.decimals);
        uint256[] memory assetIds = risk.assetIds;
        uint256 assetIndex;
        // The index of `assetId` among the first `assetCount` ids, or `assetCount`; those are within the array
        // (as long as the entry count), so no bounds check is needed (a read one past them is harmless).
        assembly ("memory-safe") {
            let ids := add(assetIds, 0x20)
            for {} and(lt(assetIndex, assetCount), iszero(eq(mload(add(ids, shl(5, assetIndex))), assetId))) {} {
                assetIndex := add(assetIndex, 1)
            }
        }
        if (assetIndex == assetCount) {
            assetIds[assetIndex] = assetId;
            _setAssetRisk(s, risk, token, assetId, assetIndex);
            unchecked {
                ++assetCount;
            }
        }
        risk.collateral[index] =
            CollateralRisk({assetIndex: assetIndex, haircut: haircut, amount: amount.toWadDown(decimals)});
        return assetCount;
    }

    /// @dev The asset's terms come from the copy in the token's slot; its size factor, which that slot has no
    /// room for, from the asset's config when nonzero.
    function _setAssetRisk(
        EngineState storage s,
        RiskView memory risk,
        TokenRiskSlot storage token,
        uint256 assetId,
        uint256 index
    ) private view {
        (uint256 weightInit, uint256 weightMaint, uint256 number, bool sizeDiscount) =
            (token.weightInit, token.weightMaint, token.priceNumber, token.sizeDiscount);
        uint256 sizeFactor = sizeDiscount ? s.assets[assetId].sizeFactor : 0;
        (uint256 price, uint256 kInit, uint256 kMaint) = _readPrice(s, risk, number);
        risk.assets[index] = AssetRisk({
            price: price,
            weightInit: weightInit,
            weightMaint: weightMaint,
            sizeFactor: sizeFactor,
            kInit: kInit,
            kMaint: kMaint
        });
    }

    /// @dev The lot size is left zero: valuing a position does not need it. The market's terms come from the copy
    /// in its state's risk word; its size factor, which that word has no room for, from its config when nonzero.
    /// @return fundingIndex The market's funding index, from the same word.
    function _setMarketRisk(
        EngineState storage s,
        RiskView memory risk,
        uint256 marketId,
        MarketRisk[] memory markets,
        uint256 index
    ) private view returns (int256 fundingIndex) {
        uint256 marginInit;
        uint256 marginMaint;
        uint256 number;
        bool sizePremium;
        (marginInit, marginMaint, number, sizePremium, fundingIndex) = s.marketStates[marketId].riskTerms();
        uint256 sizeFactor = sizePremium ? s.marketConfigs[marketId].sizeFactor : 0;
        (uint256 markPrice, uint256 kInit, uint256 kMaint) = _readPrice(s, risk, number);
        markets[index] = MarketRisk({
            markPrice: markPrice,
            marginInit: marginInit,
            marginMaint: marginMaint,
            sizeFactor: sizeFactor,
            lotSize: 0,
            kInit: kInit,
            kMaint: kMaint
        });
    }

    /// @dev Memory for two arrays of `length` struct pointers, one after the other, with no struct behind
    /// them yet (`new` would allocate and zero one per element): the caller sets each element it keeps to a
    /// struct built in one piece, before anything reads it.
    function _pointerArrays(uint256 length) private pure returns (uint256 first, uint256 second) {
        assembly ("memory-safe") {
            let size := shl(5, add(length, 1))
            first := mload(0x40)
            mstore(first, length)
            second := add(first, size)
            mstore(second, length)
            mstore(0x40, add(second, size))
        }
    }

    function _readPrice(EngineState storage s, RiskView memory risk, uint256 number)
        private
        view
        returns (uint256 price, uint256 kInit, uint256 kMaint)
    {
        PriceQuote[] memory quotes = risk.quotes;
        uint256 quoteCount = risk.quoteCount;
        for (uint256 i; i < quoteCount; ++i) {
            PriceQuote memory known = quotes[i];
            if (known.priceNumber == number) return (known.price, known.kInit, known.kMaint);
        }
        uint256 maxCachedPriceAge = risk.maxCachedPriceAge;
        if (maxCachedPriceAge != 0) {
            CachedPrice storage cached = s.prices[number];
            uint256 readAt;
            (price, kInit, kMaint, readAt) = (cached.price, cached.kInit, cached.kMaint, cached.readAt);
            // A stale read is cached with readAt = 0, so it never counts as fresh here. A fresh one is not
            // kept as a quote: a second asset or market on it reads the (then warm) slot again.
            // readAt is a past block's timestamp (or its low 32 bits), never above this one's.
            bool fresh;
            unchecked {
                fresh = readAt != 0 && block.timestamp - readAt <= maxCachedPriceAge;
            }
            if (fresh) return (price, kInit, kMaint);
        }
        if (quoteCount == 0) {
            quotes = new PriceQuote[](risk.quoteCapacity);
            risk.quotes = quotes;
        }
        bytes32 priceId = s.priceIds[number];
        IPriceOracle.PriceRead memory read = s.oracle.getPrice(priceId);
        if (read.stale && risk.stalePriceId == bytes32(0)) risk.stalePriceId = priceId;
        (kInit, kMaint) = s.oracle.volatilityMultipliers(priceId);
        // Filled in place, one of the zeroed quotes `new` allocated.
        PriceQuote memory quote = quotes[quoteCount];
        risk.quoteCount = quoteCount + 1;
        quote.priceNumber = number;
        quote.priceId = priceId;
        quote.price = read.price;
        quote.kInit = kInit;
        quote.kMaint = kMaint;
        quote.stale = read.stale;
        return (read.price, kInit, kMaint);
    }
}
