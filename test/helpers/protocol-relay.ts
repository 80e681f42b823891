/**
 * An in-process relay over the real delivery engines, for tests that need messages carried without the
 * relayer service's processes (the devnet itself runs `xmargin relayer start` instances). One process plays
 * all N operators: operator 0 finds and delivers every message; on LayerZero it signs with its own DVN key
 * and asks operators 1…N−1 for theirs (each checks the packet on its own view of the source chain, as the
 * service's peers do over HTTP); on Hyperlane every operator runs its own validator per origin and the
 * deliverer collects the threshold of checkpoint signatures from them.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { Account, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import { type DevnetDeployment, DevnetDeploymentError, devnetProtocol } from "../../relayer/devnet/deployment.ts";
import { devnetChainClients, operatorKeys } from "../../relayer/devnet/protocol.ts";
import { type DigestSigner, localDigestSigner } from "../../relayer/engine/signer.ts";
import { fromHyperlaneChainRecord } from "../../relayer/infra/hyperlane.ts";
import type { ProtocolDeployment } from "../../relayer/infra/protocol.ts";
import {
  HyperlaneDeliverer,
  HyperlaneValidator,
  validatorSignatureSource,
} from "../../relayer/transports/hyperlane/index.ts";
import {
  answerVerificationRequest,
  createLayerZeroDelivery,
  type LayerZeroChain,
  type LayerZeroDelivery,
  type PeerSignatureRequester,
  type SentPacket,
  signaturesFromLocalAndPeers,
} from "../../relayer/transports/layerzero/index.ts";
import { decodeMessage, type MessageTypeName } from "../../sdk/codec/index.ts";
import { XmarginError } from "../../sdk/errors.ts";

export type TransportName = "layerzero" | "hyperlane";

/** A chain as the relay sees it: a node, and operator 0's account there (it pays for deliveries). */
export interface RelayChain {
  chainId: number;
  publicClient: PublicClient;
  walletClient: WalletClient<Transport, Chain | undefined, Account>;
}

export interface RelayedMessage {
  transport: TransportName;
  /** Chain names, as in the deployment. */
  from: string;
  to: string;
  /** The xmargin message type, or "unknown" for bytes that are not an xmargin message. */
  type: MessageTypeName | "unknown";
  /** LayerZero guid or Hyperlane message id. */
  id: Hex;
  /** `alreadyDelivered`: someone else (or an earlier run) had delivered it. */
  status: "delivered" | "alreadyDelivered";
  /** The transaction that handed the message to its recipient, when this relay delivered it. */
  transactionHash?: Hex;
  gasUsed?: bigint;
}

export interface RelayFailure {
  error: Error;
  /** The message whose delivery failed; absent when the pass itself failed (a node did not answer, say). */
  message?: { transport: TransportName; from: string; to: string; id: Hex };
}

export interface ProtocolRelayOptions {
  protocol: ProtocolDeployment;
  chains: readonly RelayChain[];
  /** The N operators' verifier keys, in the order of `protocol.operators`; operator 0 delivers. */
  operatorSigners: readonly DigestSigner[];
  /** Pause between passes of the background loop. Default 100 ms. */
  pollIntervalMs?: number;
  onDelivered?: (message: RelayedMessage) => void;
  /** A delivery failed; it is retried on the next pass. Called once per message and distinct error. */
  onFailure?: (failure: RelayFailure) => void;
}

export class RelayConfigurationError extends XmarginError {
  override name = "RelayConfigurationError";
}

const DEFAULT_POLL_INTERVAL_MS = 100;

/** xmargin message type of some bytes, or "unknown": the relay carries whatever the gateways sent. */
function messageType(message: Hex): MessageTypeName | "unknown" {
  try {
    return decodeMessage(message).type;
  } catch {
    return "unknown";
  }
}

/**
 * Relays every message between the protocol's chains over both transports. `pass` runs one round of
 * discovery and delivery; `flush` repeats it until nothing moves; `start` runs passes in the background
 * until `stop`.
 */
export class ProtocolRelay {
  readonly layerZero: LayerZeroDelivery;
  /** Per origin chain id, the Hyperlane deliverer of its messages. */
  readonly hyperlane: ReadonlyMap<number, HyperlaneDeliverer>;
  private readonly names = new Map<number, string>();
  private readonly eidNames = new Map<number, string>();
  private readonly domainNames = new Map<number, string>();
  private readonly nextBlock = new Map<number, bigint>();
  private readonly pendingPackets = new Map<Hex, SentPacket>();
  private readonly reportedFailures = new Map<Hex, string>();
  private passQueue: Promise<unknown> = Promise.resolve();
  private loop: Promise<void> | undefined;
  private stopping = false;

