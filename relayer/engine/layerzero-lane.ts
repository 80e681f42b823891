import { decodeAbiParameters, encodeAbiParameters, type Hex, isAddressEqual, type Log } from "viem";
import type { NewMessage, SeenDelivery, StoredMessage } from "../storage/index.ts";
import {
  addressToBytes32,
  createLayerZeroDelivery,
  type DvnSignature,
  decodePacket,
  deliveredPacketsFromLogs,
  type LayerZeroDelivery,
  LayerZeroError,
  PACKET_DELIVERED,
  PACKET_SENT,
  type PacketStatus,
  type PeerSignatureRequester,
  type SentPacket,
  sentPacketsFromLogs,
  signaturesFromLocalAndPeers,
} from "../transports/layerzero/index.ts";
import { CommandGas, isCommand } from "./command-gas.ts";
import {
  DeliveryDeferred,
  type DeliveryProgress,
  type DeliveryResult,
  isFirstAttempt,
  type Lane,
  type LogSources,
  xmarginMessageType,
} from "./lane.ts";
import type { EngineChain, EngineNetwork } from "./network.ts";
import { type DigestSigner, recoverDigestSigner } from "./signer.ts";

// What `PacketSent` carries besides the packet; stored as the message payload so the worker can rebuild
// the sent packet without going back to the source chain.
const STORED_PACKET = [
  { name: "encodedPacket", type: "bytes" },
  { name: "options", type: "bytes" },
  { name: "sendLibrary", type: "address" },
] as const;

export const encodeStoredPacket = (sent: SentPacket): Hex =>
  encodeAbiParameters(STORED_PACKET, [sent.packet.encoded, sent.options, sent.sendLibrary]);

export function sentPacketOf(message: StoredMessage): SentPacket {
  const [encodedPacket, options, sendLibrary] = decodeAbiParameters(STORED_PACKET, message.payload);
  return {
    sourceChainId: message.originChainId,
    blockNumber: message.blockNumber,
    transactionHash: message.sourceTxHash,
    logIndex: message.logIndex,
    packet: decodePacket(encodedPacket),
    options,
    sendLibrary,
  };
}

/** An earlier nonce of the path is delivered by then, by us or a peer: retry soon, not on the growing backoff. */
const PREDECESSOR_RETRY_MS = 500;

/**
 * LayerZero: `PacketSent` of our gateways, verified by the DVN with M of N operator signatures (ours
 * first, the peers' over HTTP), committed and executed.
 */
export class LayerZeroLane implements Lane {
  readonly transport = "layerzero" as const;
  readonly delivery: LayerZeroDelivery;
  /** Deliveries in progress by GUID, so the signature source can report the quorum it gathered. */
  private readonly inFlight = new Map<Hex, DeliveryProgress>();
  private readonly commandGas = new CommandGas((chain) => chain.record.layerZero.gateway);

  constructor(
    private readonly network: EngineNetwork,
    options: { signer: DigestSigner; peers: PeerSignatureRequester; threshold: number },
  ) {
    const gather = signaturesFromLocalAndPeers({
      local: [options.signer],
      peers: options.peers,
      quorum: options.threshold,
    });
    this.delivery = createLayerZeroDelivery({
      chains: network.chains.map((chain) => ({
        chainId: chain.chainId,
        publicClient: chain.publicClient,
        walletClient: chain.walletClient,
        contracts: chain.record.layerZero,
        submit: chain.submit,
        deliveries: chain.deliveries,
      })),
      executionGasTopUp: async (sent) => {
        const origin = network.byChainId(sent.sourceChainId);
        const destination = network.byEid(sent.packet.dstEid);
        if (!origin || !destination || !isCommand(xmarginMessageType(sent.packet.message))) return undefined;
        return this.commandGas.parkedCommandsGasOf(origin, destination);
      },
      signatures: async (request) => {
        const signatures = await gather(request);
        // Only a quorum of signatures that really are their signers' counts as `signed` (and is kept).
        const valid = (await validSignatures(request.verify.digest, signatures)).filter((signature) =>
          network.deployment.operators.some((operator) => isAddressEqual(operator, signature.signer)),
        );
        if (new Set(valid.map((signature) => signature.signer.toLowerCase())).size >= options.threshold) {
          await this.inFlight.get(decodePacket(request.encodedPacket).guid)?.signed(valid);
        }
        return signatures;
      },
    });
  }

