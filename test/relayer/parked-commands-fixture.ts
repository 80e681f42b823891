// The scenario of the parked-commands tests (hyperlane- and layerzero-parked-commands.test.ts), on one lane: a
// devnet, a trader's collateral and Releases, the later Releases delivered (parked) before the first, then the first.
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
import type { DeliveryProgress, DeliveryResult, Lane } from "../../relayer/engine/lane.ts";
import {
  createEngineNetwork,
  type EngineChain,
  type EngineNetwork,
  rpcTransport,
} from "../../relayer/engine/network.ts";
import type { ProtocolDeployment, TransportRoute } from "../../relayer/infra/protocol.ts";
import { testTokenAbi } from "../../relayer/infra/protocol-abi.ts";
import type { NewMessage, StoredMessage } from "../../relayer/storage/index.ts";
import { revertReason } from "../../relayer/transports/hyperlane/deliverer.ts";
import { collateralVaultAbi, marginEngineAbi } from "../../sdk/abi/index.ts";

/**
 * The Releases the trader requests, in nonce order; all but the first are delivered (and parked) before it. Each
 * Release executed costs the spoke about 140k gas: over Hyperlane the exact gas (the paymaster's 100k overhead and
 * the Release's 730k destination gas) covers the first with two parked (a 700k transaction) and runs out with three
 * (835k), narrowly; four parked (970k) keep a margin should the contracts' gas move.
 */
const RELEASES = ["100", "200", "300", "400", "500"];
const usdc = (amount: string) => parseUnits(amount, 6);
const NO_PROGRESS: DeliveryProgress = { signed: async () => {}, verified: async () => {} };

/** What differs between the transports in the scenario of `describeParkedCommands`. */
export interface ParkedCommandsRoute<RouteLane extends Lane> {
  route: TransportRoute;
  lane: (network: EngineNetwork, operatorKey: Hex) => RouteLane;
  /** What the first command needs before the later ones can be delivered ahead of it (and park). */
  beforeLater?: (lane: RouteLane, first: StoredMessage, operatorKey: Hex) => Promise<void>;
  /** How the first command is delivered once the later ones are parked (default: the lane's deliver). */
  deliverFirst?: (lane: RouteLane, first: StoredMessage, progress: DeliveryProgress) => Promise<DeliveryResult>;
  /** The gas steps of that delivery: the exact-gas attempt that ran out, then the retry that went through. */
  steps: readonly string[];
}

/**
 * A trader's Releases on one devnet (hub and spokeA over `route`, one operator, threshold 1): all but the first
 * delivered and parked, then the first, which must run them all without an eth_estimateGas to the spoke.
 */
export function describeParkedCommands<RouteLane extends Lane>(title: string, route: ParkedCommandsRoute<RouteLane>) {
  describe(title, () => {
    let dir: string;
    let devnet: Devnet;
    let deployment: DevnetDeployment;
    let protocol: ProtocolDeployment;
    let lane: RouteLane;
    let operatorKey: Hex;
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
      const logs = await chain.publicClient.getLogs({
        address: [...addresses],
        events: [...events],
        fromBlock,
        toBlock,
      });
      cursors.set(chain.chainId, toBlock + 1n);
      return (await lane.discover(chain, fromBlock, toBlock, logs)).map(asStored);
    };

    const traderWallet = (on: "hub" | "spoke") => traderClients[on].walletFor(traderKey);
    /** The receipt of the trader's transaction `hash` on `on`, which must have succeeded. */
    const confirmed = async (on: "hub" | "spoke", hash: Hex): Promise<TransactionReceipt> => {
      const { publicClient } = traderClients[on];
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status === "success") return receipt;
      // Say why (a flake seen once in CI): the call again on the state it ran on, and its gas against its limit.
      const sent = await publicClient.getTransaction({ hash });
      const why = await publicClient
        .call({
          account: sent.from,
          to: sent.to,
          data: sent.input,
          value: sent.value,
          gas: sent.gas,
          blockNumber: receipt.blockNumber - 1n,
        })
        .then(
          () => "the call succeeds again on the block before",
          (error: unknown) => JSON.stringify(revertReason(error)),
        );
      throw new Error(
        `the trader's transaction ${hash} on ${on} reverted in block ${receipt.blockNumber} (gas ${receipt.gasUsed} of ${sent.gas}): ${why}`,
      );
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
      dir = await mkdtemp(join(tmpdir(), `xmargin-${route.route}-parked-`));
      devnet = await startDevnet({ spokes: 1, accounts: accountsNeeded(1), outFile: join(dir, "devnet.json") });
      ({ deployment, protocol } = await deployDevnetProtocol(devnet.deployment, devnet.outFile, {
        operators: 1,
        threshold: 1,
        routes: { spokeA: route.route },
      }));
      const [key] = operatorKeys(deployment, 1);
      if (!key) throw new Error("the devnet has no operator");
      operatorKey = key;
      const network = createEngineNetwork({
        deployment: protocol,
        chains: [deployment.hub, ...deployment.spokes].map(({ name, chainId, rpcUrl }) =>
          chainConfigSchema.parse({ name, chainId, rpcUrl }),
        ),
        operatorKey,
        transportFor: countingEstimates,
      });
      lane = route.lane(network, operatorKey);
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

      await route.beforeLater?.(lane, first, operatorKey);
      for (const command of later) {
        const parked = await lane.deliver(command, NO_PROGRESS);
        expect(parked.status).toBe("delivered");
        expect((await vaultLogs(parked)).map((log) => log.eventName)).toEqual(["CommandParked"]);
      }
      expect(await lastCommandNonce()).toBe(before.nonce);

      estimates.clear();
      const delivered = await (route.deliverFirst ?? ((lane, first, progress) => lane.deliver(first, progress)))(
        lane,
        first,
        NO_PROGRESS,
      );
      expect(delivered.status).toBe("delivered");
      // Not the estimating fallback (which the code before the retry took here): no eth_estimateGas to the spoke.
      expect(estimates.get(spoke.chainId) ?? 0).toBe(0);
      expect(delivered.gas.map((step) => step.step)).toEqual(route.steps);
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
}

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
