/**
 * Deploys the Hyperlane stack and our HyperlaneGateway on a set of chains with viem, from the bytecode
 * `@hyperlane-xyz/core` ships (see hyperlane-artifacts.ts), and wires the gateways to each other.
 *
 * Per chain: ProxyAdmin; Mailbox(domain) behind a TransparentUpgradeableProxy; MerkleTreeHook as the
 * required hook (its tree is what validators sign); InterchainGasPaymaster (behind its own proxy) with a
 * StorageGasOracle as the default hook, so that the gas limit our gateway puts in the hook metadata is
 * what the sender pays for, as on a public deployment; ValidatorAnnounce; per remote origin a
 * StaticMessageIdMultisigIsm of the N validators with threshold M, behind a DomainRoutingIsm that is
 * the Mailbox's default ISM and the gateway's named ISM. On a chain with a Mailbox already (a public
 * testnet), `attachHyperlaneChain` deploys only our ISMs and gateway on it.
 */
import { readFile } from "node:fs/promises";
import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  concat,
  encodeFunctionData,
  getAddress,
  type Hex,
  keccak256,
  numberToHex,
  type PublicClient,
  parseEventLogs,
  stringToHex,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from "viem";
// "zod/v4" is zod 4 whether the installed package is 3.25 (which ships v4 there) or 4.x.
import { z } from "zod/v4";
import { MESSAGE_TYPE, type MessageTypeName } from "../../sdk/codec/index.ts";
import type { DigestSigner } from "../engine/signer.ts";
import { hyperlaneGatewayAbi, mailboxAbi, validatorAnnounceAbi } from "../transports/hyperlane/abi.ts";
import { addressToBytes32, isHyperlaneDomain } from "../transports/hyperlane/message.ts";
import { type ContractArtifact, HyperlaneDeploymentError, hyperlaneArtifact } from "./hyperlane-artifacts.ts";

export { HyperlaneDeploymentError } from "./hyperlane-artifacts.ts";

const GATEWAY_ARTIFACT = new URL(
  "../../artifacts/contracts/messaging/hyperlane/HyperlaneGateway.sol/HyperlaneGateway.json",
  import.meta.url,
);

/**
 * Gas the destination runs each message type's `handle` with, paid at the origin through the gas
 * paymaster. Measured on the in-process chains (test/transports/hyperlane), whole `process` with a
 * 2-of-3 ISM: a report applied on the hub 140k–240k (the first report of an account writes fresh
 * storage); a Release or Seize on a spoke, which pays out and dispatches the acknowledging report,
 * 330k–365k. About 100k of each is the transaction, the Mailbox and the ISM (see below).
 */
export const DEFAULT_DESTINATION_GAS: Readonly<Record<MessageTypeName, bigint>> = {
  BalanceReport: 200_000n,
  Release: 400_000n,
  Lock: 350_000n,
  Seize: 400_000n,
};

/** What the `process` transaction, the Mailbox and a 2-of-3 multisig ISM cost on top of the recipient's `handle`. */
export const DEFAULT_PROCESS_GAS_OVERHEAD = 100_000n;
/** The devnet gas price the oracles quote for every remote chain. */
export const DEFAULT_REMOTE_GAS_PRICE = 1_000_000_000n;
/** StorageGasOracle exchange rates are scaled by 1e10: this is "one remote wei costs one local wei". */
const EQUAL_EXCHANGE_RATE = 10_000_000_000n;

export interface HyperlaneChainConfig {
  name: string;
  chainId: number;
  /** Hyperlane domain; defaults to the chain id, which must then fit in a u32. */
  domain?: number;
  publicClient: PublicClient;
  /** Deploys everything and owns it (ProxyAdmin, Mailbox, paymaster, routing ISM, gateway). */
  walletClient: WalletClient<Transport, Chain | undefined, Account>;
}

export interface HyperlaneDeployOptions {
  chains: readonly HyperlaneChainConfig[];
  /** The N validators that attest messages from every origin, in the order the ISMs keep them. */
  validators: readonly Address[];
  /** M, the signatures each message needs. Default 2. */
  threshold?: number;
  destinationGas?: Partial<Record<MessageTypeName, bigint>>;
  remoteGasPrice?: bigint;
  processGasOverhead?: bigint;
}

