// The protocol story of test/integration/cross-chain.test.ts, carried by the real Hyperlane stack
// (Mailbox behind its proxy, MerkleTreeHook, gas paymaster, 2-of-3 message-id multisig ISMs behind
// routing ISMs) and relayed by the delivery engine's validators and deliverers.
import { type Address, parseEther, parseUnits, zeroAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setGatewayApplication } from "../../../relayer/infra/hyperlane.ts";
import {
  type DeliveryOutcome,
  merkleTreeHookAbi,
  processedMessagesFromLogs,
} from "../../../relayer/transports/hyperlane/index.ts";
import { CHAIN_IDS } from "../../../sdk/chains.ts";
import { decodeMessage, encodeMessage, type MessageTypeName } from "../../../sdk/codec/index.ts";
import { deployHub, HUB, type Hub, SPOKE_A, SPOKE_B, wad } from "../../helpers/hub.ts";
import {
  CHAIN_NAMES,
  createDeliverer,
  deployHyperlaneWorld,
  type HyperlaneChain,
  type HyperlaneWorld,
  relayAll,
  THRESHOLD,
  VALIDATOR_SIGNERS,
} from "./setup.ts";

async function deploySpoke(chain: HyperlaneChain) {
  const { connection, deployment } = chain;
  const [owner] = await connection.viem.getWalletClients();
  if (!owner) throw new Error("no owner");
  const vault = await connection.viem.deployContract("CollateralVault", [
    owner.account.address,
    BigInt(CHAIN_IDS.hub),
    deployment.gateway,
  ]);
  await setGatewayApplication(chain.config, deployment.gateway, vault.address);
  // The vault pays for the reports it sends after executing hub commands.
  await owner.sendTransaction({ to: vault.address, value: parseEther("1") });
  const usdc = await connection.viem.deployContract("TestToken", ["USD Coin", "USDC", 6]);
  const weth = await connection.viem.deployContract("TestToken", ["Wrapped Ether", "WETH", 18]);
  await vault.write.configureAsset([usdc.address, true, 6]);
  await vault.write.configureAsset([weth.address, true, 18]);
  const gateway = await connection.viem.getContractAt("HyperlaneGateway", deployment.gateway);
  return { connection, vault, usdc, weth, gateway, publicClient: chain.config.publicClient };
}

type Spoke = Awaited<ReturnType<typeof deploySpoke>>;

const typeOf = (outcome: DeliveryOutcome): MessageTypeName => decodeMessage(outcome.message.message.body).type;

