// Issue 7, duplicate and reordered deliveries injected directly through the transports:
// - reordered: two reports of one account from a Hyperlane spoke are delivered by hand, the later first;
//   the hub applies the later and ignores the earlier, and the relayers, started after, find both done;
// - duplicated: every transaction that delivered a message (Mailbox.process, the LayerZero executor's
//   call) is sent again by an outsider; the transports must reject it or the gateways dedupe it, so no
//   message is applied twice, on single and dual routes.
import { type Address, type Hex, isAddressEqual } from "viem";
import { afterAll, describe, expect, it } from "vitest";
import { operatorKeys } from "../../relayer/devnet/protocol.ts";
import { localDigestSigner } from "../../relayer/engine/signer.ts";
import { executedCalls } from "../../relayer/transports/batch.ts";
import {
  collectQuorum,
  findDispatchedMessages,
  HyperlaneValidator,
  messageIdMultisigMetadata,
  processHyperlaneMessage,
  resolveMultisigIsm,
  validatorSignatureSource,
} from "../../relayer/transports/hyperlane/index.ts";
import { marginEngineAbi } from "../../sdk/abi/index.ts";
import {
  byScale,
  CHAOS_SCALE,
  CHAOS_SEED,
  ChaosNet,
  generateTraffic,
  seededRandom,
  storedMessages,
  usdc,
  waitForStoresSettled,
} from "./harness.ts";
import { checkBalancesAndLedger, checkExactlyOnce } from "./invariants.ts";

/** The devnet's spare funded account: an outsider to the protocol, replaying what it saw on chain. */
const OUTSIDER_ACCOUNT = 4;
const REPLAY_GAS = 3_000_000n;

describe(`duplicate and reordered deliveries (${CHAOS_SCALE}, seed ${CHAOS_SEED})`, () => {
  let net: ChaosNet | undefined;
  afterAll(async () => {
    await net?.stop();
  });

  it("the hub keeps the later of two reordered reports; replayed deliveries apply nothing", async () => {
    net = await ChaosNet.start({
      routes: { spokeA: "layerzero", spokeB: "hyperlane", spokeC: "dual" },
      traders: 2,
      startOperators: false,
    });
    const chaosNet = net;
    const [trader] = chaosNet.traderIndices() as [number];
    const account = chaosNet.address(trader);
    const spokeB = chaosNet.spoke("spokeB");

    await chaosNet.deposit("spokeB", trader, usdc("10"));
    await chaosNet.deposit("spokeB", trader, usdc("20"));
    const dispatched = await findDispatchedMessages({
      client: chaosNet.chain("spokeB").publicClient,
      mailbox: spokeB.hyperlane.mailbox,
      merkleTreeHook: spokeB.hyperlane.merkleTreeHook,
      fromBlock: BigInt(spokeB.hyperlane.deployBlock),
      toBlock: await chaosNet.chain("spokeB").publicClient.getBlockNumber({ cacheTime: 0 }),
    });
    const [first, second] = dispatched.slice(-2);
    if (!first || !second) throw new Error("spokeB dispatched fewer than two messages");
    await deliverByHand(chaosNet, "spokeB", second);
    await deliverByHand(chaosNet, "spokeB", first);
    const handled = async (eventName: "BalanceReportApplied" | "BalanceReportIgnored") =>
      (
        await chaosNet.chain("hub").publicClient.getContractEvents({
          address: chaosNet.protocol.hub.contracts.engine,
          abi: marginEngineAbi,
          eventName,
          args: { account },
          fromBlock: 0n,
        })
      ).map((log) => Number(log.args.seq));
    expect(await handled("BalanceReportApplied")).toEqual([2]);
    expect(await handled("BalanceReportIgnored")).toEqual([1]);
    expect(await chaosNet.counted("spokeB", trader)).toBe(usdc("30"));

    // The relayers start after: they find both reports delivered, and carry the rest of the traffic.
    await chaosNet.startOperators();
    const random = seededRandom(CHAOS_SEED + 3);
    await generateTraffic(chaosNet, { messages: byScale({ short: 24, full: 150 }), random, paceMs: 300 });
    const { sent } = await chaosNet.waitForAllDelivered(byScale({ short: 240_000, full: 900_000 }));
    const before = await checkExactlyOnce(chaosNet);
    expect(before.violations).toEqual([]);

    const replays = await replayDeliveries(chaosNet);
    console.info(
      `replay: ${sent.length} messages; reordered pair applied seq 2, ignored seq 1; ` +
        `${replays.length} delivering transactions replayed: ${JSON.stringify(countBy(replays, (r) => `${r.gateway} ${r.status}`))}`,
    );
    expect(
      replays.filter((replay) => replay.gateway === "hyperlane").every((replay) => replay.status === "reverted"),
    ).toBe(true);
    expect(new Set(replays.map((replay) => replay.gateway))).toEqual(new Set(["layerzero", "hyperlane"]));
    const after = await checkExactlyOnce(chaosNet);
    expect(after.violations).toEqual([]);
    expect(after.messages).toBe(before.messages);
    expect(await checkBalancesAndLedger(chaosNet)).toEqual([]);
    await waitForStoresSettled(chaosNet.instances, 60_000);
    for (const instance of chaosNet.instances) {
      expect(await storedMessages(instance, "failed"), instance.label).toEqual([]);
    }
  });
});

