// The devnet as a user runs it: `npm run devnet`, then Ctrl-C (SIGINT to the whole foreground
// process group, as a terminal sends it).
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { type Address, createPublicClient, type Hex, http, parseEther, parseUnits } from "viem";
import { afterAll, describe, expect, it } from "vitest";
import { readDevnetDeployment } from "../../relayer/devnet/deployment.ts";
import { DEVNET_ACCOUNT_ROLES, devnetChainClients } from "../../relayer/devnet/protocol.ts";
import { testTokenAbi } from "../../relayer/infra/protocol-abi.ts";
import { collateralVaultAbi } from "../../sdk/abi/index.ts";

const repoRoot = join(import.meta.dirname, "../..");

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

interface RunningDevnet {
  child: ChildProcessWithoutNullStreams;
  output: () => { stdout: string; stderr: string };
  waitFor: (text: string, timeoutMs: number) => Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm run devnet -- ARGS` in its own process group, as a terminal would run it. */
function npmRunDevnet(args: string[]): RunningDevnet {
  const child = spawn("npm", ["run", "--silent", "devnet", "--", ...args], {
    cwd: repoRoot,
    detached: true,
    env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}` },
    stdio: ["ignore", "pipe", "pipe"],
  }) as unknown as ChildProcessWithoutNullStreams;
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
  const waitFor = async (text: string, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!stdout.includes(text)) {
      if (Date.now() > deadline || child.exitCode !== null) {
        throw new Error(`devnet never printed "${text}":\n${stdout}\n${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return { child, output: () => ({ stdout, stderr }), waitFor, exited };
}

/** Ctrl-C; npm itself dies of the SIGINT, the devnet process behind it shuts down cleanly. */
async function interrupt(devnet: RunningDevnet, pids: number[]): Promise<void> {
  if (devnet.child.pid === undefined) throw new Error("no pid");
  process.kill(-devnet.child.pid, "SIGINT");
  const exit = await devnet.exited;
  expect(exit.code === 0 || exit.signal === "SIGINT").toBe(true);
  const stopDeadline = Date.now() + 10_000;
  while (!devnet.output().stdout.includes("devnet stopped") && Date.now() < stopDeadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(devnet.output().stdout).toContain("devnet stopped");
  // Every operator shut down by itself (store and sockets closed), none needed the SIGKILL after the grace period.
  expect(devnet.output().stdout).not.toContain("did not stop");
  expect(pids.filter(isAlive)).toEqual([]);
}

/** The relayer operator processes, from the pid every log line of theirs carries. */
async function operatorPidsOf(dataDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const index of [0, 1, 2]) {
    const log = await readFile(join(dataDir, `operator-${index}`, "relayer.log"), "utf8");
    const line = log.split("\n").find((candidate) => candidate.startsWith("{"));
    if (line) pids.push((JSON.parse(line) as { pid: number }).pid);
  }
  return pids;
}

describe("npm run devnet", () => {
  let workDir = "";
  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it("brings up a hub and two spokes with the protocol deployed, relays a deposit, and Ctrl-C leaves no anvil behind", async () => {
    workDir = await mkdtemp(join(tmpdir(), "xmargin-devnet-cli-"));
    const outFile = join(workDir, "devnet.json");
    const devnet = npmRunDevnet(["--out", outFile, "--data-dir", join(workDir, "operators"), "--verbose"]);
    await devnet.waitFor("Ctrl-C to stop", 60_000);
    const { stdout } = devnet.output();
    expect(stdout).toMatch(/protocol deployed in [\d.]+ s/);
    expect(stdout).toContain("relayer: 3 operator instances, 2 of 3 signatures per message");
    const operatorPids = await operatorPidsOf(join(workDir, "operators"));
    expect(operatorPids).toHaveLength(3);
    expect(stdout).toContain("route to the hub: layerzero");
    expect(stdout).toContain("route to the hub: hyperlane");

    const deployment = await readDevnetDeployment(outFile);
    const chains = [deployment.hub, ...deployment.spokes];
    expect(chains.map((chain) => chain.chainId)).toEqual([70700, 70701, 70702]);
    for (const chain of chains) {
      const client = createPublicClient({ transport: http(chain.rpcUrl) });
      expect(await client.getChainId()).toBe(chain.chainId);
    }
    expect(deployment.hub.contracts?.engine).toBeDefined();
    expect(deployment.routes).toEqual({ spokeA: "layerzero", spokeB: "hyperlane" });
    const pids = deployment.processes.map((p) => p.pid);
    expect(pids.every(isAlive)).toBe(true);

    // A deposit on each spoke: the relayer operators carry its report and the devnet says so.
    const traderKey = deployment.accounts[DEVNET_ACCOUNT_ROLES.trader]?.privateKey as Hex;
    for (const spoke of deployment.spokes) {
      const { publicClient, walletFor } = devnetChainClients(spoke);
      const wallet = walletFor(traderKey);
      const token = spoke.tokens?.USDC?.address as Address;
      const vault = spoke.contracts?.vault as Address;
      const amount = parseUnits("100", 6);
      for (const hash of [
        await wallet.writeContract({
          address: token,
          abi: testTokenAbi,
          functionName: "mint",
          args: [wallet.account.address, amount],
        }),
        await wallet.writeContract({
          address: token,
          abi: testTokenAbi,
          functionName: "approve",
          args: [vault, amount],
        }),
        await wallet.writeContract({
          address: vault,
          abi: collateralVaultAbi,
          functionName: "deposit",
          args: [token, amount, true],
          value: parseEther("0.01"),
        }),
      ]) {
        expect((await publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
      }
    }
    await devnet.waitFor("operator 0: layerzero spokeA → hub BalanceReport delivered", 20_000);
    await devnet.waitFor("operator 0: hyperlane spokeB → hub BalanceReport delivered", 20_000);

    await interrupt(devnet, [...pids, ...operatorPids]);
  });

  it("--no-deploy starts bare chains", async () => {
    const outFile = join(workDir, "bare.json");
    const devnet = npmRunDevnet(["--out", outFile, "--no-deploy", "--chains", "1"]);
    await devnet.waitFor("Ctrl-C to stop", 30_000);
    expect(devnet.output().stdout).not.toContain("protocol deployed");
    const deployment = await readDevnetDeployment(outFile);
    expect(deployment.hub.contracts).toBeUndefined();
    expect(deployment.spokes.map((spoke) => spoke.name)).toEqual(["spokeA"]);
    await interrupt(
      devnet,
      deployment.processes.map((p) => p.pid),
    );
  });

  it("refuses options that do not fit, before starting anything", async () => {
    for (const [args, message] of [
      [["--route", "spokeC=dual"], 'no spoke "spokeC"'],
      [["--route", "spokeA=carrier-pigeon"], '"carrier-pigeon" is not a transport'],
      [["--operators", "3", "--threshold", "4"], "--threshold 4 exceeds --operators 3"],
      [["--no-deploy", "--route", "dual"], "--no-deploy starts bare chains"],
    ] as const) {
      const devnet = npmRunDevnet([...args]);
      const exit = await devnet.exited;
      expect(exit.code, args.join(" ")).toBe(2);
      expect(devnet.output().stderr).toContain(message);
    }
  });
});
