import type { Address } from "viem";

/** Wire values of the message type byte; equal to `MessageType` in contracts/types/Messages.sol. */
export const MESSAGE_TYPE = {
  BalanceReport: 1,
  Release: 2,
  Lock: 3,
  Seize: 4,
} as const;

export type MessageTypeName = keyof typeof MESSAGE_TYPE;

export const CODEC_VERSION = 1;

/** Header fields every message carries. Chain ids are u64 on the wire. */
export interface EnvelopeFields {
  version: number;
  origin: bigint;
  destination: bigint;
}

export interface BalanceReportMessage extends EnvelopeFields {
  type: "BalanceReport";
  account: Address;
  asset: Address;
  total: bigint;
  locked: bigint;
  seq: bigint;
  lastCommandNonce: bigint;
}

export interface ReleaseMessage extends EnvelopeFields {
  type: "Release";
  account: Address;
  asset: Address;
  amount: bigint;
  to: Address;
  cmdNonce: bigint;
}

export interface LockMessage extends EnvelopeFields {
  type: "Lock";
  account: Address;
  asset: Address;
  amount: bigint;
  cmdNonce: bigint;
}

export interface SeizeMessage extends EnvelopeFields {
  type: "Seize";
  account: Address;
  asset: Address;
  amount: bigint;
  to: Address;
  cmdNonce: bigint;
}

export type CommandMessage = ReleaseMessage | LockMessage | SeizeMessage;
export type Message = BalanceReportMessage | CommandMessage;

/** A message before encoding: the version defaults to the current one. */
export type MessageInput = Message extends infer M
  ? M extends Message
    ? Omit<M, "version"> & { version?: number }
    : never
  : never;
