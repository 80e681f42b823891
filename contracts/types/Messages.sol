// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Kinds of cross-chain message. The numeric values are part of the wire format.
enum MessageType {
    None,
    BalanceReport,
    Release,
    Lock,
    Seize
}

/// @notice Routing header carried by every message.
/// @dev `origin` is checked against the transport's authenticated origin, `destination` against block.chainid.
struct Envelope {
    uint8 version;
    MessageType kind;
    uint64 origin;
    uint64 destination;
}

/// @notice Spoke → hub: the vault's view of one (account, asset) after a change.
/// @dev `seq` increases strictly per (spoke, account, asset); `lastCommandNonce` acknowledges hub commands.
struct BalanceReport {
    address account;
    address asset;
    uint256 total;
    uint256 locked;
    uint64 seq;
    uint64 lastCommandNonce;
}

/// @notice Hub → spoke: `Release`, `Lock` or `Seize` of `amount` of `asset` for `account`.
/// @dev `cmdNonce` is sequential per (spoke, account). `to` is unused by `Lock` (zero on the wire and when decoded).
struct Command {
    MessageType kind;
    address account;
    address asset;
    uint256 amount;
    address to;
    uint64 cmdNonce;
}
