// Everything the Hyperlane route must refuse, each asserted against the real Mailbox and ISMs: messages
// from unregistered peers and senders, a wrong envelope origin or destination, replays, forged, too few
// or misordered signatures, and tampered payloads. On spoke A the gateway's sender is an account of the
// test standing in for the vault, so that it can send any envelope the hub must reject.
import hre from "hardhat";
import { type Address, concat, type Hex, keccak256, parseAbi, parseEther, size, slice, stringToHex } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localDigestSigner } from "../../../relayer/engine/signer.ts";
import { announceValidator } from "../../../relayer/infra/hyperlane.ts";
import {
  addressToBytes32,
  type Checkpoint,
  collectQuorum,
  type DispatchedMessage,
  findDispatchedMessages,
  HyperlaneTransportError,
  HyperlaneValidator,
  hyperlaneGatewayAbi,
  IncrementalMerkleTree,
  mailboxAbi,
  merkleTreeHookAbi,
  messageIdMultisigMetadata,
  processHyperlaneMessage,
  resolveMultisigIsm,
  type SignedCheckpoint,
  signCheckpoint,
  validatorAnnounceAbi,
  validatorSignatureSource,
} from "../../../relayer/transports/hyperlane/index.ts";
import { encodeMessage, MESSAGE_TYPE, type MessageTypeName } from "../../../sdk/codec/index.ts";
import { deployHub, HUB, type Hub, SPOKE_A, SPOKE_B } from "../../helpers/hub.ts";
import {
  createDeliverer,
  deployHyperlaneWorld,
  type HyperlaneChain,
  type HyperlaneWorld,
  THRESHOLD,
  VALIDATOR_SIGNERS,
} from "./setup.ts";

