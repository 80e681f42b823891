import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type EncodeFunctionDataParameters,
  encodeDeployData,
  encodeFunctionData,
  getAddress,
  type Hash,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from "viem";
import { XmarginError } from "../../sdk/errors.ts";

/** A chain to deploy on: a node, and the deployer account that sends (and owns) everything. */
export interface DeployerChain {
  name: string;
  chainId: number;
  publicClient: PublicClient;
  walletClient: WalletClient<Transport, Chain | undefined, Account>;
}

export class ProtocolDeploymentError extends XmarginError {
  override name = "ProtocolDeploymentError";
}

/** A contract call, typed by its ABI. */
export type ContractCall<
  abi extends Abi = Abi,
  functionName extends ContractFunctionName<abi, "nonpayable" | "payable"> = ContractFunctionName<
    abi,
    "nonpayable" | "payable"
  >,
> = {
  /** What the step is, for progress and errors. */
  step: string;
  address: Address;
  abi: abi;
  functionName: functionName;
  args: ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>;
  value?: bigint;
};

/** Builds a typed `ContractCall` (the generic parameters are inferred from the ABI). */
export const call = <const abi extends Abi, functionName extends ContractFunctionName<abi, "nonpayable" | "payable">>(
  spec: ContractCall<abi, functionName>,
): ContractCall => spec as unknown as ContractCall;

/**
 * Sends the deployer's transactions on one chain and checks each receipt, naming the step that failed.
 * `sendAll` sends independent transactions back to back and collects their receipts afterwards, which
 * saves a round trip per transaction; everything else waits for its receipt before returning.
 */
export class ChainDeployer {
  constructor(readonly chain: DeployerChain) {}

  get deployer(): Address {
    return this.chain.walletClient.account.address;
  }

  async deploy(step: string, spec: { abi: Abi; bytecode: Hex; args?: readonly unknown[] }): Promise<Address> {
    const data =
      spec.args && spec.args.length > 0
        ? encodeDeployData({ abi: spec.abi, bytecode: spec.bytecode, args: spec.args })
        : spec.bytecode;
    const receipt = await this.confirm(step, await this.send(step, { data }));
    if (!receipt.contractAddress) {
      throw new ProtocolDeploymentError(`${this.chain.name}: ${step} created no contract`, {
        details: { chain: this.chain.name, step, transactionHash: receipt.transactionHash },
      });
    }
    return getAddress(receipt.contractAddress);
  }

  async write(spec: ContractCall): Promise<TransactionReceipt> {
    return this.confirm(spec.step, await this.send(spec.step, this.encode(spec)));
  }

  async transfer(step: string, to: Address, value: bigint): Promise<TransactionReceipt> {
    return this.confirm(step, await this.send(step, { to, value }));
  }

  /**
   * Sends independent calls in order without waiting between them (consecutive nonces, so a node that does
   * not count pending transactions cannot hand out one twice), then checks every receipt.
   */
  async sendAll(calls: readonly ContractCall[]): Promise<TransactionReceipt[]> {
    const { publicClient, walletClient } = this.chain;
    let nonce = await publicClient.getTransactionCount({ address: walletClient.account.address, blockTag: "pending" });
    const sent: { step: string; hash: Hash }[] = [];
    for (const spec of calls) {
      sent.push({ step: spec.step, hash: await this.send(spec.step, { ...this.encode(spec), nonce }) });
      nonce++;
    }
    return Promise.all(sent.map(({ step, hash }) => this.confirm(step, hash)));
  }

  private encode(spec: ContractCall): { to: Address; data: Hex; value?: bigint } {
    const data = encodeFunctionData({
      abi: spec.abi,
      functionName: spec.functionName,
      args: spec.args,
    } as EncodeFunctionDataParameters);
    return { to: spec.address, data, ...(spec.value === undefined ? {} : { value: spec.value }) };
  }

  private async send(
    step: string,
    transaction: { to?: Address; data?: Hex; value?: bigint; nonce?: number },
  ): Promise<Hash> {
    const { walletClient } = this.chain;
    try {
      return await walletClient.sendTransaction({
        account: walletClient.account,
        chain: walletClient.chain,
        ...transaction,
      });
    } catch (error) {
      throw this.failed(step, error);
    }
  }

  private async confirm(step: string, hash: Hash): Promise<TransactionReceipt> {
    let receipt: TransactionReceipt;
    try {
      receipt = await this.chain.publicClient.waitForTransactionReceipt({ hash });
    } catch (error) {
      throw this.failed(step, error, hash);
    }
    if (receipt.status !== "success") throw this.failed(step, undefined, hash);
    return receipt;
  }

  private failed(step: string, cause: unknown, transactionHash?: Hash): ProtocolDeploymentError {
    const reason =
      cause instanceof Error ? `: ${(cause as { shortMessage?: string }).shortMessage ?? cause.message}` : "";
    return new ProtocolDeploymentError(`${this.chain.name}: ${step} failed${reason}`, {
      cause,
      details: { chain: this.chain.name, chainId: this.chain.chainId, step, transactionHash },
    });
  }
}
