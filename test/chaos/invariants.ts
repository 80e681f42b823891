/**
 * What must hold after every chaos scenario, each check returning the violations it found (an empty list
 * when all is well) so that a failing run names every broken message or account at once.
 */
import type { Address } from "viem";
import { testTokenAbi } from "../../relayer/infra/protocol-abi.ts";
import { collateralVaultAbi, marginEngineAbi } from "../../sdk/abi/index.ts";
import { decodeMessage } from "../../sdk/codec/index.ts";
import type { ChaosNet, SentMessage } from "./harness.ts";

export interface ExactlyOnceReport {
  messages: number;
  reports: number;
  commands: number;
  violations: string[];
}

/**
 * Every sent message delivered exactly once per transport of its route (the gateways' MessageDelivered,
 * keyed by origin and keccak of the bytes, so the content is the one sent), nothing delivered that was
 * not sent, and each applied exactly once by its application: one BalanceReportApplied or Ignored per
 * report on the hub (with the reported amount), one CommandExecuted per command on its vault.
 */
export async function checkExactlyOnce(net: ChaosNet): Promise<ExactlyOnceReport> {
  const sent = await net.sentMessages();
  const deliveries = await net.deliveries();
  const violations: string[] = [];
  const sentKeys = new Set(sent.map((message) => `${message.origin}:${message.hash}`));
  if (sentKeys.size !== sent.length) violations.push(`${sent.length - sentKeys.size} messages were sent twice`);
  for (const message of sent) {
    const count = deliveries.get(`${message.origin}:${message.hash}`) ?? { layerzero: 0, hyperlane: 0 };
    const expected = net.expectedDeliveries(message);
    if (count.layerzero !== expected.layerzero || count.hyperlane !== expected.hyperlane) {
      violations.push(`${describe(message)}: delivered ${JSON.stringify(count)}, expected ${JSON.stringify(expected)}`);
    }
  }
  for (const key of deliveries.keys()) {
    if (!sentKeys.has(key)) violations.push(`delivered ${key}, which no application sent`);
  }

  const hub = net.chain("hub").publicClient;
  const engine = net.protocol.hub.contracts.engine;
  const [applied, ignored] = await Promise.all(
    (["BalanceReportApplied", "BalanceReportIgnored"] as const).map((eventName) =>
      hub.getContractEvents({ address: engine, abi: marginEngineAbi, eventName, fromBlock: 0n, toBlock: "latest" }),
    ),
  );
  const handledReports = new Map<string, { applied: number; ignored: number; locked?: bigint }>();
  for (const [kind, logs] of [
    ["applied", applied],
    ["ignored", ignored],
  ] as const) {
    for (const log of logs ?? []) {
      const args = log.args as { account: Address; chainId: bigint; asset: Address; seq: number; locked?: bigint };
      const key = reportKey(args.account, args.chainId, args.asset, BigInt(args.seq));
      const entry = handledReports.get(key) ?? { applied: 0, ignored: 0 };
      entry[kind] += 1;
      if (kind === "applied") entry.locked = args.locked;
      handledReports.set(key, entry);
    }
  }
  const executed = new Map<string, { count: number; stale: number; applied?: bigint }>();
  for (const spoke of net.protocol.spokes) {
    const client = net.chain(spoke.name).publicClient;
    const vault = spoke.contracts.vault;
    const [ran, stale] = await Promise.all([
      client.getContractEvents({
        address: vault,
        abi: collateralVaultAbi,
        eventName: "CommandExecuted",
        fromBlock: 0n,
        toBlock: "latest",
      }),
      client.getContractEvents({
        address: vault,
        abi: collateralVaultAbi,
        eventName: "StaleCommandIgnored",
        fromBlock: 0n,
        toBlock: "latest",
      }),
    ]);
    for (const log of ran) {
      const key = commandKey(spoke.chainId, log.args.account as Address, log.args.cmdNonce as bigint);
      const entry = executed.get(key) ?? { count: 0, stale: 0 };
      entry.count += 1;
      entry.applied = log.args.applied;
      executed.set(key, entry);
    }
    for (const log of stale) {
      const key = commandKey(spoke.chainId, log.args.account as Address, log.args.cmdNonce as bigint);
      const entry = executed.get(key) ?? { count: 0, stale: 0 };
      entry.stale += 1;
      executed.set(key, entry);
    }
  }

  let reports = 0;
  let commands = 0;
  for (const message of sent) {
    const decoded = decodeMessage(message.raw);
    if (decoded.type === "BalanceReport") {
      reports += 1;
      const handled = handledReports.get(reportKey(decoded.account, decoded.origin, decoded.asset, decoded.seq));
      if (!handled || handled.applied + handled.ignored !== 1) {
        violations.push(`${describe(message)}: hub handled it ${JSON.stringify(handled ?? {})} times`);
      } else if (handled.applied === 1 && handled.locked !== decoded.locked) {
        violations.push(
          `${describe(message)}: hub applied locked ${handled.locked}, the report said ${decoded.locked}`,
        );
      }
    } else {
      commands += 1;
      const run = executed.get(commandKey(Number(decoded.destination), decoded.account, decoded.cmdNonce));
      if (run?.count !== 1 || run.stale !== 0) {
        violations.push(`${describe(message)}: vault ran it ${JSON.stringify(run ?? {})}`);
      }
    }
  }
  return { messages: sent.length, reports, commands, violations };
}