  constructor(private readonly options: ProtocolRelayOptions) {
    const { protocol, operatorSigners } = options;
    if (operatorSigners.length !== protocol.operators.length) {
      throw new RelayConfigurationError(
        `${operatorSigners.length} operator keys for ${protocol.operators.length} operators`,
      );
    }
    for (const [index, signer] of operatorSigners.entries()) {
      if (signer.address.toLowerCase() !== protocol.operators[index]?.toLowerCase()) {
        throw new RelayConfigurationError(
          `operator key #${index} is ${signer.address}, not ${protocol.operators[index]}`,
        );
      }
    }
    const records = [protocol.hub, ...protocol.spokes];
    const chainOf = (chainId: number): RelayChain => {
      const chain = options.chains.find((candidate) => candidate.chainId === chainId);
      if (!chain) throw new RelayConfigurationError(`no client for chain ${chainId}`);
      return chain;
    };
    for (const record of records) {
      this.names.set(record.chainId, record.name);
      this.eidNames.set(record.layerZero.eid, record.name);
      this.domainNames.set(record.hyperlane.domain, record.name);
    }

    const layerZeroChains: LayerZeroChain[] = records.map((record) => ({
      ...chainOf(record.chainId),
      contracts: record.layerZero,
    }));
    const [localSigner, ...peerSigners] = operatorSigners;
    if (!localSigner) throw new RelayConfigurationError("the relay needs at least one operator");
    const peers: PeerSignatureRequester = async (request, wanted) => {
      const source = records.find((record) => record.chainId === request.sourceChainId);
      const destination = records.find((record) => record.chainId === request.destinationChainId);
      if (!source || !destination) return [];
      const view = {
        source: {
          chainId: source.chainId,
          publicClient: chainOf(source.chainId).publicClient,
          endpoint: source.layerZero.endpoint,
        },
        destination: {
          chainId: destination.chainId,
          eid: destination.layerZero.eid,
          dvn: destination.layerZero.dvn,
          vid: destination.layerZero.dvnConfig.vid,
          receiveUln302: destination.layerZero.receiveUln302,
        },
      };
      const answers = await Promise.allSettled(
        peerSigners.map((signer) => answerVerificationRequest(signer, request, view)),
      );
      return answers
        .flatMap((answer) => (answer.status === "fulfilled" ? [answer.value] : []))
        .slice(0, wanted)
        .flat();
    };
    this.layerZero = createLayerZeroDelivery({
      chains: layerZeroChains,
      signatures: signaturesFromLocalAndPeers({ local: [localSigner], peers, quorum: protocol.threshold }),
    });

    const hyperlane = new Map<number, HyperlaneDeliverer>();
    for (const record of records) {
      const origin = fromHyperlaneChainRecord(record.hyperlane);
      const client = chainOf(record.chainId).publicClient;
      const validators = operatorSigners.map(
        (signer) =>
          new HyperlaneValidator({
            client,
            origin: origin.domain,
            merkleTreeHook: origin.merkleTreeHook,
            signer,
            fromBlock: origin.deployBlock,
          }),
      );
      hyperlane.set(
        record.chainId,
        new HyperlaneDeliverer({
          origin: {
            domain: origin.domain,
            client,
            mailbox: origin.mailbox,
            merkleTreeHook: origin.merkleTreeHook,
            fromBlock: origin.deployBlock,
          },
          destinations: records
            .filter((other) => other.chainId !== record.chainId)
            .map((other) => ({
              ...chainOf(other.chainId),
              domain: other.hyperlane.domain,
              mailbox: other.hyperlane.mailbox,
            })),
          signatureSources: validators.map(validatorSignatureSource),
        }),
      );
    }
    this.hyperlane = hyperlane;
  }

  /**
   * Finds what was sent since the last pass and delivers everything pending, over `transports` (both by
   * default). Passes never overlap: operator 0 sends one transaction at a time on each chain.
   */
  pass(transports: readonly TransportName[] = ["layerzero", "hyperlane"]): Promise<RelayedMessage[]> {
    const run = this.passQueue.then(async () => {
      const relayed: RelayedMessage[] = [];
      if (transports.includes("layerzero")) relayed.push(...(await this.passLayerZero()));
      if (transports.includes("hyperlane")) relayed.push(...(await this.passHyperlane()));
      for (const message of relayed) this.options.onDelivered?.(message);
      return relayed;
    });
    this.passQueue = run.catch(() => {});
    return run;
  }

