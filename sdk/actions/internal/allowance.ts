import { type Address, type Client, domainSeparator, erc20Abi, parseSignature, type TypedDataDomain } from "viem";
import { getBlock, signTypedData } from "viem/actions";
import { erc2612Abi } from "../../abi/generated.ts";
import { InvalidParameterError } from "../../errors.ts";
import type { WalletClient } from "./context.ts";
import { readEip712Domain } from "./eip712.ts";
import { read, rpc, sendContractTransaction } from "./transaction.ts";

/** How an action obtains the allowance it needs: `auto` permits when the token supports ERC-2612. */
export type ApprovalMode = "auto" | "approve" | "permit";

/** What was sent to obtain the allowance; `none` when the existing allowance sufficed. */
export type ApprovalOutcome = "none" | "approve" | "permit";

/**
 * The token's EIP-712 domain when it implements ERC-2612, else undefined. The domain comes from ERC-5267
 * `eip712Domain()` when the token has it, else from `name()` and version "1"; either way it must hash to
 * the token's `DOMAIN_SEPARATOR()`, so a signature is never made over a domain the token would not accept.
 */
export async function permitDomain(client: Client, token: Address): Promise<TypedDataDomain | undefined> {
  let separator: `0x${string}`;
  try {
    separator = await read(client, { address: token, abi: erc2612Abi, functionName: "DOMAIN_SEPARATOR" });
  } catch {
    return undefined;
  }
  let domain: TypedDataDomain;
  try {
    domain = await readEip712Domain(client, token);
  } catch {
    try {
      const name = await read(client, { address: token, abi: erc20Abi, functionName: "name" });
      domain = { name, version: "1", chainId: client.chain?.id, verifyingContract: token };
    } catch {
      return undefined;
    }
  }
  return domainSeparator({ domain }) === separator ? domain : undefined;
}

const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** Seconds a permit signed by `ensureAllowance` stays valid. */
const PERMIT_LIFETIME = 3600n;

/**
 * Makes `spender`'s allowance over the account's `token` cover `amount`: nothing when it already does,
 * else an ERC-2612 permit (signed, then submitted by the account) or an `approve` of exactly `amount`.
 */
export async function ensureAllowance(
  client: WalletClient,
  token: Address,
  spender: Address,
  amount: bigint,
  mode: ApprovalMode,
): Promise<ApprovalOutcome> {
  const owner = client.account.address;
  const allowance = await read(client, {
    address: token,
    abi: erc20Abi,
    functionName: "allowance",
    args: [owner, spender],
  });
  if (allowance >= amount) return "none";
  const domain = mode === "approve" ? undefined : await permitDomain(client, token);
  if (domain === undefined) {
    if (mode === "permit") {
      throw new InvalidParameterError(`token ${token} does not support ERC-2612 permits`, { details: { token } });
    }
    await sendContractTransaction(client, {
      address: token,
      abi: erc20Abi,
      functionName: "approve",
      args: [spender, amount],
    });
    return "approve";
  }
  const call = { chainId: client.chain.id, contract: token };
  const [nonce, block] = await Promise.all([
    read(client, { address: token, abi: erc2612Abi, functionName: "nonces", args: [owner] }),
    rpc("reading the latest block", call, () => getBlock(client, { blockTag: "latest" })),
  ]);
  const deadline = block.timestamp + PERMIT_LIFETIME;
  const signature = await rpc("signing the permit", call, () =>
    signTypedData(client, {
      account: client.account,
      domain,
      types: PERMIT_TYPES,
      primaryType: "Permit",
      message: { owner, spender, value: amount, nonce, deadline },
    }),
  );
  const { v, r, s, yParity } = parseSignature(signature);
  await sendContractTransaction(client, {
    address: token,
    abi: erc2612Abi,
    functionName: "permit",
    args: [owner, spender, amount, deadline, Number(v ?? BigInt(yParity + 27)), r, s],
  });
  return "permit";
}
