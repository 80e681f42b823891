// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @notice Natural logarithm in 18-decimal fixed point, accurate to a few units in the last place.
library LogMath {
    /// @notice The logarithm of a ratio with a zero term is undefined.
    error LnOfZero();

    uint256 private constant WAD = 1e18;
    /// @dev The series runs at 36 decimals so that its truncations stay far below the 18-decimal result.
    uint256 private constant HIGH = 1e36;
    /// @dev ln 2 at 36 decimals, rounded down.
    uint256 private constant LN2_HIGH = 693_147_180_559_945_309_417_232_121_458_176_568;

    /// @notice ln(a / b) as an 18-decimal signed number, rounded toward zero, for `a` and `b` of equal scale in
    /// (0, 1e59).
    /// @dev Works on whichever of a/b and b/a is at least one, so a fall loses no precision to a small quotient.
    function lnRatio(uint256 a, uint256 b) internal pure returns (int256) {
        if (a == 0 || b == 0) revert LnOfZero();
        // The quotient rounds down: an error below one part in 1e18.
        return a >= b ? int256(_lnAtLeastOne(a * WAD / b)) : -int256(_lnAtLeastOne(b * WAD / a));
    }

    /// @dev ln(x / 1e18) for x ≥ 1e18: write x = 2ⁿ·y with 1 ≤ y < 2, then ln x = n·ln 2 + 2·atanh(z) where
    /// z = (y − 1)/(y + 1) < 1/3, and atanh(z) = z + z³/3 + z⁵/5 + … converges by a factor z² < 1/9 per term.
    function _lnAtLeastOne(uint256 x) private pure returns (uint256) {
        uint256 n = Math.log2(x / WAD); // floor, exact: ⌊log2 ⌊q⌋⌋ = ⌊log2 q⌋ for q ≥ 1
        uint256 y = x >> n; // rounds down by less than one unit of 1e-18
        uint256 z = (y - WAD) * HIGH / (y + WAD); // rounds down
        uint256 zSquared = z * z / HIGH; // rounds down
        uint256 atanh = z;
        uint256 power = z;
        for (uint256 odd = 3; power != 0; odd += 2) {
            power = power * zSquared / HIGH; // rounds down
            atanh += power / odd; // rounds down
        }
        // Rounds down to 18 decimals.
        return (n * LN2_HIGH + 2 * atanh) / (HIGH / WAD);
    }
}
