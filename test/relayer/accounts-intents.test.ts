// The relayer's protocol routes against the protocol on an anvil devnet (hub + one spoke, one operator):
// GET /v1/accounts/:address is the SDK's getAccount made JSON-safe, and POST /v1/intents/release checks a
// signed intent the way the engine would, estimates it (which runs it), sends it with the operator's key and reports the
// engine's own error when the hub would refuse it. The main instance listens on a port, so the SDK's
// submitReleaseIntent posts to it over real HTTP; the other cases use fastify's inject.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import {
  type Abi,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hex,
  parseEther,
  parseUnits,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RelayerConfigInput } from "../../relayer/config/schema.ts";
import { type Devnet, startDevnet } from "../../relayer/devnet/launcher.ts";
import {
  accountsNeeded,
  DEVNET_ACCOUNT_ROLES,
  type DevnetChainClients,
  deployDevnetProtocol,
  devnetChainClients,
  OPERATOR_ACCOUNT_OFFSET,
} from "../../relayer/devnet/protocol.ts";
import { toJsonSafe } from "../../relayer/http/errors.ts";
import type { ProtocolDeployment } from "../../relayer/infra/protocol.ts";
import { testTokenAbi } from "../../relayer/infra/protocol-abi.ts";
import { buildServer, startServer as startListening } from "../../relayer/server.ts";
import { collateralVaultAbi, marginEngineAbi } from "../../sdk/abi/index.ts";
import { getAccount } from "../../sdk/actions/getAccount.ts";
import { type SignReleaseIntentParameters, signReleaseIntent } from "../../sdk/actions/signReleaseIntent.ts";
import { releaseIntentRequestBody, submitReleaseIntent } from "../../sdk/actions/submitReleaseIntent.ts";
import { type Deployment, loadDeploymentFile } from "../../sdk/deployments.ts";
import { RelayerRequestError } from "../../sdk/errors.ts";
import { createDevnetRelay, type ProtocolRelay } from "../helpers/protocol-relay.ts";
import { devnetRelayerConfig, UNREACHABLE_RPC } from "../helpers/relayer-api.ts";

const usdc = (amount: string) => parseUnits(amount, 6);
/**
 * The relayer instance runs as the deployment's one operator (its engine insists), with delivery off; the
 * devnet relay, which delivers with the same key, only runs during setup, before the instance starts.
 */
const RELAYER_ACCOUNT = OPERATOR_ACCOUNT_OFFSET;