/**
 * What every chain of ours has on Hyperlane, whether its Mailbox is ours or a public one: the Mailbox and
 * its merkle tree hook, our ISMs (N validators, threshold M, per remote origin behind a routing ISM) and
 * our gateway.
 */
export interface HyperlaneChainCore {
  name: string;
  chainId: number;
  domain: number;
  /** First block of our deployment: where watchers of this chain start. */
  deployBlock: bigint;
  /** The Mailbox proxy, the address everything uses. */
  mailbox: Address;
  merkleTreeHook: Address;
  validatorAnnounce: Address;
  staticMessageIdMultisigIsmFactory: Address;
  domainRoutingIsmFactory: Address;
  /** ISM of the gateway (on our own Mailbox, also its default ISM). */
  routingIsm: Address;
  /** The message-id multisig ISM per remote origin domain. */
  multisigIsms: Readonly<Record<number, Address>>;
  gateway: Address;
}

/** Addresses of the whole Hyperlane stack we deployed on one chain, and our gateway. */
export interface HyperlaneChainDeployment extends HyperlaneChainCore {
  proxyAdmin: Address;
  mailboxImplementation: Address;
  /** The paymaster proxy: the Mailbox's default hook. */
  interchainGasPaymaster: Address;
  interchainGasPaymasterImplementation: Address;
  storageGasOracle: Address;
}

/** A Mailbox that exists already (a public chain's), and the Hyperlane contracts around it to reuse. */
export interface ExistingHyperlaneMailbox {
  mailbox: Address;
  /** Deployed when absent: validators announce their signature storage there. */
  validatorAnnounce?: Address;
  /** The public factories, when the chain has them; ours are deployed otherwise. */
  staticMessageIdMultisigIsmFactory?: Address;
  domainRoutingIsmFactory?: Address;
}

export interface HyperlaneDeployment {
  validators: readonly Address[];
  threshold: number;
  chains: HyperlaneChainDeployment[];
}

const addressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "expected a 20-byte hex address")
  .transform((value) => getAddress(value));

/** One chain's `HyperlaneChainDeployment` as a deployments file stores it (JSON: the block is a number). */
export const hyperlaneChainRecordSchema = z.object({
  name: z.string().min(1),
  chainId: z.number().int().positive(),
  domain: z.number().int().nonnegative(),
  deployBlock: z.number().int().nonnegative(),
  proxyAdmin: addressSchema,
  mailbox: addressSchema,
  mailboxImplementation: addressSchema,
  merkleTreeHook: addressSchema,
  interchainGasPaymaster: addressSchema,
  interchainGasPaymasterImplementation: addressSchema,
  storageGasOracle: addressSchema,
  validatorAnnounce: addressSchema,
  staticMessageIdMultisigIsmFactory: addressSchema,
  domainRoutingIsmFactory: addressSchema,
  routingIsm: addressSchema,
  /** Origin domain (as a decimal string) → its message-id multisig ISM. */
  multisigIsms: z.record(z.string().regex(/^\d+$/, "expected a domain number"), addressSchema),
  gateway: addressSchema,
});

export type HyperlaneChainRecord = z.output<typeof hyperlaneChainRecordSchema>;

/** A chain where our ISMs and gateway sit on a Mailbox we did not deploy: no proxy admin, paymaster or oracle of ours. */
export const hyperlaneCoreRecordSchema = hyperlaneChainRecordSchema.partial({
  proxyAdmin: true,
  mailboxImplementation: true,
  interchainGasPaymaster: true,
  interchainGasPaymasterImplementation: true,
  storageGasOracle: true,
});

export type HyperlaneCoreRecord = z.output<typeof hyperlaneCoreRecordSchema>;

/** The JSON form of a deployment: the block as a number, domains as keys. */
export const toHyperlaneChainRecord = <deployment extends HyperlaneChainCore>(
  deployment: deployment,
): Omit<deployment, "deployBlock" | "multisigIsms"> & {
  deployBlock: number;
  multisigIsms: Record<string, Address>;
} => ({
  ...deployment,
  deployBlock: Number(deployment.deployBlock),
  multisigIsms: Object.fromEntries(Object.entries(deployment.multisigIsms)),
});

