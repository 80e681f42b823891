// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MessageCodec} from "../messaging/MessageCodec.sol";
import {BalanceReport, Command, Envelope} from "../types/Messages.sol";

/// @notice Test-only: exposes the internal codec so TypeScript tests can check the shared vectors.
contract MessageCodecHarness {
    function encodeBalanceReport(uint64 origin, uint64 destination, BalanceReport calldata report)
        external
        pure
        returns (bytes memory)
    {
        return MessageCodec.encodeBalanceReport(origin, destination, report);
    }

    function encodeCommand(uint64 origin, uint64 destination, Command calldata command)
        external
        pure
        returns (bytes memory)
    {
        return MessageCodec.encodeCommand(origin, destination, command);
    }

    function decodeBalanceReport(bytes calldata message)
        external
        pure
        returns (Envelope memory envelope, BalanceReport memory report)
    {
        envelope = MessageCodec.decodeEnvelope(message);
        report = MessageCodec.decodeBalanceReport(message);
    }

    function decodeCommand(bytes calldata message) external pure returns (Envelope memory envelope, Command memory command) {
        envelope = MessageCodec.decodeEnvelope(message);
        command = MessageCodec.decodeCommand(message);
    }
}
