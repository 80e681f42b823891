// The devnet as a user runs it: `npm run devnet`, then Ctrl-C (SIGINT to the whole foreground
// process group, as a terminal sends it).
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { createPublicClient, http } from "viem";
import { afterAll, describe, expect, it } from "vitest";
import { readDevnetDeployment } from "../../relayer/devnet/deployment.ts";

const repoRoot = join(import.meta.dirname, "../..");

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("npm run devnet", () => {
  let workDir = "";
  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it("brings up a hub and two spokes that answer eth_chainId, and Ctrl-C leaves no anvil behind", async () => {
    workDir = await mkdtemp(join(tmpdir(), "xmargin-devnet-cli-"));
    const outFile = join(workDir, "devnet.json");
    const child = spawn("npm", ["run", "--silent", "devnet", "--", "--out", outFile], {
      cwd: repoRoot,
      detached: true,
      env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}` },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal })),
    );

    const deadline = Date.now() + 30_000;
    while (!stdout.includes("Ctrl-C to stop")) {
      if (Date.now() > deadline || child.exitCode !== null) {
        throw new Error(`devnet did not start:\n${stdout}\n${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const deployment = await readDevnetDeployment(outFile);
    const chains = [deployment.hub, ...deployment.spokes];
    expect(chains.map((chain) => chain.chainId)).toEqual([70700, 70701, 70702]);
    for (const chain of chains) {
      const client = createPublicClient({ transport: http(chain.rpcUrl) });
      expect(await client.getChainId()).toBe(chain.chainId);
    }
    const pids = deployment.processes.map((p) => p.pid);
    expect(pids.every(isAlive)).toBe(true);

    if (child.pid === undefined) throw new Error("no pid");
    process.kill(-child.pid, "SIGINT");
    // npm itself dies of the SIGINT; the devnet process behind it shuts down cleanly.
    const exit = await exited;
    expect(exit.code === 0 || exit.signal === "SIGINT").toBe(true);
    const stopDeadline = Date.now() + 10_000;
    while (!stdout.includes("devnet stopped") && Date.now() < stopDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(stdout).toContain("devnet stopped");
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
