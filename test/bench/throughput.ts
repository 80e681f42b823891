/**
 * Throughput section: one devnet; per run, a burst of deposits (spokes → hub) and releases (hub → spokes)
 * from many funded traders at once, each account sending as fast as its transactions mine. Measures the
 * offered rate, the rate at which the destinations applied the messages (all of them, and the middle 80 %
 * as the sustained rate), the latency of each message under that load and the relayer processes' memory;
 * then, on a devnet of their own, per run the same number of messages at a steady rate below saturation.
 */
import { type CeilingRun, measureSourceCeiling } from "./ceiling.ts";
import { gasSince, headBlocks } from "./chain-gas.ts";
import { BENCH_SPOKES, type BenchDevnet, type BenchMining, FIRST_BENCH_ACCOUNT, startBenchDevnet } from "./devnet.ts";
import { type Sample, Trader } from "./flows.ts";
import { ROUTE_LABEL } from "./latency.ts";
import { cpuSecondsOf, deliveriesByOperator, memoryOf, sampleRss, waitForDrain } from "./relayer-view.ts";
import { atLeast, atMost, type Figure, figure, type Target } from "./report.ts";
import { distribution, median } from "./stats.ts";

export interface ThroughputOptions {
  runs: number;
  /** Messages per run, half deposits and half releases, spread over every trader. */
  messages: number;
  tradersPerSpoke: number;
  /** Offered rate of the paced runs (msg/s): a steady load below saturation, for latency at a load this rig carries. */
  pacedRate: number;
  mining: BenchMining;
  progress: (message: string) => void;
}

export const THROUGHPUT_TARGET = { messagesPerSecond: 500, rssMB: 250, p50: 100, p99: 500, source: "issue 5" } as const;
const RSS_INTERVAL_MS = 200;
const CPU_KIND_LABEL = {
  operators: "the three relayer operators",
  anvil: "the four anvil chains",
  traders: "the bench's traders",
} as const;
/** How long a run waits for the previous one's messages (its acknowledgements) to be delivered. */
const DRAIN_TIMEOUT_MS = 120_000;

export async function throughputSection(options: ThroughputOptions) {
  const bursts = await burstSection(options);
  const paced = await pacedSection(options);
  return { figures: [...bursts.figures, ...paced.figures], details: { ...bursts.details, pacedRuns: paced.runs } };
}

