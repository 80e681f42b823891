// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
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

/// @notice Aggregates the pool needs: open interest per side, the funding index and Σ size·entry.
struct MarketState {
    uint128 longOpenInterest;
    uint128 shortOpenInterest;
    /// Cumulative funding per unit of long size, USD (18 decimals); longs pay when it rises.
    int128 fundingIndex;
    uint64 lastFundingAt;
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

    /// @notice Accrues funding up to now at `price`: rate = maxRate · clamp(skew / skewScale, −1, 1).
    function accrueFunding(MarketState storage state, MarketConfig storage config, uint256 price) internal {
        uint256 elapsed = block.timestamp - state.lastFundingAt;
        state.lastFundingAt = uint64(block.timestamp);
        if (elapsed == 0 || config.skewScale == 0 || config.maxFundingRatePerSecond == 0) return;
        int256 skew = int256(uint256(state.longOpenInterest)) - int256(uint256(state.shortOpenInterest));
        int256 scale = int256(uint256(config.skewScale));
        if (skew > scale) skew = scale;
        if (skew < -scale) skew = -scale;
        int256 ratePerSecond = skew * int256(uint256(config.maxFundingRatePerSecond)) / scale;
        state.fundingIndex += int128((ratePerSecond * int256(elapsed)).mulFloor(int256(price)));
    }

    /// @notice Funding the position owes since its snapshot (negative: it receives), rounded up.
    function fundingOwed(Position storage position, MarketState storage state) internal view returns (int256) {
        return fundingOwed(position.size, position.fundingSnapshot, state.fundingIndex);
    }

    /// @notice The same for a position of `size` with `fundingSnapshot`, at `fundingIndex`.
    function fundingOwed(int256 size, int128 fundingSnapshot, int128 fundingIndex) internal pure returns (int256) {
        int256 accrued;
        // A difference of two int128 fits in an int256.
        unchecked {
            accrued = int256(fundingIndex) - fundingSnapshot;
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
        outcome.fundingPaid = fundingOwed(position, state);
        int256 oldSize = position.size;
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
        position.fundingSnapshot = state.fundingIndex;
        _addToAggregates(state, newSize, newEntry);
    }

    /// @notice Traders' aggregate unrealized PnL in this market at `price` (the pool's liability).
    function tradersUnrealizedPnl(MarketState storage state, uint256 price) internal view returns (int256) {
        int256 netSize = int256(uint256(state.longOpenInterest)) - int256(uint256(state.shortOpenInterest));
        return netSize.mulCeil(int256(price)) - state.sizeTimesEntry / int256(FixedPoint.WAD);
    }

    function _removeFromAggregates(MarketState storage state, int256 size, uint256 entry) private {
        if (size > 0) state.longOpenInterest -= uint128(uint256(size));
        if (size < 0) state.shortOpenInterest -= uint128(uint256(-size));
        state.sizeTimesEntry -= size * int256(entry);
    }

    function _addToAggregates(MarketState storage state, int256 size, uint256 entry) private {
        if (size > 0) state.longOpenInterest += uint128(uint256(size));
        if (size < 0) state.shortOpenInterest += uint128(uint256(-size));
        state.sizeTimesEntry += size * int256(entry);
    }
}
