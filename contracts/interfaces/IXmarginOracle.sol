// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPriceOracle} from "./IPriceOracle.sol";

/// @notice The hub oracle: owner-configured price sources, a deviation bound between accepted observations,
/// an EWMA volatility estimator per id, and timelocked parameter changes.
/// @dev Units: prices are USD per whole unit with 18 decimals; `maxDeviation`, `sigmaRef`, `kMax` and every
/// multiplier are 18-decimal fractions; σ is annualised (365 days); durations are seconds.
///
/// Observations. Each id keeps an anchor: the last accepted price. `poke` (permissionless, at most once per
/// `minInterval` per id) reads the source and accepts the price when it lies within `maxDeviation` of the
/// anchor. A price beyond the bound is only recorded as a pending jump: `getPrice` flags it stale (risk-increasing
/// actions are blocked, closing and liquidating are not) until a poke at least `minInterval` later sees a price
/// within the bound of the pending one (the jump persisted: it is accepted), or the owner calls `confirmPrice`.
/// A price that returns within the bound of the anchor is accepted normally and drops the pending jump.
/// `getPrice` is a view that never moves the anchor, so keepers and state-changing callers poke to keep it current.
///
/// Volatility. Every accepted observation with log return `r = ln(price / anchor)`, `Δt` seconds after the previous
/// one, updates the annualised variance `v` with a time-weighted EWMA of window `τ`:
/// `v ← v + (r²·Y − v·Δt)/τ` while `Δt < τ`, and `v ← r²·Y/Δt` once `Δt ≥ τ` (Y = 365 days). Each squared return
/// enters with weight `Y/τ` and the prior decays in proportion to time, so how often an id is poked does not bias σ.
/// `σ = √v`, `k = clamp(σ/σ_ref, 1, k_max)`. A rise of k takes effect at once for `kInit` and ramps `kMaint`
/// linearly from its current value to the new k over `rampDuration` (a further rise restarts the ramp from where
/// `kMaint` stands); a fall lowers `kInit` at once and `kMaint` at once to at most the new k.
interface IXmarginOracle is IPriceOracle {
    /// @notice Where the price of an id comes from.
    enum SourceKind {
        // A Chainlink-style aggregator quoting USD per unit.
        Chainlink,
        // An ERC-4626 vault share: `convertToAssets(one share)` times the price of `underlyingId`.
        Erc4626
    }

    /// @notice Why the anchor of an id moved.
    enum AcceptReason {
        // The id was added or its source replaced; no return is fed to the estimator.
        SourceSet,
        // A poke saw a price within `maxDeviation` of the anchor.
        WithinBound,
        // A poke saw a pending jump persist for `minInterval`.
        JumpConfirmed,
        // The owner confirmed the current source price.
        OwnerConfirmed
    }

    /// @notice Bounded parameters, named in `ParameterOutOfBounds`.
    enum Parameter {
        MaxAge,
        MinInterval,
        MaxDeviation,
        SigmaRef,
        KMax,
        Window,
        RampDuration,
        Delay
    }

    /// @notice Volatility estimator parameters; `sigmaRef == 0` disables the estimator (k stays 1) and the
    /// other fields are then ignored.
    /// @param sigmaRef Reference annualised volatility σ_ref (18 decimals); k = σ/σ_ref before clamping.
    /// @param kMax Upper clamp of k (18 decimals), between 1e18 and 5e18.
    /// @param window EWMA window τ in seconds; at least `minInterval`.
    /// @param rampDuration Seconds over which a rise of k reaches `kMaint`.
    struct VolatilityConfig {
        uint64 sigmaRef;
        uint64 kMax;
        uint32 window;
        uint32 rampDuration;
    }

    /// @notice Owner-set configuration of one id.
    /// @param kind Source type.
    /// @param source The aggregator (Chainlink) or the vault (Erc4626).
    /// @param maxAge Chainlink only: an answer older than `maxAge` seconds is stale; zero for Erc4626, whose
    /// staleness is the underlying's.
    /// @param minInterval Minimum seconds between accepted observations, and the time a jump must persist.
    /// @param maxDeviation Largest relative move from the anchor accepted without confirmation (18 decimals).
    /// @param underlyingId Erc4626 only: the Chainlink id pricing the vault's asset; zero for Chainlink.
    /// @param volatility Estimator parameters.
    struct PriceConfig {
        SourceKind kind;
        address source;
        uint32 maxAge;
        uint32 minInterval;
        uint64 maxDeviation;
        bytes32 underlyingId;
        VolatilityConfig volatility;
    }

    /// @notice The accepted anchor and any pending jump of an id.
    /// @param price Last accepted price (18 decimals).
    /// @param acceptedAt Timestamp of that acceptance.
    /// @param pendingPrice Price beyond the deviation bound awaiting confirmation; zero when none.
    /// @param pendingSince Timestamp the pending price was first seen; zero when none.
    struct Observation {
        uint128 price;
        uint64 acceptedAt;
        uint128 pendingPrice;
        uint64 pendingSince;
    }

