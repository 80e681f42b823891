import { type Address, type Hex, zeroAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { hash, layerZeroRequest } from "../../test/helpers/attestations.ts";
import { type CheckpointRequest, signCheckpoint } from "../transports/hyperlane/index.ts";
import type { PeerHttp } from "./peer-http.ts";
import { type Peer, PeerClient, type PeerRequestError } from "./peers.ts";
import { localDigestSigner } from "./signer.ts";

// A stand-in for the network between operators: each peer URL answers with a canned response, after a delay.
type Answer = { status: number; body: unknown; delayMs?: number } | "unreachable" | "hang";
function fakeHttp(answers: Record<string, Answer>, calls: string[]): PeerHttp {
  return async ({ url, timeoutMs }) => {
    calls.push(`${url.origin}${url.pathname}`);
    const answer = answers[url.origin];
    if (answer === undefined || answer === "unreachable") throw new Error("connect ECONNREFUSED");
    if (answer === "hang") return hangUntil(timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, answer.delayMs ?? 0));
    return { status: answer.status, body: JSON.stringify(answer.body) };
  };
}

/** A peer that never answers: the exchange fails when its timeout passes, as keepAliveHttp's does. */
const hangUntil = (timeoutMs: number) =>
  new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs));

const self = privateKeyToAccount(`0x${"11".repeat(32)}`).address;
const peerKey = (n: number) =>
  `0x${String(n + 20)
    .padStart(2, "0")
    .repeat(32)}` as Hex;
const peer = (n: number): Peer => ({ url: `http://peer-${n}.test`, address: privateKeyToAccount(peerKey(n)).address });
const checkpointRequest = (validators: Address[], threshold: number): CheckpointRequest => ({
  origin: 70701,
  merkleTreeHook: zeroAddress,
  messageId: hash(1),
  index: 0,
  validators,
  threshold,
});
const CHECKPOINT = { origin: 70701, merkleTreeHook: zeroAddress, root: hash(2), index: 0, messageId: hash(1) };
/** Peer n's real signature of the requested checkpoint, or of another one. */
const signedCheckpoint = (n: number, checkpoint = CHECKPOINT) =>
  signCheckpoint(localDigestSigner(peerKey(n)), checkpoint);

/** Peers 1–3, where 2 and 3 sign what they are asked and peer 1 answers `first`; the hedge never fires. */
async function withPeerOne(first: Answer, calls: string[]): Promise<PeerClient> {
  return new PeerClient({
    peers: [peer(1), peer(2), peer(3)],
    self,
    timeoutMs: 5_000,
    hedgeMs: 60_000,
    http: fakeHttp(
      {
        "http://peer-1.test": first,
        "http://peer-2.test": { status: 200, body: await signedCheckpoint(2) },
        "http://peer-3.test": { status: 200, body: await signedCheckpoint(3) },
      },
      calls,
    ),
  });
}
const hostsOf = (calls: readonly string[]) => calls.map((call) => new URL(call).host);