export const fromHyperlaneChainRecord = (record: HyperlaneCoreRecord): HyperlaneChainCore => ({
  ...record,
  deployBlock: BigInt(record.deployBlock),
  multisigIsms: Object.fromEntries(Object.entries(record.multisigIsms).map(([domain, ism]) => [Number(domain), ism])),
});

/** The chain id as a Hyperlane domain unless `domain` is given; domains are u32. */
export function hyperlaneDomainOf(chain: Pick<HyperlaneChainConfig, "name" | "chainId" | "domain">): number {
  const domain = chain.domain ?? chain.chainId;
  if (!isHyperlaneDomain(domain)) {
    throw new HyperlaneDeploymentError(
      `${chain.name}: ${chain.domain === undefined ? "chain id" : "domain"} ${domain} is not a Hyperlane domain (u32); give the chain an explicit domain`,
      { details: { chain: chain.name, chainId: chain.chainId, domain } },
    );
  }
  return domain;
}

/** Deploys the stack on every chain (in parallel), then wires every pair of gateways both ways. */
export async function deployHyperlane(options: HyperlaneDeployOptions): Promise<HyperlaneDeployment> {
  const threshold = options.threshold ?? 2;
  const { validators } = options;
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > validators.length || threshold > 255) {
    throw new HyperlaneDeploymentError(`threshold ${threshold} does not fit ${validators.length} validators`, {
      details: { threshold, validators: validators.length },
    });
  }
  const domains = options.chains.map(hyperlaneDomainOf);
  if (new Set(domains).size !== domains.length) {
    throw new HyperlaneDeploymentError("two chains share a Hyperlane domain", { details: { domains } });
  }
  const deployed = await Promise.all(
    options.chains.map((chain, position) =>
      deployHyperlaneChain(chain, {
        remoteDomains: domains.filter((_, other) => other !== position),
        validators,
        threshold,
        remoteGasPrice: options.remoteGasPrice ?? DEFAULT_REMOTE_GAS_PRICE,
        processGasOverhead: options.processGasOverhead ?? DEFAULT_PROCESS_GAS_OVERHEAD,
      }),
    ),
  );
  const destinationGas = { ...DEFAULT_DESTINATION_GAS, ...options.destinationGas };
  await Promise.all(
    options.chains.map((chain, position) =>
      connectHyperlaneGateway(
        chain,
        deployed[position] as HyperlaneChainDeployment,
        deployed.filter((_, other) => other !== position),
        destinationGas,
      ),
    ),
  );
  return { validators, threshold, chains: deployed };
}

