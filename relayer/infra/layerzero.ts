import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type EncodeFunctionDataParameters,
  encodeAbiParameters,
  encodeDeployData,
  encodeFunctionData,
  getAddress,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
  zeroAddress,
} from "viem";
// "zod/v4" is zod 4 whether the installed package is 3.25 (which ships v4 there) or 4.x.
import { z } from "zod/v4";
import { MESSAGE_TYPE, type MessageTypeName } from "../../sdk/codec/index.ts";
import { XmarginError } from "../../sdk/errors.ts";
import {
  dvnAbi,
  dvnFeeLibAbi,
  endpointV2Abi,
  executorAbi,
  executorFeeLibAbi,
  layerZeroGatewayAbi,
  priceFeedAbi,
  receiveUln302Abi,
  sendUln302Abi,
} from "../transports/layerzero/abi.ts";
import { addressToBytes32 } from "../transports/layerzero/packet.ts";

// ---------------------------------------------------------------------------------------------- eids

/** Local devnet eids start here: LayerZero reads eids below 30000 as v1 ids, and mainnet v2 ids are 30xxx. */
export const LAYERZERO_DEVNET_EID_BASE = 40_000;
const EID_SPAN = 10_000;
/**
 * `PriceFeed` keys prices by `eid % 30000`, and treats these keys as Arbitrum/Optimism-style chains;
 * a devnet eid must not land on them.
 */
const PRICE_FEED_RESERVED_KEYS = new Set([110, 111, 10_132, 10_143, 20_132, 20_143]);

/**
 * The eid of a local chain: 40000 + (chainId mod 10000). For devnets and tests only (public chains
 * have eids assigned by LayerZero); the chain ids of one deployment must differ mod 10000.
 */
export function layerZeroEid(chainId: number): number {
  if (!Number.isSafeInteger(chainId) || chainId <= 0) {
    throw new XmarginError(`layerZeroEid: invalid chain id ${chainId}`, { details: { chainId } });
  }
  const eid = LAYERZERO_DEVNET_EID_BASE + (chainId % EID_SPAN);
  if (PRICE_FEED_RESERVED_KEYS.has(priceFeedKey(eid))) {
    throw new XmarginError(`layerZeroEid: chain id ${chainId} maps to eid ${eid}, which PriceFeed reserves`, {
      details: { chainId, eid },
    });
  }
  return eid;
}

const priceFeedKey = (eid: number) => eid % 30_000;

// ---------------------------------------------------------------------------------------------- record

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "expected a 20-byte hex address")
  .transform((value) => getAddress(value));

/** One chain's LayerZero deployment, as `deployments/devnet.json` stores it. */
export const layerZeroChainDeploymentSchema = z.object({
  chainId: z.number().int().positive(),
  eid: z.number().int().min(30_000),
  endpoint: address,
  sendUln302: address,
  receiveUln302: address,
  priceFeed: address,
  dvn: address,
  dvnFeeLib: address,
  executor: address,
  executorFeeLib: address,
  /** Our OApp: the xmargin messenger of this chain over LayerZero. */
  gateway: address,
  dvnConfig: z.object({
    vid: z.number().int().nonnegative(),
    quorum: z.number().int().positive(),
    signers: z.array(address).min(1),
  }),
  /** Source confirmations the receive library requires from every remote. */
  confirmations: z.number().int().positive(),
});

export const layerZeroDeploymentSchema = z.array(layerZeroChainDeploymentSchema);

export type LayerZeroChainDeployment = z.infer<typeof layerZeroChainDeploymentSchema>;
export type LayerZeroDeployment = z.infer<typeof layerZeroDeploymentSchema>;

/** The LayerZero infrastructure of one chain, before our gateway exists. */
export type LayerZeroStack = Omit<LayerZeroChainDeployment, "gateway" | "confirmations">;

// ---------------------------------------------------------------------------------------------- options

