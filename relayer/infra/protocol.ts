/**
 * The whole xmargin protocol on a hub and its spokes, over plain viem clients:
 *
 * - on every chain, both transport stacks (relayer/infra/layerzero.ts, hyperlane.ts): the same N operator
 *   keys are the LayerZero DVN's signers and the Hyperlane ISMs' validators, with threshold M on both;
 * - on every chain, one MessageRouter for the chain's application: it is the messenger of the application
 *   and the sender and receiver of both gateways, and routes each remote chain over LayerZero, Hyperlane
 *   or both (dual: applied only when both delivered the same bytes);
 * - on the hub: the oracle with a devnet price feed per asset and market, the MarginEngine with its linked
 *   libraries, the risk parameters of test/vectors/risk.json, the markets, USDC as the quote token, and a
 *   seeded liquidity pool;
 * - on each spoke: a CollateralVault accepting devnet USDC, WETH and WBTC, whose tokens the engine takes as
 *   collateral, with a budget for the reports it sends after hub commands.
 *
 * Tokens and price feeds are the devnet's own (open-mint TestToken, writable MockAggregatorV3): the record
 * says so. Everything is owned by the deployer.
 */
import { type Address, getAddress, type Hex, keccak256, parseEther, parseUnits, stringToHex } from "viem";
// "zod/v4" is zod 4 whether the installed package is 3.25 (which ships v4 there) or 4.x.
import { z } from "zod/v4";
import { collateralVaultAbi, marginEngineAbi, xmarginOracleAbi } from "../../sdk/abi/index.ts";
import type { MessageTypeName } from "../../sdk/codec/index.ts";
import { deliveryBatcherAbi } from "../transports/batch.ts";
import { hyperlaneGatewayAbi } from "../transports/hyperlane/abi.ts";
import { layerZeroGatewayAbi } from "../transports/layerzero/abi.ts";
import { projectBytecode } from "./artifacts.ts";
import {
  ChainDeployer,
  type ContractCall,
  call,
  type DeployerChain,
  ProtocolDeploymentError,
} from "./chain-deployer.ts";
import {
  deployHyperlane,
  DEFAULT_DESTINATION_GAS as HYPERLANE_DESTINATION_GAS,
  hyperlaneChainRecordSchema,
  toHyperlaneChainRecord,
} from "./hyperlane.ts";
import {
  deployLayerZero,
  DEFAULT_DESTINATION_GAS as LAYERZERO_DESTINATION_GAS,
  layerZeroChainDeploymentSchema,
} from "./layerzero.ts";
import { devnetPriceFeedAbi, messageRouterAbi, ROUTE_MODE, testTokenAbi } from "./protocol-abi.ts";

export { type DeployerChain, ProtocolDeploymentError } from "./chain-deployer.ts";

// ---------------------------------------------------------------------------------------------- parameters

/** How messages between the hub and one spoke travel. */
export const TRANSPORT_ROUTES = ["layerzero", "hyperlane", "dual"] as const;
export type TransportRoute = (typeof TRANSPORT_ROUTES)[number];

/**
 * The risk parameters of test/vectors/risk.json (its base scenarios; test/devnet/protocol-config.test.ts
 * holds the two equal): asset weights, chain haircuts (spoke A, B, C), market margins and lot sizes.
 */
export const DEVNET_RISK = {
  params: {
    pnlWeightInit: "0.8",
    liquidationBuffer: "0.02",
    liquidationFee: "0.01",
    liquidationFeeInsuranceShare: "0.25",
    collateralBonus: "0.05",
    collateralBonusProtocolShare: "0.1",
  },
  assets: {
    USDC: { weightInit: "1", weightMaint: "1", sizeFactor: "0" },
    WETH: { weightInit: "0.80", weightMaint: "0.85", sizeFactor: "0" },
    WBTC: { weightInit: "0.75", weightMaint: "0.80", sizeFactor: "0" },
  },
  /** Haircut of the first, second and third spoke; spokes after the third take the last one. */
  haircuts: ["0", "0.02", "0.05"],
  markets: {
    "ETH-PERP": { marginInit: "0.05", marginMaint: "0.03", sizeFactor: "0", lotSize: "0.001" },
    "BTC-PERP": { marginInit: "0.05", marginMaint: "0.03", sizeFactor: "0", lotSize: "0.0001" },
  },
} as const;

