// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMessageReceiver, IMessenger} from "../interfaces/IMessenger.sol";

/// @title TestMessenger
/// @notice TEST TRANSPORT, NOT A BRIDGE. It records outgoing messages as events and lets one
/// trusted relayer deliver any bytes, so tests can play the other chain before (and besides) the
/// real LayerZero and Hyperlane transports. It authenticates nothing: never deploy it outside tests.
contract TestMessenger is IMessenger {
    error OnlyRelayer(address caller);
    error InsufficientFee(uint256 required, uint256 paid);

    event TestMessageSent(bytes32 indexed messageId, address indexed sender, uint64 destination, bytes message);

    address public immutable relayer;
    uint256 public fee;
    uint256 public sentCount;

    constructor(address relayer_) {
        relayer = relayer_;
    }

    function setFee(uint256 newFee) external {
        if (msg.sender != relayer) revert OnlyRelayer(msg.sender);
        fee = newFee;
    }

    function quote(uint64, bytes calldata) external view returns (uint256) {
        return fee;
    }

    function send(uint64 destination, bytes calldata message, address refundTo)
        external
        payable
        returns (bytes32 messageId)
    {
        if (msg.value < fee) revert InsufficientFee(fee, msg.value);
        messageId = keccak256(abi.encode(block.chainid, ++sentCount));
        emit TestMessageSent(messageId, msg.sender, destination, message);
        if (msg.value > fee) {
            (bool refunded,) = refundTo.call{value: msg.value - fee}("");
            refunded;
        }
    }

    /// @notice Delivers `message` to `receiver` as if it had arrived from `origin`.
    function deliver(address receiver, uint64 origin, bytes calldata message) external {
        if (msg.sender != relayer) revert OnlyRelayer(msg.sender);
        IMessageReceiver(receiver).receiveMessage(origin, message);
    }
}
