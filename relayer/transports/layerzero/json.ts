import { getAddress, type Hex, isAddress } from "viem";
import { z } from "zod/v4";
import { LayerZeroError } from "./errors.ts";
import type { DvnInstruction, VerificationAnswer, VerificationRequest } from "./signatures.ts";

// The JSON forms of what operators exchange over HTTP to collect DVN signatures: bigints travel as
// decimal strings, hex as 0x-prefixed strings checked for their length. The schemas hold no
// transforms, so that they serve as route schemas (validation and OpenAPI) as they are.

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, { message: "must be a 0x-prefixed 20-byte address", abort: true })
  .refine((value) => isAddress(value), "has an invalid checksum");
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x + 64 hex digits");
const bytes = z.string().regex(/^0x(?:[0-9a-fA-F]{2})*$/, "must be 0x-prefixed hex of whole bytes");
const signature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, "must be a 65-byte signature (0x + 130 hex digits)");
const unsigned = (bits: number) =>
  z
    .string()
    .regex(/^(?:0|[1-9][0-9]{0,77})$/, { message: "must be a decimal integer without leading zeros", abort: true })
    .refine((value) => BigInt(value) < 1n << BigInt(bits), `must fit in uint${bits}`);
const chainId = z.int().positive();

const dvnInstructionJson = z.strictObject({ target: address, callData: bytes, digest: bytes32 });

/** A `VerificationRequest` as JSON. */
export const verificationRequestJson = z.strictObject({
  sourceChainId: chainId,
  destinationChainId: chainId,
  transactionHash: bytes32,
  encodedPacket: bytes,
  dvn: address,
  vid: z.uint32(),
  confirmations: unsigned(64),
  expiration: unsigned(256),
  verify: dvnInstructionJson,
  commit: dvnInstructionJson.optional(),
});
export type VerificationRequestJson = z.infer<typeof verificationRequestJson>;

/** A `VerificationAnswer` as JSON: one signature per instruction (verify, and commit when requested). */
export const verificationAnswerJson = z
  .array(z.strictObject({ signer: address, digest: bytes32, signature }))
  .min(1)
  .max(2);
export type VerificationAnswerJson = z.infer<typeof verificationAnswerJson>;

export function toVerificationRequestJson(request: VerificationRequest): VerificationRequestJson {
  return {
    sourceChainId: request.sourceChainId,
    destinationChainId: request.destinationChainId,
    transactionHash: request.transactionHash,
    encodedPacket: request.encodedPacket,
    dvn: request.dvn,
    vid: request.vid,
    confirmations: request.confirmations.toString(),
    expiration: request.expiration.toString(),
    verify: instructionToJson(request.verify),
    ...(request.commit ? { commit: instructionToJson(request.commit) } : {}),
  };
}

/** Parses and converts a request received as JSON; throws a `MalformedJson` LayerZeroError naming the issues. */
export function fromVerificationRequestJson(json: unknown): VerificationRequest {
  const parsed = parse(verificationRequestJson, json, "verification request");
  return {
    sourceChainId: parsed.sourceChainId,
    destinationChainId: parsed.destinationChainId,
    transactionHash: parsed.transactionHash as Hex,
    encodedPacket: parsed.encodedPacket as Hex,
    dvn: getAddress(parsed.dvn),
    vid: parsed.vid,
    confirmations: BigInt(parsed.confirmations),
    expiration: BigInt(parsed.expiration),
    verify: instructionFromJson(parsed.verify),
    ...(parsed.commit ? { commit: instructionFromJson(parsed.commit) } : {}),
  };
}

export function toVerificationAnswerJson(answer: VerificationAnswer): VerificationAnswerJson {
  return answer.map(({ signer, digest, signature }) => ({ signer, digest, signature }));
}

/** Parses and converts an answer received as JSON; throws a `MalformedJson` LayerZeroError naming the issues. */
export function fromVerificationAnswerJson(json: unknown): VerificationAnswer {
  return parse(verificationAnswerJson, json, "signature answer").map((entry) => ({
    signer: getAddress(entry.signer),
    digest: entry.digest as Hex,
    signature: entry.signature as Hex,
  }));
}

const instructionToJson = ({ target, callData, digest }: DvnInstruction) => ({ target, callData, digest });

const instructionFromJson = (json: z.infer<typeof dvnInstructionJson>): DvnInstruction => ({
  target: getAddress(json.target),
  callData: json.callData as Hex,
  digest: json.digest as Hex,
});

function parse<const schema extends z.ZodType>(schema: schema, json: unknown, what: string): z.infer<schema> {
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
  throw new LayerZeroError(
    "MalformedJson",
    `malformed ${what}: ${issues.map((issue) => `${issue.path || "(root)"}: ${issue.message}`).join("; ")}`,
    { details: { issues } },
  );
}
