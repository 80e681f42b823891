import type { Account, Address, Chain, PublicClient, Transport, WalletClient } from "viem";
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
}
