import { setTimeout as delay } from "node:timers/promises";
import { type Address, encodeFunctionData, getAbiItem, isAddressEqual, type Log, parseEventLogs } from "viem";
import { collateralVaultAbi } from "../../sdk/abi/index.ts";
import { withGasMargin } from "../../sdk/actions/internal/transaction.ts";
import { PromiseCache } from "../transports/promise-cache.ts";
import type { LogObserver, LogSources } from "./lane.ts";
import type { EngineChain } from "./network.ts";

const PARKED_COMMANDS_READY = getAbiItem({ abi: collateralVaultAbi, name: "ParkedCommandsReady" });
const COMMAND_EXECUTED = getAbiItem({ abi: collateralVaultAbi, name: "CommandExecuted" });
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;

/** What the upkeep uses of a chain: its node, the operator's account and sender there, the vault (spokes). */
export type UpkeepChain = Pick<EngineChain, "name" | "chainId" | "publicClient" | "walletClient" | "submit"> & {
  record: Pick<EngineChain["record"], "contracts">;
};

export interface ParkedCommandsUpkeepOptions {
  /** How long this instance leaves it to its peers first (a backup's `delivery.delayMs`; 0 for the primary). */
  delayMs: number;
  /** `executed`: the commands the upkeep's transaction ran (its CommandExecuted events for the account). */
  onExecuted?(chain: UpkeepChain, account: Address, executed: bigint): void;
  onError?(chain: UpkeepChain, account: Address, error: Error): void;
}

/**
 * A vault runs at most `MAX_COMMANDS_PER_DELIVERY` parked commands per delivery (its gas is bounded); when more
 * are ready it emits `ParkedCommandsReady`, and no later delivery need come to run them — the burst may be over.
 * This runs them with `executeParkedCommands` (anyone may), after `delayMs`, only if a simulation says there is
 * still something to run (a peer may have done it), and again after a failure, backing off, until it is done.
 */
export class ParkedCommandsUpkeep implements LogObserver {
  /** Accounts being worked on, by chain and account; `again`: the vault said so once more meanwhile. */
  private readonly inProgress = new Map<string, { again: boolean }>();
  private stopped = false;
  private stopping = new AbortController();
  private readonly running = new Set<Promise<void>>();
  /** Each vault's `MAX_COMMANDS_PER_DELIVERY`, a constant: read once. */
  private readonly runLimits = new PromiseCache<string, bigint>();

  constructor(private readonly options: ParkedCommandsUpkeepOptions) {}

  /** After a `stop`, takes events again. */
  start(): void {
    this.stopped = false;
    this.stopping = new AbortController();
  }

  logSources(chain: UpkeepChain): LogSources {
    return "vault" in chain.record.contracts
      ? { addresses: [chain.record.contracts.vault], events: [PARKED_COMMANDS_READY] }
      : { addresses: [], events: [] };
  }

  observe(chain: UpkeepChain, logs: readonly Log[]): void {
    if (this.stopped || !("vault" in chain.record.contracts)) return;
    const vault = chain.record.contracts.vault;
    const ready = parseEventLogs({ abi: [PARKED_COMMANDS_READY], logs: [...logs] }).filter((log) =>
      isAddressEqual(log.address, vault),
    );
    for (const { args } of ready) {
      const key = `${chain.chainId}:${args.account.toLowerCase()}`;
      const working = this.inProgress.get(key);
      if (working) {
        // The run in progress may have decided already that nothing is left: it looks once more.
        working.again = true;
        continue;
      }
      const state = { again: false };
      this.inProgress.set(key, state);
      const work = this.runUntilDone(chain, vault, args.account, state).finally(() => {
        this.inProgress.delete(key);
        this.running.delete(work);
      });
      this.running.add(work);
    }
  }

  /**
   * Abandons the waits; a transaction in flight finishes. What was pending is not kept: the peers saw the same
   * event and act after their own delays, and a later command to the account drains its parked ones too.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    await Promise.all(this.running);
  }

  private async runUntilDone(
    chain: UpkeepChain,
    vault: Address,
    account: Address,
    state: { again: boolean },
  ): Promise<void> {
    const signal = this.stopping.signal;
    const pause = (ms: number) =>
      delay(ms, undefined, { signal }).then(
        () => true,
        () => false,
      );
    if (this.options.delayMs > 0 && !(await pause(this.options.delayMs))) return;
    for (let retryMs = FIRST_RETRY_MS; !this.stopped; retryMs = Math.min(retryMs * 2, MAX_RETRY_MS)) {
      try {
        // A full run may leave more ready behind it: go on at once rather than count on the event coming back.
        for (;;) {
          state.again = false;
          const full = await this.runOnce(chain, vault, account);
          if (this.stopped || !(full || state.again)) return;
        }
      } catch (error) {
        this.options.onError?.(chain, account, error instanceof Error ? error : new Error(String(error)));
        if (!(await pause(retryMs))) return;
      }
    }
  }

  /** Runs what is ready, up to one delivery's worth; true when that was a full one (more may be ready). */
  private async runOnce(chain: UpkeepChain, vault: Address, account: Address): Promise<boolean> {
    const read = { address: vault, abi: collateralVaultAbi } as const;
    const maxCommands = await this.runLimits.get(`${chain.chainId}:${vault.toLowerCase()}`, () =>
      chain.publicClient.readContract({ ...read, functionName: "MAX_COMMANDS_PER_DELIVERY" }),
    );
    const call = {
      ...read,
      functionName: "executeParkedCommands",
      args: [account, maxCommands],
      account: chain.walletClient.account.address,
    } as const;
    const { result: runnable } = await chain.publicClient.simulateContract(call);
    if (runnable === 0n) return false;
    const gas = withGasMargin(await chain.publicClient.estimateContractGas(call));
    const receipt = await chain.submit({ to: vault, data: encodeFunctionData(call), gas });
    if (receipt.status !== "success") {
      throw new Error(`executeParkedCommands(${account}) reverted in ${receipt.transactionHash}`);
    }
    // What the transaction ran, not what the simulation saw: a delivery may have run some in between.
    const executed = BigInt(
      parseEventLogs({ abi: [COMMAND_EXECUTED], logs: receipt.logs }).filter(
        (log) => isAddressEqual(log.address, vault) && isAddressEqual(log.args.account, account),
      ).length,
    );
    this.options.onExecuted?.(chain, account, executed);
    return executed === maxCommands;
  }
}