/** A chain to deploy on: a node and the deployer, who owns everything deployed and is a DVN/Executor admin. */
export interface ChainClients {
  chainId: number;
  publicClient: PublicClient;
  walletClient: WalletClient<Transport, Chain | undefined, Account>;
}

export interface DvnOptions {
  /** The N signer addresses of the DVN committee (the operators' verifier keys). */
  signers: readonly Address[];
  /** M: signatures `DVN.execute` requires. Default 2. */
  quorum?: number;
  /** Verifier id the DVN signs instructions for. Default 1. */
  vid?: number;
  /** Accounts that may submit DVN instructions and run the Executor, besides the deployer. */
  operators?: readonly Address[];
}

/** Destination gas per message type: what the executor gives `lzReceive`, fixed by the owner. */
export type DestinationGas = Record<MessageTypeName, bigint>;

/**
 * From test/transports/layerzero/gas.test.ts and the cross-chain story: a hub report costs lzReceive
 * up to ~160k (a first report creates the collateral entry); a command runs the vault, which sends
 * its report back through LayerZero from inside lzReceive, up to ~290k. About 1.7–2× headroom.
 */
export const DEFAULT_DESTINATION_GAS: DestinationGas = {
  BalanceReport: 300_000n,
  Release: 500_000n,
  Lock: 450_000n,
  Seize: 500_000n,
};

export interface PathwayOptions {
  /** Source confirmations required before DVNs may verify. Default 1 (the block that holds the packet). */
  confirmations?: number;
  maxMessageSize?: number;
  /** What workers charge for: remote gas price and calldata gas in the PriceFeed, worker gas per message. */
  remoteGasPriceWei?: bigint;
  dvnVerifyGas?: bigint;
  executorBaseGas?: bigint;
}

export interface DeployLayerZeroOptions extends PathwayOptions {
  dvn: DvnOptions;
  destinationGas?: DestinationGas;
  /** The xmargin application per chain id (vault or engine): the gateway's sender and receiver. */
  applications?: Readonly<Record<number, Address>>;
  onProgress?: (message: string) => void;
}

const DEFAULTS = {
  quorum: 2,
  vid: 1,
  confirmations: 1,
  maxMessageSize: 10_000,
  remoteGasPriceWei: 1_000_000_000n,
  dvnVerifyGas: 100_000n,
  executorBaseGas: 100_000n,
  // No treasury is set, so no treasury fee is charged; these only bound a treasury call.
  treasuryGasLimit: 100_000n,
  treasuryNativeFeeCap: 0n,
  // Same native token everywhere: a remote gas unit costs one local gas unit.
  priceRatio: 10n ** 20n,
  gasPerByte: 16,
  nativeDecimalsRate: 10n ** 18n,
} as const;

// ---------------------------------------------------------------------------------------------- artifacts

interface Artifact {
  bytecode: Hex;
}

const requireFromHere = createRequire(import.meta.url);
const lzArtifact = (path: string): Artifact => requireFromHere(path) as Artifact;

/** The prebuilt LayerZero contracts (they need OpenZeppelin 4, which our build does not have). */
const LAYERZERO_ARTIFACTS = {
  EndpointV2: "@layerzerolabs/lz-evm-protocol-v2/artifacts/contracts/EndpointV2.sol/EndpointV2.json",
  SendUln302: "@layerzerolabs/lz-evm-messagelib-v2/artifacts/contracts/uln/uln302/SendUln302.sol/SendUln302.json",
  ReceiveUln302:
    "@layerzerolabs/lz-evm-messagelib-v2/artifacts/contracts/uln/uln302/ReceiveUln302.sol/ReceiveUln302.json",
  PriceFeed: "@layerzerolabs/lz-evm-messagelib-v2/artifacts/contracts/PriceFeed.sol/PriceFeed.json",
  DVN: "@layerzerolabs/lz-evm-messagelib-v2/artifacts/contracts/uln/dvn/DVN.sol/DVN.json",
  DVNFeeLib: "@layerzerolabs/lz-evm-messagelib-v2/artifacts/contracts/uln/dvn/DVNFeeLib.sol/DVNFeeLib.json",
  Executor: "@layerzerolabs/lz-evm-messagelib-v2/artifacts/contracts/Executor.sol/Executor.json",
  ExecutorFeeLib: "@layerzerolabs/lz-evm-messagelib-v2/artifacts/contracts/ExecutorFeeLib.sol/ExecutorFeeLib.json",
} as const;