/** Rejects with a HyperlaneTransportError of `kind` whose details include `details`. */
async function expectTransportError(
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

describe("Hyperlane route rejections", () => {
  let world: HyperlaneWorld;
  let hub: Hub;
  let hubChain: HyperlaneChain;
  let spokeAChain: HyperlaneChain;
  /** Spoke A's owner, made the gateway's sender in place of a vault. */
  let spokeApp: Address;
  let reportSeq = 0n;
  const gas: Record<string, bigint> = {};

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

  /** Sends `message` through a spoke A gateway (the registered one unless given) and finds its dispatch. */
  const sendFromSpokeA = async (
    message: Hex,
    options: { destination?: bigint; gateway?: Address } = {},
  ): Promise<DispatchedMessage> => {
    const { viem } = spokeAChain.connection;
    const gateway = await viem.getContractAt("HyperlaneGateway", options.gateway ?? spokeAChain.deployment.gateway);
    const destination = options.destination ?? HUB;
    const fee = await gateway.read.quote([destination, message]);
    const hash = await gateway.write.send([destination, message, spokeApp], { value: fee });
    return (await dispatchedIn(hash)).dispatched;
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

  beforeAll(async () => {
    world = await deployHyperlaneWorld();
    hubChain = world.chains.hub;
    spokeAChain = world.chains.spokeA;
    hub = await deployHub(hubChain.connection);
    await hub.engine.write.setMessenger([hubChain.deployment.gateway]);
    const hubGateway = await hubChain.connection.viem.getContractAt("HyperlaneGateway", hubChain.deployment.gateway);
    await hubGateway.write.setSender([hub.engine.address]);
    await hubGateway.write.setReceiver([hub.engine.address]);
    const [spokeOwner] = await spokeAChain.connection.viem.getWalletClients();
    if (!spokeOwner) throw new Error("no spoke owner");
    spokeApp = spokeOwner.account.address;
    const spokeGateway = await spokeAChain.connection.viem.getContractAt(
      "HyperlaneGateway",
      spokeAChain.deployment.gateway,
    );
    await spokeGateway.write.setSender([spokeApp]);
  });

  afterAll(() => {
    console.info(
      `Hyperlane gas:\n${Object.entries(gas)
        .map(([step, used]) => `  ${step}: ${used}`)
        .join("\n")}`,
    );
  });

  it("the local merkle tree starts where the hook starts", async () => {
    const hubRoot = await hubChain.config.publicClient.readContract({
      address: hubChain.deployment.merkleTreeHook,
      abi: merkleTreeHookAbi,
      functionName: "root",
    });
    expect(new IncrementalMerkleTree().root()).toBe(hubRoot);
  });

  it("a report from the registered peer is verified by 2 of 3 validators and applied (control)", async () => {
    const sendHash = await (
      await spokeAChain.connection.viem.getContractAt("HyperlaneGateway", spokeAChain.deployment.gateway)
    ).write.send([HUB, report({ locked: 7_000_000n }), spokeApp], { value: parseEther("0.01") });
    gas["gateway.send, first message of the chain (cold Mailbox, tree and paymaster storage)"] = (
      await spokeAChain.config.publicClient.waitForTransactionReceipt({ hash: sendHash })
    ).gasUsed;
    const [dispatched] = await world.deliverers.spokeA.scan();
    if (!dispatched) throw new Error("nothing dispatched");
    // The gateway names the routing ISM, which routes spoke A's messages to the 2-of-3 multisig ISM.
    const recipientIsm = await hubChain.config.publicClient.readContract({
      address: hubChain.deployment.mailbox,
      abi: mailboxAbi,
      functionName: "recipientIsm",
      args: [hubChain.deployment.gateway],
    });
    expect(recipientIsm).toBe(hubChain.deployment.routingIsm);
    expect(await resolveMultisigIsm(hubChain.destination, dispatched.raw)).toEqual({
      ism: hubChain.deployment.multisigIsms[spokeAChain.deployment.domain],
      validators: world.deployment.validators,
      threshold: THRESHOLD,
    });
    const outcome = await world.deliverers.spokeA.deliver(dispatched);
    if (outcome.status !== "delivered") throw new Error(outcome.status);
    gas["Mailbox.process 2-of-3 (BalanceReport, first)"] = outcome.gasUsed;
    expect(outcome.signers).toHaveLength(THRESHOLD);
    const [entries] = await hub.engine.read.collateralOf([hub.trader.account.address]);
    expect(entries.find((entry) => entry.chainId === SPOKE_A)?.reportedLocked).toBe(7_000_000n);
  });

  it("rejects a message from a gateway that is not the registered peer", async () => {
    const { viem } = spokeAChain.connection;
    const rogue = await viem.deployContract("HyperlaneGateway", [spokeAChain.deployment.mailbox, spokeApp]);
    await rogue.write.setRoute([HUB, hubChain.deployment.domain]);
    await rogue.write.setPeer([hubChain.deployment.domain, addressToBytes32(hubChain.deployment.gateway)]);
    await rogue.write.setDestinationGas([1, 200_000n]);
    await rogue.write.setSender([spokeApp]);

    const dispatched = await sendFromSpokeA(report(), { gateway: rogue.address });
    // A genuine Hyperlane message, signed by the validators: only the peer check stops it.
    await expectTransportError(world.deliverers.spokeA.deliver(dispatched), "ProcessReverted", {
      reason: "UnknownPeer",
      args: [spokeAChain.deployment.domain, addressToBytes32(rogue.address)],
    });
    expect(await isDelivered(dispatched.id)).toBe(false);
  });

  it("rejects a message an account dispatched straight to the Mailbox", async () => {
    const { publicClient } = spokeAChain.config;
    const [, , , , , , intruder] = await spokeAChain.connection.viem.getWalletClients();
    if (!intruder) throw new Error("no account");
    const args = [hubChain.deployment.domain, addressToBytes32(hubChain.deployment.gateway), report()] as const;
    const fee = await publicClient.readContract({
      address: spokeAChain.deployment.mailbox,
      abi: mailboxAbi,
      functionName: "quoteDispatch",
      args,
    });
    const hash = await intruder.writeContract({
      address: spokeAChain.deployment.mailbox,
      abi: mailboxAbi,
      functionName: "dispatch",
      args,
      value: fee,
    });
    const { dispatched, gasUsed } = await dispatchedIn(hash);
    gas["Mailbox.dispatch from an account (paymaster's default gas)"] = gasUsed;
    await expectTransportError(world.deliverers.spokeA.deliver(dispatched), "ProcessReverted", {
      reason: "UnknownPeer",
      args: [spokeAChain.deployment.domain, addressToBytes32(intruder.account.address)],
    });
  });

  it("only the sender may send, only the Mailbox may call handle, and the fee must be paid", async () => {
    const spokeGateway = await spokeAChain.connection.viem.getContractAt(
      "HyperlaneGateway",
      spokeAChain.deployment.gateway,
    );
    const stranger = hub.trader.account.address;
    await expect(
      spokeGateway.write.send([HUB, report(), stranger], { account: stranger, value: parseEther("0.01") }),
    ).rejects.toThrow(/UnauthorizedSender/);
    await expect(spokeGateway.write.send([HUB, report(), spokeApp], { value: 1n })).rejects.toThrow(/InsufficientFee/);

    const hubGateway = await hubChain.connection.viem.getContractAt("HyperlaneGateway", hubChain.deployment.gateway);
    await expect(
      hubGateway.write.handle([
        spokeAChain.deployment.domain,
        addressToBytes32(spokeAChain.deployment.gateway),
        report(),
      ]),
    ).rejects.toThrow(/UnauthorizedMailbox/);
  });

  it("rejects an envelope whose origin is not the chain Hyperlane authenticated", async () => {
    const dispatched = await sendFromSpokeA(report({ origin: SPOKE_B }));
    await expectTransportError(world.deliverers.spokeA.deliver(dispatched), "ProcessReverted", {
      reason: "EnvelopeOriginMismatch",
      args: [SPOKE_A, SPOKE_B],
    });
  });

  it("rejects a message to the wrong destination, in the envelope or in the Hyperlane header", async () => {
    const misaddressed = await sendFromSpokeA(report({ destination: SPOKE_B }));
    await expectTransportError(world.deliverers.spokeA.deliver(misaddressed), "ProcessReverted", {
      reason: "EnvelopeWrongDestination",
      args: [SPOKE_B, HUB],
    });

    // A genuinely signed message for spoke B, presented to the hub's Mailbox.
    const toSpokeB = await sendFromSpokeA(report({ destination: SPOKE_B }), { destination: SPOKE_B });
    const { checkpoint, signatures } = await signaturesFor(toSpokeB, world.chains.spokeB);
    await expectTransportError(
      processOnHub(messageIdMultisigMetadata(checkpoint, signatures.slice(0, THRESHOLD)), toSpokeB.raw),
      "ProcessReverted",
      { reason: "Mailbox: unexpected destination" },
    );
  });

  describe("signatures and payload of one genuine message", () => {
    let dispatched: DispatchedMessage;
    let checkpoint: Checkpoint;
    let signatures: Hex[];

    beforeAll(async () => {
      dispatched = await sendFromSpokeA(report({ locked: 9_000_000n }));
      ({ checkpoint, signatures } = await signaturesFor(dispatched));
    });

    it("rejects a forged signature", async () => {
      const forger = localDigestSigner(generatePrivateKey());
      const forged = await signCheckpoint(forger, checkpoint);
      await expectTransportError(
        processOnHub(messageIdMultisigMetadata(checkpoint, [signatures[0] as Hex, forged.signature]), dispatched.raw),
        "ProcessReverted",
        { reason: "!threshold" },
      );
    });

    it("rejects M − 1 signatures", async () => {
      // The ISM reads signature M past the end of the metadata: a revert without a reason.
      await expectTransportError(
        processOnHub(messageIdMultisigMetadata(checkpoint, signatures.slice(0, THRESHOLD - 1)), dispatched.raw),
        "ProcessReverted",
      );
    });

    it("rejects signatures out of the ISM's validator order", async () => {
      await expectTransportError(
        processOnHub(
          messageIdMultisigMetadata(checkpoint, [signatures[1] as Hex, signatures[0] as Hex]),
          dispatched.raw,
        ),
        "ProcessReverted",
        { reason: "!threshold" },
      );
    });

    it("rejects a tampered payload under genuine signatures", async () => {
      // Raise the reported locked amount: the last bytes of a report are seq and lastCommandNonce, so
      // flip a byte of `locked` (the 32 bytes before those 16).
      const body = dispatched.message.body;
      const at = size(body) - 17;
      const flipped = (Number.parseInt(slice(body, at, at + 1).slice(2), 16) ^ 0xff).toString(16).padStart(2, "0");
      const tamperedBody = concat([slice(body, 0, at), `0x${flipped}`, slice(body, at + 1)]);
      const tampered = concat([slice(dispatched.raw, 0, size(dispatched.raw) - size(body)), tamperedBody]);
      expect(keccak256(tampered)).not.toBe(dispatched.id);
      await expectTransportError(
        processOnHub(messageIdMultisigMetadata(checkpoint, signatures.slice(0, THRESHOLD)), tampered),
        "ProcessReverted",
        { reason: "!threshold" },
      );
    });

    it("the signature collector drops forged and foreign signatures and wants M valid ones", async () => {
      const request = {
        origin: spokeAChain.deployment.domain,
        merkleTreeHook: spokeAChain.deployment.merkleTreeHook,
        messageId: dispatched.id,
        index: dispatched.index,
        ...(await resolveMultisigIsm(hubChain.destination, dispatched.raw)),
      };
      const [ownValidator, peerValidator] = world.validators.spokeA;
      if (!ownValidator || !peerValidator) throw new Error("validators");
      const outsider = localDigestSigner(generatePrivateKey());
      // A peer that answers with a signature under another validator's name and one from outside the set.
      const dishonestPeer = async (): Promise<SignedCheckpoint[]> => [
        { ...(await signCheckpoint(outsider, checkpoint)), validator: peerValidator.address },
        await signCheckpoint(outsider, checkpoint),
      ];
      const failure = await expectTransportError(
        collectQuorum(request, [validatorSignatureSource(ownValidator), dishonestPeer]),
        "QuorumNotReached",
        { threshold: THRESHOLD, candidates: 3 },
      );
      expect((failure.details.rejected as { reason: string }[]).map((entry) => entry.reason)).toEqual([
        `signature recovers to ${outsider.address}`,
        "not a validator of the ISM",
      ]);

      const quorum = await collectQuorum(request, [
        validatorSignatureSource(ownValidator),
        dishonestPeer,
        validatorSignatureSource(peerValidator),
      ]);
      expect(quorum.signers).toEqual([ownValidator.address, peerValidator.address]);
    });

    it("delivers with the genuine metadata once, and refuses the replay", async () => {
      const metadata = messageIdMultisigMetadata(checkpoint, signatures.slice(0, THRESHOLD));
      const first = await processOnHub(metadata, dispatched.raw);
      gas["Mailbox.process 2-of-3 (BalanceReport, warm)"] = first.gasUsed;
      expect(await isDelivered(dispatched.id)).toBe(true);
      await expectTransportError(processOnHub(metadata, dispatched.raw), "ProcessReverted", {
        reason: "Mailbox: already delivered",
      });
      // The deliverer treats a message someone else delivered as done.
      expect((await world.deliverers.spokeA.deliver(dispatched)).status).toBe("already-delivered");
    });
  });

  it("a validator signs only messages it has seen confirmed in the origin's tree", async () => {
    const validator = world.validators.spokeA[2] as HyperlaneValidator;
    const unknownId = keccak256(stringToHex("never dispatched"));
    await expectTransportError(validator.sign(unknownId), "CheckpointUnavailable", { messageId: unknownId });

    const patient = new HyperlaneValidator({
      client: spokeAChain.config.publicClient,
      origin: spokeAChain.deployment.domain,
      merkleTreeHook: spokeAChain.deployment.merkleTreeHook,
      signer: localDigestSigner(generatePrivateKey()),
      confirmations: 2,
      fromBlock: spokeAChain.deployment.deployBlock,
    });
    const dispatched = await sendFromSpokeA(report());
    await expectTransportError(patient.sign(dispatched.id), "CheckpointUnavailable");
    await spokeAChain.connection.networkHelpers.mine();
    expect((await patient.sign(dispatched.id)).checkpoint.index).toBe(dispatched.index);
  });

  it("a validator whose tree misses insertions stops signing", async () => {
    const dispatched = await sendFromSpokeA(report());
    const late = new HyperlaneValidator({
      client: spokeAChain.config.publicClient,
      origin: spokeAChain.deployment.domain,
      merkleTreeHook: spokeAChain.deployment.merkleTreeHook,
      signer: localDigestSigner(generatePrivateKey()),
      // Starts at the last dispatch, so every earlier insertion is missing from its tree.
      fromBlock: dispatched.blockNumber,
    });
    await expectTransportError(late.sync(), "MerkleTreeMismatch", { index: dispatched.index });
    await expectTransportError(late.sign(dispatched.id), "MerkleTreeMismatch");
  });

  it("a deliverer waits for its confirmations before relaying", async () => {
    const fromBlock = (await spokeAChain.config.publicClient.getBlockNumber()) + 1n;
    const patient = createDeliverer(world.chains, "spokeA", world.validators.spokeA, { confirmations: 3, fromBlock });
    const dispatched = await sendFromSpokeA(report({ locked: 11_000_000n }));
    expect(await patient.poll()).toEqual([]);
    await spokeAChain.connection.networkHelpers.mine(2);
    const outcomes = await patient.poll();
    expect(outcomes.map((outcome) => [outcome.message.id, outcome.status])).toEqual([[dispatched.id, "delivered"]]);
  });

  it("gas: gateway.send per message type, and the 2-of-3 ISM verification alone", async () => {
    const gateway = await spokeAChain.connection.viem.getContractAt("HyperlaneGateway", spokeAChain.deployment.gateway);
    const fields = { origin: SPOKE_A, destination: HUB, account: spokeApp, asset: spokeApp, amount: 10n ** 18n };
    const messages: Record<MessageTypeName, Hex> = {
      BalanceReport: report(),
      Release: encodeMessage({ type: "Release", ...fields, to: spokeApp, cmdNonce: 1n }),
      Lock: encodeMessage({ type: "Lock", ...fields, cmdNonce: 1n }),
      Seize: encodeMessage({ type: "Seize", ...fields, to: spokeApp, cmdNonce: 1n }),
    };
    for (const [type, message] of Object.entries(messages)) {
      await gateway.write.setDestinationGas([MESSAGE_TYPE[type as MessageTypeName], 300_000n]);
      const fee = await gateway.read.quote([HUB, message]);
      const hash = await gateway.write.send([HUB, message, spokeApp], { value: fee });
      const { gasUsed } = await spokeAChain.config.publicClient.waitForTransactionReceipt({ hash });
      gas[`gateway.send ${type} (quote + dispatch + merkle hook + paymaster)`] = gasUsed;
      expect(gasUsed).toBeLessThan(200_000n);
    }

    const dispatched = await sendFromSpokeA(report());
    const { checkpoint, signatures } = await signaturesFor(dispatched);
    const verifyGas = await hubChain.config.publicClient.estimateContractGas({
      address: hubChain.deployment.routingIsm,
      abi: parseAbi(["function verify(bytes metadata, bytes message) view returns (bool)"]),
      functionName: "verify",
      args: [messageIdMultisigMetadata(checkpoint, signatures.slice(0, THRESHOLD)), dispatched.raw],
    });
    gas["routing ISM → message-id multisig ISM verify, 2-of-3 (eth_estimateGas, incl. 21k base + calldata)"] =
      verifyGas;
    expect(verifyGas).toBeLessThan(60_000n);
  });

  it("validators announce where they publish signatures, once per location", async () => {
    const [validator] = VALIDATOR_SIGNERS;
    if (!validator) throw new Error("no validator");
    const location = `http://127.0.0.1:0/hyperlane/${validator.address}`;
    await announceValidator(hubChain.config, hubChain.deployment, validator, location);
    const read = { address: hubChain.deployment.validatorAnnounce, abi: validatorAnnounceAbi } as const;
    const { publicClient } = hubChain.config;
    expect(await publicClient.readContract({ ...read, functionName: "getAnnouncedValidators" })).toEqual([
      validator.address,
    ]);
    expect(
      await publicClient.readContract({
        ...read,
        functionName: "getAnnouncedStorageLocations",
        args: [[validator.address]],
      }),
    ).toEqual([[location]]);
    await expect(announceValidator(hubChain.config, hubChain.deployment, validator, location)).rejects.toThrow(
      /ValidatorAnnounce.announce failed/,
    );
  });

  it("the gateway ABI the relayer uses matches the compiled contract", async () => {
    const artifact = await hre.artifacts.readArtifact("HyperlaneGateway");
    const signature = (item: { type: string; name?: string; inputs?: readonly { type: string }[] }) =>
      `${item.type} ${item.name ?? ""}(${(item.inputs ?? []).map((input) => input.type).join(",")})`;
    const compiled = new Set(artifact.abi.map(signature));
    expect(hyperlaneGatewayAbi.map(signature).filter((item) => !compiled.has(item))).toEqual([]);
  });
});
