// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IMarginEngine} from "../../interfaces/IMarginEngine.sol";
import {IPriceOracle} from "../../interfaces/IPriceOracle.sol";
import {EngineState} from "../EngineState.sol";
import {AccountRisk} from "../libraries/AccountRisk.sol";
import {FixedPoint} from "../../libraries/FixedPoint.sol";
import {MarketConfig, MarketState, PerpMarkets, TradeOutcome} from "../libraries/PerpMarkets.sol";
import {OpenMarkets} from "../libraries/OpenMarkets.sol";

/// @title TradingLogic
/// @notice The hub's perp venue and its counterparty pool, run by the engine through DELEGATECALL.
library TradingLogic {
    using SafeERC20 for *;
    using FixedPoint for uint256;
    using FixedPoint for int256;
    using PerpMarkets for MarketState;

    /// @notice Adds (marketId = count) or updates a perp market; funding accrues under the old parameters first.
    /// Bounded like every owner setter; the engine checks the caller.
    function configureMarket(EngineState storage s, uint256 marketId, MarketConfig calldata config) public {
        _bounded("marginMaint", config.marginMaint, config.marginInit);
        _bounded("marginInit", config.marginInit, 1e18);
        _bounded("marketSizeFactor", config.sizeFactor, 0.1e18);
        _bounded("takerFee", config.takerFee, 0.01e18);
        _bounded("maxFundingRatePerSecond", config.maxFundingRatePerSecond, 1e13);
        if (config.lotSize == 0) revert IMarginEngine.ParameterOutOfBounds("lotSize", 0);
        // Market states keep open interest in 112 bits.
        _bounded("openInterestCap", config.openInterestCap, type(uint112).max);
        // Open-market lists keep ids in 12 bits.
        _bounded("marketId", marketId, OpenMarkets.ID_LIMIT - 1);
        MarketState storage state = s.marketStates[marketId];
        if (marketId == s.marketConfigs.length) {
            s.marketConfigs.push(config);
            state.lastFundingAt = uint32(block.timestamp);
        } else if (marketId < s.marketConfigs.length) {
            MarketConfig storage current = s.marketConfigs[marketId];
            state.accrueFunding(current, s.oracle.getPrice(current.priceId).price);
            s.marketConfigs[marketId] = config;
        } else {
            revert IMarginEngine.UnknownMarket(marketId);
        }
        state.setRiskTerms(
            config.marginInit,
            config.marginMaint,
            AccountRisk.priceNumber(s, config.priceId),
            config.sizeFactor != 0
        );
        emit IMarginEngine.MarketConfigured(marketId, config.priceId);
    }

    /// @notice See IMarginEngine.trade; `trader` is the engine's msg.sender.
    function trade(EngineState storage s, address trader, uint256 marketId, int256 sizeDelta, uint256 limitPrice)
        public
    {
        if (marketId >= s.marketConfigs.length) revert IMarginEngine.UnknownMarket(marketId);
        MarketConfig storage config = s.marketConfigs[marketId];
        if (sizeDelta == 0) revert IMarginEngine.ZeroAmount();
        if (sizeDelta.abs() % config.lotSize != 0) {
            revert IMarginEngine.LotSizeViolated(marketId, sizeDelta, config.lotSize);
        }
        IPriceOracle.PriceRead memory read = s.oracle.getPrice(config.priceId);
        if (limitPrice != 0 && (sizeDelta > 0 ? read.price > limitPrice : read.price < limitPrice)) {
            revert IMarginEngine.PriceLimitExceeded(read.price, limitPrice);
        }

        TradeOutcome memory outcome = AccountRisk.changePosition(s, trader, marketId, sizeDelta, read.price);
        uint256 fee = outcome.notional.mulUp(config.takerFee);
        s.accounts[trader].settleBalance -= int256(fee);
        s.poolBalance += int256(fee);

        if (outcome.increasesRisk) {
            // A stale price never blocks closing; it blocks anything that adds risk.
            if (read.stale) revert IMarginEngine.StalePrice(config.priceId);
            MarketState storage state = s.marketStates[marketId];
            uint256 openInterest = sizeDelta > 0 ? state.longOpenInterest : state.shortOpenInterest;
            if (openInterest > config.openInterestCap) {
                revert IMarginEngine.OpenInterestCapExceeded(marketId, openInterest, config.openInterestCap);
            }
            AccountRisk.requireInitialHealth(s, trader);
        }
        emit IMarginEngine.PositionChanged(
            trader,
            marketId,
            sizeDelta,
            s.accounts[trader].positions[marketId].size,
            read.price,
            outcome.realizedPnl,
            outcome.fundingPaid,
            fee
        );
    }

    /// @notice Pool value: its balance minus what traders' open positions have gained from it.
    function poolValue(EngineState storage s) public view returns (int256 value) {
        value = s.poolBalance;
        for (uint256 marketId; marketId < s.marketConfigs.length; ++marketId) {
            MarketState storage state = s.marketStates[marketId];
            if (state.longOpenInterest == 0 && state.shortOpenInterest == 0) continue;
            uint256 price = s.oracle.getPrice(s.marketConfigs[marketId].priceId).price;
            value -= state.tradersUnrealizedPnl(price);
        }
    }

    function depositLiquidity(EngineState storage s, address provider, uint256 amount) public returns (uint256 shares) {
        if (amount == 0) revert IMarginEngine.ZeroAmount();
        uint256 wad = amount.toWadDown(s.settleDecimals);
        int256 value = poolValue(s);
        // Shares round down: a deposit never dilutes existing providers.
        shares = s.totalLiquidityShares == 0 || value <= 0 ? wad : wad * s.totalLiquidityShares / uint256(value);
        if (shares == 0) revert IMarginEngine.ZeroAmount();
        s.poolBalance += int256(wad);
        s.totalLiquidityShares += shares;
        s.liquidityShares[provider] += shares;
        emit IMarginEngine.LiquidityDeposited(provider, amount, shares);
        s.settleToken.safeTransferFrom(provider, address(this), amount);
    }

    function withdrawLiquidity(EngineState storage s, address provider, uint256 shares, address to)
        public
        returns (uint256 amount)
    {
        uint256 owned = s.liquidityShares[provider];
        if (shares == 0) revert IMarginEngine.ZeroAmount();
        if (shares > owned) revert IMarginEngine.InsufficientShares(owned, shares);
        int256 value = poolValue(s);
        if (value <= 0) revert IMarginEngine.InsufficientPoolLiquidity(value, shares);
        // Rounds down twice (share of value, then token units): the leaving provider gets no more than its part.
        uint256 wad = uint256(value) * shares / s.totalLiquidityShares;
        if (int256(wad) > s.poolBalance) revert IMarginEngine.InsufficientPoolLiquidity(s.poolBalance, wad);
        amount = wad.fromWadDown(s.settleDecimals);
        s.liquidityShares[provider] = owned - shares;
        s.totalLiquidityShares -= shares;
        s.poolBalance -= int256(amount.toWadDown(s.settleDecimals));
        emit IMarginEngine.LiquidityWithdrawn(provider, to, amount, shares);
        s.settleToken.safeTransfer(to, amount);
    }

    function _bounded(bytes32 parameter, uint256 value, uint256 max) private pure {
        if (value > max) revert IMarginEngine.ParameterOutOfBounds(parameter, value);
    }
}