describe("cross-chain margin over Hyperlane", () => {
  let world: HyperlaneWorld;
  let hub: Hub;
  let spokeA: Spoke;
  let spokeB: Spoke;
  let trader: Address;
  let liquidator: Address;
  /** Hyperlane fee of a report to the hub and of a command to a spoke (they depend on the type only). */
  let reportFee: bigint;
  let commandFee: bigint;
  const delivered: DeliveryOutcome[] = [];

  beforeAll(async () => {
    world = await deployHyperlaneWorld();
    hub = await deployHub(world.chains.hub.connection);
    await hub.engine.write.setMessenger([world.chains.hub.deployment.gateway]);
    await setGatewayApplication(world.chains.hub.config, world.chains.hub.deployment.gateway, hub.engine.address);
    spokeA = await deploySpoke(world.chains.spokeA);
    spokeB = await deploySpoke(world.chains.spokeB);
    trader = hub.trader.account.address;
    liquidator = hub.liquidator.account.address;
    await hub.engine.write.configureCollateralToken([SPOKE_A, spokeA.usdc.address, 0, 6, true]);
    await hub.engine.write.configureCollateralToken([SPOKE_B, spokeB.weth.address, 1, 18, true]);

    const fields = { account: trader, asset: zeroAddress, amount: 1n, cmdNonce: 1n };
    reportFee = await spokeA.gateway.read.quote([
      HUB,
      encodeMessage({
        type: "BalanceReport",
        origin: SPOKE_A,
        destination: HUB,
        ...fields,
        total: 1n,
        locked: 1n,
        seq: 1n,
        lastCommandNonce: 0n,
      }),
    ]);
    const hubGateway = await world.chains.hub.connection.viem.getContractAt(
      "HyperlaneGateway",
      world.chains.hub.deployment.gateway,
    );
    commandFee = await hubGateway.read.quote([
      SPOKE_A,
      encodeMessage({ type: "Seize", origin: HUB, destination: SPOKE_A, ...fields, to: liquidator }),
    ]);
  });

  afterAll(() => {
    const gasByType = new Map<MessageTypeName, bigint[]>();
    for (const outcome of delivered) {
      if (outcome.status !== "delivered") continue;
      gasByType.set(typeOf(outcome), [...(gasByType.get(typeOf(outcome)) ?? []), outcome.gasUsed]);
    }
    const lines = [...gasByType].map(([type, gas]) => `  ${type}: ${gas.join(", ")}`);
    console.info(
      `Mailbox.process gas (${THRESHOLD}-of-${VALIDATOR_SIGNERS.length}) per delivered message:\n${lines.join("\n")}`,
    );
  });

  const relay = async () => {
    const outcomes = await relayAll(world);
    delivered.push(...outcomes);
    return outcomes;
  };

  it("the gas paymaster quotes the owner-fixed destination gas of each message type", () => {
    // (process overhead 100k + destination gas) × 1 gwei, at an equal exchange rate.
    expect(reportFee).toBe((100_000n + 200_000n) * 10n ** 9n);
    expect(commandFee).toBe((100_000n + 400_000n) * 10n ** 9n);
  });

  it("deposits on two spokes become one margin account on the hub", async () => {
    await spokeA.usdc.write.mint([trader, parseUnits("5000", 6)]);
    await spokeA.usdc.write.approve([spokeA.vault.address, parseUnits("5000", 6)], { account: trader });
    const balanceBefore = await spokeA.publicClient.getBalance({ address: trader });
    const hash = await spokeA.vault.write.deposit([spokeA.usdc.address, parseUnits("5000", 6), true], {
      account: trader,
      value: reportFee * 3n,
    });
    const receipt = await spokeA.publicClient.getTransactionReceipt({ hash });
    // The gateway kept exactly the fee and refunded the rest to the trader.
    expect(balanceBefore - (await spokeA.publicClient.getBalance({ address: trader }))).toBe(
      reportFee + receipt.gasUsed * receipt.effectiveGasPrice,
    );

    await spokeB.weth.write.mint([trader, wad("2")]);
    await spokeB.weth.write.approve([spokeB.vault.address, wad("2")], { account: trader });
    await spokeB.vault.write.deposit([spokeB.weth.address, wad("2"), true], { account: trader, value: reportFee });

    const outcomes = await relay();
    expect(outcomes.map((outcome) => [outcome.status, typeOf(outcome)])).toEqual([
      ["delivered", "BalanceReport"],
      ["delivered", "BalanceReport"],
    ]);
    // What an operator that did not deliver learns from the hub's logs: each message's id and its transaction.
    for (const outcome of outcomes) {
      if (outcome.status !== "delivered") continue;
      const { logs } = await world.chains.hub.config.publicClient.getTransactionReceipt({
        hash: outcome.transactionHash,
      });
      expect(processedMessagesFromLogs(world.chains.hub.deployment.mailbox, logs)).toEqual([
        { messageId: outcome.message.id, transactionHash: outcome.transactionHash },
      ]);
      expect(processedMessagesFromLogs(world.chains.hub.deployment.gateway, logs)).toEqual([]);
    }
    const health = await hub.engine.read.healthOf([trader]);
    // 5000 USDC on A (no haircut) + 2 WETH × 3000 × 0.80 × (1 − 0.02) on B.
    expect(health.collateralValueInit).toBe(wad("5000") + wad("4704"));
  });

  it("a position on the hub is margined by both spokes; a price drop makes it liquidatable", async () => {
    await hub.engine.write.trade([0n, wad("40"), 0n], { account: trader });
    await hub.setPrice("WETH", "2750");
    expect((await hub.engine.read.healthOf([trader])).liquidatable).toBe(true);
    while ((await hub.engine.read.healthOf([trader])).healthLiquidationEnd < 0n) {
      const position = await hub.engine.read.positionOf([trader, 0n]);
      if (position.size === 0n) break;
      await hub.engine.write.liquidatePerp([trader, 0n], { account: liquidator });
    }
    expect(await hub.engine.read.settleBalanceOf([trader])).toBeLessThan(0n);
  });

  it("collateral liquidation seizes on spoke A and pays the liquidator there", async () => {
    await hub.fund(liquidator, "100000");
    const debtBefore = -(await hub.engine.read.settleBalanceOf([trader]));
    await hub.engine.write.liquidateCollateral([trader, SPOKE_A, spokeA.usdc.address, 0n], {
      account: liquidator,
      value: commandFee * 2n,
    });
    const [pending] = await hub.engine.read.collateralOf([trader]);
    expect(pending.find((entry) => entry.chainId === SPOKE_A)?.pendingDecrease).toBeGreaterThan(0n);

    const outcomes = await relay();
    const seizes = outcomes.filter((outcome) => typeOf(outcome) === "Seize");
    expect(seizes.length).toBeGreaterThan(0);
    expect(outcomes.filter((outcome) => typeOf(outcome) === "BalanceReport")).toHaveLength(seizes.length);

    expect(await spokeA.usdc.read.balanceOf([liquidator])).toBeGreaterThan(0n);
    // Each seizure was acknowledged by a report the vault paid from its budget: nothing is pending.
    const [entries] = await hub.engine.read.collateralOf([trader]);
    expect(entries.every((entry) => entry.pendingDecrease === 0n)).toBe(true);
    expect(-(await hub.engine.read.settleBalanceOf([trader]))).toBeLessThan(debtBefore);
    const vaultBalance = await spokeA.vault.read.balanceOf([trader, spokeA.usdc.address]);
    expect(await spokeA.usdc.read.balanceOf([spokeA.vault.address])).toBe(BigInt(vaultBalance.total));
  });

  it("the trader releases what remains on spoke B to their wallet there", async () => {
    const { size } = await hub.engine.read.positionOf([trader, 0n]);
    if (size !== 0n) await hub.engine.write.trade([0n, -size, 0n], { account: trader });
    await hub.setPrice("WETH", "3000");
    const settle = await hub.engine.read.settleBalanceOf([trader]);
    if (settle < 0n) {
      await hub.fund(trader, "100000");
      await hub.engine.write.depositSettle([trader, -settle / 10n ** 12n + 1n], { account: trader });
    }
    const release = wad("1.5");
    await hub.engine.write.requestRelease([SPOKE_B, spokeB.weth.address, release, trader], {
      account: trader,
      value: commandFee,
    });
    const outcomes = await relay();
    expect(outcomes.map((outcome) => [outcome.status, typeOf(outcome)])).toEqual([
      ["delivered", "Release"],
      ["delivered", "BalanceReport"],
    ]);
    expect(await spokeB.weth.read.balanceOf([trader])).toBe(release);
    expect(await spokeB.vault.read.balanceOf([trader, spokeB.weth.address])).toMatchObject({
      total: wad("0.5"),
      locked: wad("0.5"),
    });
    const [entries, counted] = await hub.engine.read.collateralOf([trader]);
    expect(counted[entries.findIndex((entry) => entry.chainId === SPOKE_B)]).toBe(wad("0.5"));
  });

  it("every message carried exactly the threshold of signatures, in validator order", () => {
    const validators = VALIDATOR_SIGNERS.map((signer) => signer.address);
    for (const outcome of delivered) {
      if (outcome.status !== "delivered") throw new Error(`unexpected ${outcome.status}`);
      expect(outcome.signers).toEqual(validators.slice(0, THRESHOLD));
    }
  });

  it("the validators' trees match every origin's merkle tree hook", async () => {
    for (const name of CHAIN_NAMES) {
      const { config, deployment } = world.chains[name];
      const hookCount = await config.publicClient.readContract({
        address: deployment.merkleTreeHook,
        abi: merkleTreeHookAbi,
        functionName: "count",
      });
      expect(hookCount).toBeGreaterThan(0);
      for (const validator of world.validators[name]) {
        // sync() also compares the local root with the hook's at the synced block, and throws on a mismatch.
        expect(await validator.sync()).toBe(hookCount);
      }
    }
  });

  it("running a second relayer over the same logs delivers nothing twice", async () => {
    for (const name of CHAIN_NAMES) {
      const replay = createDeliverer(world.chains, name, world.validators[name]);
      const outcomes = await replay.poll();
      expect(outcomes.length).toBeGreaterThan(0);
      expect(outcomes.every((outcome) => outcome.status === "already-delivered")).toBe(true);
      expect(await replay.poll()).toEqual([]);
    }
  });
});
