// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {FixedPoint} from "../../libraries/FixedPoint.sol";

/// @notice Owner-set parameters of a perpetual market (all 18 decimals unless noted).
struct MarketConfig {
    bytes32 priceId;
    uint64 marginInit;
    uint64 marginMaint;
    uint64 sizeFactor;
    uint64 takerFee;
    uint128 lotSize;
    /// Cap on each side's open interest, in base units.
    uint128 openInterestCap;
    /// Funding rate per second at full skew (skew = skewScale).
    uint64 maxFundingRatePerSecond;
    /// Net size at which the funding rate reaches its maximum.
    uint128 skewScale;
}

/// @notice A market's funding index, beside what valuing a position needs of its config, and the aggregates
/// the pool needs: open interest per side and Σ size·entry.
struct MarketState {
    /// Packed (`riskTerms`), so that a health evaluation reads one slot per position's market: margin fractions,
    /// price number, whether a size premium applies (copies of the config, `setRiskTerms`), and the cumulative
    /// funding per unit of long size, USD (18 decimals), which longs pay when it rises.
    uint256 riskWord;
    /// 112 bits each (`configureMarket` caps open interest below 2^112), beside the last accrual's time.
    uint112 longOpenInterest;
    uint112 shortOpenInterest;
    uint32 lastFundingAt;
    /// Σ size·entryPrice over open positions, for the pool's unrealized PnL.
    int256 sizeTimesEntry;
}

/// @notice One account's net position in one market.
struct Position {
    int128 size;
    uint128 entryPrice;
    int128 fundingSnapshot;
}

/// @notice Result of a position change, for the caller's settle-balance accounting.
struct TradeOutcome {
    int256 realizedPnl;
    int256 fundingPaid;
    uint256 notional;
    bool increasesRisk;
}

