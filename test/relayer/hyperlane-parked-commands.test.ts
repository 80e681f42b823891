// HyperlaneLane.deliver on a command whose delivery also runs commands parked before it (anvil devnet: hub and
// spokeA over Hyperlane, one operator, threshold 1). A trader's Releases delivered out of order wait parked in the
// spoke's CollateralVault; delivering the first one then executes it and drains the parked ones, more than the
// one command's destination gas the hub paid for, so the exact-gas `process` through the delivery queue runs out.
// The lane must then send it once more through the queue with room for the vault's MAX_COMMANDS_PER_DELIVERY
// commands: its gas steps show the failed attempt and the one that went through, every command is executed and
// paid, and the spoke got no eth_estimateGas. Without that retry the lane falls back to processHyperlaneMessage,
// which estimates (at least one eth_estimateGas to the spoke), so this test fails on the code before it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Address,
  type Hex,
  parseEther,
  parseEventLogs,
  parseUnits,
  type TransactionReceipt,
  type Transport,
} from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChainConfig, chainConfigSchema } from "../../relayer/config/schema.ts";
import type { DevnetDeployment } from "../../relayer/devnet/deployment.ts";
import { type Devnet, startDevnet } from "../../relayer/devnet/launcher.ts";
import {
  accountsNeeded,
  DEVNET_ACCOUNT_ROLES,
  type DevnetChainClients,
  deployDevnetProtocol,
  devnetChainClients,
  operatorKeys,
} from "../../relayer/devnet/protocol.ts";
import { HyperlaneLane } from "../../relayer/engine/hyperlane-lane.ts";
import type { DeliveryProgress, DeliveryResult } from "../../relayer/engine/lane.ts";
import { createEngineNetwork, type EngineChain, rpcTransport } from "../../relayer/engine/network.ts";
import { localDigestSigner } from "../../relayer/engine/signer.ts";
import type { ProtocolDeployment } from "../../relayer/infra/protocol.ts";
import { testTokenAbi } from "../../relayer/infra/protocol-abi.ts";
import type { NewMessage, StoredMessage } from "../../relayer/storage/index.ts";
import { collateralVaultAbi, marginEngineAbi } from "../../sdk/abi/index.ts";

/**
 * The Releases the trader requests, in nonce order; all but the first are delivered (and parked) before it. Each
 * Release executed costs the spoke about 140k gas: the exact gas (the paymaster's 100k overhead and the Release's
 * 730k destination gas) covers the first with two parked (a 700k transaction) and runs out with three (835k),
 * narrowly; four parked (970k) keep a margin should the contracts' gas move.
 */
const RELEASES = ["100", "200", "300", "400", "500"];
const usdc = (amount: string) => parseUnits(amount, 6);
const NO_PROGRESS: DeliveryProgress = { signed: async () => {}, verified: async () => {} };

