import { type Address, type Hex, hashMessage } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { recoverHashSigner, signHash } from "./secp256k1.ts";

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
  const address = privateKeyToAddress(privateKey);
  return {
    address,
    async signDigest(digest) {
      const signature = await signHash(hashMessage({ raw: digest }), privateKey);
      remember(recoveryKey(digest, signature), address);
      return signature;
    },
  };
}

// Recovered signers by (digest, signature): a quorum's signatures are checked where they arrive (peer
// answers), where they are kept, and where they are assembled; each is recovered once. Bounded: the
// oldest entries go first.
const RECOVERED_LIMIT = 4_096;
const recovered = new Map<string, Address>();
const recoveryKey = (digest: Hex, signature: Hex) => `${digest.toLowerCase()}:${signature.toLowerCase()}`;

function remember(key: string, signer: Address): void {
  if (recovered.size >= RECOVERED_LIMIT) {
    const oldest = recovered.keys().next().value;
    if (oldest !== undefined) recovered.delete(oldest);
  }
  recovered.set(key, signer);
}

/** The address whose EIP-191 signature of the 32-byte `digest` this is; throws for a malformed signature. */
export async function recoverDigestSigner(digest: Hex, signature: Hex): Promise<Address> {
  const key = recoveryKey(digest, signature);
  const known = recovered.get(key);
  if (known) return known;
  const signer = await recoverHashSigner(hashMessage({ raw: digest }), signature);
  remember(key, signer);
  return signer;
}