/** One chain's stack and gateway, its routing ISM covering `remoteDomains`. The gateway has no peers yet. */
export async function deployHyperlaneChain(
  chain: HyperlaneChainConfig,
  options: {
    remoteDomains: readonly number[];
    validators: readonly Address[];
    threshold: number;
    remoteGasPrice: bigint;
    processGasOverhead: bigint;
  },
): Promise<HyperlaneChainDeployment> {
  const domain = hyperlaneDomainOf(chain);
  const owner = chain.walletClient.account.address;
  const tx = transactor(chain);

  const proxyAdmin = await tx.deploy("ProxyAdmin", await hyperlaneArtifact("ProxyAdmin"), []);
  const proxyArtifact = await hyperlaneArtifact("TransparentUpgradeableProxy");
  const mailboxArtifact = await hyperlaneArtifact("Mailbox");
  const mailboxImplementation = await tx.deploy("Mailbox", mailboxArtifact, [domain]);
  // Initialized below, once the hooks and ISM it needs exist (they need the Mailbox's address first).
  const mailbox = await tx.deploy("Mailbox proxy", proxyArtifact, [
    mailboxImplementation.address,
    proxyAdmin.address,
    "0x",
  ]);

  const merkleTreeHook = await tx.deploy("MerkleTreeHook", await hyperlaneArtifact("MerkleTreeHook"), [
    mailbox.address,
  ]);

  const gasOracleArtifact = await hyperlaneArtifact("StorageGasOracle");
  const storageGasOracle = await tx.deploy("StorageGasOracle", gasOracleArtifact, []);
  await tx.call(
    "StorageGasOracle.setRemoteGasDataConfigs",
    storageGasOracle.address,
    gasOracleArtifact.abi,
    "setRemoteGasDataConfigs",
    [
      options.remoteDomains.map((remoteDomain) => ({
        remoteDomain,
        tokenExchangeRate: EQUAL_EXCHANGE_RATE,
        gasPrice: options.remoteGasPrice,
      })),
    ],
  );
  const paymasterArtifact = await hyperlaneArtifact("InterchainGasPaymaster");
  const interchainGasPaymasterImplementation = await tx.deploy("InterchainGasPaymaster", paymasterArtifact, []);
  const interchainGasPaymaster = await tx.deploy("InterchainGasPaymaster proxy", proxyArtifact, [
    interchainGasPaymasterImplementation.address,
    proxyAdmin.address,
    encodeFunctionData({ abi: paymasterArtifact.abi, functionName: "initialize", args: [owner, owner] }),
  ]);
  await tx.call(
    "InterchainGasPaymaster.setDestinationGasConfigs",
    interchainGasPaymaster.address,
    paymasterArtifact.abi,
    "setDestinationGasConfigs",
    [
      options.remoteDomains.map((remoteDomain) => ({
        remoteDomain,
        config: { gasOracle: storageGasOracle.address, gasOverhead: options.processGasOverhead },
      })),
    ],
  );

  const security = await deploySecurityAndGateway(tx, chain, mailbox.address, options);
  await tx.call("Mailbox.initialize", mailbox.address, mailboxAbi, "initialize", [
    owner,
    security.routingIsm,
    interchainGasPaymaster.address,
    merkleTreeHook.address,
  ]);
  return {
    name: chain.name,
    chainId: chain.chainId,
    domain,
    deployBlock: proxyAdmin.blockNumber,
    proxyAdmin: proxyAdmin.address,
    mailbox: mailbox.address,
    mailboxImplementation: mailboxImplementation.address,
    merkleTreeHook: merkleTreeHook.address,
    interchainGasPaymaster: interchainGasPaymaster.address,
    interchainGasPaymasterImplementation: interchainGasPaymasterImplementation.address,
    storageGasOracle: storageGasOracle.address,
    ...security,
  };
}

/**
 * Our ISMs and gateway on a Mailbox that exists already (a public chain's): the Mailbox's required hook is
 * the merkle tree our validators sign, and its default hook (the chain's gas paymaster) charges our sends.
 */
export async function attachHyperlaneChain(
  chain: HyperlaneChainConfig,
  existing: ExistingHyperlaneMailbox,
  options: { remoteDomains: readonly number[]; validators: readonly Address[]; threshold: number },
): Promise<HyperlaneChainCore> {
  const read = { address: existing.mailbox, abi: mailboxAbi } as const;
  const [domain, merkleTreeHook] = await Promise.all([
    chain.publicClient.readContract({ ...read, functionName: "localDomain" }),
    chain.publicClient.readContract({ ...read, functionName: "requiredHook" }),
  ]);
  if (chain.domain !== undefined && chain.domain !== domain) {
    throw new HyperlaneDeploymentError(
      `${chain.name}: the Mailbox at ${existing.mailbox} serves domain ${domain}, not ${chain.domain}`,
      { details: { chain: chain.name, mailbox: existing.mailbox, domain, configured: chain.domain } },
    );
  }
  const tx = transactor(chain);
  const deployBlock = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
  const security = await deploySecurityAndGateway(tx, chain, existing.mailbox, options, existing);
  return {
    name: chain.name,
    chainId: chain.chainId,
    domain,
    deployBlock,
    mailbox: existing.mailbox,
    merkleTreeHook,
    ...security,
  };
}

/**
 * ValidatorAnnounce, the multisig ISM of the N validators (one for every remote origin: the factory
 * deploys one ISM per validator set and threshold, with CREATE2), the routing ISM over it, and our gateway
 * verified by the routing ISM. Factories and ValidatorAnnounce given in `reuse` are used instead.
 */
async function deploySecurityAndGateway(
  tx: ReturnType<typeof transactor>,
  chain: HyperlaneChainConfig,
  mailbox: Address,
  options: { remoteDomains: readonly number[]; validators: readonly Address[]; threshold: number },
  reuse: Omit<ExistingHyperlaneMailbox, "mailbox"> = {},
): Promise<
  Pick<
    HyperlaneChainCore,
    | "validatorAnnounce"
    | "staticMessageIdMultisigIsmFactory"
    | "domainRoutingIsmFactory"
    | "routingIsm"
    | "multisigIsms"
    | "gateway"
  >