export type DevnetAsset = keyof typeof DEVNET_RISK.assets;
export type DevnetMarket = keyof typeof DEVNET_RISK.markets;

/** The devnet's collateral assets in engine asset-id order, with their tokens' decimals and start prices. */
export const DEVNET_ASSETS: readonly { symbol: DevnetAsset; name: string; decimals: number; price: string }[] = [
  { symbol: "USDC", name: "USD Coin", decimals: 6, price: "1" },
  { symbol: "WETH", name: "Wrapped Ether", decimals: 18, price: "3000" },
  { symbol: "WBTC", name: "Wrapped Bitcoin", decimals: 8, price: "60000" },
];

/**
 * The devnet's perp markets in engine market-id order. Each has its own price feed (the mark), set to the
 * spot price at start. Trading terms beyond the risk spec (fee, caps, funding) are devnet choices.
 */
export const DEVNET_MARKETS: readonly {
  name: DevnetMarket;
  price: string;
  openInterestCap: string;
  skewScale: string;
}[] = [
  { name: "ETH-PERP", price: "3000", openInterestCap: "10000", skewScale: "1000" },
  { name: "BTC-PERP", price: "60000", openInterestCap: "500", skewScale: "50" },
];

const TAKER_FEE = "0.0005";
/** Seconds `healthOf` trusts a cached price (MarginEngine.setMaxPriceAge, at most 1 h): the cheap view path.
 * Every trade and release refills the cache; older entries fall back to live oracle reads. */
export const MAX_PRICE_AGE = 60;
/** 0.01 % per hour at full skew. */
const MAX_FUNDING_RATE_PER_SECOND = 27_777_777_778n;
/** Chainlink-style feeds quote USD with 8 decimals. */
const PRICE_FEED_DECIMALS = 8;
/** The longest staleness the oracle allows: a devnet without a price keeper stays usable for a day. */
const PRICE_MAX_AGE_SECONDS = 86_400;
const PRICE_MIN_INTERVAL_SECONDS = 60;
const ORACLE_CONFIG_DELAY_SECONDS = 3_600n;
const QUOTE_TOKEN: DevnetAsset = "USDC";

export const DEFAULT_LIQUIDITY = "1000000";
export const DEFAULT_REPORT_FEE_BUDGET = parseEther("1");

/** The oracle id of an asset or market price: keccak256 of its name. */
export const priceIdOf = (name: string): Hex => keccak256(stringToHex(name));

/**
 * Gas on top of each transport's own destination gas: the router's hop and dual-mode bookkeeping on every
 * inbound message, and for commands the acknowledging report, which on a dual route leaves over both
 * transports from inside the delivery. test/transports/dual measures a dual-route Release applied by its
 * LayerZero delivery at about 630k for the whole `execute302` transaction, against 830k given to lzReceive.
 */
const ROUTER_GAS = 80_000n;
const DUAL_REPORT_GAS = 250_000n;

/** Destination gas per message type for one transport, with room for the router and dual-route reports. */
function protocolDestinationGas(base: Readonly<Record<MessageTypeName, bigint>>): Record<MessageTypeName, bigint> {
  return {
    BalanceReport: base.BalanceReport + ROUTER_GAS,
    Release: base.Release + ROUTER_GAS + DUAL_REPORT_GAS,
    Lock: base.Lock + ROUTER_GAS + DUAL_REPORT_GAS,
    Seize: base.Seize + ROUTER_GAS + DUAL_REPORT_GAS,
  };
}

export const PROTOCOL_DESTINATION_GAS = {
  layerZero: protocolDestinationGas(LAYERZERO_DESTINATION_GAS),
  hyperlane: protocolDestinationGas(HYPERLANE_DESTINATION_GAS),
} as const;

