import { loadRelayerConfig } from "../../config/load.ts";
import { startServer } from "../../server.ts";
import { parseCommandArgs } from "../args.ts";
import { type Command, UsageError } from "../command.ts";

const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;

export const relayerCommand: Command = {
  name: "relayer",
  summary: "run a relayer operator instance: watch, attest, deliver, serve the API (and the keeper)",
  usage: `Usage: xmargin relayer start --config FILE

Runs one relayer operator instance until SIGINT or SIGTERM: per chain a watcher storing every message
of the deployment's gateways (LayerZero and Hyperlane), this operator's share of the M-of-N
attestations (served to peers at /v1/attestations/*), delivery with signatures collected from the
peers, and the HTTP API (/healthz, /metrics, /v1/messages, /v1/accounts/:address, /docs).
On a signal it stops watching, finishes the deliveries in progress, hands back claimed work and
closes the store; a second signal exits at once.

The config file is JSON (see docs/operator-guide.md); environment variables override it:
  XMARGIN_OPERATOR_KEY  operator.privateKey       XMARGIN_API_PORT  api.port
  XMARGIN_DATA_DIR      dataDir                   DATABASE_URL      storage (PostgreSQL)

Options:
  --config FILE     the instance's config (required)
  -h, --help        show this help`,

  async run(args) {
    const { values, positionals } = parseCommandArgs(args, { config: { type: "string" } }, true);
    const [subcommand, ...extra] = positionals;
    if (subcommand !== "start" || extra.length > 0) {
      throw new UsageError(`expected \`xmargin relayer start --config FILE\`, got "${positionals.join(" ")}"`);
    }
    if (values.config === undefined) throw new UsageError("--config FILE is required");
    const config = await loadRelayerConfig(values.config);
    const { server, stop } = await startServer(config);

    const stopped = await new Promise<boolean>((resolve) => {
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) {
          server.log.warn(`${signal} again: exiting without waiting`);
          process.exit(130);
        }
        stopping = true;
        server.log.info(`${signal}: stopping (finishing deliveries in progress)`);
        stop().then(
          () => {
            server.log.info("stopped: store closed, sockets to the nodes closed");
            resolve(true);
          },
          (error: unknown) => {
            server.log.error({ err: error }, "shutdown failed");
            resolve(false);
          },
        );
      };
      for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
    });
    return stopped ? 0 : 1;
  },
};
