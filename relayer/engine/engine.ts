import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { Address, Hex, Transport as ViemTransport } from "viem";
import type { ChainConfig } from "../config/schema.ts";
import type { ProtocolDeployment } from "../infra/protocol.ts";
import type { MessageStore, StoredMessage } from "../storage/index.ts";
import { PromiseCache } from "../transports/promise-cache.ts";
import { Attestor } from "./attestor.ts";
import { HyperlaneLane } from "./hyperlane-lane.ts";
import { DeliveryDeferred, type DeliveryResult, type Lane } from "./lane.ts";
import { LayerZeroLane } from "./layerzero-lane.ts";
import { createEngineNetwork, EngineConfigurationError, type EngineNetwork } from "./network.ts";
import { ParkedCommandsUpkeep } from "./parked-commands.ts";
import { type OperatorActivityJson, type Peer, PeerClient } from "./peers.ts";
import { type DigestSigner, localDigestSigner } from "./signer.ts";
import { ChainWatcher, type WatcherStatus } from "./watcher.ts";
import { DeliveryWorker } from "./worker.ts";

export interface RelayerEngineOptions {
  deployment: ProtocolDeployment;
  chains: readonly ChainConfig[];
  store: MessageStore;
  /** This operator's key: its share of the M-of-N attestations, and the account that pays for deliveries. */
  operatorKey: Hex;
  peers: readonly Peer[];
  delivery: {
    enabled: boolean;
    delayMs: number;
    batchSize: number;
    leaseMs: number;
    idleMs: number;
    peerTimeoutMs: number;
    concurrencyPerChain: number;
  };
  logger: Logger;
  /** What the engine reports as it works (the service turns these into metrics). */
  events?: EngineEvents;
  transportFor?: (config: ChainConfig) => ViemTransport;
}

/**
 * A backup deliverer stands by while a peer's own delivery landed this recently, and for at most this
 * many of its delays after a message was discovered (a peer that delivers others but not this one).
 */
const PEER_ACTIVE_WINDOW_MS = 2_000;
const STANDBY_LIMIT_DELAYS = 6;

export interface EngineEvents {
  onDelivered?(message: StoredMessage, result: DeliveryResult, latencyMs: number): void;
  onFailed?(message: StoredMessage, error: Error, outcome: { attempts: number; permanent: boolean }): void;
  onRpcError?(chain: string, error: Error): void;
}

/**
 * The relayer engine: per chain a watcher storing every message of both transports, a worker carrying
 * stored messages to their destinations, and the attestor answering peer operators. It knows nothing
 * of HTTP: the service exposes `attestor` and `status()`.
 */
export class RelayerEngine {
  readonly network: EngineNetwork;
  readonly attestor: Attestor;
  readonly signer: DigestSigner;
  readonly workerId: string;
  private readonly watchers: ChainWatcher[];
  private readonly worker: DeliveryWorker | undefined;
  private readonly parkedCommands: ParkedCommandsUpkeep | undefined;
  private started = false;
  private lastOwnDeliveryAt: number | undefined;
  /** Whether a peer is delivering, asked at most once a second however many messages come due. */
  private readonly peerActivity = new PromiseCache<"peers", boolean>(1_000);

