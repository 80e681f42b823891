import { parseAbi } from "viem";

// Typed fragments of the LayerZero v2 contracts (deployed from the bytecode the npm packages ship) and
// of our LayerZeroGateway: only what the deployer and the delivery engine call or read.
// test/transports/layerzero/abi.test.ts checks every fragment against the artifacts' ABIs.

const ORIGIN = "struct Origin { uint32 srcEid; bytes32 sender; uint64 nonce; }";
const ULN_CONFIG =
  "struct UlnConfig { uint64 confirmations; uint8 requiredDVNCount; uint8 optionalDVNCount; uint8 optionalDVNThreshold; address[] requiredDVNs; address[] optionalDVNs; }";

export const endpointV2Abi = parseAbi([
  ORIGIN,
  "constructor(uint32 eid, address owner)",
  "event PacketSent(bytes encodedPayload, bytes options, address sendLibrary)",
  "event PacketVerified(Origin origin, address receiver, bytes32 payloadHash)",
  "event PacketDelivered(Origin origin, address receiver)",
  "event LzReceiveAlert(address indexed receiver, address indexed executor, Origin origin, bytes32 guid, uint256 gas, uint256 value, bytes message, bytes extraData, bytes reason)",
  "function eid() view returns (uint32)",
  "function lzReceive(Origin origin, address receiver, bytes32 guid, bytes message, bytes extraData) payable",
  "function inboundPayloadHash(address receiver, uint32 srcEid, bytes32 sender, uint64 nonce) view returns (bytes32)",
  "function lazyInboundNonce(address receiver, uint32 srcEid, bytes32 sender) view returns (uint64)",
  "function inboundNonce(address receiver, uint32 srcEid, bytes32 sender) view returns (uint64)",
  "function registerLibrary(address lib)",
  "function setDefaultSendLibrary(uint32 eid, address newLib)",
  "function setDefaultReceiveLibrary(uint32 eid, address newLib, uint256 gracePeriod)",
  "struct SetConfigParam { uint32 eid; uint32 configType; bytes config; }",
  "function setSendLibrary(address oapp, uint32 eid, address newLib)",
  "function setReceiveLibrary(address oapp, uint32 eid, address newLib, uint256 gracePeriod)",
  "function setConfig(address oapp, address lib, SetConfigParam[] params)",
  "function getSendLibrary(address sender, uint32 eid) view returns (address lib)",
  "function getReceiveLibrary(address receiver, uint32 eid) view returns (address lib, bool isDefault)",
  "error LZ_InvalidNonce(uint64 nonce)",
  "error LZ_InvalidReceiveLibrary()",
  "error LZ_PathNotInitializable()",
  "error LZ_PathNotVerifiable()",
  "error LZ_PayloadHashNotFound(bytes32 expected, bytes32 actual)",
  "error LZ_InsufficientFee(uint256 requiredNative, uint256 suppliedNative, uint256 requiredLzToken, uint256 suppliedLzToken)",
  "error LZ_InvalidPayloadHash()",
]);

export const sendUln302Abi = parseAbi([
  ULN_CONFIG,
  "struct SetDefaultUlnConfigParam { uint32 eid; UlnConfig config; }",
  "struct ExecutorConfig { uint32 maxMessageSize; address executor; }",
  "struct SetDefaultExecutorConfigParam { uint32 eid; ExecutorConfig config; }",
  "constructor(address endpoint, uint256 treasuryGasLimit, uint256 treasuryGasForFeeCap)",
  "function setDefaultUlnConfigs(SetDefaultUlnConfigParam[] params)",
  "function setDefaultExecutorConfigs(SetDefaultExecutorConfigParam[] params)",
]);

export const receiveUln302Abi = parseAbi([
  ULN_CONFIG,
  "struct SetDefaultUlnConfigParam { uint32 eid; UlnConfig config; }",
  "constructor(address endpoint)",
  "event PayloadVerified(address dvn, bytes header, uint256 confirmations, bytes32 proofHash)",
  "function verify(bytes packetHeader, bytes32 payloadHash, uint64 confirmations)",
  "function commitVerification(bytes packetHeader, bytes32 payloadHash)",
  "function setDefaultUlnConfigs(SetDefaultUlnConfigParam[] params)",
  "function getUlnConfig(address oapp, uint32 remoteEid) view returns (UlnConfig)",
  "function verifiable(UlnConfig config, bytes32 headerHash, bytes32 payloadHash) view returns (bool)",
  "function hashLookup(bytes32 headerHash, bytes32 payloadHash, address dvn) view returns (bool submitted, uint64 confirmations)",
  "error LZ_ULN_Verifying()",
  "error LZ_ULN_InvalidPacketHeader()",
  "error LZ_ULN_InvalidPacketVersion()",
  "error LZ_ULN_InvalidEid()",
  "error LZ_ULN_UnsupportedEid(uint32 eid)",
]);

export const priceFeedAbi = parseAbi([
  "struct Price { uint128 priceRatio; uint64 gasPriceInUnit; uint32 gasPerByte; }",
  "struct UpdatePrice { uint32 eid; Price price; }",
  "function initialize(address priceUpdater)",
  "function setPrice(UpdatePrice[] prices)",
  "function setNativeTokenPriceUSD(uint128 nativeTokenPriceUSD)",
]);

