// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice The seam between xmargin's applications (vaults, margin engine) and a transport.
/// @dev Implemented by the transport router (LayerZero, Hyperlane, both, or same-chain) and by the
/// test transport. Applications never see transport details: they send bytes to a chain id and
/// receive authenticated bytes from one.
interface IMessenger {
    /// @notice Native fee to send `message` to `destination`.
    function quote(uint64 destination, bytes calldata message) external view returns (uint256 fee);

    /// @notice Sends `message` to the registered application on `destination`; excess fee goes to `refundTo`.
    /// @return messageId Transport-level id, for tracking.
    function send(uint64 destination, bytes calldata message, address refundTo)
        external
        payable
        returns (bytes32 messageId);
}

/// @notice Implemented by applications that accept messages from their messenger.
interface IMessageReceiver {
    /// @notice Delivers an authenticated message whose transport-level origin is `origin`.
    function receiveMessage(uint64 origin, bytes calldata message) external;
}

/// @notice Errors of applications that receive messages.
interface IMessagingAppErrors {
    /// @notice Only the configured messenger may deliver messages.
    error UnauthorizedMessenger(address caller);
    /// @notice The envelope's origin differs from the transport's authenticated origin.
    error OriginMismatch(uint64 transportOrigin, uint64 envelopeOrigin);
    /// @notice The message is addressed to another chain.
    error WrongDestination(uint64 destination, uint256 thisChain);
    /// @notice The origin chain is not a registered peer of this application.
    error UnknownPeerChain(uint64 origin);
    /// @notice A chain id that does not fit the wire format's u64.
    error ChainIdTooLarge(uint256 chainId);
}

/// @notice Events of applications that send or receive messages.
interface IMessagingAppEvents {
    /// @notice The messenger changed.
    event MessengerSet(address indexed messenger);
    /// @notice A message left for `destination`.
    event MessageSent(uint64 indexed destination, bytes32 indexed messageId, bytes message);
}
