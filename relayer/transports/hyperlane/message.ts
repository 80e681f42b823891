import { type Address, concat, getAddress, type Hex, isHex, numberToHex, pad, size, slice } from "viem";
import { keccak256 } from "../keccak.ts";
import { HyperlaneTransportError } from "./errors.ts";

/** Hyperlane message format version the Mailbox (v3) accepts. */
export const HYPERLANE_MESSAGE_VERSION = 3;
/** version u8 | nonce u32 | origin u32 | sender b32 | destination u32 | recipient b32, then the body. */
export const HYPERLANE_MESSAGE_HEADER_LENGTH = 77;

export interface HyperlaneMessage {
  version: number;
  /** The origin Mailbox's dispatch counter. */
  nonce: number;
  /** Origin domain. */
  origin: number;
  /** Dispatching contract on the origin, as Hyperlane's bytes32 address. */
  sender: Hex;
  /** Destination domain. */
  destination: number;
  /** Recipient contract on the destination, as bytes32. */
  recipient: Hex;
  body: Hex;
}

/** keccak256 of the formatted message: the id the Mailbox, the tree hook and the checkpoints use. */
export const hyperlaneMessageId = (raw: Hex): Hex => keccak256(raw);

export function formatHyperlaneMessage(message: HyperlaneMessage): Hex {
  return concat([
    numberToHex(message.version, { size: 1 }),
    numberToHex(message.nonce, { size: 4 }),
    numberToHex(message.origin, { size: 4 }),
    pad(message.sender, { size: 32 }),
    numberToHex(message.destination, { size: 4 }),
    pad(message.recipient, { size: 32 }),
    message.body,
  ]);
}

export function parseHyperlaneMessage(raw: Hex): HyperlaneMessage {
  if (!isHex(raw, { strict: true }) || size(raw) < HYPERLANE_MESSAGE_HEADER_LENGTH) {
    throw new HyperlaneTransportError("MalformedMessage", "not a Hyperlane message: too short or not hex", {
      details: { raw },
    });
  }
  const uint = (start: number, end: number) => Number.parseInt(slice(raw, start, end).slice(2), 16);
  return {
    version: uint(0, 1),
    nonce: uint(1, 5),
    origin: uint(5, 9),
    sender: slice(raw, 9, 41),
    destination: uint(41, 45),
    recipient: slice(raw, 45, 77),
    body: size(raw) === HYPERLANE_MESSAGE_HEADER_LENGTH ? "0x" : slice(raw, HYPERLANE_MESSAGE_HEADER_LENGTH),
  };
}

/** An EVM address as Hyperlane's bytes32 (left-padded). */
export const addressToBytes32 = (address: Address): Hex => pad(address, { size: 32 });

/** The EVM address in a Hyperlane bytes32 (its low 20 bytes). */
export const bytes32ToAddress = (value: Hex): Address => getAddress(slice(value, 12, 32));

/** Hyperlane domains are u32; by convention ours equal the chain id. */
export function isHyperlaneDomain(value: number): boolean {
  return Number.isInteger(value) && value > 0 && value <= 0xffff_ffff;
}
