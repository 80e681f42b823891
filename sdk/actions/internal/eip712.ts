import type { Address, Client, TypedDataDomain } from "viem";
import { getEip712Domain } from "viem/actions";

/**
 * A contract's EIP-712 domain from its ERC-5267 `eip712Domain()`, with only the fields the contract declares
 * in its `fields` bitmap (name, version, chainId, verifyingContract, salt): a domain with an extra field,
 * such as the zero salt viem fills in, hashes differently and the contract would reject the signature.
 */
export async function readEip712Domain(client: Client, address: Address): Promise<TypedDataDomain> {
  const { domain, fields } = await getEip712Domain(client, { address });
  const declared = Number.parseInt(fields, 16);
  const has = (bit: number) => (declared & (1 << bit)) !== 0;
  return {
    ...(has(0) ? { name: domain.name } : {}),
    ...(has(1) ? { version: domain.version } : {}),
    ...(has(2) ? { chainId: domain.chainId } : {}),
    ...(has(3) ? { verifyingContract: domain.verifyingContract } : {}),
    ...(has(4) ? { salt: domain.salt } : {}),
  };
}
