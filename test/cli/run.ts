import { spawn } from "node:child_process";
import { join } from "node:path";

export const repoRoot = join(import.meta.dirname, "../..");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `xmargin ARGS` exactly as a user would, with this test's Node. */
export function runCli(args: string[], options: { timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, "bin/xmargin.js"), ...args], { cwd: repoRoot });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Runs `xmargin ARGS` inside this process (no Node start-up, no TypeScript compile): what the commands print
 * through console.log and console.error is captured, and `main`'s exit code returned. A bug that `main`
 * rethrows rejects.
 */
export async function runCliInProcess(args: string[]): Promise<CliResult> {
  const { main } = await import("../../relayer/cli/main.ts");
  const stdout: string[] = [];
  const stderr: string[] = [];
  const { log, error } = console;
  console.log = (...items: unknown[]) => stdout.push(`${items.map(String).join(" ")}\n`);
  console.error = (...items: unknown[]) => stderr.push(`${items.map(String).join(" ")}\n`);
  try {
    const code = await main(args);
    return { code, stdout: stdout.join(""), stderr: stderr.join("") };
  } finally {
    console.log = log;
    console.error = error;
  }
}
