import { type Address, getAddress, type Hex, isAddress, isAddressEqual, isHex } from "viem";
import { z } from "zod/v4";
import { XmarginError } from "../../sdk/errors.ts";
import {
  type CheckpointRequest,
  type CheckpointSignatureSource,
  isValidCheckpointSignature,
  type SignedCheckpoint,
} from "../transports/hyperlane/index.ts";
import {
  fromVerificationAnswerJson,
  type PeerSignatureRequester,
  toVerificationRequestJson,
  verificationAnswerJson,
  verificationRequestJson,
} from "../transports/layerzero/index.ts";
import { keepAliveHttp, type PeerHttp, type PeerHttpResponse } from "./peer-http.ts";
import { recoverDigestSigner } from "./signer.ts";

const address = z
  .string()
  .refine((value) => isAddress(value), { message: "must be a 20-byte hex address", abort: true })
  .transform((value) => getAddress(value));
const bytes32 = z
  .string()
  .refine((value) => isHex(value, { strict: true }) && value.length === 66, "must be 0x + 64 hex digits")
  .transform((value) => value as Hex);
const signature = z
  .string()
  .refine((value) => isHex(value, { strict: true }) && value.length === 132, "must be a 65-byte signature")
  .transform((value) => value as Hex);

/** What a peer asks this operator's validator: the checkpoint of one message in one origin tree. */
export const checkpointRequestJson = z.strictObject({
  origin: z.number().int().nonnegative(),
  merkleTreeHook: address,
  messageId: bytes32,
});
export type CheckpointRequestJson = z.output<typeof checkpointRequestJson>;

export const signedCheckpointJson = z.strictObject({
  checkpoint: z.strictObject({
    origin: z.number().int().nonnegative(),
    merkleTreeHook: address,
    root: bytes32,
    index: z.number().int().nonnegative(),
    messageId: bytes32,
  }),
  validator: address,
  signature,
});

/** The most attestation requests one batch carries: the engine's own concurrency per chain. */
export const MAX_ATTESTATION_BATCH = 64;

const attestationRequestJson = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("layerzero"), request: verificationRequestJson }),
  z.strictObject({ kind: z.literal("hyperlane"), request: checkpointRequestJson }),
]);
/** One attestation request: what the single route `/v1/attestations/{kind}` takes as its body. */
export type AttestationRequestJson = z.output<typeof attestationRequestJson>;

/** Several attestation requests to one peer, sent together while an earlier request to it was in flight. */
export const attestationBatchJson = z.strictObject({
  requests: z.array(attestationRequestJson).min(1).max(MAX_ATTESTATION_BATCH),
});

/** Each request's answer, in order: what its single route would have answered, status and all. */
export const attestationBatchAnswerJson = z.strictObject({
  answers: z.array(
    z.union([
      z.strictObject({
        status: z.literal(200),
        body: z.union([verificationAnswerJson, signedCheckpointJson]).describe("the single route's 200 body"),
      }),
      z.strictObject({ status: z.union([z.literal(422), z.literal(500)]), message: z.string() }),
    ]),
  ),
});
export type AttestationBatchAnswerJson = z.output<typeof attestationBatchAnswerJson>;
/**
 * A batch answer as the client reads it: each body is checked on its own by the request's `accept`, so
 * that one unusable answer fails only its own request, as it would have on the single route.
 */
const receivedBatchAnswerJson = z.object({
  answers: z.array(z.object({ status: z.int(), body: z.unknown(), message: z.string().optional() })),
});
type ReceivedBatchAnswer = z.output<typeof receivedBatchAnswerJson>["answers"][number];

/** What an operator says of its own deliveries, so its backups know whether to stand by. */
export const operatorActivityJson = z.strictObject({
  delivering: z.boolean().describe("whether this instance delivers messages at all"),
  msSinceLastDelivery: z
    .number()
    .nonnegative()
    .nullable()
    .describe("milliseconds since this instance's own delivery transaction last landed; null before the first"),
});
export type OperatorActivityJson = z.output<typeof operatorActivityJson>;

/** A peer operator as the config lists it. */
export interface Peer {
  url: string;
  address: Address;
}

export class PeerRequestError extends XmarginError {
  override name = "PeerRequestError";
  /**
   * The peer answered with a 4xx refusal (e.g. its node has not shown it the message yet): it is up and honest,
   * so it keeps its turn, unlike a peer that did not answer, failed (5xx) or sent an unusable answer.
   */
  readonly refused: boolean;
  /** The HTTP status of a peer's non-2xx answer. */
  readonly status: number | undefined;
  constructor(message: string, options: { cause?: unknown; refused?: boolean; status?: number } = {}) {
    super(message, { cause: options.cause });
    this.refused = options.refused ?? false;
    this.status = options.status;
  }
}

