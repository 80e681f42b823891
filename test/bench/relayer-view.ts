/**
 * What the relayer itself saw of the bench's messages (its API), what its transactions cost (the chains'
 * blocks), and how much memory its processes hold (/proc).
 */
import { readFileSync } from "node:fs";
import type { Address, Hex } from "viem";
import { PENDING_STATES } from "../../relayer/storage/index.ts";
import { executedCalls } from "../../relayer/transports/batch.ts";
import type { BenchDevnet } from "./devnet.ts";
import { median } from "./stats.ts";

interface ApiMessage {
  transport: string;
  messageType: string | null;
  state: string;
  sourceTxHash: string;
  destinationChainId: number;
  deliveryTxHash: string | null;
  discoveredAt: string;
  deliveredAt: string | null;
}

/** Every message an operator's store holds (GET /v1/messages, keyset pages of 1000). */
export async function relayerMessages(apiUrl: string): Promise<ApiMessage[]> {
  const messages: ApiMessage[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ limit: "1000", ...(cursor ? { cursor } : {}) });
    const response = await fetch(`${apiUrl}/v1/messages?${query}`);
    if (!response.ok) throw new Error(`GET ${apiUrl}/v1/messages: ${response.status} ${await response.text()}`);
    const page = (await response.json()) as { messages: ApiMessage[]; nextCursor?: string };
    messages.push(...page.messages);
    cursor = page.nextCursor;
  } while (cursor);
  return messages;
}

/** Per source transaction: when the relayer first discovered its messages and when it had delivered all. */
export function relayerTimes(
  messages: readonly ApiMessage[],
): Map<string, { discoveredAt: number; deliveredAt?: number }> {
  const bySource = new Map<string, { discoveredAt: number; deliveredAt?: number; pending: boolean }>();
  for (const message of messages) {
    const key = message.sourceTxHash.toLowerCase();
    const discovered = Date.parse(message.discoveredAt);
    const delivered = message.deliveredAt ? Date.parse(message.deliveredAt) : undefined;
    const entry = bySource.get(key) ?? { discoveredAt: discovered, pending: false };
    entry.discoveredAt = Math.min(entry.discoveredAt, discovered);
    if (delivered === undefined) entry.pending = true;
    else entry.deliveredAt = Math.max(entry.deliveredAt ?? 0, delivered);
    bySource.set(key, entry);
  }
  return new Map(
    [...bySource].map(([key, entry]) => [
      key,
      entry.pending || entry.deliveredAt === undefined
        ? { discoveredAt: entry.discoveredAt }
        : { discoveredAt: entry.discoveredAt, deliveredAt: entry.deliveredAt },
    ]),
  );
}

/**
 * How many messages each operator delivered with its own transaction. A store records the delivery transaction
 * of every delivered message, also one it saw another operator's transaction deliver, so the sender of each
 * transaction (read from its chain) says whose it was.
 */
export async function deliveriesByOperator(bench: BenchDevnet): Promise<number[]> {
  const messages = await relayerMessages(bench.operators.operators[0]?.apiUrl ?? "");
  const chainById = new Map([bench.deployment.hub, ...bench.deployment.spokes].map((chain) => [chain.chainId, chain]));
  const messagesByTransaction = new Map<string, { chainId: number; count: number }>();
  for (const { deliveryTxHash, destinationChainId } of messages) {
    if (!deliveryTxHash) continue;
    const entry = messagesByTransaction.get(deliveryTxHash) ?? { chainId: destinationChainId, count: 0 };
    entry.count += 1;
    messagesByTransaction.set(deliveryTxHash, entry);
  }
  const delivered = new Map<string, number>();
  for (const [hash, { chainId, count }] of messagesByTransaction) {
    const chain = chainById.get(chainId);
    if (!chain) throw new Error(`a delivery on chain ${chainId}, which the bench does not run`);
    const { from } = await bench.chain(chain.name).publicClient.getTransaction({ hash: hash as Hex });
    delivered.set(from.toLowerCase(), (delivered.get(from.toLowerCase()) ?? 0) + count);
  }
  return bench.operators.operators.map((operator) => delivered.get(operator.address.toLowerCase()) ?? 0);
}

/** Messages each operator's store still has to work on (discovered, signed or verified), from /healthz. */
export async function pendingByOperator(bench: BenchDevnet): Promise<number[]> {
  return Promise.all(
    bench.operators.operators.map(async (operator) => {
      const response = await fetch(`${operator.apiUrl}/healthz`);
      if (!response.ok) throw new Error(`GET ${operator.apiUrl}/healthz: ${response.status} ${await response.text()}`);
      const { backlog } = (await response.json()) as { backlog: Partial<Record<string, number>> };
      return PENDING_STATES.reduce((sum, state) => sum + (backlog[state] ?? 0), 0);
    }),
  );
}

/**
 * Waits until no operator has pending work: a burst's releases are acknowledged by reports the spokes send
 * after the bench saw them applied, and a run that started on that backlog would be measured with it.
 * Returns the backlog left when `timeoutMs` runs out (all zeros when drained).
 */