export type LayerZeroArtifactName = keyof typeof LAYERZERO_ARTIFACTS;

/** Path (module specifier) of a prebuilt LayerZero artifact, e.g. for checking ABIs against it. */
export const layerZeroArtifactPath = (name: LayerZeroArtifactName): string =>
  requireFromHere.resolve(LAYERZERO_ARTIFACTS[name]);

const GATEWAY_ARTIFACT = new URL(
  "../../artifacts/contracts/messaging/layerzero/LayerZeroGateway.sol/LayerZeroGateway.json",
  import.meta.url,
);

async function gatewayBytecode(): Promise<Hex> {
  try {
    return (JSON.parse(await readFile(GATEWAY_ARTIFACT, "utf8")) as Artifact).bytecode;
  } catch {
    throw new XmarginError("LayerZeroGateway is not compiled: run scripts/setup (or npx hardhat build) first");
  }
}

// ---------------------------------------------------------------------------------------------- transactions

async function sendAndConfirm(chain: ChainClients, what: string, transaction: { to?: Address; data: Hex }) {
  const { account } = chain.walletClient;
  const hash = await chain.walletClient.sendTransaction({ account, chain: chain.walletClient.chain, ...transaction });
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") {
    throw new XmarginError(`LayerZero deployment on chain ${chain.chainId}: ${what} reverted`, {
      details: { chainId: chain.chainId, transactionHash: hash },
    });
  }
  return receipt;
}

async function deploy(chain: ChainClients, name: string, data: Hex): Promise<Address> {
  const receipt = await sendAndConfirm(chain, `deploying ${name}`, { data });
  if (!receipt.contractAddress) {
    throw new XmarginError(`LayerZero deployment on chain ${chain.chainId}: ${name} has no address`);
  }
  return getAddress(receipt.contractAddress);
}

/** Calls `functionName` on `address` as the deployer and waits for it to succeed. */
async function write<const abi extends Abi, functionName extends ContractFunctionName<abi, "nonpayable" | "payable">>(
  chain: ChainClients,
  address: Address,
  abi: abi,
  functionName: functionName,
  args: ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>,
): Promise<void> {
  const data = encodeFunctionData({ abi, functionName, args } as EncodeFunctionDataParameters);
  await sendAndConfirm(chain, functionName, { to: address, data });
}

// ---------------------------------------------------------------------------------------------- stack

/** A LayerZero endpoint and its ULN 302 libraries that exist already (a public chain's), to build on. */
export interface ExistingLayerZeroEndpoint {
  /** The endpoint's eid, as LayerZero assigned it. */
  eid: number;
  endpoint: Address;
  sendUln302: Address;
  receiveUln302: Address;
  /** LayerZero's PriceFeed to price our workers' fees with; without it, ours is deployed. */
  priceFeed?: Address;
}

/**
 * Deploys EndpointV2, SendUln302, ReceiveUln302, PriceFeed, a multisig DVN (N signers, quorum M) with
 * its fee library, and an Executor with its fee library, all owned and administered by the deployer.
 * Remote eids are wired afterwards by `connectLayerZeroStack`.
 */