  /** Passes until one delivers nothing: a delivered command makes its spoke send a report, and so on. */
  async flush(transports?: readonly TransportName[]): Promise<RelayedMessage[]> {
    const relayed: RelayedMessage[] = [];
    for (;;) {
      const round = await this.pass(transports);
      if (round.length === 0) return relayed;
      relayed.push(...round);
    }
  }

  /** Messages found but not delivered yet (after failures, until a later pass succeeds). */
  get pending(): number {
    let count = this.pendingPackets.size;
    for (const deliverer of this.hyperlane.values()) count += deliverer.pendingMessages.length;
    return count;
  }

  /** Runs passes in the background until `stop`; errors of a pass are reported and the loop goes on. */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = (async () => {
      while (!this.stopping) {
        try {
          await this.pass();
        } catch (error) {
          this.options.onFailure?.({ error: asError(error) });
        }
        await delay(this.options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
      }
    })();
  }

  /** Stops the background loop after the pass in progress. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    this.loop = undefined;
  }

  private async passLayerZero(): Promise<RelayedMessage[]> {
    for (const chain of this.options.chains) {
      const head = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
      const fromBlock = this.nextBlock.get(chain.chainId) ?? 0n;
      if (fromBlock > head) continue;
      for (const sent of await this.layerZero.findSentPackets(chain.chainId, { fromBlock, toBlock: head })) {
        this.pendingPackets.set(sent.packet.guid, sent);
      }
      this.nextBlock.set(chain.chainId, head + 1n);
    }
    const relayed: RelayedMessage[] = [];
    for (const [guid, sent] of this.pendingPackets) {
      const from = this.names.get(sent.sourceChainId) ?? String(sent.sourceChainId);
      const to = this.eidNames.get(sent.packet.dstEid) ?? `eid ${sent.packet.dstEid}`;
      try {
        const outcome = await this.layerZero.deliver(sent);
        this.pendingPackets.delete(guid);
        this.reportedFailures.delete(guid);
        const execution = outcome.steps.find((step) => step.step === "execute");
        relayed.push({
          transport: "layerzero",
          from,
          to,
          type: messageType(sent.packet.message),
          id: guid,
          status: outcome.status,
          ...(execution ? { transactionHash: execution.transactionHash, gasUsed: execution.gasUsed } : {}),
        });
      } catch (error) {
        this.reportFailure({ transport: "layerzero", from, to, id: guid }, asError(error));
      }
    }
    return relayed;
  }

  private async passHyperlane(): Promise<RelayedMessage[]> {
    const relayed: RelayedMessage[] = [];
    for (const [chainId, deliverer] of this.hyperlane) {
      for (const outcome of await deliverer.poll()) {
        const { message } = outcome;
        const from = this.names.get(chainId) ?? String(chainId);
        const to = this.domainNames.get(message.message.destination) ?? `domain ${message.message.destination}`;
        if (outcome.status === "failed") {
          this.reportFailure({ transport: "hyperlane", from, to, id: message.id }, outcome.error);
          continue;
        }
        this.reportedFailures.delete(message.id);
        relayed.push({
          transport: "hyperlane",
          from,
          to,
          type: messageType(message.message.body),
          id: message.id,
          ...(outcome.status === "delivered"
            ? { status: "delivered", transactionHash: outcome.transactionHash, gasUsed: outcome.gasUsed }
            : { status: "alreadyDelivered" }),
        });
      }
    }
    return relayed;
  }

  private reportFailure(message: NonNullable<RelayFailure["message"]>, error: Error): void {
    if (this.reportedFailures.get(message.id) === error.message) return;
    this.reportedFailures.set(message.id, error.message);
    this.options.onFailure?.({ error, message });
  }
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/**
 * The relay over a deployed devnet: every operator's key from the devnet's accounts, operator 0 paying for
 * deliveries. Call `start()` for the background loop.
 */
export function createDevnetRelay(
  deployment: DevnetDeployment,
  options: Omit<ProtocolRelayOptions, "protocol" | "chains" | "operatorSigners"> = {},
): ProtocolRelay {
  const protocol = devnetProtocol(deployment);
  const keys = operatorKeys(deployment, protocol.operators.length);
  const [delivererKey] = keys;
  if (!delivererKey) throw new DevnetDeploymentError("the devnet has no operators");
  return new ProtocolRelay({
    ...options,
    protocol,
    chains: [deployment.hub, ...deployment.spokes].map((chain) => {
      const clients = devnetChainClients(chain);
      return {
        chainId: chain.chainId,
        publicClient: clients.publicClient,
        walletClient: clients.walletFor(delivererKey),
      };
    }),
    operatorSigners: keys.map(localDigestSigner),
  });
}