  constructor(private readonly options: RelayerEngineOptions) {
    const { deployment, store, logger } = options;
    this.signer = localDigestSigner(options.operatorKey);
    if (!deployment.operators.some((operator) => sameAddress(operator, this.signer.address))) {
      throw new EngineConfigurationError(
        `the operator key's address ${this.signer.address} is not one of the deployment's operators (${deployment.operators.join(", ")})`,
      );
    }
    for (const peer of options.peers) {
      if (!deployment.operators.some((operator) => sameAddress(operator, peer.address))) {
        throw new EngineConfigurationError(
          `peer ${peer.url} (${peer.address}) is not one of the deployment's operators`,
        );
      }
    }
    this.network = createEngineNetwork({
      deployment,
      chains: options.chains,
      operatorKey: options.operatorKey,
      ...(options.transportFor ? { transportFor: options.transportFor } : {}),
    });
    const peerLog = logger.child({ module: "peers" });
    const peers = new PeerClient({
      peers: options.peers,
      self: this.signer.address,
      timeoutMs: options.delivery.peerTimeoutMs,
      onPeerError: (peer, error) => peerLog.warn({ peer: peer.url }, error.message),
    });
    const layerZero = new LayerZeroLane(this.network, {
      signer: this.signer,
      peers: peers.layerZero,
      threshold: deployment.threshold,
    });
    const hyperlane = new HyperlaneLane(this.network, { signer: this.signer, peers: peers.hyperlane });
    const lanes: Lane[] = [layerZero, hyperlane];
    this.attestor = new Attestor(this.network, this.signer, hyperlane, store);
    this.workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

    const upkeepLog = logger.child({ module: "parked-commands" });
    // A signing-only instance sends nothing.
    this.parkedCommands = options.delivery.enabled
      ? new ParkedCommandsUpkeep({
          delayMs: options.delivery.delayMs,
          onExecuted: (chain, account, executed) =>
            upkeepLog.info({ chain: chain.name, account, executed: Number(executed) }, "ran parked commands"),
          onError: (chain, account, error) =>
            upkeepLog.warn(
              { chain: chain.name, account },
              `running parked commands failed (will retry): ${error.message.split("\n")[0]}`,
            ),
        })
      : undefined;
    const watchLog = logger.child({ module: "watcher" });
    this.watchers = this.network.chains.map(
      (chain) =>
        new ChainWatcher(chain, lanes, store, {
          dueDelayMs: options.delivery.delayMs,
          ...(this.parkedCommands ? { observers: [this.parkedCommands] } : {}),
          events: {
            onDiscovered: (_chain, messages, inserted) => {
              watchLog.debug({ chain: chain.name, found: messages.length, inserted }, "messages discovered");
              // Due now unless this instance is a backup deliverer; then the worker's own pace is right.
              if (inserted > 0 && options.delivery.delayMs === 0) this.worker?.wakeUp();
            },
            onSettled: (_chain, seen, settled) => {
              if (settled > 0) watchLog.debug({ chain: chain.name, seen: seen.length, settled }, "deliveries seen");
            },
            onPollError: (_chain, error) => {
              watchLog.warn({ chain: chain.name }, `poll failed (retrying): ${error.message.split("\n")[0]}`);
              options.events?.onRpcError?.(chain.name, error);
            },
          },
        }),
    );
    const deliveryLog = logger.child({ module: "delivery" });
    this.worker = options.delivery.enabled
      ? new DeliveryWorker({
          store,
          lanes,
          workerId: this.workerId,
          batchSize: options.delivery.batchSize,
          leaseMs: options.delivery.leaseMs,
          idleMs: options.delivery.idleMs,
          concurrencyPerChain: options.delivery.concurrencyPerChain,
          ...(options.delivery.delayMs > 0
            ? { standBy: (message: StoredMessage) => this.standBy(message, peers) }
            : {}),
          events: {
            onDelivered: (message, result) => {
              if (result.transactionHash) this.lastOwnDeliveryAt = Date.now();
              const latencyMs = Date.now() - message.discoveredAt.getTime();
              deliveryLog.info(
                {
                  transport: message.transport,
                  id: message.messageId,
                  type: message.messageType,
                  from: this.network.byChainId(message.originChainId)?.name ?? message.originChainId,
                  to: this.network.byChainId(message.destinationChainId)?.name ?? message.destinationChainId,
                  status: result.status,
                  tx: result.transactionHash,
                  latencyMs,
                },
                "delivered",
              );
              options.events?.onDelivered?.(message, result, latencyMs);
            },
            onFailed: (message, error, outcome) => {
              const context = { transport: message.transport, id: message.messageId, attempts: outcome.attempts };
              const reason = error.message.split("\n")[0];
              // Standing by for a peer, or for a LayerZero predecessor, is the plan working, not a failure.
              if (error instanceof DeliveryDeferred) deliveryLog.debug(context, `deferred: ${reason}`);
              else
                deliveryLog.warn(
                  context,
                  `${outcome.permanent ? "failed for good" : "attempt failed (will retry)"}: ${reason}`,
                );
              options.events?.onFailed?.(message, error, outcome);
            },
            onRoundError: (error) => deliveryLog.error({ err: error }, "delivery round failed"),
          },
        })
      : undefined;
  }

  get operator(): Address {
    return this.signer.address;
  }

  /** What peers' backups ask before they deliver (`GET /v1/operators/activity`). */
  activity(): OperatorActivityJson {
    return {
      delivering: this.worker !== undefined,
      msSinceLastDelivery: this.lastOwnDeliveryAt === undefined ? null : Date.now() - this.lastOwnDeliveryAt,
    };
  }

  /**
   * A backup deliverer (delivery.delayMs > 0) leaves a message that came due to its peers while one of
   * them is visibly delivering: under load the primary's backlog outlasts the delay, and backups sending
   * the same messages alongside it only double the destination's transactions. With every peer quiet
   * (down, or stuck), or `STANDBY_LIMIT_DELAYS` delays after discovery, it delivers.
   */
  private async standBy(message: StoredMessage, peers: PeerClient): Promise<number | undefined> {
    const { delayMs } = this.options.delivery;
    if (Date.now() - message.discoveredAt.getTime() >= STANDBY_LIMIT_DELAYS * delayMs) return undefined;
    const delivering = await this.peerActivity.get("peers", () => peers.anyDelivering(PEER_ACTIVE_WINDOW_MS));
    return delivering ? delayMs : undefined;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.parkedCommands?.start();
    for (const watcher of this.watchers) watcher.start();
    this.worker?.start();
  }

  /**
   * Stops watching, finishes deliveries in progress, hands back the leases of what was claimed but not
   * started, and closes the sockets to the nodes.
   */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await Promise.all([
      ...this.watchers.map((watcher) => watcher.stop()),
      this.worker?.stop(),
      this.parkedCommands?.stop(),
    ]);
    await this.options.store.releaseLeases(this.workerId);
    await this.network.close();
  }

  status(): WatcherStatus[] {
    return this.watchers.map((watcher) => ({ ...watcher.status, cursors: { ...watcher.status.cursors } }));
  }
}

const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
