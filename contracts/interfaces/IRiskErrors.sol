// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Errors raised by the risk math (contracts/libraries/RiskMath.sol, FixedPoint.sol).
interface IRiskErrors {
    /// @notice A fixed-point product needs more than 256 bits: an input is outside the supported domain
    /// (see contracts/types/RiskTypes.sol).
    error FixedPointOverflow();
}
