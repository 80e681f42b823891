import type { Address, Hex } from "viem";
import { getBlock, signTypedData } from "viem/actions";
import { marginEngineAbi } from "../abi/generated.ts";
import { getDeploymentChain, getDeploymentToken, requireContract } from "../deployments.ts";
import {
  type ClientError,
  type ContractRevertError,
  type DeploymentError,
  InvalidParameterError,
  type RpcRequestError,
  type UnknownAssetError,
  type UnknownChainError,
} from "../errors.ts";
import { chainClient, requireAccount, type WalletClient, type XmarginParameters } from "./internal/context.ts";
import { readEip712Domain } from "./internal/eip712.ts";
import { read, rpc } from "./internal/transaction.ts";

/** `IMarginEngine.ReleaseIntent`: a release the account authorises by signature, submitted by anyone. */
export interface ReleaseIntent {
  account: Address;
  chainId: bigint;
  asset: Address;
  amount: bigint;
  to: Address;
  nonce: bigint;
  deadline: bigint;
}

/** The EIP-712 type of ReleaseIntents.RELEASE_INTENT_TYPEHASH. */
export const releaseIntentTypes = {
  ReleaseIntent: [
    { name: "account", type: "address" },
    { name: "chainId", type: "uint64" },
    { name: "asset", type: "address" },
    { name: "amount", type: "uint256" },
    { name: "to", type: "address" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

export interface SignReleaseIntentParameters extends XmarginParameters {
  /** The chain holding the collateral, by id or name. */
  chain: number | string;
  /** Token symbol or address on that chain. */
  asset: string;
  /** Token units. */
  amount: bigint;
  /** Recipient on that chain; defaults to the account. The zero address only unlocks. */
  to?: Address | undefined;
  /** Unix time after which the hub refuses the intent; defaults to one hour after the hub's latest block. */
  deadline?: bigint | undefined;
  /** The account's intent nonce on the engine; defaults to the next unused one. */
  nonce?: bigint | undefined;
}

export interface SignReleaseIntentReturnType {
  intent: ReleaseIntent;
  signature: Hex;
}

export type SignReleaseIntentErrorType =
  | ContractRevertError
  | RpcRequestError
  | UnknownAssetError
  | UnknownChainError
  | DeploymentError
  | ClientError
  | InvalidParameterError;

const DEFAULT_INTENT_LIFETIME = 3600n;

/**
 * Signs a release intent (EIP-712, the engine's domain read from its ERC-5267 `eip712Domain()`) without
 * sending anything: hand it to `submitReleaseIntent` (a relayer) or `executeReleaseIntent` (any account).
 * The client may be on any chain; the hub is read through the configured chain clients.
 */
export async function signReleaseIntent(
  client: WalletClient,
  parameters: SignReleaseIntentParameters,
): Promise<SignReleaseIntentReturnType> {
  const { deployment, amount } = parameters;
  const account = requireAccount(client, "signReleaseIntent");
  const engine = requireContract(deployment.hub, "engine");
  const hub = chainClient(parameters, deployment.hub.chainId, client);
  const chain = getDeploymentChain(deployment, parameters.chain);
  const token = getDeploymentToken(chain, parameters.asset);
  if (amount <= 0n) throw new InvalidParameterError("release amount must be positive", { details: { amount } });
  const call = { chainId: deployment.hub.chainId, contract: engine };

  const [domain, nonce, deadline] = await Promise.all([
    rpc("reading the engine's EIP-712 domain", call, () => readEip712Domain(hub, engine)),
    parameters.nonce ??
      read(hub, { address: engine, abi: marginEngineAbi, functionName: "nonces", args: [account.address] }),
    parameters.deadline ??
      rpc("reading the hub's latest block", call, () => getBlock(hub, { blockTag: "latest" })).then(
        (block) => block.timestamp + DEFAULT_INTENT_LIFETIME,
      ),
  ]);
  const intent: ReleaseIntent = {
    account: account.address,
    chainId: BigInt(chain.chainId),
    asset: token.address,
    amount,
    to: parameters.to ?? account.address,
    nonce,
    deadline,
  };
  const signature = await rpc("signing the release intent", call, () =>
    signTypedData(client, {
      account,
      domain,
      types: releaseIntentTypes,
      primaryType: "ReleaseIntent",
      message: intent,
    }),
  );
  return { intent, signature };
}