/** LayerZero for the first spoke, Hyperlane for the second, and alternating after that. */
export function defaultRoutes(spokeNames: readonly string[]): Record<string, TransportRoute> {
  return Object.fromEntries(spokeNames.map((name, index) => [name, index % 2 === 0 ? "layerzero" : "hyperlane"]));
}

// ---------------------------------------------------------------------------------------------- record

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "expected a 20-byte hex address")
  .transform((value) => getAddress(value));
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected 32 bytes of hex") as z.ZodType<Hex>;
const decimalString = z.string().regex(/^\d+(\.\d+)?$/, "expected a decimal number");

const tokenRecordSchema = z.object({
  address,
  decimals: z.number().int().min(0).max(36),
  name: z.string().min(1),
  /** What the token is: on the devnet, always "devnet test token" (open mint, no value). */
  description: z.string().min(1),
});

const priceFeedRecordSchema = z.object({
  address,
  decimals: z.number().int().min(0).max(36),
  priceId: bytes32,
  initialPrice: decimalString,
  description: z.string().min(1),
});

const messagingContractsSchema = z.object({
  /** The application's messenger: the chain's MessageRouter (the SDK quotes fees here). */
  messenger: address,
  router: address,
  layerZeroGateway: address,
  hyperlaneGateway: address,
});

const chainRecordSchema = z.object({
  name: z.string().min(1),
  chainId: z.number().int().positive(),
  layerZero: layerZeroChainDeploymentSchema,
  hyperlane: hyperlaneChainRecordSchema,
  tokens: z.record(z.string().min(1), tokenRecordSchema),
  /**
   * The relayers' DeliveryBatcher: many deliveries to this chain in one transaction. Optional (deployments made
   * before it existed): without it every delivery is a transaction of its own.
   */
  deliveryBatcher: address.optional(),
});

export const hubRecordSchema = chainRecordSchema.extend({
  contracts: messagingContractsSchema.extend({ engine: address, oracle: address }),
  /** The engine's linked libraries. */
  libraries: z.object({
    TradingLogic: address,
    LiquidationLogic: address,
    RiskViews: address,
    ReleaseIntents: address,
  }),
  /** The engine's settle (quote) token: a symbol of `tokens`. */
  quoteToken: z.string().min(1),
  priceFeeds: z.record(z.string().min(1), priceFeedRecordSchema),
  /** Collateral assets by symbol, with their engine asset id. */
  assets: z.record(z.string().min(1), z.object({ id: z.number().int().min(0), priceId: bytes32 })),
  markets: z.record(
    z.string().min(1),
    z.object({ id: z.number().int().min(0), priceId: bytes32, lotSize: decimalString }),
  ),
  /** Quote-token units the deployer deposited into the liquidity pool. */
  liquidity: decimalString,
});

export const spokeRecordSchema = chainRecordSchema.extend({
  contracts: messagingContractsSchema.extend({ vault: address }),
  /** The engine's haircut for collateral on this spoke. */
  haircut: decimalString,
  /** Wei the vault holds to pay for the reports it sends after executing hub commands. */
  reportFeeBudget: z.string().regex(/^\d+$/),
});

export const protocolDeploymentSchema = z.object({
  /** The N operators: LayerZero DVN signers, Hyperlane validators, and admins that may deliver. */
  operators: z.array(address).min(1),
  /** M: the signatures each message needs, on both transports. */
  threshold: z.number().int().positive(),
  /** The transport between the hub and each spoke, by spoke name. */
  routes: z.record(z.string().min(1), z.enum(TRANSPORT_ROUTES)),
  hub: hubRecordSchema,
  spokes: z.array(spokeRecordSchema).min(1),
});

export type HubRecord = z.output<typeof hubRecordSchema>;
export type SpokeRecord = z.output<typeof spokeRecordSchema>;
export type ProtocolDeployment = z.output<typeof protocolDeploymentSchema>;

// ---------------------------------------------------------------------------------------------- deploy

