import { parseUnits } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { isContractRevert } from "../contract-errors.ts";
import { ClientError, InvalidParameterError, UnknownAssetError } from "../errors.ts";
import { deployFixture, type Fixture } from "../test-utils/fixture.ts";

describe("deposit", () => {
  let f: Fixture;
  let spokeA: ReturnType<Fixture["sdkClient"]>;
  const client = (chain: "hub" | "spokeA" | "spokeB") => f.sdkClient(chain);

  beforeAll(async () => {
    f = await deployFixture({ permitToken: true, messagingFee: 10n ** 13n });
    spokeA = client("spokeA");
    const trader = spokeA.account.address;
    await f.mint("spokeA", "USDC", trader, parseUnits("10000", 6));
    await f.mint("spokeA", "PUSD", trader, parseUnits("10000", 6));
  });

  it("approves, pays the quoted fee, and the hub counts the deposit once its report lands", async () => {
    const result = await spokeA.deposit({ asset: "USDC", amount: parseUnits("2500", 6) });
    expect(result).toMatchObject({ approval: "approve", received: parseUnits("2500", 6), fee: 10n ** 13n });
    expect(result.messages).toHaveLength(1);
    expect(result.messages[0]?.message).toMatchObject({
      type: "BalanceReport",
      account: spokeA.account.address,
      total: parseUnits("2500", 6),
      locked: parseUnits("2500", 6),
      seq: 1n,
    });
    await f.relay.flush();
    const account = await spokeA.getAccount();
    expect(account.ledger).toMatchObject([{ symbol: "USDC", chainName: "spokeA", counted: parseUnits("2500", 6) }]);
  });

  it("signs and submits an ERC-2612 permit instead of approving when the token supports it", async () => {
    const result = await spokeA.deposit({ asset: "PUSD", amount: parseUnits("100", 6), lock: false });
    expect(result.approval).toBe("permit");
    expect(result.messages[0]?.message).toMatchObject({ total: parseUnits("100", 6), locked: 0n });
    // The permit covered exactly what the deposit spent; a forced approve works on the same token.
    expect((await spokeA.deposit({ asset: "PUSD", amount: 1n, approval: "approve" })).approval).toBe("approve");
  });

  it("rejects a permit for a token without ERC-2612", async () => {
    await expect(spokeA.deposit({ asset: "WETH", amount: 1n, approval: "permit" })).rejects.toThrow(
      InvalidParameterError,
    );
  });

  it("decodes the token's custom error, with its arguments, when the transfer fails", async () => {
    const error = await spokeA.deposit({ asset: "WETH", amount: parseUnits("1", 18) }).catch((e: unknown) => e);
    expect(isContractRevert(error, "ERC20InsufficientBalance")).toBe(true);
    if (!isContractRevert(error, "ERC20InsufficientBalance")) return;
    const [sender, balance, needed] = error.args;
    expect({ sender, balance, needed }).toEqual({
      sender: spokeA.account.address,
      balance: 0n,
      needed: parseUnits("1", 18),
    });
    expect(error.message).toMatch(/deposit on chain 70701 reverted with ERC20InsufficientBalance/);
  });

  it("refuses unknown assets, the hub chain and non-positive amounts before sending anything", async () => {
    await expect(spokeA.deposit({ asset: "DOGE", amount: 1n })).rejects.toThrow(UnknownAssetError);
    await expect(spokeA.deposit({ asset: "USDC", amount: 0n })).rejects.toThrow(InvalidParameterError);
    await expect(client("hub").deposit({ asset: "USDC", amount: 1n })).rejects.toThrow(/no vault on hub/);
    await expect(client("spokeB").trade({ market: "ETH-PERP", size: 1n })).rejects.toThrow(ClientError);
  });
});
