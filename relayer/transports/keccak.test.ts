import { randomBytes } from "node:crypto";
import { bytesToHex, keccak256 as viemKeccak256 } from "viem";
import { describe, expect, it } from "vitest";
import { keccak256, keccak256Bytes, keccakBackend } from "./keccak.ts";

describe("keccak256", () => {
  it("loads the native addon on this platform", () => {
    expect(keccakBackend).toBe("native");
  });

  it("equals viem's on every length around the rate (136 bytes) and far past it, hex or bytes in", () => {
    for (const length of [0, 1, 31, 32, 33, 64, 135, 136, 137, 271, 272, 273, 1_000, 20_000]) {
      const bytes = new Uint8Array(randomBytes(length));
      const expected = viemKeccak256(bytes);
      expect(keccak256(bytes), `${length} bytes`).toBe(expected);
      expect(keccak256(bytesToHex(bytes)), `${length} bytes as hex`).toBe(expected);
      expect(bytesToHex(keccak256Bytes(bytes)), `${length} bytes, bytes out`).toBe(expected);
    }
  });

  it("keeps no state between calls", () => {
    const bytes = new Uint8Array(randomBytes(100));
    expect(keccak256(bytes)).toBe(keccak256(bytes));
  });
});
