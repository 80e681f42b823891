import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

/**
 * One operator's signing key. Verifiers (LayerZero DVN signers, Hyperlane validators) sign 32-byte
 * digests as EIP-191 messages; each operator signs only its own part, and other operators'
 * signatures arrive as data.
 */
export interface DigestSigner {
  readonly address: Address;
  /** EIP-191 signature (`\x19Ethereum Signed Message:\n32` ‖ digest), 65 bytes. */
  signDigest(digest: Hex): Promise<Hex>;
}

/** A signer holding its private key in memory. */
export function localDigestSigner(privateKey: Hex): DigestSigner {
  const account = privateKeyToAccount(privateKey);
  return {
    address: account.address,
    signDigest: (digest) => account.signMessage({ message: { raw: digest } }),
  };
}
