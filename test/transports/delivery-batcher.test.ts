// The relayers' DeliveryBatcher on an in-process chain, alone and behind DeliveryBatchQueue: each call gets its
// exact gas and its own outcome, value the failed calls did not spend goes back, and a transaction that cannot
// give a call its gas reverts instead of starving it.
import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  encodeFunctionData,
  erc20Abi,
  type Hex,
  parseAbi,
  parseEventLogs,
  toFunctionSelector,
} from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { DeliveryBatchQueue, deliveryBatcherAbi } from "../../relayer/transports/batch.ts";
import { viemSubmitter } from "../../relayer/transports/submit.ts";
import { type Connection, connect } from "../helpers/chains.ts";

const feedAbi = parseAbi([
  "function setAnswer(int256 answer)",
  "function latestRoundData() view returns (uint80, int256 answer, uint256, uint256, uint80)",
]);
const setAnswer = (answer: bigint): Hex =>
  encodeFunctionData({ abi: feedAbi, functionName: "setAnswer", args: [answer] });
const SET_ANSWER_GAS = 100_000n;

describe("DeliveryBatcher", () => {
  let connection: Connection;
  let batcher: Address;
  let feed: Address;
  let token: Address;
  let sender: Address;
  let recipient: Address;

  beforeAll(async () => {
    connection = await connect("hub");
    const [owner, other] = await connection.viem.getWalletClients();
    if (!owner || !other) throw new Error("need two accounts");
    sender = owner.account.address;
    recipient = other.account.address;
    batcher = (await connection.viem.deployContract("DeliveryBatcher")).address;
    feed = (await connection.viem.deployContract("MockAggregatorV3", [8, 1n])).address;
    token = (await connection.viem.deployContract("TestToken", ["Token", "TKN", 18])).address;
  });

  const answer = async () => {
    const publicClient = await connection.viem.getPublicClient();
    const [, value] = await publicClient.readContract({ address: feed, abi: feedAbi, functionName: "latestRoundData" });
    return value;
  };

  async function owner() {
    const [wallet] = await connection.viem.getWalletClients();
    if (!wallet) throw new Error("no account");
    return wallet;
  }

  async function execute(calls: { target: Address; gas: bigint; value?: bigint; data: Hex }[], value = 0n) {
    const publicClient = await connection.viem.getPublicClient();
    const hash = await (await owner()).writeContract({
      address: batcher,
      abi: deliveryBatcherAbi,
      functionName: "execute",
      args: [calls.map((call) => ({ value: 0n, ...call }))],
      value,
      gas: 3_000_000n,
    });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("success");
    return parseEventLogs({ abi: deliveryBatcherAbi, eventName: "CallExecuted", logs: receipt.logs }).map(
      (log) => log.args,
    );
  }

  it("runs every call with its own outcome: a revert or an out-of-gas call undoes none of the others", async () => {
    const transfer = encodeFunctionData({ abi: erc20Abi, functionName: "transfer", args: [recipient, 1n] });
    const outcomes = await execute([
      { target: feed, gas: SET_ANSWER_GAS, data: setAnswer(5n) },
      { target: token, gas: SET_ANSWER_GAS, data: transfer },
      { target: feed, gas: 5_000n, data: setAnswer(6n) },
      { target: feed, gas: SET_ANSWER_GAS, data: setAnswer(7n) },
    ]);
    expect(outcomes.map(({ index, success }) => [index, success])).toEqual([
      [0n, true],
      [1n, false],
      [2n, false],
      [3n, true],
    ]);
    // The batcher has no tokens: OpenZeppelin's ERC20InsufficientBalance(sender, balance, needed), selector 0xe450d38c.
    expect(outcomes[1]?.result.slice(0, 10)).toBe("0xe450d38c");
    // Out of gas: no revert data.
    expect(outcomes[2]?.result).toBe("0x");
    expect(await answer()).toBe(7n);
    for (const outcome of outcomes) expect(outcome.gasUsed).toBeGreaterThan(0n);
    expect(outcomes[2]?.gasUsed).toBeLessThan(5_000n + 15_000n);
  });

  it("cannot be reentered: a call into the batcher itself fails, so no call can speak in its name", async () => {
    const reenter = encodeFunctionData({ abi: deliveryBatcherAbi, functionName: "execute", args: [[]] });
    const outcomes = await execute([
      { target: batcher, gas: SET_ANSWER_GAS, data: reenter },
      { target: feed, gas: SET_ANSWER_GAS, data: setAnswer(7n) },
    ]);
    expect(outcomes.map(({ success }) => success)).toEqual([false, true]);
    expect(outcomes[0]?.result).toBe(toFunctionSelector("ReentrancyGuardReentrantCall()"));
  });

  it("keeps at most 1 KiB of a call's result: a target reverting with 256 KiB cannot make the batch pay for it", async () => {
    // Runtime `revert(0, 0x40000)` (PUSH3 0x040000 PUSH1 0 REVERT) behind init code that returns those 7 bytes.
    const runtime = "620400006000fd";
    const deployHash = await (await owner()).deployContract({
      abi: [],
      bytecode: `0x6007600c60003960076000f3${runtime}`,
    });
    const publicClient = await connection.viem.getPublicClient();
    const bomb = (await publicClient.waitForTransactionReceipt({ hash: deployHash })).contractAddress;
    if (!bomb) throw new Error("the reverting contract was not deployed");
    const hash = await (await owner()).writeContract({
      address: batcher,
      abi: deliveryBatcherAbi,
      functionName: "execute",
      args: [
        [
          { target: bomb, gas: 400_000n, value: 0n, data: "0x" },
          { target: feed, gas: SET_ANSWER_GAS, value: 0n, data: setAnswer(9n) },
        ],
      ],
      gas: 3_000_000n,
    });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    const outcomes = parseEventLogs({ abi: deliveryBatcherAbi, eventName: "CallExecuted", logs: receipt.logs });
    expect(outcomes.map((log) => log.args.success)).toEqual([false, true]);
    expect(outcomes[0]?.args.result).toBe(`0x${"00".repeat(1024)}`);
    // Copying and logging all 256 KiB would cost the batch over 2M gas; the bomb's own memory costs ~180k.
    expect(receipt.gasUsed).toBeLessThan(400_000n);
    expect(await answer()).toBe(9n);
  });

  it("returns the value of failed calls to the sender and keeps none", async () => {
    const publicClient = await connection.viem.getPublicClient();
    const before = await publicClient.getBalance({ address: recipient });
    await execute(
      [
        { target: recipient, gas: 30_000n, value: 3n, data: "0x" },
        // setAnswer is not payable: the call reverts and its 5 wei come back.
        { target: feed, gas: SET_ANSWER_GAS, value: 5n, data: setAnswer(8n) },
      ],
      10n,
    );
    expect((await publicClient.getBalance({ address: recipient })) - before).toBe(3n);
    expect(await publicClient.getBalance({ address: batcher })).toBe(0n);
    expect(await answer()).toBe(9n);
  });

  it("refuses a batch whose values exceed what was sent, or whose gas cannot cover a call's", async () => {
    const publicClient = await connection.viem.getPublicClient();
    const simulate = (calls: { target: Address; gas: bigint; value: bigint; data: Hex }[], options: object) =>
      publicClient
        .simulateContract({
          address: batcher,
          abi: deliveryBatcherAbi,
          functionName: "execute",
          args: [calls],
          account: sender,
          ...options,
        })
        .then(
          () => undefined,
          (error: unknown) => {
            const reverted =
              error instanceof BaseError && error.walk((e) => e instanceof ContractFunctionRevertedError);
            return reverted instanceof ContractFunctionRevertedError ? reverted.data : undefined;
          },
        );
    const tooMuchValue = await simulate([{ target: recipient, gas: 30_000n, value: 2n, data: "0x" }], { value: 1n });
    expect(tooMuchValue?.errorName).toBe("InsufficientValueForCall");
    expect(tooMuchValue?.args).toEqual([0n, 2n, 1n]);

    const starved = await simulate(
      [
        { target: feed, gas: SET_ANSWER_GAS, value: 0n, data: setAnswer(1n) },
        { target: feed, gas: 2_000_000n, value: 0n, data: setAnswer(2n) },
      ],
      { gas: 1_000_000n },
    );
    expect(starved?.errorName).toBe("InsufficientGasForCall");
    expect(starved?.args?.[0]).toBe(1n);
  });

  it("behind DeliveryBatchQueue: one call goes alone, calls made meanwhile share the next transaction", async () => {
    const publicClient = await connection.viem.getPublicClient();
    const queue = new DeliveryBatchQueue({ submit: viemSubmitter(publicClient, await owner()), batcher });
    const first = queue.call({ to: feed, data: setAnswer(10n), gas: SET_ANSWER_GAS });
    const others = [11n, 12n, 13n].map((value) =>
      queue.call({ to: feed, data: setAnswer(value), gas: value === 12n ? 5_000n : SET_ANSWER_GAS }),
    );
    const alone = await first;
    expect(alone).toMatchObject({ success: true, batchSize: 1 });
    expect(alone.receipt.to?.toLowerCase()).toBe(feed.toLowerCase());
    const batched = await Promise.all(others);
    expect(batched.map((outcome) => [outcome.success, outcome.batchSize])).toEqual([
      [true, 3],
      [false, 3],
      [true, 3],
    ]);
    expect(new Set(batched.map((outcome) => outcome.receipt.transactionHash)).size).toBe(1);
    expect(batched[0]?.receipt.to?.toLowerCase()).toBe(batcher.toLowerCase());
    expect(await answer()).toBe(13n);
  });
});

