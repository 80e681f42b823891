/**
 * Typed fragments of the contracts the protocol deployer creates that the SDK does not export: the
 * transport router, and the devnet's test tokens and price feeds. The engine, vault and oracle ABIs come
 * from the SDK. test/devnet/protocol-config.test.ts compares every fragment with the compiled artifacts.
 */
import { parseAbi } from "viem";

/** `MessageRouter.RouteMode`. */
export const ROUTE_MODE = { none: 0, layerzero: 1, hyperlane: 2, dual: 3 } as const;

export const messageRouterAbi = parseAbi([
  "constructor(address owner_)",
  "event DualDeliveryPending(uint64 indexed origin, bytes32 indexed key, uint8 deliveredVia)",
  "event DualDeliveryIgnored(uint64 indexed origin, bytes32 indexed key)",
  "function application() view returns (address)",
  "function layerZero() view returns (address)",
  "function hyperlane() view returns (address)",
  "function routeOf(uint64 chainId) view returns (uint8)",
  "function dualDeliveries(bytes32 key) view returns (uint8)",
  "function setApplication(address newApplication)",
  "function setGateways(address layerZero_, address hyperlane_)",
  "function setRoute(uint64 chainId, uint8 mode)",
  "function quote(uint64 destination, bytes message) view returns (uint256 fee)",
  "function send(uint64 destination, bytes message, address refundTo) payable returns (bytes32 messageId)",
  "error UnauthorizedApplication(address caller)",
  "error UnauthorizedGateway(address caller)",
  "error NoRoute(uint64 chainId)",
  "error TransportNotOnRoute(uint64 chainId, uint8 mode, address gateway)",
  "error InsufficientFee(uint256 required, uint256 paid)",
  "error RefundFailed(address to, uint256 amount)",
]);

/** The devnet's open-mint ERC-20 (contracts/test/TestTokens.sol). */
export const testTokenAbi = parseAbi([
  "constructor(string name_, string symbol_, uint8 decimals_)",
  "function mint(address to, uint256 amount)",
  "function approve(address spender, uint256 value) returns (bool)",
  "function balanceOf(address account) view returns (uint256)",
  "function decimals() view returns (uint8)",
  "function symbol() view returns (string)",
]);

/** The devnet's writable Chainlink-style feed (contracts/test/MockAggregatorV3.sol). */
export const devnetPriceFeedAbi = parseAbi([
  "constructor(uint8 decimals_, int256 initialAnswer)",
  "function setAnswer(int256 answer)",
  "function decimals() view returns (uint8)",
  "function latestRoundData() view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)",
]);
