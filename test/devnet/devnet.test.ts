import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createPublicClient, createWalletClient, http } from "viem";
import { afterAll, describe, expect, it } from "vitest";
import { startAnvil } from "../../relayer/devnet/anvil.ts";
import { readDevnetDeployment } from "../../relayer/devnet/deployment.ts";
import { DEFAULT_DEVNET_MNEMONIC, devnetSpokeName, startDevnet } from "../../relayer/devnet/launcher.ts";
import { CHAIN_IDS, devnetSpokeChainId } from "../../sdk/chains.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CHILD_SCRIPT = fileURLToPath(new URL("./devnet-child.ts", import.meta.url));
const tempDir = mkdtempSync(join(tmpdir(), "xmargin-devnet-"));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

/**
 * Whether the process still runs. A zombie counts as gone: it has exited and only waits for
 * its parent to collect it, which for orphans is init, and some inits take seconds to do so.
 */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
  if (process.platform !== "linux") return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function waitUntilGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = pids.filter(isRunning);
    if (running.length === 0 || Date.now() > deadline) return running;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function killIfRunning(pid: number): void {
  if (isRunning(pid)) process.kill(pid, "SIGKILL");
}

describe("devnet launcher", () => {
  it("names spokes spokeA to spokeZ, then by number", () => {
    expect([0, 1, 25, 26, 30].map(devnetSpokeName)).toEqual(["spokeA", "spokeB", "spokeZ", "spoke27", "spoke31"]);
  });

  it("starts a hub and two funded spokes, writes the deployments file, and stops every chain", async () => {
    const outFile = join(tempDir, "nested", "devnet.json");
    const progress: string[] = [];
    const devnet = await startDevnet({ spokes: 2, outFile, onProgress: (message) => progress.push(message) });
    const pids = devnet.deployment.processes.map(({ pid }) => pid);
    try {
      const written = await readDevnetDeployment(outFile);
      expect(written).toEqual(devnet.deployment);
      expect(written.mnemonic).toBe(DEFAULT_DEVNET_MNEMONIC);
      expect(written.hub).toMatchObject({ name: "hub", chainId: CHAIN_IDS.hub });
      expect(written.spokes.map(({ name, chainId }) => ({ name, chainId }))).toEqual([
        { name: "spokeA", chainId: devnetSpokeChainId(0) },
        { name: "spokeB", chainId: devnetSpokeChainId(1) },
      ]);
      expect(written.processes.map(({ chainId }) => chainId)).toEqual([CHAIN_IDS.hub, 70_701, 70_702]);
      expect(written.accounts).toHaveLength(10);
      // The first well-known anvil account, to pin the derivation path.
      expect(written.accounts[0]).toEqual({
        address: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        privateKey: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
      });
      expect(progress).toContain(`starting hub (${CHAIN_IDS.hub})…`);
      expect(progress).toContain(`hub ready at ${written.hub.rpcUrl}`);

      for (const chain of [written.hub, ...written.spokes]) {
        const client = createPublicClient({ transport: http(chain.rpcUrl) });
        expect(await client.getChainId()).toBe(chain.chainId);
        const anvilAccounts = await createWalletClient({ transport: http(chain.rpcUrl) }).getAddresses();
        expect(anvilAccounts.map((address) => address.toLowerCase())).toEqual(
          written.accounts.map(({ address }) => address.toLowerCase()),
        );
        for (const { address } of written.accounts) {
          expect(await client.getBalance({ address: address as `0x${string}` })).toBeGreaterThan(0n);
        }
      }
      expect(pids.every(isRunning)).toBe(true);
    } finally {
      await devnet.stop();
    }
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }));
    await devnet.stop();
  });

  it("reports a chain that dies on its own", async () => {
    const devnet = await startDevnet({ spokes: 1, outFile: join(tempDir, "crash.json") });
    try {
      const spoke = devnet.deployment.processes.find(({ chainId }) => chainId === devnetSpokeChainId(0));
      process.kill(spoke?.pid as number, "SIGKILL");
      expect(await devnet.chainExited).toMatchObject({ name: "spokeA", signal: "SIGKILL" });
    } finally {
      await devnet.stop();
    }
  });

  it("fails with anvil's own error when a fixed port is taken", async () => {
    const blocker: Server = createServer();
    blocker.listen(0, "127.0.0.1");
    await once(blocker, "listening");
    const { port } = blocker.address() as { port: number };
    try {
      await expect(
        startAnvil({ chainId: CHAIN_IDS.hub, port, mnemonic: DEFAULT_DEVNET_MNEMONIC, accounts: 1, blockTime: 1 }),
      ).rejects.toThrow(/exited before it was ready.*Address already in use/s);
    } finally {
      blocker.close();
    }
  });

  it("takes its chains down when the launching process is killed with SIGKILL", async () => {
    const outFile = join(tempDir, "orphans.json");
    const child = spawn(process.execPath, ["--import", "tsx", CHILD_SCRIPT, outFile], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let pids: number[] = [];
    try {
      let output = "";
      child.stdout.setEncoding("utf8");
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk: string) => {
          output += chunk;
          if (output.includes("devnet started\n")) resolve();
        });
        child.once("exit", (code) => reject(new Error(`devnet child exited early (code ${code})`)));
      });
      pids = (await readDevnetDeployment(outFile)).processes.map(({ pid }) => pid);
      expect(pids).toHaveLength(3);
      expect(pids.every(isRunning)).toBe(true);

      child.kill("SIGKILL");
      expect(await waitUntilGone(pids, 8_000)).toEqual([]);
    } finally {
      child.kill("SIGKILL");
      for (const pid of pids) killIfRunning(pid);
    }
  });
});
