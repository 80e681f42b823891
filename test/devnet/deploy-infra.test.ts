// `xmargin deploy-infra` on bare anvil chains, the way an operator runs it: a first config deploys both
// transport stacks everywhere; a second config, run by another deployer, treats that LayerZero endpoint and
// Hyperlane Mailbox on two of the chains as a public testnet's (reused, not owned) and deploys fresh stacks
// on the third. Messages then travel through the second run's routers and gateways, delivered with the
// operators' keys.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Address, encodeAbiParameters, getAddress, type Hex, isAddress, keccak256 } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Devnet, startDevnet } from "../../relayer/devnet/launcher.ts";
import { type DevnetChainClients, devnetChainClients, OPERATOR_ACCOUNT_OFFSET } from "../../relayer/devnet/protocol.ts";
import { localDigestSigner } from "../../relayer/engine/signer.ts";
import { projectBytecode } from "../../relayer/infra/artifacts.ts";
import { type InfraDeployment, infraDeploymentSchema } from "../../relayer/infra/deploy-infra.ts";
import { fromHyperlaneChainRecord } from "../../relayer/infra/hyperlane.ts";
import { messageRouterAbi } from "../../relayer/infra/protocol-abi.ts";
import {
  HyperlaneDeliverer,
  HyperlaneValidator,
  validatorSignatureSource,
} from "../../relayer/transports/hyperlane/index.ts";
import {
  addressToBytes32,
  createLayerZeroDelivery,
  endpointV2Abi,
  localSignatures,
  receiveUln302Abi,
} from "../../relayer/transports/layerzero/index.ts";
import { collateralVaultAbi } from "../../sdk/abi/index.ts";
import { encodeMessage } from "../../sdk/codec/index.ts";

const REPO_ROOT = join(import.meta.dirname, "../..");
const OPERATORS = 3;
const FIRST_DEPLOYER = 0;
/** Not the owner of the first run's endpoints and mailboxes: reusing them must not need that. */
const SECOND_DEPLOYER = 4;

