// The attestor's answers to peers' LayerZero requests over the real LayerZero stack: a packet its watcher
// already stored is answered from the store, with no read of the source chain; anything the store cannot
// vouch for goes to the source node as before, and a packet that contradicts the stored one is refused.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { createPublicClient, custom, type Hex, type PublicClient } from "viem";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ChainConfig } from "../../relayer/config/schema.ts";
import { AttestationRefusedError, Attestor } from "../../relayer/engine/attestor.ts";
import type { HyperlaneLane } from "../../relayer/engine/hyperlane-lane.ts";
import { encodeStoredPacket } from "../../relayer/engine/layerzero-lane.ts";
import type { EngineChain, EngineNetwork } from "../../relayer/engine/network.ts";
import { type MessageStore, openStore } from "../../relayer/storage/index.ts";
import {
  type SentPacket,
  type VerificationRequest,
  verificationRequest,
  withMessage,
} from "../../relayer/transports/layerzero/index.ts";
import { deployLayerZeroFixture, dvnSigners, type LayerZeroFixture } from "../transports/layerzero/fixture.ts";
import { HUB, type LayerZeroRejectionKit, layerZeroRejectionKit } from "../transports/layerzero/rejection-kit.ts";

/** What the verifier reads on the source chain to check a packet itself. */
const SOURCE_CHECKS = ["eth_getTransactionReceipt", "eth_blockNumber"];

