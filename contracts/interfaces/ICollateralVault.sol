// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MessageType} from "../types/Messages.sol";

/// @title ICollateralVault
/// @notice A spoke vault: holds traders' collateral, reports every balance change to the hub and
/// executes the hub's commands. Free balance is the trader's to withdraw at once; locked balance
/// moves only on an authenticated hub command.
interface ICollateralVault {
    /// @notice Per (account, asset) balance. `locked ≤ total`; `free = total − locked`.
    struct Balance {
        uint112 total;
        uint112 locked;
        /// Sequence number of the last balance report sent for this (account, asset).
        uint32 seq;
    }

    /// @notice An allowlisted collateral asset.
    struct AssetConfig {
        bool allowed;
        uint8 decimals;
    }

    error AssetNotAllowed(address asset);
    error ZeroAmount();
    error InsufficientFreeBalance(address account, address asset, uint256 free, uint256 requested);
    error NothingToClaim(address recipient, address asset);
    error BalanceOverflow(address account, address asset);
    error InvalidRecipient();

    event AssetConfigured(address indexed asset, bool allowed, uint8 decimals);
    event Deposited(address indexed account, address indexed asset, uint256 received, bool locked);
    event Locked(address indexed account, address indexed asset, uint256 amount);
    event FreeWithdrawn(address indexed account, address indexed asset, uint256 amount, address to);
    event BalanceReported(
        address indexed account, address indexed asset, uint256 total, uint256 locked, uint64 seq, uint64 lastCommandNonce
    );
    /// @notice A hub command ran. `applied` may be below the commanded amount when the balance was smaller.
    event CommandExecuted(
        address indexed account, uint64 indexed cmdNonce, MessageType kind, address asset, uint256 applied, address to
    );
    /// @notice A command's payment failed; the funds are claimable by `to`.
    event CommandPaymentFailed(address indexed account, uint64 indexed cmdNonce, address indexed to, address asset, uint256 amount);
    /// @notice A command arrived ahead of its predecessors and waits for them.
    event CommandParked(address indexed account, uint64 indexed cmdNonce);
    /// @notice A delivery ran `MAX_COMMANDS_PER_DELIVERY` parked commands and the next one, `nextCmdNonce`, is ready
    /// too: no later delivery may come to run it, so anyone (a relayer) calls `executeParkedCommands`.
    event ParkedCommandsReady(address indexed account, uint64 nextCmdNonce);
    /// @notice A command at or below the last executed nonce: a replay or duplicate, ignored.
    event StaleCommandIgnored(address indexed account, uint64 indexed cmdNonce, uint64 lastExecuted);
    /// @notice A report could not be paid for from the vault's fee balance; `syncBalance` resends it.
    event ReportDeferred(address indexed account, address indexed asset);
    event Claimed(address indexed recipient, address indexed asset, uint256 amount, address to);

    /// @notice Deposits `amount` of `asset`; credits what actually arrived (fee-on-transfer safe).
    /// @param lockAsMargin Lock the deposit as margin at once (counted by the hub when the report lands).
    /// @dev `msg.value` pays the report's messaging fee; any excess is refunded.
    function deposit(address asset, uint256 amount, bool lockAsMargin) external payable returns (uint256 received);

    /// @notice Moves `amount` of the caller's free balance into locked margin.
    function lock(address asset, uint256 amount) external payable;

    /// @notice Pays `amount` of the caller's free balance to `to` at once, without the hub.
    function withdrawFree(address asset, uint256 amount, address to) external payable;

    /// @notice Sends a fresh report of (account, asset); anyone may call it, e.g. after a deferred report.
    function syncBalance(address account, address asset) external payable;

    /// @notice Pays out funds of failed command payments owed to the caller.
    function claim(address asset, address to) external returns (uint256 amount);

    /// @notice Executes parked commands of `account` whose predecessors have run.
    function executeParkedCommands(address account, uint256 maxCommands) external returns (uint256 executed);

    function balanceOf(address account, address asset) external view returns (Balance memory);
    function lastCommandNonce(address account) external view returns (uint64);
    function claimable(address recipient, address asset) external view returns (uint256);
}
