import http from "node:http";
import https from "node:https";

/** One HTTP exchange with a peer operator. */
export interface PeerHttpRequest {
  url: URL;
  method: "GET" | "POST";
  /** JSON text; sent with `content-type: application/json`. */
  body?: string;
  /** For the whole exchange, answer body and a second try on a fresh connection included. */
  timeoutMs: number;
}

export interface PeerHttpResponse {
  status: number;
  body: string;
}

/** What `PeerClient` needs of HTTP; tests pass a stand-in. Rejects when no complete answer came. */
export type PeerHttp = (request: PeerHttpRequest) => Promise<PeerHttpResponse>;

/**
 * Peers are few and asked all the time, so connections are kept open between requests. `node:http` rather
 * than `fetch`: the delivering operator makes a request per batch of attestations, and undici's fetch cost
 * ~0.35 ms of CPU more per small request (WHATWG streams, headers objects, abort signals), ~8 % of its CPU
 * under load.
 */
const plain = { transport: http, agent: new http.Agent({ keepAlive: true, maxSockets: 16 }) };
const secure = { transport: https, agent: new https.Agent({ keepAlive: true, maxSockets: 16 }) };

export const keepAliveHttp: PeerHttp = async (request) => {
  const deadline = performance.now() + request.timeoutMs;
  try {
    return await exchange(request, deadline);
  } catch (error) {
    // A kept-open connection the peer closed meanwhile fails on reuse, mostly at once and before the request
    // reached the peer, so it goes again on a fresh connection. Within what remains of the timeout: the reset
    // can also come late, and callers wait `timeoutMs` for a peer, not twice that.
    if (error instanceof StaleConnectionError && performance.now() < deadline) return exchange(request, deadline);
    throw error;
  }
};

class StaleConnectionError extends Error {}

/**
 * The most of an answer read: a full batch of 64 attestation answers is under 50 KB. A peer streaming more is broken,
 * and unbounded it would fill memory within the timeout, or past 512 MiB fail to become a string, which in the
 * `end` listener is an uncaught exception that ends the process.
 */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/** One try of `request`, given up at `deadline` (on the `performance.now()` clock). */
function exchange({ url, method, body, timeoutMs }: PeerHttpRequest, deadline: number): Promise<PeerHttpResponse> {
  const { transport, agent } = url.protocol === "https:" ? secure : plain;
  const headers: http.OutgoingHttpHeaders =
    body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const outgoing = transport.request(url, { method, agent, headers }, (incoming) => {
      const chunks: Buffer[] = [];
      let received = 0;
      incoming.on("data", (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_ANSWER_BYTES) outgoing.destroy(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
        else chunks.push(chunk);
      });
      incoming.on("end", () =>
        settle(() => resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") })),
      );
      incoming.on("error", (error) => settle(() => reject(error)));
    });
    const timer = setTimeout(
      () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)),
      deadline - performance.now(),
    );
    outgoing.on("error", (error: NodeJS.ErrnoException) =>
      settle(() =>
        reject(
          outgoing.reusedSocket && error.code === "ECONNRESET"
            ? new StaleConnectionError(error.message, { cause: error })
            : error,
        ),
      ),
    );
    outgoing.end(body);
  });
}