async function burstSection(options: ThroughputOptions) {
  const { runs, messages, tradersPerSpoke, progress } = options;
  const ceiling = await measureSourceCeiling({
    runs,
    messages: messages / 2,
    tradersPerSpoke,
    mining: options.mining,
    progress,
  });
  const { bench, traders, cpuUsers, drain, operatorAddresses } = await startLoadDevnet(options);
  try {
    const pids = bench.operators.operators.map((operator) => operator.pid);
    const baseline = pids.map((pid) => memoryOf(pid)?.rssMB ?? Number.NaN);

    const perRun: {
      offeredPerSecond: number;
      appliedPerSecond: number;
      sustainedPerSecond: number;
      /** The same per route (spoke): each transport's share of the load, applied side by side. */
      sustainedPerRoute: Record<string, number>;
      latency: ReturnType<typeof distribution>;
      rssMaxMB: number;
      seconds: number;
      /** CPU milliseconds per timed message, by process: from the burst's start until every operator drained. */
      cpuMsPerMessage: Record<string, number>;
      /** Gas the four chains executed per timed message over the same span, by whose transactions. */
      gasPerMessage: { traders: number; operators: number };
      /** All that gas per CPU-second the anvil chains spent (their answers to the relayer's reads included). */
      anvilGasPerCpuSecond: number;
      /** The hub's anvil: CPU milliseconds per block it mined over the same span. */
      hubAnvilMsPerBlock: number;
      /** Blocks the four chains mined per timed message (automine: a block per transaction). */
      blocksPerMessage: number;
      operatorTransactionsPerMessage: number;
    }[] = [];
    const rssSamples: number[][] = pids.map(() => []);
    await drain("after funding");
    const hubAnvil = `anvil ${bench.deployment.hub.name}`;
    for (let run = 0; run < runs; run++) {
      const heads = await headBlocks(bench);
      const cpuBefore = cpuUsers.map((user) => user.cpuSeconds());
      const rss = sampleRss(pids, RSS_INTERVAL_MS);
      const perTrader = Math.ceil(messages / traders.length);
      const pending: Promise<Sample>[] = [];
      for (const trader of traders) {
        for (let index = 0; index < perTrader; index++) {
          pending.push(index % 2 === 0 ? trader.deposit("1") : trader.release("1"));
        }
      }
      const samples = await Promise.all(pending);
      const runRss = rss.stop();
      // The run's cost includes its acknowledgements and the backups' bookkeeping, which end after the last
      // timed message: CPU is read once everything drained.
      await drain(`after run ${run + 1}`);
      const cpuSeconds = cpuUsers.map((user, index) => user.cpuSeconds() - (cpuBefore[index] as number));
      const cpuMsPerMessage = Object.fromEntries(
        cpuUsers.map((user, index) => [user.name, ((cpuSeconds[index] as number) * 1000) / samples.length]),
      );
      const gas = await gasSince(bench, heads, operatorAddresses);
      const anvilCpuSeconds = cpuUsers.reduce(
        (sum, user, index) => (user.kind === "anvil" ? sum + (cpuSeconds[index] as number) : sum),
        0,
      );
      for (const [index, values] of runRss.entries()) rssSamples[index]?.push(...values);
      const firstSent = Math.min(...samples.map((entry) => entry.sentAt));
      const lastSent = Math.max(...samples.map((entry) => entry.sentAt));
      const applied = samples.map((entry) => entry.appliedAt).sort((a, b) => a - b);
      const lastApplied = applied[applied.length - 1] as number;
      const result = {
        offeredPerSecond: samples.length / Math.max((lastSent - firstSent) / 1000, 1e-3),
        appliedPerSecond: samples.length / ((lastApplied - firstSent) / 1000),
        sustainedPerSecond: sustainedRate(applied),
        sustainedPerRoute: Object.fromEntries(
          BENCH_SPOKES.map((spoke) => [
            ROUTE_LABEL[spoke],
            sustainedRate(samples.filter((entry) => entry.spoke === spoke).map((entry) => entry.appliedAt)),
          ]),
        ),
        latency: distribution(samples.map((entry) => entry.latencyMs)),
        rssMaxMB: Math.max(...runRss.flat()),
        seconds: (lastApplied - firstSent) / 1000,
        cpuMsPerMessage,
        gasPerMessage: { traders: gas.byOthers / samples.length, operators: gas.bySenders / samples.length },
        anvilGasPerCpuSecond: (gas.byOthers + gas.bySenders) / anvilCpuSeconds,
        hubAnvilMsPerBlock:
          ((cpuSeconds[cpuUsers.findIndex((user) => user.name === hubAnvil)] ?? Number.NaN) * 1000) /
          (gas.blocksByChain[bench.deployment.hub.name] ?? Number.NaN),
        blocksPerMessage: gas.blocks / samples.length,
        operatorTransactionsPerMessage: gas.transactionsBySenders / samples.length,
      };
      perRun.push(result);
      progress(
        `run ${run + 1}/${runs}: ${samples.length} messages offered at ${result.offeredPerSecond.toFixed(0)}/s, applied at ${result.appliedPerSecond.toFixed(1)}/s (${result.seconds.toFixed(1)} s), p50 ${result.latency.p50.toFixed(0)} ms; per message ${result.blocksPerMessage.toFixed(2)} blocks, ${result.operatorTransactionsPerMessage.toFixed(2)} operator transactions`,
      );
    }
    const peaks = pids.map((pid) => memoryOf(pid)?.peakMB ?? Number.NaN);
    const delivered = await deliveriesByOperator(bench);
    const runsOf = (select: (entry: (typeof perRun)[number]) => number) => perRun.map(select);
    /** A figure whose value is the median over the runs, with each run's value beside it. */
    const medianFigure = (
      name: string,
      unit: string,
      select: (entry: (typeof perRun)[number]) => number,
      target?: Target,
    ) =>
      figure({
        section: "throughput",
        name,
        value: median(runsOf(select)),
        unit,
        runs: runsOf(select),
        ...(target && { target }),
      });
    const { source } = THROUGHPUT_TARGET;
    const cpuMsPerMessageOf = (run: (typeof perRun)[number], kinds: readonly (keyof typeof CPU_KIND_LABEL)[]) =>
      cpuUsers
        .filter((user) => kinds.includes(user.kind))
        .reduce((sum, user) => sum + (run.cpuMsPerMessage[user.name] ?? Number.NaN), 0);
    const coresAtTarget = (cpuMsPerMessage: number) => (cpuMsPerMessage * THROUGHPUT_TARGET.messagesPerSecond) / 1000;
    const sourceOnlyGasPerCpuSecond = median(ceiling.runs.map((r) => r.anvilGasPerCpuSecond));
    const figures: Figure[] = [
      medianFigure(
        `offered load (${messages} messages per run, ${traders.length} traders)`,
        "msg/s",
        (r) => r.offeredPerSecond,
      ),
      medianFigure(
        "applied, first send → last applied",
        "msg/s",
        (r) => r.appliedPerSecond,
        atLeast(THROUGHPUT_TARGET.messagesPerSecond, source),
      ),
      medianFigure(
        "sustained (middle 80 % of applications)",
        "msg/s",
        (r) => r.sustainedPerSecond,
        atLeast(THROUGHPUT_TARGET.messagesPerSecond, source),
      ),
      ...BENCH_SPOKES.map((spoke) =>
        medianFigure(
          `sustained, ${ROUTE_LABEL[spoke]} route's share`,
          "msg/s",
          (r) => r.sustainedPerRoute[ROUTE_LABEL[spoke]] ?? Number.NaN,
        ),
      ),
      medianFigure("latency under load p50", "ms", (r) => r.latency.p50, atMost(THROUGHPUT_TARGET.p50, source)),
      medianFigure("latency under load p99", "ms", (r) => r.latency.p99, atMost(THROUGHPUT_TARGET.p99, source)),
      ...(["operators", "anvil", "traders"] as const).map((kind) =>
        medianFigure(`CPU per timed message, ${CPU_KIND_LABEL[kind]}`, "ms", (r) => cpuMsPerMessageOf(r, [kind])),
      ),
      // What the target rate would take at the CPU each message costs now: the machine's cores are the bound.
      medianFigure(
        `cores ${THROUGHPUT_TARGET.messagesPerSecond} msg/s would need at this CPU per message, all processes (machine: ${ceiling.cores})`,
        "cores",
        (r) => coresAtTarget(cpuMsPerMessageOf(r, ["operators", "anvil", "traders"])),
      ),
      medianFigure(
        `cores ${THROUGHPUT_TARGET.messagesPerSecond} msg/s would need at this CPU per message, the anvil chains alone`,
        "cores",
        (r) => coresAtTarget(cpuMsPerMessageOf(r, ["anvil"])),
      ),
      medianFigure(
        "gas per timed message on the four chains, in the traders' transactions (deposits, release requests)",
        "gas",
        (r) => r.gasPerMessage.traders,
      ),
      medianFigure(
        "gas per timed message on the four chains, in the operators' transactions (deliveries; the spokes' acknowledging reports are sent inside them)",
        "gas",
        (r) => r.gasPerMessage.operators,
      ),
      medianFigure(
        "anvil's execution rate under load (the relayer's reads included)",
        "Mgas/CPU-s",
        (r) => r.anvilGasPerCpuSecond / 1e6,
      ),
      // anvil hashes every storage slot the chain ever wrote (zeroed ones too) into the state root of each block it
      // mines, ~1 µs per slot on this machine: a chain's blocks cost more with every message it has applied.
      medianFigure(
        "anvil CPU per block on the hub (grows run to run with the hub's storage)",
        "ms",
        (r) => r.hubAnvilMsPerBlock,
      ),
      // Automine makes every transaction a block: the traders' own transactions are about one per message.
      medianFigure("blocks the four chains mined per timed message", "blocks", (r) => r.blocksPerMessage),
      medianFigure(
        "operator transactions per timed message (deliveries batched)",
        "tx",
        (r) => r.operatorTransactionsPerMessage,
      ),
      // A floor under the chains' share that no relayer change lowers: each message's gas executed at anvil's best
      // rate on this machine (transactions only, nobody reading).
      medianFigure(
        `cores ${THROUGHPUT_TARGET.messagesPerSecond} msg/s would need only to execute each message's gas, at anvil's rate with no relayer`,
        "cores",
        (r) =>
          ((r.gasPerMessage.traders + r.gasPerMessage.operators) * THROUGHPUT_TARGET.messagesPerSecond) /
          sourceOnlyGasPerCpuSecond,
      ),
      ...(
        [
          ["source transactions alone (no relayer running): offered", "msg/s", (r) => r.offeredPerSecond],
          ["source transactions alone: anvil CPU per deposit", "ms", (r) => r.anvilMsPerDeposit],
          ["source transactions alone: traders' CPU per deposit", "ms", (r) => r.tradersMsPerDeposit],
          ["source transactions alone: gas per deposit", "gas", (r) => r.gasPerDeposit],
          ["source transactions alone: anvil's execution rate", "Mgas/CPU-s", (r) => r.anvilGasPerCpuSecond / 1e6],
          [
            `ceiling before any relaying: ${ceiling.cores} cores / (anvil + traders per deposit)`,
            "msg/s",
            (r) => r.ceilingPerSecond,
          ],
        ] as const satisfies readonly [string, string, (run: CeilingRun) => number][]
      ).map(([name, unit, select]) =>
        figure({
          section: "throughput",
          name,
          unit,
          value: median(ceiling.runs.map(select)),
          runs: ceiling.runs.map(select),
        }),
      ),
      figure({
        section: "throughput",
        name: "relayer RSS, peak of any operator (VmHWM)",
        value: Math.max(...peaks),
        unit: "MB",
        target: atMost(THROUGHPUT_TARGET.rssMB, source),
      }),
      figure({
        section: "throughput",
        name: "relayer RSS under load, max sampled",
        value: Math.max(...rssSamples.flat()),
        unit: "MB",
        runs: runsOf((r) => r.rssMaxMB),
      }),
    ];
    return {
      figures,
      details: {
        perRun,
        operators: bench.operators.operators.map((operator, index) => ({
          index,
          pid: operator.pid,
          rssBeforeLoadMB: baseline[index],
          rssMedianUnderLoadMB: rssSamples[index]?.length ? median(rssSamples[index]) : undefined,
          rssMaxUnderLoadMB: rssSamples[index]?.length ? Math.max(...rssSamples[index]) : undefined,
          peakMB: peaks[index],
          deliveredWithOwnTransaction: delivered[index],
        })),
        relayerConfig: bench.relayerConfig,
        sourceCeiling: ceiling,
      },
    };
  } finally {
    await bench.stop();
  }
}