export async function deployLayerZeroStack(
  chain: ChainClients,
  options: DvnOptions & { eid?: number },
): Promise<LayerZeroStack> {
  const owner = chain.walletClient.account.address;
  const eid = options.eid ?? layerZeroEid(chain.chainId);
  const bytecode = (name: LayerZeroArtifactName) => lzArtifact(LAYERZERO_ARTIFACTS[name]).bytecode;

  const endpoint = await deploy(
    chain,
    "EndpointV2",
    encodeDeployData({ abi: endpointV2Abi, bytecode: bytecode("EndpointV2"), args: [eid, owner] }),
  );
  const sendUln302 = await deploy(
    chain,
    "SendUln302",
    encodeDeployData({
      abi: sendUln302Abi,
      bytecode: bytecode("SendUln302"),
      args: [endpoint, DEFAULTS.treasuryGasLimit, DEFAULTS.treasuryNativeFeeCap],
    }),
  );
  const receiveUln302 = await deploy(
    chain,
    "ReceiveUln302",
    encodeDeployData({ abi: receiveUln302Abi, bytecode: bytecode("ReceiveUln302"), args: [endpoint] }),
  );
  for (const library of [sendUln302, receiveUln302]) {
    await write(chain, endpoint, endpointV2Abi, "registerLibrary", [library]);
  }
  return deployLayerZeroWorkers(chain, { eid, endpoint, sendUln302, receiveUln302 }, options);
}

/**
 * Our workers on an endpoint, whether ours or a public one: the multisig DVN (N signers, quorum M) and an
 * Executor, each with its fee library, and a PriceFeed unless the endpoint's chain has one to reuse.
 */
export async function deployLayerZeroWorkers(
  chain: ChainClients,
  existing: ExistingLayerZeroEndpoint,
  options: DvnOptions,
): Promise<LayerZeroStack> {
  const owner = chain.walletClient.account.address;
  const { eid, endpoint, sendUln302, receiveUln302 } = existing;
  const quorum = options.quorum ?? DEFAULTS.quorum;
  const vid = options.vid ?? DEFAULTS.vid;
  const signers = options.signers.map((signer) => getAddress(signer));
  if (quorum < 1 || quorum > signers.length) {
    throw new XmarginError(`DVN quorum ${quorum} is not within 1..${signers.length} signers`);
  }
  const admins = [
    owner,
    ...(options.operators ?? []).filter((operator) => operator.toLowerCase() !== owner.toLowerCase()),
  ];
  const bytecode = (name: LayerZeroArtifactName) => lzArtifact(LAYERZERO_ARTIFACTS[name]).bytecode;

  // PriceFeed and Executor are proxy implementations; used directly, their initializer runs once.
  let priceFeed = existing.priceFeed;
  if (!priceFeed) {
    priceFeed = await deploy(chain, "PriceFeed", bytecode("PriceFeed"));
    await write(chain, priceFeed, priceFeedAbi, "initialize", [owner]);
  }

  const dvn = await deploy(
    chain,
    "DVN",
    encodeDeployData({
      abi: dvnAbi,
      bytecode: bytecode("DVN"),
      args: [eid, vid, [sendUln302, receiveUln302], priceFeed, signers, BigInt(quorum), admins],
    }),
  );
  const dvnFeeLib = await deploy(
    chain,
    "DVNFeeLib",
    encodeDeployData({ abi: dvnFeeLibAbi, bytecode: bytecode("DVNFeeLib"), args: [eid, DEFAULTS.nativeDecimalsRate] }),
  );
  await write(chain, dvn, dvnAbi, "setWorkerFeeLib", [dvnFeeLib]);

  const executor = await deploy(chain, "Executor", bytecode("Executor"));
  // No ReceiveUln301: our executor serves LayerZero v2 only.
  await write(chain, executor, executorAbi, "initialize", [
    endpoint,
    zeroAddress,
    [sendUln302],
    priceFeed,
    owner,
    admins,
  ]);
  const executorFeeLib = await deploy(
    chain,
    "ExecutorFeeLib",
    encodeDeployData({
      abi: executorFeeLibAbi,
      bytecode: bytecode("ExecutorFeeLib"),
      args: [eid, DEFAULTS.nativeDecimalsRate],
    }),
  );
  await write(chain, executor, executorAbi, "setWorkerFeeLib", [executorFeeLib]);

  return {
    chainId: chain.chainId,
    eid,
    endpoint,
    sendUln302,
    receiveUln302,
    priceFeed,
    dvn,
    dvnFeeLib,
    executor,
    executorFeeLib,
    dvnConfig: { vid, quorum, signers },
  };
}

