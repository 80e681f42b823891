// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IRiskErrors} from "../interfaces/IRiskErrors.sol";

/// @title FixedPoint
/// @notice 18-decimal fixed point (WAD) with the rounding direction in every name, operation for operation
/// the same as sdk/risk/fixed.ts. `Down`/`Up` round unsigned values toward / away from zero; `Floor` rounds
/// signed values toward −∞.
/// @dev Unsigned products are checked by hand, in assembly for `mulDown`/`mulUp` (the hottest operations of a
/// health evaluation), and revert with `FixedPointOverflow`; division by zero still panics (0x12) as
/// everywhere in Solidity. Signed products keep Solidity's checked arithmetic (Panic 0x11).
library FixedPoint {
    uint256 internal constant WAD = 1e18;
    int256 internal constant SIGNED_WAD = 1e18;

    function mulDown(uint256 x, uint256 y) internal pure returns (uint256 z) {
        bool overflow;
        assembly ("memory-safe") {
            // x·y needs more than 256 bits iff y ≠ 0 and x > max / y (assembly's division by zero gives 0).
            overflow := and(iszero(iszero(y)), gt(x, div(not(0), y)))
            z := div(mul(x, y), WAD)
        }
        if (overflow) revert IRiskErrors.FixedPointOverflow();
    }

    function mulUp(uint256 x, uint256 y) internal pure returns (uint256 z) {
        bool overflow;
        assembly ("memory-safe") {
            overflow := and(iszero(iszero(y)), gt(x, div(not(0), y)))
            let product := mul(x, y)
            z := add(div(product, WAD), iszero(iszero(mod(product, WAD))))
        }
        if (overflow) revert IRiskErrors.FixedPointOverflow();
    }

    function divDown(uint256 x, uint256 y) internal pure returns (uint256) {
        if (x > type(uint256).max / WAD) revert IRiskErrors.FixedPointOverflow();
        unchecked {
            return x * WAD / y;
        }
    }

    function divUp(uint256 x, uint256 y) internal pure returns (uint256) {
        if (x > type(uint256).max / WAD) revert IRiskErrors.FixedPointOverflow();
        unchecked {
            uint256 scaled = x * WAD;
            return scaled / y + (scaled % y == 0 ? 0 : 1);
        }
    }

    function mulFloor(int256 x, int256 y) internal pure returns (int256 z) {
        int256 product = x * y;
        assembly ("memory-safe") {
            // The divisor is positive: a remainder below zero means the truncated quotient rounded up.
            z := sub(sdiv(product, WAD), slt(smod(product, WAD), 0))
        }
    }

    /// @dev x·y/WAD rounded toward +∞.
    function mulCeil(int256 x, int256 y) internal pure returns (int256 z) {
        int256 negated = -(x * y);
        assembly ("memory-safe") {
            // −⌊−x·y / WAD⌋, the floor as in `mulFloor`.
            z := sub(0, sub(sdiv(negated, WAD), slt(smod(negated, WAD), 0)))
        }
    }

    function divFloor(int256 x, int256 y) internal pure returns (int256) {
        return _floorDiv(x * SIGNED_WAD, y);
    }

    /// @dev √x of a WAD value, rounded up.
    function sqrtUp(uint256 x) internal pure returns (uint256 root) {
        if (x > type(uint256).max / WAD) revert IRiskErrors.FixedPointOverflow();
        unchecked {
            uint256 radicand = x * WAD;
            root = Math.sqrt(radicand);
            // root < 2^128, so its square cannot overflow.
            if (root * root < radicand) ++root;
        }
    }

    function abs(int256 x) internal pure returns (uint256) {
        return x >= 0 ? uint256(x) : uint256(-x);
    }

    /// @notice Token units → WAD, rounded down.
    function toWadDown(uint256 amount, uint8 decimals) internal pure returns (uint256) {
        if (decimals <= 18) {
            uint256 scale;
            // 10^(18 − decimals) ≤ 1e18: neither the difference nor the power overflows (the product is checked).
            unchecked {
                scale = 10 ** (18 - decimals);
            }
            return amount * scale;
        }
        return amount / 10 ** (decimals - 18);
    }

    /// @notice WAD → token units, rounded down (what the protocol pays out).
    function fromWadDown(uint256 wad, uint8 decimals) internal pure returns (uint256) {
        if (decimals <= 18) return wad / 10 ** (18 - decimals);
        return wad * 10 ** (decimals - 18);
    }

    /// @notice WAD → token units, rounded up (what the protocol collects).
    function fromWadUp(uint256 wad, uint8 decimals) internal pure returns (uint256) {
        if (decimals <= 18) return Math.ceilDiv(wad, 10 ** (18 - decimals));
        return wad * 10 ** (decimals - 18);
    }

    function _floorDiv(int256 numerator, int256 denominator) private pure returns (int256 quotient) {
        quotient = numerator / denominator;
        int256 remainder = numerator % denominator;
        if (remainder != 0 && (remainder < 0) != (denominator < 0)) --quotient;
    }
}
