import Fastify, { type FastifyInstance } from "fastify";
import { type Hex, zeroAddress } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { hash, layerZeroRequest as layerZeroVerificationRequest } from "../../../test/helpers/attestations.ts";
import { AttestationRefusedError } from "../../engine/attestor.ts";
import type { RelayerEngine } from "../../engine/engine.ts";
import type { CheckpointRequestJson } from "../../engine/peers.ts";
import { toVerificationRequestJson } from "../../transports/layerzero/index.ts";
import { installErrorHandler } from "../errors.ts";
import { zodSerializerCompiler, zodValidatorCompiler } from "../zod.ts";
import { attestationRoutes } from "./attestations.ts";

const SIGNER = "0x000000000000000000000000000000000000dEaD";
const SIGNATURE = `0x${"ab".repeat(65)}` as Hex;

const layerZeroRequest = toVerificationRequestJson(layerZeroVerificationRequest);
/** Message 1 is signed, 2 is refused, 3 makes the attestor fail. */
const checkpointRequest = (message: number) => ({
  origin: 70701,
  merkleTreeHook: zeroAddress,
  messageId: hash(message),
});

// The attestor is a stand-in: what is tested is how the routes answer for it, alone and in a batch.
const attestor = {
  layerZero: async () => [{ signer: SIGNER, digest: hash(4), signature: SIGNATURE }],
  hyperlane: async (request: CheckpointRequestJson) => {
    if (request.messageId === hash(2)) throw new AttestationRefusedError("has not seen message");
    if (request.messageId === hash(3)) throw new Error("database at postgres://secret@db is gone");
    return {
      checkpoint: { ...request, root: hash(7), index: 0 },
      validator: SIGNER,
      signature: SIGNATURE,
    };
  },
};

async function appWith(engine: RelayerEngine | null): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(zodSerializerCompiler);
  installErrorHandler(app);
  app.decorate("engine", engine);
  await app.register(attestationRoutes);
  return app;
}
const withAttestor = () => appWith({ attestor } as unknown as RelayerEngine);

describe("attestation routes", () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => app?.close());

  it("answers a batch item by item, each exactly as its single route does", async () => {
    app = await withAttestor();
    const requests = [
      { kind: "layerzero", request: layerZeroRequest },
      { kind: "hyperlane", request: checkpointRequest(1) },
      { kind: "hyperlane", request: checkpointRequest(2) },
      { kind: "hyperlane", request: checkpointRequest(3) },
      { kind: "hyperlane", request: checkpointRequest(1) },
    ];
    const batch = await app.inject({ method: "POST", url: "/v1/attestations/batch", payload: { requests } });
    expect(batch.statusCode).toBe(200);
    const { answers } = batch.json();
    expect(answers.map((answer: { status: number }) => answer.status)).toEqual([200, 200, 422, 500, 200]);
    expect(answers[2]).toEqual({ status: 422, message: "has not seen message" });
    // A 500 says nothing of what failed.
    expect(answers[3]).toEqual({ status: 500, message: "internal error" });
    for (const [index, { kind, request }] of requests.entries()) {
      const single = await app.inject({ method: "POST", url: `/v1/attestations/${kind}`, payload: request });
      expect(answers[index]).toEqual(
        single.statusCode === 200
          ? { status: 200, body: single.json() }
          : { status: single.statusCode, message: single.json().message },
      );
    }
  });

  it("answers 400 with the issues to a malformed batch", async () => {
    const server = await withAttestor();
    app = server;
    const post = (payload: Record<string, unknown>) =>
      server.inject({ method: "POST", url: "/v1/attestations/batch", payload });
    const empty = await post({ requests: [] });
    expect(empty.statusCode).toBe(400);
    const tooMany = await post({
      requests: Array.from({ length: 65 }, () => ({ kind: "hyperlane", request: checkpointRequest(1) })),
    });
    expect(tooMany.statusCode).toBe(400);
    const malformed = await post({
      requests: [
        { kind: "hyperlane", request: checkpointRequest(1) },
        { kind: "hyperlane", request: { ...checkpointRequest(1), messageId: "0x12" } },
        { kind: "wormhole", request: {} },
      ],
    });
    expect(malformed.statusCode).toBe(400);
    const paths = malformed.json().issues.map((issue: { path: string }) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(["body.requests.1.request.messageId", "body.requests.2.kind"]));
  });

  it("answers a batch 503 as a whole when the instance attests nothing, as the single routes do", async () => {
    app = await appWith(null);
    const batch = await app.inject({
      method: "POST",
      url: "/v1/attestations/batch",
      payload: {
        requests: [
          { kind: "layerzero", request: layerZeroRequest },
          { kind: "hyperlane", request: checkpointRequest(1) },
        ],
      },
    });
    const single = await app.inject({
      method: "POST",
      url: "/v1/attestations/hyperlane",
      payload: checkpointRequest(1),
    });
    expect(single.statusCode).toBe(503);
    expect(single.json()).toEqual({
      error: "ServiceUnavailable",
      message: "this instance serves no deployment: it attests nothing",
    });
    expect(batch.statusCode).toBe(503);
    expect(batch.json()).toEqual(single.json());
  });
});
