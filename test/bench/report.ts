/**
 * The bench's figures, their targets from the issues and the one table `npm run bench` prints. Every
 * figure is a measured value; a target only says which bound it is held against and where it comes from.
 */
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { z } from "zod/v4";

export const SECTIONS = ["gas", "latency", "throughput"] as const;
export type Section = (typeof SECTIONS)[number];

const targetSchema = z.object({
  /** `max`: the value must not exceed `bound`; `min`: it must reach it. */
  kind: z.enum(["max", "min"]),
  bound: z.number(),
  /** Where the target was set, e.g. "issue 3". */
  source: z.string().min(1),
});
export type Target = z.infer<typeof targetSchema>;

export const figureSchema = z.object({
  section: z.enum(SECTIONS),
  name: z.string().min(1),
  value: z.number(),
  unit: z.string().min(1),
  /** One value per run when the figure was measured more than once; `value` is their median. */
  runs: z.array(z.number()).optional(),
  target: targetSchema.optional(),
  /** Present exactly when there is a target. */
  met: z.boolean().optional(),
  note: z.string().optional(),
});
export type Figure = z.infer<typeof figureSchema>;

export const machineSchema = z.object({
  cores: z.number().int().positive(),
  cpuModel: z.string(),
  /** 1, 5 and 15 minute load averages when the bench started: other work on the machine shows here. */
  loadAverageAtStart: z.tuple([z.number(), z.number(), z.number()]),
  loadAverageAtEnd: z.tuple([z.number(), z.number(), z.number()]).optional(),
  totalMemoryMB: z.number(),
  freeMemoryMBAtStart: z.number(),
  node: z.string(),
  platform: z.string(),
});
export type Machine = z.infer<typeof machineSchema>;

export const benchReportSchema = z.object({
  generatedAt: z.iso.datetime(),
  durationSeconds: z.number(),
  machine: machineSchema,
  options: z.object({
    quick: z.boolean(),
    runs: z.number().int().positive(),
    sections: z.array(z.enum(SECTIONS)),
    /** How the chains mined: milliseconds a transaction waits at most for its block, or "off" (automine). */
    batchWindowMs: z.union([z.number().nonnegative(), z.literal("off")]).optional(),
  }),
  /** How each section measures what it reports, in words. */
  methods: z.record(z.string(), z.string()),
  figures: z.array(figureSchema),
  /** Each section's raw material (per-run distributions, growth points, per-operator RSS, …). */
  details: z.record(z.string(), z.unknown()),
});
export type BenchReport = z.infer<typeof benchReportSchema>;

export function machineNow(): Machine {
  const cpuList = cpus();
  const load = loadavg();
  return {
    cores: cpuList.length,
    cpuModel: cpuList[0]?.model ?? "unknown",
    loadAverageAtStart: [round2(load[0] ?? 0), round2(load[1] ?? 0), round2(load[2] ?? 0)],
    totalMemoryMB: Math.round(totalmem() / 2 ** 20),
    freeMemoryMBAtStart: Math.round(freemem() / 2 ** 20),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

export function loadAverageNow(): [number, number, number] {
  const load = loadavg();
  return [round2(load[0] ?? 0), round2(load[1] ?? 0), round2(load[2] ?? 0)];
}

const round2 = (value: number) => Math.round(value * 100) / 100;

export const atMost = (bound: number, source: string): Target => ({ kind: "max", bound, source });
export const atLeast = (bound: number, source: string): Target => ({ kind: "min", bound, source });

export function meets(value: number, target: Target): boolean {
  return target.kind === "max" ? value <= target.bound : value >= target.bound;
}

/** A figure with its target marked: `met` is set from the value whenever a target is given. */
export function figure(fields: Omit<Figure, "met">): Figure {
  return fields.target ? { ...fields, met: meets(fields.value, fields.target) } : fields;
}

function formatNumber(value: number, unit: string): string {
  if (unit === "gas") return Math.round(value).toLocaleString("en-US");
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function formatTarget(target: Target, unit: string): string {
  return `${target.kind === "max" ? "≤" : "≥"} ${formatNumber(target.bound, unit)} ${unit} (${target.source})`;
}

/** One line per figure: section, name, value (with the runs' range), target, met / NOT MET / blank. */
export function renderTable(figures: readonly Figure[]): string {
  const header = ["section", "figure", "value", "runs (min–max)", "target", "status"];
  const lines = figures.map((entry) => [
    entry.section,
    entry.name,
    `${formatNumber(entry.value, entry.unit)} ${entry.unit}`,
    entry.runs && entry.runs.length > 1
      ? `${formatNumber(Math.min(...entry.runs), entry.unit)}–${formatNumber(Math.max(...entry.runs), entry.unit)}`
      : "",
    entry.target ? formatTarget(entry.target, entry.unit) : "",
    entry.met === undefined ? "" : entry.met ? "met" : "NOT MET",
  ]);
  const table = [header, ...lines];
  const widths = header.map((_, column) => Math.max(...table.map((line) => (line[column] ?? "").length)));
  const render = (line: string[]) =>
    line
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  return [render(header), widths.map((width) => "-".repeat(width)).join("  "), ...lines.map(render)].join("\n");
}

export function summaryLine(figures: readonly Figure[]): string {
  const judged = figures.filter((entry) => entry.met !== undefined);
  const missed = judged.filter((entry) => entry.met === false);
  return `${judged.length - missed.length} of ${judged.length} targets met${
    missed.length > 0 ? `; not met: ${missed.map((entry) => `${entry.section} ${entry.name}`).join("; ")}` : ""
  }`;
}