export interface DeployProtocolOptions {
  hub: DeployerChain;
  spokes: readonly DeployerChain[];
  /** The N operators' addresses: each one's key signs for both transports and may submit deliveries. */
  operators: readonly Address[];
  /** M, at most N. Default 2 (or 1 with a single operator). */
  threshold?: number;
  /** The transport per spoke name; spokes not named take `defaultRoutes`. */
  routes?: Readonly<Record<string, TransportRoute>>;
  /** Quote-token units (e.g. "1000000") the deployer deposits into the liquidity pool. */
  liquidity?: string;
  /** Wei sent to each vault for the reports it sends after hub commands. */
  reportFeeBudget?: bigint;
  onProgress?: (message: string) => void;
}

/** Deploys and wires everything (see the top of this file); returns every address. */
export async function deployProtocol(options: DeployProtocolOptions): Promise<ProtocolDeployment> {
  const progress = options.onProgress ?? (() => {});
  const { hub, spokes, operators } = options;
  const threshold = options.threshold ?? Math.min(2, operators.length);
  const routes = resolveRoutes(
    spokes.map((spoke) => spoke.name),
    options.routes ?? {},
  );
  validateTopology(options, threshold);
  const chains = [hub, ...spokes];

  progress(`LayerZero: deploying the stack on ${chains.length} chains (DVN ${threshold} of ${operators.length})…`);
  const layerZero = await deployLayerZero(chains, {
    dvn: { signers: operators, quorum: threshold, operators },
    destinationGas: PROTOCOL_DESTINATION_GAS.layerZero,
    onProgress: progress,
  });
  progress(`Hyperlane: deploying the stack on ${chains.length} chains (ISM ${threshold} of ${operators.length})…`);
  const hyperlane = await deployHyperlane({
    chains,
    validators: operators,
    threshold,
    destinationGas: PROTOCOL_DESTINATION_GAS.hyperlane,
  });
  const transportsOf = (index: number) => {
    const lz = layerZero[index];
    const hl = hyperlane.chains[index];
    if (!lz || !hl) throw new ProtocolDeploymentError(`transport deployment is missing chain #${index}`);
    return { layerZero: lz, hyperlane: toHyperlaneChainRecord(hl) };
  };
  for (const [index, chain] of chains.entries()) {
    const { layerZero: lz, hyperlane: hl } = transportsOf(index);
    progress(`${chain.name}: LayerZero gateway ${lz.gateway}, Hyperlane gateway ${hl.gateway}`);
  }

  progress("deploying the relayers' DeliveryBatcher on every chain…");
  const deliveryBatchers = await Promise.all(chains.map(deployDeliveryBatcher));
  const batcherOf = (index: number) => deliveryBatchers[index] as Address;

  const haircutOf = (index: number) => DEVNET_RISK.haircuts[Math.min(index, DEVNET_RISK.haircuts.length - 1)] as string;
  const liquidity = options.liquidity ?? DEFAULT_LIQUIDITY;
  const reportFeeBudget = options.reportFeeBudget ?? DEFAULT_REPORT_FEE_BUDGET;

  const [hubRecord, spokeList] = await Promise.all([
    deployHub(new ChainDeployer(hub), {
      transports: transportsOf(0),
      spokes: spokes.map((spoke, index) => ({
        chainId: spoke.chainId,
        haircut: haircutOf(index),
        route: routes[spoke.name] as TransportRoute,
      })),
      liquidity,
      progress,
    }),
    Promise.all(
      spokes.map((spoke, index) =>
        deploySpoke(new ChainDeployer(spoke), {
          transports: transportsOf(index + 1),
          hubChainId: hub.chainId,
          route: routes[spoke.name] as TransportRoute,
          haircut: haircutOf(index),
          reportFeeBudget,
          progress,
        }),
      ),
    ),
  ]);

  progress(`${hub.name}: enabling the spokes' tokens as collateral…`);
  const assetIdOf = (symbol: string) => {
    const asset = hubRecord.assets[symbol];
    if (!asset) throw new ProtocolDeploymentError(`the hub has no collateral asset ${symbol}`);
    return asset.id;
  };
  await new ChainDeployer(hub).sendAll(
    spokeList.flatMap((spoke) =>
      Object.entries(spoke.tokens).map(([symbol, token]) =>
        call({
          step: `MarginEngine.configureCollateralToken(${spoke.name} ${symbol})`,
          address: hubRecord.contracts.engine,
          abi: marginEngineAbi,
          functionName: "configureCollateralToken",
          args: [BigInt(spoke.chainId), token.address, assetIdOf(symbol), token.decimals, true],
        }),
      ),
    ),
  );

  return protocolDeploymentSchema.parse({
    operators: [...operators],
    threshold,
    routes,
    hub: { ...hubRecord, deliveryBatcher: batcherOf(0) },
    spokes: spokeList.map((spoke, index) => ({ ...spoke, deliveryBatcher: batcherOf(index + 1) })),
  });
}