/**
 * Each vault holds at least what its accounts own (USDC: the sum of the traders' totals plus what is
 * claimable), exactly so since only traders deposit; and the hub's ledger equals each spoke's last report:
 * the locked amount, the report sequence and the acknowledged command nonce, with nothing pending.
 */
export async function checkBalancesAndLedger(net: ChaosNet): Promise<string[]> {
  const violations: string[] = [];
  const hub = net.chain("hub").publicClient;
  for (const spoke of net.protocol.spokes) {
    const client = net.chain(spoke.name).publicClient;
    const token = spoke.tokens.USDC?.address as Address;
    const vault = spoke.contracts.vault;
    let totals = 0n;
    for (const trader of net.traderIndices()) {
      const account = net.address(trader);
      const [balance, claimable, lastNonce] = await Promise.all([
        client.readContract({
          address: vault,
          abi: collateralVaultAbi,
          functionName: "balanceOf",
          args: [account, token],
        }),
        client.readContract({
          address: vault,
          abi: collateralVaultAbi,
          functionName: "claimable",
          args: [account, token],
        }),
        client.readContract({
          address: vault,
          abi: collateralVaultAbi,
          functionName: "lastCommandNonce",
          args: [account],
        }),
      ]);
      totals += balance.total + claimable;
      if (balance.seq === 0) continue;
      const [entries] = await hub.readContract({
        address: net.protocol.hub.contracts.engine,
        abi: marginEngineAbi,
        functionName: "collateralOf",
        args: [account],
      });
      const entry = entries.find(
        (candidate) =>
          Number(candidate.chainId) === spoke.chainId && candidate.asset.toLowerCase() === token.toLowerCase(),
      );
      const onHub = entry && {
        locked: entry.reportedLocked,
        seq: entry.seq,
        acknowledged: entry.acknowledgedNonce,
        pending: entry.pendingDecrease,
      };
      const onSpoke = { locked: balance.locked, seq: balance.seq, acknowledged: lastNonce, pending: 0n };
      if (JSON.stringify(onHub, bigints) !== JSON.stringify(onSpoke, bigints)) {
        violations.push(
          `${spoke.name} trader ${account}: hub ledger ${JSON.stringify(onHub, bigints)} ≠ spoke ${JSON.stringify(onSpoke, bigints)}`,
        );
      }
    }
    const held = await client.readContract({
      address: token,
      abi: testTokenAbi,
      functionName: "balanceOf",
      args: [vault],
    });
    if (held !== totals) violations.push(`${spoke.name} vault holds ${held} USDC, its accounts own ${totals}`);
  }
  return violations;
}

const bigints = (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value);
const reportKey = (account: Address, chainId: bigint, asset: Address, seq: bigint) =>
  `${account.toLowerCase()}:${chainId}:${asset.toLowerCase()}:${seq}`;
const commandKey = (chainId: number, account: Address, nonce: bigint) => `${chainId}:${account.toLowerCase()}:${nonce}`;
const describe = (message: SentMessage) =>
  `${decodeMessage(message.raw).type} ${message.origin}→${message.destination} ${message.hash.slice(0, 10)}`;