/**
 * The bursts saturate the rig, so their latency is mostly queueing: the paced runs offer a steady rate instead
 * and time each message at a load the machine keeps up with. They get a devnet of their own, so the hub's state
 * grown by the bursts (anvil's cost per block grows with it) does not weigh on them.
 */
async function pacedSection(options: ThroughputOptions) {
  const { runs, messages, pacedRate, progress } = options;
  progress(`paced runs at ${pacedRate} msg/s, on a devnet of their own`);
  const { bench, traders, cpuUsers, drain, operatorAddresses } = await startLoadDevnet(options);
  try {
    await drain("after funding");
    const pacedRuns: {
      offeredPerSecond: number;
      appliedPerSecond: number;
      latency: ReturnType<typeof distribution>;
      /** CPU milliseconds per timed message by kind of process, until every operator drained. */
      cpuMsPerMessage: Record<keyof typeof CPU_KIND_LABEL, number>;
      /** Blocks the four chains mined per timed message (automine: a block per transaction). */
      blocksPerMessage: number;
      operatorTransactionsPerMessage: number;
    }[] = [];
    for (let run = 0; run < runs; run++) {
      const heads = await headBlocks(bench);
      const cpuBefore = cpuUsers.map((user) => user.cpuSeconds());
      const samples = await pacedLoad(traders, { messages, perSecond: pacedRate });
      await drain(`after paced run ${run + 1}`);
      const gas = await gasSince(bench, heads, operatorAddresses);
      const cpuMsOf = (kind: keyof typeof CPU_KIND_LABEL) =>
        (cpuUsers.reduce(
          (sum, user, index) => (user.kind === kind ? sum + user.cpuSeconds() - (cpuBefore[index] as number) : sum),
          0,
        ) *
          1000) /
        samples.length;
      const sent = samples.map((entry) => entry.sentAt);
      const applied = samples.map((entry) => entry.appliedAt);
      const result = {
        offeredPerSecond: (samples.length - 1) / Math.max((Math.max(...sent) - Math.min(...sent)) / 1000, 1e-3),
        appliedPerSecond: sustainedRate(applied),
        latency: distribution(samples.map((entry) => entry.latencyMs)),
        cpuMsPerMessage: { operators: cpuMsOf("operators"), anvil: cpuMsOf("anvil"), traders: cpuMsOf("traders") },
        blocksPerMessage: gas.blocks / samples.length,
        operatorTransactionsPerMessage: gas.transactionsBySenders / samples.length,
      };
      pacedRuns.push(result);
      progress(
        `paced run ${run + 1}/${runs}: ${samples.length} messages offered at ${result.offeredPerSecond.toFixed(0)}/s (asked ${pacedRate}/s), applied at ${result.appliedPerSecond.toFixed(0)}/s, p50 ${result.latency.p50.toFixed(0)} ms, p99 ${result.latency.p99.toFixed(0)} ms; CPU ms per message: operators ${result.cpuMsPerMessage.operators.toFixed(1)}, anvil ${result.cpuMsPerMessage.anvil.toFixed(1)}, traders ${result.cpuMsPerMessage.traders.toFixed(1)}; per message ${result.blocksPerMessage.toFixed(2)} blocks, ${result.operatorTransactionsPerMessage.toFixed(2)} operator transactions`,
      );
    }
    const figures: Figure[] = [
      ...(
        [
          ["offered", "msg/s", (r) => r.offeredPerSecond],
          ["applied (middle 80 %)", "msg/s", (r) => r.appliedPerSecond],
          ["latency p50", "ms", (r) => r.latency.p50],
          ["latency p99", "ms", (r) => r.latency.p99],
          ["CPU per timed message, the three relayer operators", "ms", (r) => r.cpuMsPerMessage.operators],
          ["CPU per timed message, the four anvil chains", "ms", (r) => r.cpuMsPerMessage.anvil],
          ["blocks the four chains mined per timed message", "blocks", (r) => r.blocksPerMessage],
          ["operator transactions per timed message", "tx", (r) => r.operatorTransactionsPerMessage],
        ] as const satisfies readonly [string, string, (run: (typeof pacedRuns)[number]) => number][]
      ).map(([name, unit, select]) =>
        figure({
          section: "throughput",
          name: `paced load of ${pacedRate} msg/s (${messages} messages per run): ${name}`,
          unit,
          value: median(pacedRuns.map(select)),
          runs: pacedRuns.map(select),
        }),
      ),
    ];
    return { figures, runs: pacedRuns };
  } finally {
    await bench.stop();
  }
}