describe("relayer protocol routes on the anvil devnet", () => {
  let dir: string;
  let devnet: Devnet;
  let protocol: ProtocolDeployment;
  let deployment: Deployment;
  let relay: ProtocolRelay;
  let hub: DevnetChainClients;
  let spoke: DevnetChainClients;
  let server: FastifyInstance;
  /** The listening main instance's intent endpoint. */
  let relayerUrl: string;
  let trader: Address;
  let traderKey: Hex;
  const servers: FastifyInstance[] = [];

  const configFor = (overrides: Partial<RelayerConfigInput>) =>
    devnetRelayerConfig(devnet.deployment, join(dir, `instance-${servers.length}`), overrides);
  const startServer = async (overrides: Partial<RelayerConfigInput>) => {
    const instance = await buildServer(configFor(overrides));
    servers.push(instance);
    return instance;
  };

  async function send<const abi extends Abi, functionName extends ContractFunctionName<abi, "nonpayable" | "payable">>(
    chain: DevnetChainClients,
    request: {
      address: Address;
      abi: abi;
      functionName: functionName;
      args: ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>;
      value?: bigint;
    },
  ) {
    const hash = await chain.walletFor(traderKey).writeContract(request as never);
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${request.functionName} reverted`);
  }

  const sign = (parameters: Partial<SignReleaseIntentParameters>, key: Hex = traderKey) =>
    signReleaseIntent(hub.walletFor(key), {
      deployment,
      chain: "spokeA",
      asset: "USDC",
      amount: usdc("100"),
      ...parameters,
    });
  const postIntent = (body: unknown, instance = server) =>
    instance.inject({ method: "POST", url: "/v1/intents/release", payload: body as object });
  const hubLedger = async (account: Address) => (await getAccount(hub.publicClient, sdkRead(account))).ledger;
  const sdkRead = (account: Address) => ({
    deployment,
    chainClients: { [hub.chainId]: hub.publicClient, [spoke.chainId]: spoke.publicClient },
    account,
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "xmargin-accounts-intents-"));
    devnet = await startDevnet({ spokes: 1, accounts: accountsNeeded(1), outFile: join(dir, "devnet.json") });
    const deployed = await deployDevnetProtocol(devnet.deployment, devnet.outFile, { operators: 1, threshold: 1 });
    protocol = deployed.protocol;
    deployment = await loadDeploymentFile(devnet.outFile);
    relay = createDevnetRelay(deployed.deployment);
    hub = devnetChainClients(devnet.deployment.hub);
    spoke = devnetChainClients(devnet.deployment.spokes[0] as (typeof devnet.deployment.spokes)[number]);
    const traderAccount = devnet.deployment.accounts[DEVNET_ACCOUNT_ROLES.trader];
    trader = traderAccount?.address as Address;
    traderKey = traderAccount?.privateKey as Hex;

    // The trader deposits 5000 USDC on the spoke (locked as margin) and goes 1 ETH long on the hub.
    const spokeRecord = protocol.spokes[0] as ProtocolDeployment["spokes"][number];
    const token = spokeRecord.tokens.USDC?.address as Address;
    await send(spoke, { address: token, abi: testTokenAbi, functionName: "mint", args: [trader, usdc("5000")] });
    await send(spoke, {
      address: token,
      abi: testTokenAbi,
      functionName: "approve",
      args: [spokeRecord.contracts.vault, usdc("5000")],
    });
    await send(spoke, {
      address: spokeRecord.contracts.vault,
      abi: collateralVaultAbi,
      functionName: "deposit",
      args: [token, usdc("5000"), true],
      value: parseEther("0.01"),
    });
    await relay.flush();
    await send(hub, {
      address: protocol.hub.contracts.engine,
      abi: marginEngineAbi,
      functionName: "trade",
      args: [0n, parseUnits("1", 18), 0n],
    });

    const listening = await startListening(
      configFor({ deployment: devnet.outFile, api: { host: "127.0.0.1", port: 0 } }),
    );
    server = listening.server;
    servers.push(server);
    relayerUrl = `${listening.address}/v1/intents/release`;
  });

  afterAll(async () => {
    for (const instance of servers) await instance.close();
    await relay?.stop();
    await devnet?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("shows an account as the SDK's getAccount does, integers as decimal strings", async () => {
    const response = await server.inject({ method: "GET", url: `/v1/accounts/${trader.toLowerCase()}` });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    const {
      state: _state,
      blockNumber: _block,
      timestamp: _time,
      ...expected
    } = await getAccount(hub.publicClient, sdkRead(trader));
    // Blocks keep coming on the devnet: everything but the block read at is the same.
    const { blockNumber, timestamp, ...view } = body;
    expect(view).toEqual(toJsonSafe(expected));
    expect(BigInt(blockNumber)).toBeGreaterThan(0n);
    expect(BigInt(timestamp)).toBeGreaterThan(0n);
    expect(body.account).toBe(trader);
    expect(body.ledger).toMatchObject([{ chainName: "spokeA", symbol: "USDC", counted: usdc("5000").toString() }]);
    expect(body.positions).toMatchObject([{ market: "ETH-PERP", size: parseUnits("1", 18).toString() }]);
    expect(body.positions[0].liquidationPrice).toMatchObject({ direction: "down", liquidatableNow: false });
    expect(body.health.liquidatable).toBe(false);
    expect(body.chains[0].balances.find((b: { symbol: string }) => b.symbol === "USDC")).toMatchObject({
      total: usdc("5000").toString(),
      locked: usdc("5000").toString(),
      free: "0",
    });
  });

  it("shows an address the protocol never saw as empty, and refuses a malformed one with 400", async () => {
    const stranger = privateKeyToAccount(generatePrivateKey()).address;
    const response = await server.inject({ method: "GET", url: `/v1/accounts/${stranger}` });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ ledger: [], positions: [], settleBalance: "0", autoMargin: false });
    expect(
      body.chains.flatMap((chain: { balances: { total: string }[] }) => chain.balances.map((b) => b.total)),
    ).toEqual(["0", "0", "0"]);
    for (const bad of [
      "0x1234",
      "not-an-address",
      `0x${"g".repeat(40)}`,
      "0xAbCdEf0000000000000000000000000000000000",
    ]) {
      const refused = await server.inject({ method: "GET", url: `/v1/accounts/${bad}` });
      expect(refused.statusCode, bad).toBe(400);
      expect(refused.json().issues.map((issue: { path: string }) => issue.path)).toEqual(["params.address"]);
    }
  });

  it("executes a valid intent the SDK posts over HTTP with the operator's key: the release's pending decrease appears on the hub", async () => {
    const { intent, signature } = await sign({});
    expect(intent.nonce).toBe(0n);
    const answer = await submitReleaseIntent({ intent, signature, relayerUrl });
    expect(answer.status).toBe(200);
    const body = answer.body as { transactionHash: Hex; fee: string };
    expect(body).toMatchObject({ status: "included", cmdNonce: "1" });
    const receipt = await hub.publicClient.getTransactionReceipt({ hash: body.transactionHash });
    expect(receipt.from).toBe(devnet.deployment.accounts[RELAYER_ACCOUNT]?.address.toLowerCase());
    expect(receipt.to?.toLowerCase()).toBe(protocol.hub.contracts.engine.toLowerCase());
    expect(BigInt(body.fee)).toBeGreaterThan(0n);

    expect(await hubLedger(trader)).toMatchObject([{ pendingDecrease: usdc("100"), counted: usdc("4900") }]);
    const view = await server.inject({ method: "GET", url: `/v1/accounts/${trader}` });
    expect(view.json().ledger[0]).toMatchObject({ pendingDecrease: "100000000", counted: "4900000000" });

    // The same intent again: the engine has used the nonce, and the SDK throws with the relayer's answer.
    const replay = await submitReleaseIntent({ intent, signature, relayerUrl }).catch((e: unknown) => e);
    expect(replay).toBeInstanceOf(RelayerRequestError);
    expect(replay).toMatchObject({ url: relayerUrl, status: 422 });
    expect(JSON.parse((replay as RelayerRequestError).body as string)).toMatchObject({
      error: "ContractRejection",
      contractError: { name: "InvalidAccountNonce", args: [trader, "1"] },
    });
  });

  it("refuses, with the engine's error, intents the hub would revert: nothing is sent", async () => {
    const operator = devnet.deployment.accounts[RELAYER_ACCOUNT]?.address as Address;
    const sentBefore = await hub.publicClient.getTransactionCount({ address: operator });

    const expired = await sign({ deadline: 1n });
    const expiredResponse = await postIntent(releaseIntentRequestBody(expired.intent, expired.signature));
    expect(expiredResponse.statusCode).toBe(422);
    expect(expiredResponse.json().contractError).toEqual({ name: "IntentExpired", args: ["1"] });

    // Signed by someone else for the trader's account.
    const forged = await sign({}, generatePrivateKey());
    const forgedResponse = await postIntent(
      releaseIntentRequestBody({ ...forged.intent, account: trader, nonce: 1n }, forged.signature),
    );
    expect(forgedResponse.statusCode).toBe(422);
    expect(forgedResponse.json().contractError).toEqual({ name: "InvalidSignature", args: [trader] });
    // Bytes that are no signature at all.
    const valid = await sign({});
    const garbled = await postIntent(releaseIntentRequestBody(valid.intent, `0x${"11".repeat(65)}`));
    expect(garbled.json().contractError).toEqual({ name: "InvalidSignature", args: [trader] });

    // A well-signed intent for more than the hub counts: the estimate's revert, decoded.
    const tooMuch = await sign({ amount: usdc("1000000") });
    const tooMuchResponse = await postIntent(releaseIntentRequestBody(tooMuch.intent, tooMuch.signature));
    expect(tooMuchResponse.statusCode).toBe(422);
    expect(tooMuchResponse.json().contractError).toEqual({
      name: "InsufficientCollateral",
      args: [
        String(spoke.chainId),
        protocol.spokes[0]?.tokens.USDC?.address,
        usdc("4900").toString(),
        usdc("1000000").toString(),
      ],
    });

    expect(await hub.publicClient.getTransactionCount({ address: operator })).toBe(sentBefore);
  });

  it("sends one copy of an intent submitted twice at once", async () => {
    const { intent, signature } = await sign({ amount: usdc("1") });
    const body = releaseIntentRequestBody(intent, signature);
    const statuses = (await Promise.all([postIntent(body), postIntent(body)])).map((r) => r.statusCode);
    expect(statuses.sort()).toEqual([200, 409]);
    expect(await hubLedger(trader)).toMatchObject([{ pendingDecrease: usdc("101") }]);
  });

  it("answers malformed intents with 400 and every issue", async () => {
    const { intent, signature } = await sign({});
    const body = releaseIntentRequestBody(intent, signature);
    const bad = await postIntent({
      intent: { ...body.intent, account: "0x12", chainId: -1, amount: "0", deadline: "1e9", extra: true },
      signature: "0xabc",
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe("BadRequest");
    expect(
      bad
        .json()
        .issues.map((issue: { path: string }) => issue.path)
        .sort(),
    ).toEqual([
      "body.intent",
      "body.intent.account",
      "body.intent.amount",
      "body.intent.chainId",
      "body.intent.deadline",
      "body.signature",
    ]);
    const tooLarge = await postIntent({ ...body, intent: { ...body.intent, chainId: (2n ** 64n).toString() } });
    expect(tooLarge.json().issues).toEqual([{ path: "body.intent.chainId", message: "must fit in uint64" }]);
    for (const payload of [{}, [], null, { intent: body.intent }]) {
      const response = await postIntent(payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const notJson = await server.inject({
      method: "POST",
      url: "/v1/intents/release",
      headers: { "content-type": "application/json" },
      payload: '{"intent": ',
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error).toBe("BadRequest");
  });

  it("says 503 without a deployment and 502, without internals, when the chains do not answer", async () => {
    const { intent, signature } = await sign({});
    const body = releaseIntentRequestBody(intent, signature);

    const bare = await startServer({});
    for (const response of [
      await bare.inject({ method: "GET", url: `/v1/accounts/${trader}` }),
      await postIntent(body, bare),
    ]) {
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({
        error: "ServiceUnavailable",
        message: "this instance serves no protocol deployment",
      });
    }

    const cutOff = await startServer({
      deployment: devnet.outFile,
      chains: [devnet.deployment.hub, ...devnet.deployment.spokes].map(({ name, chainId }) => ({
        name,
        chainId,
        rpcUrl: UNREACHABLE_RPC,
      })),
    });
    for (const response of [
      await cutOff.inject({ method: "GET", url: `/v1/accounts/${trader}` }),
      await postIntent(body, cutOff),
    ]) {
      expect(response.statusCode).toBe(502);
      expect(response.json().error).toBe("BadGateway");
      expect(response.json().message).toMatch(/on chain \d+: the RPC request failed$/);
      expect(response.body).not.toContain("127.0.0.1");
      expect(response.body).not.toMatch(/\n|\s+at /);
    }
  });

  it("documents both routes in the OpenAPI document", async () => {
    const openapi = (await server.inject({ method: "GET", url: "/openapi.json" })).json();
    expect(Object.keys(openapi.paths["/v1/accounts/{address}"].get.responses).sort()).toEqual([
      "200",
      "400",
      "502",
      "503",
    ]);
    const intents = openapi.paths["/v1/intents/release"].post;
    expect(Object.keys(intents.responses).sort()).toEqual(["200", "202", "400", "409", "422", "502", "503"]);
    expect(intents.requestBody.content["application/json"].schema.properties.intent.required).toHaveLength(7);
  });
});
