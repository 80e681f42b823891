/**
 * The parts of the Hyperlane contracts and of our HyperlaneGateway that the validator, the deliverer
 * and the deployment call, as typed viem ABIs. The Hyperlane fragments match `@hyperlane-xyz/core` 12.1;
 * the gateway's match contracts/messaging/hyperlane/HyperlaneGateway.sol (a test compares them with
 * the compiled artifact).
 */
import { parseAbi } from "viem";

export const mailboxAbi = parseAbi([
  "event Dispatch(address indexed sender, uint32 indexed destination, bytes32 indexed recipient, bytes message)",
  "event DispatchId(bytes32 indexed messageId)",
  "event Process(uint32 indexed origin, bytes32 indexed sender, address indexed recipient)",
  "event ProcessId(bytes32 indexed messageId)",
  "function localDomain() view returns (uint32)",
  "function nonce() view returns (uint32)",
  "function delivered(bytes32 messageId) view returns (bool)",
  "function defaultIsm() view returns (address)",
  "function defaultHook() view returns (address)",
  "function requiredHook() view returns (address)",
  "function recipientIsm(address recipient) view returns (address)",
  "function process(bytes metadata, bytes message) payable",
  "function dispatch(uint32 destinationDomain, bytes32 recipientAddress, bytes messageBody) payable returns (bytes32)",
  "function quoteDispatch(uint32 destinationDomain, bytes32 recipientAddress, bytes messageBody) view returns (uint256)",
  "function initialize(address owner, address defaultIsm, address defaultHook, address requiredHook)",
]);

export const merkleTreeHookAbi = parseAbi([
  "event InsertedIntoTree(bytes32 messageId, uint32 index)",
  "function count() view returns (uint32)",
  "function root() view returns (bytes32)",
  "function latestCheckpoint() view returns (bytes32 root, uint32 index)",
]);

/** The paymaster's gas overhead per destination: what `process` costs beside the recipient, as senders paid for it. */
export const interchainGasPaymasterAbi = parseAbi([
  "function destinationGasConfigs(uint32 domain) view returns (address gasOracle, uint96 gasOverhead)",
]);

/** What the deliverer asks of an ISM: its type, a routing ISM's choice, a multisig ISM's validator set. */
export const interchainSecurityModuleAbi = parseAbi([
  "function moduleType() view returns (uint8)",
  "function route(bytes message) view returns (address)",
  "function validatorsAndThreshold(bytes message) view returns (address[] validators, uint8 threshold)",
]);

/** `IInterchainSecurityModule.Types` values the deliverer understands. */
export const ISM_MODULE_TYPE = { routing: 1, messageIdMultisig: 5 } as const;

export const validatorAnnounceAbi = parseAbi([
  "event ValidatorAnnouncement(address indexed validator, string storageLocation)",
  "function announce(address validator, string storageLocation, bytes signature) returns (bool)",
  "function getAnnouncedValidators() view returns (address[])",
  "function getAnnouncedStorageLocations(address[] validators) view returns (string[][])",
]);

export const hyperlaneGatewayAbi = parseAbi([
  "constructor(address mailbox_, address owner_)",
  // IMessenger
  "function quote(uint64 destination, bytes message) view returns (uint256 fee)",
  "function send(uint64 destination, bytes message, address refundTo) payable returns (bytes32 messageId)",
  // TransportGateway
  "function sender() view returns (address)",
  "function receiver() view returns (address)",
  "function domainOf(uint64 chainId) view returns (uint32)",
  "function chainIdOf(uint32 domain) view returns (uint64)",
  "function destinationGas(uint8 kind) view returns (uint128)",
  "function setSender(address newSender)",
  "function setReceiver(address newReceiver)",
  "function setRoute(uint64 chainId, uint32 domain)",
  "function setDestinationGas(uint8 kind, uint128 gas)",
  "event SenderSet(address indexed sender)",
  "event ReceiverSet(address indexed receiver)",
  "event RouteSet(uint64 indexed chainId, uint32 domain)",
  "event DestinationGasSet(uint8 indexed kind, uint128 gas)",
  "event MessageDelivered(uint64 indexed origin, bytes32 indexed messageHash)",
  "error UnauthorizedSender(address caller)",
  "error UnknownDomain(uint32 domain)",
  "error UnknownChain(uint64 chainId)",
  "error EnvelopeOriginMismatch(uint64 transportOrigin, uint64 envelopeOrigin)",
  "error EnvelopeWrongDestination(uint64 destination, uint256 thisChain)",
  "error DestinationGasNotSet(uint8 kind)",
  // HyperlaneGateway
  "function mailbox() view returns (address)",
  "function peers(uint32 domain) view returns (bytes32)",
  "function interchainSecurityModule() view returns (address)",
  "function setPeer(uint32 domain, bytes32 peer)",
  "function setInterchainSecurityModule(address ism)",
  "function hookMetadataFor(bytes message, address refundTo) view returns (bytes)",
  "function handle(uint32 origin, bytes32 originSender, bytes message) payable",
  "event PeerSet(uint32 indexed domain, bytes32 peer)",
  "event InterchainSecurityModuleSet(address indexed ism)",
  "event HyperlaneMessageSent(uint64 indexed destination, bytes32 indexed messageId, uint256 fee)",
  "error InvalidMailbox(address mailbox)",
  "error UnauthorizedMailbox(address caller)",
  "error UnknownPeer(uint32 domain, bytes32 sender)",
  "error PeerNotSet(uint32 domain)",
  "error InsufficientFee(uint256 required, uint256 paid)",
  "error RefundFailed(address refundTo, uint256 amount)",
  // Ownable (OpenZeppelin 5)
  "function owner() view returns (address)",
  "error OwnableUnauthorizedAccount(address account)",
  // The envelope checks of the codec, reached through `handle`
  "error UnsupportedVersion(uint8 version)",
  "error UnknownMessageType(uint8 kind)",
  "error MessageTruncated(uint256 expectedLength, uint256 actualLength)",
  "error MessageTrailingBytes(uint256 expectedLength, uint256 actualLength)",
]);

/** Errors of the applications behind a gateway (contracts/interfaces/IMessenger.sol), for decoding reverts of `process`. */
export const messagingAppErrorsAbi = parseAbi([
  "error UnauthorizedMessenger(address caller)",
  "error OriginMismatch(uint64 transportOrigin, uint64 envelopeOrigin)",
  "error WrongDestination(uint64 destination, uint256 thisChain)",
  "error UnknownPeerChain(uint64 origin)",
  "error UnexpectedMessageType(uint8 expected, uint8 actual)",
]);
