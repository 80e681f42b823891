// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMessageCodecErrors} from "../interfaces/IMessageCodecErrors.sol";
import {BalanceReport, Command, Envelope, MessageType} from "../types/Messages.sol";

/// @title MessageCodec
/// @notice The xmargin wire format, shared byte for byte with `sdk/codec`.
/// @dev Big-endian, packed, fixed length per type:
///   header  version u8 | type u8 | origin u64 | destination u64                        (18 bytes)
///   BalanceReport  account 20 | asset 20 | total u256 | locked u256 | seq u64 | lastCommandNonce u64  (120)
///   Release, Seize account 20 | asset 20 | amount u256 | to 20 | cmdNonce u64          (100)
///   Lock           account 20 | asset 20 | amount u256 | cmdNonce u64                  (80)
/// Exact lengths make every malformed input (truncated, trailing bytes) detectable.
library MessageCodec {
    uint8 internal constant VERSION = 1;
    uint256 internal constant HEADER_LENGTH = 18;
    uint256 internal constant BALANCE_REPORT_LENGTH = HEADER_LENGTH + 120;
    uint256 internal constant TRANSFER_COMMAND_LENGTH = HEADER_LENGTH + 100;
    uint256 internal constant LOCK_COMMAND_LENGTH = HEADER_LENGTH + 80;

    function encodeBalanceReport(uint64 origin, uint64 destination, BalanceReport memory report)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(
            _header(MessageType.BalanceReport, origin, destination),
            report.account,
            report.asset,
            report.total,
            report.locked,
            report.seq,
            report.lastCommandNonce
        );
    }

    function encodeCommand(uint64 origin, uint64 destination, Command memory command)
        internal
        pure
        returns (bytes memory)
    {
        bytes memory header = _header(command.kind, origin, destination);
        if (command.kind == MessageType.Lock) {
            return abi.encodePacked(header, command.account, command.asset, command.amount, command.cmdNonce);
        }
        if (command.kind != MessageType.Release && command.kind != MessageType.Seize) {
            revert IMessageCodecErrors.UnknownMessageType(uint8(command.kind));
        }
        return abi.encodePacked(
            header, command.account, command.asset, command.amount, command.to, command.cmdNonce
        );
    }

    /// @notice Validates version, type and exact length, and returns the header.
    function decodeEnvelope(bytes calldata message) internal pure returns (Envelope memory envelope) {
        if (message.length < HEADER_LENGTH) revert IMessageCodecErrors.MessageTruncated(HEADER_LENGTH, message.length);
        uint8 version = uint8(message[0]);
        if (version != VERSION) revert IMessageCodecErrors.UnsupportedVersion(version);
        uint8 kind = uint8(message[1]);
        uint256 expectedLength = _lengthOf(kind);
        if (message.length < expectedLength) {
            revert IMessageCodecErrors.MessageTruncated(expectedLength, message.length);
        }
        if (message.length > expectedLength) {
            revert IMessageCodecErrors.MessageTrailingBytes(expectedLength, message.length);
        }
        envelope.version = version;
        envelope.kind = MessageType(kind);
        envelope.origin = uint64(bytes8(message[2:10]));
        envelope.destination = uint64(bytes8(message[10:18]));
    }

    /// @notice Decodes a message already validated by `decodeEnvelope` as a balance report.
    function decodeBalanceReport(bytes calldata message) internal pure returns (BalanceReport memory report) {
        _expectKind(message, MessageType.BalanceReport);
        report.account = address(bytes20(message[18:38]));
        report.asset = address(bytes20(message[38:58]));
        report.total = uint256(bytes32(message[58:90]));
        report.locked = uint256(bytes32(message[90:122]));
        report.seq = uint64(bytes8(message[122:130]));
        report.lastCommandNonce = uint64(bytes8(message[130:138]));
    }

    /// @notice Decodes a message already validated by `decodeEnvelope` as a hub command.
    function decodeCommand(bytes calldata message) internal pure returns (Command memory command) {
        command.kind = MessageType(uint8(message[1]));
        if (command.kind == MessageType.BalanceReport) {
            revert IMessageCodecErrors.UnexpectedMessageType(MessageType.Release, MessageType.BalanceReport);
        }
        command.account = address(bytes20(message[18:38]));
        command.asset = address(bytes20(message[38:58]));
        command.amount = uint256(bytes32(message[58:90]));
        if (command.kind == MessageType.Lock) {
            command.cmdNonce = uint64(bytes8(message[90:98]));
        } else {
            command.to = address(bytes20(message[90:110]));
            command.cmdNonce = uint64(bytes8(message[110:118]));
        }
    }

    function _header(MessageType kind, uint64 origin, uint64 destination) private pure returns (bytes memory) {
        return abi.encodePacked(VERSION, uint8(kind), origin, destination);
    }

    function _lengthOf(uint8 kind) private pure returns (uint256) {
        if (kind == uint8(MessageType.BalanceReport)) return BALANCE_REPORT_LENGTH;
        if (kind == uint8(MessageType.Release) || kind == uint8(MessageType.Seize)) return TRANSFER_COMMAND_LENGTH;
        if (kind == uint8(MessageType.Lock)) return LOCK_COMMAND_LENGTH;
        revert IMessageCodecErrors.UnknownMessageType(kind);
    }

    function _expectKind(bytes calldata message, MessageType expected) private pure {
        MessageType actual = MessageType(uint8(message[1]));
        if (actual != expected) revert IMessageCodecErrors.UnexpectedMessageType(expected, actual);
    }
}
