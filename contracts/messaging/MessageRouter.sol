// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IMessageReceiver, IMessenger} from "../interfaces/IMessenger.sol";

/// @title MessageRouter
/// @notice The messenger of one application: picks the transport per remote chain (LayerZero,
/// Hyperlane, or both) and, in dual mode, applies a message only after both transports delivered
/// the same bytes. The gateways' sender and receiver are this router; the application's messenger is
/// this router.
/// @dev Dual mode keys deliveries by keccak256(origin, message): a payload that differs between the
/// transports yields two keys with one delivery each, so it never applies. Every xmargin message is
/// unique (reports carry `seq`, commands `cmdNonce`), so a key that applied once is consumed for good.
contract MessageRouter is IMessenger, IMessageReceiver, Ownable2Step {
    enum RouteMode {
        None,
        LayerZero,
        Hyperlane,
        Dual
    }

    uint8 private constant VIA_LAYER_ZERO = 1;
    uint8 private constant VIA_HYPERLANE = 2;
    uint8 private constant VIA_BOTH = VIA_LAYER_ZERO | VIA_HYPERLANE;

    error UnauthorizedApplication(address caller);
    error UnauthorizedGateway(address caller);
    error NoRoute(uint64 chainId);
    error TransportNotOnRoute(uint64 chainId, RouteMode mode, address gateway);
    error InsufficientFee(uint256 required, uint256 paid);
    error RefundFailed(address to, uint256 amount);

    event RouteSet(uint64 indexed chainId, RouteMode mode);
    event GatewaysSet(address layerZero, address hyperlane);
    event ApplicationSet(address indexed application);
    /// @notice One transport of a dual route delivered; the message waits for the other.
    event DualDeliveryPending(uint64 indexed origin, bytes32 indexed key, uint8 deliveredVia);
    /// @notice A dual-route message arrived again after it had applied (a transport replayed it): ignored.
    event DualDeliveryIgnored(uint64 indexed origin, bytes32 indexed key);

    IMessageReceiver public application;
    IMessenger public layerZero;
    IMessenger public hyperlane;
    mapping(uint64 chainId => RouteMode) public routeOf;
    /// @notice Dual mode: which transports delivered a key (bit 1 LayerZero, bit 2 Hyperlane); 3 = applied.
    mapping(bytes32 key => uint8 deliveredVia) public dualDeliveries;

    constructor(address owner_) Ownable(owner_) {}

    function setApplication(IMessageReceiver newApplication) external onlyOwner {
        application = newApplication;
        emit ApplicationSet(address(newApplication));
    }

    function setGateways(IMessenger layerZero_, IMessenger hyperlane_) external onlyOwner {
        layerZero = layerZero_;
        hyperlane = hyperlane_;
        emit GatewaysSet(address(layerZero_), address(hyperlane_));
    }

    function setRoute(uint64 chainId, RouteMode mode) external onlyOwner {
        routeOf[chainId] = mode;
        emit RouteSet(chainId, mode);
    }

    /// @inheritdoc IMessenger
    /// @dev In dual mode, the sum of both transports' fees.
    function quote(uint64 destination, bytes calldata message) external view returns (uint256 fee) {
        RouteMode mode = _route(destination);
        if (mode != RouteMode.Hyperlane) fee += layerZero.quote(destination, message);
        if (mode != RouteMode.LayerZero) fee += hyperlane.quote(destination, message);
    }

    /// @inheritdoc IMessenger
    /// @dev Pays each transport exactly its quote and refunds the rest of `msg.value` to `refundTo`.
    /// In dual mode the id is the LayerZero one; both transports' ids are in their gateways' events.
    function send(uint64 destination, bytes calldata message, address refundTo)
        external
        payable
        returns (bytes32 messageId)
    {
        if (msg.sender != address(application)) revert UnauthorizedApplication(msg.sender);
        RouteMode mode = _route(destination);
        uint256 spent;
        if (mode != RouteMode.Hyperlane) {
            uint256 fee = layerZero.quote(destination, message);
            spent = fee;
            if (spent > msg.value) revert InsufficientFee(spent, msg.value);
            messageId = layerZero.send{value: fee}(destination, message, refundTo);
        }
        if (mode != RouteMode.LayerZero) {
            uint256 fee = hyperlane.quote(destination, message);
            spent += fee;
            if (spent > msg.value) revert InsufficientFee(spent, msg.value);
            bytes32 hyperlaneId = hyperlane.send{value: fee}(destination, message, refundTo);
            if (mode == RouteMode.Hyperlane) messageId = hyperlaneId;
        }
        uint256 refund = msg.value - spent;
        if (refund != 0) {
            (bool refunded,) = refundTo.call{value: refund}("");
            if (!refunded) revert RefundFailed(refundTo, refund);
        }
    }

    /// @inheritdoc IMessageReceiver
    /// @dev Only the gateways call this, after authenticating the peer; the application re-checks the envelope.
    function receiveMessage(uint64 origin, bytes calldata message) external {
        uint8 via;
        if (msg.sender == address(layerZero)) via = VIA_LAYER_ZERO;
        else if (msg.sender == address(hyperlane)) via = VIA_HYPERLANE;
        else revert UnauthorizedGateway(msg.sender);

        RouteMode mode = routeOf[origin];
        if (mode == RouteMode.Dual) {
            bytes32 key = keccak256(abi.encode(origin, message));
            uint8 previous = dualDeliveries[key];
            if (previous == VIA_BOTH) {
                emit DualDeliveryIgnored(origin, key);
                return;
            }
            uint8 delivered = previous | via;
            dualDeliveries[key] = delivered;
            if (delivered != VIA_BOTH) {
                emit DualDeliveryPending(origin, key, delivered);
                return;
            }
        } else if (uint8(mode) != via) {
            revert TransportNotOnRoute(origin, mode, msg.sender);
        }
        application.receiveMessage(origin, message);
    }

    function _route(uint64 chainId) private view returns (RouteMode mode) {
        mode = routeOf[chainId];
        if (mode == RouteMode.None) revert NoRoute(chainId);
    }
}
