// `npm run bench` (scripts/run npx tsx test/bench/run.ts): gas per operation and the health view's growth,
// end-to-end latency per transport and in dual mode, throughput and relayer memory under load, each
// figure beside its target from the issues. Options:
//   --quick            few messages and one run: a smoke test for CI
//   --runs N           repeat the latency and throughput measurements N times (default 3); figures are medians
//   --out FILE         where the JSON report goes (default test/bench/report.json)
//   --sections LIST    comma-separated subset of gas,latency,throughput
//   --messages N       timed messages per route per latency run (default 67: ≥ 200 per transport, ≥ 500 pooled)
//   --load N           messages per throughput run (default 600)
//   --batch-window-ms N|off  how the chains mine (xmargin devnet --batch-window-ms; default the devnet's)
//   --paced-rate N     msg/s of the throughput section's paced runs (default 50: below this 2-core rig's steady saturation)
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DEFAULT_BATCH_WINDOW_MS } from "../../relayer/devnet/launcher.ts";
import { writeFormattedJson } from "../helpers/formatted-json.ts";
import type { BenchMining } from "./devnet.ts";
import { gasFigures, runGasReport } from "./gas.ts";
import { latencySection } from "./latency.ts";
import {
  type BenchReport,
  benchReportSchema,
  type Figure,
  loadAverageNow,
  machineNow,
  renderTable,
  SECTIONS,
  type Section,
  summaryLine,
} from "./report.ts";
import { throughputSection } from "./throughput.ts";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    runs: { type: "string" },
    out: { type: "string", default: join(here, "report.json") },
    sections: { type: "string", default: SECTIONS.join(",") },
    messages: { type: "string" },
    load: { type: "string" },
    "paced-rate": { type: "string" },
    "batch-window-ms": { type: "string" },
  },
});
const integer = (name: string, text: string | undefined, fallback: number, min: number, max: number) => {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`--${name} must be an integer in [${min}, ${max}], got ${text}`);
  }
  return value;
};
const quick = values.quick;
const runs = integer("runs", values.runs, quick ? 1 : 3, 1, 20);
const sections = values.sections.split(",").map((name) => {
  if (!(SECTIONS as readonly string[]).includes(name))
    throw new Error(`--sections: unknown section ${name} (have ${SECTIONS.join(", ")})`);
  return name as Section;
});
// The default times at least 200 messages per transport (3 runs × 67 = 201) and 500 in all (603), as the issues ask;
// --quick is the smoke form.
const messagesPerRoute = integer("messages", values.messages, quick ? 6 : 67, 2, 10_000);
const loadMessages = integer("load", values.load, quick ? 30 : 600, 6, 100_000);
const pacedRate = integer("paced-rate", values["paced-rate"], 50, 1, 10_000);
const batchWindowMs =
  values["batch-window-ms"] === "off"
    ? ("off" as const)
    : integer("batch-window-ms", values["batch-window-ms"], DEFAULT_BATCH_WINDOW_MS, 0, 1_000);
const mining: BenchMining = { batchWindowMs };

const machine = machineNow();
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
const progress = (section: string) => (text: string) => console.log(`… [${section}] ${text} (${elapsed()})`);
console.log(
  `xmargin bench: ${sections.join(", ")}; ${quick ? "quick, " : ""}${runs} run(s); ${machine.cores} cores, load average ${machine.loadAverageAtStart.join(" ")}`,
);

