/**
 * An HTTP JSON-RPC proxy in front of one anvil chain, for the chaos suite: relayer instances are pointed
 * at it (their config's rpcUrl) and the test makes the chain misbehave as a real provider does.
 * - `pause("hang")`: requests are held unanswered until `resume()` (a node that stalls), then forwarded;
 * - `pause("refuse")`: connections are reset at once (a node that is down);
 * - `dropResponses(rate)`: a share of requests reach the node but their answers are lost (the client sees a
 *   reset after the node acted: a transaction sent whose hash never comes back).
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

export type RpcPauseMode = "hang" | "refuse";

export interface RpcProxyStats {
  forwarded: number;
  refused: number;
  held: number;
  dropped: number;
}

export class RpcProxy {
  readonly stats: RpcProxyStats = { forwarded: 0, refused: 0, held: 0, dropped: 0 };
  private pauseMode: RpcPauseMode | undefined;
  private dropRate = 0;
  private readonly heldRequests: Array<() => void> = [];

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
    readonly url: string,
    private readonly random: () => number,
  ) {}

  /** Listens on a free local port and forwards to `targetUrl`; `random` decides which answers `dropResponses` loses. */
  static async start(targetUrl: string, random: () => number = Math.random): Promise<RpcProxy> {
    let proxy: RpcProxy | undefined;
    const server = createServer((request, response) => proxy?.handle(request, response));
    // Relayer clients keep connections alive; a paused proxy must still see (and hold or reset) each request.
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    proxy = new RpcProxy(server, new URL(targetUrl), `http://127.0.0.1:${port}`, random);
    return proxy;
  }

  get paused(): RpcPauseMode | undefined {
    return this.pauseMode;
  }

  pause(mode: RpcPauseMode): void {
    this.pauseMode = mode;
  }

  /** Answers again; requests held by a `hang` pause go to the node now, late. */
  resume(): void {
    this.pauseMode = undefined;
    for (const release of this.heldRequests.splice(0)) release();
  }

  /** From now on, loses the answer of this share (0…1) of the requests that reach the node. */
  dropResponses(rate: number): void {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`drop rate must be within 0…1, got ${rate}`);
    this.dropRate = rate;
  }

  async close(): Promise<void> {
    this.resume();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      if (this.pauseMode === "refuse") {
        this.stats.refused += 1;
        request.socket.destroy();
        return;
      }
      if (this.pauseMode === "hang") {
        this.stats.held += 1;
        this.heldRequests.push(() => this.forward(request, response, body));
        return;
      }
      this.forward(request, response, body);
    });
  }

  private forward(request: IncomingMessage, response: ServerResponse, body: Buffer): void {
    const drop = this.dropRate > 0 && this.random() < this.dropRate;
    const upstream = httpRequest(
      {
        hostname: this.target.hostname,
        port: this.target.port,
        path: this.target.pathname,
        method: request.method,
        headers: { "content-type": request.headers["content-type"] ?? "application/json" },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          if (drop) {
            this.stats.dropped += 1;
            request.socket.destroy();
            return;
          }
          this.stats.forwarded += 1;
          response.writeHead(answer.statusCode ?? 502, { "content-type": "application/json" });
          response.end(Buffer.concat(chunks));
        });
      },
    );
    upstream.on("error", () => request.socket.destroy());
    upstream.end(body);
  }
}
