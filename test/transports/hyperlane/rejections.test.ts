// What the Hyperlane route must refuse beyond the attacks of the adversarial catalogue (test/adversarial:
// wrong peer, forged origin, replay, signatures, tampered payloads), asserted against the real Mailbox
// and ISMs, and what its validators and deliverers must wait for; with the route's gas.
import { setTimeout as sleep } from "node:timers/promises";
import hre from "hardhat";
import {
  type Address,
  createPublicClient,
  custom,
  decodeFunctionData,
  encodeFunctionResult,
  type Hex,
  isAddressEqual,
  keccak256,
  parseAbi,
  parseEther,
  stringToHex,
} from "viem";
import { generatePrivateKey } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localDigestSigner } from "../../../relayer/engine/signer.ts";
import { announceValidator } from "../../../relayer/infra/hyperlane.ts";
import {
  addressToBytes32,
  type Checkpoint,
  DISPATCH_EVENTS,
  type DispatchedMessage,
  HyperlaneValidator,
  type HyperlaneValidatorOptions,
  hyperlaneGatewayAbi,
  IncrementalMerkleTree,
  isValidCheckpointSignature,
  mailboxAbi,
  merkleTreeHookAbi,
  messageIdMultisigMetadata,
  resolveMultisigIsm,
  validatorAnnounceAbi,
} from "../../../relayer/transports/hyperlane/index.ts";
import { encodeMessage, MESSAGE_TYPE, type MessageTypeName } from "../../../sdk/codec/index.ts";
import { HUB, type Hub, SPOKE_A, SPOKE_B } from "../../helpers/hub.ts";
import { deployHyperlaneRejectionWorld, expectTransportError, type HyperlaneRejectionWorld } from "./rejection-kit.ts";
import { createDeliverer, type HyperlaneChain, type HyperlaneWorld, THRESHOLD, VALIDATOR_SIGNERS } from "./setup.ts";

