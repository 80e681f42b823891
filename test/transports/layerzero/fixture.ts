// The in-process hub, spoke A and spoke B with the real LayerZero v2 stack on each (deployed from the
// packages' bytecode by relayer/infra/layerzero.ts), our gateways wired both ways, the hub engine
// and a vault per spoke on top, and DVN operators relaying with the delivery engine.
import { type Address, type Hex, keccak256, type TransactionReceipt, toHex } from "viem";
import { type DigestSigner, localDigestSigner } from "../../../relayer/engine/signer.ts";
import {
  attachLayerZeroApplication,
  type ChainClients,
  deployLayerZero,
  type LayerZeroChainDeployment,
} from "../../../relayer/infra/layerzero.ts";
import { ChainClock } from "../../../relayer/transports/chain-clock.ts";
import {
  answerVerificationRequest,
  createLayerZeroDelivery,
  type DeliveryOutcome,
  type ExecutionMode,
  type LayerZeroChain,
  type LayerZeroDelivery,
  layerZeroGatewayAbi,
  type PeerSignatureRequester,
  type SentPacket,
  type SignatureSource,
  signaturesFromLocalAndPeers,
} from "../../../relayer/transports/layerzero/index.ts";
import { CHAIN_IDS } from "../../../sdk/chains.ts";
import { decodeMessage, type MessageTypeName } from "../../../sdk/codec/index.ts";
import { type Connection, connect } from "../../helpers/chains.ts";
import { deployHub, type Hub, SPOKE_A, SPOKE_B } from "../../helpers/hub.ts";

export const DVN_SIGNER_COUNT = 3;
export const DVN_QUORUM = 2;

/** The operators' verifier keys (N of them), fixed so that runs are reproducible. */
export const dvnSigners: DigestSigner[] = Array.from({ length: DVN_SIGNER_COUNT }, (_, index) =>
  localDigestSigner(keccak256(toHex(`xmargin test DVN signer ${index}`))),
);

async function chainClients(connection: Connection, chainId: number): Promise<ChainClients> {
  const [deployer] = await connection.viem.getWalletClients();
  if (!deployer) throw new Error("no deployer account");
  return { chainId, publicClient: await connection.viem.getPublicClient(), walletClient: deployer };
}

async function deploySpokeApplication(connection: Connection, gateway: Address) {
  const [owner] = await connection.viem.getWalletClients();
  if (!owner) throw new Error("no owner");
  const vault = await connection.viem.deployContract("CollateralVault", [
    owner.account.address,
    BigInt(CHAIN_IDS.hub),
    gateway,
  ]);
  const usdc = await connection.viem.deployContract("TestToken", ["USD Coin", "USDC", 6]);
  const weth = await connection.viem.deployContract("TestToken", ["Wrapped Ether", "WETH", 18]);
  await vault.write.configureAsset([usdc.address, true, 6]);
  await vault.write.configureAsset([weth.address, true, 18]);
  return { connection, vault, usdc, weth };
}

export type SpokeApplication = Awaited<ReturnType<typeof deploySpokeApplication>>;

/** A chain as the delivery engine sees it, with the full deployment record. */
export type DeployedChain = LayerZeroChain & { contracts: LayerZeroChainDeployment };

export interface LayerZeroFixture {
  hub: Hub;
  spokeA: SpokeApplication;
  spokeB: SpokeApplication;
  clients: { hub: ChainClients; spokeA: ChainClients; spokeB: ChainClients };
  layerZero: { hub: LayerZeroChainDeployment; spokeA: LayerZeroChainDeployment; spokeB: LayerZeroChainDeployment };
  chains: DeployedChain[];
  /** Operator 0: holds signer 0 and asks operators 1 and 2 for theirs, which check the source themselves. */
  signatures: SignatureSource;
  peers: PeerSignatureRequester;
  delivery(overrides?: { signatures?: SignatureSource; execution?: ExecutionMode }): LayerZeroDelivery;
  /**
   * Sends raw `message` bytes through `from`'s registered gateway, with the gateway's owner standing in
   * for its application (a compromised or buggy application), then gives the gateway back to it.
   */
  sendThroughGateway(from: ChainName, destination: bigint, message: Hex): Promise<GatewaySend>;
}

const CHAIN_NAMES = ["hub", "spokeA", "spokeB"] as const;
export type ChainName = (typeof CHAIN_NAMES)[number];

export interface GatewaySend {
  receipt: TransactionReceipt;
  sent: SentPacket;
}