/**
 * Wires `local` to every remote eid: default send and receive libraries, ULN configs that require
 * our DVN with `confirmations`, the Executor as default executor (`setLayerZeroDefaults`), then the
 * workers' destination configs and PriceFeed prices (`configureLayerZeroWorkers`).
 */
export async function connectLayerZeroStack(
  chain: ChainClients,
  local: LayerZeroStack,
  remoteEids: readonly number[],
  options: PathwayOptions = {},
): Promise<void> {
  await setLayerZeroDefaults(chain, local, remoteEids, options);
  await configureLayerZeroWorkers(chain, local, remoteEids, { ...options, setPrices: true });
}

/** The ULN config that requires our DVN alone; OApp-level configs mark "no optional DVNs" as NIL. */
function ulnConfigOf(dvn: Address, confirmations: bigint, optionalDVNCount: number) {
  return {
    confirmations,
    requiredDVNCount: 1,
    optionalDVNCount,
    optionalDVNThreshold: 0,
    requiredDVNs: [dvn],
    optionalDVNs: [],
  } as const;
}

/** `UlnBase.NIL_DVN_COUNT`: in an OApp's config, "none" rather than "the default's". */
const NIL_DVN_COUNT = 255;
const CONFIG_TYPE_EXECUTOR = 1;
const CONFIG_TYPE_ULN = 2;

/** Endpoint-wide defaults toward every remote eid: needs the endpoint and libraries to be ours. */
export async function setLayerZeroDefaults(
  chain: ChainClients,
  local: LayerZeroStack,
  remoteEids: readonly number[],
  options: PathwayOptions = {},
): Promise<void> {
  const ulnConfig = ulnConfigOf(local.dvn, BigInt(options.confirmations ?? DEFAULTS.confirmations), 0);
  const ulnConfigs = remoteEids.map((eid) => ({ eid, config: ulnConfig }));

  await write(chain, local.sendUln302, sendUln302Abi, "setDefaultUlnConfigs", [ulnConfigs]);
  await write(chain, local.sendUln302, sendUln302Abi, "setDefaultExecutorConfigs", [
    remoteEids.map((eid) => ({
      eid,
      config: { maxMessageSize: options.maxMessageSize ?? DEFAULTS.maxMessageSize, executor: local.executor },
    })),
  ]);
  await write(chain, local.receiveUln302, receiveUln302Abi, "setDefaultUlnConfigs", [ulnConfigs]);
  // The libraries must support the eid (configs above) before the endpoint accepts them as defaults.
  for (const eid of remoteEids) {
    await write(chain, local.endpoint, endpointV2Abi, "setDefaultSendLibrary", [eid, local.sendUln302]);
    await write(chain, local.endpoint, endpointV2Abi, "setDefaultReceiveLibrary", [eid, local.receiveUln302, 0n]);
  }
}

/**
 * What our DVN and Executor charge toward every remote eid, and (when the PriceFeed is ours, `setPrices`)
 * the remote gas prices they charge with.
 */
