import { type Address, type Client, type Hex, isAddressEqual, parseEventLogs, type TransactionReceipt } from "viem";
import { marginEngineAbi, messengerAbi } from "../../abi/generated.ts";
import { decodeMessage, type Message } from "../../codec/index.ts";
import { read } from "./transaction.ts";

/** An xmargin message a transaction sent: the application's `MessageSent` event, decoded with the codec. */
export interface SentMessage {
  /** The application (vault or engine) that sent it. */
  sender: Address;
  /** Transport-level id, as the messenger returned it. */
  messageId: Hex;
  raw: Hex;
  message: Message;
}

/**
 * The messages `receipt` sent through `app`. Only the application's own events count: any contract can emit
 * an event with the same signature, so the emitter is checked before the bytes are trusted.
 */
export function sentMessages(receipt: TransactionReceipt, app: Address): SentMessage[] {
  return parseEventLogs({ abi: marginEngineAbi, eventName: "MessageSent", logs: receipt.logs, strict: true })
    .filter((log) => isAddressEqual(log.address, app))
    .map((log) => ({
      sender: log.address,
      messageId: log.args.messageId,
      raw: log.args.message,
      message: decodeMessage(log.args.message),
    }));
}

/** The native fee the messenger charges to carry `message` to `destination`. */
export function quoteMessage(client: Client, messenger: Address, destination: bigint, message: Hex): Promise<bigint> {
  return read(client, { address: messenger, abi: messengerAbi, functionName: "quote", args: [destination, message] });
}
