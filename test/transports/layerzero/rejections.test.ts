// What the LayerZero path must refuse beyond the attacks of the adversarial catalogue (test/adversarial:
// forged origin, wrong peer, replay, signatures, tampered payloads), each asserted on chain: who refuses
// (endpoint, receive library, DVN, gateway, honest signers) and with which error.
import { type Address, concat, type Hex, parseAbi, parseEther, parseUnits, type TransactionReceipt } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import {
  answerVerificationRequest,
  assembleSignatures,
  createLayerZeroDelivery,
  decodeRevertReason,
  deliveredPacketsFromLogs,
  dvnAbi,
  localSignatures,
  receiveUln302Abi,
  revertDataOf,
  type VerificationRequest,
  withMessage,
} from "../../../relayer/transports/layerzero/index.ts";
import { CHAIN_IDS } from "../../../sdk/chains.ts";
import { encodeMessage, MESSAGE_TYPE } from "../../../sdk/codec/index.ts";
import { SPOKE_B } from "../../helpers/hub.ts";
import { deployLayerZeroFixture, dvnSigners, type LayerZeroFixture } from "./fixture.ts";
import { HUB, type LayerZeroRejectionKit, layerZeroFailure, layerZeroRejectionKit } from "./rejection-kit.ts";

describe("LayerZero rejections", () => {
  let f: LayerZeroFixture;
  let kit: LayerZeroRejectionKit;
  let trader: Address;

  beforeAll(async () => {
    f = await deployLayerZeroFixture();
    kit = layerZeroRejectionKit(f);
    trader = kit.trader;
  });

  it("a legitimate report from spoke A's gateway is applied (the baseline the others are compared to)", async () => {
    const { sent } = await f.sendThroughGateway("spokeA", HUB, kit.report({ locked: parseUnits("10", 6) }));
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
    expect(await kit.countedOnSpokeA()).toBe(parseUnits("10", 6));
    // What an operator that did not deliver learns from the hub's logs: this packet's GUID, and who executed it.
    const execution = outcome.steps[1]?.transactionHash as Hex;
    const { logs } = await f.clients.hub.publicClient.getTransactionReceipt({ hash: execution });
    expect(deliveredPacketsFromLogs(f.layerZero.hub.endpoint, f.layerZero.hub.eid, logs)).toEqual([
      { guid: sent.packet.guid, receiver: f.layerZero.hub.gateway, transactionHash: execution },
    ]);
    // Only the named endpoint's events count (the chains share addresses here: another contract stands in).
    expect(deliveredPacketsFromLogs(f.layerZero.hub.dvn, f.layerZero.hub.eid, logs)).toEqual([]);
  });

  it("a message to the wrong destination: addressed to spoke B but routed to the hub", async () => {
    const { sent } = await f.sendThroughGateway("spokeA", HUB, kit.report({ destination: SPOKE_B }));
    const error = await layerZeroFailure(
      () => f.delivery({ execution: "endpoint" }).deliver(sent),
      "ExecutionReverted",
    );
    expect(error.reason?.errorName).toBe("EnvelopeWrongDestination");
    expect(error.reason?.args).toEqual([SPOKE_B, HUB]);
    expect(await kit.countedOnSpokeA()).toBe(parseUnits("10", 6));
  });

  it("a DVN.execute transaction that succeeds but verifies nothing is caught from the events", async () => {
    const { sent } = await f.sendThroughGateway("spokeA", HUB, kit.report());
    const delivery = f.delivery();
    const request = await delivery.verificationRequest(sent);
    const signed = async (instruction: VerificationRequest) =>
      assembleSignatures(instruction, await localSignatures(dvnSigners)(instruction), kit.committee());
    // Expired: the DVN skips the instructions without an event.
    const expired = kit.altered(request, { expiration: 1n });
    const expiredSignatures = await signed(expired);
    expect(expiredSignatures.commit).toBeDefined();
    await layerZeroFailure(
      () => delivery.submitVerification(sent, expired, expiredSignatures),
      "VerificationIneffective",
    );
    // A target that rejects the call: the DVN emits ExecuteFailed with the target's revert data.
    const misdirected = kit.altered(request, { target: f.layerZero.hub.endpoint });
    const misdirectedSignatures = await signed(misdirected);
    await layerZeroFailure(() => delivery.submitVerification(sent, misdirected, misdirectedSignatures), "VerifyFailed");
    expect(await delivery.status(sent)).toBe("unverified");
    await kit.verifyAndCommit(sent);
  });

  it("a batched commit the DVN rejects (signatures out of order): verified in it, committed on its own", async () => {
    const { sent } = await f.sendThroughGateway("spokeA", HUB, kit.report());
    const delivery = f.delivery();
    const request = await delivery.verificationRequest(sent);
    const signatures = await assembleSignatures(request, await f.signatures(request), kit.committee());
    if (!signatures.commit) throw new Error("expected a quorum of commit signatures");
    const [first, second] = [signatures.commit.slice(0, 132), `0x${signatures.commit.slice(132)}`] as Hex[];
    if (!first || !second) throw new Error("expected two signatures");
    const verified = await delivery.submitVerification(sent, request, {
      verify: signatures.verify,
      commit: concat([second, first]),
    });
    expect(verified.step).toBe("verify");
    expect(await kit.caughtByDvn(verified.transactionHash)).toEqual([{ index: 1n, reason: "signatures" }]);
    expect(await delivery.status(sent)).toBe("verifiable");
    expect((await delivery.commit(sent)).step).toBe("commit");
    expect(await delivery.status(sent)).toBe("committed");
  });

  it("verifications submitted while a DVN call is in flight share the next one; each packet keeps its own verdict", async () => {
    const sents = [];
    for (let index = 0; index < 4; index++) {
      sents.push((await f.sendThroughGateway("spokeA", HUB, kit.report())).sent);
    }
    const delivery = f.delivery();
    const submissions = await Promise.all(
      sents.map(async (sent, index) => {
        const request = await delivery.verificationRequest(sent);
        const signatures = await assembleSignatures(request, await f.signatures(request), kit.committee());
        if (index !== 2) return { sent, request, signatures };
        // The third packet's verify signatures out of signer order: the DVN refuses that instruction alone.
        const [first, second] = [signatures.verify.slice(0, 132), `0x${signatures.verify.slice(132)}`] as Hex[];
        if (!first || !second) throw new Error("expected two signatures");
        return { sent, request, signatures: { ...signatures, verify: concat([second, first]) } };
      }),
    );
    const outcomes = await Promise.allSettled(
      submissions.map(({ sent, request, signatures }) => delivery.submitVerification(sent, request, signatures)),
    );
    const [alone, second, refused, fourth] = outcomes;
    if (alone?.status !== "fulfilled" || second?.status !== "fulfilled" || fourth?.status !== "fulfilled") {
      throw new Error(`expected three verifications: ${JSON.stringify(outcomes.map((outcome) => outcome.status))}`);
    }
    // The first went at once, alone; the three submitted meanwhile went in one call after it.
    expect(second.value.transactionHash).not.toBe(alone.value.transactionHash);
    expect(fourth.value.transactionHash).toBe(second.value.transactionHash);
    expect(refused?.status === "rejected" && (refused.reason as { kind?: string }).kind).toBe("SignaturesRejected");
    // In that call the second packet's instructions are 0 and 1, the refused third's are 2 (its verify) and 3
    // (its commit, which then finds nothing verified); the fourth's run at 4 and 5.
    expect(await kit.caughtByDvn(second.value.transactionHash)).toEqual([
      { index: 2n, reason: "signatures" },
      { index: 3n, reason: "LZ_ULN_Verifying" },
    ]);
    for (const [index, sent] of sents.entries()) {
      expect(await delivery.status(sent)).toBe(index === 2 ? "unverified" : "committed");
    }
    for (const outcome of [alone, second, fourth]) expect(outcome.value.step).toBe("verifyAndCommit");
    // Delivered honestly, the refused packet no longer holds up its path's later nonces.
    expect((await delivery.deliver(sents[2] as (typeof sents)[number])).status).toBe("delivered");
  });

  it("honest signers check the commit instruction as strictly as the verify one", async () => {
    const { sent } = await f.sendThroughGateway("spokeA", HUB, kit.report());
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
      .verificationRequest({ ...sent, packet: withMessage(sent.packet, kit.report({ locked: 1n })) });
    const refusals: [VerificationRequest, RegExp][] = [
      [{ ...request, commit: tampered.commit }, /commit instruction is not the one/],
      [{ ...request, commit: request.verify }, /commit instruction is not the one/],
      [{ ...request, commit: { ...request.commit, digest: request.verify.digest } }, /commit instruction is not/],
      [kit.altered(request, { target: f.layerZero.hub.endpoint }), /verify instruction does not call our receive/],
      [
        { ...request, commit: kit.altered(request, { target: f.layerZero.hub.endpoint }).commit },
        /commit instruction does not call our receive library/,
      ],
      [kit.altered(request, { expiration: request.expiration + 7_200n }), /too far ahead/],
    ];
    for (const [refused, why] of refusals) {
      const error = await layerZeroFailure(
        () => answerVerificationRequest(signer, refused, view),
        "SignatureRequestRejected",
      );
      expect(error.message).toMatch(why);
    }
    await kit.verifyAndCommit(sent);
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
    const message = kit.report();
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

  // Last: it moves the hub's clock two hours ahead of this machine's (past the instructions' 10-minute life,
  // and past the hour ahead that signers accept: they measure expirations on the destination's time).
  it("an instruction dated by a clock the destination has since left behind is retried on the clock read again", async () => {
    const delivery = f.delivery();
    const before = (await f.sendThroughGateway("spokeA", HUB, kit.report())).sent;
    // Reads the hub's clock and keeps it for the next deliveries.
    expect((await delivery.deliver(before)).status).toBe("delivered");
    await f.hub.connection.networkHelpers.time.increase(2 * 3600);
    const after = (await f.sendThroughGateway("spokeA", HUB, kit.report())).sent;
    // Its instructions expire before the hub's new time: the DVN runs neither, which the delivery notices.
    await layerZeroFailure(() => delivery.deliver(after), "VerificationIneffective");
    expect((await delivery.deliver(after)).status).toBe("delivered");
  });

  it("a packet whose gas budget runs out under the executor is executed through the endpoint with more gas", async () => {
    const { publicClient, walletClient } = f.clients.spokeA;
    const gateway = {
      address: f.layerZero.spokeA.gateway,
      abi: parseAbi([
        "function destinationGas(uint8 kind) view returns (uint128)",
        "function setDestinationGas(uint8 kind, uint128 gas)",
      ]),
    } as const;
    const kind = MESSAGE_TYPE.BalanceReport;
    const setBudget = async (gas: bigint) =>
      publicClient.waitForTransactionReceipt({
        hash: await walletClient.writeContract({
          ...gateway,
          functionName: "setDestinationGas",
          args: [kind, gas],
          chain: walletClient.chain,
        }),
      });
    const budget = await publicClient.readContract({ ...gateway, functionName: "destinationGas", args: [kind] });
    // Far below what applying a report takes: the executor's lzReceive runs out of gas (no revert data).
    await setBudget(30_000n);
    try {
      const { sent } = await f.sendThroughGateway("spokeA", HUB, kit.report({ locked: parseUnits("12", 6) }));
      const outcome = await f.delivery().deliver(sent);
      expect(outcome.status).toBe("delivered");
      const execution = outcome.steps.at(-1);
      expect(execution?.step).toBe("execute");
      const transaction = await f.clients.hub.publicClient.getTransaction({ hash: execution?.transactionHash as Hex });
      expect(transaction.to?.toLowerCase()).toBe(f.layerZero.hub.endpoint.toLowerCase());
      expect(await kit.countedOnSpokeA()).toBe(parseUnits("12", 6));
    } finally {
      await setBudget(budget);
    }
  });
  it("a batched execution that ran out of the packet's gas goes straight to the endpoint; another failure to the executor", async () => {
    // Stand-ins for the hub's delivery queue (unit-test mocks): they report the batched lzReceive as the
    // DeliveryBatcher's CallExecuted would — out of gas (no revert data), or refused with an error — and send nothing.
    const batchedFailure = (revertData: Hex) => ({
      call: async () => ({
        receipt: {} as TransactionReceipt,
        success: false,
        gasUsed: 0n,
        batchSize: 2,
        revertData,
      }),
    });
    const deliveryWith = (revertData: Hex) =>
      createLayerZeroDelivery({
        chains: f.chains.map((chain) =>
          chain.chainId === f.clients.hub.chainId ? { ...chain, deliveries: batchedFailure(revertData) } : chain,
        ),
        signatures: f.signatures,
      });
    const executedBy = async (revertData: Hex, locked: string) => {
      const { sent } = await f.sendThroughGateway("spokeA", HUB, kit.report({ locked: parseUnits(locked, 6) }));
      const outcome = await deliveryWith(revertData).deliver(sent);
      expect(outcome.status).toBe("delivered");
      const execution = outcome.steps.at(-1);
      expect(execution?.step).toBe("execute");
      expect(await kit.countedOnSpokeA()).toBe(parseUnits(locked, 6));
      const transaction = await f.clients.hub.publicClient.getTransaction({ hash: execution?.transactionHash as Hex });
      return transaction.to?.toLowerCase();
    };
    // The executor would run it with the same gas and fail the same way: the endpoint, on an estimate, at once.
    expect(await executedBy("0x", "13")).toBe(f.layerZero.hub.endpoint.toLowerCase());
    // Refused for a reason (a peer's execution first, say): the executor's path, which says why if it fails too.
    expect(await executedBy("0x12345678", "14")).toBe(f.layerZero.hub.executor.toLowerCase());
  });
});
