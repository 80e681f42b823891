import { createRequire } from "node:module";
import {
  type Address,
  bytesToHex,
  getAddress,
  type Hex,
  hashMessage,
  hexToBytes,
  type NonceManager,
  type PrivateKeyAccount,
  recoverAddress,
  type Signature,
  serializeTransaction,
} from "viem";
import { privateKeyToAccount, sign } from "viem/accounts";
import { keccak256 } from "../transports/keccak.ts";

/** The two libsecp256k1 calls the relayer needs, as the `secp256k1` package's native addon exposes them. */
interface NativeSecp256k1 {
  ecdsaSign(message: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaRecover(signature: Uint8Array, recid: number, message: Uint8Array, compressed: boolean): Uint8Array;
}

// The addon alone (`secp256k1/bindings`, a prebuilt libsecp256k1 for the platform), not the package's
// pure-JS fallback: where no prebuild loads, viem's own (noble) implementation is the fallback.
function loadNative(): NativeSecp256k1 | undefined {
  try {
    return createRequire(import.meta.url)("secp256k1/bindings") as NativeSecp256k1;
  } catch {
    return undefined;
  }
}

const native = loadNative();

/**
 * Which implementation signs and recovers: libsecp256k1 (native, ~50× faster than JavaScript on the
 * delivering operator's hot path: every peer signature is recovered) or viem's noble fallback.
 */
export const secp256k1Backend: "libsecp256k1" | "noble" = native ? "libsecp256k1" : "noble";

/** The 65-byte r ‖ s ‖ v (27/28) signature of a 32-byte hash, as viem's `sign` returns it. */
export async function signHash(hash: Hex, privateKey: Hex): Promise<Hex> {
  if (!native) return sign({ hash, privateKey, to: "hex" });
  const { signature, recid } = native.ecdsaSign(hexToBytes(hash), hexToBytes(privateKey));
  return `${bytesToHex(signature)}${(27 + recid).toString(16)}`;
}

/** The address that signed `hash`; throws for a malformed signature, as viem's `recoverAddress` does. */
export async function recoverHashSigner(hash: Hex, signature: Hex): Promise<Address> {
  const bytes = hexToBytes(signature);
  const v = bytes[64] ?? -1;
  const recid = v >= 27 ? v - 27 : v;
  // Anything but a 65-byte signature with v in {0, 1, 27, 28} goes to viem, for its checks and errors.
  if (!native || bytes.length !== 65 || (recid !== 0 && recid !== 1)) return recoverAddress({ hash, signature });
  const publicKey = native.ecdsaRecover(bytes.subarray(0, 64), recid, hexToBytes(hash), false);
  return getAddress(`0x${keccak256(publicKey.subarray(1)).slice(-40)}`);
}

/**
 * viem's private-key account whose transaction, message and hash signatures come from `signHash`
 * (byte-identical to viem's: both are RFC 6979 with low s).
 */
export function operatorAccount(privateKey: Hex, options: { nonceManager?: NonceManager } = {}): PrivateKeyAccount {
  const account = privateKeyToAccount(privateKey, options);
  if (!native) return account;
  const secp256k1 = native;
  const key = hexToBytes(privateKey);
  const signatureOf = (hash: Hex): Signature => {
    const { signature, recid } = secp256k1.ecdsaSign(hexToBytes(hash), key);
    return {
      r: bytesToHex(signature.subarray(0, 32)),
      s: bytesToHex(signature.subarray(32, 64)),
      v: BigInt(27 + recid),
      yParity: recid,
    };
  };
  return {
    ...account,
    sign: async ({ hash }) => signHash(hash, privateKey),
    signMessage: async ({ message }) => signHash(hashMessage(message), privateKey),
    signTransaction: async (transaction, { serializer = serializeTransaction } = {}) => {
      // As viem's signTransaction: blob sidecars are not part of what is signed.
      const signable = transaction.type === "eip4844" ? { ...transaction, sidecars: false as const } : transaction;
      const signature = signatureOf(keccak256(await serializer(signable)));
      return serializer(transaction, signature);
    },
  };
}