describe("DeliveryBatchQueue", () => {
  // A stand-in for the chain (a unit-test mock): records what was sent and answers with a bare receipt.
  function recordingSubmit() {
    const sent: { to: Address; gas: bigint; value: bigint }[] = [];
    const waiting: (() => void)[] = [];
    const submit = async ({ to, gas, value = 0n }: { to: Address; gas: bigint; value?: bigint }) => {
      sent.push({ to, gas, value });
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
      });
      return { status: "success", gasUsed: 21_000n, logs: [], transactionHash: `0x${"ab".repeat(32)}` } as never;
    };
    return {
      sent,
      submit,
      release: () => waiting.shift()?.(),
      releaseAll: () => {
        for (const resolve of waiting.splice(0)) resolve();
      },
    };
  }
  const target = "0x00000000000000000000000000000000000000aa" as Address;
  const batcher = "0x00000000000000000000000000000000000000bb" as Address;

  it("without a batcher sends every call at once, alone, each with its transaction's own cost added", async () => {
    const chain = recordingSubmit();
    const queue = new DeliveryBatchQueue({ submit: chain.submit });
    const outcomes = [
      queue.call({ to: target, data: "0x1234", gas: 50_000n }),
      queue.call({ to: target, data: "0x", gas: 1n }),
    ];
    await Promise.resolve();
    // Side by side: the second does not wait for the first's receipt.
    expect(chain.sent).toHaveLength(2);
    // 21,000 for the transaction and 16 per calldata byte.
    expect(chain.sent[0]?.gas).toBe(50_000n + 21_000n + 2n * 16n);
    chain.releaseAll();
    expect((await Promise.all(outcomes)).map((outcome) => outcome.batchSize)).toEqual([1, 1]);
  });

  it("splits what waits into transactions of at most maxCalls and maxGas", async () => {
    const chain = recordingSubmit();
    const queue = new DeliveryBatchQueue({ submit: chain.submit, batcher, maxCalls: 3, maxGas: 2_000_000n });
    const outcomes = Array.from({ length: 7 }, (_, index) =>
      queue.call({ to: target, data: "0x", gas: index === 4 ? 1_900_000n : 100_000n }),
    );
    for (let round = 0; round < 5; round++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      chain.release();
    }
    const sizes = (await Promise.all(outcomes)).map((outcome) => outcome.batchSize);
    // The first alone (the queue was idle), then three, then the heavy one alone (the gas cap), then the rest.
    expect(sizes).toEqual([1, 3, 3, 3, 1, 2, 2]);
    expect(chain.sent.map((transaction) => transaction.to)).toEqual([target, batcher, target, batcher]);
    // Nothing in the mocked receipts: batched calls report failure and go again on their own.
    expect((await outcomes[1])?.success).toBe(false);
  });

  it("rejects every call of a transaction that could not be sent", async () => {
    const queue = new DeliveryBatchQueue({
      submit: async () => {
        throw new Error("node unreachable");
      },
      batcher,
    });
    await expect(queue.call({ to: target, data: "0x", gas: 1n })).rejects.toThrow("node unreachable");
    // The queue goes on: the next call is sent (and fails the same way) rather than waiting forever.
    await expect(queue.call({ to: target, data: "0x", gas: 1n })).rejects.toThrow("node unreachable");
  });
});
