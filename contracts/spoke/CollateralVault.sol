// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20, SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IMessenger} from "../interfaces/IMessenger.sol";
import {MessageCodec} from "../messaging/MessageCodec.sol";
import {MessagingApp} from "../messaging/MessagingApp.sol";
import {BalanceReport, Command, Envelope, MessageType} from "../types/Messages.sol";

/// @title CollateralVault
/// @notice Spoke side of xmargin. The hub is the controller: locked funds move only on its commands,
/// which run strictly in `cmdNonce` order per account. A command that cannot pay never blocks the
/// ones after it: its funds become claimable by the intended recipient.
/// @dev `Pausable` comes before `Ownable2Step` so that its flag shares the messenger's slot: a deposit's
/// pause check then warms the slot its report reads the messenger from.
contract CollateralVault is ICollateralVault, MessagingApp, Pausable, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Commands beyond this many parked ones wait for `executeParkedCommands`, bounding delivery gas.
    uint256 public constant MAX_COMMANDS_PER_DELIVERY = 8;

    /// @notice The hub's chain id: the only origin whose commands this vault obeys.
    uint64 public immutable hubChainId;

    mapping(address asset => AssetConfig) public assetConfig;
    mapping(address account => mapping(address asset => Balance)) internal _balances;
    mapping(address account => uint64) public lastCommandNonce;
    mapping(address account => mapping(uint64 cmdNonce => Command)) internal _parked;
    mapping(address recipient => mapping(address asset => uint256)) public claimable;

    constructor(address owner_, uint64 hubChainId_, IMessenger messenger_) Ownable(owner_) {
        hubChainId = hubChainId_;
        _setMessenger(messenger_);
    }

    /// @notice Funds the vault's budget for reports it sends after executing hub commands.
    receive() external payable {}

    // ---------------------------------------------------------------- owner

    function configureAsset(address asset, bool allowed, uint8 decimals) external onlyOwner {
        assetConfig[asset] = AssetConfig({allowed: allowed, decimals: decimals});
        emit AssetConfigured(asset, allowed, decimals);
    }

    function setMessenger(IMessenger newMessenger) external onlyOwner {
        _setMessenger(newMessenger);
    }

    /// @notice Pausing stops deposits only; commands, free withdrawals and claims keep working.
    function pause() external onlyOwner {
        _pause();
    }

    function unpause() external onlyOwner {
        _unpause();
    }

    // ---------------------------------------------------------------- traders

    /// @inheritdoc ICollateralVault
    function deposit(address asset, uint256 amount, bool lockAsMargin)
        external
        payable
        nonReentrant
        whenNotPaused
        returns (uint256 received)
    {
        if (!assetConfig[asset].allowed) revert AssetNotAllowed(asset);
        if (amount == 0) revert ZeroAmount();
        uint256 balanceBefore = IERC20(asset).balanceOf(address(this));
        IERC20(asset).safeTransferFrom(msg.sender, address(this), amount);
        received = IERC20(asset).balanceOf(address(this)) - balanceBefore;
        if (received == 0) revert ZeroAmount();

        Balance storage balance = _balances[msg.sender][asset];
        uint256 total = balance.total + received;
        if (total > type(uint112).max) revert BalanceOverflow(msg.sender, asset);
        balance.total = uint112(total);
        if (lockAsMargin) balance.locked += uint112(received);
        emit Deposited(msg.sender, asset, received, lockAsMargin);

        _report(msg.sender, asset, balance, msg.value, msg.sender);
    }

    /// @inheritdoc ICollateralVault
    function lock(address asset, uint256 amount) external payable nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Balance storage balance = _balances[msg.sender][asset];
        uint256 free = balance.total - balance.locked;
        if (amount > free) revert InsufficientFreeBalance(msg.sender, asset, free, amount);
        balance.locked += uint112(amount);
        emit Locked(msg.sender, asset, amount);

        _report(msg.sender, asset, balance, msg.value, msg.sender);
    }

    /// @inheritdoc ICollateralVault
    function withdrawFree(address asset, uint256 amount, address to) external payable nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert InvalidRecipient();
        Balance storage balance = _balances[msg.sender][asset];
        uint256 free = balance.total - balance.locked;
        if (amount > free) revert InsufficientFreeBalance(msg.sender, asset, free, amount);
        balance.total -= uint112(amount);
        emit FreeWithdrawn(msg.sender, asset, amount, to);

        IERC20(asset).safeTransfer(to, amount);
        _report(msg.sender, asset, balance, msg.value, msg.sender);
    }

    /// @inheritdoc ICollateralVault
    function syncBalance(address account, address asset) external payable nonReentrant {
        _report(account, asset, _balances[account][asset], msg.value, msg.sender);
    }

    /// @inheritdoc ICollateralVault
    function claim(address asset, address to) external nonReentrant returns (uint256 amount) {
        amount = claimable[msg.sender][asset];
        if (amount == 0) revert NothingToClaim(msg.sender, asset);
        if (to == address(0)) revert InvalidRecipient();
        claimable[msg.sender][asset] = 0;
        emit Claimed(msg.sender, asset, amount, to);
        IERC20(asset).safeTransfer(to, amount);
    }

    /// @inheritdoc ICollateralVault
    function executeParkedCommands(address account, uint256 maxCommands)
        external
        nonReentrant
        returns (uint256 executed)
    {
        return _drainParked(account, maxCommands);
    }

    // ---------------------------------------------------------------- views

    function balanceOf(address account, address asset) external view returns (Balance memory) {
        return _balances[account][asset];
    }

    // ---------------------------------------------------------------- hub commands

    function _isPeerChain(uint64 origin) internal view override returns (bool) {
        return origin == hubChainId;
    }

    /// @dev Reached only through `receiveMessage`, after the envelope and its origin are authenticated.
    function _handleMessage(Envelope memory, bytes calldata message) internal override nonReentrant {
        Command memory command = MessageCodec.decodeCommand(message);
        uint64 last = lastCommandNonce[command.account];
        if (command.cmdNonce <= last) {
            emit StaleCommandIgnored(command.account, command.cmdNonce, last);
            return;
        }
        if (command.cmdNonce > last + 1) {
            _parked[command.account][command.cmdNonce] = command;
            emit CommandParked(command.account, command.cmdNonce);
            return;
        }
        _execute(command);
        _drainParked(command.account, MAX_COMMANDS_PER_DELIVERY);
    }

    function _drainParked(address account, uint256 maxCommands) internal returns (uint256 executed) {
        for (; executed < maxCommands; ++executed) {
            uint64 next = lastCommandNonce[account] + 1;
            Command memory command = _parked[account][next];
            if (command.kind == MessageType.None) break;
            delete _parked[account][next];
            _execute(command);
        }
        if (executed == maxCommands) {
            uint64 next = lastCommandNonce[account] + 1;
            if (_parked[account][next].kind != MessageType.None) emit ParkedCommandsReady(account, next);
        }
    }

    /// @dev Effects first, then the payment; a failed payment becomes a claim instead of a revert.
    function _execute(Command memory command) internal {
        lastCommandNonce[command.account] = command.cmdNonce;
        Balance storage balance = _balances[command.account][command.asset];
        uint256 applied;
        if (command.kind == MessageType.Lock) {
            uint256 free = balance.total - balance.locked;
            applied = command.amount < free ? command.amount : free;
            balance.locked += uint112(applied);
        } else {
            applied = command.amount < balance.locked ? command.amount : balance.locked;
            balance.locked -= uint112(applied);
            // A command to the zero address only unlocks: the amount becomes free balance.
            if (command.to != address(0)) balance.total -= uint112(applied);
        }
        emit CommandExecuted(command.account, command.cmdNonce, command.kind, command.asset, applied, command.to);

        if (command.kind != MessageType.Lock && command.to != address(0) && applied > 0) {
            if (!IERC20(command.asset).trySafeTransfer(command.to, applied)) {
                claimable[command.to][command.asset] += applied;
                emit CommandPaymentFailed(command.account, command.cmdNonce, command.to, command.asset, applied);
            }
        }
        _reportFromBudget(command.account, command.asset, balance);
    }

    // ---------------------------------------------------------------- reports

    function _report(address account, address asset, Balance storage balance, uint256 fee, address refundTo)
        internal
    {
        _send(hubChainId, _nextReport(account, asset, balance), fee, refundTo);
    }

    /// @dev Reports triggered by hub commands are paid from the vault's own balance; when it cannot
    /// pay, the report is deferred (never the command) and `syncBalance` sends it later.
    function _reportFromBudget(address account, address asset, Balance storage balance) internal {
        bytes memory message = _nextReport(account, asset, balance);
        uint256 fee = messenger.quote(hubChainId, message);
        if (fee > address(this).balance) {
            emit ReportDeferred(account, asset);
            return;
        }
        _send(hubChainId, message, fee, address(this));
    }

    function _nextReport(address account, address asset, Balance storage balance) internal returns (bytes memory) {
        uint32 seq = balance.seq + 1;
        balance.seq = seq;
        uint64 acknowledged = lastCommandNonce[account];
        emit BalanceReported(account, asset, balance.total, balance.locked, seq, acknowledged);
        return MessageCodec.encodeBalanceReport(
            localChainId,
            hubChainId,
            BalanceReport({
                account: account,
                asset: asset,
                total: balance.total,
                locked: balance.locked,
                seq: seq,
                lastCommandNonce: acknowledged
            })
        );
    }
}
