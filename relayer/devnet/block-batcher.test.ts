// The block batcher against a real anvil in interval mode (an hour between its own blocks, so every block
// here is the batcher's): transactions that arrive together share a block, a lone one is mined at once
// (no window) or after its window, and a missing IPC endpoint fails with a clear error.
import { type Address, createPublicClient, createWalletClient, type Hash, http, parseEther } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterEach, describe, expect, it } from "vitest";
import { type AnvilHandle, startAnvil } from "./anvil.ts";
import { BlockBatcherError, startBlockBatcher } from "./block-batcher.ts";

const MNEMONIC = "test test test test test test test test test test test junk";
const SINK: Address = "0x000000000000000000000000000000000000dEaD";

describe("block batcher", () => {
  let anvil: AnvilHandle | undefined;
  afterEach(async () => {
    await anvil?.stop();
    anvil = undefined;
  });

  const chainWith = async (batchWindowMs: number) => {
    anvil = await startAnvil({ chainId: 70_994, mnemonic: MNEMONIC, accounts: 1, blockTime: 3_600, batchWindowMs });
    const chain = { ...foundry, id: 70_994 };
    const transport = http(anvil.rpcUrl);
    const publicClient = createPublicClient({ chain, transport });
    const walletClient = createWalletClient({ chain, transport, account: mnemonicToAccount(MNEMONIC) });
    /** Sends `count` transfers at once (consecutive nonces) and returns their hashes. */
    const sendAtOnce = async (count: number): Promise<Hash[]> => {
      const nonce = await publicClient.getTransactionCount({
        address: walletClient.account.address,
        blockTag: "pending",
      });
      const signed = await Promise.all(
        Array.from({ length: count }, (_, index) =>
          walletClient.signTransaction({
            to: SINK,
            value: parseEther("0.001"),
            nonce: nonce + index,
            gas: 21_000n,
            maxFeePerGas: 10_000_000_000n,
            maxPriorityFeePerGas: 1n,
          }),
        ),
      );
      return Promise.all(
        signed.map((serializedTransaction) => publicClient.sendRawTransaction({ serializedTransaction })),
      );
    };
    const blocksOf = async (hashes: Hash[]) => {
      const receipts = await Promise.all(
        hashes.map((hash) => publicClient.waitForTransactionReceipt({ hash, pollingInterval: 5, timeout: 5_000 })),
      );
      return new Set(receipts.map((receipt) => receipt.blockNumber));
    };
    return { publicClient, sendAtOnce, blocksOf };
  };

  it("mines transactions sent together into one block, and fewer blocks than transactions in a stream", async () => {
    const { publicClient, sendAtOnce, blocksOf } = await chainWith(20);
    const before = await publicClient.getBlockNumber({ cacheTime: 0 });
    expect((await blocksOf(await sendAtOnce(5))).size).toBe(1);
    const streamed: Hash[] = [];
    for (let round = 0; round < 10; round++) streamed.push(...(await sendAtOnce(2)));
    const blocks = await blocksOf(streamed);
    expect(blocks.size).toBeLessThan(streamed.length);
    // No block without a transaction: the node's own interval (an hour) never came.
    const after = await publicClient.getBlockNumber({ cacheTime: 0 });
    expect(Number(after - before)).toBe(1 + blocks.size);
  });

  it("mines a lone transaction at once with no window, and after its window with one", async () => {
    const timeToMine = async (batchWindowMs: number) => {
      const { sendAtOnce, blocksOf } = await chainWith(batchWindowMs);
      await blocksOf(await sendAtOnce(1));
      const started = performance.now();
      await blocksOf(await sendAtOnce(1));
      const elapsed = performance.now() - started;
      await anvil?.stop();
      return elapsed;
    };
    expect(await timeToMine(0)).toBeLessThan(150);
    expect(await timeToMine(300)).toBeGreaterThanOrEqual(300);
  });

  it("fails with the endpoint it could not reach", async () => {
    const missing = "/tmp/xmargin-no-such-node.ipc";
    await expect(startBlockBatcher({ ipcPath: missing, windowMs: 0, readyTimeoutMs: 100 })).rejects.toThrow(
      new BlockBatcherError(`cannot reach the node at ${missing}: connect ENOENT ${missing}`),
    );
  });
});
