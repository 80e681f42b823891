import { describe, expect, it } from "vitest";
import { type CodecVectors, loadVectors } from "../../test/vectors/index.ts";
import { CodecError, decodeMessage, encodeMessage, type Message, type MessageInput } from "./index.ts";

const vectors = loadVectors<CodecVectors>("codec.json");

/** JSON vectors carry numbers as decimal strings; the codec speaks bigint. */
function fromJson(fields: Record<string, string | number>): Message {
  const message: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    message[key] = typeof value === "string" && /^\d+$/.test(value) ? BigInt(value) : value;
  }
  return message as unknown as Message;
}

describe("codec vectors", () => {
  it.each(vectors.valid)("encodes $name", ({ hex, message }) => {
    expect(encodeMessage(fromJson(message))).toBe(hex);
  });

  it.each(vectors.valid)("decodes $name", ({ hex, message }) => {
    expect(decodeMessage(hex)).toEqual(fromJson(message));
  });

  it.each(vectors.malformed)("rejects $name with $error", ({ hex, error, args }) => {
    const thrown = (() => {
      try {
        decodeMessage(hex);
      } catch (e) {
        return e;
      }
      throw new Error("decoding succeeded");
    })();
    expect(thrown).toBeInstanceOf(CodecError);
    expect((thrown as CodecError).kind).toBe(error);
    expect((thrown as CodecError).args).toEqual(args.map(BigInt));
  });
});

describe("codec edge cases", () => {
  const report: MessageInput = {
    type: "BalanceReport",
    origin: 1n,
    destination: 2n,
    account: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    asset: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    total: 5n,
    locked: 3n,
    seq: 1n,
    lastCommandNonce: 0n,
  };

  it("refuses to encode a number wider than its field", () => {
    expect(() => encodeMessage({ ...report, seq: 1n << 64n })).toThrowError(/seq .* does not fit in 64 bits/);
    expect(() => encodeMessage({ ...report, total: -1n })).toThrowError(CodecError);
  });

  it("rejects a string that is not hex", () => {
    expect(() => decodeMessage("0xzz" as `0x${string}`)).toThrowError(/not a 0x-prefixed hex string/);
  });

  it("round-trips lower-case addresses to checksummed ones", () => {
    const lower = { ...report, account: report.account.toLowerCase() as `0x${string}` };
    expect(decodeMessage(encodeMessage(lower))).toMatchObject({ account: report.account, version: 1 });
  });
});
