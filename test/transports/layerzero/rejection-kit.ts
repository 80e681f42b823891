// What the LayerZero rejection tests share, over one deployed fixture: the reports they send, the hub's
// books they check, and honest verification to unblock a path after a refused packet. Used by the
// LayerZero suite and the adversarial catalogue (test/adversarial).
import { type Address, type Hash, parseEventLogs, parseUnits } from "viem";
import { expect } from "vitest";
import type { DigestSigner } from "../../../relayer/engine/signer.ts";
import {
  assembleSignatures,
  type DvnInstruction,
  type DvnSignature,
  decodeRevertReason,
  dvnAbi,
  dvnInstructionDigest,
  LayerZeroError,
  type LayerZeroErrorKind,
  localSignatures,
  type SentPacket,
  type VerificationRequest,
} from "../../../relayer/transports/layerzero/index.ts";
import { CHAIN_IDS } from "../../../sdk/chains.ts";
import { encodeMessage } from "../../../sdk/codec/index.ts";
import { SPOKE_A } from "../../helpers/hub.ts";
import { DVN_QUORUM, dvnSigners, type LayerZeroFixture } from "./fixture.ts";

export const HUB = BigInt(CHAIN_IDS.hub);

/** Runs `action` and returns the LayerZeroError it must throw. */
export async function layerZeroFailure(
  action: () => Promise<unknown>,
  kind: LayerZeroErrorKind,
): Promise<LayerZeroError> {
  try {
    await action();
  } catch (error) {
    expect(error).toBeInstanceOf(LayerZeroError);
    expect((error as LayerZeroError).kind).toBe(kind);
    return error as LayerZeroError;
  }
  throw new Error(`expected a ${kind} LayerZeroError`);
}

/** `signers`' signatures of the verify instruction of `request`, in the ascending signer order the DVN wants. */
export async function verifySignaturesBySigner(
  signers: readonly DigestSigner[],
  request: VerificationRequest,
): Promise<DvnSignature[]> {
  return (await localSignatures(signers)(request))
    .filter((signature) => signature.digest === request.verify.digest)
    .toSorted((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1));
}

export type LayerZeroRejectionKit = ReturnType<typeof layerZeroRejectionKit>;

export function layerZeroRejectionKit(f: LayerZeroFixture) {
  const trader: Address = f.hub.trader.account.address;
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
  /**
   * Verifies `sent` honestly where the commit batched with it must fail: the DVN executes the verify
   * only, and the commit's failure is what it caught.
   */
  const verifyWithCommitCaught = async (sent: SentPacket) => {
    const delivery = f.delivery();
    const request = await delivery.verificationRequest(sent);
    const signatures = await assembleSignatures(request, await f.signatures(request), committee());
    const verified = await delivery.submitVerification(sent, request, signatures);
    expect(verified.step).toBe("verify");
    return caughtByDvn(verified.transactionHash);
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

  return {
    trader,
    report,
    countedOnSpokeA,
    committee,
    verifyAndCommit,
    caughtByDvn,
    verifyWithCommitCaught,
    altered,
  };
}
