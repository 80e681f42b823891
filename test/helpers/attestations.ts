import { type Hex, zeroAddress } from "viem";
import type { VerificationRequest } from "../../relayer/transports/layerzero/index.ts";

/** A distinct 32-byte value per number: message ids, digests, hashes. */
export const hash = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;

/** A LayerZero verification request (verify and commit) as the delivering operator sends it to its peers. */
export const layerZeroRequest: VerificationRequest = {
  sourceChainId: 70701,
  destinationChainId: 70700,
  transactionHash: hash(9),
  encodedPacket: "0x01",
  dvn: zeroAddress,
  vid: 1,
  confirmations: 1n,
  expiration: 1_800_000_000n,
  verify: { target: zeroAddress, callData: "0x", digest: hash(4) },
  commit: { target: zeroAddress, callData: "0x", digest: hash(5) },
};