function runXmargin(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, "bin/xmargin.js"), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("xmargin deploy-infra", () => {
  let devnet: Devnet;
  let workDir: string;
  let operators: Address[];
  let first: InfraDeployment;
  let second: InfraDeployment;
  /** The runtime code of contracts/messaging/DeliveryBatcher.sol, as compiled. */
  let deliveryBatcherCode: Hex;
  const clients = new Map<number, DevnetChainClients>();

  const keyOf = (index: number) => devnet.deployment.accounts[index]?.privateKey as Hex;
  const chainsOf = () => [devnet.deployment.hub, ...devnet.deployment.spokes];
  const recordOf = (deployment: InfraDeployment, name: string) => {
    const record = deployment.chains.find((chain) => chain.name === name);
    if (!record) throw new Error(`no ${name} in the deployment`);
    return record;
  };
  const publicClientOf = (chainId: number) => (clients.get(chainId) as DevnetChainClients).publicClient;

  async function deployWith(config: unknown, name: string, deployer: number): Promise<InfraDeployment> {
    const configPath = join(workDir, `${name}.config.json`);
    const outPath = join(workDir, `${name}.json`);
    await writeFile(configPath, JSON.stringify(config, null, 2));
    const result = await runXmargin(["deploy-infra", "--config", configPath, "--out", outPath], {
      XMARGIN_TEST_DEPLOYER_KEY: keyOf(deployer),
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/deployed on 3 chains in [\d.]+ s/);
    return infraDeploymentSchema.parse(JSON.parse(await readFile(outPath, "utf8")));
  }

  beforeAll(async () => {
    deliveryBatcherCode = JSON.parse(
      await readFile(join(REPO_ROOT, "artifacts/contracts/messaging/DeliveryBatcher.sol/DeliveryBatcher.json"), "utf8"),
    ).deployedBytecode;
    workDir = await mkdtemp(join(tmpdir(), "xmargin-deploy-infra-"));
    devnet = await startDevnet({ spokes: 2, outFile: join(workDir, "devnet.json") });
    operators = devnet.deployment.accounts
      .slice(OPERATOR_ACCOUNT_OFFSET, OPERATOR_ACCOUNT_OFFSET + OPERATORS)
      .map((account) => getAddress(account.address));
    for (const chain of chainsOf()) clients.set(chain.chainId, devnetChainClients(chain));
  });

  afterAll(async () => {
    await devnet?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it("explains itself with --help", async () => {
    const { code, stdout } = await runXmargin(["deploy-infra", "--help"], {});
    expect(code).toBe(0);
    expect(stdout).toContain("Usage: xmargin deploy-infra --config FILE [--out FILE]");
    expect(stdout).toContain("deployerKeyEnv");
  });

  /** Runs deploy-infra on `config` and returns what it printed on stderr (it must fail as a user error). */
  async function rejected(config: unknown): Promise<string> {
    const configPath = join(workDir, "faulty.json");
    await writeFile(configPath, JSON.stringify(config));
    const { code, stdout, stderr } = await runXmargin(["deploy-infra", "--config", configPath], {});
    expect(code).toBe(1);
    expect(stdout).toBe("");
    return stderr;
  }

  it("rejects a malformed config, naming each faulty field, before touching any chain", async () => {
    const stderr = await rejected({
      operators: operators.slice(0, 2),
      chains: [
        { name: "hub", chainId: 70_700, rpcUrl: "not a url", deployerKeyEnv: "KEY", surprise: true },
        { name: "spokeA", chainId: 70_701, rpcUrl: "http://127.0.0.1:1", deployerKeyEnv: "KEY", stacks: ["ipfs"] },
      ],
    });
    expect(stderr).toContain("invalid infrastructure config");
    for (const problem of ["chains[0].rpcUrl", 'Unrecognized key: "surprise"', "chains[1].stacks[0]"]) {
      expect(stderr).toContain(problem);
    }
  });

  it("rejects what only whole chains and the whole config show: reuse fields, threshold, routes, keys", async () => {
    const chain = (name: string, chainId: number) => ({
      name,
      chainId,
      rpcUrl: "http://127.0.0.1:1",
      deployerKeyEnv: "XMARGIN_TEST_UNSET_KEY",
    });
    const reuse = await rejected({
      operators,
      chains: [{ ...chain("hub", 70_700), layerZero: { endpoint: operators[0] } }, chain("spokeA", 70_701)],
    });
    for (const path of [
      "chains[0].layerZero.eid",
      "chains[0].layerZero.sendUln302",
      "chains[0].layerZero.receiveUln302",
    ]) {
      expect(reuse).toContain(path);
    }

    const whole = await rejected({
      operators: operators.slice(0, 1),
      threshold: 2,
      chains: [
        { ...chain("hub", 70_700), routes: { nowhere: "layerzero", spokeA: "dual" } },
        { ...chain("spokeA", 70_701), stacks: ["layerzero"] },
      ],
    });
    expect(whole).toContain("2 exceeds the 1 operators");
    expect(whole).toContain("chains[0].routes.nowhere");
    expect(whole).toContain("dual needs hyperlane on hub and spokeA");

    const unsetKey = await rejected({ operators, chains: [chain("hub", 70_700), chain("spokeA", 70_701)] });
    expect(unsetKey).toContain("environment variable XMARGIN_TEST_UNSET_KEY (the deployer's key) is not set");
  });

  it("deploys both stacks, the gateways, a router and a DeliveryBatcher on every chain, and records every address", async () => {
    const [hub, spokeA, spokeB] = chainsOf();
    const chain = (entry: typeof hub) => ({
      name: entry?.name,
      chainId: entry?.chainId,
      rpcUrl: entry?.rpcUrl,
      deployerKeyEnv: "XMARGIN_TEST_DEPLOYER_KEY",
    });
    first = await deployWith(
      {
        operators,
        threshold: 2,
        chains: [
          { ...chain(hub), routes: { spokeB: "dual" } },
          chain(spokeA),
          { ...chain(spokeB), routes: { hub: "dual" } },
        ],
      },
      "first",
      FIRST_DEPLOYER,
    );
    expect(first.chains.map((entry) => [entry.name, entry.routes])).toEqual([
      ["hub", { spokeA: "layerzero", spokeB: "dual" }],
      ["spokeA", { hub: "layerzero", spokeB: "layerzero" }],
      ["spokeB", { hub: "dual", spokeA: "layerzero" }],
    ]);
    for (const entry of first.chains) {
      expect(entry.layerZero?.reusedEndpoint).toBe(false);
      expect(entry.hyperlane?.reusedMailbox).toBe(false);
      const publicClient = publicClientOf(entry.chainId);
      const { dvnConfig, ...layerZero } = entry.layerZero ?? {};
      expect(dvnConfig?.signers).toEqual(operators);
      const addresses = collectAddresses([layerZero, entry.hyperlane, entry.router, entry.deliveryBatcher]);
      expect(addresses.length).toBeGreaterThan(20);
      for (const address of addresses) expect(await publicClient.getCode({ address }), address).toBeTruthy();
      // The relayers batch their deliveries through it: it must be the DeliveryBatcher itself.
      expect(await publicClient.getCode({ address: entry.deliveryBatcher })).toBe(deliveryBatcherCode);

      const router = { address: entry.router, abi: messageRouterAbi } as const;
      expect(await publicClient.readContract({ ...router, functionName: "layerZero" })).toBe(entry.layerZero?.gateway);
      expect(await publicClient.readContract({ ...router, functionName: "hyperlane" })).toBe(entry.hyperlane?.gateway);
      for (const [remote, route] of Object.entries(entry.routes)) {
        const remoteChainId = BigInt(recordOf(first, remote).chainId);
        const mode = await publicClient.readContract({ ...router, functionName: "routeOf", args: [remoteChainId] });
        expect(mode).toBe({ layerzero: 1, hyperlane: 2, dual: 3 }[route]);
      }
    }
  });

  it("reuses an existing endpoint and mailbox as on a public testnet, and messages flow through the new routers", async () => {
    const [hub, spokeA, spokeB] = chainsOf();
    const existing = (name: string) => {
      const record = recordOf(first, name);
      const layerZero = record.layerZero;
      const hyperlane = record.hyperlane;
      if (!layerZero || !hyperlane) throw new Error(`${name} has no stacks`);
      return {
        layerZero: {
          eid: layerZero.eid,
          endpoint: layerZero.endpoint,
          sendUln302: layerZero.sendUln302,
          receiveUln302: layerZero.receiveUln302,
          ...(name === "hub" ? { priceFeed: layerZero.priceFeed } : {}),
        },
        hyperlane: { mailbox: hyperlane.mailbox, validatorAnnounce: hyperlane.validatorAnnounce },
      };
    };
    const chain = (entry: typeof hub) => ({
      name: entry?.name,
      chainId: entry?.chainId,
      rpcUrl: entry?.rpcUrl,
      deployerKeyEnv: "XMARGIN_TEST_DEPLOYER_KEY",
    });
    second = await deployWith(
      {
        operators,
        threshold: 2,
        chains: [
          { ...chain(hub), ...existing("hub"), routes: { spokeB: "dual" } },
          { ...chain(spokeA), ...existing("spokeA") },
          { ...chain(spokeB), routes: { hub: "dual" } },
        ],
      },
      "second",
      SECOND_DEPLOYER,
    );
    const hubRecord = recordOf(second, "hub");
    const spokeARecord = recordOf(second, "spokeA");
    const spokeBRecord = recordOf(second, "spokeB");
    expect([hubRecord, spokeARecord, spokeBRecord].map((entry) => entry.layerZero?.reusedEndpoint)).toEqual([
      true,
      true,
      false,
    ]);
    expect(hubRecord.layerZero?.endpoint).toBe(recordOf(first, "hub").layerZero?.endpoint);
    expect(hubRecord.layerZero?.priceFeed).toBe(recordOf(first, "hub").layerZero?.priceFeed);
    expect(hubRecord.hyperlane?.mailbox).toBe(recordOf(first, "hub").hyperlane?.mailbox);
    expect(hubRecord.hyperlane?.proxyAdmin).toBeUndefined();
    expect(spokeBRecord.layerZero?.endpoint).not.toBe(recordOf(first, "spokeB").layerZero?.endpoint);
    // Each run deploys its own DeliveryBatcher, on reused stacks too.
    for (const entry of [hubRecord, spokeARecord, spokeBRecord]) {
      expect(entry.deliveryBatcher).not.toBe(recordOf(first, entry.name).deliveryBatcher);
      expect(await publicClientOf(entry.chainId).getCode({ address: entry.deliveryBatcher })).toBe(deliveryBatcherCode);
    }
    // On a reused endpoint the gateway verifies with the second run's DVN alone, not the endpoint's default.
    const hubClient = publicClientOf(hubRecord.chainId);
    const uln = await hubClient.readContract({
      address: hubRecord.layerZero?.receiveUln302 as Address,
      abi: receiveUln302Abi,
      functionName: "getUlnConfig",
      args: [hubRecord.layerZero?.gateway as Address, spokeARecord.layerZero?.eid as number],
    });
    expect(uln.requiredDVNs).toEqual([hubRecord.layerZero?.dvn]);
    expect(uln.optionalDVNs).toEqual([]);
    expect(uln.requiredDVNs).not.toEqual([recordOf(first, "hub").layerZero?.dvn]);
    const [receiveLibrary, isDefault] = await hubClient.readContract({
      address: hubRecord.layerZero?.endpoint as Address,
      abi: endpointV2Abi,
      functionName: "getReceiveLibrary",
      args: [hubRecord.layerZero?.gateway as Address, spokeARecord.layerZero?.eid as number],
    });
    expect([receiveLibrary, isDefault]).toEqual([hubRecord.layerZero?.receiveUln302, false]);

    // The routers have no application yet: on the spokes a vault attaches to receive; on the hub the second
    // deployer itself stands in for the engine, to send.
    const deployerAddress = getAddress(devnet.deployment.accounts[SECOND_DEPLOYER]?.address as string);
    const deployerWallets = new Map(
      second.chains.map((entry) => [entry.chainId, clients.get(entry.chainId)?.walletFor(keyOf(SECOND_DEPLOYER))]),
    );
    const vaults = new Map<number, Address>();
    for (const entry of second.chains) {
      const wallet = deployerWallets.get(entry.chainId);
      const publicClient = publicClientOf(entry.chainId);
      let application = deployerAddress;
      if (entry.name !== "hub") {
        const hash = await wallet?.deployContract({
          abi: collateralVaultAbi,
          bytecode: await projectBytecode("CollateralVault"),
          args: [deployerAddress, BigInt(hubRecord.chainId), entry.router],
        });
        const receipt = await publicClient.waitForTransactionReceipt({ hash: hash as Hex });
        application = getAddress(receipt.contractAddress as Address);
        vaults.set(entry.chainId, application);
      }
      const hash = await wallet?.writeContract({
        address: entry.router,
        abi: messageRouterAbi,
        functionName: "setApplication",
        args: [application],
      });
      await publicClient.waitForTransactionReceipt({ hash: hash as Hex });
    }
    const command = (destination: number, cmdNonce: bigint): Hex =>
      encodeMessage({
        type: "Release",
        origin: BigInt(hubRecord.chainId),
        destination: BigInt(destination),
        account: deployerAddress,
        asset: deployerAddress,
        amount: 1n,
        to: deployerAddress,
        cmdNonce,
      });
    const toSpokeA = command(spokeARecord.chainId, 1n);
    const toSpokeB = command(spokeBRecord.chainId, 1n);
    const hubWallet = deployerWallets.get(hubRecord.chainId);
    for (const [destination, message] of [
      [spokeARecord.chainId, toSpokeA],
      [spokeBRecord.chainId, toSpokeB],
    ] as const) {
      const fee = await hubClient.readContract({
        address: hubRecord.router,
        abi: messageRouterAbi,
        functionName: "quote",
        args: [BigInt(destination), message],
      });
      const hash = await hubWallet?.writeContract({
        address: hubRecord.router,
        abi: messageRouterAbi,
        functionName: "send",
        args: [BigInt(destination), message, deployerAddress],
        value: fee,
      });
      const receipt = await hubClient.waitForTransactionReceipt({ hash: hash as Hex });
      expect(receipt.status).toBe("success");
    }

    // Deliver with the operators: LayerZero through the second run's DVN and Executor, Hyperlane through
    // its ISMs (on the first run's Mailbox on the hub).
    const signers = devnet.deployment.accounts
      .slice(OPERATOR_ACCOUNT_OFFSET, OPERATOR_ACCOUNT_OFFSET + OPERATORS)
      .map((account) => localDigestSigner(account.privateKey as Hex));
    const operatorWallet = (chainId: number) =>
      clients.get(chainId)?.walletFor(devnet.deployment.accounts[OPERATOR_ACCOUNT_OFFSET]?.privateKey as Hex);
    const layerZero = createLayerZeroDelivery({
      chains: second.chains.map((entry) => ({
        chainId: entry.chainId,
        publicClient: publicClientOf(entry.chainId),
        walletClient: operatorWallet(entry.chainId) as NonNullable<ReturnType<typeof operatorWallet>>,
        contracts: entry.layerZero as NonNullable<typeof entry.layerZero>,
      })),
      signatures: localSignatures(signers),
    });
    const head = await hubClient.getBlockNumber({ cacheTime: 0 });
    const packets = await layerZero.findSentPackets(hubRecord.chainId, { fromBlock: 0n, toBlock: head });
    const ours = packets.filter(
      (packet) => packet.packet.sender === addressToBytes32(hubRecord.layerZero?.gateway as Address).toLowerCase(),
    );
    expect(ours).toHaveLength(2);
    for (const packet of ours) expect((await layerZero.deliver(packet)).status).toBe("delivered");

    const hubHyperlane = fromHyperlaneChainRecord(hubRecord.hyperlane as NonNullable<typeof hubRecord.hyperlane>);
    const deliverer = new HyperlaneDeliverer({
      origin: {
        domain: hubHyperlane.domain,
        client: hubClient,
        mailbox: hubHyperlane.mailbox,
        merkleTreeHook: hubHyperlane.merkleTreeHook,
        fromBlock: 0n,
      },
      destinations: [spokeARecord, spokeBRecord].map((entry) => ({
        domain: entry.hyperlane?.domain as number,
        publicClient: publicClientOf(entry.chainId),
        walletClient: operatorWallet(entry.chainId) as NonNullable<ReturnType<typeof operatorWallet>>,
        mailbox: entry.hyperlane?.mailbox as Address,
      })),
      signatureSources: signers.map((signer) =>
        validatorSignatureSource(
          new HyperlaneValidator({
            client: hubClient,
            origin: hubHyperlane.domain,
            merkleTreeHook: hubHyperlane.merkleTreeHook,
            signer,
            fromBlock: 0n,
          }),
        ),
      ),
    });
    const outcomes = await deliverer.poll();
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["delivered"]);

    // Spoke A (LayerZero route) and spoke B (dual: both transports delivered) executed their command.
    for (const entry of [spokeARecord, spokeBRecord]) {
      const executed = await publicClientOf(entry.chainId).readContract({
        address: vaults.get(entry.chainId) as Address,
        abi: collateralVaultAbi,
        functionName: "lastCommandNonce",
        args: [deployerAddress],
      });
      expect(executed, entry.name).toBe(1n);
    }
    const dualState = await publicClientOf(spokeBRecord.chainId).readContract({
      address: spokeBRecord.router,
      abi: messageRouterAbi,
      functionName: "dualDeliveries",
      args: [
        keccak256(encodeAbiParameters([{ type: "uint64" }, { type: "bytes" }], [BigInt(hubRecord.chainId), toSpokeB])),
      ],
    });
    expect(dualState).toBe(3);
  });
});

/** Every address among the values (nested objects and arrays included). */
function collectAddresses(values: readonly unknown[]): Address[] {
  const found = new Set<Address>();
  const visit = (value: unknown) => {
    if (typeof value === "string" && isAddress(value, { strict: false })) found.add(value);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === "object") Object.values(value).forEach(visit);
  };
  values.forEach(visit);
  return [...found];
}
