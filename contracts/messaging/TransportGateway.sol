// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IMessageReceiver, IMessenger} from "../interfaces/IMessenger.sol";
import {Envelope, MessageType} from "../types/Messages.sol";
import {MessageCodec} from "./MessageCodec.sol";

/// @title TransportGateway
/// @notice What every transport adapter (LayerZero, Hyperlane) shares: one local sender allowed to
/// send, one local receiver that gets authenticated messages, the map between EVM chain ids and the
/// transport's domain ids, and the owner-fixed destination gas per message type.
/// @dev Inbound checks, in the order the transport-specific part calls `_deliver`: the transport has
/// authenticated the remote peer; the envelope's origin equals the chain the transport says it came
/// from; the destination is this chain; the payload decodes (the receiver checks the body).
abstract contract TransportGateway is IMessenger, Ownable {
    error UnauthorizedSender(address caller);
    error UnknownDomain(uint32 domain);
    error UnknownChain(uint64 chainId);
    error EnvelopeOriginMismatch(uint64 transportOrigin, uint64 envelopeOrigin);
    error EnvelopeWrongDestination(uint64 destination, uint256 thisChain);
    error DestinationGasNotSet(MessageType kind);

    event SenderSet(address indexed sender);
    event ReceiverSet(address indexed receiver);
    event RouteSet(uint64 indexed chainId, uint32 domain);
    event DestinationGasSet(MessageType indexed kind, uint128 gas);
    event MessageDelivered(uint64 indexed origin, bytes32 indexed messageHash);

    /// @notice The local application (or router) allowed to send through this gateway.
    address public sender;
    /// @notice Where authenticated inbound messages go.
    IMessageReceiver public receiver;

    mapping(uint64 chainId => uint32 domain) public domainOf;
    mapping(uint32 domain => uint64 chainId) public chainIdOf;
    /// @notice Gas the destination executes each message type with; fixed by the owner, never by users.
    mapping(MessageType kind => uint128 gas) public destinationGas;

    function setSender(address newSender) external onlyOwner {
        sender = newSender;
        emit SenderSet(newSender);
    }

    function setReceiver(IMessageReceiver newReceiver) external onlyOwner {
        receiver = newReceiver;
        emit ReceiverSet(address(newReceiver));
    }

    function setRoute(uint64 chainId, uint32 domain) external onlyOwner {
        domainOf[chainId] = domain;
        chainIdOf[domain] = chainId;
        emit RouteSet(chainId, domain);
    }

    function setDestinationGas(MessageType kind, uint128 gas) external onlyOwner {
        destinationGas[kind] = gas;
        emit DestinationGasSet(kind, gas);
    }

    function _requireSender() internal view {
        if (msg.sender != sender) revert UnauthorizedSender(msg.sender);
    }

    function _domain(uint64 chainId) internal view returns (uint32 domain) {
        domain = domainOf[chainId];
        if (domain == 0) revert UnknownChain(chainId);
    }

    function _chainId(uint32 domain) internal view returns (uint64 chainId) {
        chainId = chainIdOf[domain];
        if (chainId == 0) revert UnknownDomain(domain);
    }

    /// @dev Gas for the message's type; the message is decoded here, so a malformed one never leaves.
    function _gasFor(bytes calldata message) internal view returns (uint128 gas) {
        Envelope memory envelope = MessageCodec.decodeEnvelope(message);
        gas = destinationGas[envelope.kind];
        if (gas == 0) revert DestinationGasNotSet(envelope.kind);
    }

    /// @dev Called by the transport-specific part after it has authenticated the peer on `origin`.
    function _deliver(uint64 origin, bytes calldata message) internal {
        Envelope memory envelope = MessageCodec.decodeEnvelope(message);
        if (envelope.origin != origin) revert EnvelopeOriginMismatch(origin, envelope.origin);
        if (envelope.destination != block.chainid) revert EnvelopeWrongDestination(envelope.destination, block.chainid);
        emit MessageDelivered(origin, keccak256(message));
        receiver.receiveMessage(origin, message);
    }
}
