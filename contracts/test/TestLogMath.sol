// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LogMath} from "../hub/oracle/LogMath.sol";

/// @notice Test-only: exposes `LogMath` so TypeScript tests can compare it with a reference in bulk.
contract TestLogMath {
    function lnRatio(uint256 a, uint256 b) external pure returns (int256) {
        return LogMath.lnRatio(a, b);
    }

    function lnRatios(uint256[] calldata a, uint256[] calldata b) external pure returns (int256[] memory results) {
        results = new int256[](a.length);
        for (uint256 i; i < a.length; ++i) {
            results[i] = LogMath.lnRatio(a[i], b[i]);
        }
    }
}
