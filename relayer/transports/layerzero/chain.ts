import type { Account, Address, Chain, PublicClient, Transport, WalletClient } from "viem";
import type { DeliveryBatchQueue } from "../batch.ts";
import type { SubmitTransaction } from "../submit.ts";

/** The LayerZero contracts on one chain that delivery touches (a subset of the deployment record). */
export interface LayerZeroEndpointContracts {
  eid: number;
  endpoint: Address;
  receiveUln302: Address;
  dvn: Address;
  executor: Address;
}

/**
 * One chain as an operator sees it: a node to read, an account to send with (an admin of the DVN and
 * the Executor there), and the LayerZero contracts.
 */
export interface LayerZeroChain {
  chainId: number;
  publicClient: PublicClient;
  walletClient: WalletClient<Transport, Chain | undefined, Account>;
  contracts: LayerZeroEndpointContracts;
  /** How transactions are sent (default: viem's `sendTransaction`, then receipt polling). */
  submit?: SubmitTransaction;
  /**
   * Executions go through it when given: `EndpointV2.lzReceive` with the packet's own gas, many in one
   * transaction under load. One that runs out of gas there goes once more with the delivery's
   * `executionGasTopUp` if it has one; one that still fails runs again alone (through the Executor, or the
   * endpoint on an estimate when out of gas).
   */
  deliveries?: Pick<DeliveryBatchQueue, "call">;
}
