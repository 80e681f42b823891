// ParkedCommandsUpkeep against a real CollateralVault on an in-process chain (behind the test transport): more
// ready commands than one delivery runs are run by the upkeep; a backup that comes later finds nothing to do.
import { type Address, type Log, parseUnits } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { type Connection, connect } from "../../test/helpers/chains.ts";
import { deployVault, type VaultFixture } from "../../test/helpers/vault.ts";
import type { RelayerTransaction } from "../transports/submit.ts";
import { viemSubmitter } from "../transports/submit.ts";
import { ParkedCommandsUpkeep, type UpkeepChain } from "./parked-commands.ts";

describe("ParkedCommandsUpkeep", () => {
  let connection: Connection;
  let f: VaultFixture;
  let trader: Address;
  let sent: RelayerTransaction[];
  let chain: UpkeepChain;

  beforeEach(async () => {
    connection = await connect("spokeA");
    f = await deployVault(connection);
    trader = f.trader.account.address;
    await f.vault.write.deposit([f.usdc.address, parseUnits("100", 6), true], f.asTrader);
    sent = [];
    const submit = viemSubmitter(f.publicClient, f.other);
    chain = {
      name: "spokeA",
      chainId: await f.publicClient.getChainId(),
      publicClient: f.publicClient,
      walletClient: f.other as unknown as UpkeepChain["walletClient"],
      submit: (transaction) => {
        sent.push(transaction);
        return submit(transaction);
      },
      record: { contracts: { vault: f.vault.address } } as UpkeepChain["record"],
    };
  });

  /** Parks `ahead` Locks behind nonce 1, then delivers nonce 1: the logs of that delivery. */
  async function deliverBehind(ahead: number): Promise<Log[]> {
    const lock = () => f.command({ type: "Lock", account: trader, asset: f.usdc.address, amount: 1n });
    const first = lock();
    for (let index = 0; index < ahead; index++) await f.deliver(lock());
    return (await f.receiptOf(await f.deliver(first))).logs;
  }

  const lastNonce = () => f.vault.read.lastCommandNonce([trader]);

  async function until(condition: () => Promise<boolean>): Promise<void> {
    for (let tries = 0; tries < 100 && !(await condition()); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it("runs the ready commands one delivery left behind, until none is left", async () => {
    const limit = await f.vault.read.MAX_COMMANDS_PER_DELIVERY();
    // The delivery runs `limit` of them; more than another `limit` stay ready: the upkeep goes on after a full run.
    const logs = await deliverBehind(Number(limit) * 2 + 3);
    expect(await lastNonce()).toBe(1n + limit);
    const executed: bigint[] = [];
    const upkeep = new ParkedCommandsUpkeep({ delayMs: 0, onExecuted: (_, __, count) => executed.push(count) });
    upkeep.observe(chain, logs);
    await until(async () => (await lastNonce()) === 1n + limit * 2n + 3n);
    await upkeep.stop();
    expect(await lastNonce()).toBe(1n + limit * 2n + 3n);
    expect(executed).toEqual([limit, 3n]);
  });

  it("a backup that finds the commands run already sends nothing, and logs without the event are ignored", async () => {
    const logs = await deliverBehind(10);
    const primary = new ParkedCommandsUpkeep({ delayMs: 0 });
    primary.observe(chain, logs);
    await until(async () => (await lastNonce()) === 11n);
    await primary.stop();
    expect(sent).toHaveLength(1);

    const backup = new ParkedCommandsUpkeep({ delayMs: 10 });
    backup.observe(chain, logs);
    const quiet = await f.receiptOf(
      await f.deliver(f.command({ type: "Lock", account: trader, asset: f.usdc.address, amount: 1n })),
    );
    backup.observe(chain, quiet.logs);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await backup.stop();
    expect(sent).toHaveLength(1);
  });

  it("retries after a failed send and reports the failure", async () => {
    const logs = await deliverBehind(9);
    const submit = chain.submit;
    let failures = 1;
    chain.submit = async (transaction) => {
      if (failures-- > 0) throw new Error("node unreachable");
      return submit(transaction);
    };
    const errors: string[] = [];
    const upkeep = new ParkedCommandsUpkeep({ delayMs: 0, onError: (_, __, error) => errors.push(error.message) });
    upkeep.observe(chain, logs);
    await until(async () => (await lastNonce()) === 10n);
    await upkeep.stop();
    expect(await lastNonce()).toBe(10n);
    expect(errors).toEqual(["node unreachable"]);
  });
});