describe("Attestor: LayerZero packets its watcher stored", () => {
  let f: LayerZeroFixture;
  let kit: LayerZeroRejectionKit;
  let directory: string;
  let store: MessageStore;
  /** Every RPC method the attestor sent to spoke A (the source chain here), in order. */
  let sourceReads: string[];

  beforeAll(async () => {
    f = await deployLayerZeroFixture();
    kit = layerZeroRejectionKit(f);
  });
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), "xmargin-attestor-"));
    store = await openStore(
      { kind: "sqlite", path: join(directory, "relayer.db") },
      { logger: pino({ level: "warn" }) },
    );
    sourceReads = [];
  });
  afterEach(async () => {
    await store.close();
    await rm(directory, { recursive: true, force: true });
  });

  /**
   * Operator 1's attestor, spoke A's node behind a transport that counts requests. Only what the attestor
   * reads of a chain for LayerZero is there: its node, its LayerZero contracts and its `confirmations`.
   */
  const attestor = (confirmations = 1) => {
    const spokeA = f.clients.spokeA.publicClient;
    const counted = createPublicClient({
      transport: custom({
        request: ({ method, params }) => {
          sourceReads.push(method);
          return spokeA.request({ method, params } as Parameters<PublicClient["request"]>[0]);
        },
      }),
    });
    const chains = [
      { chainId: f.clients.hub.chainId, publicClient: f.clients.hub.publicClient, layerZero: f.layerZero.hub },
      { chainId: f.clients.spokeA.chainId, publicClient: counted, layerZero: f.layerZero.spokeA },
    ].map(
      ({ chainId, publicClient, layerZero }) =>
        ({
          chainId,
          publicClient,
          config: { confirmations } as ChainConfig,
          record: { layerZero },
        }) as unknown as EngineChain,
    );
    const network = { byChainId: (chainId: number) => chains.find((chain) => chain.chainId === chainId) };
    const signer = dvnSigners[1];
    if (!signer) throw new Error("signer");
    // The Hyperlane lane answers Hyperlane requests only: none is made here.
    return new Attestor(network as EngineNetwork, signer, {} as HyperlaneLane, store);
  };

  /** Stores `sent` as the watcher does on discovering it (the row the attestor answers from). */
  const storeAsWatched = async (sent: SentPacket) => {
    await store.insertMessage({
      transport: "layerzero",
      messageId: sent.packet.guid,
      originChainId: sent.sourceChainId,
      destinationChainId: f.clients.hub.chainId,
      sourceTxHash: sent.transactionHash,
      blockNumber: sent.blockNumber,
      logIndex: sent.logIndex,
      payload: encodeStoredPacket(sent),
      messageType: "BalanceReport",
    });
  };

  const sentFromSpokeA = async () => {
    const { sent } = await f.sendThroughGateway("spokeA", HUB, kit.report());
    return { sent, request: await f.delivery().verificationRequest(sent) };
  };

  /** `request` asking for `confirmations` (its instructions re-encoded and re-digested for them). */
  const withConfirmations = (sent: SentPacket, request: VerificationRequest, confirmations: bigint) =>
    verificationRequest(sent.packet, {
      sourceChainId: request.sourceChainId,
      destinationChainId: request.destinationChainId,
      transactionHash: request.transactionHash,
      dvn: request.dvn,
      vid: request.vid,
      receiveUln302: request.verify.target,
      confirmations,
      expiration: request.expiration,
      commit: request.commit !== undefined,
    });

  const refusal = async (answering: Promise<unknown>) => {
    const error = await answering.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(error).toBeInstanceOf(AttestationRefusedError);
    return (error as AttestationRefusedError).message;
  };

  it("answers a stored packet without reading the source chain, with the signatures the source node gives", async () => {
    const { sent, request } = await sentFromSpokeA();
    const operator = attestor();
    const fromNode = await operator.layerZero(request);
    expect(sourceReads.toSorted()).toEqual(SOURCE_CHECKS.toSorted());

    sourceReads = [];
    await storeAsWatched(sent);
    const fromStore = await operator.layerZero(request);
    expect(sourceReads).toEqual([]);
    expect(fromStore).toEqual(fromNode);
    // Kept as every signature given for a stored message is.
    expect((await store.listSignatures({ transport: "layerzero", messageId: sent.packet.guid })).length).toBe(2);
  });

  it("keeps the signatures of answers given in one turn with one store call, those of unknown packets not", async () => {
    const packets = [await sentFromSpokeA(), await sentFromSpokeA(), await sentFromSpokeA()];
    for (const { sent } of packets.slice(0, 2)) await storeAsWatched(sent);
    const keepCalls: number[] = [];
    const keepSignatures = store.keepSignatures.bind(store);
    store.keepSignatures = (entries) => {
      keepCalls.push(entries.length);
      return keepSignatures(entries);
    };
    const operator = attestor();
    await Promise.all(packets.map(({ request }) => operator.layerZero(request)));
    // Two instructions (verify, commit) per packet: the two stored packets are answered from the store in the same
    // turn and kept together; the third, checked on the source node, is answered later and kept (as nothing) alone.
    expect(keepCalls).toEqual([4, 2]);
    const kept = await Promise.all(
      packets.map(
        async ({ sent }) =>
          (await store.listSignatures({ transport: "layerzero", messageId: sent.packet.guid })).length,
      ),
    );
    expect(kept).toEqual([2, 2, 0]);
  });

  it("still checks the instructions of a stored packet", async () => {
    const { sent, request } = await sentFromSpokeA();
    await storeAsWatched(sent);
    if (!request.commit) throw new Error("expected a commit instruction");
    const operator = attestor();
    const misdirected = kit.altered(request, { target: f.layerZero.hub.endpoint });
    expect(await refusal(operator.layerZero(misdirected))).toMatch(/verify instruction does not call our receive/);
    const swapped = { ...request, verify: request.commit };
    expect(await refusal(operator.layerZero(swapped))).toMatch(/verify instruction is not the one/);
    expect(sourceReads).toEqual([]);
  });

  it("refuses a packet whose bytes differ from the one stored under its GUID, without asking the node", async () => {
    // The watcher saw other bytes under this GUID (a reorganisation deeper than its confirmations, say): the
    // node may now show the request's packet, but signing it would vouch for two packets with one GUID.
    const { sent, request } = await sentFromSpokeA();
    await storeAsWatched({ ...sent, packet: withMessage(sent.packet, kit.report()) });
    expect(await refusal(attestor().layerZero(request))).toMatch(/not the one this signer saw sent under GUID/);
    expect(sourceReads).toEqual([]);
  });

  it("refuses a packet that the store holds as sent from another chain", async () => {
    const { sent, request } = await sentFromSpokeA();
    await storeAsWatched({ ...sent, sourceChainId: f.clients.spokeB.chainId });
    expect(await refusal(attestor().layerZero(request))).toMatch(/not the one this signer saw sent under GUID/);
    expect(sourceReads).toEqual([]);
  });

  it("asks the source node when the stored packet came from another transaction", async () => {
    const { sent, request } = await sentFromSpokeA();
    await storeAsWatched({ ...sent, transactionHash: `0x${"ee".repeat(32)}` as Hex });
    expect(await attestor().layerZero(request)).toHaveLength(request.commit ? 2 : 1);
    expect(sourceReads.toSorted()).toEqual(SOURCE_CHECKS.toSorted());
  });

  it("asks the source node for more confirmations than the watcher waited for", async () => {
    const { sent, request } = await sentFromSpokeA();
    await storeAsWatched(sent);
    const head = await f.clients.spokeA.publicClient.getBlockNumber({ cacheTime: 0 });
    const deeper = withConfirmations(sent, request, head - sent.blockNumber + 2n);
    // The watcher read the packet at 1 confirmation: only the node can tell whether it is deeper by now.
    const operator = attestor(1);
    expect(await refusal(operator.layerZero(deeper))).toMatch(
      `has ${deeper.confirmations - 1n} confirmations, ${deeper.confirmations} required`,
    );
    expect(sourceReads.toSorted()).toEqual(SOURCE_CHECKS.toSorted());
    await f.spokeA.connection.networkHelpers.mine(1);
    expect(await operator.layerZero(deeper)).toHaveLength(request.commit ? 2 : 1);

    // A watcher that waits for as many stores packets only that deep: its record is enough.
    sourceReads = [];
    expect(await attestor(Number(deeper.confirmations)).layerZero(deeper)).toHaveLength(request.commit ? 2 : 1);
    expect(sourceReads).toEqual([]);
  });

  it("refuses a packet that does not decode as one", async () => {
    const { request } = await sentFromSpokeA();
    expect(await refusal(attestor().layerZero({ ...request, encodedPacket: "0x01" }))).toMatch(/shorter than/);
  });
});
