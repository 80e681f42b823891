import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { erc20Abi, type Hex, parseUnits, zeroAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isContractRevert } from "../contract-errors.ts";
import { RelayerRequestError } from "../errors.ts";
import { ACCOUNT_INDEX, deployFixture, type Fixture } from "../test-utils/fixture.ts";
import type { ReleaseIntent } from "./signReleaseIntent.ts";

const usdc = (amount: string) => parseUnits(amount, 6);

describe("requestRelease, release intents", () => {
  let f: Fixture;
  let trader: ReturnType<Fixture["sdkClient"]>;
  let hub: ReturnType<Fixture["sdkClient"]>;
  let keeper: ReturnType<Fixture["sdkClient"]>;
  let server: Server;
  let relayerUrl: string;
  const received: unknown[] = [];

  const walletBalance = (owner: `0x${string}`) =>
    f.chains.spokeA.publicClient.readContract({
      address: f.deployment.spokes[0]?.tokens.USDC?.address as `0x${string}`,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [owner],
    });

  beforeAll(async () => {
    f = await deployFixture({ messagingFee: 10n ** 12n });
    trader = f.sdkClient("spokeA");
    hub = f.sdkClient("hub");
    keeper = f.sdkClient("hub", ACCOUNT_INDEX.keeper);
    await f.mint("spokeA", "USDC", trader.account.address, usdc("1000"));
    await trader.deposit({ asset: "USDC", amount: usdc("1000") });
    await f.relay.flush();

    // A stand-in relayer: it takes the JSON body and submits the intent from the keeper's account.
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", async () => {
        const json = JSON.parse(body) as { intent: Record<string, string>; signature: Hex };
        received.push(json);
        if (request.url === "/fail") {
          response.writeHead(503, { "content-type": "text/plain" }).end("relayer overloaded");
          return;
        }
        const { intent } = json;
        const parsed = {
          ...intent,
          chainId: BigInt(intent.chainId as string),
          amount: BigInt(intent.amount as string),
          nonce: BigInt(intent.nonce as string),
          deadline: BigInt(intent.deadline as string),
        } as unknown as ReleaseIntent;
        const result = await keeper.executeReleaseIntent({ intent: parsed, signature: json.signature });
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ hash: result.hash }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    relayerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/intents/release`;
  });

  afterAll(() => server?.close());

  it("releases directly: pays the Release fee, and the vault pays the trader once it executes", async () => {
    const result = await hub.requestRelease({ chain: "spokeA", asset: "USDC", amount: usdc("100") });
    expect(result.cmdNonce).toBe(1n);
    expect(result.fee).toBe(10n ** 12n);
    expect(result.messages[0]?.message).toMatchObject({ type: "Release", amount: usdc("100"), cmdNonce: 1n });
    // Pending at once on the hub.
    expect((await hub.getAccount()).ledger[0]).toMatchObject({ pendingDecrease: usdc("100"), counted: usdc("900") });
    await f.relay.flush();
    expect(await walletBalance(trader.account.address)).toBe(usdc("100"));
    expect((await hub.getAccount()).ledger[0]).toMatchObject({ pendingDecrease: 0n, reportedLocked: usdc("900") });
  });

  it("the zero address only unlocks: the amount becomes free balance on the spoke", async () => {
    await hub.requestRelease({
      chain: f.deployment.spokes[0]?.chainId as number,
      asset: "USDC",
      amount: usdc("50"),
      to: zeroAddress,
    });
    await f.relay.flush();
    const vault = (await hub.getAccount()).chains
      .find((c) => c.name === "spokeA")
      ?.balances.find((b) => b.symbol === "USDC");
    expect(vault).toMatchObject({ total: usdc("900"), locked: usdc("850"), free: usdc("50") });
  });

  it("signs an EIP-712 intent from a spoke client and a relayer submits it over HTTP", async () => {
    const signed = await trader.signReleaseIntent({ chain: "spokeA", asset: "USDC", amount: usdc("25") });
    expect(signed.intent).toMatchObject({ account: trader.account.address, amount: usdc("25"), nonce: 0n });
    const answer = await trader.submitReleaseIntent({ ...signed, relayerUrl });
    expect(answer.status).toBe(200);
    expect(received.at(-1)).toMatchObject({
      intent: { amount: "25000000", nonce: "0", chainId: String(f.chains.spokeA.chainId) },
    });
    await f.relay.flush();
    expect(await walletBalance(trader.account.address)).toBe(usdc("125"));
    // The nonce is spent: the same signature again is refused with the engine's (OpenZeppelin Nonces) error.
    const replay = await keeper.executeReleaseIntent(signed).catch((e: unknown) => e);
    expect(isContractRevert(replay, "InvalidAccountNonce")).toBe(true);
  });

  it("an expired or forged intent reverts with its custom error", async () => {
    const expired = await trader.signReleaseIntent({ chain: "spokeA", asset: "USDC", amount: 1n, deadline: 1n });
    const error = await keeper.executeReleaseIntent(expired).catch((e: unknown) => e);
    expect(isContractRevert(error, "IntentExpired") && error.args[0] === 1n).toBe(true);
    const forged = await f
      .sdkClient("spokeA", ACCOUNT_INDEX.other)
      .signReleaseIntent({ chain: "spokeA", asset: "USDC", amount: 1n });
    const stolen = { ...forged, intent: { ...forged.intent, account: trader.account.address } };
    expect(
      isContractRevert(await keeper.executeReleaseIntent(stolen).catch((e: unknown) => e), "InvalidSignature"),
    ).toBe(true);
  });

  it("wraps relayer failures with the URL, status and body", async () => {
    const signed = await trader.signReleaseIntent({ chain: "spokeA", asset: "USDC", amount: 1n });
    const failing = relayerUrl.replace("/intents/release", "/fail");
    const error = await trader.submitReleaseIntent({ ...signed, relayerUrl: failing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RelayerRequestError);
    expect(error).toMatchObject({ url: failing, status: 503, body: "relayer overloaded" });
    const unreachable = await trader
      .submitReleaseIntent({ ...signed, relayerUrl: "http://127.0.0.1:1/intents", timeout: 2000 })
      .catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(RelayerRequestError);
    expect((unreachable as RelayerRequestError).status).toBeUndefined();
  });

  it("a release that would break initial health reverts with InitialHealthViolated", async () => {
    await hub.trade({ market: "ETH-PERP", size: parseUnits("2", 18) });
    const error = await hub
      .requestRelease({ chain: "spokeA", asset: "USDC", amount: usdc("700") })
      .catch((e: unknown) => e);
    expect(isContractRevert(error, "InitialHealthViolated")).toBe(true);
  });
});
