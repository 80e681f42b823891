import { type Address, concat, getAddress, type Hex, hexToBigInt, hexToNumber, pad, size, slice } from "viem";
import { keccak256 } from "../keccak.ts";
import { LayerZeroError } from "./errors.ts";

// PacketV1 (lz-evm-protocol-v2 PacketV1Codec), big-endian and packed:
//   version u8 | nonce u64 | srcEid u32 | sender b32 | dstEid u32 | receiver b32 | guid b32 | message
// The header is the first 81 bytes; the payload is guid ‖ message, and what DVNs attest is its hash.
export const PACKET_VERSION = 1;
export const PACKET_HEADER_LENGTH = 81;
const GUID_OFFSET = PACKET_HEADER_LENGTH;
const MESSAGE_OFFSET = GUID_OFFSET + 32;

export interface Packet {
  nonce: bigint;
  srcEid: number;
  /** The sending OApp as LayerZero's bytes32 address. */
  sender: Hex;
  dstEid: number;
  receiver: Address;
  guid: Hex;
  message: Hex;
  /** The 81-byte header the receive library verifies. */
  header: Hex;
  /** keccak256(guid ‖ message): what DVNs sign and the endpoint stores until delivery. */
  payloadHash: Hex;
  /** The whole encoded packet, as `PacketSent` carried it. */
  encoded: Hex;
}

/** The `Origin` struct of EndpointV2 for this packet. */
export const packetOrigin = (packet: Packet) => ({
  srcEid: packet.srcEid,
  sender: packet.sender,
  nonce: packet.nonce,
});

export const addressToBytes32 = (address: Address): Hex => pad(address, { size: 32 });

export function decodePacket(encoded: Hex): Packet {
  const length = size(encoded);
  if (length < MESSAGE_OFFSET) {
    throw new LayerZeroError(
      "MalformedPacket",
      `packet of ${length} bytes is shorter than its ${MESSAGE_OFFSET}-byte prefix`,
      {
        details: { encoded },
      },
    );
  }
  const version = hexToNumber(slice(encoded, 0, 1));
  if (version !== PACKET_VERSION) {
    throw new LayerZeroError("MalformedPacket", `packet version ${version}, expected ${PACKET_VERSION}`, {
      details: { encoded },
    });
  }
  const guid = slice(encoded, GUID_OFFSET, MESSAGE_OFFSET);
  // viem's slice of an empty tail is "0x", which is what an empty LayerZero message is.
  const message = length === MESSAGE_OFFSET ? "0x" : slice(encoded, MESSAGE_OFFSET);
  return {
    nonce: hexToBigInt(slice(encoded, 1, 9)),
    srcEid: hexToNumber(slice(encoded, 9, 13)),
    sender: slice(encoded, 13, 45),
    dstEid: hexToNumber(slice(encoded, 45, 49)),
    receiver: getAddress(slice(encoded, 61, 81)),
    guid,
    message,
    header: slice(encoded, 0, PACKET_HEADER_LENGTH),
    payloadHash: keccak256(concat([guid, message])),
    encoded,
  };
}

/** A copy of `packet` carrying `message` instead, with the payload hash recomputed (what a tamperer would build). */
export function withMessage(packet: Packet, message: Hex): Packet {
  return decodePacket(concat([slice(packet.encoded, 0, MESSAGE_OFFSET), message]));
}

const OPTIONS_TYPE_3 = 3;
const EXECUTOR_WORKER_ID = 1;
const OPTION_TYPE_LZ_RECEIVE = 1;

export interface ExecutorLzReceiveOption {
  gas: bigint;
  value: bigint;
}

/**
 * The summed executor `lzReceive` gas and value of type-3 options (the executor sums repeated options).
 * Returns undefined when the options hold none: such a packet has no paid execution budget.
 */
export function lzReceiveOption(options: Hex): ExecutorLzReceiveOption | undefined {
  const malformed = (why: string) =>
    new LayerZeroError("MalformedPacket", `executor options ${why}`, { details: { options } });
  const length = size(options);
  if (length < 2 || hexToNumber(slice(options, 0, 2)) !== OPTIONS_TYPE_3) throw malformed("are not type 3");
  let found: ExecutorLzReceiveOption | undefined;
  // Every worker option is framed alike: worker id u8 | size u16 | `size` bytes (option type first).
  for (let cursor = 2; cursor < length; ) {
    if (cursor + 3 > length) throw malformed(`end inside the frame at byte ${cursor}`);
    const workerId = hexToNumber(slice(options, cursor, cursor + 1));
    const optionSize = hexToNumber(slice(options, cursor + 1, cursor + 3));
    const start = cursor + 3;
    cursor = start + optionSize;
    if (optionSize === 0 || cursor > length) throw malformed(`have a bad option size at byte ${start - 2}`);
    if (workerId !== EXECUTOR_WORKER_ID || hexToNumber(slice(options, start, start + 1)) !== OPTION_TYPE_LZ_RECEIVE) {
      continue;
    }
    // lzReceive option: gas u128, then optionally value u128.
    const body = optionSize - 1;
    if (body !== 16 && body !== 32) throw malformed(`have an lzReceive option of ${body} bytes`);
    const gas = hexToBigInt(slice(options, start + 1, start + 17));
    const value = body === 32 ? hexToBigInt(slice(options, start + 17, start + 33)) : 0n;
    found = { gas: (found?.gas ?? 0n) + gas, value: (found?.value ?? 0n) + value };
  }
  return found;
}
