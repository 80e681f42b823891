// Seeded random requests against every route of the relayer app, taken from its route table as the app
// registers them, so that new routes are fuzzed without touching this file: mutations of a valid request
// where the table below has one, and random params, query strings, bodies, content types and methods
// everywhere. The app has a store and no deployment, and its one chain does not answer. Whatever comes in,
// the answer is never a 5xx the route does not document, and every error is the JSON error body.
// Reproduce a failure with XMARGIN_FUZZ_SEED=<the seed in its message>.
import Fastify, { type FastifyInstance, type HTTPMethods, type RouteOptions } from "fastify";
import { getAddress, toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod/v4";
import { relayerApp } from "../../relayer/app.ts";
import { errorBodySchema } from "../../relayer/http/errors.ts";
import { mulberry32 } from "../helpers/random.ts";
import {
  MESSAGE_ID,
  type OfflineRelayerConfig,
  offlineRelayerConfig,
  storeDiscoveredMessage,
} from "../helpers/relayer-api.ts";

const SEED = Number(process.env.XMARGIN_FUZZ_SEED ?? 20_251_203);
const REQUESTS_PER_ROUTE = 60;
/** Requests in flight at once: a route waiting on the dead chain must not hold the others up. */
const CONCURRENCY = 20;
const ADDRESS = getAddress("0x70997970c51812dc3a010c7d01b50e9d17dc79c8");

/** Input picks, each from one 32-bit word of mulberry32. */
function random(seed: number) {
  const next32 = mulberry32(seed);
  const next = () => next32() / 4_294_967_296;
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const hex = (bytes: number) => toHex(Uint8Array.from({ length: bytes }, () => int(256)));
  return { next, int, pick, hex, chance: (p: number) => next() < p };
}
type Random = ReturnType<typeof random>;

/** Strings that have broken parsers before: near-valid ids, numbers at their limits, encodings, junk. */
function interestingStrings(rng: Random): string[] {
  return [
    "",
    " ",
    "0",
    "-1",
    "1",
    "1.5",
    "1e9",
    "0x10",
    "NaN",
    "Infinity",
    "null",
    "true",
    "[]",
    "{}",
    "__proto__",
    "constructor",
    "9".repeat(100),
    (2n ** 64n).toString(),
    (2n ** 256n - 1n).toString(),
    (2n ** 256n).toString(),
    String(Math.floor(Date.now() / 1000) + 3600),
    "0x",
    "0x0",
    "0xzz",
    rng.hex(rng.int(70)),
    rng.hex(20),
    ADDRESS,
    ADDRESS.toLowerCase(),
    ADDRESS.replace("C", "c").replace("E", "e"),
    rng.hex(32),
    MESSAGE_ID,
    rng.hex(65),
    rng.hex(66),
    "discovered",
    "delivered",
    "layerzero",
    "hyperlane",
    "BalanceReport",
    "Release",
    "..",
    "../../etc/passwd",
    "%00",
    "%ZZ",
    "\u0000",
    "\uffff",
    "💥",
    "a".repeat(5_000),
    "<script>alert(1)</script>",
    "' OR 1=1 --",
  ];
}

function randomJson(rng: Random, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 5 : 7)) {
    case 0:
      return rng.pick([0, -1, 1, 0.5, -0, 2 ** 53, 2 ** 53 + 1, 1e308, -1e308, rng.int(1_000_000)]);
    case 1:
      return rng.pick([true, false, null]);
    case 2:
    case 3:
    case 4:
      return rng.pick(interestingStrings(rng));
    case 5:
      return Array.from({ length: rng.int(4) }, () => randomJson(rng, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: rng.int(4) }, () => [
          rng.pick(["intent", "signature", "id", "limit", "__proto__", "constructor", rng.hex(2)]),
          randomJson(rng, depth + 1),
        ]),
      );
  }
}

/** Follows a zod object's shape, so that bodies get past the first check into the nested ones. */
function shapedJson(rng: Random, schema: unknown, depth = 0): unknown {
  if (schema instanceof z.ZodObject && rng.chance(0.85)) {
    const body: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(schema.shape as Record<string, unknown>)) {
      if (rng.chance(0.9)) body[key] = shapedJson(rng, inner, depth + 1);
    }
    if (rng.chance(0.1)) body[rng.hex(2)] = randomJson(rng, depth + 1);
    return body;
  }
  return randomJson(rng, depth);
}