export const dvnAbi = parseAbi([
  "struct ExecuteParam { uint32 vid; address target; bytes callData; uint256 expiration; bytes signatures; }",
  "struct DstConfigParam { uint32 dstEid; uint64 gas; uint16 multiplierBps; uint128 floorMarginUSD; }",
  "constructor(uint32 localEidV2, uint32 vid, address[] messageLibs, address priceFeed, address[] signers, uint64 quorum, address[] admins)",
  "event VerifySignaturesFailed(uint256 idx)",
  "event ExecuteFailed(uint256 _index, bytes _data)",
  "event HashAlreadyUsed(ExecuteParam param, bytes32 _hash)",
  "function execute(ExecuteParam[] params)",
  "function vid() view returns (uint32)",
  "function quorum() view returns (uint64)",
  "function getSigners() view returns (address[])",
  "function hashCallData(uint32 vid, address target, bytes callData, uint256 expiration) pure returns (bytes32)",
  "function setDstConfig(DstConfigParam[] params)",
  "function setWorkerFeeLib(address workerFeeLib)",
]);

export const dvnFeeLibAbi = parseAbi(["constructor(uint32 localEidV2, uint256 nativeDecimalsRate)"]);

export const executorAbi = parseAbi([
  ORIGIN,
  "struct ExecutionParams { address receiver; Origin origin; bytes32 guid; bytes message; bytes extraData; uint256 gasLimit; }",
  "struct DstConfigParam { uint32 dstEid; uint64 lzReceiveBaseGas; uint64 lzComposeBaseGas; uint16 multiplierBps; uint128 floorMarginUSD; uint128 nativeCap; }",
  "function initialize(address endpoint, address receiveUln301, address[] messageLibs, address priceFeed, address roleAdmin, address[] admins)",
  "function execute302(ExecutionParams executionParams) payable",
  "function setDstConfig(DstConfigParam[] params)",
  "function setWorkerFeeLib(address workerFeeLib)",
]);

export const executorFeeLibAbi = parseAbi(["constructor(uint32 localEidV2, uint256 nativeDecimalsRate)"]);

/** Errors our gateway, its OApp base and the wire codec can revert with. */
const gatewayErrors = [
  "error UnauthorizedSender(address caller)",
  "error UnknownDomain(uint32 domain)",
  "error UnknownChain(uint64 chainId)",
  "error EnvelopeOriginMismatch(uint64 transportOrigin, uint64 envelopeOrigin)",
  "error EnvelopeWrongDestination(uint64 destination, uint256 thisChain)",
  "error DestinationGasNotSet(uint8 kind)",
  "error OnlyPeer(uint32 eid, bytes32 sender)",
  "error NoPeer(uint32 eid)",
  "error OnlyEndpoint(address addr)",
  "error UnsupportedVersion(uint8 version)",
  "error UnknownMessageType(uint8 kind)",
  "error MessageTruncated(uint256 expectedLength, uint256 actualLength)",
  "error MessageTrailingBytes(uint256 expectedLength, uint256 actualLength)",
] as const;

/** Errors of the receiving application (MessagingApp and its codec use), which bubble up through `lzReceive`. */
export const messagingAppErrorsAbi = parseAbi([
  "error UnauthorizedMessenger(address caller)",
  "error OriginMismatch(uint64 transportOrigin, uint64 envelopeOrigin)",
  "error WrongDestination(uint64 destination, uint256 thisChain)",
  "error UnknownPeerChain(uint64 origin)",
  "error UnexpectedMessageType(uint8 expected, uint8 actual)",
]);

export const layerZeroGatewayAbi = parseAbi([
  "constructor(address endpoint, address owner)",
  "event LayerZeroMessageSent(uint64 indexed destination, bytes32 indexed guid, uint64 nonce, uint256 nativeFee)",
  "event MessageDelivered(uint64 indexed origin, bytes32 indexed messageHash)",
  "function endpoint() view returns (address)",
  "function peers(uint32 eid) view returns (bytes32)",
  "function setPeer(uint32 eid, bytes32 peer)",
  "function setRoute(uint64 chainId, uint32 domain)",
  "function setSender(address sender)",
  "function setReceiver(address receiver)",
  "function setDestinationGas(uint8 kind, uint128 gas)",
  "function quote(uint64 destination, bytes message) view returns (uint256 fee)",
  "function send(uint64 destination, bytes message, address refundTo) payable returns (bytes32 messageId)",
  "function optionsFor(bytes message) view returns (bytes)",
  ...gatewayErrors,
]);

/** Every custom error a delivery step can surface, for decoding revert data and alert reasons. */
export const layerZeroDeliveryErrorsAbi = [
  ...endpointV2Abi.filter((item) => item.type === "error"),
  ...receiveUln302Abi.filter((item) => item.type === "error"),
  ...layerZeroGatewayAbi.filter((item) => item.type === "error"),
  ...messagingAppErrorsAbi,
];