/**
 * The relayers' DeliveryBatcher on `chain`: stateless and permissionless, it carries many deliveries in one
 * transaction. Its address goes in the chain's record as `deliveryBatcher`, where the relayer looks for it.
 */
export async function deployDeliveryBatcher(chain: DeployerChain): Promise<Address> {
  return new ChainDeployer(chain).deploy("DeliveryBatcher", {
    abi: deliveryBatcherAbi,
    bytecode: await projectBytecode("DeliveryBatcher"),
  });
}

function resolveRoutes(
  spokeNames: readonly string[],
  given: Readonly<Record<string, TransportRoute>>,
): Record<string, TransportRoute> {
  const unknown = Object.keys(given).filter((name) => !spokeNames.includes(name));
  if (unknown.length > 0) {
    throw new ProtocolDeploymentError(
      `routes name unknown spokes: ${unknown.join(", ")} (spokes: ${spokeNames.join(", ")})`,
      {
        details: { unknown, spokes: spokeNames },
      },
    );
  }
  for (const [name, route] of Object.entries(given)) {
    if (!TRANSPORT_ROUTES.includes(route)) {
      throw new ProtocolDeploymentError(`route of ${name} must be one of ${TRANSPORT_ROUTES.join(", ")}, got ${route}`);
    }
  }
  return { ...defaultRoutes(spokeNames), ...given };
}

function validateTopology(options: DeployProtocolOptions, threshold: number): void {
  const chains = [options.hub, ...options.spokes];
  if (options.spokes.length === 0) throw new ProtocolDeploymentError("deployProtocol needs at least one spoke");
  const ids = chains.map((chain) => chain.chainId);
  const names = chains.map((chain) => chain.name);
  if (new Set(ids).size !== ids.length) throw new ProtocolDeploymentError(`chain ids repeat: ${ids.join(", ")}`);
  if (new Set(names).size !== names.length)
    throw new ProtocolDeploymentError(`chain names repeat: ${names.join(", ")}`);
  const operators = new Set(options.operators.map((operator) => operator.toLowerCase()));
  if (operators.size !== options.operators.length || operators.size === 0) {
    throw new ProtocolDeploymentError("operators must be distinct addresses, at least one");
  }
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > operators.size) {
    throw new ProtocolDeploymentError(`threshold ${threshold} must be from 1 to the ${operators.size} operators`);
  }
}

interface ChainTransports {
  layerZero: ProtocolDeployment["hub"]["layerZero"];
  hyperlane: ProtocolDeployment["hub"]["hyperlane"];
}

/** A MessageRouter owned by the deployer; `routerWiring` connects it. */
async function deployRouter(deployer: ChainDeployer): Promise<Address> {
  return deployer.deploy("MessageRouter", {
    abi: messageRouterAbi,
    bytecode: await projectBytecode("MessageRouter"),
    args: [deployer.deployer],
  });
}

/**
 * The calls that make `router` the messenger of `application`: both gateways and the route per remote chain
 * on the router, the router as the sender and receiver of both gateways.
 */