/** A bench devnet with the section's traders funded, and what a run reads of it. */
async function startLoadDevnet(options: ThroughputOptions) {
  const { tradersPerSpoke, progress } = options;
  const bench = await startBenchDevnet({
    benchAccounts: tradersPerSpoke * BENCH_SPOKES.length,
    onProgress: progress,
    ...options.mining,
  });
  try {
    return {
      bench,
      traders: await fundedTraders(bench, tradersPerSpoke, progress),
      cpuUsers: cpuUsersOf(bench),
      drain: drainerOf(bench, progress),
      operatorAddresses: bench.operators.operators.map((operator) => operator.address),
    };
  } catch (error) {
    await bench.stop();
    throw error;
  }
}

/** `tradersPerSpoke` traders on each spoke, minted, approved and funded on the hub (untimed). */
async function fundedTraders(
  bench: BenchDevnet,
  tradersPerSpoke: number,
  progress: (message: string) => void,
): Promise<Trader[]> {
  const traders = BENCH_SPOKES.flatMap((spoke, spokeIndex) =>
    Array.from(
      { length: tradersPerSpoke },
      (_, index) => new Trader(bench, spoke, FIRST_BENCH_ACCOUNT + spokeIndex * tradersPerSpoke + index),
    ),
  );
  progress(`funding ${traders.length} traders (${tradersPerSpoke} per spoke; untimed)`);
  await Promise.all(traders.map((trader) => trader.fund("1000000")));
  return traders;
}

