// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Runs several calls anyone may make (a relayer's deliveries: `Mailbox.process`,
/// `EndpointV2.lzReceive`) in one transaction, each with its own gas and value and its own outcome.
/// @dev One delivery that reverts does not undo the others: its `CallExecuted` says it failed and the relayer
/// delivers it again on its own. The batcher holds no funds and no rights, so anyone may use it. Not reentrant.
interface IDeliveryBatcher {
    /// @notice One call of a batch.
    /// @param target The contract called.
    /// @param gas The gas the call gets, exactly: the batch reverts rather than give it less.
    /// @param value Wei sent with the call, out of the batch's `msg.value`.
    /// @param data The calldata.
    struct Call {
        address target;
        uint64 gas;
        uint256 value;
        bytes data;
    }

    /// @notice Call `index` of the batch ran: `success` false means it reverted with `result` (the revert data);
    /// `gasUsed` counts the call and its forwarding. `result` holds at most the first 1024 bytes of what the call
    /// returned, so no target can make the batch pay for copying and logging more.
    event CallExecuted(uint256 indexed index, bool success, uint256 gasUsed, bytes result);

    /// @notice The transaction's gas left cannot give call `index` its full `gas` (EIP-150 passes 63/64 of what
    /// is left): the whole batch reverts, so no delivery fails for want of gas the relayer should have sent.
    error InsufficientGasForCall(uint256 index, uint256 required, uint256 available);
    /// @notice The calls' values add up to more than the batch's `msg.value`.
    error InsufficientValueForCall(uint256 index, uint256 required, uint256 available);
    /// @notice The value the failed calls did not spend could not be returned to the sender.
    error RefundFailed(address to, uint256 amount);

    /// @notice Runs `calls` in order. Value that failed calls did not spend goes back to the sender.
    function execute(Call[] calldata calls) external payable;
}