> {
  const owner = chain.walletClient.account.address;
  const multisigFactoryArtifact = await hyperlaneArtifact("StaticMessageIdMultisigIsmFactory");
  const multisigFactory =
    reuse.staticMessageIdMultisigIsmFactory ??
    (await tx.deploy("StaticMessageIdMultisigIsmFactory", multisigFactoryArtifact, [])).address;
  const multisigArgs = [options.validators, options.threshold] as const;
  await tx.call(
    "StaticMessageIdMultisigIsmFactory.deploy",
    multisigFactory,
    multisigFactoryArtifact.abi,
    "deploy",
    multisigArgs,
  );
  const multisigIsm = (await chain.publicClient.readContract({
    address: multisigFactory,
    abi: multisigFactoryArtifact.abi,
    functionName: "getAddress",
    args: multisigArgs,
  })) as Address;

  const routingFactoryArtifact = await hyperlaneArtifact("DomainRoutingIsmFactory");
  const routingFactory =
    reuse.domainRoutingIsmFactory ?? (await tx.deploy("DomainRoutingIsmFactory", routingFactoryArtifact, [])).address;
  const routingReceipt = await tx.call(
    "DomainRoutingIsmFactory.deploy",
    routingFactory,
    routingFactoryArtifact.abi,
    "deploy",
    [owner, options.remoteDomains, options.remoteDomains.map(() => multisigIsm)],
  );
  const [moduleDeployed] = parseEventLogs({
    abi: routingFactoryArtifact.abi,
    eventName: "ModuleDeployed",
    logs: routingReceipt.logs,
  }) as unknown as { args: { module: Address } }[];
  if (!moduleDeployed) {
    throw new HyperlaneDeploymentError(`${chain.name}: DomainRoutingIsmFactory.deploy emitted no ModuleDeployed`, {
      details: { chain: chain.name, transactionHash: routingReceipt.transactionHash },
    });
  }
  const routingIsm = moduleDeployed.args.module;

  const validatorAnnounce =
    reuse.validatorAnnounce ??
    (await tx.deploy("ValidatorAnnounce", await hyperlaneArtifact("ValidatorAnnounce"), [mailbox])).address;
  const gateway = await tx.deploy("HyperlaneGateway", await gatewayArtifact(), [mailbox, owner]);
  await tx.call(
    "HyperlaneGateway.setInterchainSecurityModule",
    gateway.address,
    hyperlaneGatewayAbi,
    "setInterchainSecurityModule",
    [routingIsm],
  );
  return {
    validatorAnnounce: getAddress(validatorAnnounce),
    staticMessageIdMultisigIsmFactory: getAddress(multisigFactory),
    domainRoutingIsmFactory: getAddress(routingFactory),
    routingIsm: getAddress(routingIsm),
    multisigIsms: Object.fromEntries(
      options.remoteDomains.map((remoteDomain) => [remoteDomain, getAddress(multisigIsm)]),
    ),
    gateway: getAddress(gateway.address),
  };
}

/** Routes each remote chain id to its domain, registers the remote gateways as peers, fixes destination gas. */
export async function connectHyperlaneGateway(
  chain: HyperlaneChainConfig,
  local: Pick<HyperlaneChainCore, "gateway">,
  remotes: readonly Pick<HyperlaneChainCore, "chainId" | "domain" | "gateway">[],
  destinationGas: Readonly<Record<MessageTypeName, bigint>>,
): Promise<void> {
  const tx = transactor(chain);
  for (const remote of remotes) {
    await tx.call("HyperlaneGateway.setRoute", local.gateway, hyperlaneGatewayAbi, "setRoute", [
      BigInt(remote.chainId),
      remote.domain,
    ]);
    await tx.call("HyperlaneGateway.setPeer", local.gateway, hyperlaneGatewayAbi, "setPeer", [
      remote.domain,
      addressToBytes32(remote.gateway),
    ]);
  }
  for (const [kind, gas] of Object.entries(destinationGas) as [MessageTypeName, bigint][]) {
    await tx.call("HyperlaneGateway.setDestinationGas", local.gateway, hyperlaneGatewayAbi, "setDestinationGas", [
      MESSAGE_TYPE[kind],
      gas,
    ]);
  }
}

