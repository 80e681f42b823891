import { createRequire } from "node:module";
import { dirname } from "node:path";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, type Hex, hexToBytes } from "viem";

/** The Keccak sponge the `keccak` package's native addon exposes (its `KeccakState`). */
interface NativeKeccakState {
  initialize(rate: number, capacity: number): void;
  absorb(data: Uint8Array): void;
  absorbLastFewBits(bits: number): void;
  squeeze(length: number): Uint8Array;
}

// The addon alone (a prebuilt XKCP for the platform), not the package's stream wrapper, which costs more than
// a short hash. Where no prebuild loads, noble's JavaScript (viem's own) is the fallback.
function loadNative(): (new () => NativeKeccakState) | undefined {
  try {
    const keccakPackage = createRequire(import.meta.url).resolve("keccak/package.json");
    // node-gyp-build as the package itself loads it: its own dependency, found from its directory.
    const addon = createRequire(keccakPackage)("node-gyp-build")(dirname(keccakPackage));
    return typeof addon === "function" ? addon : undefined;
  } catch {
    return undefined;
  }
}

const NativeKeccak = loadNative();

/** Which implementation hashes: the native addon (3× faster than JavaScript on 32 bytes, 20× on 20 kB) or noble. */
export const keccakBackend: "native" | "noble" = NativeKeccak ? "native" : "noble";

// Keccak-256: rate 1088 bits, capacity 512, the original Keccak padding (0x01), not SHA-3's.
const nativeKeccak256 = (data: Uint8Array): Uint8Array => {
  const state = new (NativeKeccak as new () => NativeKeccakState)();
  state.initialize(1088, 512);
  state.absorb(data);
  state.absorbLastFewBits(0x01);
  return state.squeeze(32);
};

/** keccak256 of raw bytes, as raw bytes: for hashing in a loop (merkle nodes) without hex round trips. */
export const keccak256Bytes: (data: Uint8Array) => Uint8Array = NativeKeccak ? nativeKeccak256 : keccak_256;

/** keccak256 of hex or bytes, as hex: viem's `keccak256` with the native addon behind it. */
export function keccak256(value: Hex | Uint8Array): Hex {
  return bytesToHex(keccak256Bytes(typeof value === "string" ? hexToBytes(value) : value));
}