export async function configureLayerZeroWorkers(
  chain: ChainClients,
  local: LayerZeroStack,
  remoteEids: readonly number[],
  options: PathwayOptions & { setPrices: boolean },
): Promise<void> {
  await write(chain, local.dvn, dvnAbi, "setDstConfig", [
    remoteEids.map((dstEid) => ({
      dstEid,
      gas: options.dvnVerifyGas ?? DEFAULTS.dvnVerifyGas,
      multiplierBps: 0,
      floorMarginUSD: 0n,
    })),
  ]);
  await write(chain, local.executor, executorAbi, "setDstConfig", [
    remoteEids.map((dstEid) => ({
      dstEid,
      lzReceiveBaseGas: options.executorBaseGas ?? DEFAULTS.executorBaseGas,
      lzComposeBaseGas: 0n,
      multiplierBps: 0,
      floorMarginUSD: 0n,
      // Our gateway never asks for native value on the destination.
      nativeCap: 0n,
    })),
  ]);
  if (!options.setPrices) return;
  await write(chain, local.priceFeed, priceFeedAbi, "setPrice", [
    remoteEids.map((eid) => ({
      eid: priceFeedKey(eid),
      price: {
        priceRatio: DEFAULTS.priceRatio,
        gasPriceInUnit: options.remoteGasPriceWei ?? DEFAULTS.remoteGasPriceWei,
        gasPerByte: DEFAULTS.gasPerByte,
      },
    })),
  ]);
}

/**
 * On an endpoint we do not own (a public chain's), the gateway's own configuration toward every remote
 * eid, set by the deployer as the OApp's delegate: our libraries, our Executor, and a ULN config that
 * requires our DVN alone with `confirmations` (no optional DVNs of the endpoint's defaults).
 */
export async function configureLayerZeroOApp(
  chain: ChainClients,
  local: LayerZeroStack,
  gateway: Address,
  remoteEids: readonly number[],
  options: Pick<PathwayOptions, "confirmations" | "maxMessageSize"> = {},
): Promise<void> {
  const ulnConfig = encodeAbiParameters(
    [ULN_CONFIG_PARAMETER],
    [ulnConfigOf(local.dvn, BigInt(options.confirmations ?? DEFAULTS.confirmations), NIL_DVN_COUNT)],
  );
  const executorConfig = encodeAbiParameters(
    [EXECUTOR_CONFIG_PARAMETER],
    [{ maxMessageSize: options.maxMessageSize ?? DEFAULTS.maxMessageSize, executor: local.executor }],
  );
  for (const eid of remoteEids) {
    await write(chain, local.endpoint, endpointV2Abi, "setSendLibrary", [gateway, eid, local.sendUln302]);
    await write(chain, local.endpoint, endpointV2Abi, "setReceiveLibrary", [gateway, eid, local.receiveUln302, 0n]);
  }
  await write(chain, local.endpoint, endpointV2Abi, "setConfig", [
    gateway,
    local.sendUln302,
    remoteEids.flatMap((eid) => [
      { eid, configType: CONFIG_TYPE_EXECUTOR, config: executorConfig },
      { eid, configType: CONFIG_TYPE_ULN, config: ulnConfig },
    ]),
  ]);
  await write(chain, local.endpoint, endpointV2Abi, "setConfig", [
    gateway,
    local.receiveUln302,
    remoteEids.map((eid) => ({ eid, configType: CONFIG_TYPE_ULN, config: ulnConfig })),
  ]);
}

const ULN_CONFIG_PARAMETER = {
  type: "tuple",
  components: [
    { name: "confirmations", type: "uint64" },
    { name: "requiredDVNCount", type: "uint8" },
    { name: "optionalDVNCount", type: "uint8" },
    { name: "optionalDVNThreshold", type: "uint8" },
    { name: "requiredDVNs", type: "address[]" },
    { name: "optionalDVNs", type: "address[]" },
  ],
} as const;
const EXECUTOR_CONFIG_PARAMETER = {
  type: "tuple",
  components: [
    { name: "maxMessageSize", type: "uint32" },
    { name: "executor", type: "address" },
  ],
} as const;

// ---------------------------------------------------------------------------------------------- gateway

