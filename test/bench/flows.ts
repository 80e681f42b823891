/**
 * The three measured flows on the bench devnet, each timed from the moment its first transaction goes
 * to the node until the destination applied the message (see AppliedObserver):
 *   deposit      vault.deposit on a spoke            → the hub's BalanceReportApplied of that report's seq
 *   release      engine.requestRelease on the hub     → the spoke's CommandExecuted of that command's nonce
 *   liquidation  the ETH-PERP feed drops on the hub   → every Seize of the liquidation executed on the spoke
 * Dual-route messages apply when the second transport delivers, so their latency is the slower of both.
 */
import type { Address } from "viem";
import { encodeFunctionData, parseUnits } from "viem";
import { devnetPriceFeedAbi } from "../../relayer/infra/protocol-abi.ts";
import { collateralVaultAbi, marginEngineAbi } from "../../sdk/abi/index.ts";
import {
  type BenchDevnet,
  type BenchSpoke,
  COMMAND_FEE,
  call,
  commandKey,
  DEPOSIT_FEE,
  eventsIn,
  GAS,
  LIQUIDATION_FEE,
  reportKey,
  Sender,
  type SentTransaction,
  usdc,
} from "./devnet.ts";

export type FlowName = "deposit" | "release" | "liquidation";

export interface Sample {
  flow: FlowName;
  spoke: BenchSpoke;
  /** Source transaction(s) as the relayer will see them: to match its own timestamps. */
  sourceTxHashes: string[];
  sentAt: number;
  appliedAt: number;
  latencyMs: number;
  /** Gas of the timed source transaction (a deposit or requestRelease pays its transport's send). */
  sourceGas?: number;
}

/** How long a message may take before the bench calls it lost. */
export const APPLY_TIMEOUT_MS = 300_000;

/** A trader of one spoke: senders on the spoke and on the hub, the spoke's USDC and its report seq. */
export class Trader {
  readonly spokeSender: Sender;
  readonly hubSender: Sender;
  readonly address: Address;
  readonly token: Address;
  readonly chainId: number;
  /** The latest report seq the vault sent for this trader's USDC (every deposit and every executed command). */
  lastSeq = 0n;

  constructor(
    private readonly bench: BenchDevnet,
    readonly spoke: BenchSpoke,
    accountIndex: number,
  ) {
    const { address, privateKey } = bench.account(accountIndex);
    const record = bench.spoke(spoke);
    this.address = address;
    this.chainId = record.chainId;
    const token = record.tokens.USDC?.address;
    if (!token) throw new Error(`${spoke} has no USDC`);
    this.token = token;
    this.spokeSender = new Sender(bench.chain(spoke), privateKey);
    this.hubSender = new Sender(bench.chain("hub"), privateKey);
  }

  /** Mints and approves on the spoke, deposits `initial` and waits until the hub counts it. */
  async fund(initial: string): Promise<void> {
    const vault = this.bench.spoke(this.spoke).contracts.vault;
    await this.spokeSender.send({ to: this.token, data: call.mint(this.address, usdc("100000000")), gas: GAS.token });
    await this.spokeSender.send({ to: this.token, data: call.approve(vault), gas: GAS.token });
    await this.deposit(initial);
  }

  /** One deposit, timed until the hub applied its report. */
  async deposit(amount: string): Promise<Sample> {
    const vault = this.bench.spoke(this.spoke).contracts.vault;
    const sent = await this.spokeSender.send({
      to: vault,
      data: call.deposit(this.token, usdc(amount)),
      value: DEPOSIT_FEE,
      gas: GAS.deposit,
    });
    const report = eventsIn(sent.receipt, vault, collateralVaultAbi).find(
      (event) => event.eventName === "BalanceReported",
    );
    if (report?.eventName !== "BalanceReported") throw new Error(`deposit ${sent.hash} sent no report`);
    this.lastSeq = report.args.seq;
    const appliedAt = await this.bench.observer.arrival(
      reportKey(this.address, this.chainId, report.args.seq),
      APPLY_TIMEOUT_MS,
    );
    return sample("deposit", this.spoke, [sent], appliedAt);
  }

  /** One Release of `amount` to the trader, timed until the spoke paid it. */
  async release(amount: string): Promise<Sample> {
    const engine = this.bench.protocol.hub.contracts.engine;
    const sent = await this.hubSender.send({
      to: engine,
      data: call.requestRelease(this.chainId, this.token, usdc(amount), this.address),
      value: COMMAND_FEE,
      gas: GAS.command,
    });
    const requested = eventsIn(sent.receipt, engine, marginEngineAbi).find(
      (event) => event.eventName === "ReleaseRequested",
    );
    if (requested?.eventName !== "ReleaseRequested") throw new Error(`requestRelease ${sent.hash} sent no command`);
    const appliedAt = await this.bench.observer.arrival(
      commandKey(this.address, this.chainId, requested.args.cmdNonce),
      APPLY_TIMEOUT_MS,
    );
    // The vault acknowledges the executed command with the next report.
    this.lastSeq += 1n;
    return sample("release", this.spoke, [sent], appliedAt);
  }

