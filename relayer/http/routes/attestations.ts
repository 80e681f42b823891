import type { FastifyPluginAsync } from "fastify";
import { AttestationRefusedError } from "../../engine/attestor.ts";
import {
  type AttestationBatchAnswerJson,
  type AttestationRequestJson,
  attestationBatchAnswerJson,
  attestationBatchJson,
  type CheckpointRequestJson,
  checkpointRequestJson,
  operatorActivityJson,
  signedCheckpointJson,
} from "../../engine/peers.ts";
import {
  fromVerificationRequestJson,
  toVerificationAnswerJson,
  verificationAnswerJson,
  verificationRequestJson,
} from "../../transports/layerzero/index.ts";
import { errorBodySchema, INTERNAL_ERROR_MESSAGE, ServiceUnavailableError, UnprocessableError } from "../errors.ts";

/**
 * Where peer operators collect this operator's share of the M-of-N attestations. It signs only what
 * its own nodes confirm; a refusal is a 422 with the reason.
 */
export const attestationRoutes: FastifyPluginAsync = async (app) => {
  const attestor = () => {
    if (!app.engine) throw new ServiceUnavailableError("this instance serves no deployment: it attests nothing");
    return app.engine.attestor;
  };
  const refusalsAre422 = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof AttestationRefusedError) throw new UnprocessableError(error.message);
      throw error;
    }
  };
  // What the single routes and the batch route do with one request.
  const attestLayerZero = async (body: unknown) =>
    toVerificationAnswerJson(await refusalsAre422(() => attestor().layerZero(fromVerificationRequestJson(body))));
  const attestHyperlane = (body: CheckpointRequestJson) => refusalsAre422(() => attestor().hyperlane(body));

  /** One batch item's answer: its single route's status and body, or the error handler's status and message. */
  const answerOf = async ({
    kind,
    request,
  }: AttestationRequestJson): Promise<AttestationBatchAnswerJson["answers"][number]> => {
    try {
      const body = kind === "layerzero" ? await attestLayerZero(request) : await attestHyperlane(request);
      return { status: 200, body };
    } catch (error) {
      if (error instanceof UnprocessableError) return { status: error.statusCode, message: error.message };
      app.log.error({ err: error, kind }, "attestation in a batch failed");
      return { status: 500, message: INTERNAL_ERROR_MESSAGE };
    }
  };

  app.post(
    "/v1/attestations/layerzero",
    {
      schema: {
        summary: "Sign a LayerZero DVN verification (and commit) instruction, after checking the packet on our node",
        tags: ["operators"],
        body: verificationRequestJson,
        response: { 200: verificationAnswerJson, 400: errorBodySchema, 422: errorBodySchema, 503: errorBodySchema },
      },
    },
    async (request) => attestLayerZero(request.body),
  );

  app.post(
    "/v1/attestations/hyperlane",
    {
      schema: {
        summary: "Sign the Hyperlane checkpoint of a message in our validator's copy of the origin tree",
        tags: ["operators"],
        body: checkpointRequestJson,
        response: { 200: signedCheckpointJson, 400: errorBodySchema, 422: errorBodySchema, 503: errorBodySchema },
      },
    },
    async (request) => attestHyperlane(checkpointRequestJson.parse(request.body)),
  );

  app.post(
    "/v1/attestations/batch",
    {
      schema: {
        summary: "Answer several LayerZero and Hyperlane attestation requests at once, each as its own route would",
        description:
          "A peer sends the requests that queued behind its request in flight to this operator. Each answer, in order, is the single route's status with its 200 body or its error message; one refusal does not affect the others. An instance that serves no deployment answers the whole batch 503, as it answers each single route.",
        tags: ["operators"],
        body: attestationBatchJson,
        response: { 200: attestationBatchAnswerJson, 400: errorBodySchema, 503: errorBodySchema },
      },
    },
    async (request) => {
      const { requests } = attestationBatchJson.parse(request.body);
      // Without an engine no item could succeed: one 503 for the batch, as the single routes answer.
      attestor();
      return { answers: await Promise.all(requests.map(answerOf)) };
    },
  );

  app.get(
    "/v1/operators/activity",
    {
      schema: {
        summary: "Whether this instance delivers, and how long ago its own delivery transaction last landed",
        description:
          "Backup operators ask before delivering a message that came due: while a peer is visibly delivering they leave it to that peer.",
        tags: ["operators"],
        response: { 200: operatorActivityJson },
      },
    },
    async () => app.engine?.activity() ?? { delivering: false, msSinceLastDelivery: null },
  );
};
