// The relayer app as the API tests run it: a data directory of its own, one chain that never answers, no
// deployment, and one discovered message in the store; or as the operator of a one-operator devnet.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hex } from "viem";
import { parseRelayerConfig } from "../../relayer/config/load.ts";
import type { RelayerConfig, RelayerConfigInput } from "../../relayer/config/schema.ts";
import type { DevnetDeployment } from "../../relayer/devnet/deployment.ts";
import { OPERATOR_ACCOUNT_OFFSET } from "../../relayer/devnet/protocol.ts";
import type { MessageStore } from "../../relayer/storage/index.ts";

export const OPERATOR_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
/** The id of the message `storeDiscoveredMessage` records. */
export const MESSAGE_ID = `0x${"ab".repeat(32)}` as const;
/** Nothing listens on port 9: a chain there never answers. */
export const UNREACHABLE_RPC = "http://127.0.0.1:9";

export interface OfflineRelayerConfig {
  config: RelayerConfig;
  removeDataDir: () => Promise<void>;
}

/** A relayer config over a fresh temporary data directory, named after `dirPrefix`. */
export async function offlineRelayerConfig(dirPrefix: string): Promise<OfflineRelayerConfig> {
  const dataDir = await mkdtemp(join(tmpdir(), dirPrefix));
  const config = parseRelayerConfig({
    dataDir,
    operator: { privateKey: OPERATOR_KEY },
    // Nothing listens on port 9: the health check must report the chain as unreachable, not fail.
    chains: [{ name: "hub", chainId: 70700, rpcUrl: UNREACHABLE_RPC }],
    log: { level: "fatal" },
  });
  return { config, removeDataDir: () => rm(dataDir, { recursive: true, force: true }) };
}

/**
 * A config for an instance serving `devnet` once its protocol is deployed with one operator (threshold 1): it
 * runs as that operator (its engine insists), with delivery off, its state in `dataDir`.
 */
export function devnetRelayerConfig(
  devnet: DevnetDeployment,
  dataDir: string,
  overrides: Partial<RelayerConfigInput> = {},
): RelayerConfig {
  return parseRelayerConfig({
    dataDir,
    operator: { privateKey: devnet.accounts[OPERATOR_ACCOUNT_OFFSET]?.privateKey as Hex },
    threshold: 1,
    chains: [devnet.hub, ...devnet.spokes].map(({ name, chainId, rpcUrl }) => ({ name, chainId, rpcUrl })),
    delivery: { enabled: false },
    log: { level: "fatal" },
    ...overrides,
  });
}

/** A BalanceReport from chain 70701 to the hub, discovered and not yet delivered. */
export async function storeDiscoveredMessage(store: MessageStore): Promise<void> {
  await store.insertMessage({
    transport: "layerzero",
    messageId: MESSAGE_ID,
    originChainId: 70701,
    destinationChainId: 70700,
    sourceTxHash: `0x${"cd".repeat(32)}`,
    blockNumber: 12n,
    logIndex: 3,
    payload: "0x01",
    messageType: "BalanceReport",
  });
}
