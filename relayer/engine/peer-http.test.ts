import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { keepAliveHttp, MAX_ANSWER_BYTES } from "./peer-http.ts";

describe("keepAliveHttp", () => {
  const servers: http.Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      server.close();
    }
  });

  async function serve(handler: http.RequestListener): Promise<URL> {
    const server = http.createServer(handler);
    servers.push(server);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  it("sends JSON and returns the status and body, a refusal included, over one kept-open connection", async () => {
    const connections = new Set<unknown>();
    const url = await serve(async (request, response) => {
      connections.add(request.socket);
      let body = "";
      for await (const chunk of request) body += chunk;
      response.statusCode = request.url === "/refuse" ? 400 : 200;
      response.end(JSON.stringify({ method: request.method, type: request.headers["content-type"] ?? null, body }));
    });
    const posted = await keepAliveHttp({ url: new URL("/x", url), method: "POST", body: '{"a":1}', timeoutMs: 2_000 });
    expect(posted.status).toBe(200);
    expect(JSON.parse(posted.body)).toEqual({ method: "POST", type: "application/json", body: '{"a":1}' });
    const refused = await keepAliveHttp({ url: new URL("/refuse", url), method: "GET", timeoutMs: 2_000 });
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body)).toEqual({ method: "GET", type: null, body: "" });
    expect(connections.size).toBe(1);
  });

  it("fails when the peer does not answer within the timeout, or cannot be reached", async () => {
    const url = await serve(() => {});
    const started = Date.now();
    await expect(keepAliveHttp({ url, method: "GET", timeoutMs: 150 })).rejects.toThrow("no answer within 150 ms");
    expect(Date.now() - started).toBeLessThan(2_000);

    const closed = await serve(() => {});
    const server = servers.pop() as http.Server;
    server.close();
    await once(server, "close");
    await expect(keepAliveHttp({ url: closed, method: "GET", timeoutMs: 1_000 })).rejects.toThrow(/ECONNREFUSED/);
  });

  it("fails on an answer larger than MAX_ANSWER_BYTES instead of reading it all", async () => {
    const url = await serve((_request, response) => {
      response.end("x".repeat(MAX_ANSWER_BYTES + 1));
    });
    await expect(keepAliveHttp({ url, method: "GET", timeoutMs: 2_000 })).rejects.toThrow(
      `answer larger than ${MAX_ANSWER_BYTES} bytes`,
    );
  });

  it("sends a request again on a fresh connection when the peer dropped the kept-open one", async () => {
    const requestsBySocket = new Map<unknown, number>();
    const url = await serve((request, response) => {
      const count = (requestsBySocket.get(request.socket) ?? 0) + 1;
      requestsBySocket.set(request.socket, count);
      // The peer closed the idle connection just as the next request came: the client sees a reset.
      if (count === 2) return request.socket.resetAndDestroy();
      response.end(`answer ${requestsBySocket.size}`);
    });
    expect((await keepAliveHttp({ url, method: "GET", timeoutMs: 2_000 })).body).toBe("answer 1");
    expect((await keepAliveHttp({ url, method: "GET", timeoutMs: 2_000 })).body).toBe("answer 2");
    expect(requestsBySocket.size).toBe(2);
  });

  it("gives the request sent again only what remains of the timeout", async () => {
    const requestsBySocket = new Map<unknown, number>();
    const url = await serve((request, response) => {
      const count = (requestsBySocket.get(request.socket) ?? 0) + 1;
      requestsBySocket.set(request.socket, count);
      if (count === 1 && requestsBySocket.size === 1) response.end("answer");
      // The kept-open connection is reset late, and the fresh one never answers.
      else if (count === 2) setTimeout(() => request.socket.resetAndDestroy(), 400);
    });
    await keepAliveHttp({ url, method: "GET", timeoutMs: 2_000 });
    const started = performance.now();
    await expect(keepAliveHttp({ url, method: "GET", timeoutMs: 600 })).rejects.toThrow("no answer within 600 ms");
    expect(requestsBySocket.size).toBe(2);
    // A fresh timeout for the second try would take 1 s in all.
    expect(performance.now() - started).toBeLessThan(850);
  });

  it("does not send a request again once its timeout has passed", async () => {
    const requestsBySocket = new Map<unknown, number>();
    const now = performance.now.bind(performance);
    let skippedMs = 0;
    const clock = vi.spyOn(performance, "now").mockImplementation(() => now() + skippedMs);
    try {
      const url = await serve((request, response) => {
        const count = (requestsBySocket.get(request.socket) ?? 0) + 1;
        requestsBySocket.set(request.socket, count);
        if (count === 1) return response.end("answer");
        // The reset comes as the timeout runs out.
        skippedMs += 1_000;
        request.socket.resetAndDestroy();
      });
      await keepAliveHttp({ url, method: "GET", timeoutMs: 1_000 });
      await expect(keepAliveHttp({ url, method: "GET", timeoutMs: 1_000 })).rejects.toMatchObject({
        cause: { code: "ECONNRESET" },
      });
      expect(requestsBySocket.size).toBe(1);
    } finally {
      clock.mockRestore();
    }
  });
});