/// @title PerpMarkets
/// @notice Position and market bookkeeping of the hub's perp venue: netting into one position per
/// market, average entry prices, realized PnL, open interest and a skew-based funding index.
/// Rounding favours the protocol: realized PnL and funding received round down, funding owed up.
library PerpMarkets {
    using FixedPoint for uint256;
    using FixedPoint for int256;

    // The risk word, from its low bits: marginInit (60 bits), marginMaint (60), price number (16), the size
    // premium flag (1), then the funding index (119 bits, two's complement). Margin fractions are at most 1e18
    // (`configureMarket`), below 2^60. The masks are literals: an expression of constants is evaluated, checked,
    // at every use.
    uint256 private constant MARGIN_MASK = 0xfffffffffffffff;
    uint256 private constant MARGIN_MAINT_SHIFT = 60;
    uint256 private constant PRICE_NUMBER_SHIFT = 120;
    uint256 private constant PRICE_NUMBER_MASK = 0xffff;
    uint256 private constant SIZE_PREMIUM_FLAG = 1 << 136;
    uint256 private constant FUNDING_SHIFT = 137;
    /// The bits below the funding index.
    uint256 private constant TERMS_MASK = 0x1ffffffffffffffffffffffffffffffffff;
    uint8 private constant FUNDING_BITS = 119;
    /// 2^118 − 1: at the largest funding rate (`configureMarket`) and the largest price of the risk domain
    /// (2^96), the index takes over 13,000 years to get there.
    int256 private constant FUNDING_INDEX_MAX = 0x3fffffffffffffffffffffffffffff;

    /// @notice What valuing a position needs of its market, from one slot: the margin fractions, the price
    /// number, whether the config's size factor is nonzero (it is not copied), and the funding index.
    function riskTerms(MarketState storage state)
        internal
        view
        returns (uint256 marginInit, uint256 marginMaint, uint256 priceNumber, bool sizePremium, int256 index)
    {
        uint256 word = state.riskWord;
        marginInit = word & MARGIN_MASK;
        marginMaint = (word >> MARGIN_MAINT_SHIFT) & MARGIN_MASK;
        priceNumber = (word >> PRICE_NUMBER_SHIFT) & PRICE_NUMBER_MASK;
        sizePremium = word & SIZE_PREMIUM_FLAG != 0;
        index = _fundingIndexIn(word);
    }

    /// @notice Cumulative funding per unit of long size, USD (18 decimals); longs pay when it rises.
    function fundingIndex(MarketState storage state) internal view returns (int256) {
        return _fundingIndexIn(state.riskWord);
    }

    /// @notice Copies a market's config terms into its risk word, keeping the funding index.
    /// @dev The caller has checked both margin fractions ≤ 1e18; price numbers are below 2^16.
    function setRiskTerms(
        MarketState storage state,
        uint256 marginInit,
        uint256 marginMaint,
        uint256 priceNumber,
        bool sizePremium
    ) internal {
        state.riskWord = (state.riskWord & ~TERMS_MASK) | marginInit | (marginMaint << MARGIN_MAINT_SHIFT)
            | (priceNumber << PRICE_NUMBER_SHIFT) | (sizePremium ? SIZE_PREMIUM_FLAG : 0);
    }

    /// @notice Accrues funding up to now at `price`: rate = maxRate · clamp(skew / skewScale, −1, 1).
    function accrueFunding(MarketState storage state, MarketConfig storage config, uint256 price) internal {
        uint256 elapsed = block.timestamp - state.lastFundingAt;
        state.lastFundingAt = uint32(block.timestamp);
        if (elapsed == 0 || config.skewScale == 0 || config.maxFundingRatePerSecond == 0) return;
        int256 skew = int256(uint256(state.longOpenInterest)) - int256(uint256(state.shortOpenInterest));
        if (skew == 0) return;
        int256 scale = int256(uint256(config.skewScale));
        if (skew > scale) skew = scale;
        if (skew < -scale) skew = -scale;
        int256 ratePerSecond = skew * int256(uint256(config.maxFundingRatePerSecond)) / scale;
        int256 index = fundingIndex(state) + (ratePerSecond * int256(elapsed)).mulFloor(int256(price));
        if (index > FUNDING_INDEX_MAX || index < -FUNDING_INDEX_MAX - 1) {
            revert SafeCast.SafeCastOverflowedIntDowncast(FUNDING_BITS, index);
        }
        // The index fits its 119 bits: shifted to the top, its two's complement keeps its sign bit there.
        state.riskWord = (state.riskWord & TERMS_MASK) | (uint256(index) << FUNDING_SHIFT);
    }

    /// @notice Funding a position of `size` with `fundingSnapshot` owes at `index` (negative: it receives),
    /// rounded up.
    function fundingOwed(int256 size, int128 fundingSnapshot, int256 index) internal pure returns (int256) {
        int256 accrued;
        // The index fits 119 bits (`accrueFunding`) and the snapshot 128: their difference fits an int256.
        unchecked {
            accrued = index - fundingSnapshot;
        }
        return size.mulCeil(accrued);
    }

    /// @notice Applies a signed size change at `price`, netting against the existing position.
    function trade(
        Position storage position,
        MarketState storage state,
        int256 sizeDelta,
        uint256 price
    ) internal returns (TradeOutcome memory outcome) {
        int256 index = fundingIndex(state);
        int256 oldSize = position.size;
        outcome.fundingPaid = fundingOwed(oldSize, position.fundingSnapshot, index);
        int256 newSize = oldSize + sizeDelta;
        uint256 entry = position.entryPrice;
        outcome.notional = sizeDelta.abs().mulUp(price);
        // Growing, or flipping to the other side, adds risk; shrinking toward zero does not.
        outcome.increasesRisk = newSize.abs() > oldSize.abs() || (newSize != 0 && (newSize > 0) != (oldSize > 0));

        _removeFromAggregates(state, oldSize, entry);
        uint256 newEntry;
        if (oldSize == 0 || (oldSize > 0) == (sizeDelta > 0)) {
            // Increase: size-weighted average entry, rounded against the trader (longs up, shorts down).
            uint256 weighted = oldSize.abs() * entry + sizeDelta.abs() * price;
            uint256 total = newSize.abs();
            newEntry = newSize > 0 ? Math.ceilDiv(weighted, total) : weighted / total;
        } else {
            uint256 closed = sizeDelta.abs() < oldSize.abs() ? sizeDelta.abs() : oldSize.abs();
            int256 perUnit = int256(price) - int256(entry);
            if (oldSize < 0) perUnit = -perUnit;
            outcome.realizedPnl = perUnit.mulFloor(int256(closed));
            // Flipped through zero: the remainder opens at the trade price.
            newEntry = newSize == 0 ? 0 : ((newSize > 0) == (oldSize > 0) ? entry : price);
        }
        position.size = int128(newSize);
        position.entryPrice = uint128(newEntry);
        // The index fits 119 bits.
        position.fundingSnapshot = int128(index);
        _addToAggregates(state, newSize, newEntry);
    }

    /// @notice Traders' aggregate unrealized PnL in this market at `price` (the pool's liability).
    function tradersUnrealizedPnl(MarketState storage state, uint256 price) internal view returns (int256) {
        int256 netSize = int256(uint256(state.longOpenInterest)) - int256(uint256(state.shortOpenInterest));
        return netSize.mulCeil(int256(price)) - state.sizeTimesEntry / int256(FixedPoint.WAD);
    }

    /// @dev `size` was added (`_addToAggregates`), so it fits 112 bits.
    function _removeFromAggregates(MarketState storage state, int256 size, uint256 entry) private {
        if (size > 0) state.longOpenInterest -= uint112(uint256(size));
        if (size < 0) state.shortOpenInterest -= uint112(uint256(-size));
        state.sizeTimesEntry -= size * int256(entry);
    }

    /// @dev Open interest beyond 112 bits reverts, like a size beyond its cap (`configureMarket` keeps caps below).
    function _addToAggregates(MarketState storage state, int256 size, uint256 entry) private {
        if (size > 0) state.longOpenInterest += SafeCast.toUint112(uint256(size));
        if (size < 0) state.shortOpenInterest += SafeCast.toUint112(uint256(-size));
        state.sizeTimesEntry += size * int256(entry);
    }

    /// @dev Arithmetic shift: the index's sign bit is the word's top bit.
    function _fundingIndexIn(uint256 word) private pure returns (int256) {
        return int256(word) >> FUNDING_SHIFT;
    }
}
