import { resolve } from "node:path";
import { XmarginError } from "../../../sdk/errors.ts";
import { DEFAULT_BATCH_WINDOW_MS, devnetSpokeName, runDevnetUntilSignal } from "../../devnet/launcher.ts";
import { DEFAULT_OPERATORS, DEFAULT_THRESHOLD } from "../../devnet/protocol.ts";
import { TRANSPORT_ROUTES, type TransportRoute } from "../../infra/protocol.ts";
import { loadPricePath } from "../../keeper/index.ts";
import { parseCommandArgs, parseIntegerOption, parseNumberOption } from "../args.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../command.ts";

export const devnetCommand: Command = {
  name: "devnet",
  summary: "run a hub chain and spoke chains with the protocol deployed and relayed, until Ctrl-C",
  usage: `Usage: xmargin devnet [options]

Starts a hub chain and spoke chains (anvil, free ports, chain ids 70700, 70701, …), deploys LayerZero and
Hyperlane (real contracts) and xmargin on every chain, writes every address, the RPC URLs and the funded dev
accounts to the deployments file, and relays messages between the chains with the N operators' keys
(LayerZero DVN signers and Hyperlane validators, M of N). Runs until Ctrl-C or SIGTERM, which stops every
chain it started.

Options:
  --chains N        number of spoke chains (default 2)
  --operators N     relayer operators: DVN signers and validators (default ${DEFAULT_OPERATORS})
  --threshold M     signatures each message needs, at most N (default ${DEFAULT_THRESHOLD})
  --route ROUTES    transport per spoke: spokeA=layerzero,spokeB=hyperlane (the default), or dual for
                    both transports; one bare value (e.g. --route dual) applies to every spoke
  --no-deploy       start the chains only: no contracts, no relay
  --verbose         print one line per delivered message
  --out FILE        deployments file (default deployments/devnet.json)
  --prices FILE     move the mock price feeds along a price path file (format: relayer/keeper/README.md);
                    the keeper (run by operator 0) liquidates whoever falls below maintenance
  --random-walk SEED  move them along a seeded random walk instead (--volatility per step, default 0.005,
                    every --price-interval seconds, default 5)
  --data-dir DIR    the relayer operators' configs, databases and logs, emptied at start
                    (default .xmargin/devnet)
  --accounts N      funded dev accounts per chain (default 10, at least 5 + operators)
  --block-time S    seconds between empty blocks, so confirmations advance (default 0.25)
  --batch-window-ms N|off  a transaction waits at most N ms for others to share its block (default
                    ${DEFAULT_BATCH_WINDOW_MS}); off: a block per transaction (anvil's automine)
  -h, --help        show this help`,

  async run(args) {
    const { values } = parseCommandArgs(args, {
      chains: { type: "string" },
      operators: { type: "string" },
      threshold: { type: "string" },
      route: { type: "string" },
      "no-deploy": { type: "boolean" },
      verbose: { type: "boolean" },
      out: { type: "string" },
      "data-dir": { type: "string" },
      prices: { type: "string" },
      "random-walk": { type: "string" },
      volatility: { type: "string" },
      "price-interval": { type: "string" },
      accounts: { type: "string" },
      "block-time": { type: "string" },
      "batch-window-ms": { type: "string" },
    });
    const spokes = parseIntegerOption("chains", values.chains, 2, 1, 64);
    const operators = parseIntegerOption("operators", values.operators, DEFAULT_OPERATORS, 1, 64);
    const threshold = parseIntegerOption("threshold", values.threshold, Math.min(DEFAULT_THRESHOLD, operators), 1, 64);
    if (threshold > operators) {
      throw new UsageError(`--threshold ${threshold} exceeds --operators ${operators}`);
    }
    const deploy = values["no-deploy"] !== true;
    if (values.prices !== undefined && values["random-walk"] !== undefined) {
      throw new UsageError("--prices and --random-walk are two ways to move prices: give one");
    }
    if (values["random-walk"] === undefined && (values.volatility ?? values["price-interval"]) !== undefined) {
      throw new UsageError("--volatility and --price-interval shape a --random-walk");
    }
    // A bad path file fails here, before any chain starts.
    if (values.prices !== undefined) await loadPricePath(values.prices);
    const prices =
      values.prices !== undefined
        ? { file: resolve(values.prices) }
        : values["random-walk"] !== undefined
          ? {
              randomWalk: {
                seed: parseIntegerOption("random-walk", values["random-walk"], 0, 0, 2 ** 31 - 1),
                volatility: parseNumberOption("volatility", values.volatility, 0.005, 0.0001, 0.5),
              },
              intervalMs: parseNumberOption("price-interval", values["price-interval"], 5, 0.1, 3600) * 1000,
            }
          : undefined;
    if (!deploy && (values.operators ?? values.threshold ?? values.route ?? prices) !== undefined) {
      throw new UsageError(
        "--no-deploy starts bare chains: --operators, --threshold, --route and prices need the deployment",
      );
    }
    const spokeNames = Array.from({ length: spokes }, (_, index) => devnetSpokeName(index));
    const options = {
      spokes,
      accounts: parseIntegerOption("accounts", values.accounts, 10, 1, 1000),
      blockTime: parseNumberOption("block-time", values["block-time"], 0.25, 0.05, 60),
      batchWindowMs:
        values["batch-window-ms"] === "off"
          ? ("off" as const)
          : parseNumberOption("batch-window-ms", values["batch-window-ms"], DEFAULT_BATCH_WINDOW_MS, 0, 1_000),
      outFile: values.out ?? "deployments/devnet.json",
      ...(values["data-dir"] === undefined ? {} : { dataDir: values["data-dir"] }),
      ...(prices ? { prices } : {}),
      verbose: values.verbose === true,
      protocol: deploy
        ? {
            operators,
            threshold,
            ...(values.route === undefined ? {} : { routes: parseRoutes(values.route, spokeNames) }),
          }
        : (false as const),
    };
    try {
      await runDevnetUntilSignal(options);
    } catch (error) {
      if (error instanceof XmarginError) throw error;
      throw new XmarginError(error instanceof Error ? error.message : String(error), { cause: error });
    }
    return 0;
  },
};

const isRoute = (value: string): value is TransportRoute => (TRANSPORT_ROUTES as readonly string[]).includes(value);

/** `spokeA=layerzero,spokeB=dual`, or one bare route for every spoke. */
export function parseRoutes(raw: string, spokeNames: readonly string[]): Record<string, TransportRoute> {
  const routeError = (value: string) =>
    new UsageError(`--route: "${value}" is not a transport; use ${TRANSPORT_ROUTES.join(", ")}`);
  const value = raw.trim();
  if (!value.includes("=")) {
    if (!isRoute(value)) throw routeError(value);
    return Object.fromEntries(spokeNames.map((name) => [name, value]));
  }
  const routes: Record<string, TransportRoute> = {};
  for (const entry of value.split(",")) {
    const [name, route, ...extra] = entry.split("=").map((part) => part.trim());
    if (!name || route === undefined || extra.length > 0) {
      throw new UsageError(`--route: expected SPOKE=TRANSPORT, got "${entry}"`);
    }
    if (!spokeNames.includes(name)) {
      throw new UsageError(`--route: no spoke "${name}" (this devnet has ${spokeNames.join(", ")})`);
    }
    if (!isRoute(route)) throw routeError(route);
    if (routes[name] !== undefined) throw new UsageError(`--route: ${name} is given twice`);
    routes[name] = route;
  }
  return routes;
}