/** Small edits of a valid value: one field dropped, replaced, retyped or wrapped. */
function mutate(rng: Random, value: unknown, depth = 0): unknown {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && depth < 4) {
    const entries = Object.entries(value);
    const index = rng.int(entries.length);
    return Object.fromEntries(
      entries.flatMap(([key, item], i) => {
        if (i !== index) return [[key, item]];
        if (rng.chance(0.15)) return [];
        return [[key, mutate(rng, item, depth + 1)]];
      }),
    );
  }
  return rng.chance(0.2) ? [value] : randomJson(rng, depth);
}

interface RequestSeed {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

/** A valid request per route where one exists without chains, for mutation; other routes are fuzzed blind. */
const VALID: Record<string, RequestSeed> = {
  "/v1/messages": { query: { state: "discovered", transport: "layerzero", limit: "10", type: "BalanceReport" } },
  "/v1/messages/:id": { params: { id: MESSAGE_ID } },
  "/v1/messages/:id/signatures": { params: { id: MESSAGE_ID } },
  "/v1/accounts/:address": { params: { address: ADDRESS } },
  "/v1/intents/release": {
    body: {
      intent: {
        account: ADDRESS,
        chainId: "70701",
        asset: ADDRESS,
        amount: "100000000",
        to: ADDRESS,
        nonce: "0",
        deadline: String(Math.floor(Date.now() / 1000) + 3600),
      },
      signature: `0x${"1b".repeat(65)}`,
    },
  },
};

interface FuzzRoute {
  method: HTTPMethods;
  url: string;
  schema: RouteOptions["schema"];
}

interface FuzzRequest {
  method: HTTPMethods;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

/** The route's valid request as it is, so that each run also goes past validation at least once. */
function validRequest(route: FuzzRoute, seed: RequestSeed): FuzzRequest {
  const path = route.url.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(seed.params?.[name] ?? ""));
  const query = new URLSearchParams(seed.query).toString();
  return {
    method: route.method,
    url: query === "" ? path : `${path}?${query}`,
    headers: seed.body === undefined ? {} : { "content-type": "application/json" },
    ...(seed.body === undefined ? {} : { payload: JSON.stringify(seed.body) }),
  };
}

function fuzzRequest(rng: Random, route: FuzzRoute): FuzzRequest {
  const seed = VALID[route.url] ?? {};
  const mutating = rng.chance(0.5);
  const paramValue = (name: string) => {
    const valid = seed.params?.[name];
    if (valid !== undefined && (mutating ? rng.chance(0.5) : rng.chance(0.2))) return valid;
    return String(rng.chance(0.7) ? rng.pick(interestingStrings(rng)) : randomJson(rng));
  };
  const encode = (value: string) => (rng.chance(0.9) ? encodeURIComponent(value) : encodeURI(value));
  let path = route.url.replace(/:(\w+)/g, (_, name: string) => encode(paramValue(name)) || "x");
  path = path.replace("*", () =>
    Array.from({ length: rng.int(4) }, () => encode(rng.pick(interestingStrings(rng)))).join("/"),
  );

  const query = new URLSearchParams();
  const queryShape =
    route.schema?.querystring instanceof z.ZodObject ? Object.keys(route.schema.querystring.shape) : [];
  if (mutating && seed.query) {
    for (const [key, value] of Object.entries(seed.query)) {
      if (rng.chance(0.8)) query.append(key, rng.chance(0.7) ? value : String(randomJson(rng)));
    }
  }
  for (let i = rng.int(4); i > 0; i--) {
    const key = rng.chance(0.7) && queryShape.length > 0 ? rng.pick(queryShape) : rng.pick(["x", "__proto__", "a[b]"]);
    query.append(key, String(rng.chance(0.7) ? rng.pick(interestingStrings(rng)) : randomJson(rng)));
  }
  const rawQuery = rng.chance(0.05) ? rng.pick(["%ZZ", "&&=", "=&=", "a=%", "limit=1&limit=2"]) : query.toString();
  const url = rawQuery === "" ? path : `${path}?${rawQuery}`;

  const method = rng.chance(0.1) ? rng.pick<HTTPMethods>(["GET", "POST", "PUT", "DELETE", "PATCH"]) : route.method;
  const headers: Record<string, string> = {};
  let payload: string | undefined;
  if (method !== "GET" && method !== "HEAD" && rng.chance(0.9)) {
    const body = mutating && seed.body !== undefined ? mutate(rng, seed.body) : shapedJson(rng, route.schema?.body);
    payload = rng.chance(0.05)
      ? rng.pick(['{"intent": ', "not json", "\u0000", "[".repeat(1000), '{"a":1}{"b":2}'])
      : JSON.stringify(body);
    headers["content-type"] = rng.chance(0.9)
      ? "application/json"
      : rng.pick(["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "*/*"]);
  }
  return { method, url, headers, ...(payload === undefined ? {} : { payload }) };
}

/** The 5xx a route documents in its response schema (e.g. 502, 503 for the protocol routes). */
function documentedServerErrors(route: FuzzRoute): number[] {
  const response = (route.schema?.response ?? {}) as Record<string, unknown>;
  return Object.keys(response)
    .map(Number)
    .filter((status) => status >= 500);
}

describe("relayer API under random requests", () => {
  let offline: OfflineRelayerConfig;
  let server: FastifyInstance;
  const routes: FuzzRoute[] = [];

  beforeAll(async () => {
    offline = await offlineRelayerConfig("xmargin-api-fuzz-");
    // As buildServer assembles it, with the route table recorded as the app fills it.
    server = Fastify({ logger: false });
    server.addHook("onRoute", (route) => {
      for (const method of [route.method].flat()) routes.push({ method, url: route.url, schema: route.schema });
    });
    await server.register(relayerApp, { config: offline.config });
    await server.ready();
    await storeDiscoveredMessage(server.store);
  });

  afterAll(async () => {
    await server?.close();
    await offline.removeDataDir();
  });

  it("knows every route, the protocol ones included", () => {
    const urls = routes.map((route) => `${route.method} ${route.url}`);
    expect(urls).toEqual(
      expect.arrayContaining([
        "GET /healthz",
        "GET /v1/messages/:id",
        "GET /v1/accounts/:address",
        "POST /v1/intents/release",
        "GET /openapi.json",
      ]),
    );
    for (const url of Object.keys(VALID))
      expect(
        routes.some((route) => route.url === url),
        url,
      ).toBe(true);
  });

  it("never answers with an undocumented 5xx, and every error is the JSON error body", async () => {
    const rng = random(SEED);
    const failures: string[] = [];
    const statuses = new Map<string, Set<number>>();
    const requests = routes.flatMap((route) => {
      const seed = VALID[route.url];
      const fuzzed = Array.from({ length: REQUESTS_PER_ROUTE }, () => ({ route, request: fuzzRequest(rng, route) }));
      return seed === undefined ? fuzzed : [{ route, request: validRequest(route, seed) }, ...fuzzed];
    });
    for (let start = 0; start < requests.length; start += CONCURRENCY) {
      await Promise.all(
        requests.slice(start, start + CONCURRENCY).map(async ({ route, request }) => {
          const response = await server.inject(request);
          const seen = statuses.get(`${route.method} ${route.url}`) ?? new Set();
          seen.add(response.statusCode);
          statuses.set(`${route.method} ${route.url}`, seen);
          const problem = checkResponse(route, request, response);
          if (problem) {
            const shown = JSON.stringify({ ...request, payload: request.payload?.slice(0, 300) });
            failures.push(
              `${route.method} ${route.url}: ${problem}\n  request ${shown}\n  answer ${response.body.slice(0, 300)}`,
            );
          }
        }),
      );
    }
    const kinds = [...new Set(failures.map((failure) => failure.split("\n")[0]))];
    expect(failures.slice(0, 3), `seed ${SEED}: ${failures.length} bad answers; ${kinds.join("; ")}`).toEqual([]);
    // Valid requests got past validation: the protocol routes met the missing deployment.
    expect(statuses.get("GET /v1/accounts/:address")).toContain(503);
    expect(statuses.get("POST /v1/intents/release")).toContain(503);
    expect(statuses.get("GET /v1/messages/:id")).toContain(200);
  });
});

function checkResponse(
  route: FuzzRoute,
  request: FuzzRequest,
  response: { statusCode: number; headers: Record<string, unknown>; body: string },
): string | undefined {
  const status = response.statusCode;
  if (status >= 500 && !documentedServerErrors(route).includes(status)) return `undocumented ${status}`;
  if (status < 400 || request.method === "HEAD") return undefined;
  if (!String(response.headers["content-type"]).startsWith("application/json")) {
    return `${status} with content-type ${response.headers["content-type"]}`;
  }
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    return `${status} whose body is not JSON`;
  }
  const parsed = errorBodySchema.safeParse(body);
  if (!parsed.success) return `${status} whose body is not an error body`;
  if (status >= 500 && /\n\s+at |node_modules|127\.0\.0\.1/.test(response.body)) return `${status} leaks internals`;
  return undefined;
}