/** Every process whose CPU a run accounts for: the operators, the anvil chains and the bench itself. */
function cpuUsersOf(bench: BenchDevnet) {
  const chainName = new Map([bench.deployment.hub, ...bench.deployment.spokes].map((c) => [c.chainId, c.name]));
  return [
    ...bench.operators.operators.map((operator, index) => ({
      name: `operator ${index}${index === 0 ? " (primary)" : " (backup)"}`,
      kind: "operators" as const,
      cpuSeconds: () => cpuSecondsOf(operator.pid) ?? Number.NaN,
    })),
    ...bench.deployment.processes.map(({ chainId, pid }) => ({
      name: `anvil ${chainName.get(chainId) ?? chainId}`,
      kind: "anvil" as const,
      cpuSeconds: () => cpuSecondsOf(pid) ?? Number.NaN,
    })),
    {
      name: "bench traders (this process)",
      kind: "traders" as const,
      cpuSeconds: () => {
        const { user, system } = process.cpuUsage();
        return (user + system) / 1e6;
      },
    },
  ];
}

/** Waits until every operator's backlog is empty (a run starts on an idle relayer), saying what is left if not. */
function drainerOf(bench: BenchDevnet, progress: (message: string) => void) {
  return async (when: string) => {
    const left = await waitForDrain(bench, { timeoutMs: DRAIN_TIMEOUT_MS, progress });
    if (left.some((count) => count > 0)) progress(`${when}, ${left.join(" / ")} messages still pending per operator`);
  };
}

