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
    /// @dev What a call's result may cost the batch: a target can return far more than its own gas would let the
    /// batch copy and log (a returndata bomb), so only this much is kept. Revert reasons fit well within it.
    uint256 private constant MAX_RESULT_BYTES = 1024;

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

            (bool success, bytes memory result) = _callKeepingResultBounded(call);
            if (success) valueLeft -= call.value;
            emit CallExecuted(index, success, available - gasleft(), result);
        }
        // What failed calls did not spend: the value they were sent with came back to this contract.
        if (valueLeft > 0) {
            (bool refunded,) = msg.sender.call{value: valueLeft}("");
            if (!refunded) revert RefundFailed(msg.sender, valueLeft);
        }
    }

    /// @dev `target.call` that copies at most `MAX_RESULT_BYTES` of what the target returns.
    function _callKeepingResultBounded(Call calldata made) private returns (bool success, bytes memory result) {
        bytes memory data = made.data;
        address target = made.target;
        uint256 callGas = made.gas;
        uint256 value = made.value;
        assembly ("memory-safe") {
            success := call(callGas, target, value, add(data, 0x20), mload(data), 0, 0)
            let size := returndatasize()
            if gt(size, MAX_RESULT_BYTES) { size := MAX_RESULT_BYTES }
            result := mload(0x40)
            mstore(result, size)
            returndatacopy(add(result, 0x20), 0, size)
            mstore(0x40, add(add(result, 0x20), and(add(size, 31), not(31))))
        }
    }
}
