// README.md's walkthrough, run as written: the devnet line and every trader command, each through a shell,
// in a scratch checkout (symlinks to this repository's files) so that `deployments/devnet.json` and
// `.xmargin/devnet` are the test's own and a developer's running devnet is left alone. `scripts/run` changes
// into the checkout it lives in, so the README's lines need no flag to point at the test's devnet.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { missingLines, parseWalkthrough, readReadme, repoRoot } from "./walkthrough.ts";

const walkthrough = parseWalkthrough(readReadme());
/** What a fresh clone has: everything but the devnet's outputs and git's own directory. */
const NOT_LINKED = new Set([".git", "deployments", ".xmargin"]);
const DEVNET_START_TIMEOUT_MS = 120_000;
const COMMAND_TIMEOUT_MS = 90_000;
const KEEPER_TIMEOUT_MS = 30_000;

/** The user's shell, without settings of this process that would change what the commands do. */
function userEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    const testOnly = name.startsWith("VITEST") || name === "NODE_ENV";
    if (name.startsWith("XMARGIN_") || name === "DATABASE_URL" || testOnly) delete env[name];
  }
  return env;
}

function runInShell(command: string, cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", command], { cwd, env: userEnvironment() });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), COMMAND_TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("README walkthrough", () => {
  const checkout = mkdtempSync(join(tmpdir(), "xmargin-readme-"));
  let devnet: ChildProcess | undefined;
  let devnetOutput = "";
  let devnetExit: Promise<void> = Promise.resolve();

  /** Waits until every line is in the devnet's output; the lines still missing when it gives up. */
  const waitForDevnet = async (lines: string[], timeoutMs: number): Promise<string[]> => {
    const deadline = Date.now() + timeoutMs;
    let missing = missingLines(lines, devnetOutput);
    while (missing.length > 0 && Date.now() < deadline && devnet?.exitCode === null) {
      await delay(100);
      missing = missingLines(lines, devnetOutput);
    }
    return missing;
  };

  beforeAll(async () => {
    for (const entry of readdirSync(repoRoot)) {
      if (!NOT_LINKED.has(entry)) symlinkSync(join(repoRoot, entry), join(checkout, entry));
    }
    // Its own process group, so that the end of the test can press Ctrl-C the way a terminal does.
    devnet = spawn("bash", ["-c", walkthrough.devnet.command], {
      cwd: checkout,
      env: userEnvironment(),
      detached: true,
    });
    devnetExit = new Promise((resolve) => devnet?.once("exit", () => resolve()));
    devnet.stdout?.on("data", (chunk) => {
      devnetOutput += chunk;
    });
    devnet.stderr?.on("data", (chunk) => {
      devnetOutput += chunk;
    });
    const missing = await waitForDevnet(walkthrough.devnet.output, DEVNET_START_TIMEOUT_MS);
    expect(missing, `${walkthrough.devnet.command} did not print these lines:\n${devnetOutput}`).toEqual([]);
  }, DEVNET_START_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    if (devnet?.pid !== undefined && devnet.exitCode === null) {
      process.kill(-devnet.pid, "SIGINT");
      const stopped = await Promise.race([devnetExit.then(() => true), delay(20_000).then(() => false)]);
      if (!stopped) process.kill(-devnet.pid, "SIGKILL");
    }
    rmSync(checkout, { recursive: true, force: true });
  }, 30_000);

  it("shows the trader story: commands through scripts/run, each with the output it prints", () => {
    expect(walkthrough.steps.length).toBeGreaterThanOrEqual(10);
    for (const step of walkthrough.steps) {
      expect(step.command).toMatch(/^scripts\/run npx xmargin [a-z-]+ /);
      expect(step.output.length + step.devnetOutput.length, step.command).toBeGreaterThan(0);
    }
  });

  for (const step of walkthrough.steps) {
    it(
      step.command.replace(/^scripts\/run npx /, ""),
      async () => {
        const { code, output } = await runInShell(step.command, checkout);
        expect(code, `${step.command}\n${output}`).toBe(0);
        expect(missingLines(step.output, output), `${step.command} printed:\n${output}`).toEqual([]);
        const missing = await waitForDevnet(step.devnetOutput, KEEPER_TIMEOUT_MS);
        expect(missing, `the devnet's terminal:\n${devnetOutput}`).toEqual([]);
      },
      COMMAND_TIMEOUT_MS + KEEPER_TIMEOUT_MS,
    );
  }
});
