/**
 * Latency section: one devnet; per run, the three routes side by side, each a closed loop of one trader
 * (deposit → credited, release → paid, then wait for the vault's acknowledging report so the next
 * message starts with an empty pipe), then liquidation rounds (one victim per route, one shared price
 * drop). Also the gas of every transport step the operators sent, and where the time went inside the
 * relayer (its own discoveredAt / deliveredAt of each message).
 */

import { DEVNET_ACCOUNT_ROLES } from "../../relayer/devnet/protocol.ts";
import {
  BENCH_ROUTES,
  BENCH_SPOKES,
  type BenchDevnet,
  type BenchMining,
  type BenchSpoke,
  FIRST_BENCH_ACCOUNT,
  Sender,
  startBenchDevnet,
} from "./devnet.ts";
import { fundLiquidator, liquidationRound, type Sample, Trader } from "./flows.ts";
import { relayerMessages, relayerTimes, type StepGas, transportStepGas } from "./relayer-view.ts";
import { atMost, type Figure, figure } from "./report.ts";
import { type Distribution, distribution, median } from "./stats.ts";

export interface LatencyOptions {
  runs: number;
  /** Timed messages (deposits + releases) per route per run. */
  messagesPerRoute: number;
  /** Liquidation rounds per run (each: one victim per route). */
  liquidationRounds: number;
  mining: BenchMining;
  progress: (message: string) => void;
}

export const LATENCY_TARGET = { p50: 100, p99: 500, source: "issue 4" } as const;
export const ROUTE_LABEL: Record<BenchSpoke, string> = { spokeA: "LayerZero", spokeB: "Hyperlane", spokeC: "dual" };

export async function latencySection(options: LatencyOptions) {
  const { runs, messagesPerRoute, liquidationRounds, progress } = options;
  const victimsNeeded = runs * liquidationRounds * BENCH_SPOKES.length;
  const bench = await startBenchDevnet({
    benchAccounts: 2 * BENCH_SPOKES.length + victimsNeeded,
    onProgress: progress,
    ...options.mining,
  });
  try {
    const fromBlocks = new Map<string, bigint>();
    for (const [name, chain] of bench.chains)
      fromBlocks.set(name, await chain.publicClient.getBlockNumber({ cacheTime: 0 }));
    const traders = BENCH_SPOKES.map((spoke, index) => new Trader(bench, spoke, FIRST_BENCH_ACCOUNT + index));
    const liquidators = BENCH_SPOKES.map(
      (_, index) =>
        new Sender(bench.chain("hub"), bench.account(FIRST_BENCH_ACCOUNT + BENCH_SPOKES.length + index).privateKey),
    );
    const keeper = new Sender(bench.chain("hub"), bench.account(DEVNET_ACCOUNT_ROLES.keeper).privateKey);
    let nextVictim = FIRST_BENCH_ACCOUNT + 2 * BENCH_SPOKES.length;
    const victims = Array.from({ length: runs * liquidationRounds }, () =>
      BENCH_SPOKES.map((spoke) => new Trader(bench, spoke, nextVictim++)),
    );
    progress(
      `funding ${traders.length} traders, ${liquidators.length} liquidators and ${victimsNeeded} liquidation victims (their deposits are not timed)`,
    );
    await Promise.all([
      ...traders.map((trader) => trader.fund("1000000")),
      ...liquidators.map((liquidator) => fundLiquidator(bench, liquidator)),
      ...victims.flat().map((victim) => victim.fund("5000")),
    ]);
    progress("warm-up: 2 untimed deposit/release pairs per route");
    await Promise.all(
      traders.map(async (trader) => {
        for (let pair = 0; pair < 2; pair++) {
          await trader.deposit("1");
          await trader.release("1");
          await trader.settled();
        }
      }),
    );

    const runSamples: Sample[][] = [];
    for (let run = 0; run < runs; run++) {
      const samples: Sample[] = [];
      const started = Date.now();
      await Promise.all(
        traders.map(async (trader) => {
          for (let message = 0; message < messagesPerRoute; message += 2) {
            samples.push(await trader.deposit("1"));
            if (message + 1 < messagesPerRoute) samples.push(await trader.release("1"));
            await trader.settled();
          }
        }),
      );
      for (let round = 0; round < liquidationRounds; round++) {
        const roundVictims = victims[run * liquidationRounds + round] ?? [];
        samples.push(
          ...(await liquidationRound(
            bench,
            keeper,
            roundVictims.map((victim, index) => ({ victim, liquidator: liquidators[index] as Sender })),
          )),
        );
      }
      runSamples.push(samples);
      const timed = samples.filter((entry) => entry.flow !== "liquidation").map((entry) => entry.latencyMs);
      progress(
        `run ${run + 1}/${runs}: ${samples.length} samples in ${((Date.now() - started) / 1000).toFixed(1)} s, message p50 ${median(timed).toFixed(0)} ms`,
      );
    }

    progress("reading the relayer's own timestamps and the transport steps' gas");
    const times = relayerTimes(await relayerMessages(bench.operators.operators[0]?.apiUrl ?? ""));
    const stepGas = await transportStepGas(bench, fromBlocks);
    return summarize(runSamples, times, stepGas, bench);
  } finally {
    await bench.stop();
  }
}

type Times = ReturnType<typeof relayerTimes>;

