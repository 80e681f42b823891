import type { FastifyPluginAsync } from "fastify";
import { AttestationRefusedError } from "../../engine/attestor.ts";
import { checkpointRequestJson, operatorActivityJson, signedCheckpointJson } from "../../engine/peers.ts";
import {
  fromVerificationRequestJson,
  toVerificationAnswerJson,
  verificationAnswerJson,
  verificationRequestJson,
} from "../../transports/layerzero/index.ts";
import { errorBodySchema, ServiceUnavailableError, UnprocessableError } from "../errors.ts";

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
    async (request) => {
      const verification = fromVerificationRequestJson(request.body);
      return toVerificationAnswerJson(await refusalsAre422(() => attestor().layerZero(verification)));
    },
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
    async (request) => {
      const body = checkpointRequestJson.parse(request.body);
      return refusalsAre422(() => attestor().hyperlane(body));
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
