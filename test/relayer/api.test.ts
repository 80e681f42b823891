import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRelayerConfig } from "../../relayer/config/load.ts";
import { buildServer } from "../../relayer/server.ts";
import {
  MESSAGE_ID,
  type OfflineRelayerConfig,
  OPERATOR_KEY,
  offlineRelayerConfig,
  storeDiscoveredMessage,
} from "../helpers/relayer-api.ts";

describe("relayer API", () => {
  let offline: OfflineRelayerConfig;
  let server: FastifyInstance;

  beforeAll(async () => {
    offline = await offlineRelayerConfig("xmargin-api-");
    server = await buildServer(offline.config);
    await storeDiscoveredMessage(server.store);
  });

  afterAll(async () => {
    await server.close();
    await offline.removeDataDir();
  });

  it("lists and finds messages", async () => {
    const list = await server.inject({ method: "GET", url: "/v1/messages?state=discovered&limit=10" });
    expect(list.statusCode).toBe(200);
    expect(list.json().messages).toMatchObject([{ messageId: MESSAGE_ID, blockNumber: "12", state: "discovered" }]);
    const one = await server.inject({ method: "GET", url: `/v1/messages/${MESSAGE_ID}` });
    expect(one.json()).toMatchObject({ transport: "layerzero", messageType: "BalanceReport" });
  });

  it("answers bad requests with 400 and the zod issue list", async () => {
    const response = await server.inject({ method: "GET", url: "/v1/messages?limit=0&state=lost" });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.error).toBe("BadRequest");
    expect(body.issues.map((issue: { path: string }) => issue.path).sort()).toEqual([
      "querystring.limit",
      "querystring.state",
    ]);
    const badCursor = await server.inject({ method: "GET", url: "/v1/messages?cursor=not-a-cursor" });
    expect(badCursor.statusCode).toBe(400);
    const badId = await server.inject({ method: "GET", url: "/v1/messages/0x1234" });
    expect(badId.statusCode).toBe(400);
    expect(badId.json().issues[0].path).toBe("params.id");
  });

  it("says 404 for unknown messages and routes", async () => {
    const missing = await server.inject({ method: "GET", url: `/v1/messages/0x${"00".repeat(32)}` });
    expect(missing.statusCode).toBe(404);
    expect((await server.inject({ method: "GET", url: "/nope" })).statusCode).toBe(404);
  });

  it("reports health with unreachable chains as degraded, and the backlog", async () => {
    const response = await server.inject({ method: "GET", url: "/healthz" });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.status).toBe("degraded");
    expect(body.chains[0]).toMatchObject({ name: "hub", head: null });
    expect(body.backlog.discovered).toBe(1);
  });

  it("serves Prometheus metrics", async () => {
    const response = await server.inject({ method: "GET", url: "/metrics" });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('xmargin_messages{state="discovered"} 1');
    expect(response.body).toContain("xmargin_rpc_errors_total");
  });

  it("serves its own signatures for peers and an OpenAPI document", async () => {
    const signatures = await server.inject({ method: "GET", url: `/v1/messages/${MESSAGE_ID}/signatures` });
    expect(signatures.json()).toMatchObject({ signatures: [] });
    const openapi = await server.inject({ method: "GET", url: "/openapi.json" });
    expect(Object.keys(openapi.json().paths)).toEqual(
      expect.arrayContaining([
        "/healthz",
        "/v1/messages",
        "/v1/messages/{id}",
        "/v1/messages/{id}/signatures",
        "/v1/attestations/batch",
      ]),
    );
    expect((await server.inject({ method: "GET", url: "/docs/" })).statusCode).toBe(200);
    // Without a deployment it delivers nothing: its peers' backups do not wait for it.
    const activity = await server.inject({ method: "GET", url: "/v1/operators/activity" });
    expect(activity.json()).toEqual({ delivering: false, msSinceLastDelivery: null });
  });
});

describe("relayer config", () => {
  it("names every bad field and why", () => {
    expect(() =>
      parseRelayerConfig({
        operator: { privateKey: "0x12" },
        chains: [{ name: "hub", chainId: -1, rpcUrl: "ftp://x" }],
      }),
    ).toThrowError(
      /operator\.privateKey: must be 0x \+ 64 hex digits[\s\S]*chains\.0\.chainId[\s\S]*chains\.0\.rpcUrl: must be an http\(s\) URL/,
    );
  });

  it("takes secrets and the database from the environment", () => {
    const config = parseRelayerConfig(
      { chains: [{ name: "hub", chainId: 1, rpcUrl: "http://127.0.0.1:8545" }] },
      { XMARGIN_OPERATOR_KEY: OPERATOR_KEY, DATABASE_URL: "postgres://postgres@127.0.0.1:5432/test" },
    );
    expect(config.operator.privateKey).toBe(OPERATOR_KEY);
    expect(config.storage).toMatchObject({ kind: "postgres", schema: "xmargin" });
  });
});