function summarize(runSamples: Sample[][], times: Times, stepGas: StepGas[], bench: BenchDevnet) {
  const figures: Figure[] = [];
  const all = runSamples.flat();
  const byRun = (select: (entry: Sample) => boolean) => runSamples.map((samples) => samples.filter(select));
  const perRoute: Record<string, unknown> = {};

  const percentileFigures = (label: string, select: (entry: Sample) => boolean, judged: boolean) => {
    const runs = byRun(select)
      .filter((samples) => samples.length > 0)
      .map((samples) => distribution(samples.map((entry) => entry.latencyMs)));
    const pooled = distribution(all.filter(select).map((entry) => entry.latencyMs));
    for (const key of ["p50", "p95", "p99"] as const) {
      const target = judged && key !== "p95" ? atMost(LATENCY_TARGET[key], LATENCY_TARGET.source) : undefined;
      figures.push(
        figure({
          section: "latency",
          name: `${label} ${key} (${pooled.count} messages)`,
          value: pooled[key],
          unit: "ms",
          runs: runs.map((entry) => entry[key]),
          ...(target ? { target } : {}),
        }),
      );
    }
    return { pooled, runs };
  };

  for (const spoke of BENCH_SPOKES) {
    const route = ROUTE_LABEL[spoke];
    const ofRoute = (flow?: Sample["flow"]) => (entry: Sample) =>
      entry.spoke === spoke && (flow ? entry.flow === flow : entry.flow !== "liquidation");
    const messages = percentileFigures(`${route}: deposit→credited and release→paid`, ofRoute(), true);
    const deposit = distribution(all.filter(ofRoute("deposit")).map((entry) => entry.latencyMs));
    const release = distribution(all.filter(ofRoute("release")).map((entry) => entry.latencyMs));
    const liquidations = all.filter(ofRoute("liquidation"));
    const liquidation =
      liquidations.length > 0 ? distribution(liquidations.map((entry) => entry.latencyMs)) : undefined;
    for (const [flow, shape] of [
      ["deposit→credited", deposit],
      ["release→paid", release],
    ] as const) {
      figures.push(
        figure({ section: "latency", name: `${route}: ${flow} p50 (${shape.count})`, value: shape.p50, unit: "ms" }),
      );
      figures.push(
        figure({ section: "latency", name: `${route}: ${flow} p99 (${shape.count})`, value: shape.p99, unit: "ms" }),
      );
    }
    if (liquidation) {
      figures.push(
        figure({
          section: "latency",
          name: `${route}: price drop→liquidation applied on the spoke, median (${liquidation.count})`,
          value: liquidation.p50,
          unit: "ms",
          runs: byRun(ofRoute("liquidation")).flatMap((samples) =>
            samples.length ? [median(samples.map((entry) => entry.latencyMs))] : [],
          ),
        }),
      );
    }
    perRoute[route] = {
      route: BENCH_ROUTES[spoke],
      spoke,
      messages: messages.pooled,
      perRun: messages.runs,
      deposit,
      release,
      liquidation,
      relayerBreakdown: breakdown(all.filter(ofRoute()), times),
      sourceGas: {
        deposit: median(all.filter(ofRoute("deposit")).map((entry) => entry.sourceGas ?? 0)),
        requestRelease: median(all.filter(ofRoute("release")).map((entry) => entry.sourceGas ?? 0)),
        ...(liquidations.length
          ? { liquidateCollateral: median(liquidations.map((entry) => entry.sourceGas ?? 0)) }
          : {}),
      },
    };
  }
  percentileFigures("all routes, every timed message", (entry) => entry.flow !== "liquidation", false);

  for (const spoke of BENCH_SPOKES) {
    const route = ROUTE_LABEL[spoke];
    const gas = (perRoute[route] as { sourceGas: Record<string, number> }).sourceGas;
    figures.push(
      figure({
        section: "gas",
        name: `transport send: deposit on ${spoke} (${route} route), tx`,
        value: gas.deposit ?? 0,
        unit: "gas",
      }),
    );
    figures.push(
      figure({
        section: "gas",
        name: `transport send: requestRelease to ${spoke} (${route} route), tx`,
        value: gas.requestRelease ?? 0,
        unit: "gas",
      }),
    );
  }
  for (const row of stepGas) {
    figures.push(
      figure({
        section: "gas",
        name: `transport step: ${row.step} on ${row.destination}, median of ${row.count}`,
        value: row.median,
        unit: "gas",
      }),
    );
  }
  return {
    figures,
    details: {
      perRoute,
      allMessages: distribution(all.filter((entry) => entry.flow !== "liquidation").map((entry) => entry.latencyMs)),
      transportStepGas: stepGas,
      relayerConfig: bench.relayerConfig,
      samplesPerRun: runSamples.map((samples) => samples.length),
    },
  };
}

/**
 * Where a message's time went, by the relayer's clock: sent → discovered (the watcher's poll), discovered
 * → delivered (signatures, verification, execution), delivered → observed (the destination's event
 * reaching the bench, ≈ 0). Dual-route messages count their later transport.
 */
function breakdown(samples: readonly Sample[], times: Times): Record<string, Distribution> | undefined {
  const discovery: number[] = [];
  const relay: number[] = [];
  const observed: number[] = [];
  for (const entry of samples) {
    const hash = entry.sourceTxHashes[0]?.toLowerCase();
    const seen = hash ? times.get(hash) : undefined;
    if (!seen || seen.deliveredAt === undefined) continue;
    discovery.push(seen.discoveredAt - entry.sentAt);
    relay.push(seen.deliveredAt - seen.discoveredAt);
    observed.push(entry.appliedAt - seen.deliveredAt);
  }
  if (discovery.length === 0) return undefined;
  return {
    sentToDiscoveredMs: distribution(discovery),
    discoveredToDeliveredMs: distribution(relay),
    deliveredToObservedMs: distribution(observed),
  };
}