/** Deploys everything; the hub engine's messenger and each vault's messenger is the chain's gateway. */
export async function deployLayerZeroFixture(): Promise<LayerZeroFixture> {
  const [hubConnection, spokeAConnection, spokeBConnection] = await Promise.all([
    connect("hub"),
    connect("spokeA"),
    connect("spokeB"),
  ]);
  const clients = {
    hub: await chainClients(hubConnection, CHAIN_IDS.hub),
    spokeA: await chainClients(spokeAConnection, CHAIN_IDS.spokeA),
    spokeB: await chainClients(spokeBConnection, CHAIN_IDS.spokeB),
  };
  const [hub, [hubLz, spokeALz, spokeBLz]] = await Promise.all([
    deployHub(hubConnection),
    deployLayerZero([clients.hub, clients.spokeA, clients.spokeB], {
      dvn: { signers: dvnSigners.map((signer) => signer.address), quorum: DVN_QUORUM },
    }),
  ]);
  if (!hubLz || !spokeALz || !spokeBLz) throw new Error("LayerZero deployment incomplete");
  const [spokeA, spokeB] = await Promise.all([
    deploySpokeApplication(spokeAConnection, spokeALz.gateway),
    deploySpokeApplication(spokeBConnection, spokeBLz.gateway),
  ]);

  await hub.engine.write.setMessenger([hubLz.gateway]);
  await hub.engine.write.configureCollateralToken([SPOKE_A, spokeA.usdc.address, 0, 6, true]);
  await hub.engine.write.configureCollateralToken([SPOKE_B, spokeB.weth.address, 1, 18, true]);
  const layerZero = { hub: hubLz, spokeA: spokeALz, spokeB: spokeBLz };
  const applicationOf: Record<ChainName, Address> = {
    hub: hub.engine.address,
    spokeA: spokeA.vault.address,
    spokeB: spokeB.vault.address,
  };
  for (const name of CHAIN_NAMES) {
    await attachLayerZeroApplication(clients[name], layerZero[name].gateway, applicationOf[name]);
  }
  const chains: DeployedChain[] = CHAIN_NAMES.map((name) => ({
    ...clients[name],
    contracts: layerZero[name],
  }));

  const peerClock = new ChainClock(0);
  const peers: PeerSignatureRequester = async (request, wanted) => {
    const source = chains.find((chain) => chain.chainId === request.sourceChainId);
    const destination = chains.find((chain) => chain.chainId === request.destinationChainId);
    if (!source || !destination) return [];
    const answers = await Promise.allSettled(
      dvnSigners.slice(1).map((signer) =>
        answerVerificationRequest(signer, request, {
          source: { chainId: source.chainId, publicClient: source.publicClient, endpoint: source.contracts.endpoint },
          destination: {
            chainId: destination.chainId,
            eid: destination.contracts.eid,
            dvn: destination.contracts.dvn,
            vid: destination.contracts.dvnConfig.vid,
            receiveUln302: destination.contracts.receiveUln302,
          },
          // As the service's attestor does, on the destination's own time (read afresh here: no caching).
          now: () => peerClock.now(destination.chainId, destination.publicClient),
        }),
      ),
    );
    return answers
      .flatMap((answer) => (answer.status === "fulfilled" ? [answer.value] : []))
      .slice(0, wanted)
      .flat();
  };
  const signatures = signaturesFromLocalAndPeers({ local: dvnSigners.slice(0, 1), peers, quorum: DVN_QUORUM });

  const sendThroughGateway = async (from: ChainName, destination: bigint, message: Hex): Promise<GatewaySend> => {
    const { publicClient, walletClient, chainId } = clients[from];
    const gateway = { address: layerZero[from].gateway, abi: layerZeroGatewayAbi } as const;
    const setSender = async (sender: Address) =>
      publicClient.waitForTransactionReceipt({
        hash: await walletClient.writeContract({
          ...gateway,
          functionName: "setSender",
          args: [sender],
          chain: walletClient.chain,
        }),
      });
    await setSender(walletClient.account.address);
    try {
      const fee = await publicClient.readContract({ ...gateway, functionName: "quote", args: [destination, message] });
      const hash = await walletClient.writeContract({
        ...gateway,
        functionName: "send",
        args: [destination, message, walletClient.account.address],
        value: fee,
        chain: walletClient.chain,
      });
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      const [sent] = createLayerZeroDelivery({ chains, signatures }).sentPacketsInReceipt(chainId, receipt);
      if (!sent) throw new Error("the gateway sent no packet");
      return { receipt, sent };
    } finally {
      await setSender(applicationOf[from]);
    }
  };

  return {
    hub,
    spokeA,
    spokeB,
    clients,
    layerZero,
    chains,
    signatures,
    peers,
    delivery: (overrides = {}) =>
      createLayerZeroDelivery({
        chains,
        signatures: overrides.signatures ?? signatures,
        execution: overrides.execution ?? "executor",
      }),
    sendThroughGateway,
  };
}

export interface RelayedPacket {
  sent: SentPacket;
  type: MessageTypeName;
  outcome: DeliveryOutcome;
}

/**
 * Plays the relayer: reads `PacketSent` on every chain from where it stopped and delivers each packet
 * with the delivery engine, until no chain has anything new (a delivery may send the next message).
 */
export class LayerZeroRelay {
  private readonly nextBlock = new Map<number, bigint>();

  constructor(
    private readonly delivery: LayerZeroDelivery,
    private readonly chains: readonly LayerZeroChain[],
  ) {}

  /** Skips everything sent so far (deployment-time history). */
  async skipHistory(): Promise<void> {
    for (const chain of this.chains) {
      this.nextBlock.set(chain.chainId, (await chain.publicClient.getBlockNumber({ cacheTime: 0 })) + 1n);
    }
  }

  async flush(): Promise<RelayedPacket[]> {
    const relayed: RelayedPacket[] = [];
    for (;;) {
      let round = 0;
      for (const chain of this.chains) {
        const head = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
        const fromBlock = this.nextBlock.get(chain.chainId) ?? 0n;
        if (fromBlock > head) continue;
        this.nextBlock.set(chain.chainId, head + 1n);
        for (const sent of await this.delivery.findSentPackets(chain.chainId, { fromBlock, toBlock: head })) {
          const outcome = await this.delivery.deliver(sent);
          relayed.push({ sent, type: decodeMessage(sent.packet.message).type, outcome });
          round++;
        }
      }
      if (round === 0) return relayed;
    }
  }
}
