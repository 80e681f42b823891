/**
 * What the machine allows before any relaying: the throughput section's traders send their deposits
 * (each one a cross-chain message's source transaction) to the bench's chains with no relayer running, and
 * the bench reads how much CPU the anvil chains and the traders spend per deposit. Two cores divided by that
 * cost is the most messages per second this machine could carry if relaying, the destination transactions
 * and the acknowledgements cost nothing — a ceiling on the throughput section's rate, measured rather than
 * argued.
 */
import { cpus } from "node:os";
import type { Address } from "viem";
import { gasSince, headBlocks } from "./chain-gas.ts";
import {
  BENCH_SPOKES,
  type BenchMining,
  call,
  DEPOSIT_FEE,
  FIRST_BENCH_ACCOUNT,
  GAS,
  now,
  Sender,
  startBenchChains,
  usdc,
} from "./devnet.ts";
import { cpuSecondsOf } from "./relayer-view.ts";

export interface CeilingOptions {
  runs: number;
  /** Deposits per run, spread over every trader. */
  messages: number;
  tradersPerSpoke: number;
  mining: BenchMining;
  progress: (message: string) => void;
}

export interface CeilingRun {
  offeredPerSecond: number;
  anvilMsPerDeposit: number;
  tradersMsPerDeposit: number;
  /** cores × 1000 / (anvil + traders ms per deposit). */
  ceilingPerSecond: number;
  /** Gas the chains executed per deposit (the vault's and the transport's send). */
  gasPerDeposit: number;
  /** Gas anvil executed per CPU-second it spent: its speed with transactions alone, no relayer reading. */
  anvilGasPerCpuSecond: number;
}

export async function measureSourceCeiling(options: CeilingOptions): Promise<{ runs: CeilingRun[]; cores: number }> {
  const { runs, messages, tradersPerSpoke, progress } = options;
  progress("source-side ceiling: the bench's chains with no relayer running");
  const bench = await startBenchChains({
    benchAccounts: tradersPerSpoke * BENCH_SPOKES.length,
    onProgress: progress,
    ...options.mining,
  });
  try {
    const traders = BENCH_SPOKES.flatMap((name, spokeIndex) => {
      const record = bench.spoke(name);
      const token = record.tokens.USDC?.address as Address | undefined;
      if (!token) throw new Error(`${name} has no USDC`);
      return Array.from({ length: tradersPerSpoke }, (_, index) => {
        const { address, privateKey } = bench.account(FIRST_BENCH_ACCOUNT + spokeIndex * tradersPerSpoke + index);
        return { sender: new Sender(bench.chain(name), privateKey), address, token, vault: record.contracts.vault };
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
    const anvilSeconds = () =>
      bench.deployment.processes.reduce((sum, { pid }) => sum + (cpuSecondsOf(pid) ?? Number.NaN), 0);
    const cores = cpus().length;
    const perTrader = Math.ceil(messages / traders.length);
    const results: CeilingRun[] = [];
    for (let run = 0; run < runs; run++) {
      const heads = await headBlocks(bench);
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
      const anvilCpuSeconds = anvilSeconds() - anvilBefore;
      const anvilMsPerDeposit = (anvilCpuSeconds * 1000) / deposits;
      const tradersMsPerDeposit = (tradersUsage.user + tradersUsage.system) / 1000 / deposits;
      const gas = await gasSince(bench, heads, []);
      const result = {
        offeredPerSecond: deposits / seconds,
        anvilMsPerDeposit,
        tradersMsPerDeposit,
        ceilingPerSecond: (cores * 1000) / (anvilMsPerDeposit + tradersMsPerDeposit),
        gasPerDeposit: gas.byOthers / deposits,
        anvilGasPerCpuSecond: gas.byOthers / anvilCpuSeconds,
      };
      results.push(result);
      progress(
        `ceiling run ${run + 1}/${runs}: ${deposits} deposits at ${result.offeredPerSecond.toFixed(0)}/s, anvil ${anvilMsPerDeposit.toFixed(2)} + traders ${tradersMsPerDeposit.toFixed(2)} ms CPU each → at most ${result.ceilingPerSecond.toFixed(0)}/s on ${cores} cores; ${(result.gasPerDeposit / 1e3).toFixed(0)}k gas each, anvil executes ${(result.anvilGasPerCpuSecond / 1e6).toFixed(0)}M gas per CPU-second`,
      );
    }
    return { runs: results, cores };
  } finally {
    await bench.stop();
  }
}