function routerWiring(
  router: Address,
  application: Address,
  transports: ChainTransports,
  routes: readonly { chainId: number; route: TransportRoute }[],
): ContractCall[] {
  const layerZeroGateway = transports.layerZero.gateway;
  const hyperlaneGateway = transports.hyperlane.gateway;
  return [
    call({
      step: "MessageRouter.setGateways",
      address: router,
      abi: messageRouterAbi,
      functionName: "setGateways",
      args: [layerZeroGateway, hyperlaneGateway],
    }),
    call({
      step: "MessageRouter.setApplication",
      address: router,
      abi: messageRouterAbi,
      functionName: "setApplication",
      args: [application],
    }),
    ...routes.map(({ chainId, route }) =>
      call({
        step: `MessageRouter.setRoute(${chainId}, ${route})`,
        address: router,
        abi: messageRouterAbi,
        functionName: "setRoute",
        args: [BigInt(chainId), ROUTE_MODE[route]],
      }),
    ),
    ...(["setSender", "setReceiver"] as const).flatMap((functionName) => [
      call({
        step: `LayerZeroGateway.${functionName}(router)`,
        address: layerZeroGateway,
        abi: layerZeroGatewayAbi,
        functionName,
        args: [router],
      }),
      call({
        step: `HyperlaneGateway.${functionName}(router)`,
        address: hyperlaneGateway,
        abi: hyperlaneGatewayAbi,
        functionName,
        args: [router],
      }),
    ]),
  ];
}

const messagingContracts = (router: Address, transports: ChainTransports) => ({
  messenger: router,
  router,
  layerZeroGateway: transports.layerZero.gateway,
  hyperlaneGateway: transports.hyperlane.gateway,
});

async function deployTestToken(deployer: ChainDeployer, asset: (typeof DEVNET_ASSETS)[number]) {
  const tokenAddress = await deployer.deploy(`TestToken ${asset.symbol}`, {
    abi: testTokenAbi,
    bytecode: await projectBytecode("TestToken"),
    args: [`${asset.name} (xmargin devnet)`, asset.symbol, asset.decimals],
  });
  return {
    address: tokenAddress,
    decimals: asset.decimals,
    name: `${asset.name} (xmargin devnet)`,
    description: "devnet test token",
  };
}

const wad = (value: string) => parseUnits(value, 18);

