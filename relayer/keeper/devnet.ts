import { type Address, type Client, parseUnits } from "viem";
import { readContract, waitForTransactionReceipt, writeContract } from "viem/actions";
import { erc20Abi, marginEngineAbi } from "../../sdk/abi/index.ts";
import type { WalletClient } from "../../sdk/actions/internal/context.ts";
import { toXmarginError } from "../../sdk/contract-errors.ts";
import { type Deployment, requireContract } from "../../sdk/deployments.ts";
import { testTokenAbi } from "../infra/protocol-abi.ts";

/** Settle tokens a devnet keeper starts with: enough to repay the debt of many liquidated accounts. */
export const DEVNET_KEEPER_FUNDS = "1000000";

/**
 * Mints the engine's settle token (the devnet's open-mint USDC) to `keeper`, so that it can repay debt in
 * collateral liquidations. Devnet only: a real settle token has no open `mint`.
 */
export async function fundDevnetKeeper(
  walletClient: WalletClient,
  deployment: Deployment,
  keeper: Address,
  amount: string = DEVNET_KEEPER_FUNDS,
  publicClient: Client = walletClient,
): Promise<bigint> {
  const engine = requireContract(deployment.hub, "engine");
  const call = { chainId: deployment.hub.chainId, functionName: "mint" };
  try {
    const token = await readContract(publicClient, {
      address: engine,
      abi: marginEngineAbi,
      functionName: "settleToken",
    });
    const decimals = await readContract(publicClient, { address: token, abi: erc20Abi, functionName: "decimals" });
    const units = parseUnits(amount, decimals);
    const hash = await writeContract(walletClient, {
      address: token,
      abi: testTokenAbi,
      functionName: "mint",
      args: [keeper, units],
      account: walletClient.account,
      chain: walletClient.chain,
    });
    await waitForTransactionReceipt(publicClient, { hash });
    return units;
  } catch (error) {
    throw toXmarginError(error, "funding the devnet keeper", call);
  }
}
