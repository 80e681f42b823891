import type {
  Account,
  Address,
  Chain,
  Client,
  Hex,
  NonceManager,
  PublicClient,
  TransactionReceipt,
  Transport,
  WalletClient,
} from "viem";
import { getTransactionCount } from "viem/actions";
import { keccak256 } from "./keccak.ts";
import { PromiseCache } from "./promise-cache.ts";

/** A transaction the relayer sends: the gas limit is always the caller's (fixed, or its own estimate). */
export interface RelayerTransaction {
  to: Address;
  data: Hex;
  gas: bigint;
  value?: bigint;
}

/** Sends a transaction from the chain's operator account and resolves with its receipt, whatever its status. */
export type SubmitTransaction = (transaction: RelayerTransaction) => Promise<TransactionReceipt>;

/** The plain way: viem's `sendTransaction` (it fills nonce, fees and chain id per call), then polling for the receipt. */
export function viemSubmitter(
  publicClient: PublicClient,
  walletClient: WalletClient<Transport, Chain | undefined, Account>,
): SubmitTransaction {
  return async ({ to, data, gas, value = 0n }) => {
    const hash = await walletClient.sendTransaction({
      account: walletClient.account,
      chain: walletClient.chain,
      to,
      data,
      gas,
      value,
    });
    return publicClient.waitForTransactionReceipt({ hash });
  };
}

export interface FastSubmitterOptions {
  publicClient: PublicClient;
  walletClient: WalletClient<Transport, Chain, Account>;
  /** How long fee parameters read from the latest block are reused (default 2 s). */
  feeRefreshMs?: number;
}

const DEFAULT_FEE_REFRESH_MS = 2_000;

/**
 * A delivery is a chain of transactions, each waiting on the last, so every round trip to the node counts:
 * this submitter signs locally with everything known in advance (chain id, nonce from the account's nonce
 * manager, fees reused for `feeRefreshMs`) and sends with `eth_sendRawTransactionSync` (EIP-7966), which
 * answers with the receipt — one round trip per transaction. Nodes without that method get
 * `eth_sendRawTransaction` and receipt polling, decided once per submitter. (The node's own wait bound
 * applies: anvil refuses EIP-7966's optional timeout parameter; a send the transport gives up on is
 * settled by its receipt.)
 */
export function fastSubmitter(options: FastSubmitterOptions): SubmitTransaction {
  const { publicClient, walletClient } = options;
  const { account, chain } = walletClient;
  const feeRefreshMs = options.feeRefreshMs ?? DEFAULT_FEE_REFRESH_MS;
  if (!account.signTransaction || !account.nonceManager) {
    throw new Error("the fast submitter needs a local account with a nonce manager");
  }
  const signTransaction = account.signTransaction.bind(account);
  const nonces = account.nonceManager;
  const fees = new PromiseCache<"fees", { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }>(feeRefreshMs);
  let syncSupported: boolean | undefined;

  const currentFees = () => fees.get("fees", () => publicClient.estimateFeesPerGas());

  return async ({ to, data, gas, value = 0n }) => {
    const [feeParameters, nonce] = await Promise.all([
      currentFees(),
      nonces.consume({ address: account.address, chainId: chain.id, client: publicClient }),
    ]);
    let serializedTransaction: Hex;
    try {
      serializedTransaction = await signTransaction({
        type: "eip1559",
        chainId: chain.id,
        to,
        data,
        gas,
        value,
        nonce,
        ...feeParameters,
      });
    } catch (error) {
      nonces.reset({ address: account.address, chainId: chain.id });
      throw error;
    }
    // Only a failed send needs the hash worked out here (hashing a batch's calldata again is not free).
    const hash = () => keccak256(serializedTransaction);
    if (syncSupported !== false) {
      try {
        const receipt = await publicClient.sendRawTransactionSync({ serializedTransaction });
        syncSupported = true;
        return receipt;
      } catch (error) {
        if (syncSupported === undefined && isMethodUnsupported(error)) {
          syncSupported = false;
        } else {
          return settleAfterFailedSend(error, hash());
        }
      }
    }
    let sent: Hex;
    try {
      sent = await publicClient.sendRawTransaction({ serializedTransaction });
    } catch (error) {
      return settleAfterFailedSend(error, hash());
    }
    return publicClient.waitForTransactionReceipt({ hash: sent });
  };

  /**
   * A send that failed may still have reached the node (a timeout), or may have left a hole in the nonce
   * sequence (rejected: fee too low, nonce taken by another sender of the account): the receipt decides,
   * and without one the nonce manager reads the account's nonce again before the next transaction.
   */
  async function settleAfterFailedSend(error: unknown, hash: Hex): Promise<TransactionReceipt> {
    const receipt = await publicClient.getTransactionReceipt({ hash }).catch(() => undefined);
    if (receipt) return receipt;
    nonces.reset({ address: account.address, chainId: chain.id });
    fees.forget("fees");
    throw error;
  }
}

function isMethodUnsupported(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as { code?: unknown }).code;
    if (code === -32601) return true;
    if (/method .*(not found|not supported|does not exist|unsupported)/i.test(cause.message)) return true;
  }
  return false;
}

/**
 * A nonce manager that counts locally: the account's nonce is read once (pending block), then every
 * transaction of this process takes the next number without a round trip. `reset` forgets the count
 * (after a send that did not reach the chain) so the next transaction reads it again. One instance per
 * process, shared by every client that sends with the account.
 */
export function createLocalNonceManager(): NonceManager {
  // Per account and chain: the next nonce, and the read it counts from (a failed read is forgotten).
  const next = new Map<string, { nonce: Promise<number>; read: Promise<number> }>();
  const keyOf = ({ address, chainId }: { address: Address; chainId: number }) => `${address.toLowerCase()}.${chainId}`;
  const take = (key: string, address: Address, client: Client) => {
    let entry = next.get(key);
    if (!entry) {
      const read = getTransactionCount(client, { address, blockTag: "pending" });
      read.catch(() => {
        if (next.get(key)?.read === read) next.delete(key);
      });
      entry = { nonce: read, read };
    }
    return entry;
  };
  return {
    consume({ address, chainId, client }) {
      const key = keyOf({ address, chainId });
      const entry = take(key, address, client);
      next.set(key, { nonce: entry.nonce.then((nonce) => nonce + 1), read: entry.read });
      return entry.nonce;
    },
    increment({ address, chainId }) {
      const key = keyOf({ address, chainId });
      const entry = next.get(key);
      if (entry) next.set(key, { nonce: entry.nonce.then((nonce) => nonce + 1), read: entry.read });
    },
    get({ address, chainId, client }) {
      return take(keyOf({ address, chainId }), address, client).nonce;
    },
    reset({ address, chainId }) {
      next.delete(keyOf({ address, chainId }));
    },
  };
}

/** The operator account's nonce manager, shared by the engine's deliveries and the API's intent submissions. */
export const operatorNonceManager = createLocalNonceManager();
