/**
 * Gas section: runs test/gas/gas-report.ts (`npm run gas`: the hub and two spokes on in-process chains,
 * every user and keeper operation once, the health view as the account grows) against the contracts as
 * they are now, and takes its rows. The report rewrites test/gas/gas-report.json; the bench puts the
 * file back as it found it, so a bench run leaves the tree unchanged.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod/v4";
import { atMost, type Figure, figure } from "./report.ts";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const GAS_REPORT_SCRIPT = join(repo, "test", "gas", "gas-report.ts");
const GAS_REPORT_JSON = join(repo, "test", "gas", "gas-report.json");

const gasReportSchema = z.object({
  rows: z.array(
    z.object({
      operation: z.string(),
      method: z.enum(["tx", "direct", "estimate", "view-tx", "tx−send"]),
      gas: z.number(),
      intrinsic: z.number(),
      execution: z.number(),
      target: z
        .object({ name: z.string(), max: z.number(), compared: z.enum(["gas", "execution"]), met: z.boolean() })
        .optional(),
      note: z.string().optional(),
    }),
  ),
  growth: z.object({
    entries: z.object({
      points: z.array(z.object({ count: z.number(), estimate: z.number() })),
      marginalPerEntry: z.number(),
    }),
    positions: z.object({
      points: z.array(z.object({ count: z.number(), estimate: z.number() })),
      marginalPerPosition: z.number(),
    }),
  }),
});
export type GasReport = z.infer<typeof gasReportSchema>;

/** Runs the gas report in its own process (it exits when done) and parses what it wrote. */
export function runGasReport(progress: (message: string) => void): GasReport {
  let previous: string | undefined;
  try {
    previous = readFileSync(GAS_REPORT_JSON, "utf8");
  } catch {}
  progress("running test/gas/gas-report.ts (in-process hardhat chains)");
  try {
    execFileSync(process.execPath, ["--import", "tsx", GAS_REPORT_SCRIPT], {
      cwd: repo,
      stdio: ["ignore", "pipe", "inherit"],
    });
    return gasReportSchema.parse(JSON.parse(readFileSync(GAS_REPORT_JSON, "utf8")));
  } finally {
    if (previous !== undefined) writeFileSync(GAS_REPORT_JSON, previous);
  }
}

/** Every row as a figure (the value the row's target compares, else what the transaction or view costs). */
export function gasFigures(report: GasReport): Figure[] {
  const whole = (row: GasReport["rows"][number]) => row.method === "tx" || row.method === "tx−send";
  const figures = report.rows.map((row) =>
    figure({
      section: "gas",
      name: `${row.operation} [${row.method}${row.target?.compared === "execution" || !whole(row) ? ", execution" : ""}]`,
      value: row.target ? row[row.target.compared] : whole(row) ? row.gas : row.execution,
      unit: "gas",
      ...(row.target ? { target: atMost(row.target.max, "issue 3") } : {}),
    }),
  );
  const { entries, positions } = report.growth;
  const last = <T>(points: readonly T[]) => points[points.length - 1];
  const lastEntry = last(entries.points);
  const lastPosition = last(positions.points);
  figures.push(
    figure({
      section: "gas",
      name: `healthOf growth per collateral entry (1..${lastEntry?.count} entries, least squares)`,
      value: entries.marginalPerEntry,
      unit: "gas",
    }),
    figure({
      section: "gas",
      name: `healthOf growth per position (1..${lastPosition?.count} positions, least squares)`,
      value: positions.marginalPerPosition,
      unit: "gas",
    }),
  );
  if (lastEntry)
    figures.push(
      figure({
        section: "gas",
        name: `healthOf with ${lastEntry.count} entries, 0 positions [estimate, execution]`,
        value: lastEntry.estimate,
        unit: "gas",
      }),
    );
  if (lastPosition)
    figures.push(
      figure({
        section: "gas",
        name: `healthOf with 1 entry, ${lastPosition.count} positions [estimate, execution]`,
        value: lastPosition.estimate,
        unit: "gas",
      }),
    );
  return figures;
}
