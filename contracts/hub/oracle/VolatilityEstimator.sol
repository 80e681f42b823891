// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IXmarginOracle} from "../../interfaces/IXmarginOracle.sol";

/// @notice EWMA of squared log returns and the volatility multipliers derived from it (definitions in
/// `IXmarginOracle`). Every rounding overstates volatility: the protocol's side.
library VolatilityEstimator {
    uint256 private constant WAD = 1e18;
    uint256 private constant YEAR = 365 days;

    /// @notice Starts the estimator at the neutral prior σ = σ_ref, with k = 1 for both tiers.
    function seed(IXmarginOracle.VolatilityState storage self, uint256 sigmaRef) internal {
        self.variance = Math.mulDiv(sigmaRef, sigmaRef, WAD, Math.Rounding.Ceil);
        self.kInit = uint64(WAD);
        self.kMaintFrom = uint64(WAD);
        self.rampStart = uint40(block.timestamp);
        self.rampEnd = uint40(block.timestamp);
    }

    /// @notice Folds in a log return observed `elapsed` seconds after the previous one, then moves the multipliers.
    function observe(
        IXmarginOracle.VolatilityState storage self,
        IXmarginOracle.VolatilityConfig memory config,
        int256 logReturn,
        uint256 elapsed
    ) internal {
        // 36 decimals; |logReturn| < 136e18 for any ratio below 1e59, so the square cannot overflow.
        uint256 squaredReturn = uint256(logReturn * logReturn);
        uint256 window = config.window;
        if (elapsed >= window) {
            // The window holds one observation: its annualised variance, rounded up.
            self.variance = Math.mulDiv(squaredReturn, YEAR, elapsed * WAD, Math.Rounding.Ceil);
        } else {
            uint256 variance = self.variance;
            // Decay rounds down and the new sample rounds up.
            self.variance = variance - variance * elapsed / window
                + Math.mulDiv(squaredReturn, YEAR, window * WAD, Math.Rounding.Ceil);
        }
        retarget(self, config);
    }

    /// @notice Moves the multipliers to the k implied by the current variance and `config`: a rise applies at once
    /// to `kInit` and restarts the maint ramp from where `kMaint` stands; a fall applies at once to both tiers.
    function retarget(IXmarginOracle.VolatilityState storage self, IXmarginOracle.VolatilityConfig memory config)
        internal
    {
        uint256 ratio = Math.mulDiv(sigma(self), WAD, config.sigmaRef, Math.Rounding.Ceil);
        uint256 target = Math.min(Math.max(ratio, WAD), config.kMax);
        (uint256 kInit, uint256 kMaint) = multipliers(self);
        if (target > kInit) {
            // kMaint ≤ kInit < target ≤ kMax ≤ 5e18: fits in 64 bits.
            self.kMaintFrom = uint64(kMaint);
            self.rampStart = uint40(block.timestamp);
            self.rampEnd = uint40(block.timestamp + config.rampDuration);
        } else if (target <= kMaint) {
            self.kMaintFrom = uint64(target);
            self.rampStart = uint40(block.timestamp);
            self.rampEnd = uint40(block.timestamp);
        }
        // Otherwise kMaint < target ≤ kInit: the running ramp now heads for the lower target, so kMaint falls too.
        self.kInit = uint64(target);
    }

    /// @notice Annualised volatility σ = √variance, 18 decimals, rounded up.
    function sigma(IXmarginOracle.VolatilityState storage self) internal view returns (uint256) {
        return Math.sqrt(self.variance * WAD, Math.Rounding.Ceil);
    }

    /// @notice Current multipliers; `kMaint` interpolates linearly along the ramp, rounded up.
    function multipliers(IXmarginOracle.VolatilityState storage self)
        internal
        view
        returns (uint256 kInit, uint256 kMaint)
    {
        kInit = self.kInit;
        uint256 rampEnd = self.rampEnd;
        if (block.timestamp >= rampEnd) return (kInit, kInit);
        uint256 from = self.kMaintFrom;
        uint256 rampStart = self.rampStart;
        kMaint = from + Math.mulDiv(kInit - from, block.timestamp - rampStart, rampEnd - rampStart, Math.Rounding.Ceil);
    }
}