async function deployHub(
  deployer: ChainDeployer,
  options: {
    transports: ChainTransports;
    spokes: readonly { chainId: number; haircut: string; route: TransportRoute }[];
    liquidity: string;
    progress: (message: string) => void;
  },
): Promise<HubRecord> {
  const { chain } = deployer;
  const owner = deployer.deployer;
  options.progress(`${chain.name}: deploying the oracle, price feeds, engine and router…`);
  const quoteAsset = DEVNET_ASSETS.find((asset) => asset.symbol === QUOTE_TOKEN);
  if (!quoteAsset) throw new ProtocolDeploymentError(`no devnet asset ${QUOTE_TOKEN}`);
  const quoteToken = await deployTestToken(deployer, quoteAsset);

  const feedBytecode = await projectBytecode("MockAggregatorV3");
  const priceFeeds: HubRecord["priceFeeds"] = {};
  for (const { name, price } of [
    ...DEVNET_ASSETS.map((asset) => ({ name: asset.symbol, price: asset.price })),
    ...DEVNET_MARKETS,
  ]) {
    const feed = await deployer.deploy(`devnet price feed ${name}`, {
      abi: devnetPriceFeedAbi,
      bytecode: feedBytecode,
      args: [PRICE_FEED_DECIMALS, parseUnits(price, PRICE_FEED_DECIMALS)],
    });
    priceFeeds[name] = {
      address: feed,
      decimals: PRICE_FEED_DECIMALS,
      priceId: priceIdOf(name),
      initialPrice: price,
      description: "devnet price feed (MockAggregatorV3: anyone may set the answer)",
    };
  }

  const oracle = await deployer.deploy("XmarginOracle", {
    abi: xmarginOracleAbi,
    bytecode: await projectBytecode("XmarginOracle"),
    args: [owner, ORACLE_CONFIG_DELAY_SECONDS],
  });
  await deployer.sendAll(
    Object.entries(priceFeeds).map(([name, feed]) =>
      call({
        step: `XmarginOracle.addPriceId(${name})`,
        address: oracle,
        abi: xmarginOracleAbi,
        functionName: "addPriceId",
        args: [
          feed.priceId,
          {
            kind: 0,
            source: feed.address,
            maxAge: PRICE_MAX_AGE_SECONDS,
            minInterval: PRICE_MIN_INTERVAL_SECONDS,
            maxDeviation: wad("1"),
            underlyingId: `0x${"00".repeat(32)}`,
            volatility: { sigmaRef: 0n, kMax: wad("1"), window: PRICE_MIN_INTERVAL_SECONDS, rampDuration: 0 },
          },
        ],
      }),
    ),
  );

  const libraries = {
    TradingLogic: await deployer.deploy("TradingLogic", { abi: [], bytecode: await projectBytecode("TradingLogic") }),
    LiquidationLogic: await deployer.deploy("LiquidationLogic", {
      abi: [],
      bytecode: await projectBytecode("LiquidationLogic"),
    }),
    RiskViews: await deployer.deploy("RiskViews", { abi: [], bytecode: await projectBytecode("RiskViews") }),
    ReleaseIntents: await deployer.deploy("ReleaseIntents", {
      abi: [],
      bytecode: await projectBytecode("ReleaseIntents"),
    }),
  };
  const router = await deployRouter(deployer);
  const engine = await deployer.deploy("MarginEngine", {
    abi: marginEngineAbi,
    bytecode: await projectBytecode("MarginEngine", libraries),
    args: [owner, quoteToken.address, quoteToken.decimals, oracle, router],
  });

  const risk = DEVNET_RISK;
  const liquidityUnits = parseUnits(options.liquidity, quoteToken.decimals);
  await deployer.sendAll([
    call({
      step: "MarginEngine.setRiskParams",
      address: engine,
      abi: marginEngineAbi,
      functionName: "setRiskParams",
      args: [
        {
          pnlWeightInit: wad(risk.params.pnlWeightInit),
          liquidationBuffer: wad(risk.params.liquidationBuffer),
          liquidationFee: wad(risk.params.liquidationFee),
          liquidationFeeInsuranceShare: wad(risk.params.liquidationFeeInsuranceShare),
          collateralBonus: wad(risk.params.collateralBonus),
          collateralBonusProtocolShare: wad(risk.params.collateralBonusProtocolShare),
        },
      ],
    }),
    call({
      step: "MarginEngine.setMaxPriceAge",
      address: engine,
      abi: marginEngineAbi,
      functionName: "setMaxPriceAge",
      args: [MAX_PRICE_AGE],
    }),
    ...options.spokes.map((spoke) =>
      call({
        step: `MarginEngine.registerSpoke(${spoke.chainId})`,
        address: engine,
        abi: marginEngineAbi,
        functionName: "registerSpoke",
        args: [BigInt(spoke.chainId), wad(spoke.haircut)],
      }),
    ),
    ...DEVNET_ASSETS.map((asset, id) =>
      call({
        step: `MarginEngine.configureAsset(${asset.symbol})`,
        address: engine,
        abi: marginEngineAbi,
        functionName: "configureAsset",
        args: [
          BigInt(id),
          {
            priceId: priceIdOf(asset.symbol),
            weightInit: wad(risk.assets[asset.symbol].weightInit),
            weightMaint: wad(risk.assets[asset.symbol].weightMaint),
            sizeFactor: wad(risk.assets[asset.symbol].sizeFactor),
          },
        ],
      }),
    ),
    ...DEVNET_MARKETS.map((market, id) =>
      call({
        step: `MarginEngine.configureMarket(${market.name})`,
        address: engine,
        abi: marginEngineAbi,
        functionName: "configureMarket",
        args: [
          BigInt(id),
          {
            priceId: priceIdOf(market.name),
            marginInit: wad(risk.markets[market.name].marginInit),
            marginMaint: wad(risk.markets[market.name].marginMaint),
            sizeFactor: wad(risk.markets[market.name].sizeFactor),
            takerFee: wad(TAKER_FEE),
            lotSize: wad(risk.markets[market.name].lotSize),
            openInterestCap: wad(market.openInterestCap),
            maxFundingRatePerSecond: MAX_FUNDING_RATE_PER_SECOND,
            skewScale: wad(market.skewScale),
          },
        ],
      }),
    ),
    ...routerWiring(router, engine, options.transports, options.spokes),
    call({
      step: "USDC.mint(liquidity)",
      address: quoteToken.address,
      abi: testTokenAbi,
      functionName: "mint",
      args: [owner, liquidityUnits],
    }),
    call({
      step: "USDC.approve(engine)",
      address: quoteToken.address,
      abi: testTokenAbi,
      functionName: "approve",
      args: [engine, liquidityUnits],
    }),
  ]);
  if (liquidityUnits > 0n) {
    await deployer.write(
      call({
        step: "MarginEngine.depositLiquidity",
        address: engine,
        abi: marginEngineAbi,
        functionName: "depositLiquidity",
        args: [liquidityUnits],
      }),
    );
  }
  options.progress(`${chain.name}: engine ${engine}, oracle ${oracle}, router ${router}`);

  return {
    name: chain.name,
    chainId: chain.chainId,
    ...options.transports,
    contracts: { ...messagingContracts(router, options.transports), engine, oracle },
    libraries,
    tokens: { [QUOTE_TOKEN]: quoteToken },
    quoteToken: QUOTE_TOKEN,
    priceFeeds,
    assets: Object.fromEntries(
      DEVNET_ASSETS.map((asset, id) => [asset.symbol, { id, priceId: priceIdOf(asset.symbol) }]),
    ),
    markets: Object.fromEntries(
      DEVNET_MARKETS.map((market, id) => [
        market.name,
        { id, priceId: priceIdOf(market.name), lotSize: DEVNET_RISK.markets[market.name].lotSize },
      ]),
    ),
    liquidity: options.liquidity,
  };
}

