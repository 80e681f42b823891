// Everything the LayerZero path must refuse, each asserted on chain: who refuses (endpoint, receive
// library, DVN, gateway, honest signers) and with which error, and that the hub's books do not move.
import { type Address, concat, type Hash, type Hex, parseEther, parseEventLogs, parseUnits } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { localDigestSigner } from "../../../relayer/engine/signer.ts";
import {
  answerVerificationRequest,
  assembleSignatures,
  createLayerZeroDelivery,
  type DvnInstruction,
  decodeRevertReason,
  dvnAbi,
  dvnInstructionDigest,
  LayerZeroError,
  type LayerZeroErrorKind,
  localSignatures,
  receiveUln302Abi,
  revertDataOf,
  type SentPacket,
  type VerificationRequest,
  withMessage,
} from "../../../relayer/transports/layerzero/index.ts";
import { addressToBytes32 } from "../../../relayer/transports/layerzero/packet.ts";
import { CHAIN_IDS } from "../../../sdk/chains.ts";
import { encodeMessage } from "../../../sdk/codec/index.ts";
import { SPOKE_A, SPOKE_B } from "../../helpers/hub.ts";
import { DVN_QUORUM, deployLayerZeroFixture, dvnSigners, type LayerZeroFixture } from "./fixture.ts";

const HUB = BigInt(CHAIN_IDS.hub);

/** Runs `action` and returns the LayerZeroError it must throw. */
async function layerZeroFailure(action: () => Promise<unknown>, kind: LayerZeroErrorKind): Promise<LayerZeroError> {
  try {
    await action();
  } catch (error) {
    expect(error).toBeInstanceOf(LayerZeroError);
    expect((error as LayerZeroError).kind).toBe(kind);
    return error as LayerZeroError;
  }
  throw new Error(`expected a ${kind} LayerZeroError`);
}

