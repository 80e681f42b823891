// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IDeliveryBatcher} from "../interfaces/IDeliveryBatcher.sol";

/// @title DeliveryBatcher
/// @notice See `IDeliveryBatcher`: one transaction for many permissionless deliveries. Stateless.
/// @dev Not reentrant: code a call reaches must not be able to emit `CallExecuted` in this contract's name (a
/// relayer reads outcomes from those events).
contract DeliveryBatcher is IDeliveryBatcher, ReentrancyGuardTransient {
    /// @dev What the loop spends around a call beyond the call's own gas: the CALL itself (cold account, value
    /// transfer, new-account surcharge excluded as targets are contracts), copying the result and the event.
    uint256 private constant CALL_OVERHEAD_GAS = 15_000;

    /// @inheritdoc IDeliveryBatcher
    function execute(Call[] calldata calls) external payable nonReentrant {
        uint256 valueLeft = msg.value;
        for (uint256 index; index < calls.length; ++index) {
            Call calldata call = calls[index];
            // Rounded up: the call must be sure to get all of its gas.
            uint256 required = uint256(call.gas) + (uint256(call.gas) + 62) / 63 + CALL_OVERHEAD_GAS;
            uint256 available = gasleft();
            if (available < required) revert InsufficientGasForCall(index, required, available);
            if (call.value > valueLeft) revert InsufficientValueForCall(index, call.value, valueLeft);

            (bool success, bytes memory result) = call.target.call{gas: call.gas, value: call.value}(call.data);
            if (success) valueLeft -= call.value;
            emit CallExecuted(index, success, available - gasleft(), result);
        }
        // What failed calls did not spend: the value they were sent with came back to this contract.
        if (valueLeft > 0) {
            (bool refunded,) = msg.sender.call{value: valueLeft}("");
            if (!refunded) revert RefundFailed(msg.sender, valueLeft);
        }
    }
}
