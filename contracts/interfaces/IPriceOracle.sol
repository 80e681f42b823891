// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Prices and volatility multipliers for the hub's risk engine.
/// @dev Identifiers are `bytes32` keys chosen by the owner (e.g. keccak256("WETH"), keccak256("ETH-PERP")).
interface IPriceOracle {
    /// @notice A price read for risk purposes.
    /// @param price USD per whole unit (token or perp base), 18 decimals.
    /// @param stale True when the source is older than its maximum age or the price jumped beyond the deviation bound
    /// and awaits confirmation; callers block risk-increasing actions.
    struct PriceRead {
        uint256 price;
        bool stale;
    }

    /// @notice The id has no configured source.
    error UnknownPriceId(bytes32 id);
    /// @notice The source returned a non-positive answer, or one worth zero once scaled to 18 decimals.
    error InvalidPrice(bytes32 id, int256 answer);

    /// @notice Current price of `id`; never reverts for staleness (the flag says it), reverts if unknown or invalid.
    function getPrice(bytes32 id) external view returns (PriceRead memory);

    /// @notice Volatility multipliers `k` (18 decimals, ≥ 1e18) for the init and maint tiers
    /// (docs/risk-spec.md "Volatility").
    function volatilityMultipliers(bytes32 id) external view returns (uint256 kInit, uint256 kMaint);
}
