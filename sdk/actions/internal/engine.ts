import {
  type Address,
  type Client,
  type ContractEventName,
  erc20Abi,
  isAddressEqual,
  type ParseEventLogsReturnType,
  parseEventLogs,
  type TransactionReceipt,
} from "viem";
import { marginEngineAbi } from "../../abi/generated.ts";
import { encodeMessage } from "../../codec/index.ts";
import { type Deployment, requireContract } from "../../deployments.ts";
import { XmarginError } from "../../errors.ts";
import type { WalletClient } from "./context.ts";
import { quoteMessage } from "./messages.ts";
import { read, type SentTransaction, sendContractTransaction } from "./transaction.ts";

/** A command the engine will send in the transaction being prepared. */
export interface PlannedCommand {
  type: "Release" | "Seize";
  chainId: number;
  asset: Address;
  amount: bigint;
  to: Address;
}

/**
 * The messaging fee of the commands an engine call sends for `account`, in order: each gets the next
 * command nonce of its chain and is encoded with the codec exactly as the engine will encode it.
 */
export async function quoteCommands(
  client: Client,
  deployment: Deployment,
  account: Address,
  commands: readonly PlannedCommand[],
): Promise<bigint> {
  const engine = requireContract(deployment.hub, "engine");
  const messenger = await read(client, { address: engine, abi: marginEngineAbi, functionName: "messenger" });
  const nextNonce = new Map<number, bigint>();
  let fee = 0n;
  for (const command of commands) {
    let nonce = nextNonce.get(command.chainId);
    if (nonce === undefined) {
      nonce = await read(client, {
        address: engine,
        abi: marginEngineAbi,
        functionName: "lastCommandNonce",
        args: [account, BigInt(command.chainId)],
      });
    }
    nonce += 1n;
    nextNonce.set(command.chainId, nonce);
    const message = encodeMessage({
      ...command,
      origin: BigInt(deployment.hub.chainId),
      destination: BigInt(command.chainId),
      account,
      cmdNonce: nonce,
    });
    fee += await quoteMessage(client, messenger, BigInt(command.chainId), message);
  }
  return fee;
}

type EngineEventName = ContractEventName<typeof marginEngineAbi>;
type EngineEventArgs<eventName extends EngineEventName> = ParseEventLogsReturnType<
  typeof marginEngineAbi,
  eventName,
  true
>[number]["args"];

/** Every `eventName` the engine emitted in `receipt`, decoded. */
export function engineEvents<eventName extends EngineEventName>(
  receipt: TransactionReceipt,
  engine: Address,
  eventName: eventName,
): EngineEventArgs<eventName>[] {
  return parseEventLogs({ abi: marginEngineAbi, eventName, logs: receipt.logs, strict: true })
    .filter((log) => isAddressEqual(log.address, engine))
    .map((log) => log.args as EngineEventArgs<eventName>);
}

/** The engine's settle token and its decimals. */
export async function settleToken(client: Client, engine: Address): Promise<{ address: Address; decimals: number }> {
  const address = await read(client, { address: engine, abi: marginEngineAbi, functionName: "settleToken" });
  const decimals = await read(client, { address, abi: erc20Abi, functionName: "decimals" });
  return { address, decimals };
}

/** The first `eventName` of the engine in `receipt`; a successful call always emits it. */
export function engineEvent<eventName extends EngineEventName>(
  receipt: TransactionReceipt,
  engine: Address,
  eventName: eventName,
): EngineEventArgs<eventName> {
  const [event] = engineEvents(receipt, engine, eventName);
  if (event === undefined) {
    throw new XmarginError(`transaction ${receipt.transactionHash} has no ${eventName} event of the engine`);
  }
  return event;
}

/** The engine's withdrawals on the hub, each with the event it emits for the payout. */
const WITHDRAWAL_EVENTS = { withdrawSettle: "SettleWithdrawn", withdrawLiquidity: "LiquidityWithdrawn" } as const;
type EngineWithdrawal = keyof typeof WITHDRAWAL_EVENTS;

/** Sends one of the engine's withdrawals of `value` to `to`, waits for it and decodes its payout event. */
export async function sendEngineWithdrawal<functionName extends EngineWithdrawal>(
  client: WalletClient,
  engine: Address,
  functionName: functionName,
  value: bigint,
  to: Address,
): Promise<{ sent: SentTransaction; event: EngineEventArgs<(typeof WITHDRAWAL_EVENTS)[functionName]> }> {
  // Both take (value, recipient); naming the union lets the arguments type-check for either.
  const sent = await sendContractTransaction<typeof marginEngineAbi, EngineWithdrawal>(client, {
    address: engine,
    abi: marginEngineAbi,
    functionName,
    args: [value, to],
  });
  return { sent, event: engineEvent(sent.receipt, engine, WITHDRAWAL_EVENTS[functionName]) };
}
