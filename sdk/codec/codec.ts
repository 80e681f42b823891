import { type Address, getAddress, type Hex, hexToBytes, isHex, toHex } from "viem";
import { CodecError } from "./errors.ts";
import { CODEC_VERSION, MESSAGE_TYPE, type Message, type MessageInput, type MessageTypeName } from "./types.ts";

// Layout (big-endian, packed) — identical to contracts/messaging/MessageCodec.sol:
//   header         version u8 | type u8 | origin u64 | destination u64          18 bytes
//   BalanceReport  account 20 | asset 20 | total u256 | locked u256 | seq u64 | lastCommandNonce u64
//   Release/Seize  account 20 | asset 20 | amount u256 | to 20 | cmdNonce u64
//   Lock           account 20 | asset 20 | amount u256 | cmdNonce u64
export const HEADER_LENGTH = 18;

const BODY_LENGTH: Record<MessageTypeName, number> = {
  BalanceReport: 120,
  Release: 100,
  Lock: 80,
  Seize: 100,
};

const TYPE_BY_WIRE_VALUE = new Map<number, MessageTypeName>(
  Object.entries(MESSAGE_TYPE).map(([name, value]) => [value, name as MessageTypeName]),
);

/** Total encoded length of a message of this type. */
export const messageLength = (type: MessageTypeName): number => HEADER_LENGTH + BODY_LENGTH[type];

class Writer {
  private readonly bytes: Uint8Array;
  private offset = 0;

  constructor(length: number) {
    this.bytes = new Uint8Array(length);
  }

  uint(value: bigint, size: number, field: string): this {
    if (value < 0n || value >= 1n << BigInt(size * 8)) {
      throw new CodecError("ValueOutOfRange", [value], `${field} = ${value} does not fit in ${size * 8} bits`);
    }
    for (let i = size - 1; i >= 0; i--) {
      this.bytes[this.offset + i] = Number(value & 0xffn);
      value >>= 8n;
    }
    this.offset += size;
    return this;
  }

  address(value: Address): this {
    this.bytes.set(hexToBytes(getAddress(value)), this.offset);
    this.offset += 20;
    return this;
  }

  hex(): Hex {
    return toHex(this.bytes);
  }
}

class Reader {
  private offset = 0;

  constructor(private readonly bytes: Uint8Array) {}

  uint(size: number): bigint {
    let value = 0n;
    for (let i = 0; i < size; i++) value = (value << 8n) | BigInt(this.bytes[this.offset + i] ?? 0);
    this.offset += size;
    return value;
  }

  address(): Address {
    const slice = this.bytes.subarray(this.offset, this.offset + 20);
    this.offset += 20;
    return getAddress(toHex(slice));
  }
}

/** Encodes a message in the versioned wire format. */
export function encodeMessage(message: MessageInput): Hex {
  const version = message.version ?? CODEC_VERSION;
  const writer = new Writer(messageLength(message.type))
    .uint(BigInt(version), 1, "version")
    .uint(BigInt(MESSAGE_TYPE[message.type]), 1, "type")
    .uint(message.origin, 8, "origin")
    .uint(message.destination, 8, "destination")
    .address(message.account)
    .address(message.asset);
  switch (message.type) {
    case "BalanceReport":
      writer
        .uint(message.total, 32, "total")
        .uint(message.locked, 32, "locked")
        .uint(message.seq, 8, "seq")
        .uint(message.lastCommandNonce, 8, "lastCommandNonce");
      break;
    case "Lock":
      writer.uint(message.amount, 32, "amount").uint(message.cmdNonce, 8, "cmdNonce");
      break;
    case "Release":
    case "Seize":
      writer.uint(message.amount, 32, "amount").address(message.to).uint(message.cmdNonce, 8, "cmdNonce");
      break;
  }
  return writer.hex();
}

/**
 * Decodes and validates a message: version, type and exact length.
 * @throws {CodecError} with the same kind and arguments the Solidity codec reverts with.
 */
export function decodeMessage(data: Hex | Uint8Array): Message {
  if (typeof data === "string" && !isHex(data, { strict: true })) {
    throw new CodecError("InvalidEncoding", [], `not a 0x-prefixed hex string: ${String(data).slice(0, 20)}`);
  }
  const bytes = typeof data === "string" ? hexToBytes(data) : data;
  if (bytes.length < HEADER_LENGTH) {
    throw new CodecError(
      "MessageTruncated",
      [BigInt(HEADER_LENGTH), BigInt(bytes.length)],
      `message of ${bytes.length} bytes is shorter than the ${HEADER_LENGTH}-byte header`,
    );
  }
  const version = bytes[0] as number;
  if (version !== CODEC_VERSION) {
    throw new CodecError("UnsupportedVersion", [BigInt(version)], `unsupported codec version ${version}`);
  }
  const typeByte = bytes[1] as number;
  const type = TYPE_BY_WIRE_VALUE.get(typeByte);
  if (type === undefined) {
    throw new CodecError("UnknownMessageType", [BigInt(typeByte)], `unknown message type ${typeByte}`);
  }
  const expected = messageLength(type);
  if (bytes.length !== expected) {
    const kind = bytes.length < expected ? "MessageTruncated" : "MessageTrailingBytes";
    throw new CodecError(
      kind,
      [BigInt(expected), BigInt(bytes.length)],
      `${type} must be ${expected} bytes, got ${bytes.length}`,
    );
  }

  const reader = new Reader(bytes);
  reader.uint(2);
  const header = { version, origin: reader.uint(8), destination: reader.uint(8) };
  const account = reader.address();
  const asset = reader.address();
  switch (type) {
    case "BalanceReport":
      return {
        ...header,
        type,
        account,
        asset,
        total: reader.uint(32),
        locked: reader.uint(32),
        seq: reader.uint(8),
        lastCommandNonce: reader.uint(8),
      };
    case "Lock":
      return { ...header, type, account, asset, amount: reader.uint(32), cmdNonce: reader.uint(8) };
    case "Release":
    case "Seize":
      return {
        ...header,
        type,
        account,
        asset,
        amount: reader.uint(32),
        to: reader.address(),
        cmdNonce: reader.uint(8),
      };
  }
}