/** How long the peers first asked have to answer before the others are asked too. */
export const DEFAULT_HEDGE_MS = 150;
/** How long a peer whose answer failed is asked only after the others. */
const FAILED_PEER_LAST_MS = 10_000;

export interface PeerClientOptions {
  peers: readonly Peer[];
  /** This operator's own verifier address: its signature comes from its own key, never from a peer. */
  self: Address;
  timeoutMs: number;
  /** Default `DEFAULT_HEDGE_MS`. */
  hedgeMs?: number;
  /** A peer did not answer usefully; the others still count. */
  onPeerError?: (peer: Peer, error: Error) => void;
  /** Default `keepAliveHttp`. */
  http?: PeerHttp;
}

/**
 * Asks the peer operators for their attestations over HTTP and returns as soon as enough answered. It asks
 * only as many peers as it needs, taking turns so that the load spreads; a peer that fails is replaced at
 * once (and asked last for a while), and one that is slow is joined by every other peer after a short
 * hedge delay. So a peer that is down delays nothing while enough others are up, and each peer signs only
 * its share of the messages instead of all of them. Answers are data: the transports check every signature
 * before using it.
 */
export class PeerClient {
  private readonly http: PeerHttp;
  /** Rotates which peers are asked first. */
  private turn = 0;
  /** Peers whose last answer failed, until when they are asked last. */
  private readonly failedUntil = new Map<string, number>();
  /** Per peer URL: the request in flight and those waiting to go together after it. */
  private readonly lanes = new Map<string, PeerLane>();

  constructor(private readonly options: PeerClientOptions) {
    this.http = options.http ?? keepAliveHttp;
  }

  /** LayerZero DVN signatures (one per instruction of the request) from up to `wanted` peers. */
  readonly layerZero: PeerSignatureRequester = async (request, wanted) => {
    if (wanted <= 0) return [];
    const digests = [request.verify.digest, request.commit?.digest].flatMap((digest) =>
      digest ? [digest.toLowerCase()] : [],
    );
    const answers = await this.gather(
      wanted,
      { kind: "layerzero", request: toVerificationRequestJson(request) },
      () => true,
      async (json, peer) => {
        const answer = fromVerificationAnswerJson(json);
        for (const signature of answer) {
          const signer = await recoverDigestSigner(signature.digest, signature.signature).catch(() => undefined);
          if (
            !isAddressEqual(signature.signer, peer.address) ||
            !digests.includes(signature.digest.toLowerCase()) ||
            signer === undefined ||
            !isAddressEqual(signer, peer.address)
          ) {
            throw new Error(`a signature that is not ${peer.address}'s of this request's instructions`);
          }
        }
        return answer;
      },
    );
    return answers.flat();
  };

  /** Hyperlane checkpoint signatures: as many peers as the threshold still needs beyond this operator. */
  readonly hyperlane: CheckpointSignatureSource = async (request: CheckpointRequest) => {
    const ownIsInSet = request.validators.some((validator) => isAddressEqual(validator, this.options.self));
    const wanted = request.threshold - (ownIsInSet ? 1 : 0);
    const body = { origin: request.origin, merkleTreeHook: request.merkleTreeHook, messageId: request.messageId };
    // Only the ISM's validators can count towards its threshold: other peers are not asked.
    const inSet = (peer: Peer) => request.validators.some((validator) => isAddressEqual(validator, peer.address));
    return this.gather(
      wanted,
      { kind: "hyperlane", request: body },
      inSet,
      async (json, peer): Promise<SignedCheckpoint> => {
        const signed: SignedCheckpoint = signedCheckpointJson.parse(json);
        const { checkpoint } = signed;
        if (
          !isAddressEqual(signed.validator, peer.address) ||
          checkpoint.origin !== request.origin ||
          !isAddressEqual(checkpoint.merkleTreeHook, request.merkleTreeHook) ||
          checkpoint.messageId.toLowerCase() !== request.messageId.toLowerCase() ||
          checkpoint.index !== request.index ||
          !(await isValidCheckpointSignature(signed))
        ) {
          throw new Error(`not ${peer.address}'s signature of message ${request.messageId} at index ${request.index}`);
        }
        return signed;
      },
    );
  };

