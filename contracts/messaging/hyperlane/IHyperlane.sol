// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice The part of Hyperlane's `Mailbox` (v3) that xmargin's gateway calls.
/// @dev Declared here rather than imported: Hyperlane's sources need OpenZeppelin 4, ours use 5.
interface IHyperlaneMailbox {
    /// @notice The Hyperlane domain of this chain.
    function localDomain() external view returns (uint32);

    /// @notice Dispatches `messageBody` to `recipient` on `destinationDomain` through the required hook
    /// and the default hook, passing `hookMetadata` to both.
    /// @return messageId keccak256 of the formatted Hyperlane message.
    function dispatch(
        uint32 destinationDomain,
        bytes32 recipient,
        bytes calldata messageBody,
        bytes calldata hookMetadata
    ) external payable returns (bytes32 messageId);

    /// @notice Native fee `dispatch` with the same arguments charges (required hook + default hook).
    function quoteDispatch(
        uint32 destinationDomain,
        bytes32 recipient,
        bytes calldata messageBody,
        bytes calldata hookMetadata
    ) external view returns (uint256 fee);
}

/// @notice What the Mailbox calls on a recipient after its ISM has verified a message.
interface IHyperlaneMessageRecipient {
    function handle(uint32 origin, bytes32 sender, bytes calldata message) external payable;
}

/// @notice Lets a recipient name the ISM the Mailbox verifies its messages with (zero: the Mailbox default).
/// @dev Hyperlane types the return as `IInterchainSecurityModule`; an address has the same ABI.
interface IHyperlaneSpecifiesInterchainSecurityModule {
    function interchainSecurityModule() external view returns (address);
}
