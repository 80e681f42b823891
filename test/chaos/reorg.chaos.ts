// Issue 7, reorg: a spoke reorganises (anvil_reorg) blocks holding a deposit the relayer has seen but
// that is not final under its confirmations (confirmations > reorg depth). The orphaned deposit must never
// be credited on the hub. On LayerZero the trader's next deposit takes the orphaned packet's nonce, so it
// has the same GUID with different content: the hub must credit that content, not the orphan's.
import { setTimeout as delay } from "node:timers/promises";
import type { Hex } from "viem";
import { afterAll, describe, expect, it } from "vitest";
import { marginEngineAbi } from "../../sdk/abi/index.ts";
import { CHAOS_SCALE, ChaosNet, storedMessages, usdc, waitForStoresSettled } from "./harness.ts";
import { checkBalancesAndLedger, checkExactlyOnce } from "./invariants.ts";

const CONFIRMATIONS = 6;
const REORG_DEPTH = 3;

// One devnet per transport: a lane stuck on one would hold up the other's checks.
describe.each(["hyperlane", "layerzero"] as const)(`a reorg on a %s spoke (${CHAOS_SCALE})`, (transport) => {
  let net: ChaosNet | undefined;
  afterAll(async () => {
    await net?.stop();
  });

  it(`never credits a deposit orphaned ${REORG_DEPTH} blocks deep with ${CONFIRMATIONS} confirmations`, async () => {
    net = await ChaosNet.start({
      routes: { spokeA: transport },
      traders: 2,
      confirmations: { spokeA: CONFIRMATIONS },
      // The test sets the spoke's mining itself; the devnet's block batcher would add blocks of its own.
      batchWindowMs: "off",
    });
    const chaosNet = net;
    const [victim, honest] = chaosNet.traderIndices() as [number, number];
    const spokeName = "spokeA";
    const spoke = chaosNet.spoke(spokeName);
    const client = chaosNet.chain(spokeName).publicClient;
    const rpc = (method: string, params: unknown[]) =>
      client.request({ method: method as "eth_chainId", params: params as never });
    const mine = (blocks: number) => rpc("anvil_mine", [`0x${blocks.toString(16)}`]);
    // Blocks come only when the test mines them (transactions still mine at once): heights are exact.
    await rpc("evm_setIntervalMining", [0]);
    await rpc("evm_setAutomine", [true]);

    const step = (what: string) => console.info(`reorg on ${transport}: ${what}`);
    step("mining by hand");
    const orphanTx = await chaosNet.deposit(spokeName, victim, usdc("500"));
    step(`deposit to be orphaned sent: ${orphanTx}`);
    const orphanBlock = (await client.getTransactionReceipt({ hash: orphanTx })).blockNumber;
    await mine(REORG_DEPTH - 1);
    // Long enough for every watcher to poll several times: the deposit is seen but not yet final.
    await delay(2_000);
    expect(await knownTo(chaosNet, orphanTx), `${spokeName}: relayers acted on an unconfirmed deposit`).toEqual([]);

    expect(await client.getBlockNumber({ cacheTime: 0 })).toBe(orphanBlock + BigInt(REORG_DEPTH - 1));
    await rpc("anvil_reorg", [REORG_DEPTH, []]);
    await expect(client.getTransactionReceipt({ hash: orphanTx }), "the reorg removed the deposit").rejects.toThrow();
    // The victim's nonce went back with the reorg.
    chaosNet.nonceManager.reset({ address: chaosNet.address(victim), chainId: spoke.chainId });

    step("reorganised");
    const replacement = await chaosNet.deposit(spokeName, victim, usdc("7"));
    await chaosNet.deposit(spokeName, honest, usdc("100"));
    step("replacement and honest deposits sent");
    await mine(CONFIRMATIONS + 2);
    const deadline = Date.now() + 60_000;
    while ((await chaosNet.counted(spokeName, honest)) !== usdc("100")) {
      if (Date.now() > deadline) throw new Error(`${spokeName}: the honest deposit was never credited`);
      await mine(1);
      await delay(500);
    }
    await chaosNet.waitForAllDelivered(60_000);
    expect(await chaosNet.counted(spokeName, victim), `${spokeName}: the hub credits the replacement only`).toBe(
      usdc("7"),
    );
    const applied = await chaosNet.chain("hub").publicClient.getContractEvents({
      address: chaosNet.protocol.hub.contracts.engine,
      abi: marginEngineAbi,
      eventName: "BalanceReportApplied",
      args: { account: chaosNet.address(victim), chainId: BigInt(spoke.chainId) },
      fromBlock: 0n,
    });
    expect(applied.map((log) => log.args.locked)).toEqual([usdc("7")]);
    expect(await knownTo(chaosNet, orphanTx)).toEqual([]);
    expect((await knownTo(chaosNet, replacement)).length).toBe(chaosNet.instances.length);
    await rpc("evm_setIntervalMining", [1]);
    const once = await checkExactlyOnce(chaosNet);
    expect(once.violations).toEqual([]);
    expect(await checkBalancesAndLedger(chaosNet)).toEqual([]);
    await waitForStoresSettled(chaosNet.instances, 60_000);
    for (const instance of chaosNet.instances) {
      expect(await storedMessages(instance, "failed"), instance.label).toEqual([]);
    }
  });
});

/** The instances whose store holds a message sent by transaction `hash`. */
async function knownTo(net: ChaosNet, hash: Hex): Promise<string[]> {
  const holders: string[] = [];
  for (const instance of net.instances) {
    for (const state of ["discovered", "signed", "verified", "delivered", "failed"] as const) {
      const messages = await storedMessages(instance, state);
      if (messages.some((message) => message.sourceTxHash.toLowerCase() === hash.toLowerCase())) {
        holders.push(instance.label);
        break;
      }
    }
  }
  return holders;
}
