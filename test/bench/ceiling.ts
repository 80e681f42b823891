/**
 * What the machine allows before any relayer work: the throughput section's traders send their deposits
 * (each one a cross-chain message's source transaction) to a devnet with no relayer running, and the bench
 * reads how much CPU the anvil chains and the traders spend per deposit. Two cores divided by that cost is
 * the most messages per second this machine could carry if relaying, the destination transactions and the
 * acknowledgements cost nothing — a ceiling on the throughput section's rate, measured rather than argued.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import type { Address, Hex } from "viem";
import { startDevnet } from "../../relayer/devnet/launcher.ts";
import { deployDevnetProtocol, devnetChainClients } from "../../relayer/devnet/protocol.ts";
import {
  BENCH_ROUTES,
  BENCH_SPOKES,
  call,
  DEPOSIT_FEE,
  FIRST_BENCH_ACCOUNT,
  GAS,
  now,
  OPERATORS,
  Sender,
  THRESHOLD,
  usdc,
} from "./devnet.ts";
import { cpuSecondsOf } from "./relayer-view.ts";

export interface CeilingOptions {
  runs: number;
  /** Deposits per run, spread over every trader. */
  messages: number;
  tradersPerSpoke: number;
  progress: (message: string) => void;
}

export interface CeilingRun {
  offeredPerSecond: number;
  anvilMsPerDeposit: number;
  tradersMsPerDeposit: number;
  /** cores × 1000 / (anvil + traders ms per deposit). */
  ceilingPerSecond: number;
}

export async function measureSourceCeiling(options: CeilingOptions): Promise<{ runs: CeilingRun[]; cores: number }> {
  const { runs, messages, tradersPerSpoke, progress } = options;
  const dataDir = mkdtempSync(join(tmpdir(), "xmargin-ceiling-"));
  progress("source-side ceiling: a devnet with no relayer running");
  const devnet = await startDevnet({
    spokes: BENCH_SPOKES.length,
    accounts: FIRST_BENCH_ACCOUNT + tradersPerSpoke * BENCH_SPOKES.length,
    outFile: join(dataDir, "devnet.json"),
  });
  try {
    const { deployment, protocol } = await deployDevnetProtocol(devnet.deployment, devnet.outFile, {
      operators: OPERATORS,
      threshold: THRESHOLD,
      routes: BENCH_ROUTES,
    });
    const traders = BENCH_SPOKES.flatMap((name, spokeIndex) => {
      const chain = deployment.spokes.find((candidate) => candidate.name === name);
      const record = protocol.spokes.find((candidate) => candidate.name === name);
      const token = record?.tokens.USDC?.address as Address | undefined;
      if (!chain || !record || !token) throw new Error(`${name} is not deployed with USDC`);
      const clients = devnetChainClients(chain);
      return Array.from({ length: tradersPerSpoke }, (_, index) => {
        const account = deployment.accounts[FIRST_BENCH_ACCOUNT + spokeIndex * tradersPerSpoke + index];
        if (!account) throw new Error("the devnet funded too few accounts");
        return {
          sender: new Sender(clients, account.privateKey as Hex),
          address: account.address as Address,
          token,
          vault: record.contracts.vault as Address,
        };
      });
    });
    await Promise.all(
      traders.map(async (trader) => {
        await trader.sender.send({
          to: trader.token,
          data: call.mint(trader.address, usdc("100000000")),
          gas: GAS.token,
        });
        await trader.sender.send({ to: trader.token, data: call.approve(trader.vault), gas: GAS.token });
      }),
    );
    const anvilPids = devnet.deployment.processes.map((chain) => chain.pid);
    const anvilSeconds = () => anvilPids.reduce((sum, pid) => sum + (cpuSecondsOf(pid) ?? Number.NaN), 0);
    const cores = cpus().length;
    const perTrader = Math.ceil(messages / traders.length);
    const results: CeilingRun[] = [];
    for (let run = 0; run < runs; run++) {
      const anvilBefore = anvilSeconds();
      const tradersBefore = process.cpuUsage();
      const startedAt = now();
      await Promise.all(
        traders.flatMap((trader) =>
          Array.from({ length: perTrader }, () =>
            trader.sender.send({
              to: trader.vault,
              data: call.deposit(trader.token, usdc("1")),
              value: DEPOSIT_FEE,
              gas: GAS.deposit,
            }),
          ),
        ),
      );
      const seconds = (now() - startedAt) / 1000;
      const deposits = perTrader * traders.length;
      const tradersUsage = process.cpuUsage(tradersBefore);
      const anvilMsPerDeposit = ((anvilSeconds() - anvilBefore) * 1000) / deposits;
      const tradersMsPerDeposit = (tradersUsage.user + tradersUsage.system) / 1000 / deposits;
      const result = {
        offeredPerSecond: deposits / seconds,
        anvilMsPerDeposit,
        tradersMsPerDeposit,
        ceilingPerSecond: (cores * 1000) / (anvilMsPerDeposit + tradersMsPerDeposit),
      };
      results.push(result);
      progress(
        `ceiling run ${run + 1}/${runs}: ${deposits} deposits at ${result.offeredPerSecond.toFixed(0)}/s, anvil ${anvilMsPerDeposit.toFixed(2)} + traders ${tradersMsPerDeposit.toFixed(2)} ms CPU each → at most ${result.ceilingPerSecond.toFixed(0)}/s on ${cores} cores`,
      );
    }
    return { runs: results, cores };
  } finally {
    await devnet.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