/** Deploys our LayerZeroGateway (owner and endpoint delegate: the deployer) and fixes its destination gas. */
export async function deployLayerZeroGateway(
  chain: ChainClients,
  stack: LayerZeroStack,
  destinationGas: DestinationGas = DEFAULT_DESTINATION_GAS,
): Promise<Address> {
  const gateway = await deploy(
    chain,
    "LayerZeroGateway",
    encodeDeployData({
      abi: layerZeroGatewayAbi,
      bytecode: await gatewayBytecode(),
      args: [stack.endpoint, chain.walletClient.account.address],
    }),
  );
  for (const [name, kind] of Object.entries(MESSAGE_TYPE) as [MessageTypeName, number][]) {
    await write(chain, gateway, layerZeroGatewayAbi, "setDestinationGas", [kind, destinationGas[name]]);
  }
  return gateway;
}

/** Registers every remote gateway as this gateway's peer, with the chain id ↔ eid route. */
export async function connectLayerZeroGateway(
  chain: ChainClients,
  gateway: Address,
  remotes: readonly { chainId: number; eid: number; gateway: Address }[],
): Promise<void> {
  for (const remote of remotes) {
    await write(chain, gateway, layerZeroGatewayAbi, "setRoute", [BigInt(remote.chainId), remote.eid]);
    await write(chain, gateway, layerZeroGatewayAbi, "setPeer", [remote.eid, addressToBytes32(remote.gateway)]);
  }
}

/** Makes `application` (the chain's vault or engine) the only sender through `gateway` and its receiver. */
export async function attachLayerZeroApplication(chain: ChainClients, gateway: Address, application: Address) {
  await write(chain, gateway, layerZeroGatewayAbi, "setSender", [application]);
  await write(chain, gateway, layerZeroGatewayAbi, "setReceiver", [application]);
}

// ---------------------------------------------------------------------------------------------- all chains

/**
 * The whole LayerZero side of a multi-chain deployment: the stack on every chain, every pair of
 * chains wired both ways, a gateway per chain with its peers, routes and destination gas, and (when
 * given) each chain's application attached. Returns the records in the order of `chains`.
 */
export async function deployLayerZero(
  chains: readonly ChainClients[],
  options: DeployLayerZeroOptions,
): Promise<LayerZeroDeployment> {
  const progress = options.onProgress ?? (() => {});
  const eids = chains.map((chain) => layerZeroEid(chain.chainId));
  if (new Set(eids.map(priceFeedKey)).size !== eids.length) {
    throw new XmarginError(`two chains share a LayerZero eid: chain ids ${chains.map((c) => c.chainId).join(", ")}`);
  }
  const stacks = await Promise.all(
    chains.map(async (chain) => {
      progress(`LayerZero: deploying the stack on chain ${chain.chainId}…`);
      return deployLayerZeroStack(chain, options.dvn);
    }),
  );
  const deployments: LayerZeroChainDeployment[] = await Promise.all(
    chains.map(async (chain, index) => {
      const stack = stacks[index] as LayerZeroStack;
      await connectLayerZeroStack(
        chain,
        stack,
        eids.filter((_, other) => other !== index),
        options,
      );
      const gateway = await deployLayerZeroGateway(chain, stack, options.destinationGas);
      progress(`LayerZero: chain ${chain.chainId} (eid ${stack.eid}) gateway ${gateway}`);
      return { ...stack, gateway, confirmations: options.confirmations ?? DEFAULTS.confirmations };
    }),
  );
  await Promise.all(
    chains.map(async (chain, index) => {
      const local = deployments[index] as LayerZeroChainDeployment;
      await connectLayerZeroGateway(
        chain,
        local.gateway,
        deployments.filter((_, other) => other !== index),
      );
      const application = options.applications?.[chain.chainId];
      if (application) await attachLayerZeroApplication(chain, local.gateway, application);
    }),
  );
  return layerZeroDeploymentSchema.parse(deployments);
}
