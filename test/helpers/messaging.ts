import { type Abi, type Address, decodeEventLog, type Hex, type TransactionReceipt } from "viem";
import { decodeMessage, type Message } from "../../sdk/codec/index.ts";

const testMessageSent = [
  {
    type: "event",
    name: "TestMessageSent",
    inputs: [
      { name: "messageId", type: "bytes32", indexed: true },
      { name: "sender", type: "address", indexed: true },
      { name: "destination", type: "uint64", indexed: false },
      { name: "message", type: "bytes", indexed: false },
    ],
  },
] as const satisfies Abi;

export interface SentMessage {
  sender: Address;
  destination: bigint;
  raw: Hex;
  decoded: Message;
}

/** Messages a transaction sent through the test transport, decoded with the SDK codec. */
export function sentMessages(receipt: TransactionReceipt, messenger: Address): SentMessage[] {
  return receipt.logs
    .filter((log) => log.address.toLowerCase() === messenger.toLowerCase())
    .flatMap((log) => {
      try {
        const { args } = decodeEventLog({ abi: testMessageSent, data: log.data, topics: log.topics });
        return [
          {
            sender: args.sender,
            destination: args.destination,
            raw: args.message,
            decoded: decodeMessage(args.message),
          },
        ];
      } catch {
        return [];
      }
    });
}
