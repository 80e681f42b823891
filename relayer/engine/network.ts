import {
  type Account,
  type Address,
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
import { XmarginError } from "../../sdk/errors.ts";
import type { ChainConfig } from "../config/schema.ts";
import type { HubRecord, ProtocolDeployment, SpokeRecord } from "../infra/protocol.ts";
import { DeliveryBatchQueue } from "../transports/batch.ts";
import { fastSubmitter, operatorNonceManager, type SubmitTransaction } from "../transports/submit.ts";
import { type PooledWebSocketTransport, pooledWebSocket } from "./pooled-websocket.ts";
import { operatorAccount } from "./secp256k1.ts";

/** Sockets the engine keeps to each chain's node; a request finding all four busy waits for one. */
const SOCKETS_PER_CHAIN = 4;

export class EngineConfigurationError extends XmarginError {
  override name = "EngineConfigurationError";
}

/** One chain of the protocol as this operator reaches it: its node, its account there, its contracts. */
export interface EngineChain {
  name: string;
  chainId: number;
  config: ChainConfig;
  publicClient: PublicClient;
  /** The operator's account: it pays for the deliveries this instance sends to the chain. */
  walletClient: WalletClient<Transport, Chain, Account>;
  /** Sends the operator's transactions: signed locally, one round trip each where the node allows. */
  submit: SubmitTransaction;
  /** Deliveries to this chain (Hyperlane `process`, LayerZero `lzReceive`): together under load, through `submit`. */
  deliveries: DeliveryBatchQueue;
  record: HubRecord | SpokeRecord;
}

/** Every chain of a deployment, with lookups by the transports' own chain identifiers. */
export interface EngineNetwork {
  deployment: ProtocolDeployment;
  chains: readonly EngineChain[];
  byChainId(chainId: number): EngineChain | undefined;
  byEid(eid: number): EngineChain | undefined;
  byDomain(domain: number): EngineChain | undefined;
  /** Closes the sockets the engine opened to the nodes: open ones keep the process from exiting. */
  close(): Promise<void>;
}

/**
 * Clients for every chain of the deployment from the config's RPC URLs; `transportFor` lets tests
 * (and the RPC-failure suite) put their own viem transport in front of a chain.
 */
export function createEngineNetwork(options: {
  deployment: ProtocolDeployment;
  chains: readonly ChainConfig[];
  operatorKey: Hex;
  transportFor?: (config: ChainConfig) => Transport;
}): EngineNetwork {
  const { deployment } = options;
  // The shared nonce manager: the API's intent submissions use the same account on the hub.
  const account = operatorAccount(options.operatorKey, { nonceManager: operatorNonceManager });
  const closers: (() => Promise<void>)[] = [];
  const chains = [deployment.hub, ...deployment.spokes].map((record): EngineChain => {
    const config = options.chains.find((candidate) => candidate.chainId === record.chainId);
    if (!config) {
      throw new EngineConfigurationError(`no RPC configured for ${record.name} (chain ${record.chainId})`);
    }
    const chain = defineChain({
      id: record.chainId,
      name: record.name,
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [config.rpcUrl] } },
    });
    const transport = options.transportFor?.(config) ?? rpcTransport(config);
    const { close } = transport as Partial<Pick<PooledWebSocketTransport, "close">>;
    if (close) closers.push(close);
    // Receipts of our own deliveries (where the node cannot answer a send with its receipt): a delivery
    // waits on them, so they are polled five times as often as the watcher polls the head (viem's default
    // is every 4 s).
    const publicClient = createPublicClient({ chain, transport, pollingInterval: receiptPollMs(config) });
    const walletClient = createWalletClient({ chain, transport, account, pollingInterval: receiptPollMs(config) });
    const submit = fastSubmitter({ publicClient, walletClient });
    return {
      name: record.name,
      chainId: record.chainId,
      config,
      publicClient,
      walletClient,
      submit,
      deliveries: new DeliveryBatchQueue({
        submit,
        ...(record.deliveryBatcher ? { batcher: record.deliveryBatcher } : {}),
      }),
      record,
    };
  });
  return {
    deployment,
    chains,
    byChainId: (chainId) => chains.find((chain) => chain.chainId === chainId),
    byEid: (eid) => chains.find((chain) => chain.record.layerZero.eid === eid),
    byDomain: (domain) => chains.find((chain) => chain.record.hyperlane.domain === domain),
    close: async () => {
      await Promise.all(closers.map((close) => close()));
    },
  };
}

/**
 * Checks that every DeliveryBatcher the deployment names has code on its chain: a call to an address without
 * code succeeds and runs nothing, so each delivery batched through it would look sent and never happen. A
 * chain whose node does not answer is handed to `onUnchecked` instead of failing: an instance starts with a
 * chain down, and its watcher retries. `clientOf` reads a chain by id: the caller's own clients, not the
 * engine's, whose websockets would keep a process that failed to start from exiting.
 */
export async function checkDeliveryBatchers(
  deployment: ProtocolDeployment,
  clientOf: (chainId: number) => Pick<PublicClient, "getCode"> | undefined,
  onUnchecked: (record: HubRecord | SpokeRecord, batcher: Address, error: Error) => void,
): Promise<void> {
  await Promise.all(
    [deployment.hub, ...deployment.spokes].map(async (record) => {
      const batcher = record.deliveryBatcher;
      if (!batcher) return;
      const client = clientOf(record.chainId);
      if (!client) {
        throw new EngineConfigurationError(`no RPC configured for ${record.name} (chain ${record.chainId})`);
      }
      let code: Hex | undefined;
      try {
        code = await client.getCode({ address: batcher });
      } catch (error) {
        onUnchecked(record, batcher, error as Error);
        return;
      }
      // viem reads an account without code ("0x") as undefined.
      if (code === undefined) {
        throw new EngineConfigurationError(
          `${record.name} (chain ${record.chainId}): the deployment's deliveryBatcher ${batcher} has no code there, so every delivery batched through it would do nothing; deploy a DeliveryBatcher (xmargin deploy-infra does) and record its address, or remove deliveryBatcher to send each delivery alone`,
          { details: { chain: record.name, chainId: record.chainId, deliveryBatcher: batcher } },
        );
      }
    }),
  );
}

/**
 * The engine's requests to a chain: over the node's websocket when the config names one, HTTP otherwise.
 * JSON-RPC over open sockets costs the relayer a fraction of the CPU of a `fetch` per request (on a
 * loaded 2-core machine the HTTP client was the largest slice of each operator's profile after
 * signature recovery). The engine's reads overlap (the watcher's log reads, deliveries, signatures), and
 * a second request in flight on one socket waits ~40 ms for its answer, so each chain gets a few sockets
 * with one request at a time on each (see `pooledWebSocket`). Each request fails fast: the watcher and the
 * worker own the retry policy, not the transport; a dropped socket reconnects every second for as long as
 * it takes.
 */
export function rpcTransport(config: ChainConfig): Transport | PooledWebSocketTransport {
  if (!config.wsUrl) return http(config.rpcUrl, { timeout: 10_000, retryCount: 0 });
  return pooledWebSocket(config.wsUrl, {
    size: SOCKETS_PER_CHAIN,
    timeout: 10_000,
    retryCount: 0,
    reconnect: { attempts: Number.MAX_SAFE_INTEGER, delay: 1_000 },
  });
}

/** How often receipts of the operator's own transactions are polled: five times as often as the head. */
export const receiptPollMs = (config: ChainConfig): number => Math.max(10, Math.round(config.pollIntervalMs / 5));