export async function waitForDrain(
  bench: BenchDevnet,
  options: { timeoutMs: number; progress: (message: string) => void },
): Promise<number[]> {
  const deadline = Date.now() + options.timeoutMs;
  let reported = 0;
  for (;;) {
    const pending = await pendingByOperator(bench);
    if (pending.every((count) => count === 0) || Date.now() >= deadline) return pending;
    if (Date.now() - reported >= 5_000) {
      options.progress(`waiting for the relayer to drain: ${pending.join(" / ")} messages pending per operator`);
      reported = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export interface StepGas {
  destination: string;
  step:
    | "LayerZero DVN.execute (verify + commit)"
    | "LayerZero Executor.execute302 (lzReceive)"
    | "LayerZero EndpointV2.lzReceive (execution, alone)"
    | "Hyperlane Mailbox.process"
    | "DeliveryBatcher.execute, per delivery in it";
  count: number;
  median: number;
  min: number;
  max: number;
}

/**
 * The gas of every transaction the operators sent to the transports' delivery contracts, from the chains'
 * blocks: the DVN (verify, with the commit batched in), the endpoint (lzReceive → the application, a delivery
 * sent alone), the Executor (execute302, the fallback), the Hyperlane Mailbox (process → ISM check → the
 * application, alone) and the DeliveryBatcher (several deliveries: the transaction's gas over its calls).
 * Medians per destination.
 */
export async function transportStepGas(
  bench: BenchDevnet,
  fromBlocks: ReadonlyMap<string, bigint>,
): Promise<StepGas[]> {
  const operators = new Set((bench.protocol.operators as Address[]).map((operator) => operator.toLowerCase()));
  const rows: StepGas[] = [];
  for (const record of [bench.protocol.hub, ...bench.protocol.spokes]) {
    const { publicClient } = bench.chain(record.name);
    const steps = new Map<string, StepGas["step"]>([
      [record.layerZero.dvn.toLowerCase(), "LayerZero DVN.execute (verify + commit)"],
      [record.layerZero.executor.toLowerCase(), "LayerZero Executor.execute302 (lzReceive)"],
      [record.layerZero.endpoint.toLowerCase(), "LayerZero EndpointV2.lzReceive (execution, alone)"],
      [record.hyperlane.mailbox.toLowerCase(), "Hyperlane Mailbox.process"],
      ...(record.deliveryBatcher
        ? [[record.deliveryBatcher.toLowerCase(), "DeliveryBatcher.execute, per delivery in it"] as const]
        : []),
    ]);
    const head = await publicClient.getBlockNumber({ cacheTime: 0 });
    const hashes: { step: StepGas["step"]; hash: Hex }[] = [];
    const numbers: bigint[] = [];
    for (let block = fromBlocks.get(record.name) ?? 0n; block <= head; block++) numbers.push(block);
    for (let start = 0; start < numbers.length; start += 50) {
      const blocks = await Promise.all(
        numbers
          .slice(start, start + 50)
          .map((blockNumber) => publicClient.getBlock({ blockNumber, includeTransactions: true })),
      );
      for (const block of blocks) {
        for (const transaction of block.transactions) {
          const step = transaction.to ? steps.get(transaction.to.toLowerCase()) : undefined;
          if (step && operators.has(transaction.from.toLowerCase())) hashes.push({ step, hash: transaction.hash });
        }
      }
    }
    const gasByStep = new Map<StepGas["step"], number[]>();
    for (let start = 0; start < hashes.length; start += 50) {
      const receipts = await Promise.all(
        hashes.slice(start, start + 50).map(async ({ step, hash }) => ({
          step,
          receipt: await publicClient.getTransactionReceipt({ hash }),
        })),
      );
      for (const { step, receipt } of receipts) {
        if (receipt.status !== "success") continue;
        const list = gasByStep.get(step) ?? [];
        const calls =
          step === "DeliveryBatcher.execute, per delivery in it" && record.deliveryBatcher
            ? executedCalls(receipt, record.deliveryBatcher).length
            : 1;
        list.push(Number(receipt.gasUsed) / Math.max(calls, 1));
        gasByStep.set(step, list);
      }
    }
    for (const [step, gas] of gasByStep) {
      rows.push({
        destination: record.name,
        step,
        count: gas.length,
        median: median(gas),
        min: Math.min(...gas),
        max: Math.max(...gas),
      });
    }
  }
  return rows;
}

/** Resident and peak-resident memory (VmRSS, VmHWM) of a process, in MB; undefined once it is gone. */
export function memoryOf(pid: number): { rssMB: number; peakMB: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
    return { rssMB: field("VmRSS") / 1024, peakMB: field("VmHWM") / 1024 };
  } catch {
    return undefined;
  }
}

// /proc counts CPU time in USER_HZ ticks, 100 a second on Linux whatever the kernel's own tick rate.
const PROC_TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in seconds, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces: count fields after its closing parenthesis (utime is field 14).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / PROC_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Samples every operator's VmRSS every `intervalMs` until stopped. */
export function sampleRss(pids: readonly number[], intervalMs: number) {
  const samples = pids.map(() => [] as number[]);
  const timer = setInterval(() => {
    for (const [index, pid] of pids.entries()) {
      const memory = memoryOf(pid);
      if (memory) samples[index]?.push(memory.rssMB);
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return samples;
    },
  };
}
