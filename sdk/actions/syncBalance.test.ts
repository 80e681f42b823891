import { type Address, createWalletClient, custom, type EIP1193RequestFn, parseUnits, zeroAddress } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { beforeAll, describe, expect, it } from "vitest";
import { isContractRevert } from "../contract-errors.ts";
import { xmarginActions } from "../decorators/xmargin.ts";
import { UnknownAssetError } from "../errors.ts";
import { ACCOUNT_INDEX, deployFixture, type Fixture, TEST_MNEMONIC } from "../test-utils/fixture.ts";

describe("syncBalance", () => {
  let f: Fixture;
  let trader: ReturnType<Fixture["sdkClient"]>;

  beforeAll(async () => {
    f = await deployFixture({ messagingFee: 10n ** 13n });
    trader = f.sdkClient("spokeA");
    await f.mint("spokeA", "USDC", trader.account.address, parseUnits("100", 6));
    await trader.deposit({ asset: "USDC", amount: parseUnits("100", 6) });
    await f.relay.flush();
  });

  it("anyone re-reports an account's balance, paying the fee; the hub applies it as the next seq", async () => {
    const keeper = f.sdkClient("spokeA", ACCOUNT_INDEX.keeper);
    const result = await keeper.syncBalance({ asset: "USDC", account: trader.account.address });
    expect(result.fee).toBe(10n ** 13n);
    expect(result.messages.map((m) => m.message)).toMatchObject([
      {
        type: "BalanceReport",
        account: trader.account.address,
        total: parseUnits("100", 6),
        locked: parseUnits("100", 6),
        seq: 2n,
      },
    ]);
    const delivered = keeper.waitForDelivery({ hash: result.hash, timeout: 10_000 });
    await f.relay.flush();
    expect((await delivered).deliveries.map((d) => d.outcome)).toEqual(["applied"]);
    expect((await trader.getAccount()).ledger[0]).toMatchObject({ seq: 2, counted: parseUnits("100", 6) });
  });

  it("defaults to the client's own account", async () => {
    const result = await trader.syncBalance({ asset: "USDC" });
    expect(result.messages[0]?.message).toMatchObject({ account: trader.account.address, seq: 3n });
  });

  it("refuses a token the chain does not list", async () => {
    await expect(trader.syncBalance({ asset: "WBTC" })).rejects.toThrow(UnknownAssetError);
  });

  it("names a MessageRouter revert with its values: a fee that rose between the quote and the send", async () => {
    const spokeA = f.chains.spokeA;
    const { viem } = spokeA.connection;
    const [owner] = await viem.getWalletClients();
    const vault = await viem.getContractAt("CollateralVault", spokeA.receiver);
    // The devnet's messenger: a MessageRouter, here over a TestMessenger standing in for its LayerZero gateway.
    const gateway = await viem.deployContract("TestMessenger", [owner?.account.address as Address]);
    await gateway.write.setFee([10n ** 13n]);
    const router = await viem.deployContract("MessageRouter", [owner?.account.address as Address]);
    await router.write.setGateways([gateway.address, zeroAddress]);
    await router.write.setApplication([vault.address]);
    const hubChainId = BigInt(f.chains.hub.chainId);
    await router.write.setRoute([hubChainId, 1]); // LayerZero only
    await vault.write.setMessenger([router.address]);
    try {
      // The gateway's fee rises once the SDK has quoted it, just before the call first runs (its gas estimate).
      let raised = false;
      const request = (async (args) => {
        if (!raised && args.method === "eth_estimateGas") {
          raised = true;
          await gateway.write.setFee([3n * 10n ** 13n]);
        }
        const { provider } = spokeA.connection;
        return provider.request(args as Parameters<typeof provider.request>[0]);
      }) as EIP1193RequestFn;
      const keeper = createWalletClient({
        account: mnemonicToAccount(TEST_MNEMONIC, { addressIndex: ACCOUNT_INDEX.keeper }),
        chain: spokeA.chain,
        transport: custom({ request }, { retryCount: 0 }),
      }).extend(xmarginActions({ deployment: f.deployment, chainClients: f.chainClients }));
      // The router checks the fee before it calls the gateway, so the revert is its own (the TestMessenger
      // declares an InsufficientFee of the same signature, but the call never reaches it).
      const error = await keeper.syncBalance({ asset: "USDC", account: trader.account.address }).catch((e) => e);
      expect(raised).toBe(true);
      expect(isContractRevert(error, "InsufficientFee")).toBe(true);
      expect(error).toMatchObject({ args: [3n * 10n ** 13n, 10n ** 13n] });
      expect(error.message).toMatch(
        /^syncBalance on chain \d+ reverted with InsufficientFee\(30000000000000, 10000000000000\)/,
      );

      // And one no other contract declares: the router has no route to the hub any more.
      await router.write.setRoute([hubChainId, 0]);
      const noRoute = await trader.syncBalance({ asset: "USDC" }).catch((e) => e);
      expect(isContractRevert(noRoute, "NoRoute")).toBe(true);
      expect(noRoute).toMatchObject({ args: [hubChainId] });
    } finally {
      await vault.write.setMessenger([spokeA.messenger]);
    }
  });
});
