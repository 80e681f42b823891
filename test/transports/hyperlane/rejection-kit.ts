// The Hyperlane world the rejection tests share: the real Mailbox and ISMs on three chains, the hub
// engine behind the hub's gateway, and on spoke A a gateway whose sender is an account of the test
// standing in for the vault, so that it can send any envelope the hub must reject. Used by the
// Hyperlane suite and the adversarial catalogue (test/adversarial).
import type { Address, Hex } from "viem";
import { expect } from "vitest";
import {
  type Checkpoint,
  type DispatchedMessage,
  findDispatchedMessages,
  HyperlaneTransportError,
  mailboxAbi,
  processHyperlaneMessage,
  resolveMultisigIsm,
} from "../../../relayer/transports/hyperlane/index.ts";
import { encodeMessage } from "../../../sdk/codec/index.ts";
import { deployHub, HUB, SPOKE_A } from "../../helpers/hub.ts";
import { deployHyperlaneWorld, type HyperlaneChain } from "./setup.ts";

/** Rejects with a HyperlaneTransportError of `kind` whose details include `details`. */
export async function expectTransportError(
  promise: Promise<unknown>,
  kind: HyperlaneTransportError["kind"],
  details: Record<string, unknown> = {},
): Promise<HyperlaneTransportError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(HyperlaneTransportError);
  const transportError = error as HyperlaneTransportError;
  expect(transportError.kind).toBe(kind);
  expect(transportError.details).toMatchObject(details);
  return transportError;
}

export type HyperlaneRejectionWorld = Awaited<ReturnType<typeof deployHyperlaneRejectionWorld>>;

export async function deployHyperlaneRejectionWorld() {
  const world = await deployHyperlaneWorld();
  const hubChain = world.chains.hub;
  const spokeAChain = world.chains.spokeA;
  const hub = await deployHub(hubChain.connection);
  await hub.engine.write.setMessenger([hubChain.deployment.gateway]);
  const hubGateway = await hubChain.connection.viem.getContractAt("HyperlaneGateway", hubChain.deployment.gateway);
  await hubGateway.write.setSender([hub.engine.address]);
  await hubGateway.write.setReceiver([hub.engine.address]);
  const [spokeOwner] = await spokeAChain.connection.viem.getWalletClients();
  if (!spokeOwner) throw new Error("no spoke owner");
  /** Spoke A's owner, made the gateway's sender in place of a vault. */
  const spokeApp: Address = spokeOwner.account.address;
  const spokeGateway = await spokeAChain.connection.viem.getContractAt(
    "HyperlaneGateway",
    spokeAChain.deployment.gateway,
  );
  await spokeGateway.write.setSender([spokeApp]);

  let reportSeq = 0n;
  const report = (fields: { origin?: bigint; destination?: bigint; locked?: bigint } = {}): Hex => {
    reportSeq += 1n;
    return encodeMessage({
      type: "BalanceReport",
      origin: fields.origin ?? SPOKE_A,
      destination: fields.destination ?? HUB,
      account: hub.trader.account.address,
      asset: hub.spokeToken("USDC", SPOKE_A),
      total: fields.locked ?? 1_000_000n,
      locked: fields.locked ?? 1_000_000n,
      seq: reportSeq,
      lastCommandNonce: 0n,
    });
  };

  const dispatchedIn = async (hash: Hex): Promise<{ dispatched: DispatchedMessage; gasUsed: bigint }> => {
    const { publicClient } = spokeAChain.config;
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    const [dispatched] = await findDispatchedMessages({
      client: publicClient,
      mailbox: spokeAChain.deployment.mailbox,
      merkleTreeHook: spokeAChain.deployment.merkleTreeHook,
      fromBlock: receipt.blockNumber,
      toBlock: receipt.blockNumber,
    });
    if (!dispatched) throw new Error("no dispatch in the transaction");
    return { dispatched, gasUsed: receipt.gasUsed };
  };

  /** Sends `message` through a spoke A gateway (the registered one unless given) and finds its dispatch. */
  const sendFromSpokeA = async (
    message: Hex,
    options: { destination?: bigint; gateway?: Address } = {},
  ): Promise<DispatchedMessage> => {
    const gateway = await spokeAChain.connection.viem.getContractAt(
      "HyperlaneGateway",
      options.gateway ?? spokeAChain.deployment.gateway,
    );
    const destination = options.destination ?? HUB;
    const fee = await gateway.read.quote([destination, message]);
    const hash = await gateway.write.send([destination, message, spokeApp], { value: fee });
    return (await dispatchedIn(hash)).dispatched;
  };

  /** The checkpoint and the validators' signatures over it, collected the way the deliverer does. */
  const signaturesFor = async (dispatched: DispatchedMessage, chain: HyperlaneChain = hubChain) => {
    const { validators, threshold } = await resolveMultisigIsm(chain.destination, dispatched.raw);
    const signed = await Promise.all(world.validators.spokeA.map((validator) => validator.sign(dispatched.id)));
    const checkpoint = signed[0]?.checkpoint as Checkpoint;
    return { checkpoint, signatures: signed.map((entry) => entry.signature), validators, threshold };
  };

  const processOnHub = (metadata: Hex, raw: Hex, chain: HyperlaneChain = hubChain) =>
    processHyperlaneMessage({ destination: chain.destination, metadata, raw });

  const isDelivered = (id: Hex, chain: HyperlaneChain = hubChain) =>
    chain.config.publicClient.readContract({
      address: chain.deployment.mailbox,
      abi: mailboxAbi,
      functionName: "delivered",
      args: [id],
    });

  /** What the hub counts of the trader's USDC on spoke A. */
  const reportedOnSpokeA = async () => {
    const [entries] = await hub.engine.read.collateralOf([hub.trader.account.address]);
    return entries.find((entry) => entry.chainId === SPOKE_A)?.reportedLocked ?? 0n;
  };

  return {
    world,
    hub,
    hubChain,
    spokeAChain,
    spokeApp,
    report,
    dispatchedIn,
    sendFromSpokeA,
    signaturesFor,
    processOnHub,
    isDelivered,
    reportedOnSpokeA,
  };
}