  /** Whether some peer says its own delivery transaction landed within the last `windowMs`. */
  async anyDelivering(windowMs: number): Promise<boolean> {
    const peers = this.options.peers.filter((peer) => !isAddressEqual(peer.address, this.options.self));
    const answers = await Promise.all(
      peers.map(async (peer) => {
        try {
          const response = await this.http({
            url: new URL("/v1/operators/activity", peer.url),
            method: "GET",
            timeoutMs: this.options.timeoutMs,
          });
          if (!isSuccess(response.status)) return false;
          const { msSinceLastDelivery } = operatorActivityJson.parse(JSON.parse(response.body));
          return msSinceLastDelivery !== null && msSinceLastDelivery <= windowMs;
        } catch (error) {
          // A peer that cannot say counts as quiet: the backup then delivers.
          this.options.onPeerError?.(peer, error instanceof Error ? error : new Error(String(error)));
          return false;
        }
      }),
    );
    return answers.some(Boolean);
  }

  /**
   * Asks `wanted` peers (more as they fail, all after the hedge delay); resolves once `wanted` of them gave an
   * answer that `accept` took (it checks the answer is the peer's own signature of what was asked), or every
   * peer has answered. A peer whose answer is refused counts as missing: a faulty peer can neither stall nor
   * fill the quorum.
   */
  private gather<T>(
    wanted: number,
    attestation: AttestationRequestJson,
    eligible: (peer: Peer) => boolean,
    accept: (json: unknown, peer: Peer) => Promise<T>,
  ): Promise<T[]> {
    const order = this.askingOrder(eligible);
    if (wanted <= 0 || order.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const answers: T[] = [];
      let asked = 0;
      let settled = 0;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(hedge);
        resolve(answers.slice());
      };
      const askNext = () => {
        const peer = order[asked];
        if (done || peer === undefined) return;
        asked += 1;
        this.ask(peer, attestation, accept)
          .then((answer) => {
            answers.push(answer);
          })
          .catch((error: unknown) => {
            if (!(error instanceof PeerRequestError && error.refused)) {
              this.failedUntil.set(peer.url, Date.now() + FAILED_PEER_LAST_MS);
            }
            this.options.onPeerError?.(peer, error instanceof Error ? error : new Error(String(error)));
            askNext();
          })
          .finally(() => {
            settled += 1;
            if (answers.length >= wanted || settled === order.length) finish();
          });
      };
      const hedge = setTimeout(() => {
        while (!done && asked < order.length) askNext();
      }, this.options.hedgeMs ?? DEFAULT_HEDGE_MS);
      hedge.unref();
      for (let index = 0; index < wanted; index++) askNext();
    });
  }

  /** The eligible peers to ask, the healthy ones taking turns at the front; those that failed lately go last. */
  private askingOrder(eligible: (peer: Peer) => boolean): Peer[] {
    const now = Date.now();
    const peers = this.options.peers.filter(
      (peer) => !isAddressEqual(peer.address, this.options.self) && eligible(peer),
    );
    const failedLately = (peer: Peer) => (this.failedUntil.get(peer.url) ?? 0) > now;
    const healthy = peers.filter((peer) => !failedLately(peer));
    const start = healthy.length === 0 ? 0 : this.turn++ % healthy.length;
    return [...healthy.slice(start), ...healthy.slice(0, start), ...peers.filter(failedLately)];
  }

  private async ask<T>(
    peer: Peer,
    attestation: AttestationRequestJson,
    accept: (json: unknown, peer: Peer) => Promise<T>,
  ): Promise<T> {
    const json = await this.coalesced(peer, attestation);
    try {
      return await accept(json, peer);
    } catch (error) {
      throw new PeerRequestError(`peer ${peer.address} sent an unusable answer: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /**
   * One request in flight per peer: a request made while none is goes at once on its own route, those made
   * meanwhile wait for it and then go together in one batch, so that under load each peer gets a few large
   * requests instead of one per message. A peer without the batch route (404) gets them one by one instead.
   */
  private coalesced(peer: Peer, attestation: AttestationRequestJson): Promise<unknown> {
    let lane = this.lanes.get(peer.url);
    if (lane === undefined) {
      lane = { busy: false, batches: true, waiting: [] };
      this.lanes.set(peer.url, lane);
    }
    if (!lane.batches) return this.single(peer, attestation);
    if (lane.busy) {
      const queue = lane.waiting;
      return new Promise((resolve, reject) => queue.push({ attestation, resolve, reject }));
    }
    lane.busy = true;
    const answer = this.single(peer, attestation);
    const sendWaiting = () => this.sendWaiting(peer, lane);
    answer.then(sendWaiting, sendWaiting);
    return answer;
  }

  /** Sends what waited for the peer's request in flight, and keeps doing so until nothing waits. */
  private sendWaiting(peer: Peer, lane: PeerLane): void {
    const sendAlone = (item: WaitingAttestation) => this.single(peer, item.attestation).then(item.resolve, item.reject);
    if (!lane.batches) {
      lane.busy = false;
      for (const item of lane.waiting.splice(0)) void sendAlone(item);
      return;
    }
    const waiting = lane.waiting.splice(0, MAX_ATTESTATION_BATCH);
    const [first] = waiting;
    if (first === undefined) {
      lane.busy = false;
      return;
    }
    const sent = waiting.length === 1 ? sendAlone(first) : this.batch(peer, lane, waiting);
    void sent.then(() => this.sendWaiting(peer, lane));
  }

  /** Settles each of `waiting` with its answer in one batch request; never rejects. */
  private async batch(peer: Peer, lane: PeerLane, waiting: readonly WaitingAttestation[]): Promise<void> {
    let answers: ReceivedBatchAnswer[];
    try {
      const json = await this.post(peer, "/v1/attestations/batch", {
        requests: waiting.map((item) => item.attestation),
      });
      answers = this.batchAnswers(peer, json, waiting.length);
    } catch (error) {
      if (error instanceof PeerRequestError && error.status === 404) {
        // An older version without the batch route: it has every single route, so ask as before.
        lane.batches = false;
        lane.waiting.unshift(...waiting);
        return;
      }
      for (const item of waiting) item.reject(error);
      return;
    }
    waiting.forEach((item, index) => {
      const answer = answers[index];
      if (answer?.status === 200) item.resolve(answer.body);
      else if (answer !== undefined && answer.status >= 400) {
        item.reject(refusal(peer, answer.status, answer.message ?? ""));
      } else {
        item.reject(new PeerRequestError(`peer ${peer.address} sent an unusable answer: status ${answer?.status}`));
      }
    });
  }

  private batchAnswers(peer: Peer, json: unknown, count: number): ReceivedBatchAnswer[] {
    const parsed = receivedBatchAnswerJson.safeParse(json);
    const problem = !parsed.success
      ? parsed.error.message
      : parsed.data.answers.length !== count
        ? `${parsed.data.answers.length} answers to ${count} requests`
        : undefined;
    if (parsed.success && problem === undefined) return parsed.data.answers;
    throw new PeerRequestError(`peer ${peer.address} sent an unusable batch answer: ${problem}`);
  }

  private single(peer: Peer, { kind, request }: AttestationRequestJson): Promise<unknown> {
    return this.post(peer, `/v1/attestations/${kind}`, request);
  }

  /** POSTs `body` and returns the JSON of a 2xx answer; any other outcome is a PeerRequestError. */
  private async post(peer: Peer, path: string, body: unknown): Promise<unknown> {
    let response: PeerHttpResponse;
    try {
      response = await this.http({
        url: new URL(path, peer.url),
        method: "POST",
        body: JSON.stringify(body),
        timeoutMs: this.options.timeoutMs,
      });
    } catch (error) {
      throw new PeerRequestError(`peer ${peer.address} at ${peer.url} did not answer: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const text = response.body;
    if (!isSuccess(response.status)) {
      let reason = text.slice(0, 300);
      try {
        reason = (JSON.parse(text) as { message?: string }).message ?? reason;
      } catch {}
      throw refusal(peer, response.status, reason);
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new PeerRequestError(`peer ${peer.address} sent an unusable answer: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

const isSuccess = (status: number) => status >= 200 && status < 300;

/** A peer's non-2xx answer: a 4xx is a refusal (the peer keeps its turn), a 5xx a failure. */
function refusal(peer: Peer, status: number, reason: string): PeerRequestError {
  return new PeerRequestError(`peer ${peer.address} refused (${status}): ${reason}`, {
    refused: status < 500,
    status,
  });
}

interface WaitingAttestation {
  attestation: AttestationRequestJson;
  resolve: (json: unknown) => void;
  reject: (error: unknown) => void;
}

/** The requests to one peer: whether one is in flight, whether it has the batch route, and what waits. */
interface PeerLane {
  busy: boolean;
  batches: boolean;
  waiting: WaitingAttestation[];
}