const figures: Figure[] = [];
const details: Record<string, unknown> = {};
const methods: Record<string, string> = {};
if (sections.includes("gas")) {
  const report = runGasReport(progress("gas"));
  figures.push(...gasFigures(report));
  details.gas = { growth: report.growth };
  methods.gas =
    "test/gas/gas-report.ts on in-process Hardhat chains (test transport): receipt.gasUsed of each transaction ('tx'), or execution = gasUsed − 21000 − calldata for the application alone ('direct') and views ('estimate'), or a deposit's gasUsed without its call to the test transport's send() ('tx−send'); targets from issue 3 compare what the gas report compares. Transport sends and steps come from the latency devnet: receipts of the source transactions, and of every transaction the operators sent to the DVN, the Executor and the Hyperlane Mailbox.";
}
if (sections.includes("latency")) {
  const result = await latencySection({
    runs,
    messagesPerRoute,
    liquidationRounds: quick ? 1 : 2,
    mining,
    progress: progress("latency"),
  });
  figures.push(...result.figures);
  details.latency = result.details;
  methods.latency =
    "Anvil devnet (automine, 0.25 s empty blocks), 3 relayer operator processes (2 of 3), spokeA LayerZero, spokeB Hyperlane, spokeC dual. Latency = wall clock from eth_sendRawTransaction of the source transaction (signed beforehand) to the bench receiving, over an eth_subscribe websocket, the destination's event: the hub's BalanceReportApplied for the deposit's report seq, or the spoke's CommandExecuted for the Release's command nonce; for liquidations, from the ETH-PERP feed drop to the last Seize executed on the spoke, the liquidator reacting at once. Each route runs a closed loop of one trader (deposit, release, wait for the acknowledging report), the three routes side by side. Percentiles pool every run; 'runs' lists each run's value.";
}
if (sections.includes("throughput")) {
  const result = await throughputSection({
    runs,
    messages: loadMessages,
    tradersPerSpoke: quick ? 4 : 8,
    pacedRate,
    mining,
    progress: progress("throughput"),
  });
  figures.push(...result.figures);
  details.throughput = result.details;
  methods.throughput =
    "A fresh devnet like the latency one. Each run starts once every operator's backlog is empty (the previous run's acknowledgements delivered; GET /healthz), then every trader fires its share of deposits and releases without waiting for delivery (its own transactions in nonce order). Applied rate = messages / (last applied − first sent); sustained = the middle 80 % of applications over their time span; latency as in the latency section; RSS from /proc/<pid>/status (VmRSS every 200 ms, VmHWM at the end) of each operator process. Figures are medians over runs. Before the relayed runs, the same traders send half as many deposits per run to a second devnet with no relayer running: anvil CPU (/proc/<pid>/stat) and the traders' CPU per deposit, and the ceiling that two cores put on the message rate even if relaying, destination transactions and acknowledgements cost nothing. Then, on a devnet of their own (the bursts grow the hub's state, and with it anvil's cost per block), per run, the same number of messages at a steady --paced-rate (default 50 msg/s; message k sent at k / rate whatever the earlier ones are doing, traders in turn): their latency, the applied rate and the CPU, blocks and operator transactions per message, at a load that batches little.";
}

// A CPU reading below the clock's 10 ms resolution (a tiny --load) makes a ratio infinite or NaN: such a figure
// was not measured, and the report says so instead of failing on it.
const measured = figures.flatMap((entry) => {
  if (Number.isFinite(entry.value)) {
    return [entry.runs ? { ...entry, runs: entry.runs.filter(Number.isFinite) } : entry];
  }
  console.log(
    `not measurable in this run, left out of the report: ${entry.section} "${entry.name}" (a larger --load measures it)`,
  );
  return [];
});

const report: BenchReport = benchReportSchema.parse({
  generatedAt: new Date().toISOString(),
  durationSeconds: Math.round((performance.now() - started) / 100) / 10,
  machine: { ...machine, loadAverageAtEnd: loadAverageNow() },
  options: { quick, runs, sections, batchWindowMs },
  methods,
  figures: measured,
  details,
});
const out = resolve(values.out);
writeFormattedJson(out, report);
console.log("");
console.log(renderTable(measured));
console.log("");
console.log(summaryLine(measured));
console.log(
  `load average at start ${machine.loadAverageAtStart.join(" ")}, at end ${report.machine.loadAverageAtEnd?.join(" ")}; ${elapsed()}`,
);
console.log(`wrote ${relative(process.cwd(), out) || out}`);
process.exit(0);
