// The JSON forms of DVN verification requests and signature answers that operators exchange over
// HTTP: exact round trips (bigints beyond 2^53 included) and refusal of anything malformed.
import { PacketV1Codec } from "@layerzerolabs/lz-v2-utilities";
import { type Hex, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { localDigestSigner } from "../../../relayer/engine/signer.ts";
import {
  decodePacket,
  fromVerificationAnswerJson,
  fromVerificationRequestJson,
  LayerZeroError,
  localSignatures,
  toVerificationAnswerJson,
  toVerificationRequestJson,
  verificationAnswerJson,
  verificationRequest,
  verificationRequestJson,
} from "../../../relayer/transports/layerzero/index.ts";

const packet = decodePacket(
  PacketV1Codec.encode({
    version: 1,
    nonce: "9",
    srcEid: 40_701,
    sender: toHex(0xabcdefn, { size: 32 }),
    dstEid: 40_700,
    receiver: toHex(0x1234n, { size: 32 }),
    guid: keccak256(toHex("guid")),
    message: keccak256(toHex("a message")),
    payload: "",
  }) as Hex,
);
const request = verificationRequest(packet, {
  sourceChainId: 70_701,
  destinationChainId: 70_700,
  transactionHash: keccak256("0x01"),
  dvn: "0x00000000000000000000000000000000000000D1",
  vid: 4_294_967_295,
  receiveUln302: "0x00000000000000000000000000000000000000E2",
  confirmations: 2n ** 64n - 1n,
  expiration: 2n ** 200n,
  commit: true,
});
const signer = localDigestSigner(keccak256(toHex("json signer")));

/** `fromJson(value)` must throw a MalformedJson LayerZeroError naming `path`. */
function expectMalformed(fromJson: (json: unknown) => unknown, value: unknown, path: string) {
  try {
    fromJson(value);
  } catch (error) {
    expect(error).toBeInstanceOf(LayerZeroError);
    expect((error as LayerZeroError).kind).toBe("MalformedJson");
    expect((error as LayerZeroError).details?.issues).toEqual(
      expect.arrayContaining([expect.objectContaining({ path })]),
    );
    return;
  }
  throw new Error(`accepted a malformed ${path}`);
}

describe("verification requests as JSON", () => {
  it("round-trips through JSON text, with bigints as decimal strings", () => {
    const json = toVerificationRequestJson(request);
    expect(json.confirmations).toBe("18446744073709551615");
    expect(json.expiration).toBe((2n ** 200n).toString());
    expect(verificationRequestJson.parse(json)).toEqual(json);
    expect(fromVerificationRequestJson(JSON.parse(JSON.stringify(json)))).toEqual(request);
    const { commit: _, ...verifyOnly } = request;
    expect(fromVerificationRequestJson(JSON.parse(JSON.stringify(toVerificationRequestJson(verifyOnly))))).toEqual(
      verifyOnly,
    );
  });

  it("rejects malformed fields, unknown fields and out-of-range numbers", () => {
    const json = toVerificationRequestJson(request);
    const cases: [unknown, string][] = [
      [{ ...json, confirmations: 5 }, "confirmations"],
      [{ ...json, confirmations: "18446744073709551616" }, "confirmations"],
      [{ ...json, expiration: "-1" }, "expiration"],
      [{ ...json, expiration: "007" }, "expiration"],
      [{ ...json, expiration: (2n ** 256n).toString() }, "expiration"],
      [{ ...json, vid: 2 ** 32 }, "vid"],
      [{ ...json, sourceChainId: 1.5 }, "sourceChainId"],
      [{ ...json, transactionHash: json.transactionHash.slice(0, 64) }, "transactionHash"],
      [{ ...json, encodedPacket: `${json.encodedPacket}0` }, "encodedPacket"],
      [{ ...json, encodedPacket: json.encodedPacket.slice(2) }, "encodedPacket"],
      [{ ...json, dvn: "0x00000000000000000000000000000000000000d" }, "dvn"],
      // A mixed-case address must carry a valid EIP-55 checksum.
      [{ ...json, dvn: "0x00000000000000000000000000000000000000dD" }, "dvn"],
      [{ ...json, verify: { ...json.verify, digest: "0xzz" } }, "verify.digest"],
      [{ ...json, commit: { ...json.verify, extra: 1 } }, "commit"],
      [{ ...json, commit: null }, "commit"],
      [{ ...json, target: json.verify.target }, ""],
    ];
    for (const [value, path] of cases) expectMalformed(fromVerificationRequestJson, value, path);
    const { verify: _, ...withoutVerify } = json;
    expectMalformed(fromVerificationRequestJson, withoutVerify, "verify");
    expectMalformed(fromVerificationRequestJson, "not an object", "");
  });
});

describe("signature answers as JSON", () => {
  it("round-trips one signature per instruction", async () => {
    const answer = await localSignatures([signer])(request);
    expect(answer).toHaveLength(2);
    const json = toVerificationAnswerJson(answer);
    expect(verificationAnswerJson.parse(json)).toEqual(json);
    expect(fromVerificationAnswerJson(JSON.parse(JSON.stringify(json)))).toEqual(answer);
  });

  it("rejects malformed signatures, digests and signers, and empty or oversized answers", async () => {
    const [entry] = toVerificationAnswerJson(await localSignatures([signer])(request));
    if (!entry) throw new Error("no signature");
    const cases: [unknown, string][] = [
      [[{ ...entry, signature: entry.signature.slice(0, 130) }], "0.signature"],
      [[{ ...entry, signature: `${entry.signature}00` }], "0.signature"],
      [[{ ...entry, digest: entry.digest.slice(0, 64) }], "0.digest"],
      [[{ ...entry, signer: "0x1234" }], "0.signer"],
      [[{ signer: entry.signer, signature: entry.signature }], "0.digest"],
      [[], ""],
      [[entry, entry, entry], ""],
      [entry, ""],
    ];
    for (const [value, path] of cases) expectMalformed(fromVerificationAnswerJson, value, path);
  });
});
