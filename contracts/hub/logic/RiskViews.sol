// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarginEngine} from "../../interfaces/IMarginEngine.sol";
import {IPriceOracle} from "../../interfaces/IPriceOracle.sol";
import {HealthBreakdown} from "../../types/RiskTypes.sol";
import {EngineState} from "../EngineState.sol";
import {AccountRisk, RiskView} from "../libraries/AccountRisk.sol";

/// @title RiskViews
/// @notice The engine's own health checks and the price cache they fill, linked rather than inlined (contract size).
library RiskViews {
    /// @dev Bytes of a `HealthBreakdown`: its 17 fields of one word each.
    uint256 private constant HEALTH_BREAKDOWN_SIZE = 17 * 32;

    /// @notice The account at cached prices where fresh, live oracle reads otherwise: ends the call returning its
    /// `HealthBreakdown`, ABI-encoded. Declared without return values, so that the engine passes that encoding on
    /// as it is rather than decoding and re-encoding it.
    function healthOf(EngineState storage s, address account) public view {
        HealthBreakdown memory health = AccountRisk.riskView(s, account, true).health;
        // A struct of static fields only is in memory as the ABI encodes it, one word per field in order
        // (its bools hold 0 or 1): returned as it is rather than re-encoded field by field.
        assembly ("memory-safe") {
            return(health, HEALTH_BREAKDOWN_SIZE)
        }
    }

    function requireInitialHealth(EngineState storage s, address account) public {
        AccountRisk.requireInitialHealth(s, account);
    }

    /// @notice Auto-margin acts only once the account has fallen below its initial requirement.
    function requireAutoMarginNeeded(EngineState storage s, address account) public {
        RiskView memory risk = AccountRisk.riskView(s, account, false);
        AccountRisk.cacheQuotes(s, risk);
        int256 healthInit = risk.health.healthInit;
        if (healthInit >= 0) revert IMarginEngine.AutoMarginNotNeeded(healthInit);
    }

    /// @notice Reads each id from the oracle into the price cache; anyone may call it (keepers do).
    function refreshPrices(EngineState storage s, bytes32[] calldata priceIds) public {
        if (s.settings.maxPriceAge == 0) revert IMarginEngine.PriceCacheDisabled();
        IPriceOracle oracle = s.oracle;
        for (uint256 i; i < priceIds.length; ++i) {
            bytes32 priceId = priceIds[i];
            uint256 numberPlusOne = s.priceNumbers[priceId];
            if (numberPlusOne == 0) revert IMarginEngine.UnusedPriceId(priceId);
            IPriceOracle.PriceRead memory read = oracle.getPrice(priceId);
            (uint256 kInit, uint256 kMaint) = oracle.volatilityMultipliers(priceId);
            AccountRisk.cachePrice(s, numberPlusOne - 1, priceId, read.price, kInit, kMaint, read.stale);
        }
    }
}
