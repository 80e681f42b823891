// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IAggregatorV3} from "../../interfaces/IAggregatorV3.sol";
import {IPriceOracle} from "../../interfaces/IPriceOracle.sol";
import {IXmarginOracle} from "../../interfaces/IXmarginOracle.sol";
import {LogMath} from "./LogMath.sol";
import {VolatilityEstimator} from "./VolatilityEstimator.sol";

/// @notice The hub's price oracle: Chainlink and ERC-4626 sources, a deviation bound, an EWMA volatility estimator
/// and timelocked configuration. Behaviour and units are specified on `IXmarginOracle`.
/// @dev Sources are only ever called through `view` functions, i.e. STATICCALL: they cannot re-enter to change state.
contract XmarginOracle is IXmarginOracle, Ownable2Step {
    using SafeCast for uint256;
    using VolatilityEstimator for VolatilityState;

    uint256 private constant WAD = 1e18;
    uint256 private constant MAX_DECIMALS = 36;

    uint256 public constant MIN_MAX_AGE = 1 minutes;
    uint256 public constant MAX_MAX_AGE = 1 days;
    uint256 public constant MIN_MIN_INTERVAL = 1 minutes;
    uint256 public constant MAX_MIN_INTERVAL = 1 days;
    uint256 public constant MIN_MAX_DEVIATION = 0.01e18;
    uint256 public constant MAX_MAX_DEVIATION = 1e18;
    uint256 public constant MIN_SIGMA_REF = 0.01e18;
    uint256 public constant MAX_SIGMA_REF = 10e18;
    uint256 public constant MIN_K_MAX = 1e18;
    uint256 public constant MAX_K_MAX = 5e18;
    uint256 public constant MAX_WINDOW = 90 days;
    uint256 public constant MAX_RAMP_DURATION = 7 days;
    uint256 public constant MIN_DELAY = 1 hours;
    uint256 public constant MAX_DELAY = 14 days;

    /// @dev Laid out so that a Chainlink read touches three slots: `config` slots 0 and 1 and the anchor slot.
    struct PriceFeed {
        PriceConfig config;
        uint128 anchorPrice;
        uint64 anchorAt;
        // Cached when the source is set: aggregator or share decimals, and the vault asset's decimals.
        uint8 sourceDecimals;
        uint8 assetDecimals;
        uint128 pendingPrice;
        uint64 pendingSince;
        VolatilityState volatility;
    }

    struct PendingConfig {
        PriceConfig config;
        uint256 executableAt;
    }

    /// @inheritdoc IXmarginOracle
    uint256 public delay;

    mapping(bytes32 id => PriceFeed) private _feeds;
    mapping(bytes32 id => PendingConfig) private _pendingConfigs;
    uint256 private _pendingDelay;
    uint256 private _pendingDelayExecutableAt;

    constructor(address initialOwner, uint256 initialDelay) Ownable(initialOwner) {
        _checkBounds(Parameter.Delay, initialDelay, MIN_DELAY, MAX_DELAY);
        delay = initialDelay;
        emit DelayChanged(0, initialDelay);
    }

    /// @inheritdoc IPriceOracle
    function getPrice(bytes32 id) external view returns (PriceRead memory read) {
        (read.price, read.stale) = _read(_feed(id), id);
    }

    /// @inheritdoc IPriceOracle
    function volatilityMultipliers(bytes32 id) external view returns (uint256 kInit, uint256 kMaint) {
        PriceFeed storage feed = _feed(id);
        if (feed.config.volatility.sigmaRef == 0) return (WAD, WAD);
        return feed.volatility.multipliers();
    }

    /// @inheritdoc IXmarginOracle
    function volatility(bytes32 id) external view returns (uint256 sigma) {
        PriceFeed storage feed = _feed(id);
        if (feed.config.volatility.sigmaRef == 0) return 0;
        return feed.volatility.sigma();
    }

    /// @inheritdoc IXmarginOracle
    function volatilityState(bytes32 id) external view returns (VolatilityState memory) {
        return _feed(id).volatility;
    }

    /// @inheritdoc IXmarginOracle
    function observation(bytes32 id) external view returns (Observation memory) {
        PriceFeed storage feed = _feed(id);
        return Observation(feed.anchorPrice, feed.anchorAt, feed.pendingPrice, feed.pendingSince);
    }

    /// @inheritdoc IXmarginOracle
    function priceConfig(bytes32 id) external view returns (PriceConfig memory) {
        return _feed(id).config;
    }

    /// @inheritdoc IXmarginOracle
    function pendingConfig(bytes32 id) external view returns (PriceConfig memory config, uint256 executableAt) {
        PendingConfig storage pending = _pendingConfigs[id];
        return (pending.config, pending.executableAt);
    }

    /// @inheritdoc IXmarginOracle
    function pendingDelay() external view returns (uint256 newDelay, uint256 executableAt) {
        return (_pendingDelay, _pendingDelayExecutableAt);
    }

    /// @inheritdoc IXmarginOracle
    function poke(bytes32 id) external returns (bool accepted) {
        PriceFeed storage feed = _feed(id);
        uint256 minInterval = feed.config.minInterval;
        if (block.timestamp < feed.anchorAt + minInterval) return false;
        (uint256 price, bool stale) = _readSource(feed, id);
        if (stale) return false;

        uint256 maxDeviation = feed.config.maxDeviation;
        if (!_beyondBound(price, feed.anchorPrice, maxDeviation)) {
            _accept(feed, id, price, AcceptReason.WithinBound);
            return true;
        }
        uint256 pendingSince = feed.pendingSince;
        if (pendingSince != 0 && !_beyondBound(price, feed.pendingPrice, maxDeviation)) {
            if (block.timestamp < pendingSince + minInterval) return false;
            _accept(feed, id, price, AcceptReason.JumpConfirmed);
            return true;
        }
        feed.pendingPrice = price.toUint128();
        feed.pendingSince = uint64(block.timestamp);
        emit PriceJumpPending(id, feed.anchorPrice, price);
        return false;
    }

    /// @inheritdoc IXmarginOracle
    function confirmPrice(bytes32 id) external onlyOwner {
        PriceFeed storage feed = _feed(id);
        (uint256 price, bool stale) = _readSource(feed, id);
        if (stale) revert StalePrice(id);
        _accept(feed, id, price, AcceptReason.OwnerConfirmed);
    }

    /// @inheritdoc IXmarginOracle
    function addPriceId(bytes32 id, PriceConfig calldata config) external onlyOwner {
        PriceFeed storage feed = _feeds[id];
        if (feed.config.source != address(0)) revert PriceIdExists(id);
        _validate(id, config);
        feed.config = config;
        emit PriceIdAdded(id, config);
        _setSource(feed, id);
        if (config.volatility.sigmaRef != 0) {
            feed.volatility.seed(config.volatility.sigmaRef);
            _emitVolatility(feed, id);
        }
    }

    /// @inheritdoc IXmarginOracle
    function proposeConfig(bytes32 id, PriceConfig calldata config) external onlyOwner {
        // Reverts for an unknown id: a new id has nothing to protect and goes through `addPriceId`.
        _feed(id);
        _validate(id, config);
        uint256 executableAt = block.timestamp + delay;
        _pendingConfigs[id] = PendingConfig(config, executableAt);
        emit ConfigProposed(id, config, executableAt);
    }

    /// @inheritdoc IXmarginOracle
    function executeConfig(bytes32 id) external {
        PendingConfig storage pending = _pendingConfigs[id];
        uint256 executableAt = pending.executableAt;
        if (executableAt == 0) revert NoPendingConfig(id);
        if (block.timestamp < executableAt) revert TimelockNotElapsed(executableAt);
        PriceConfig memory config = pending.config;
        delete _pendingConfigs[id];
        // Other ids may have changed since the proposal: an underlying must still be a Chainlink id.
        _validate(id, config);

        PriceFeed storage feed = _feeds[id];
        PriceConfig memory previous = feed.config;
        feed.config = config;
        emit ConfigExecuted(id, config);
        if (
            config.kind != previous.kind || config.source != previous.source
                || config.underlyingId != previous.underlyingId
        ) _setSource(feed, id);

        if (config.volatility.sigmaRef == 0) {
            delete feed.volatility;
            return;
        }
        if (previous.volatility.sigmaRef == 0) feed.volatility.seed(config.volatility.sigmaRef);
        else feed.volatility.retarget(config.volatility);
        _emitVolatility(feed, id);
    }

    /// @inheritdoc IXmarginOracle
    function cancelConfig(bytes32 id) external onlyOwner {
        if (_pendingConfigs[id].executableAt == 0) revert NoPendingConfig(id);
        delete _pendingConfigs[id];
        emit ConfigProposalCancelled(id);
    }

    /// @inheritdoc IXmarginOracle
    function proposeDelay(uint256 newDelay) external onlyOwner {
        _checkBounds(Parameter.Delay, newDelay, MIN_DELAY, MAX_DELAY);
        uint256 executableAt = block.timestamp + delay;
        _pendingDelay = newDelay;
        _pendingDelayExecutableAt = executableAt;
        emit DelayProposed(newDelay, executableAt);
    }

    /// @inheritdoc IXmarginOracle
    function executeDelay() external {
        uint256 executableAt = _pendingDelayExecutableAt;
        if (executableAt == 0) revert NoPendingDelay();
        if (block.timestamp < executableAt) revert TimelockNotElapsed(executableAt);
        uint256 previousDelay = delay;
        uint256 newDelay = _pendingDelay;
        delay = newDelay;
        delete _pendingDelay;
        delete _pendingDelayExecutableAt;
        emit DelayChanged(previousDelay, newDelay);
    }

    function _feed(bytes32 id) private view returns (PriceFeed storage feed) {
        feed = _feeds[id];
        if (feed.config.source == address(0)) revert UnknownPriceId(id);
    }

    /// @dev Source price, flagged stale when the source is stale or the price lies beyond the deviation bound.
    function _read(PriceFeed storage feed, bytes32 id) private view returns (uint256 price, bool stale) {
        (price, stale) = _readSource(feed, id);
        stale = stale || _beyondBound(price, feed.anchorPrice, feed.config.maxDeviation);
    }

    /// @dev Source price in 18 decimals and whether the source itself is stale; reverts on a non-positive price.
    function _readSource(PriceFeed storage feed, bytes32 id) private view returns (uint256 price, bool stale) {
        if (feed.config.kind == SourceKind.Chainlink) {
            (uint80 roundId, int256 answer,, uint256 updatedAt, uint80 answeredInRound) =
                IAggregatorV3(feed.config.source).latestRoundData();
            if (answer <= 0) revert InvalidPrice(id, answer);
            price = _toWad(uint256(answer), feed.sourceDecimals);
            if (price == 0) revert InvalidPrice(id, answer);
            // updatedAt is zero while a round is incomplete; answeredInRound < roundId means a carried-over answer.
            stale = updatedAt == 0 || updatedAt > block.timestamp || block.timestamp - updatedAt > feed.config.maxAge
                || answeredInRound < roundId;
        } else {
            bytes32 underlyingId = feed.config.underlyingId;
            uint256 assetPrice;
            (assetPrice, stale) = _read(_feeds[underlyingId], underlyingId);
            uint256 assetsPerShare = IERC4626(feed.config.source).convertToAssets(10 ** feed.sourceDecimals);
            // Rounds down: collateral is valued on the protocol's side.
            price = Math.mulDiv(assetsPerShare, assetPrice, 10 ** feed.assetDecimals);
            if (price == 0) revert InvalidPrice(id, 0);
        }
    }

    /// @dev |price − anchor| / anchor > maxDeviation, without a division.
    function _beyondBound(uint256 price, uint256 anchor, uint256 maxDeviation) private pure returns (bool) {
        uint256 move = price > anchor ? price - anchor : anchor - price;
        return move * WAD > maxDeviation * anchor;
    }

    function _accept(PriceFeed storage feed, bytes32 id, uint256 price, AcceptReason reason) private {
        int256 logReturn = LogMath.lnRatio(price, feed.anchorPrice);
        uint256 elapsed = block.timestamp - feed.anchorAt;
        _anchor(feed, price);
        emit PriceAccepted(id, price, logReturn, reason);

        VolatilityConfig memory config = feed.config.volatility;
        if (config.sigmaRef == 0) return;
        feed.volatility.observe(config, logReturn, elapsed);
        _emitVolatility(feed, id);
    }

    /// @dev Caches the source's decimals and anchors its current price; the estimator keeps its state because it
    /// describes the asset, not the source.
    function _setSource(PriceFeed storage feed, bytes32 id) private {
        address source = feed.config.source;
        uint8 sourceDecimals;
        if (feed.config.kind == SourceKind.Chainlink) {
            sourceDecimals = IAggregatorV3(source).decimals();
        } else {
            sourceDecimals = IERC4626(source).decimals();
            uint8 assetDecimals = IERC20Metadata(IERC4626(source).asset()).decimals();
            if (assetDecimals > MAX_DECIMALS) revert UnsupportedDecimals(id, assetDecimals);
            feed.assetDecimals = assetDecimals;
        }
        if (sourceDecimals > MAX_DECIMALS) revert UnsupportedDecimals(id, sourceDecimals);
        feed.sourceDecimals = sourceDecimals;

        (uint256 price,) = _readSource(feed, id);
        _anchor(feed, price);
        emit PriceAccepted(id, price, 0, AcceptReason.SourceSet);
    }

    function _anchor(PriceFeed storage feed, uint256 price) private {
        feed.anchorPrice = price.toUint128();
        feed.anchorAt = uint64(block.timestamp);
        delete feed.pendingPrice;
        delete feed.pendingSince;
    }

    function _emitVolatility(PriceFeed storage feed, bytes32 id) private {
        (uint256 kInit, uint256 kMaint) = feed.volatility.multipliers();
        emit VolatilityUpdated(id, feed.volatility.sigma(), kInit, kMaint, feed.volatility.rampEnd);
    }

    function _validate(bytes32 id, PriceConfig memory config) private view {
        if (config.source == address(0)) revert InvalidSource(id, config.source);
        if (config.kind == SourceKind.Chainlink) {
            if (config.underlyingId != bytes32(0)) revert InvalidUnderlying(id, config.underlyingId);
            _checkBounds(Parameter.MaxAge, config.maxAge, MIN_MAX_AGE, MAX_MAX_AGE);
        } else {
            PriceConfig storage underlying = _feeds[config.underlyingId].config;
            // Only Chainlink ids may underlie a vault, which keeps the graph of sources acyclic.
            if (
                config.underlyingId == id || underlying.source == address(0) || underlying.kind != SourceKind.Chainlink
            ) revert InvalidUnderlying(id, config.underlyingId);
            _checkBounds(Parameter.MaxAge, config.maxAge, 0, 0);
        }
        _checkBounds(Parameter.MinInterval, config.minInterval, MIN_MIN_INTERVAL, MAX_MIN_INTERVAL);
        _checkBounds(Parameter.MaxDeviation, config.maxDeviation, MIN_MAX_DEVIATION, MAX_MAX_DEVIATION);

        VolatilityConfig memory estimator = config.volatility;
        if (estimator.sigmaRef == 0) return;
        _checkBounds(Parameter.SigmaRef, estimator.sigmaRef, MIN_SIGMA_REF, MAX_SIGMA_REF);
        _checkBounds(Parameter.KMax, estimator.kMax, MIN_K_MAX, MAX_K_MAX);
        _checkBounds(Parameter.Window, estimator.window, config.minInterval, MAX_WINDOW);
        _checkBounds(Parameter.RampDuration, estimator.rampDuration, 0, MAX_RAMP_DURATION);
    }

    function _checkBounds(Parameter parameter, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert ParameterOutOfBounds(parameter, value, min, max);
    }

    /// @dev Rounds down when the source has more than 18 decimals.
    function _toWad(uint256 amount, uint256 decimals) private pure returns (uint256) {
        return decimals <= 18 ? amount * 10 ** (18 - decimals) : amount / 10 ** (decimals - 18);
    }
}
