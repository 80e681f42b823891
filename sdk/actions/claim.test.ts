import { type Address, erc20Abi, getAddress, parseUnits } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { beforeAll, describe, expect, it } from "vitest";
import { isContractRevert } from "../contract-errors.ts";
import { xmarginActions } from "../decorators/xmargin.ts";
import { type Deployment, parseDeployment } from "../deployments.ts";
import { ACCOUNT_INDEX, deployFixture, type Fixture, TEST_MNEMONIC } from "../test-utils/fixture.ts";

const usdc = (amount: string) => parseUnits(amount, 6);

// A Release to a blacklisted trader cannot pay: the vault executes it anyway and keeps the funds claimable.
describe("claim", () => {
  let f: Fixture;
  let deployment: Deployment;
  let token: Address;
  let blacklist: (account: Address, value: boolean) => Promise<unknown>;
  const client = (chain: "hub" | "spokeA") =>
    f.walletClient(chain, ACCOUNT_INDEX.trader).extend(xmarginActions({ deployment, chainClients: f.chainClients }));
  const trader = mnemonicToAccount(TEST_MNEMONIC, { addressIndex: ACCOUNT_INDEX.trader }).address;

  beforeAll(async () => {
    f = await deployFixture();
    const { viem } = f.chains.spokeA.connection;
    const busd = await viem.deployContract("BlacklistToken");
    token = getAddress(busd.address);
    blacklist = (account, value) => busd.write.setBlacklisted([account, value]);
    const spokeA = f.deployment.spokes[0] as Deployment["spokes"][number];
    const vault = await viem.getContractAt("CollateralVault", spokeA.contracts.vault as Address);
    await vault.write.configureAsset([token, true, 6]);
    await f.engine.write.configureCollateralToken([BigInt(spokeA.chainId), token, 0, 6, true]);
    deployment = parseDeployment({
      ...f.deployment,
      spokes: [
        { ...spokeA, tokens: { ...spokeA.tokens, BUSD: { address: token, decimals: 6 } } },
        f.deployment.spokes[1],
      ],
    });

    await busd.write.mint([trader, usdc("100")]);
    await client("spokeA").deposit({ asset: "BUSD", amount: usdc("100") });
    await f.relay.flush();
    await blacklist(trader, true);
    await client("hub").requestRelease({ chain: "spokeA", asset: "BUSD", amount: usdc("40") });
    await f.relay.flush();
  });

  it("getAccount shows the failed payment as claimable", async () => {
    const spokeA = (await client("spokeA").getAccount()).chains.find((chain) => chain.name === "spokeA");
    expect(spokeA?.balances.find((balance) => balance.symbol === "BUSD")).toMatchObject({
      total: usdc("60"),
      locked: usdc("60"),
      claimable: usdc("40"),
    });
  });

  it("pays the claimable funds to another address while the account cannot receive", async () => {
    const to = f.address(7);
    const result = await client("spokeA").claim({ asset: "BUSD", to });
    expect(result).toMatchObject({ amount: usdc("40"), to });
    const paid = await f.chains.spokeA.publicClient.readContract({
      address: token,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [to],
    });
    expect(paid).toBe(usdc("40"));
  });

  it("decodes NothingToClaim once everything is paid", async () => {
    await blacklist(trader, false);
    const error = await client("spokeA")
      .claim({ asset: "BUSD" })
      .catch((e: unknown) => e);
    expect(isContractRevert(error, "NothingToClaim")).toBe(true);
    if (isContractRevert(error, "NothingToClaim")) expect(error.args).toEqual([trader, token]);
  });
});
