import { type Account, type Address, type Chain, type Client, createPublicClient, http, type Transport } from "viem";
import {
  type Deployment,
  type DeploymentChain,
  getDeploymentChain,
  requireContract,
  toViemChain,
} from "../../deployments.ts";
import { ClientError } from "../../errors.ts";

/**
 * Clients for the chains an action reads besides its own (getAccount reads every vault; waitForDelivery
 * watches the destination). A record by chain id or a function; chains it does not cover get an HTTP client
 * on the deployment's `rpcUrl`.
 */
export type ChainClients = Readonly<Record<number, Client>> | ((chainId: number) => Client | undefined);

/** What every action needs besides its own parameters; `xmarginActions` fills it in. */
export interface XmarginParameters {
  deployment: Deployment;
  chainClients?: ChainClients | undefined;
}

/** A client that can sign and send: it has a chain and an account. */
export type WalletClient = Client<Transport, Chain, Account>;

const httpClients = new WeakMap<Deployment, Map<number, Client>>();

/** A read client for `chainId`: `current` when it is on that chain, else a configured one, else HTTP. */
export function chainClient(parameters: XmarginParameters, chainId: number, current?: Client): Client {
  if (current?.chain?.id === chainId) return current;
  const { deployment, chainClients } = parameters;
  const configured = typeof chainClients === "function" ? chainClients(chainId) : chainClients?.[chainId];
  if (configured !== undefined) return configured;
  let cache = httpClients.get(deployment);
  if (cache === undefined) {
    cache = new Map();
    httpClients.set(deployment, cache);
  }
  let client = cache.get(chainId);
  if (client === undefined) {
    const chain = toViemChain(getDeploymentChain(deployment, chainId), deployment.network);
    client = createPublicClient({ chain, transport: http() });
    cache.set(chainId, client);
  }
  return client;
}

/** The deployment chain the client is connected to. */
export function clientChain(client: Client, deployment: Deployment, action: string): DeploymentChain {
  if (client.chain === undefined) throw new ClientError(`${action} needs a client with a chain`);
  return getDeploymentChain(deployment, client.chain.id);
}

/** The hub chain, or a ClientError when the client is elsewhere: hub actions must be sent to the hub. */
export function requireHubClient(client: Client, deployment: Deployment, action: string): DeploymentChain {
  const chain = clientChain(client, deployment, action);
  if (chain.chainId !== deployment.hub.chainId) {
    throw new ClientError(
      `${action} runs on the hub (${deployment.hub.name}, chain ${deployment.hub.chainId}); this client is on ${chain.name} (chain ${chain.chainId})`,
      { details: { action, chainId: chain.chainId } },
    );
  }
  return chain;
}

/** The vault chain the client is on (any chain with a vault, the hub's own included). */
export function requireVaultClient(
  client: Client,
  deployment: Deployment,
  action: string,
): { chain: DeploymentChain; vault: Address } {
  const chain = clientChain(client, deployment, action);
  return { chain, vault: requireContract(chain, "vault") };
}

/** The client's account, or a ClientError: write actions sign. */
export function requireAccount(client: Client, action: string): Account {
  if (client.account === undefined) throw new ClientError(`${action} needs a client with an account`);
  return client.account;
}

/** The account an action reads: the given one, else the client's. */
export function accountAddress(client: Client, account: Address | undefined, action: string): Address {
  if (account !== undefined) return account;
  if (client.account === undefined)
    throw new ClientError(`${action} needs an account: pass one or use a client with one`);
  return client.account.address;
}