/** What a Hyperlane relayer does, by hand: 2 of the 3 operators' checkpoint signatures, then Mailbox.process. */
async function deliverByHand(
  net: ChaosNet,
  spokeName: string,
  message: { raw: Hex; id: Hex; index: number },
): Promise<void> {
  const origin = net.spoke(spokeName);
  const hub = net.protocol.hub;
  const target = {
    domain: hub.hyperlane.domain,
    publicClient: net.chain("hub").publicClient,
    walletClient: net.wallet("hub", OUTSIDER_ACCOUNT),
    mailbox: hub.hyperlane.mailbox,
  };
  const { validators, threshold } = await resolveMultisigIsm(target, message.raw);
  const sources = operatorKeys(net.deployment, net.protocol.operators.length).map((key) =>
    validatorSignatureSource(
      new HyperlaneValidator({
        client: net.chain(spokeName).publicClient,
        origin: origin.hyperlane.domain,
        merkleTreeHook: origin.hyperlane.merkleTreeHook,
        signer: localDigestSigner(key),
        fromBlock: BigInt(origin.hyperlane.deployBlock),
      }),
    ),
  );
  const quorum = await collectQuorum(
    {
      origin: origin.hyperlane.domain,
      merkleTreeHook: origin.hyperlane.merkleTreeHook,
      messageId: message.id,
      index: message.index,
      validators,
      threshold,
    },
    sources,
  );
  await processHyperlaneMessage({
    destination: target,
    metadata: messageIdMultisigMetadata(quorum.checkpoint, quorum.signatures),
    raw: message.raw,
  });
}

interface Replay {
  gateway: "layerzero" | "hyperlane";
  /** `reverted`: nothing the replayed transaction called went through. */
  status: "success" | "reverted";
}

/** Sends every transaction that delivered a message again, from an outsider, with the same target and input. */
async function replayDeliveries(net: ChaosNet): Promise<Replay[]> {
  const replays: Replay[] = [];
  for (const record of [net.protocol.hub, ...net.protocol.spokes]) {
    const client = net.chain(record.name).publicClient;
    const logs = await client.getLogs({
      address: [record.contracts.layerZeroGateway, record.contracts.hyperlaneGateway],
      event: {
        type: "event",
        name: "MessageDelivered",
        inputs: [
          { name: "origin", type: "uint64", indexed: true },
          { name: "messageHash", type: "bytes32", indexed: true },
        ],
      },
      fromBlock: 0n,
      toBlock: "latest",
    });
    const outsider = net.wallet(record.name, OUTSIDER_ACCOUNT);
    for (const log of logs) {
      const original = await client.getTransaction({ hash: log.transactionHash as Hex });
      const hash = await outsider.sendTransaction({
        to: original.to as Address,
        data: original.input,
        value: original.value,
        gas: REPLAY_GAS,
      });
      const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      const gateway =
        log.address.toLowerCase() === record.contracts.layerZeroGateway.toLowerCase() ? "layerzero" : "hyperlane";
      // A DeliveryBatcher transaction succeeds whatever its calls do: their own outcomes say whether any ran.
      const batched =
        record.deliveryBatcher !== undefined && isAddressEqual(original.to as Address, record.deliveryBatcher);
      const anyCallRan = batched && executedCalls(receipt, original.to as Address).some((call) => call.success);
      const status = receipt.status === "success" && (!batched || anyCallRan) ? "success" : "reverted";
      replays.push({ gateway, status });
    }
  }
  return replays;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}