describe("PeerClient", () => {
  it("asks only as many peers as it needs, taking turns, so each signs its share", async () => {
    const calls: string[] = [];
    const client = new PeerClient({
      peers: [peer(1), peer(2), peer(3)],
      self,
      timeoutMs: 5_000,
      http: fakeHttp(
        Object.fromEntries(
          await Promise.all(
            [1, 2, 3].map(async (n) => [peer(n).url, { status: 200, body: await signedCheckpoint(n) }]),
          ),
        ),
        calls,
      ),
    });
    const validators = [self, peer(1).address, peer(2).address, peer(3).address];
    for (let request = 0; request < 3; request++) {
      // Threshold 2 with its own signature: one peer is wanted.
      expect(await client.hyperlane(checkpointRequest(validators, 2))).toHaveLength(1);
    }
    expect(calls).toEqual(
      ["peer-1", "peer-2", "peer-3"].map((name) => `http://${name}.test/v1/attestations/hyperlane`),
    );
  });

  it("replaces a peer that fails at once, without waiting for the hedge, and asks it last for a while", async () => {
    const calls: string[] = [];
    const client = await withPeerOne("unreachable", calls);
    const validators = [self, peer(1).address, peer(2).address, peer(3).address];
    const started = Date.now();
    for (let request = 0; request < 4; request++) {
      expect(await client.hyperlane(checkpointRequest(validators, 2))).toHaveLength(1);
    }
    expect(Date.now() - started).toBeLessThan(1_000);
    // Peer 1 failed on the first request: the healthy peers 2 and 3 then take turns, and peer 1 is not asked again.
    expect(hostsOf(calls)).toEqual(["peer-1.test", "peer-2.test", "peer-3.test", "peer-2.test", "peer-3.test"]);
  });

  it("keeps the turn of a peer that refused (4xx), asks only the ISM's validators, and settles for fewer", async () => {
    const calls: string[] = [];
    const refusal: Answer = { status: 422, body: { error: "Unprocessable", message: "has not seen message" } };
    const client = await withPeerOne(refusal, calls);
    const all = [self, peer(1).address, peer(2).address, peer(3).address];
    expect(await client.hyperlane(checkpointRequest(all, 2))).toHaveLength(1);
    expect(await client.hyperlane(checkpointRequest(all, 2))).toHaveLength(1);
    expect(await client.hyperlane(checkpointRequest(all, 2))).toHaveLength(1);
    // Turns 1, 2, 3: peer 1 refused the first time and still came first again on its next turn.
    expect(calls.map((call) => new URL(call).host)).toEqual([
      "peer-1.test",
      "peer-2.test",
      "peer-2.test",
      "peer-3.test",
    ]);
    calls.length = 0;
    // Peer 3 alone is in this ISM's set: the others are not asked, and one signature is all there is to have.
    const answers = await client.hyperlane(checkpointRequest([self, peer(3).address], 3));
    expect(answers.map((answer) => answer.validator)).toEqual([peer(3).address]);
    expect(hostsOf(calls)).toEqual(["peer-3.test"]);
  });

  it("asks the other peers after the hedge delay when one it asked is slow", async () => {
    const calls: string[] = [];
    const client = new PeerClient({
      peers: [peer(1), peer(2), peer(3)],
      self,
      timeoutMs: 5_000,
      hedgeMs: 50,
      http: fakeHttp(
        {
          "http://peer-1.test": { status: 200, body: await signedCheckpoint(1), delayMs: 5 },
          "http://peer-2.test": "hang",
          "http://peer-3.test": { status: 200, body: await signedCheckpoint(3), delayMs: 10 },
        },
        calls,
      ),
    });
    const started = Date.now();
    // Own validator in the set, threshold 3: two more are wanted; the hanging peer must not hold the answer.
    const answers = await client.hyperlane(
      checkpointRequest([self, peer(1).address, peer(2).address, peer(3).address], 3),
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(answers.map((answer) => answer.validator).sort()).toEqual([peer(1).address, peer(3).address].sort());
    expect(calls.sort()).toEqual(
      ["peer-1", "peer-2", "peer-3"].map((name) => `http://${name}.test/v1/attestations/hyperlane`),
    );
  });

  it("counts refusals, malformed answers and unreachable peers as missing, reporting each", async () => {
    const errors: string[] = [];
    const client = new PeerClient({
      peers: [peer(1), peer(2), peer(3), peer(4)],
      self,
      timeoutMs: 100,
      onPeerError: (failed, error) => errors.push(`${failed.url}: ${error.message}`),
      http: fakeHttp(
        {
          "http://peer-1.test": { status: 422, body: { error: "Unprocessable", message: "has not seen message" } },
          "http://peer-2.test": { status: 200, body: { checkpoint: "nonsense" } },
          "http://peer-3.test": "unreachable",
          "http://peer-4.test": "hang",
        },
        [],
      ),
    });
    const everyone = [self, ...[1, 2, 3, 4].map((n) => peer(n).address)];
    expect(await client.hyperlane(checkpointRequest(everyone, 2))).toEqual([]);
    expect(errors).toHaveLength(4);
    expect(errors.join("\n")).toMatch(/peer-1.*refused \(422\): has not seen message/);
    expect(errors.join("\n")).toMatch(/peer-2.*unusable answer/);
    expect(errors.join("\n")).toMatch(/peer-3.*did not answer/);
    expect(errors.join("\n")).toMatch(/peer-4.*did not answer/);
  });

  it("asks nobody when its own signature is enough, and never asks itself", async () => {
    const calls: string[] = [];
    const client = new PeerClient({
      peers: [{ url: "http://me.test", address: self }, peer(1)],
      self,
      timeoutMs: 100,
      http: fakeHttp({}, calls),
    });
    expect(await client.hyperlane(checkpointRequest([self, peer(1).address], 1))).toEqual([]);
    expect(calls).toEqual([]);
    await client.layerZero(layerZeroRequest, 0);
    expect(calls).toEqual([]);
  });

  it("does not count a peer's answer that is not its own signature of what was asked", async () => {
    const errors: string[] = [];
    const client = new PeerClient({
      peers: [peer(1), peer(2), peer(3)],
      self,
      timeoutMs: 1_000,
      onPeerError: (failed, error) => errors.push(`${failed.url}: ${error.message}`),
      http: fakeHttp(
        {
          // Fast but useless: another message's checkpoint, and peer 1's signature passed off as peer 2's.
          "http://peer-1.test": { status: 200, body: await signedCheckpoint(1, { ...CHECKPOINT, messageId: hash(8) }) },
          "http://peer-2.test": { status: 200, body: await signedCheckpoint(1) },
          "http://peer-3.test": { status: 200, body: await signedCheckpoint(3), delayMs: 30 },
        },
        [],
      ),
    });
    const answers = await client.hyperlane(
      checkpointRequest([self, peer(1).address, peer(2).address, peer(3).address], 2),
    );
    expect(answers.map((answer) => answer.validator)).toEqual([peer(3).address]);
    expect(errors.join("\n")).toMatch(/peer-1.*unusable answer/);
    expect(errors.join("\n")).toMatch(/peer-2.*unusable answer/);
  });

  it("sends LayerZero requests as JSON and flattens the answers' signatures", async () => {
    let sentBody: unknown;
    const account = privateKeyToAccount(peerKey(1));
    const answer = await Promise.all(
      [hash(4), hash(5)].map(async (digest) => ({
        signer: account.address,
        digest,
        signature: await account.signMessage({ message: { raw: digest } }),
      })),
    );
    const client = new PeerClient({
      peers: [peer(1)],
      self,
      timeoutMs: 1_000,
      http: async ({ body }) => {
        sentBody = JSON.parse(String(body));
        return { status: 200, body: JSON.stringify(answer) };
      },
    });
    expect(await client.layerZero(layerZeroRequest, 1)).toEqual(answer);
    expect(sentBody).toMatchObject({ confirmations: "1", expiration: "1800000000", verify: { digest: hash(4) } });
  });

  it("hears whether some peer delivered within a window; a peer that cannot say counts as quiet", async () => {
    const calls: string[] = [];
    const client = (answers: Record<string, Answer>) =>
      new PeerClient({ peers: [peer(1), peer(2)], self, timeoutMs: 200, http: fakeHttp(answers, calls) });
    const activity = (msSinceLastDelivery: number | null): Answer => ({
      status: 200,
      body: { delivering: true, msSinceLastDelivery },
    });
    expect(await client({ [peer(1).url]: activity(800), [peer(2).url]: "unreachable" }).anyDelivering(2_000)).toBe(
      true,
    );
    expect(await client({ [peer(1).url]: activity(5_000), [peer(2).url]: activity(null) }).anyDelivering(2_000)).toBe(
      false,
    );
    expect(
      await client({
        [peer(1).url]: "hang",
        [peer(2).url]: { status: 200, body: { msSinceLastDelivery: "soon" } },
      }).anyDelivering(2_000),
    ).toBe(false);
    expect(calls.every((call) => call.endsWith("/v1/operators/activity"))).toBe(true);
  });
});

// Coalescing: a peer that answers each attestation request as `answerOf` says, on its single routes and (unless
// it is an older version) on the batch route alike, recording every HTTP request it receives.
type Scripted = { status: number; body: unknown } | "hang";
interface Received {
  path: string;
  body: { requests?: unknown[] };
}
function scriptedHttp(
  answerOf: (request: { messageId: Hex }) => Scripted,
  received: Received[],
  options: { batchRoute: boolean } = { batchRoute: true },
): PeerHttp {
  return async ({ url, body: text, timeoutMs }) => {
    const path = url.pathname;
    const body = JSON.parse(String(text));
    received.push({ path, body });
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (path === "/v1/attestations/hyperlane") {
      const answer = answerOf(body);
      if (answer === "hang") return hangUntil(timeoutMs);
      return { status: answer.status, body: JSON.stringify(answer.body) };
    }
    if (path !== "/v1/attestations/batch" || !options.batchRoute) {
      return { status: 404, body: JSON.stringify({ error: "NotFound", message: `no route POST ${path}` }) };
    }
    const answers = (body.requests as { request: { messageId: Hex } }[]).map(({ request }) => {
      const answer = answerOf(request);
      if (answer === "hang") throw new Error("a hanging item cannot be scripted in a batch");
      return answer.status === 200
        ? { status: 200, body: answer.body }
        : { status: answer.status, message: (answer.body as { message: string }).message };
    });
    return { status: 200, body: JSON.stringify({ answers }) };
  };
}

/** Peer 2's signature of message n's checkpoint, the request for it, and what it is. */
const signedMessage = (n: number) => signedCheckpoint(2, { ...CHECKPOINT, messageId: hash(n) });
const requestForMessage = (n: number): CheckpointRequest => ({
  ...checkpointRequest([peer(2).address], 1),
  messageId: hash(n),
});
const messageNumber = (request: { messageId: Hex }) => Number(BigInt(request.messageId));

describe("PeerClient coalescing", () => {
  it("sends the requests made while one is in flight to a peer together, in one batch after it", async () => {
    const signed = new Map(await Promise.all([1, 2, 3, 4].map(async (n) => [n, await signedMessage(n)] as const)));
    const received: Received[] = [];
    const client = new PeerClient({
      peers: [peer(2)],
      self,
      timeoutMs: 5_000,
      http: scriptedHttp((request) => ({ status: 200, body: signed.get(messageNumber(request)) }), received),
    });
    const answers = await Promise.all([1, 2, 3, 4].map((n) => client.hyperlane(requestForMessage(n))));
    expect(answers.map((answer) => answer.map((signature) => signature.checkpoint.messageId))).toEqual(
      [1, 2, 3, 4].map((n) => [hash(n)]),
    );
    // The first goes at once on its own route; the three made meanwhile go in one batch, in order.
    expect(received.map((request) => request.path)).toEqual(["/v1/attestations/hyperlane", "/v1/attestations/batch"]);
    expect(received[1]?.body.requests).toEqual(
      [2, 3, 4].map((n) => ({
        kind: "hyperlane",
        request: { origin: CHECKPOINT.origin, merkleTreeHook: zeroAddress, messageId: hash(n) },
      })),
    );
    // Nothing in flight any more: the next request goes alone again.
    received.length = 0;
    expect(await client.hyperlane(requestForMessage(1))).toHaveLength(1);
    expect(received.map((request) => request.path)).toEqual(["/v1/attestations/hyperlane"]);
  });

  it("settles each request of a batch as its own single request would have (accepted, refused, failed, unusable)", async () => {
    const answerOf = async (): Promise<(request: { messageId: Hex }) => Scripted> => {
      const signed = await signedMessage(2);
      const byMessage: Record<number, Scripted> = {
        1: { status: 200, body: await signedMessage(1) },
        2: { status: 200, body: signed },
        3: { status: 422, body: { error: "Unprocessable", message: "has not seen message" } },
        4: { status: 500, body: { error: "InternalServerError", message: "internal error" } },
        5: { status: 200, body: { checkpoint: "garbage" } },
        // Peer 2's real signature, but of another message than the one asked.
        6: { status: 200, body: signed },
      };
      return (request) => byMessage[messageNumber(request)] ?? "hang";
    };
    const outcomes = async (together: boolean) => {
      const received: Received[] = [];
      const errors: { message: string; refused: boolean }[] = [];
      const client = new PeerClient({
        peers: [peer(2)],
        self,
        timeoutMs: 5_000,
        onPeerError: (_, error) =>
          errors.push({ message: error.message, refused: (error as PeerRequestError).refused }),
        http: scriptedHttp(await answerOf(), received),
      });
      const messages = [1, 2, 3, 4, 5, 6];
      const counts = together
        ? await Promise.all(messages.map(async (n) => (await client.hyperlane(requestForMessage(n))).length))
        : await messages.reduce(
            async (done, n) => [...(await done), (await client.hyperlane(requestForMessage(n))).length],
            Promise.resolve([] as number[]),
          );
      return { counts, errors, paths: received.map((request) => request.path) };
    };
    const alone = await outcomes(false);
    const together = await outcomes(true);
    expect(alone.paths).not.toContain("/v1/attestations/batch");
    expect(together.paths).toEqual(["/v1/attestations/hyperlane", "/v1/attestations/batch"]);
    expect(together.counts).toEqual([1, 1, 0, 0, 0, 0]);
    expect(together.counts).toEqual(alone.counts);
    expect(together.errors).toEqual(alone.errors);
    expect(together.errors.map((error) => error.refused)).toEqual([true, false, false, false]);
    expect(together.errors[0]?.message).toMatch(/refused \(422\): has not seen message/);
  });

  it("fails every request of a batch the peer did not answer usefully, keeping refusals apart", async () => {
    const batchAnswered = async (status: number, body: unknown) => {
      const errors: PeerRequestError[] = [];
      const signed = await signedMessage(1);
      const client = new PeerClient({
        peers: [peer(2)],
        self,
        timeoutMs: 5_000,
        onPeerError: (_, error) => errors.push(error as PeerRequestError),
        http: async (request) =>
          request.url.pathname === "/v1/attestations/batch"
            ? { status, body: JSON.stringify(body) }
            : scriptedHttp(() => ({ status: 200, body: signed }), [])(request),
      });
      const counts = await Promise.all(
        [1, 2, 3].map(async (n) => (await client.hyperlane(requestForMessage(n))).length),
      );
      expect(counts).toEqual([1, 0, 0]);
      return errors.map((error) => `${error.refused ? "refused" : "failed"}: ${error.message}`);
    };
    expect(await batchAnswered(503, { error: "ServiceUnavailable", message: "busy" })).toEqual([
      expect.stringMatching(/^failed: .*refused \(503\): busy/),
      expect.stringMatching(/^failed: .*refused \(503\): busy/),
    ]);
    expect(await batchAnswered(400, { error: "BadRequest", message: "invalid body" })).toEqual([
      expect.stringMatching(/^refused: .*\(400\): invalid body/),
      expect.stringMatching(/^refused: .*\(400\): invalid body/),
    ]);
    // One answer for two requests: which one it belongs to is anyone's guess.
    expect(await batchAnswered(200, { answers: [{ status: 200, body: {} }] })).toEqual([
      expect.stringMatching(/^failed: .*unusable batch answer: 1 answers to 2 requests/),
      expect.stringMatching(/^failed: .*unusable batch answer: 1 answers to 2 requests/),
    ]);
  });

  it("sends one by one to a peer without the batch route, and asks it for no batch again", async () => {
    const signed = new Map(
      await Promise.all([1, 2, 3, 4, 5, 6].map(async (n) => [n, await signedMessage(n)] as const)),
    );
    const received: Received[] = [];
    const client = new PeerClient({
      peers: [peer(2)],
      self,
      timeoutMs: 5_000,
      http: scriptedHttp((request) => ({ status: 200, body: signed.get(messageNumber(request)) }), received, {
        batchRoute: false,
      }),
    });
    const ask = (messages: number[]) =>
      Promise.all(messages.map(async (n) => (await client.hyperlane(requestForMessage(n))).length));
    expect(await ask([1, 2, 3])).toEqual([1, 1, 1]);
    expect(received.map((request) => request.path)).toEqual([
      "/v1/attestations/hyperlane",
      "/v1/attestations/batch",
      "/v1/attestations/hyperlane",
      "/v1/attestations/hyperlane",
    ]);
    received.length = 0;
    expect(await ask([4, 5, 6])).toEqual([1, 1, 1]);
    expect(received.map((request) => request.path)).toEqual(Array(3).fill("/v1/attestations/hyperlane"));
  });

  it("lets a request queued behind a hanging peer go to the others after the hedge delay", async () => {
    const received: Received[] = [];
    const signed = await Promise.all([1, 2, 3].map((n) => signedCheckpoint(3, { ...CHECKPOINT, messageId: hash(n) })));
    const hangingPeerOne = scriptedHttp(() => "hang", received);
    const peerThree = scriptedHttp((request) => ({ status: 200, body: signed[messageNumber(request) - 1] }), []);
    const client = new PeerClient({
      peers: [peer(1), peer(3)],
      self,
      timeoutMs: 5_000,
      hedgeMs: 30,
      http: (request) => (request.url.host === "peer-1.test" ? hangingPeerOne : peerThree)(request),
    });
    const started = Date.now();
    // Turns: requests 1 and 3 ask peer 1 first; request 3 waits behind request 1, which hangs.
    const answers = await Promise.all(
      [1, 2, 3].map((n) =>
        client.hyperlane({ ...checkpointRequest([peer(1).address, peer(3).address], 1), messageId: hash(n) }),
      ),
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(answers.map((answer) => answer.map((signature) => signature.validator))).toEqual(
      Array(3).fill([peer(3).address]),
    );
    expect(received.map((request) => request.path)).toEqual(["/v1/attestations/hyperlane"]);
  });
});