describe("HyperlaneLane: a command that runs parked commands goes once more through the queue, not on an estimate", () => {
  let dir: string;
  let devnet: Devnet;
  let deployment: DevnetDeployment;
  let protocol: ProtocolDeployment;
  let lane: HyperlaneLane;
  let hub: EngineChain;
  let spoke: EngineChain;
  let traderClients: { hub: DevnetChainClients; spoke: DevnetChainClients };
  let trader: Address;
  let traderKey: Hex;
  /** The engine's eth_estimateGas requests, by chain id. */
  const estimates = new Map<number, number>();
  /** Per chain, the next block the test's discovery reads (as the watcher's cursor). */
  const cursors = new Map<number, bigint>();

  const countingEstimates = (config: ChainConfig): Transport => {
    const real = rpcTransport(config);
    return (parameters) => {
      const transport = real(parameters);
      return {
        ...transport,
        request: (async (request) => {
          if (request.method === "eth_estimateGas") {
            estimates.set(config.chainId, (estimates.get(config.chainId) ?? 0) + 1);
          }
          return transport.request(request);
        }) as typeof transport.request,
      };
    };
  };

  /** The lane's messages sent on `chain` since the last call, as the watcher stores them. */
  const discover = async (chain: EngineChain): Promise<StoredMessage[]> => {
    const fromBlock = cursors.get(chain.chainId) ?? lane.startBlock(chain);
    const toBlock = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
    const { addresses, events } = lane.logSources(chain);
    const logs = await chain.publicClient.getLogs({ address: [...addresses], events: [...events], fromBlock, toBlock });
    cursors.set(chain.chainId, toBlock + 1n);
    return (await lane.discover(chain, fromBlock, toBlock, logs)).map(asStored);
  };

  const traderWallet = (on: "hub" | "spoke") => traderClients[on].walletFor(traderKey);
  /** The receipt of the trader's transaction `hash` on `on`, which must have succeeded. */
  const confirmed = async (on: "hub" | "spoke", hash: Hex): Promise<TransactionReceipt> => {
    const receipt = await traderClients[on].publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`the trader's transaction ${hash} on ${on} reverted`);
    return receipt;
  };

  const vaultLogs = async (result: DeliveryResult) => {
    const receipt = await spoke.publicClient.getTransactionReceipt({ hash: result.transactionHash as Hex });
    return parseEventLogs({ abi: collateralVaultAbi, logs: receipt.logs }).filter(
      (log) => log.address.toLowerCase() === vault().toLowerCase(),
    );
  };
  const vault = () => protocol.spokes[0]?.contracts.vault as Address;
  const spokeUsdc = () => protocol.spokes[0]?.tokens.USDC?.address as Address;
  const lastCommandNonce = () =>
    spoke.publicClient.readContract({
      address: vault(),
      abi: collateralVaultAbi,
      functionName: "lastCommandNonce",
      args: [trader],
    });
  const traderUsdcOnSpoke = () =>
    spoke.publicClient.readContract({
      address: spokeUsdc(),
      abi: testTokenAbi,
      functionName: "balanceOf",
      args: [trader],
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "xmargin-hl-parked-"));
    devnet = await startDevnet({ spokes: 1, accounts: accountsNeeded(1), outFile: join(dir, "devnet.json") });
    ({ deployment, protocol } = await deployDevnetProtocol(devnet.deployment, devnet.outFile, {
      operators: 1,
      threshold: 1,
      routes: { spokeA: "hyperlane" },
    }));
    const [operatorKey] = operatorKeys(deployment, 1);
    if (!operatorKey) throw new Error("the devnet has no operator");
    const network = createEngineNetwork({
      deployment: protocol,
      chains: [deployment.hub, ...deployment.spokes].map(({ name, chainId, rpcUrl }) =>
        chainConfigSchema.parse({ name, chainId, rpcUrl }),
      ),
      operatorKey,
      transportFor: countingEstimates,
    });
    // Threshold 1: this operator's own validator signs every checkpoint, the peers have nothing to add.
    lane = new HyperlaneLane(network, { signer: localDigestSigner(operatorKey), peers: async () => [] });
    [hub, spoke] = network.chains as [EngineChain, EngineChain];
    traderKey = deployment.accounts[DEVNET_ACCOUNT_ROLES.trader]?.privateKey as Hex;
    trader = deployment.accounts[DEVNET_ACCOUNT_ROLES.trader]?.address as Address;
    traderClients = {
      hub: devnetChainClients(deployment.hub),
      spoke: devnetChainClients(deployment.spokes[0] as DevnetDeployment["spokes"][number]),
    };
  });

  afterAll(async () => {
    await devnet?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("delivers the first Release after the parked ones with a retry through the queue, estimating nothing", async () => {
    // Collateral on the spoke, counted on the hub.
    const deposit = usdc("5000");
    const token = { address: spokeUsdc(), abi: testTokenAbi } as const;
    await confirmed(
      "spoke",
      await traderWallet("spoke").writeContract({ ...token, functionName: "mint", args: [trader, deposit] }),
    );
    await confirmed(
      "spoke",
      await traderWallet("spoke").writeContract({ ...token, functionName: "approve", args: [vault(), deposit] }),
    );
    await confirmed(
      "spoke",
      await traderWallet("spoke").writeContract({
        address: vault(),
        abi: collateralVaultAbi,
        functionName: "deposit",
        args: [spokeUsdc(), deposit, true],
        value: parseEther("0.01"),
      }),
    );
    const [report, ...others] = await discover(spoke);
    expect(others).toEqual([]);
    expect(report?.messageType).toBe("BalanceReport");
    expect((await lane.deliver(report as StoredMessage, NO_PROGRESS)).status).toBe("delivered");

    // The Releases, in nonce order on the hub.
    const nonces: bigint[] = [];
    for (const amount of RELEASES) {
      const receipt = await confirmed(
        "hub",
        await traderWallet("hub").writeContract({
          address: protocol.hub.contracts.engine,
          abi: marginEngineAbi,
          functionName: "requestRelease",
          args: [BigInt(spoke.chainId), spokeUsdc(), usdc(amount), trader],
          value: parseEther("0.05"),
        }),
      );
      const [requested] = parseEventLogs({ abi: marginEngineAbi, eventName: "ReleaseRequested", logs: receipt.logs });
      nonces.push(requested?.args.cmdNonce as bigint);
    }
    const commands = await discover(hub);
    expect(commands.map((command) => command.messageType)).toEqual(RELEASES.map(() => "Release"));
    const [first, ...later] = commands as [StoredMessage, ...StoredMessage[]];
    const before = { nonce: await lastCommandNonce(), usdc: await traderUsdcOnSpoke() };
    expect(before.nonce).toBe((nonces[0] as bigint) - 1n);

    for (const command of later) {
      const parked = await lane.deliver(command, NO_PROGRESS);
      expect(parked.status).toBe("delivered");
      expect((await vaultLogs(parked)).map((log) => log.eventName)).toEqual(["CommandParked"]);
    }
    expect(await lastCommandNonce()).toBe(before.nonce);

    estimates.clear();
    const delivered = await lane.deliver(first, NO_PROGRESS);
    expect(delivered.status).toBe("delivered");
    // The exact-gas attempt ran out, and the one that went through was not the estimating fallback (which the code
    // before the retry took here: the same two steps, with one eth_estimateGas to the spoke).
    expect(delivered.gas.map((step) => step.step)).toEqual(["process (failed)", "process"]);
    expect(estimates.get(spoke.chainId) ?? 0).toBe(0);
    const executed = (await vaultLogs(delivered)).filter((log) => log.eventName === "CommandExecuted");
    expect(executed.map((log) => log.args)).toMatchObject(nonces.map((cmdNonce) => ({ cmdNonce })));
    expect(await lastCommandNonce()).toBe(nonces.at(-1));
    const released = RELEASES.reduce((sum, amount) => sum + usdc(amount), 0n);
    expect((await traderUsdcOnSpoke()) - before.usdc).toBe(released);
    console.info(
      `first of ${RELEASES.length} Releases, after ${later.length} parked:`,
      delivered.gas.map((step) => `${step.step} ${step.gasUsed}`).join(", "),
    );
  });
});

const asStored = (message: NewMessage): StoredMessage => {
  const now = new Date();
  return {
    ...message,
    state: "discovered",
    attempts: 0,
    lastError: null,
    nextAttemptAt: now,
    discoveredAt: now,
    updatedAt: now,
    deliveredAt: null,
    deliveryTxHash: null,
    claimedBy: null,
    leaseExpiresAt: null,
  };
};
