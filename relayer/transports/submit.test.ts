import {
  type Address,
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  type EIP1193RequestFn,
  http,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnvilHandle, startAnvil } from "../devnet/anvil.ts";
import { createLocalNonceManager, fastSubmitter } from "./submit.ts";

const MNEMONIC = "test test test test test test test test test test test junk";
// Anvil's second default account (the mnemonic's index 1); each test uses its own nonce manager.
const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const SINK: Address = "0x000000000000000000000000000000000000dEaD";
const CHAIN_ID = 70_990;

describe("fastSubmitter: one round trip per transaction, nonces counted locally", () => {
  let anvil: AnvilHandle;
  const chain = () =>
    defineChain({
      id: CHAIN_ID,
      name: "submit-test",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [anvil.rpcUrl] } },
    });

  beforeAll(async () => {
    anvil = await startAnvil({ chainId: CHAIN_ID, mnemonic: MNEMONIC, accounts: 2, blockTime: 60 });
  });
  afterAll(async () => {
    await anvil?.stop();
  });

  /** Clients over `transport`, with a request log of the methods the node was asked. */
  function clients(rewrite?: (method: string) => Error | undefined) {
    const methods: string[] = [];
    const base = http(anvil.rpcUrl)({ chain: chain() });
    const request = (async (args) => {
      methods.push(args.method);
      const refusal = rewrite?.(args.method);
      if (refusal) throw refusal;
      return base.request(args);
    }) as EIP1193RequestFn;
    const transport = custom({ request });
    const account = privateKeyToAccount(KEY, { nonceManager: createLocalNonceManager() });
    const publicClient = createPublicClient({ chain: chain(), transport, pollingInterval: 10 });
    const walletClient = createWalletClient({ chain: chain(), transport, account, pollingInterval: 10 });
    return { methods, publicClient, walletClient, account };
  }

  it("sends concurrent transactions with consecutive nonces and answers each with its receipt", async () => {
    const { methods, publicClient, walletClient, account } = clients();
    const submit = fastSubmitter({ publicClient, walletClient });
    const before = await publicClient.getTransactionCount({ address: account.address });
    methods.length = 0;
    const receipts = await Promise.all(
      Array.from({ length: 12 }, (_, i) => submit({ to: SINK, data: "0x", gas: 30_000n, value: BigInt(i + 1) })),
    );
    expect(receipts.every((receipt) => receipt.status === "success")).toBe(true);
    const nonces = await Promise.all(
      receipts.map(async (receipt) => (await publicClient.getTransaction({ hash: receipt.transactionHash })).nonce),
    );
    expect(nonces.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => before + i));
    // One nonce read, one fee read, then nothing but the sends themselves.
    expect(methods.filter((method) => method === "eth_sendRawTransactionSync")).toHaveLength(12);
    expect(methods.filter((method) => method === "eth_getTransactionCount")).toHaveLength(1);
    expect(methods.filter((method) => method === "eth_getTransactionReceipt")).toHaveLength(0);
  });

  it("falls back to sending and polling on a node without eth_sendRawTransactionSync", async () => {
    const unsupported = Object.assign(new Error("the method eth_sendRawTransactionSync does not exist"), {
      code: -32601,
    });
    const { methods, publicClient, walletClient } = clients((method) =>
      method === "eth_sendRawTransactionSync" ? unsupported : undefined,
    );
    const submit = fastSubmitter({ publicClient, walletClient });
    const first = await submit({ to: SINK, data: "0x", gas: 30_000n });
    const second = await submit({ to: SINK, data: "0x", gas: 30_000n });
    expect([first.status, second.status]).toEqual(["success", "success"]);
    // Asked once, then never again.
    expect(methods.filter((method) => method === "eth_sendRawTransactionSync")).toHaveLength(1);
    expect(methods.filter((method) => method === "eth_sendRawTransaction")).toHaveLength(2);
  });

  it("a send the node refuses leaves no hole: the next transaction reads the nonce again", async () => {
    const { methods, publicClient, walletClient } = clients();
    const submit = fastSubmitter({ publicClient, walletClient });
    await submit({ to: SINK, data: "0x", gas: 30_000n });
    // Below the intrinsic 21,000: the node refuses it, and its nonce is never used.
    await expect(submit({ to: SINK, data: "0x", gas: 20_000n })).rejects.toThrow();
    methods.length = 0;
    const after = await submit({ to: SINK, data: "0x", gas: 30_000n });
    expect(after.status).toBe("success");
    expect(methods).toContain("eth_getTransactionCount");
  });

  it("returns a reverted receipt as it is, for the caller to judge", async () => {
    const { publicClient, walletClient } = clients();
    const submit = fastSubmitter({ publicClient, walletClient });
    const reverter: Address = "0x00000000000000000000000000000000000beef0";
    // PUSH1 0 PUSH1 0 REVERT: a contract that reverts every call.
    await publicClient.request({ method: "anvil_setCode" as never, params: [reverter, "0x60006000fd"] as never });
    const receipt = await submit({ to: reverter, data: "0x", gas: 50_000n });
    expect(receipt.status).toBe("reverted");
  });
});