describe("Hyperlane route rejections", () => {
  let kit: HyperlaneRejectionWorld;
  let world: HyperlaneWorld;
  let hub: Hub;
  let hubChain: HyperlaneChain;
  let spokeAChain: HyperlaneChain;
  let spokeApp: Address;
  const gas: Record<string, bigint> = {};

  beforeAll(async () => {
    kit = await deployHyperlaneRejectionWorld();
    ({ world, hub, hubChain, spokeAChain, spokeApp } = kit);
  });

  /** A validator of spoke A's tree, with a key of its own, reading from the hook's deploy block unless told. */
  const spokeAValidator = (options: Partial<HyperlaneValidatorOptions> = {}) =>
    new HyperlaneValidator({
      client: spokeAChain.config.publicClient,
      origin: spokeAChain.deployment.domain,
      merkleTreeHook: spokeAChain.deployment.merkleTreeHook,
      signer: localDigestSigner(generatePrivateKey()),
      fromBlock: spokeAChain.deployment.deployBlock,
      ...options,
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
    ).write.send([HUB, kit.report({ locked: 7_000_000n }), spokeApp], { value: parseEther("0.01") });
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

  it("only the sender may send, only the Mailbox may call handle, and the fee must be paid", async () => {
    const spokeGateway = await spokeAChain.connection.viem.getContractAt(
      "HyperlaneGateway",
      spokeAChain.deployment.gateway,
    );
    const stranger = hub.trader.account.address;
    await expect(
      spokeGateway.write.send([HUB, kit.report(), stranger], { account: stranger, value: parseEther("0.01") }),
    ).rejects.toThrow(/UnauthorizedSender/);
    await expect(spokeGateway.write.send([HUB, kit.report(), spokeApp], { value: 1n })).rejects.toThrow(
      /InsufficientFee/,
    );

    const hubGateway = await hubChain.connection.viem.getContractAt("HyperlaneGateway", hubChain.deployment.gateway);
    await expect(
      hubGateway.write.handle([
        spokeAChain.deployment.domain,
        addressToBytes32(spokeAChain.deployment.gateway),
        kit.report(),
      ]),
    ).rejects.toThrow(/UnauthorizedMailbox/);
  });

  it("rejects a message to the wrong destination, in the envelope or in the Hyperlane header", async () => {
    const misaddressed = await kit.sendFromSpokeA(kit.report({ destination: SPOKE_B }));
    await expectTransportError(world.deliverers.spokeA.deliver(misaddressed), "ProcessReverted", {
      reason: "EnvelopeWrongDestination",
      args: [SPOKE_B, HUB],
    });

    // A genuinely signed message for spoke B, presented to the hub's Mailbox.
    const toSpokeB = await kit.sendFromSpokeA(kit.report({ destination: SPOKE_B }), { destination: SPOKE_B });
    const { checkpoint, signatures } = await kit.signaturesFor(toSpokeB, world.chains.spokeB);
    await expectTransportError(
      kit.processOnHub(messageIdMultisigMetadata(checkpoint, signatures.slice(0, THRESHOLD)), toSpokeB.raw),
      "ProcessReverted",
      { reason: "Mailbox: unexpected destination" },
    );
  });

  it("a validator signs only messages it has seen confirmed in the origin's tree", async () => {
    const validator = world.validators.spokeA[2] as HyperlaneValidator;
    const unknownId = keccak256(stringToHex("never dispatched"));
    await expectTransportError(validator.sign(unknownId), "CheckpointUnavailable", { messageId: unknownId });

    const patient = spokeAValidator({ confirmations: 2 });
    const dispatched = await kit.sendFromSpokeA(kit.report());
    await expectTransportError(patient.sign(dispatched.id), "CheckpointUnavailable");
    await spokeAChain.connection.networkHelpers.mine();
    expect((await patient.sign(dispatched.id)).checkpoint.index).toBe(dispatched.index);
  });

  it("a validator whose tree misses insertions stops signing", async () => {
    const dispatched = await kit.sendFromSpokeA(kit.report());
    // Starts at the last dispatch, so every earlier insertion is missing from its tree.
    const late = spokeAValidator({ fromBlock: dispatched.blockNumber });
    await expectTransportError(late.sync(), "MerkleTreeMismatch", { index: dispatched.index });
    await expectTransportError(late.sign(dispatched.id), "MerkleTreeMismatch");
  });

  it("a validator fed the logs a watcher read keeps the tree it would read itself, and reads for itself past a gap", async () => {
    const dispatched = await kit.sendFromSpokeA(kit.report({ locked: 9_000_000n }));
    const { publicClient } = spokeAChain.config;
    const { deployBlock, merkleTreeHook, mailbox } = spokeAChain.deployment;
    const head = await publicClient.getBlockNumber();
    const logs = await publicClient.getLogs({
      address: [mailbox, merkleTreeHook],
      events: DISPATCH_EVENTS,
      fromBlock: deployBlock,
      toBlock: head,
    });
    const fresh = () => spokeAValidator();
    const reader = fresh();
    const count = await reader.sync();
    expect(count).toBe(dispatched.index + 1);

    const fed = fresh();
    expect(await fed.ingest(deployBlock, head, logs)).toBe(count);
    expect(fed.checkpointOf(dispatched.id)).toEqual(reader.checkpointOf(dispatched.id));
    // Already past that range: nothing changes.
    expect(await fed.ingest(deployBlock, head, [])).toBe(count);

    // Only the head's logs, while the tree stands at the deploy block: not enough, so it reads everything.
    const behind = fresh();
    expect(
      await behind.ingest(
        head,
        head,
        logs.filter((log) => log.blockNumber === head),
      ),
    ).toBe(count);
    expect(behind.checkpointOf(dispatched.id)).toEqual(reader.checkpointOf(dispatched.id));

    // Logs that miss an insertion disagree with the hook: nothing is signed from that tree.
    const missing = logs.filter((log) => !(log.eventName === "InsertedIntoTree" && log.args.index === 0));
    await expectTransportError(fresh().ingest(deployBlock, head, missing), "MerkleTreeMismatch");
  });

  // A signature asked for while the watcher's ingest is still checking the hook waits for that check rather than
  // reading the chain again, and the check reads the hook once (count and root together). Fails without a9ce0fe:
  // `sign` then queued a sync of its own behind the ingest (eth_blockNumber, eth_getLogs of the block mined since,
  // the hook read again), and the check sent count and root together (two requests in flight on one socket).
  it("a signature asked for during the watcher's ingest waits for its hook check instead of reading the chain again", async () => {
    const { publicClient } = spokeAChain.config;
    const { deployBlock, merkleTreeHook, mailbox } = spokeAChain.deployment;
    const dispatched = await kit.sendFromSpokeA(kit.report());
    const logs = await publicClient.getLogs({
      address: [mailbox, merkleTreeHook],
      events: DISPATCH_EVENTS,
      fromBlock: deployBlock,
      toBlock: dispatched.blockNumber,
    });
    // The chain moves on past what the watcher read: a sync of the validator's own would have a block to read.
    await spokeAChain.connection.networkHelpers.mine();

    const requests: string[] = [];
    let hookReadsInFlight = 0;
    let mostHookReadsInFlight = 0;
    let hookReadStarted = () => {};
    const hookCheckUnderWay = new Promise<void>((resolve) => {
      hookReadStarted = resolve;
    });
    const validator = spokeAValidator({
      client: createPublicClient({
        transport: custom({
          request: async ({ method, params }) => {
            requests.push(method);
            const call = method === "eth_call" ? (params as [{ to?: Address }])[0] : undefined;
            if (!call?.to || !isAddressEqual(call.to, merkleTreeHook)) {
              return publicClient.request({ method, params } as Parameters<typeof publicClient.request>[0]);
            }
            hookReadsInFlight += 1;
            mostHookReadsInFlight = Math.max(mostHookReadsInFlight, hookReadsInFlight);
            hookReadStarted();
            try {
              // Slow enough that the signature is asked for while the check is in flight.
              await sleep(50);
              return await publicClient.request({ method, params } as Parameters<typeof publicClient.request>[0]);
            } finally {
              hookReadsInFlight -= 1;
            }
          },
        }),
      }),
    });

    const ingested = validator.ingest(deployBlock, dispatched.blockNumber, logs);
    await hookCheckUnderWay;
    expect(validator.checkpointOf(dispatched.id)).toBeUndefined();
    const signed = await validator.sign(dispatched.id);
    expect(await ingested).toBe(dispatched.index + 1);

    const hookAtDispatch = { address: merkleTreeHook, abi: merkleTreeHookAbi, blockNumber: dispatched.blockNumber };
    expect(signed.checkpoint).toEqual({
      origin: spokeAChain.deployment.domain,
      merkleTreeHook,
      root: await publicClient.readContract({ ...hookAtDispatch, functionName: "root" }),
      index: dispatched.index,
      messageId: dispatched.id,
    });
    expect(signed.validator).toBe(validator.address);
    expect(await isValidCheckpointSignature(signed)).toBe(true);
    // The ingest's one read of the hook (count and root together), and nothing after it: no head, no logs.
    expect(requests).toEqual(["eth_call"]);
    expect(mostHookReadsInFlight).toBe(1);
  });

  // anvil, mining a block, answers a read at its latest block from the state it is mining into: the hook then
  // looks one leaf ahead of the logs read through that block. Fails without the re-read: the first such answer
  // dropped the tree, and every signature waited for a rebuild from the first block (seconds under load).
  it("a validator whose node answers the hook from a newer state reads it again, and drops its tree when the hook stays ahead", async () => {
    const { publicClient } = spokeAChain.config;
    const { merkleTreeHook } = spokeAChain.deployment;
    const dispatched = await kit.sendFromSpokeA(kit.report());
    let aheadAnswers = 0;
    const answeringAhead = () =>
      createPublicClient({
        transport: custom({
          request: async ({ method, params }) => {
            const real = () => publicClient.request({ method, params } as Parameters<typeof publicClient.request>[0]);
            const call = method === "eth_call" ? (params as [{ to?: Address; data?: Hex }])[0] : undefined;
            if (!call?.to || !isAddressEqual(call.to, merkleTreeHook) || aheadAnswers === 0) return real();
            aheadAnswers -= 1;
            const { functionName } = decodeFunctionData({ abi: merkleTreeHookAbi, data: call.data as Hex });
            const ahead = (await publicClient.readContract({
              address: merkleTreeHook,
              abi: merkleTreeHookAbi,
              functionName: "count",
            })) as number;
            const newerRoot = keccak256(stringToHex("a leaf the logs have not shown yet"));
            if (functionName === "count")
              return encodeFunctionResult({ abi: merkleTreeHookAbi, functionName, result: ahead + 1 });
            if (functionName === "root")
              return encodeFunctionResult({ abi: merkleTreeHookAbi, functionName, result: newerRoot });
            return encodeFunctionResult({
              abi: merkleTreeHookAbi,
              functionName: "latestCheckpoint",
              result: [newerRoot, ahead],
            });
          },
        }),
      });

    const validator = spokeAValidator({ client: answeringAhead() });
    aheadAnswers = 3;
    expect(await validator.sync()).toBe(dispatched.index + 1);
    expect(aheadAnswers).toBe(0);
    expect((await validator.sign(dispatched.id)).checkpoint.index).toBe(dispatched.index);

    // Ahead at the first read and at every read again: the logs miss an insertion.
    const stuck = spokeAValidator({ client: answeringAhead() });
    aheadAnswers = 4;
    await expectTransportError(stuck.sync(), "MerkleTreeMismatch", { localCount: dispatched.index + 1 });
  });

  it("a validator keeps only its newest checkpoints, and signs an evicted message with the checkpoint it had", async () => {
    const { publicClient } = spokeAChain.config;
    const { deployBlock, merkleTreeHook, domain } = spokeAChain.deployment;
    // Small ranges, so that a rebuild reads the logs in several queries as a long-running relayer would.
    const bounded = (maxRetainedCheckpoints: number) => spokeAValidator({ maxRetainedCheckpoints, maxBlockRange: 3n });
    expect(() => bounded(0)).toThrow(/maxRetainedCheckpoints/);
    const bound = 3;
    const validator = bounded(bound);
    // The hook as it stood at a message's block: each send is mined alone, so that is right after its leaf.
    const hookAt = async (message: DispatchedMessage) => {
      const read = { address: merkleTreeHook, abi: merkleTreeHookAbi, blockNumber: message.blockNumber } as const;
      const [count, root] = await Promise.all([
        publicClient.readContract({ ...read, functionName: "count" }),
        publicClient.readContract({ ...read, functionName: "root" }),
      ]);
      expect(count).toBe(message.index + 1);
      return { origin: domain, merkleTreeHook, root, index: message.index, messageId: message.id };
    };

    const dispatched: DispatchedMessage[] = [];
    const signedWhileRetained = new Map<Hex, Checkpoint>();
    for (let sent = 0; sent < 3 * bound; sent++) {
      const message = await kit.sendFromSpokeA(kit.report());
      dispatched.push(message);
      const { checkpoint } = await validator.sign(message.id);
      expect(checkpoint).toEqual(await hookAt(message));
      signedWhileRetained.set(message.id, checkpoint);
      expect(validator.retainedCheckpoints).toBeLessThanOrEqual(bound);
    }
    const evicted = dispatched.slice(0, -bound);
    for (const message of evicted) expect(validator.checkpointOf(message.id)).toBeUndefined();

    // Asked all at once, newest first: concurrent rebuilds (sharing scans where they overlap) must not mix up.
    const rebuilt = await Promise.all(evicted.toReversed().map((message) => validator.sign(message.id)));
    for (const signed of rebuilt) {
      expect(signed.checkpoint).toEqual(signedWhileRetained.get(signed.checkpoint.messageId));
      expect(await isValidCheckpointSignature(signed)).toBe(true);
    }
    expect(validator.retainedCheckpoints).toBeLessThanOrEqual(bound);

    // The origin's first message, never asked for while retained, against a tree built from the hook's logs.
    const [first] = await publicClient.getLogs({
      address: merkleTreeHook,
      event: merkleTreeHookAbi[0],
      fromBlock: deployBlock,
      strict: true,
    });
    if (!first) throw new Error("no insertion on spoke A");
    const independent = new IncrementalMerkleTree();
    independent.insert(first.args.messageId);
    expect((await validator.sign(first.args.messageId)).checkpoint).toMatchObject({
      index: 0,
      root: independent.root(),
    });

    const unknownId = keccak256(stringToHex("never dispatched, asked after evictions"));
    await expectTransportError(validator.sign(unknownId), "CheckpointUnavailable", { messageId: unknownId });
    // Claimed at a leaf that was never evicted, an unknown message is refused without reading the logs again.
    let logReads = 0;
    const counted = spokeAValidator({
      maxRetainedCheckpoints: bound,
      client: new Proxy(publicClient, {
        get: (target, property, receiver) =>
          property === "getLogs"
            ? (...args: Parameters<typeof publicClient.getLogs>) => {
                logReads += 1;
                return target.getLogs(...args);
              }
            : Reflect.get(target, property, receiver),
      }),
    });
    await counted.sync();
    const readsAfterSync = logReads;
    await expectTransportError(counted.sign(unknownId, { index: counted.count - 1 }), "CheckpointUnavailable");
    expect(logReads).toBe(readsAfterSync);
    await expectTransportError(counted.sign(unknownId, { index: 0 }), "CheckpointUnavailable");
    expect(logReads).toBeGreaterThan(readsAfterSync);
    // A peer's request for a message this operator never stored: no scan either (the attestor's check).
    const readsBefore = logReads;
    await expectTransportError(counted.sign(unknownId, { mayRebuild: async () => false }), "CheckpointUnavailable");
    expect(logReads).toBe(readsBefore);

    // The live tree goes on where it stood.
    const next = await kit.sendFromSpokeA(kit.report());
    expect((await validator.sign(next.id)).checkpoint).toEqual(await hookAt(next));
    expect(validator.count).toBe(next.index + 1);
    expect(validator.retainedCheckpoints).toBeLessThanOrEqual(bound);
  });

  // A node that serves the origin's logs once more, but with another message id at an evicted leaf (its indices
  // still without a gap or repeat), must not get a checkpoint signed with a root the hook never had: Hyperlane's
  // fraud proofs would count that as the validator's misbehaviour. Fails without the rebuild's check against the
  // root the hook confirmed: the forged tree's checkpoint was then signed.
  it("a validator signs no evicted checkpoint rebuilt from logs that disagree with the tree its hook confirmed", async () => {
    const { publicClient } = spokeAChain.config;
    const bound = 2;
    /** What the node serves instead of the hook's insertions: each log, rewritten or dropped (undefined). */
    let serve = <T>(log: T): T | undefined => log;
    const validator = spokeAValidator({
      maxRetainedCheckpoints: bound,
      client: new Proxy(publicClient, {
        get: (target, property, receiver) =>
          property === "getLogs"
            ? async (...args: Parameters<typeof publicClient.getLogs>) =>
                (await target.getLogs(...args)).map(serve).filter((log) => log !== undefined)
            : Reflect.get(target, property, receiver),
      }),
    });
    const dispatched: DispatchedMessage[] = [];
    const signedWhileRetained = new Map<Hex, Checkpoint>();
    for (let sent = 0; sent < bound + 2; sent++) {
      const message = await kit.sendFromSpokeA(kit.report());
      dispatched.push(message);
      signedWhileRetained.set(message.id, (await validator.sign(message.id)).checkpoint);
    }
    const [forgedAt, asked] = dispatched as [DispatchedMessage, DispatchedMessage];
    expect(validator.checkpointOf(asked.id)).toBeUndefined();
    const confirmed = { confirmedCount: validator.count, rebuiltCount: validator.count };

    // Another message id at an evicted leaf before the one asked for: every root from there on differs.
    const forgedId = keccak256(stringToHex("never inserted by the hook"));
    serve = <T>(log: T): T => {
      const { args } = log as { args: { index: number; messageId: Hex } };
      return args.index === forgedAt.index ? { ...log, args: { ...args, messageId: forgedId } } : log;
    };
    const forged = await expectTransportError(validator.sign(asked.id), "MerkleTreeMismatch", confirmed);
    expect(forged.details.rebuiltRoot).not.toBe(forged.details.confirmedRoot);
    expect(validator.checkpointOf(asked.id)).toBeUndefined();

    // Logs that stop short of the leaves the hook confirmed prove nothing either.
    serve = <T>(log: T): T | undefined =>
      (log as { args: { index: number } }).args.index > asked.index ? undefined : log;
    await expectTransportError(validator.sign(asked.id), "MerkleTreeMismatch", {
      ...confirmed,
      rebuiltCount: asked.index + 1,
    });

    // The live tree was left alone: served the hook's logs again, the rebuild signs what was signed before.
    serve = <T>(log: T): T => log;
    expect((await validator.sign(asked.id)).checkpoint).toEqual(signedWhileRetained.get(asked.id));
    const next = await kit.sendFromSpokeA(kit.report());
    expect((await validator.sign(next.id)).checkpoint.index).toBe(next.index);
  });

  it("a validator signs no leaf its hook has not confirmed: a failed check holds them until one passes", async () => {
    const { publicClient } = spokeAChain.config;
    let hookReadsFail = false;
    const validator = spokeAValidator({
      client: new Proxy(publicClient, {
        get: (target, property, receiver) =>
          property === "readContract"
            ? (args: Parameters<typeof publicClient.readContract>[0]) =>
                hookReadsFail ? Promise.reject(new Error("node down")) : target.readContract(args)
            : Reflect.get(target, property, receiver),
      }),
    });
    await validator.sync();
    hookReadsFail = true;
    const message = await kit.sendFromSpokeA(kit.report());
    // The sync reads the new leaf, then cannot check it against the hook.
    await expect(validator.sync()).rejects.toThrow("node down");
    expect(validator.count).toBe(message.index + 1);
    // Asked to sign it, the validator checks again first, which still fails: nothing is signed.
    await expect(validator.sign(message.id)).rejects.toThrow("node down");
    hookReadsFail = false;
    // No new block: the next sync only checks what it holds, and then signs it.
    expect((await validator.sign(message.id)).checkpoint.index).toBe(message.index);
  });

  it("a deliverer waits for its confirmations before relaying", async () => {
    const fromBlock = (await spokeAChain.config.publicClient.getBlockNumber()) + 1n;
    const patient = createDeliverer(world.chains, "spokeA", world.validators.spokeA, { confirmations: 3, fromBlock });
    const dispatched = await kit.sendFromSpokeA(kit.report({ locked: 11_000_000n }));
    expect(await patient.poll()).toEqual([]);
    await spokeAChain.connection.networkHelpers.mine(2);
    const outcomes = await patient.poll();
    expect(outcomes.map((outcome) => [outcome.message.id, outcome.status])).toEqual([[dispatched.id, "delivered"]]);
    const [delivered] = outcomes;
    if (delivered?.status === "delivered") gas["Mailbox.process 2-of-3 (BalanceReport, warm)"] = delivered.gasUsed;
  });

  it("gas: gateway.send per message type, and the 2-of-3 ISM verification alone", async () => {
    const gateway = await spokeAChain.connection.viem.getContractAt("HyperlaneGateway", spokeAChain.deployment.gateway);
    const fields = { origin: SPOKE_A, destination: HUB, account: spokeApp, asset: spokeApp, amount: 10n ** 18n };
    const messages: Record<MessageTypeName, Hex> = {
      BalanceReport: kit.report(),
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

    const dispatched = await kit.sendFromSpokeA(kit.report());
    const { checkpoint, signatures } = await kit.signaturesFor(dispatched);
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
