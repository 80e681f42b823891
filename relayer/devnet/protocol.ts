/**
 * The protocol on a running devnet: deployProtocol over the devnet's chains with its funded accounts, the
 * result merged into the deployments file, and an in-process relay for tests (the devnet runs the relayer
 * service's processes, see operators.ts). Account roles (indices into the devnet's funded accounts): 0 deploys and owns everything,
 * 1 trader, 2 liquidator, 3 keeper, 4 price mover (its own nonces, apart from the CLI's default account 0);
 * operators from 5 on, one account per operator.
 */
import {
  type Account,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type DeployerChain, deployProtocol, type ProtocolDeployment, type TransportRoute } from "../infra/protocol.ts";
import {
  type DevnetChain,
  type DevnetDeployment,
  DevnetDeploymentError,
  withProtocol,
  writeDevnetDeployment,
} from "./deployment.ts";

export const DEVNET_ACCOUNT_ROLES = { deployer: 0, trader: 1, liquidator: 2, keeper: 3, priceMover: 4 } as const;
/** Operator i uses funded account OPERATOR_ACCOUNT_OFFSET + i for its verifier key and its deliveries. */
export const OPERATOR_ACCOUNT_OFFSET = 5;
export const DEFAULT_OPERATORS = 3;
export const DEFAULT_THRESHOLD = 2;

export interface DevnetProtocolOptions {
  /** N, the operators (default 3). The devnet must fund at least OPERATOR_ACCOUNT_OFFSET + N accounts. */
  operators?: number;
  /** M (default 2). */
  threshold?: number;
  /** Transport per spoke name; unnamed spokes alternate LayerZero, Hyperlane. */
  routes?: Readonly<Record<string, TransportRoute>>;
  onProgress?: (message: string) => void;
}

/** Funded accounts a devnet needs for `operators` operators. */
export const accountsNeeded = (operators: number): number => OPERATOR_ACCOUNT_OFFSET + operators;

/** Clients of one devnet chain; `polling` is short because the chains mine at once. */
export interface DevnetChainClients {
  name: string;
  chainId: number;
  chain: Chain;
  publicClient: PublicClient;
  walletFor(privateKey: Hex): WalletClient<Transport, Chain, Account>;
}

export function devnetChainClients(chain: DevnetChain): DevnetChainClients {
  const viemChain = defineChain({
    id: chain.chainId,
    name: `xmargin devnet ${chain.name}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [chain.rpcUrl] } },
  });
  const transport = http(chain.rpcUrl);
  return {
    name: chain.name,
    chainId: chain.chainId,
    chain: viemChain,
    publicClient: createPublicClient({ chain: viemChain, transport, pollingInterval: 100 }),
    walletFor: (privateKey) =>
      createWalletClient({ chain: viemChain, transport, account: privateKeyToAccount(privateKey) }),
  };
}

const accountKey = (deployment: DevnetDeployment, index: number, role: string): Hex => {
  const account = deployment.accounts[index];
  if (!account) {
    throw new DevnetDeploymentError(
      `the devnet funds ${deployment.accounts.length} accounts; the ${role} needs account #${index}`,
    );
  }
  return account.privateKey as Hex;
};

/** The operators' private keys, in operator order. */
export function operatorKeys(deployment: DevnetDeployment, operators: number): Hex[] {
  return Array.from({ length: operators }, (_, index) =>
    accountKey(deployment, OPERATOR_ACCOUNT_OFFSET + index, `operator ${index}`),
  );
}

/** Deploys the protocol on the devnet's chains and rewrites the deployments file with every address. */
export async function deployDevnetProtocol(
  deployment: DevnetDeployment,
  outFile: string,
  options: DevnetProtocolOptions = {},
): Promise<{ deployment: DevnetDeployment; protocol: ProtocolDeployment }> {
  const operators = options.operators ?? DEFAULT_OPERATORS;
  const keys = operatorKeys(deployment, operators);
  const deployerKey = accountKey(deployment, DEVNET_ACCOUNT_ROLES.deployer, "deployer");
  const deployerChain = (chain: DevnetChain): DeployerChain => {
    const clients = devnetChainClients(chain);
    return { ...clients, walletClient: clients.walletFor(deployerKey) };
  };
  const protocol = await deployProtocol({
    hub: deployerChain(deployment.hub),
    spokes: deployment.spokes.map(deployerChain),
    operators: keys.map((key) => privateKeyToAccount(key).address),
    threshold: options.threshold ?? DEFAULT_THRESHOLD,
    ...(options.routes ? { routes: options.routes } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const merged = withProtocol(deployment, protocol);
  await writeDevnetDeployment(outFile, merged);
  return { deployment: merged, protocol };
}
