// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MessagingFee, MessagingReceipt, OApp, Origin} from "@layerzerolabs/lz-evm-oapp-v2/contracts/oapp/OApp.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IMessenger} from "../../interfaces/IMessenger.sol";
import {TransportGateway} from "../TransportGateway.sol";

/// @title LayerZeroGateway
/// @notice xmargin's messenger over LayerZero v2: an OApp on the local `EndpointV2` that carries the
/// bytes of its one local application (`sender`, `receiver`) to the peer gateway on another chain.
/// @dev Outbound: the owner fixes the destination gas per message type, so every message carries
/// type-3 options with exactly one executor `lzReceive` option and no native value; users only pay.
/// Inbound: the endpoint has checked the DVN verification and the nonce (a packet is delivered at most
/// once), `OAppReceiver.lzReceive` has checked the registered peer for `srcEid`; this contract maps
/// `srcEid` to its chain id and `_deliver` checks the envelope (origin, destination, decodability).
contract LayerZeroGateway is OApp, TransportGateway {
    /// @dev Options layout (LayerZero `OptionsBuilder`): type u16 = 3 | worker id u8 = 1 (executor)
    /// | option size u16 = 17 | option type u8 = 1 (lzReceive) | gas u128.
    uint16 private constant OPTIONS_TYPE_3 = 3;
    uint8 private constant EXECUTOR_WORKER_ID = 1;
    uint16 private constant LZ_RECEIVE_OPTION_SIZE = 17;
    uint8 private constant OPTION_TYPE_LZ_RECEIVE = 1;

    /// @notice A message left for `destination` as the LayerZero packet `guid` with path nonce `nonce`.
    event LayerZeroMessageSent(uint64 indexed destination, bytes32 indexed guid, uint64 nonce, uint256 nativeFee);

    /// @param endpoint_ The local LayerZero `EndpointV2`.
    /// @param owner_ Owner of the gateway and its delegate on the endpoint (may change LayerZero configs).
    constructor(address endpoint_, address owner_) OApp(endpoint_, owner_) Ownable(owner_) {}

    /// @inheritdoc IMessenger
    /// @dev The fee the endpoint's send library charges (DVN + executor) for this message's options.
    function quote(uint64 destination, bytes calldata message) external view override returns (uint256 fee) {
        return _quote(_domain(destination), message, _options(message), false).nativeFee;
    }

    /// @inheritdoc IMessenger
    /// @dev All of `msg.value` goes to the endpoint, which takes the fee and refunds the rest to `refundTo`
    /// (it reverts with `LZ_InsufficientFee` when `msg.value` is short).
    function send(uint64 destination, bytes calldata message, address refundTo)
        external
        payable
        override
        returns (bytes32 messageId)
    {
        _requireSender();
        MessagingFee memory paid = MessagingFee({nativeFee: msg.value, lzTokenFee: 0});
        MessagingReceipt memory receipt = _lzSend(_domain(destination), message, _options(message), paid, refundTo);
        emit LayerZeroMessageSent(destination, receipt.guid, receipt.nonce, receipt.fee.nativeFee);
        return receipt.guid;
    }

    /// @notice The options a message of this content is sent with (executor gas for its type).
    function optionsFor(bytes calldata message) external view returns (bytes memory) {
        return _options(message);
    }

    /// @dev Reached only from the endpoint, for a verified packet from the registered peer of `srcEid`.
    function _lzReceive(Origin calldata origin, bytes32, bytes calldata message, address, bytes calldata)
        internal
        override
    {
        _deliver(_chainId(origin.srcEid), message);
    }

    function _options(bytes calldata message) private view returns (bytes memory) {
        return abi.encodePacked(
            OPTIONS_TYPE_3, EXECUTOR_WORKER_ID, LZ_RECEIVE_OPTION_SIZE, OPTION_TYPE_LZ_RECEIVE, _gasFor(message)
        );
    }
}