/** Makes `application` (a vault or the engine) the only sender through the gateway and its receiver. */
export async function setGatewayApplication(
  chain: HyperlaneChainConfig,
  gateway: Address,
  application: Address,
): Promise<void> {
  const tx = transactor(chain);
  await tx.call("HyperlaneGateway.setSender", gateway, hyperlaneGatewayAbi, "setSender", [application]);
  await tx.call("HyperlaneGateway.setReceiver", gateway, hyperlaneGatewayAbi, "setReceiver", [application]);
}

/**
 * Announces where a validator publishes its signatures, signed by the validator's own key
 * (ValidatorAnnounce's digest: EIP-191 of keccak256(domainHash ‖ storageLocation), with
 * domainHash = keccak256(uint32 domain ‖ bytes32 mailbox ‖ "HYPERLANE_ANNOUNCEMENT")).
 */
export async function announceValidator(
  chain: HyperlaneChainConfig,
  deployment: Pick<HyperlaneChainDeployment, "domain" | "mailbox" | "validatorAnnounce">,
  validator: DigestSigner,
  storageLocation: string,
): Promise<void> {
  const domainHash = keccak256(
    concat([
      numberToHex(deployment.domain, { size: 4 }),
      addressToBytes32(deployment.mailbox),
      stringToHex("HYPERLANE_ANNOUNCEMENT"),
    ]),
  );
  const digest = keccak256(concat([domainHash, stringToHex(storageLocation)]));
  const signature = await validator.signDigest(digest);
  await transactor(chain).call(
    "ValidatorAnnounce.announce",
    deployment.validatorAnnounce,
    validatorAnnounceAbi,
    "announce",
    [validator.address, storageLocation, signature],
  );
}

async function gatewayArtifact(): Promise<ContractArtifact> {
  try {
    const { abi, bytecode } = JSON.parse(await readFile(GATEWAY_ARTIFACT, "utf8")) as ContractArtifact;
    return { abi, bytecode };
  } catch (error) {
    throw new HyperlaneDeploymentError("cannot read the HyperlaneGateway artifact: compile first (npx hardhat build)", {
      cause: error,
      details: { path: GATEWAY_ARTIFACT.pathname },
    });
  }
}

/** Sends one transaction at a time from the chain's deployer and waits for it, naming the step on failure. */
function transactor(chain: HyperlaneChainConfig) {
  const { publicClient, walletClient } = chain;
  const confirm = async (step: string, hash: Hex): Promise<TransactionReceipt> => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") {
      throw new HyperlaneDeploymentError(`${chain.name}: ${step} reverted`, {
        details: { chain: chain.name, step, transactionHash: hash },
      });
    }
    return receipt;
  };
  const failed = (step: string, error: unknown) =>
    error instanceof HyperlaneDeploymentError
      ? error
      : new HyperlaneDeploymentError(`${chain.name}: ${step} failed`, {
          cause: error,
          details: { chain: chain.name, step },
        });

  return {
    async deploy(
      step: string,
      artifact: ContractArtifact,
      args: readonly unknown[],
    ): Promise<{ address: Address; blockNumber: bigint }> {
      try {
        const hash = await walletClient.deployContract({
          abi: artifact.abi,
          bytecode: artifact.bytecode,
          args,
          account: walletClient.account,
          chain: walletClient.chain,
        });
        const receipt = await confirm(step, hash);
        if (!receipt.contractAddress) throw new HyperlaneDeploymentError(`${chain.name}: ${step} created no contract`);
        return { address: receipt.contractAddress, blockNumber: receipt.blockNumber };
      } catch (error) {
        throw failed(step, error);
      }
    },
    async call(
      step: string,
      address: Address,
      abi: Abi,
      functionName: string,
      args: readonly unknown[],
    ): Promise<TransactionReceipt> {
      try {
        const hash = await walletClient.writeContract({
          address,
          abi,
          functionName,
          args,
          account: walletClient.account,
          chain: walletClient.chain,
        });
        return await confirm(step, hash);
      } catch (error) {
        throw failed(step, error);
      }
    },
  };
}
