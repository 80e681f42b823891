import { basename, extname } from "node:path";
import fp from "fastify-plugin";
import {
  type Account,
  type Chain,
  type Client,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  type Transport,
  type WalletClient,
} from "viem";
import { type Deployment, deploymentChains, parseDeployment, toViemChain } from "../../sdk/deployments.ts";
import type { RelayerConfig } from "../config/schema.ts";
import { receiptPollMs } from "../engine/network.ts";
import { operatorAccount } from "../engine/secp256k1.ts";
import type { ProtocolDeployment } from "../infra/protocol.ts";
import { operatorNonceManager } from "../transports/submit.ts";

/** What the protocol routes need to read every chain and to send on the hub. */
export interface HubAccess {
  /** The served protocol as the SDK describes it (its actions take this), with the config's RPC URLs. */
  deployment: Deployment;
  /** A read client per chain of the deployment, with its chain set so that failures name it. */
  readClient(chainId: number): Client | undefined;
  /** The operator's account on the hub: it pays for what this instance sends there (release intents). */
  wallet: WalletClient<Transport, Chain, Account>;
}

declare module "fastify" {
  interface FastifyInstance {
    /** Null when the config names no deployment: the protocol routes then answer 503. */
    hub: HubAccess | null;
  }
}

/** Reads fail fast (one quick retry): an API caller can retry, a request cannot wait on a dead node. */
const RPC_OPTIONS = { timeout: 5_000, retryCount: 1, retryDelay: 50 } as const;

/** The SDK's view of a protocol deployment: the same addresses, with the RPC URLs of the config. */
export function toSdkDeployment(protocol: ProtocolDeployment, config: RelayerConfig): Deployment {
  const rpcUrl = (chainId: number) => config.chains.find((chain) => chain.chainId === chainId)?.rpcUrl;
  return parseDeployment({
    // Only names the viem chains; a deployments file is named after its network (deployments/devnet.json).
    network: config.deployment === undefined ? "xmargin" : basename(config.deployment, extname(config.deployment)),
    hub: { ...protocol.hub, rpcUrl: rpcUrl(protocol.hub.chainId) },
    spokes: protocol.spokes.map((spoke) => ({ ...spoke, rpcUrl: rpcUrl(spoke.chainId) })),
  });
}

/**
 * Clients for the protocol routes, built once from app.protocol and the operator key. The operator's
 * account uses viem's shared nonce manager, so that concurrent intents (and any other sender in this
 * process using it for the same key) take distinct transaction nonces.
 */
export const hubService = fp<{ config: RelayerConfig }>(
  async (app, { config }) => {
    if (app.protocol === null) {
      app.decorate("hub", null);
      return;
    }
    const deployment = toSdkDeployment(app.protocol, config);
    const readClients = new Map<number, Client>(
      deploymentChains(deployment).map((chain) => [
        chain.chainId,
        createPublicClient({
          chain: toViemChain(chain, deployment.network),
          transport: http(chain.rpcUrl, RPC_OPTIONS),
        }),
      ]),
    );
    const hubConfig = config.chains.find((chain) => chain.chainId === deployment.hub.chainId);
    const wallet = createWalletClient({
      chain: toViemChain(deployment.hub, deployment.network),
      transport: http(deployment.hub.rpcUrl, RPC_OPTIONS),
      // viem's default assumes 12 s blocks and polls for receipts every 4 s.
      pollingInterval: hubConfig ? receiptPollMs(hubConfig) : undefined,
      account: operatorAccount(config.operator.privateKey as Hex, { nonceManager: operatorNonceManager }),
    });
    app.decorate("hub", { deployment, readClient: (chainId: number) => readClients.get(chainId), wallet });
  },
  { name: "xmargin-hub", dependencies: ["xmargin-protocol"] },
);
