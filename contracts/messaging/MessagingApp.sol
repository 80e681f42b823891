// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMessageReceiver, IMessagingAppErrors, IMessagingAppEvents, IMessenger} from "../interfaces/IMessenger.sol";
import {Envelope} from "../types/Messages.sol";
import {MessageCodec} from "./MessageCodec.sol";

/// @title MessagingApp
/// @notice Base of every xmargin application: authenticates deliveries from its messenger and
/// checks the envelope (origin, destination, decodability) before the application sees it.
abstract contract MessagingApp is IMessageReceiver, IMessagingAppErrors, IMessagingAppEvents {
    /// @notice The transport router this application trusts.
    IMessenger public messenger;

    /// @notice This chain's id in the wire format.
    uint64 public immutable localChainId;

    constructor() {
        if (block.chainid > type(uint64).max) revert ChainIdTooLarge(block.chainid);
        localChainId = uint64(block.chainid);
    }

    /// @inheritdoc IMessageReceiver
    function receiveMessage(uint64 origin, bytes calldata message) external {
        if (msg.sender != address(messenger)) revert UnauthorizedMessenger(msg.sender);
        Envelope memory envelope = MessageCodec.decodeEnvelope(message);
        if (envelope.origin != origin) revert OriginMismatch(origin, envelope.origin);
        if (envelope.destination != localChainId) revert WrongDestination(envelope.destination, block.chainid);
        if (!_isPeerChain(origin)) revert UnknownPeerChain(origin);
        _handleMessage(envelope, message);
    }

    function _setMessenger(IMessenger newMessenger) internal {
        messenger = newMessenger;
        emit MessengerSet(address(newMessenger));
    }

    /// @dev Sends with `fee` wei; the messenger refunds any excess to `refundTo`.
    function _send(uint64 destination, bytes memory message, uint256 fee, address refundTo) internal {
        bytes32 messageId = messenger.send{value: fee}(destination, message, refundTo);
        emit MessageSent(destination, messageId, message);
    }

    function _isPeerChain(uint64 origin) internal view virtual returns (bool);

    function _handleMessage(Envelope memory envelope, bytes calldata message) internal virtual;
}