    /// @notice Estimator state of an id. `kMaint` moves linearly from `kMaintFrom` at `rampStart` to `kInit` at
    /// `rampEnd`, and equals `kInit` from `rampEnd` on.
    /// @param variance Annualised variance of log returns (18 decimals).
    /// @param kInit Current init-tier multiplier (18 decimals).
    /// @param kMaintFrom Maint-tier multiplier at `rampStart`.
    /// @param rampStart Start of the current maint ramp.
    /// @param rampEnd End of the current maint ramp.
    struct VolatilityState {
        uint256 variance;
        uint64 kInit;
        uint64 kMaintFrom;
        uint40 rampStart;
        uint40 rampEnd;
    }

    /// @notice A new id was configured; it applies at once.
    event PriceIdAdded(bytes32 indexed id, PriceConfig config);
    /// @notice A configuration change was queued.
    event ConfigProposed(bytes32 indexed id, PriceConfig config, uint256 executableAt);
    /// @notice A queued configuration change was dropped.
    event ConfigProposalCancelled(bytes32 indexed id);
    /// @notice A queued configuration change took effect.
    event ConfigExecuted(bytes32 indexed id, PriceConfig config);
    /// @notice A change of the timelock delay was queued.
    event DelayProposed(uint256 delay, uint256 executableAt);
    /// @notice The timelock delay changed.
    event DelayChanged(uint256 previousDelay, uint256 newDelay);
    /// @notice The anchor of `id` moved to `price`; `logReturn` (18 decimals) is what the estimator received
    /// (zero for `SourceSet`).
    event PriceAccepted(bytes32 indexed id, uint256 price, int256 logReturn, AcceptReason reason);
    /// @notice A poke saw `observedPrice` beyond the deviation bound around `anchorPrice`; it awaits confirmation.
    event PriceJumpPending(bytes32 indexed id, uint256 anchorPrice, uint256 observedPrice);
    /// @notice The estimator of `id` moved: annualised `sigma`, `kInit`, and the maint ramp now heading to `kInit`
    /// from `kMaint` (its current value) until `rampEnd`.
    event VolatilityUpdated(bytes32 indexed id, uint256 sigma, uint256 kInit, uint256 kMaint, uint256 rampEnd);

    /// @notice `addPriceId` for an id that already has a source.
    error PriceIdExists(bytes32 id);
    /// @notice A parameter lies outside `[min, max]`.
    error ParameterOutOfBounds(Parameter parameter, uint256 value, uint256 min, uint256 max);
    /// @notice The source address is zero.
    error InvalidSource(bytes32 id, address source);
    /// @notice The underlying id is unknown, the id itself or not a Chainlink id (Erc4626), or set for a Chainlink id.
    error InvalidUnderlying(bytes32 id, bytes32 underlyingId);
    /// @notice The source quotes with more than 36 decimals.
    error UnsupportedDecimals(bytes32 id, uint8 decimals);
    /// @notice Nothing is queued for `id`.
    error NoPendingConfig(bytes32 id);
    /// @notice No delay change is queued.
    error NoPendingDelay();
    /// @notice The queued change may only execute from `executableAt`.
    error TimelockNotElapsed(uint256 executableAt);
    /// @notice The source of `id` is stale, so its price cannot be confirmed.
    error StalePrice(bytes32 id);

    /// @notice Configures a brand-new id; applies at once and anchors the current source price.
    function addPriceId(bytes32 id, PriceConfig calldata config) external;

    /// @notice Queues a new configuration for a known id, executable after `delay()`; replaces any queued one.
    function proposeConfig(bytes32 id, PriceConfig calldata config) external;

    /// @notice Applies the queued configuration of `id` once its delay has passed; anyone may call.
    /// @dev A changed source re-anchors at its current price and drops any pending jump.
    function executeConfig(bytes32 id) external;

    /// @notice Drops the queued configuration of `id`.
    function cancelConfig(bytes32 id) external;

    /// @notice Queues a new timelock delay, executable after the current delay.
    function proposeDelay(uint256 newDelay) external;

    /// @notice Applies the queued delay once the current delay has passed; anyone may call.
    function executeDelay() external;

    /// @notice Accepts the current source price of `id` as its anchor at once, confirming a jump beyond the
    /// deviation bound; feeds the estimator like a poke.
    function confirmPrice(bytes32 id) external;

    /// @notice Reads the source of `id` and, at most once per `minInterval`, accepts the price or records a jump.
    /// @dev Never reverts for timing or staleness, so state-changing callers may poke unconditionally.
    /// @return accepted True when the anchor (and the estimator) moved.
    function poke(bytes32 id) external returns (bool accepted);

    /// @notice Annualised volatility σ of `id` (18 decimals); zero without an estimator.
    function volatility(bytes32 id) external view returns (uint256 sigma);

    /// @notice Estimator state of `id`, for off-chain projection of the maint ramp.
    function volatilityState(bytes32 id) external view returns (VolatilityState memory);

    /// @notice Anchor and pending jump of `id`.
    function observation(bytes32 id) external view returns (Observation memory);

    /// @notice Current configuration of `id`.
    function priceConfig(bytes32 id) external view returns (PriceConfig memory);

    /// @notice Queued configuration of `id`; `executableAt` is zero when none.
    function pendingConfig(bytes32 id) external view returns (PriceConfig memory config, uint256 executableAt);

    /// @notice Current timelock delay in seconds.
    function delay() external view returns (uint256);

    /// @notice Queued delay; `executableAt` is zero when none.
    function pendingDelay() external view returns (uint256 newDelay, uint256 executableAt);
}
