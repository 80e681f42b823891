// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarginEngine} from "../../interfaces/IMarginEngine.sol";
import {HealthBreakdown} from "../../types/RiskTypes.sol";
import {EngineState} from "../EngineState.sol";
import {AccountRisk} from "../libraries/AccountRisk.sol";

/// @title RiskViews
/// @notice The engine's own health checks, linked rather than inlined (contract size).
library RiskViews {
    function healthOf(EngineState storage s, address account) public view returns (HealthBreakdown memory) {
        return AccountRisk.riskView(s, account).health;
    }

    function requireInitialHealth(EngineState storage s, address account) public view {
        AccountRisk.requireInitialHealth(s, account);
    }

    /// @notice Auto-margin acts only once the account has fallen below its initial requirement.
    function requireAutoMarginNeeded(EngineState storage s, address account) public view {
        int256 healthInit = AccountRisk.riskView(s, account).health.healthInit;
        if (healthInit >= 0) revert IMarginEngine.AutoMarginNotNeeded(healthInit);
    }
}
