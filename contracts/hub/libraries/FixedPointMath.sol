// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title FixedPointMath
/// @notice 18-decimal helpers for the engine; each name says which way it rounds.
library FixedPointMath {
    uint256 internal constant WAD = 1e18;

    function mulWadDown(uint256 x, uint256 y) internal pure returns (uint256) {
        return Math.mulDiv(x, y, WAD);
    }

    function mulWadUp(uint256 x, uint256 y) internal pure returns (uint256) {
        return Math.mulDiv(x, y, WAD, Math.Rounding.Ceil);
    }

    function divWadDown(uint256 x, uint256 y) internal pure returns (uint256) {
        return Math.mulDiv(x, WAD, y);
    }

    function divWadUp(uint256 x, uint256 y) internal pure returns (uint256) {
        return Math.mulDiv(x, WAD, y, Math.Rounding.Ceil);
    }

    /// @notice x·y/WAD for a signed x, rounded toward −∞.
    function mulWadFloor(int256 x, uint256 y) internal pure returns (int256) {
        if (x >= 0) return int256(Math.mulDiv(uint256(x), y, WAD));
        return -int256(Math.mulDiv(uint256(-x), y, WAD, Math.Rounding.Ceil));
    }

    /// @notice x·y/WAD for a signed x, rounded toward +∞.
    function mulWadCeil(int256 x, uint256 y) internal pure returns (int256) {
        if (x >= 0) return int256(Math.mulDiv(uint256(x), y, WAD, Math.Rounding.Ceil));
        return -int256(Math.mulDiv(uint256(-x), y, WAD));
    }

    function abs(int256 x) internal pure returns (uint256) {
        return x >= 0 ? uint256(x) : uint256(-x);
    }

    /// @notice Token units → 18 decimals, rounded down.
    function toWadDown(uint256 amount, uint8 decimals) internal pure returns (uint256) {
        if (decimals <= 18) return amount * 10 ** (18 - decimals);
        return amount / 10 ** (decimals - 18);
    }

    /// @notice 18 decimals → token units, rounded down (what the protocol pays out).
    function fromWadDown(uint256 wad, uint8 decimals) internal pure returns (uint256) {
        if (decimals <= 18) return wad / 10 ** (18 - decimals);
        return wad * 10 ** (decimals - 18);
    }

    /// @notice 18 decimals → token units, rounded up (what the protocol collects).
    function fromWadUp(uint256 wad, uint8 decimals) internal pure returns (uint256) {
        if (decimals <= 18) return Math.ceilDiv(wad, 10 ** (18 - decimals));
        return wad * 10 ** (decimals - 18);
    }
}
