// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IMessenger} from "../../interfaces/IMessenger.sol";
import {TransportGateway} from "../TransportGateway.sol";
import {
    IHyperlaneMailbox,
    IHyperlaneMessageRecipient,
    IHyperlaneSpecifiesInterchainSecurityModule
} from "./IHyperlane.sol";

/// @title HyperlaneGateway
/// @notice xmargin's messenger over Hyperlane: a recipient of the local `Mailbox` that carries the bytes of
/// its one local application (`sender`, `receiver`) to the peer gateway registered for each remote domain.
/// @dev Outbound: the owner fixes the destination gas per message type; it travels as the gas limit of
/// Hyperlane's standard hook metadata, which the interchain gas paymaster charges for. The gateway quotes
/// the Mailbox, dispatches with exactly that fee and refunds the rest of `msg.value` to `refundTo`.
/// Inbound: the Mailbox has verified the message with the ISM (ours if set, else its default) and
/// delivers each message id at most once; `handle` accepts only the Mailbox and only the registered peer
/// of the origin domain, maps that domain to its chain id, and `_deliver` checks the envelope (origin,
/// destination, decodability).
contract HyperlaneGateway is
    TransportGateway,
    IHyperlaneMessageRecipient,
    IHyperlaneSpecifiesInterchainSecurityModule
{
    /// @dev Hyperlane `StandardHookMetadata` variant 1: variant u16 | msgValue u256 | gasLimit u256 | refund address.
    uint16 private constant HOOK_METADATA_VARIANT = 1;

    /// @notice The constructor was given an address without code as the Mailbox.
    error InvalidMailbox(address mailbox);
    /// @notice `handle` was called by someone other than the local Mailbox.
    error UnauthorizedMailbox(address caller);
    /// @notice A message from `sender` on `domain`, which is not the registered peer there.
    error UnknownPeer(uint32 domain, bytes32 sender);
    /// @notice No peer gateway is registered on `domain`, so nothing can be sent there.
    error PeerNotSet(uint32 domain);
    /// @notice `msg.value` does not cover the Mailbox's fee.
    error InsufficientFee(uint256 required, uint256 paid);
    /// @notice The excess fee could not be returned to `refundTo`.
    error RefundFailed(address refundTo, uint256 amount);

    /// @notice The peer gateway on `domain` changed (zero: none).
    event PeerSet(uint32 indexed domain, bytes32 peer);
    /// @notice The ISM the Mailbox verifies this gateway's inbound messages with changed (zero: the default).
    event InterchainSecurityModuleSet(address indexed ism);
    /// @notice A message left for `destination` as the Hyperlane message `messageId`, paying `fee`.
    event HyperlaneMessageSent(uint64 indexed destination, bytes32 indexed messageId, uint256 fee);

    /// @notice The local Hyperlane Mailbox.
    IHyperlaneMailbox public immutable mailbox;

    /// @notice The gateway on each remote domain, as Hyperlane's bytes32 address.
    mapping(uint32 domain => bytes32 peer) public peers;

    /// @inheritdoc IHyperlaneSpecifiesInterchainSecurityModule
    address public interchainSecurityModule;

    /// @param mailbox_ The local Hyperlane Mailbox (its proxy).
    /// @param owner_ Owner of the gateway: routes, peers, destination gas, ISM, sender and receiver.
    constructor(IHyperlaneMailbox mailbox_, address owner_) Ownable(owner_) {
        if (address(mailbox_).code.length == 0) revert InvalidMailbox(address(mailbox_));
        mailbox = mailbox_;
    }

    // ---------------------------------------------------------------- owner

    /// @notice Registers the gateway on `domain` that this one sends to and accepts messages from.
    function setPeer(uint32 domain, bytes32 peer) external onlyOwner {
        peers[domain] = peer;
        emit PeerSet(domain, peer);
    }

    /// @notice Names the ISM for inbound messages; zero falls back to the Mailbox's default ISM.
    function setInterchainSecurityModule(address ism) external onlyOwner {
        interchainSecurityModule = ism;
        emit InterchainSecurityModuleSet(ism);
    }

    // ---------------------------------------------------------------- outbound

    /// @inheritdoc IMessenger
    function quote(uint64 destination, bytes calldata message) external view returns (uint256 fee) {
        uint32 domain = _domain(destination);
        return mailbox.quoteDispatch(domain, _peer(domain), message, _hookMetadata(message, address(0)));
    }

    /// @inheritdoc IMessenger
    function send(uint64 destination, bytes calldata message, address refundTo)
        external
        payable
        returns (bytes32 messageId)
    {
        _requireSender();
        uint32 domain = _domain(destination);
        bytes32 peer = _peer(domain);
        bytes memory hookMetadata = _hookMetadata(message, refundTo);
        uint256 fee = mailbox.quoteDispatch(domain, peer, message, hookMetadata);
        if (msg.value < fee) revert InsufficientFee(fee, msg.value);

        messageId = mailbox.dispatch{value: fee}(domain, peer, message, hookMetadata);
        emit HyperlaneMessageSent(destination, messageId, fee);

        uint256 excess = msg.value - fee;
        if (excess > 0) {
            (bool refunded,) = refundTo.call{value: excess}("");
            if (!refunded) revert RefundFailed(refundTo, excess);
        }
    }

    /// @notice The hook metadata a message of this content is dispatched with (destination gas for its type).
    function hookMetadataFor(bytes calldata message, address refundTo) external view returns (bytes memory) {
        return _hookMetadata(message, refundTo);
    }

    // ---------------------------------------------------------------- inbound

    /// @inheritdoc IHyperlaneMessageRecipient
    /// @dev Reached only through `Mailbox.process`, after the ISM verified the message and the Mailbox
    /// recorded it as delivered.
    function handle(uint32 origin, bytes32 originSender, bytes calldata message) external payable {
        if (msg.sender != address(mailbox)) revert UnauthorizedMailbox(msg.sender);
        bytes32 peer = peers[origin];
        if (peer == bytes32(0) || peer != originSender) revert UnknownPeer(origin, originSender);
        _deliver(_chainId(origin), message);
    }

    // ---------------------------------------------------------------- internal

    function _peer(uint32 domain) private view returns (bytes32 peer) {
        peer = peers[domain];
        if (peer == bytes32(0)) revert PeerNotSet(domain);
    }

    /// @dev Decodes the envelope (through `_gasFor`), so a malformed message never leaves.
    function _hookMetadata(bytes calldata message, address refundTo) private view returns (bytes memory) {
        return abi.encodePacked(HOOK_METADATA_VARIANT, uint256(0), uint256(_gasFor(message)), refundTo);
    }
}
