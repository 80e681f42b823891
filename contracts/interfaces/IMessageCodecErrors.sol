// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MessageType} from "../types/Messages.sol";

/// @notice Errors raised when decoding a cross-chain message.
interface IMessageCodecErrors {
    /// @notice The message was encoded with a codec version this contract does not speak.
    error UnsupportedVersion(uint8 version);
    /// @notice The type byte names no known message.
    error UnknownMessageType(uint8 kind);
    /// @notice The message is shorter than its type requires.
    error MessageTruncated(uint256 expectedLength, uint256 actualLength);
    /// @notice The message is longer than its type allows.
    error MessageTrailingBytes(uint256 expectedLength, uint256 actualLength);
    /// @notice The message decoded fine but is not of the type the caller asked for.
    error UnexpectedMessageType(MessageType expected, MessageType actual);
}