  startBlock(chain: EngineChain): bigint {
    // The LayerZero stack and the Hyperlane stack are deployed together; the Mailbox's block bounds both.
    return BigInt(chain.record.hyperlane.deployBlock);
  }

  logSources(chain: EngineChain): LogSources {
    return { addresses: [chain.record.layerZero.endpoint], events: [PACKET_SENT, PACKET_DELIVERED] };
  }

  deliveredOn(chain: EngineChain, logs: readonly Log[]): SeenDelivery[] {
    const { endpoint, eid, gateway } = chain.record.layerZero;
    // The endpoint is shared: only packets executed on our gateway can be ours.
    return deliveredPacketsFromLogs(endpoint, eid, logs).flatMap(({ guid, receiver, transactionHash }) =>
      isAddressEqual(receiver, gateway)
        ? [{ transport: "layerzero" as const, messageId: guid, deliveryTxHash: transactionHash }]
        : [],
    );
  }

  async discover(
    chain: EngineChain,
    _fromBlock: bigint,
    _toBlock: bigint,
    logs: readonly Log[],
  ): Promise<NewMessage[]> {
    const gateway = addressToBytes32(chain.record.layerZero.gateway);
    const sent = sentPacketsFromLogs(chain.chainId, chain.record.layerZero.endpoint, logs);
    return sent.flatMap((packet): NewMessage[] => {
      const destination = this.network.byEid(packet.packet.dstEid);
      // Only our gateways' packets between chains this operator serves: others are not ours to pay for.
      if (packet.packet.sender.toLowerCase() !== gateway.toLowerCase() || !destination) return [];
      if (!isAddressEqual(packet.packet.receiver, destination.record.layerZero.gateway)) return [];
      return [
        {
          transport: "layerzero",
          messageId: packet.packet.guid,
          originChainId: chain.chainId,
          destinationChainId: destination.chainId,
          sourceTxHash: packet.transactionHash,
          blockNumber: packet.blockNumber,
          logIndex: packet.logIndex,
          payload: encodeStoredPacket(packet),
          messageType: xmarginMessageType(packet.packet.message),
        },
      ];
    });
  }

  async isDelivered(message: StoredMessage): Promise<boolean> {
    return (await this.delivery.status(sentPacketOf(message))) === "delivered";
  }

  async deliver(message: StoredMessage, progress: DeliveryProgress): Promise<DeliveryResult> {
    const sent = sentPacketOf(message);
    const guid = sent.packet.guid;
    const status: PacketStatus = isFirstAttempt(message) ? "unverified" : await this.delivery.status(sent);
    if (status === "delivered") return { status: "alreadyDelivered", gas: [] };
    if (status === "committed" || status === "verifiable") await progress.verified();
    this.inFlight.set(guid, progress);
    try {
      const outcome = await this.delivery.deliver(sent, { status }).catch((error: unknown) => {
        if (error instanceof LayerZeroError && error.reason?.errorName === "LZ_InvalidNonce") {
          throw new DeliveryDeferred(
            `an earlier packet of the path ${message.originChainId} → ${message.destinationChainId} is not verified yet`,
            PREDECESSOR_RETRY_MS,
            { cause: error },
          );
        }
        throw error;
      });
      const destination =
        this.network.byChainId(outcome.destinationChainId)?.name ?? String(outcome.destinationChainId);
      const execution = outcome.steps.find((step) => step.step === "execute");
      return {
        status: outcome.status,
        ...(execution ? { transactionHash: execution.transactionHash } : {}),
        gas: outcome.steps.map((step) => ({ step: step.step, chain: destination, gasUsed: step.gasUsed })),
      };
    } finally {
      this.inFlight.delete(guid);
    }
  }
}

/** The signatures of `digest` (the verify instruction's) that recover to the signer they name. */
async function validSignatures(digest: Hex, signatures: readonly DvnSignature[]): Promise<DvnSignature[]> {
  const checked = await Promise.all(
    signatures.map(async (signature) => {
      if (signature.digest.toLowerCase() !== digest.toLowerCase()) return undefined;
      try {
        const signer = await recoverDigestSigner(digest, signature.signature);
        return isAddressEqual(signer, signature.signer) ? signature : undefined;
      } catch {
        return undefined;
      }
    }),
  );
  return checked.filter((signature): signature is DvnSignature => signature !== undefined);
}