async function deploySpoke(
  deployer: ChainDeployer,
  options: {
    transports: ChainTransports;
    hubChainId: number;
    route: TransportRoute;
    haircut: string;
    reportFeeBudget: bigint;
    progress: (message: string) => void;
  },
): Promise<SpokeRecord> {
  const { chain } = deployer;
  options.progress(`${chain.name}: deploying the vault, tokens and router (route to the hub: ${options.route})…`);
  const tokens: SpokeRecord["tokens"] = {};
  for (const asset of DEVNET_ASSETS) tokens[asset.symbol] = await deployTestToken(deployer, asset);
  const router = await deployRouter(deployer);
  const vault = await deployer.deploy("CollateralVault", {
    abi: collateralVaultAbi,
    bytecode: await projectBytecode("CollateralVault"),
    args: [deployer.deployer, BigInt(options.hubChainId), router],
  });
  await deployer.sendAll([
    ...Object.entries(tokens).map(([symbol, token]) =>
      call({
        step: `CollateralVault.configureAsset(${symbol})`,
        address: vault,
        abi: collateralVaultAbi,
        functionName: "configureAsset",
        args: [token.address, true, token.decimals],
      }),
    ),
    ...routerWiring(router, vault, options.transports, [{ chainId: options.hubChainId, route: options.route }]),
  ]);
  if (options.reportFeeBudget > 0n) {
    await deployer.transfer("CollateralVault report fee budget", vault, options.reportFeeBudget);
  }
  options.progress(`${chain.name}: vault ${vault}, router ${router}`);
  return {
    name: chain.name,
    chainId: chain.chainId,
    ...options.transports,
    contracts: { ...messagingContracts(router, options.transports), vault },
    tokens,
    haircut: options.haircut,
    reportFeeBudget: options.reportFeeBudget.toString(),
  };
}