describe("LayerZero rejections", () => {
  let f: LayerZeroFixture;
  let trader: Address;
  let seq = 100n;

  /** A balance report for the trader's USDC on spoke A, as spoke A's vault would send it. */
  const report = (fields: { origin?: bigint; destination?: bigint; locked?: bigint } = {}) =>
    encodeMessage({
      type: "BalanceReport",
      origin: fields.origin ?? SPOKE_A,
      destination: fields.destination ?? HUB,
      account: trader,
      asset: f.spokeA.usdc.address,
      total: fields.locked ?? parseUnits("1000000", 6),
      locked: fields.locked ?? parseUnits("1000000", 6),
      seq: seq++,
      lastCommandNonce: 0n,
    });
  const countedOnSpokeA = async () => {
    const [entries, counted] = await f.hub.engine.read.collateralOf([trader]);
    const index = entries.findIndex((entry) => entry.chainId === SPOKE_A);
    return index < 0 ? 0n : (counted[index] ?? 0n);
  };
  const committee = () => ({ quorum: DVN_QUORUM, committee: dvnSigners.map((signer) => signer.address) });
  /** Verifies and commits `sent` honestly in one DVN.execute, so that only execution remains. */
  const verifyAndCommit = async (sent: SentPacket) => {
    const delivery = f.delivery();
    const request = await delivery.verificationRequest(sent);
    const signatures = await assembleSignatures(request, await f.signatures(request), committee());
    expect((await delivery.submitVerification(sent, request, signatures)).step).toBe("verifyAndCommit");
    expect(await delivery.status(sent)).toBe("committed");
  };
  /** The inner failures `DVN.execute` caught in a transaction on the hub, by instruction index. */
  const caughtByDvn = async (transactionHash: Hash) => {
    const receipt = await f.clients.hub.publicClient.getTransactionReceipt({ hash: transactionHash });
    return parseEventLogs({ abi: dvnAbi, logs: receipt.logs }).flatMap((event) => {
      if (event.eventName === "ExecuteFailed") {
        return [{ index: event.args._index, reason: decodeRevertReason(event.args._data).errorName }];
      }
      if (event.eventName === "VerifySignaturesFailed") return [{ index: event.args.idx, reason: "signatures" }];
      return [];
    });
  };
  /** `request` with other instruction targets and expiration, re-digested as the DVN would hash them. */
  const altered = (request: VerificationRequest, change: { target?: Address; expiration?: bigint }) => {
    const expiration = change.expiration ?? request.expiration;
    const instruction = (original: DvnInstruction): DvnInstruction => {
      const target = change.target ?? original.target;
      return { ...original, target, digest: dvnInstructionDigest(request.vid, target, expiration, original.callData) };
    };
    return {
      ...request,
      expiration,
      verify: instruction(request.verify),
      ...(request.commit ? { commit: instruction(request.commit) } : {}),
    };
  };

  beforeAll(async () => {
    f = await deployLayerZeroFixture();
    trader = f.hub.trader.account.address;
  });

  it("a legitimate report from spoke A's gateway is applied (the baseline the others are compared to)", async () => {
    const { sent } = await f.sendThroughGateway("spokeA", HUB, report({ locked: parseUnits("10", 6) }));
    const delivery = f.delivery();
    // What the signers sign is the DVN's own hash of the instruction.
    const request = await delivery.verificationRequest(sent);
    if (!request.commit) throw new Error("a single required DVN completes the quorum: the commit is batched");
    for (const instruction of [request.verify, request.commit]) {
      const onChainDigest = await f.clients.hub.publicClient.readContract({
        address: f.layerZero.hub.dvn,
        abi: dvnAbi,
        functionName: "hashCallData",
        args: [request.vid, instruction.target, instruction.callData, request.expiration],
      });
      expect(instruction.digest).toBe(onChainDigest);
    }
    const outcome = await delivery.deliver(sent);
    expect(outcome.status).toBe("delivered");
    expect(outcome.steps.map((step) => step.step)).toEqual(["verifyAndCommit", "execute"]);
    expect(await countedOnSpokeA()).toBe(parseUnits("10", 6));
  });

  it("an unregistered peer: the DVN attests the packet, but the endpoint refuses to open the path", async () => {
    const { viem } = f.spokeA.connection;
    const [owner, , , , , rogue] = await viem.getWalletClients();
    if (!owner || !rogue) throw new Error("accounts");
    // A second OApp on spoke A, on the same endpoint, that the hub gateway never registered.
    const rogueGateway = await viem.deployContract("LayerZeroGateway", [
      f.layerZero.spokeA.endpoint,
      rogue.account.address,
    ]);
    const asRogue = { account: rogue.account };
    await rogueGateway.write.setRoute([HUB, f.layerZero.hub.eid], asRogue);
    await rogueGateway.write.setPeer([f.layerZero.hub.eid, addressToBytes32(f.layerZero.hub.gateway)], asRogue);
    await rogueGateway.write.setDestinationGas([1, 300_000n], asRogue);
    await rogueGateway.write.setSender([rogue.account.address], asRogue);
    const message = report();
    const fee = await rogueGateway.read.quote([HUB, message]);
    const hash = await rogueGateway.write.send([HUB, message, rogue.account.address], { ...asRogue, value: fee });
    const receipt = await (await viem.getPublicClient()).waitForTransactionReceipt({ hash });
    const delivery = f.delivery();
    const [sent] = delivery.sentPacketsInReceipt(CHAIN_IDS.spokeA, receipt);
    if (!sent) throw new Error("no packet");

    // The DVN catches the batched commit's failure; the engine reads it from the events, verifies
    // only, and its own commit then surfaces the endpoint's reason.
    const request = await delivery.verificationRequest(sent);
    const signatures = await assembleSignatures(request, await f.signatures(request), committee());
    const verified = await delivery.submitVerification(sent, request, signatures);
    expect(verified.step).toBe("verify");
    expect(await caughtByDvn(verified.transactionHash)).toEqual([{ index: 1n, reason: "LZ_PathNotInitializable" }]);
    const error = await layerZeroFailure(() => delivery.deliver(sent), "CommitFailed");
    expect(error.reason?.errorName).toBe("LZ_PathNotInitializable");
    expect(await delivery.status(sent)).toBe("verifiable");
    expect(await countedOnSpokeA()).toBe(parseUnits("10", 6));
  });

  it("a mismatched envelope origin: spoke A's gateway carrying a report that claims to come from spoke B", async () => {
    const { sent } = await f.sendThroughGateway("spokeA", HUB, report({ origin: SPOKE_B }));
    const underExecutor = await layerZeroFailure(() => f.delivery().deliver(sent), "ExecutionAlert");
    expect(underExecutor.reason?.errorName).toBe("EnvelopeOriginMismatch");
    expect(underExecutor.reason?.args).toEqual([SPOKE_A, SPOKE_B]);
    // The executor's failed attempt left the packet verified; calling the endpoint directly fails alike.
    const direct = await layerZeroFailure(
      () => f.delivery({ execution: "endpoint" }).deliver(sent),
      "ExecutionReverted",
    );
    expect(direct.reason?.errorName).toBe("EnvelopeOriginMismatch");
    expect(await f.delivery().status(sent)).toBe("committed");
    expect(await countedOnSpokeA()).toBe(parseUnits("10", 6));
  });

  it("a message to the wrong destination: addressed to spoke B but routed to the hub", async () => {
    const { sent } = await f.sendThroughGateway("spokeA", HUB, report({ destination: SPOKE_B }));
    const error = await layerZeroFailure(
      () => f.delivery({ execution: "endpoint" }).deliver(sent),
      "ExecutionReverted",
    );
    expect(error.reason?.errorName).toBe("EnvelopeWrongDestination");
    expect(error.reason?.args).toEqual([SPOKE_B, HUB]);
    expect(await countedOnSpokeA()).toBe(parseUnits("10", 6));
  });

  it("a replayed packet: re-delivery is a no-op, re-execution and re-verification are refused", async () => {
    const { sent } = await f.sendThroughGateway("spokeA", HUB, report({ locked: parseUnits("20", 6) }));
    const delivery = f.delivery();
    expect((await delivery.deliver(sent)).status).toBe("delivered");
    expect(await countedOnSpokeA()).toBe(parseUnits("20", 6));

    // The engine sees it delivered and sends nothing.
    expect(await delivery.deliver(sent)).toMatchObject({ status: "alreadyDelivered", steps: [] });
    // Executing it again: the endpoint cleared its payload hash on delivery.
    const direct = await layerZeroFailure(() => delivery.execute(sent, "endpoint"), "ExecutionReverted");
    expect(direct.reason?.errorName).toBe("LZ_PayloadHashNotFound");
    const viaExecutor = await layerZeroFailure(() => delivery.execute(sent, "executor"), "ExecutionAlert");
    expect(viaExecutor.reason?.errorName).toBe("LZ_PayloadHashNotFound");
    // Verifying it again is harmless at the receive library, but the endpoint will not re-open the nonce:
    // the batched commit is caught by the DVN, and a separate one reverts.
    const request = await delivery.verificationRequest(sent);
    const signatures = await assembleSignatures(request, await f.signatures(request), committee());
    const verified = await delivery.submitVerification(sent, request, signatures);
    expect(verified.step).toBe("verify");
    expect(await caughtByDvn(verified.transactionHash)).toEqual([{ index: 1n, reason: "LZ_PathNotVerifiable" }]);
    const commit = await layerZeroFailure(() => delivery.commit(sent), "CommitFailed");
    expect(commit.reason?.errorName).toBe("LZ_PathNotVerifiable");
    expect(await countedOnSpokeA()).toBe(parseUnits("20", 6));
  });

  it("forged signatures: keys outside the DVN committee are discarded off chain and rejected by the DVN", async () => {
    const { sent } = await f.sendThroughGateway("spokeA", HUB, report());
    const forgers = [1, 2].map((index) => localDigestSigner(`0x${index.toString(16).padStart(64, "a")}` as Hex));
    const forged = f.delivery({ signatures: localSignatures(forgers) });
    await layerZeroFailure(() => forged.deliver(sent), "InsufficientSignatures");

    const request = await forged.verificationRequest(sent);
    const rawSignatures = (await localSignatures(forgers)(request))
      .toSorted((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1))
      .map((signature) => signature.signature);
    await layerZeroFailure(
      () => forged.submitVerification(sent, request, { verify: concat(rawSignatures) }),
      "SignaturesRejected",
    );
    expect(await forged.status(sent)).toBe("unverified");
    // Later packets on this path execute only once this nonce is verified: an honest quorum still can.
    await verifyAndCommit(sent);
  });

  it("too few signatures (M−1), or the right ones out of order: refused off chain and by the DVN", async () => {
    const { sent } = await f.sendThroughGateway("spokeA", HUB, report());
    const alone = f.delivery({ signatures: localSignatures(dvnSigners.slice(0, DVN_QUORUM - 1)) });
    const error = await layerZeroFailure(() => alone.deliver(sent), "InsufficientSignatures");
    expect(error.details).toMatchObject({ valid: [dvnSigners[0]?.address] });

    const request = await alone.verificationRequest(sent);
    const valid = (await localSignatures(dvnSigners)(request))
      .filter((signature) => signature.digest === request.verify.digest)
      .toSorted((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1));
    const oneShort = concat(valid.slice(0, DVN_QUORUM - 1).map((signature) => signature.signature));
    await layerZeroFailure(() => alone.submitVerification(sent, request, { verify: oneShort }), "SignaturesRejected");
    const descending = concat(
      valid
        .slice(0, DVN_QUORUM)
        .reverse()
        .map((signature) => signature.signature),
    );
    await layerZeroFailure(() => alone.submitVerification(sent, request, { verify: descending }), "SignaturesRejected");
    expect(await alone.status(sent)).toBe("unverified");
    expect(await countedOnSpokeA()).toBe(parseUnits("20", 6));
    await verifyAndCommit(sent);
  });

  it("a DVN.execute transaction that succeeds but verifies nothing is caught from the events", async () => {
    const { sent } = await f.sendThroughGateway("spokeA", HUB, report());
    const delivery = f.delivery();
    const request = await delivery.verificationRequest(sent);
    const signed = async (instruction: VerificationRequest) =>
      assembleSignatures(instruction, await localSignatures(dvnSigners)(instruction), committee());
    // Expired: the DVN skips the instructions without an event.
    const expired = altered(request, { expiration: 1n });
    const expiredSignatures = await signed(expired);
    expect(expiredSignatures.commit).toBeDefined();
    await layerZeroFailure(
      () => delivery.submitVerification(sent, expired, expiredSignatures),
      "VerificationIneffective",
    );
    // A target that rejects the call: the DVN emits ExecuteFailed with the target's revert data.
    const misdirected = altered(request, { target: f.layerZero.hub.endpoint });
    const misdirectedSignatures = await signed(misdirected);
    await layerZeroFailure(() => delivery.submitVerification(sent, misdirected, misdirectedSignatures), "VerifyFailed");
    expect(await delivery.status(sent)).toBe("unverified");
    await verifyAndCommit(sent);
  });

  it("a batched commit the DVN rejects (signatures out of order): verified in it, committed on its own", async () => {
    const { sent } = await f.sendThroughGateway("spokeA", HUB, report());
    const delivery = f.delivery();
    const request = await delivery.verificationRequest(sent);
    const signatures = await assembleSignatures(request, await f.signatures(request), committee());
    if (!signatures.commit) throw new Error("expected a quorum of commit signatures");
    const [first, second] = [signatures.commit.slice(0, 132), `0x${signatures.commit.slice(132)}`] as Hex[];
    if (!first || !second) throw new Error("expected two signatures");
    const verified = await delivery.submitVerification(sent, request, {
      verify: signatures.verify,
      commit: concat([second, first]),
    });
    expect(verified.step).toBe("verify");
    expect(await caughtByDvn(verified.transactionHash)).toEqual([{ index: 1n, reason: "signatures" }]);
    expect(await delivery.status(sent)).toBe("verifiable");
    expect((await delivery.commit(sent)).step).toBe("commit");
    expect(await delivery.status(sent)).toBe("committed");
  });

  it("honest signers check the commit instruction as strictly as the verify one", async () => {
    const { sent } = await f.sendThroughGateway("spokeA", HUB, report());
    const delivery = f.delivery();
    const request = await delivery.verificationRequest(sent);
    if (!request.commit) throw new Error("expected a commit instruction");
    const signer = dvnSigners[1];
    if (!signer) throw new Error("signer");
    const spokeA = f.chains.find((chain) => chain.chainId === CHAIN_IDS.spokeA);
    if (!spokeA) throw new Error("spoke A");
    const view = {
      source: { chainId: spokeA.chainId, publicClient: spokeA.publicClient, endpoint: f.layerZero.spokeA.endpoint },
      destination: {
        chainId: CHAIN_IDS.hub,
        eid: f.layerZero.hub.eid,
        dvn: f.layerZero.hub.dvn,
        vid: f.layerZero.hub.dvnConfig.vid,
        receiveUln302: f.layerZero.hub.receiveUln302,
      },
      maxTtlSeconds: 3_600,
    };
    const answer = await answerVerificationRequest(signer, request, view);
    expect(answer.map(({ signer, digest }) => [signer, digest])).toEqual([
      [signer.address, request.verify.digest],
      [signer.address, request.commit.digest],
    ]);
    const { commit: _, ...verifyOnly } = request;
    expect((await answerVerificationRequest(signer, verifyOnly, view)).map(({ digest }) => digest)).toEqual([
      request.verify.digest,
    ]);

    // The commit of a tampered packet (same header, another payload), correctly digested.
    const tampered = await f
      .delivery()
      .verificationRequest({ ...sent, packet: withMessage(sent.packet, report({ locked: 1n })) });
    const refusals: [VerificationRequest, RegExp][] = [
      [{ ...request, commit: tampered.commit }, /commit instruction is not the one/],
      [{ ...request, commit: request.verify }, /commit instruction is not the one/],
      [{ ...request, commit: { ...request.commit, digest: request.verify.digest } }, /commit instruction is not/],
      [altered(request, { target: f.layerZero.hub.endpoint }), /verify instruction does not call our receive/],
      [
        { ...request, commit: altered(request, { target: f.layerZero.hub.endpoint }).commit },
        /commit instruction does not call our receive library/,
      ],
      [altered(request, { expiration: request.expiration + 7_200n }), /too far ahead/],
    ];
    for (const [refused, why] of refusals) {
      const error = await layerZeroFailure(
        () => answerVerificationRequest(signer, refused, view),
        "SignatureRequestRejected",
      );
      expect(error.message).toMatch(why);
    }
    await verifyAndCommit(sent);
  });

  it("a tampered payload: honest signers refuse it, and the endpoint will not execute it", async () => {
    const { sent } = await f.sendThroughGateway("spokeA", HUB, report({ locked: parseUnits("30", 6) }));
    const tampered: SentPacket = {
      ...sent,
      packet: withMessage(sent.packet, report({ locked: parseUnits("9999", 6) })),
    };

    // Signer-side: the peers check the packet against their own node of spoke A and refuse.
    const delivery = f.delivery();
    await layerZeroFailure(() => delivery.deliver(tampered), "InsufficientSignatures");

    // Executor-side: the genuine packet is verified; executing it with other bytes does not match the hash.
    await verifyAndCommit(sent);
    const direct = await layerZeroFailure(() => delivery.execute(tampered, "endpoint"), "ExecutionReverted");
    expect(direct.reason?.errorName).toBe("LZ_PayloadHashNotFound");
    const viaExecutor = await layerZeroFailure(() => delivery.execute(tampered, "executor"), "ExecutionAlert");
    expect(viaExecutor.reason?.errorName).toBe("LZ_PayloadHashNotFound");
    expect(await countedOnSpokeA()).toBe(parseUnits("20", 6));

    expect((await delivery.deliver(sent)).status).toBe("delivered");
    expect(await countedOnSpokeA()).toBe(parseUnits("30", 6));
  });

  it("waits for the source confirmations the destination requires, and gives up after its timeout", async () => {
    // The hub now requires 3 confirmations of spoke B's packets.
    const { publicClient, walletClient } = f.clients.hub;
    const hash = await walletClient.writeContract({
      address: f.layerZero.hub.receiveUln302,
      abi: receiveUln302Abi,
      functionName: "setDefaultUlnConfigs",
      args: [
        [
          {
            eid: f.layerZero.spokeB.eid,
            config: {
              confirmations: 3n,
              requiredDVNCount: 1,
              optionalDVNCount: 0,
              optionalDVNThreshold: 0,
              requiredDVNs: [f.layerZero.hub.dvn],
              optionalDVNs: [],
            },
          },
        ],
      ],
      chain: walletClient.chain,
    });
    await publicClient.waitForTransactionReceipt({ hash });
    const message = encodeMessage({
      type: "BalanceReport",
      origin: SPOKE_B,
      destination: HUB,
      account: trader,
      asset: f.spokeB.weth.address,
      total: 1n,
      locked: 1n,
      seq: 1n,
      lastCommandNonce: 0n,
    });
    const { sent } = await f.sendThroughGateway("spokeB", HUB, message);
    const impatient = createLayerZeroDelivery({
      chains: f.chains,
      signatures: f.signatures,
      confirmationPollIntervalMs: 10,
      confirmationTimeoutMs: 100,
    });
    await layerZeroFailure(() => impatient.deliver(sent), "ConfirmationTimeout");

    const patient = createLayerZeroDelivery({
      chains: f.chains,
      signatures: f.signatures,
      confirmationPollIntervalMs: 10,
    });
    let settled = false;
    const delivering = patient.deliver(sent).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).toBe(false);
    await f.spokeB.connection.networkHelpers.mine(2);
    expect((await delivering).status).toBe("delivered");
  });

  it("a quorum this DVN does not complete: no commit instruction until the other required DVN verified", async () => {
    // The hub requires a second DVN for spoke B's packets: an account that calls verify itself.
    const otherDvn = f.hub.keeper;
    const { publicClient, walletClient } = f.clients.hub;
    const requiredDVNs = [f.layerZero.hub.dvn, otherDvn.account.address].toSorted((a, b) =>
      BigInt(a) < BigInt(b) ? -1 : 1,
    );
    const configured = await walletClient.writeContract({
      address: f.layerZero.hub.receiveUln302,
      abi: receiveUln302Abi,
      functionName: "setDefaultUlnConfigs",
      args: [
        [
          {
            eid: f.layerZero.spokeB.eid,
            config: {
              confirmations: 1n,
              requiredDVNCount: 2,
              optionalDVNCount: 0,
              optionalDVNThreshold: 0,
              requiredDVNs,
              optionalDVNs: [],
            },
          },
        ],
      ],
      chain: walletClient.chain,
    });
    await publicClient.waitForTransactionReceipt({ hash: configured });
    const message = encodeMessage({
      type: "BalanceReport",
      origin: SPOKE_B,
      destination: HUB,
      account: trader,
      asset: f.spokeB.weth.address,
      total: 2n,
      locked: 2n,
      seq: 2n,
      lastCommandNonce: 0n,
    });
    const { sent } = await f.sendThroughGateway("spokeB", HUB, message);
    const delivery = f.delivery();
    expect((await delivery.verificationRequest(sent)).commit).toBeUndefined();

    const verified = await otherDvn.writeContract({
      address: f.layerZero.hub.receiveUln302,
      abi: receiveUln302Abi,
      functionName: "verify",
      args: [sent.packet.header, sent.packet.payloadHash, 1n],
      chain: otherDvn.chain,
    });
    await publicClient.waitForTransactionReceipt({ hash: verified });
    expect(await delivery.status(sent)).toBe("unverified");
    expect((await delivery.verificationRequest(sent)).commit).toBeDefined();
    const outcome = await delivery.deliver(sent);
    expect(outcome.steps.map((step) => step.step)).toEqual(["verifyAndCommit", "execute"]);
  });

  it("only the application may send, and a short fee is refused by the endpoint", async () => {
    const gateway = await f.spokeA.connection.viem.getContractAt("LayerZeroGateway", f.layerZero.spokeA.gateway);
    const message = report();
    await expect(
      gateway.write.send([HUB, message, trader], { account: trader, value: parseEther("1") }),
    ).rejects.toThrow(/UnauthorizedSender/);
    const shortFee = await f.spokeA.vault.write
      .syncBalance([trader, f.spokeA.usdc.address], { account: trader, value: 1n })
      .then(
        () => undefined,
        (error: unknown) => revertDataOf(error),
      );
    expect(shortFee && decodeRevertReason(shortFee).errorName).toBe("LZ_InsufficientFee");
  });
});