  /** Waits until the hub applied the vault's latest report (a Release's acknowledgement, say). */
  async settled(): Promise<void> {
    await this.bench.observer.arrival(reportKey(this.address, this.chainId, this.lastSeq), APPLY_TIMEOUT_MS);
  }
}

function sample(flow: FlowName, spoke: BenchSpoke, sent: SentTransaction[], appliedAt: number): Sample {
  const [first] = sent;
  if (!first) throw new Error("a sample needs its source transaction");
  return {
    flow,
    spoke,
    sourceTxHashes: sent.map((transaction) => transaction.hash),
    sentAt: first.sentAt,
    appliedAt,
    latencyMs: appliedAt - first.sentAt,
    sourceGas: Number(first.receipt.gasUsed),
  };
}

const ETH_PERP = 0n;
const LONG = parseUnits("20", 18);
const ETH_PRICE = parseUnits("3000", 8);
/** −8.3 %: a 20 ETH long on 5000 USDC loses all its margin. */
const ETH_DROPPED = parseUnits("2750", 8);

/**
 * Liquidations: each victim (a fresh trader holding 5000 USDC) goes 20 ETH long; the keeper drops the
 * ETH-PERP feed; at once each victim's liquidator closes the position (liquidatePerp until the account
 * is healthy or flat), then liquidateCollateral on the victim's spoke; the sample ends when the spoke has
 * executed every Seize it sent. Victims on different spokes share the price drop and are liquidated in
 * parallel by different liquidators; the feed goes back up afterwards.
 */
export async function liquidationRound(
  bench: BenchDevnet,
  keeper: Sender,
  victims: readonly { victim: Trader; liquidator: Sender }[],
): Promise<Sample[]> {
  const { engine } = bench.protocol.hub.contracts;
  const feed = bench.protocol.hub.priceFeeds["ETH-PERP"]?.address;
  if (!feed) throw new Error("no ETH-PERP feed");
  const setPrice = (answer: bigint) =>
    keeper.send({
      to: feed,
      data: encodeFunctionData({ abi: devnetPriceFeedAbi, functionName: "setAnswer", args: [answer] }),
      gas: GAS.priceFeed,
    });
  const hub = bench.chain("hub").publicClient;
  for (const { victim } of victims) {
    await victim.hubSender.send({ to: engine, data: call.trade(ETH_PERP, LONG), gas: GAS.trade });
  }
  const drop = await setPrice(ETH_DROPPED);
  try {
    return await Promise.all(
      victims.map(async ({ victim, liquidator }) => {
        const health = () =>
          hub.readContract({ address: engine, abi: marginEngineAbi, functionName: "healthOf", args: [victim.address] });
        const size = async () =>
          (
            await hub.readContract({
              address: engine,
              abi: marginEngineAbi,
              functionName: "positionOf",
              args: [victim.address, ETH_PERP],
            })
          ).size;
        const sent: SentTransaction[] = [drop];
        while ((await health()).healthLiquidationEnd < 0n && (await size()) !== 0n) {
          sent.push(
            await liquidator.send({
              to: engine,
              data: call.liquidatePerp(victim.address, ETH_PERP),
              gas: GAS.liquidation,
            }),
          );
        }
        const seized = await liquidator.send({
          to: engine,
          data: call.liquidateCollateral(victim.address, victim.chainId, victim.token),
          value: LIQUIDATION_FEE,
          gas: GAS.liquidation,
        });
        sent.push(seized);
        const nonces = eventsIn(seized.receipt, engine, marginEngineAbi).flatMap((event) =>
          event.eventName === "CommandSent" ? [event.args.cmdNonce] : [],
        );
        if (nonces.length === 0) throw new Error(`liquidateCollateral ${seized.hash} sent no Seize`);
        const applied = await Promise.all(
          nonces.map((nonce) =>
            bench.observer.arrival(commandKey(victim.address, victim.chainId, nonce), APPLY_TIMEOUT_MS),
          ),
        );
        const result = sample("liquidation", victim.spoke, sent, Math.max(...applied));
        // The timed source is the feed update; the gas worth keeping is the collateral liquidation's.
        return { ...result, sourceGas: Number(seized.receipt.gasUsed) };
      }),
    );
  } finally {
    await setPrice(ETH_PRICE);
  }
}

/** Mints the hub's USDC to a liquidator and lets the engine take it (liquidations repay the debt in it). */
export async function fundLiquidator(bench: BenchDevnet, liquidator: Sender): Promise<void> {
  const token = bench.protocol.hub.tokens.USDC?.address;
  if (!token) throw new Error("no USDC on the hub");
  await liquidator.send({ to: token, data: call.mint(liquidator.address, usdc("100000000")), gas: GAS.token });
  await liquidator.send({ to: token, data: call.approve(bench.protocol.hub.contracts.engine), gas: GAS.token });
}