/**
 * Sends `messages` at a steady `perSecond` (deposits and releases alternating per trader, traders in turn),
 * each message when its time comes whatever the earlier ones are doing; resolves once all are applied.
 */
async function pacedLoad(
  traders: readonly Trader[],
  options: { messages: number; perSecond: number },
): Promise<Sample[]> {
  const intervalMs = 1000 / options.perSecond;
  const sentByTrader = traders.map(() => 0);
  const pending: Promise<Sample>[] = [];
  const startedAt = performance.now();
  for (let index = 0; index < options.messages; index++) {
    const wait = startedAt + index * intervalMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const slot = index % traders.length;
    const trader = traders[slot] as Trader;
    const count = sentByTrader[slot] as number;
    sentByTrader[slot] = count + 1;
    pending.push(count % 2 === 0 ? trader.deposit("1") : trader.release("1"));
  }
  return Promise.all(pending);
}

/** Applications per second over the middle 80 % of them (the ramp-up and the tail left out). */
function sustainedRate(appliedAt: readonly number[]): number {
  const applied = [...appliedAt].sort((a, b) => a - b);
  const low = applied[Math.floor(applied.length * 0.1)] ?? 0;
  const high = applied[Math.floor(applied.length * 0.9)] ?? 0;
  return (Math.floor(applied.length * 0.9) - Math.floor(applied.length * 0.1)) / Math.max((high - low) / 1000, 1e-3);
}
