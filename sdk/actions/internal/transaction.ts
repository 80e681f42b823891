import type {
  Abi,
  Address,
  Client,
  ContractFunctionArgs,
  ContractFunctionName,
  ContractFunctionReturnType,
  Hash,
  TransactionReceipt,
} from "viem";
import {
  type EstimateContractGasParameters,
  estimateContractGas,
  readContract,
  waitForTransactionReceipt,
  writeContract,
} from "viem/actions";
import { toXmarginError } from "../../contract-errors.ts";
import { type CallContext, ContractRevertError } from "../../errors.ts";
import type { WalletClient } from "./context.ts";

type WriteFunctionName<abi extends Abi> = ContractFunctionName<abi, "nonpayable" | "payable">;
type ReadFunctionName<abi extends Abi> = ContractFunctionName<abi, "view" | "pure">;

export interface ContractWrite<abi extends Abi, functionName extends WriteFunctionName<abi>> {
  address: Address;
  abi: abi;
  functionName: functionName;
  args: ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>;
  value?: bigint | undefined;
}

/**
 * A gas limit for a call estimated at `estimate`: a fifth more (rounded down), because a relayed message landing
 * between the estimate and inclusion (a report, a command) can make the same call dearer than the state the
 * estimate saw.
 */
export const withGasMargin = (estimate: bigint): bigint => estimate + estimate / 5n;

export interface SentTransaction {
  hash: Hash;
  receipt: TransactionReceipt;
}

/**
 * Estimates, sends and waits for one contract call. The estimate runs the call, so a revert becomes a
 * decoded ContractRevertError before anything is signed; any other failure becomes an RpcRequestError.
 * The gas limit carries a margin over the estimate (`withGasMargin`).
 */
export async function sendContractTransaction<const abi extends Abi, functionName extends WriteFunctionName<abi>>(
  client: WalletClient,
  write: ContractWrite<abi, functionName>,
): Promise<SentTransaction> {
  const call = { chainId: client.chain.id, contract: write.address, functionName: write.functionName };
  const parameters = { ...write, account: client.account, chain: client.chain };
  const estimate = await rpc(write.functionName, call, () =>
    estimateContractGas(client, parameters as unknown as EstimateContractGasParameters),
  );
  const gas = withGasMargin(estimate);
  const hash = await rpc(write.functionName, call, () => writeContract(client, { ...parameters, gas } as never));
  const receipt = await rpc(`waiting for ${write.functionName} (${hash})`, call, () =>
    waitForTransactionReceipt(client, { hash }),
  );
  // Only a state change between estimate and inclusion gets here; the node no longer has the reason.
  if (receipt.status === "reverted") throw new ContractRevertError(undefined, [], undefined, call);
  return { hash, receipt };
}

/** `readContract` with failures as XmarginErrors. */
export async function read<
  const abi extends Abi,
  functionName extends ReadFunctionName<abi>,
  const args extends ContractFunctionArgs<abi, "view" | "pure", functionName>,
>(
  client: Client,
  parameters: { address: Address; abi: abi; functionName: functionName; args?: args; blockNumber?: bigint | undefined },
): Promise<ContractFunctionReturnType<abi, "view" | "pure", functionName, args>> {
  const call = { chainId: client.chain?.id, contract: parameters.address, functionName: parameters.functionName };
  return rpc(parameters.functionName, call, () => readContract(client, parameters as never)) as Promise<
    ContractFunctionReturnType<abi, "view" | "pure", functionName, args>
  >;
}

/** Runs one RPC operation with its failure as an XmarginError naming it. */
export async function rpc<T>(operation: string, call: CallContext, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toXmarginError(error, operation, call);
  }
}
