// Gas table of the issue's "Numbers": run with `scripts/run npx tsx test/gas/gas-report.ts`.
//
// Deploys hub + spoke A + spoke B on the in-process chains (test transport, no transport fee), drives
// each operation once and prints what it cost, beside the issue's targets. Writes test/gas/gas-report.json.
// Nothing here is tuned toward a target: each number is what the receipt (or estimateGas) says.
//
// How each number is measured (the "method" column):
//   tx       receipt.gasUsed of the transaction: 21000 + calldata + execution, what the sender pays.
//   exec     receipt.gasUsed − intrinsic (21000 + 4/16 gas per zero/non-zero calldata byte).
//   direct   the receiving contract's receiveMessage sent straight from its (impersonated) messenger,
//            receipt.gasUsed − intrinsic: the application's own cost without the test transport.
//   estimate estimateGas − intrinsic, for views (the issue's health view).
//   view-tx  the view sent as a transaction, receipt.gasUsed − intrinsic (cross-check of estimate:
//            estimateGas is the smallest gas limit that succeeds, which the 63/64 rule may lift above use).
//   tx−send  receipt.gasUsed minus what the vault's call to its messenger's send() cost (the CALL's
//            cold access and everything inside it, from a debug_traceTransaction step log): the
//            deposit without its transport, which differs per transport (see the transport rows).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Address, encodeFunctionData, type Hex, hexToBytes, parseUnits } from "viem";
import { CHAIN_IDS } from "../../sdk/chains.ts";
import { encodeMessage } from "../../sdk/codec/index.ts";
import type { Connection } from "../helpers/chains.ts";
import { writeFormattedJson } from "../helpers/formatted-json.ts";
import { HUB, priceId, SPOKE_A, SPOKE_B, SPOKE_C, WAD, wad } from "../helpers/hub.ts";
import { sentMessages } from "../helpers/messaging.ts";
import { deployProtocol } from "../helpers/protocol.ts";

const here = dirname(fileURLToPath(import.meta.url));
const progress = (text: string) => console.log(`… ${text}`);

/** 21000 + 4 per zero and 16 per non-zero calldata byte (the standard intrinsic cost; no access list). */
function intrinsicGas(data: Hex): bigint {
  let gas = 21_000n;
  for (const byte of hexToBytes(data)) gas += byte === 0 ? 4n : 16n;
  return gas;
}

interface Row {
  operation: string;
  /** What the number counts, see the header comment. */
  method: "tx" | "direct" | "estimate" | "view-tx" | "tx−send";
  /** receipt.gasUsed (tx, direct, view-tx) or estimateGas (estimate). */
  gas: number;
  intrinsic: number;
  /** gas − intrinsic. */
  execution: number;
  target?: { name: string; max: number; compared: "gas" | "execution"; met: boolean };
  note?: string;
}

const rows: Row[] = [];
const TARGETS = { deposit: 90_000, report: 60_000, health: 120_000 } as const;

async function measureTx(
  connection: Connection,
  hash: Hex,
  operation: string,
  method: Row["method"],
  extra: Partial<Row> = {},
): Promise<Row> {
  const client = await connection.viem.getPublicClient();
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`${operation}: reverted`);
  const transaction = await client.getTransaction({ hash });
  const intrinsic = intrinsicGas(transaction.input);
  const row: Row = {
    operation,
    method,
    gas: Number(receipt.gasUsed),
    intrinsic: Number(intrinsic),
    execution: Number(receipt.gasUsed - intrinsic),
    ...extra,
  };
  rows.push(row);
  progress(`${operation} [${method}]: ${row.gas} gas (execution ${row.execution})`);
  return row;
}

function withTarget(row: Row, name: keyof typeof TARGETS, compared: "gas" | "execution") {
  const max = TARGETS[name];
  row.target = { name, max, compared, met: row[compared] <= max };
}

// ---------------------------------------------------------------------------------------------- setup

progress("deploying hub, spoke A and spoke B (in-process chains, test transport)");
const protocol = await deployProtocol();
const { hub, spokes, relay } = protocol;
const { engine, connection: hubConnection } = hub;
const hubClient = await hubConnection.viem.getPublicClient();
const wallets = await hubConnection.viem.getWalletClients();
const walletAddress = (index: number): Address => {
  const wallet = wallets[index];
  if (!wallet) throw new Error(`no wallet ${index}`);
  return wallet.account.address;
};
const owner = walletAddress(0);
const liquidator = walletAddress(2);
// The engine's price cache on, as deployed: healthOf reads prices cached in the last 5 minutes; every
// state-changing path below reads the oracle live and refills the cache (its cost is in their rows).
const MAX_PRICE_AGE = 300;
await engine.write.setMaxPriceAge([MAX_PRICE_AGE]);
const spokeA = spokes.spokeA;
const usdcA = spokeA.tokens.find((t) => t.symbol === "USDC");
if (!usdcA) throw new Error("no USDC on spoke A");

interface TraceStep {
  op: string;
  gas: number;
  depth: number;
  stack?: Hex[];
}

/**
 * Gas of the top-level contract's CALLs to `callee` in transaction `hash`: for each, the gas left before
 * the CALL minus the gas left at the caller's next step (the call's own cost and all it ran).
 */
async function gasOfCallsTo(connection: Connection, hash: Hex, callee: Address): Promise<bigint> {
  const client = await connection.viem.getPublicClient();
  const trace = (await client.request({
    method: "debug_traceTransaction" as never,
    params: [hash, { disableMemory: true, disableStorage: true }] as never,
  })) as { structLogs: TraceStep[] };
  const steps = trace.structLogs;
  let spent = 0n;
  let calls = 0;
  for (let index = 0; index < steps.length; index++) {
    const step = steps[index] as TraceStep;
    if (step.depth !== 1 || step.op !== "CALL") continue;
    const target = step.stack?.at(-2);
    if (!target || BigInt(target) !== BigInt(callee)) continue;
    let next = index + 1;
    while (next < steps.length && (steps[next] as TraceStep).depth !== 1) next++;
    const after = steps[next];
    if (!after) throw new Error(`${hash}: the call to ${callee} never returned`);
    spent += BigInt(step.gas - after.gas);
    calls++;
  }
  if (calls === 0) throw new Error(`${hash}: no call to ${callee}`);
  return spent;
}

/** The deposit's row without its transport (method tx−send), against the deposit target unless `untargeted`. */
async function depositWithoutSend(hash: Hex, operation: string, measured: Row, untargeted?: string) {
  const send = await gasOfCallsTo(spokeA.connection, hash, spokeA.messenger.address);
  const row: Row = {
    operation: `${operation}, without the messenger's send`,
    method: "tx−send",
    gas: measured.gas - Number(send),
    intrinsic: measured.intrinsic,
    execution: measured.execution - Number(send),
    note: `the send() call to the TestMessenger cost ${send}${untargeted ? `; ${untargeted}` : ""}`,
  };
  if (!untargeted) withTarget(row, "deposit", "gas");
  rows.push(row);
  progress(`${row.operation} [${row.method}]: ${row.gas} gas (send ${send})`);
}

/** Delivers a raw message to a chain's application through its TestMessenger, returning the tx hash. */
async function deliver(to: "hub" | "spokeA", origin: bigint, raw: Hex): Promise<Hex> {
  if (to === "hub") return hub.messenger.write.deliver([engine.address, origin, raw]);
  return spokeA.messenger.write.deliver([spokeA.vault.address, origin, raw]);
}

/** Calls `receiver.receiveMessage` from its impersonated messenger: the application's cost alone. */
async function direct(connection: Connection, receiver: Address, messenger: Address, origin: bigint, raw: Hex) {
  await connection.networkHelpers.impersonateAccount(messenger);
  await connection.networkHelpers.setBalance(messenger, 10n ** 20n);
  const [wallet] = await connection.viem.getWalletClients();
  if (!wallet) throw new Error("no wallet");
  const data = encodeFunctionData({
    abi: [
      {
        type: "function",
        name: "receiveMessage",
        stateMutability: "nonpayable",
        inputs: [
          { name: "origin", type: "uint64" },
          { name: "message", type: "bytes" },
        ],
        outputs: [],
      },
    ],
    functionName: "receiveMessage",
    args: [origin, raw],
  });
  return wallet.sendTransaction({ account: messenger, to: receiver, data });
}

/** "closed a of b" for a position that was `before` in size. */
async function closedPart(account: Address, marketId: bigint, before: bigint) {
  const after = (await engine.read.positionOf([account, marketId])).size;
  const closed = before - (after < 0n ? -after : after);
  return closed === before ? "closed it whole" : `closed ${Number(closed) / 1e18} of ${Number(before) / 1e18}`;
}

async function spokeReceipt(hash: Hex) {
  return (await spokeA.connection.viem.getPublicClient()).waitForTransactionReceipt({ hash });
}

async function fundOnSpoke(account: Address, amount: bigint) {
  await usdcA?.token.write.mint([account, amount]);
  await usdcA?.token.write.approve([spokeA.vault.address, 2n ** 256n - 1n], { account });
}

// ---------------------------------------------------------------------------------------------- deposits and reports

progress("deposits on spoke A (USDC, TestToken = OpenZeppelin ERC20, unlimited approval), lockAsMargin = true");
const depositor = walletAddress(7);
const trader = walletAddress(6);
await fundOnSpoke(depositor, parseUnits("10000", 6));
await fundOnSpoke(trader, parseUnits("10000", 6));
const deposit = (account: Address, amount: string) =>
  spokeA.vault.write.deposit([usdcA.address, parseUnits(amount, 6), true], { account });
// One message through the spoke's TestMessenger first, so its message counter's first write (a cost of
// the test transport, not of the vault) is not charged to the deposits below.
await spokeA.vault.write.syncBalance([owner, usdcA.address]);

// The deposit target compares the vault without its transport ("without transport fee"); the tx rows
// with the test transport's send stay beside them. The first deposit of an asset a vault ever takes
// also pays the token for the vault's own fresh balance slot, once per asset and vault: shown, not
// compared.
const depositRows: [Hex, string, string?][] = [];
const firstEverHash = await deposit(depositor, "1000");
depositRows.push([
  firstEverHash,
  "deposit: first ever of the asset in the vault",
  "once per asset and vault: the token writes the vault's balance slot from zero (17,100 more than a later first deposit)",
]);
const firstHash = await deposit(trader, "2000");
depositRows.push([firstHash, "deposit: account's first of the asset"]);
const repeatHash = await deposit(trader, "500");
depositRows.push([repeatHash, "deposit: repeat"]);
for (const [hash, operation, untargeted] of depositRows) {
  await depositWithoutSend(hash, operation, await measureTx(spokeA.connection, hash, operation, "tx"), untargeted);
}

progress("balance reports applied on the hub");
const [firstReport] = sentMessages(await spokeReceipt(firstHash), spokeA.messenger.address);
const [repeatReport] = sentMessages(await spokeReceipt(repeatHash), spokeA.messenger.address);
if (!firstReport || !repeatReport) throw new Error("deposits sent no report");
// The report target compares the engine alone (the "direct" rows below), as the deposit target compares
// the vault without its transport: these rows add the test transport's delivery around it.
await measureTx(
  hubConnection,
  await deliver("hub", SPOKE_A, firstReport.raw),
  "report: first entry (via TestMessenger.deliver)",
  "tx",
);
await measureTx(
  hubConnection,
  await deliver("hub", SPOKE_A, repeatReport.raw),
  "report: update (via TestMessenger.deliver)",
  "tx",
);
// The same two reports for another account, straight into the engine.
const reportFor = (account: Address, locked: bigint, seq: bigint, lastCommandNonce = 0n) =>
  encodeMessage({
    type: "BalanceReport",
    origin: SPOKE_A,
    destination: HUB,
    account,
    asset: usdcA.address,
    total: locked,
    locked,
    seq,
    lastCommandNonce,
  });
const shadow = walletAddress(8);
withTarget(
  await measureTx(
    hubConnection,
    await direct(
      hubConnection,
      engine.address,
      hub.messenger.address,
      SPOKE_A,
      reportFor(shadow, parseUnits("2000", 6), 1n),
    ),
    "report: first entry (engine only)",
    "direct",
  ),
  "report",
  "execution",
);
withTarget(
  await measureTx(
    hubConnection,
    await direct(
      hubConnection,
      engine.address,
      hub.messenger.address,
      SPOKE_A,
      reportFor(shadow, parseUnits("2500", 6), 2n),
    ),
    "report: update (engine only)",
    "direct",
  ),
  "report",
  "execution",
);
await relay.flush();

// ---------------------------------------------------------------------------------------------- release and commands

progress("requestRelease and the Release command on spoke A");
const releaseHash = await engine.write.requestRelease([SPOKE_A, usdcA.address, parseUnits("300", 6), trader], {
  account: trader,
});
await measureTx(hubConnection, releaseHash, "requestRelease (1 entry, 0 positions)", "tx");
const [releaseCommand] = sentMessages(
  await hubClient.waitForTransactionReceipt({ hash: releaseHash }),
  hub.messenger.address,
);
if (!releaseCommand) throw new Error("no Release command");
// The same command for the depositor, straight into the vault, measured first on a twin state.
const twinRelease = await engine.write.requestRelease([SPOKE_A, usdcA.address, parseUnits("300", 6), depositor], {
  account: depositor,
});
const [twinCommand] = sentMessages(
  await hubClient.waitForTransactionReceipt({ hash: twinRelease }),
  hub.messenger.address,
);
if (!twinCommand) throw new Error("no Release command");
const releaseOnSpoke = await deliver("spokeA", HUB, releaseCommand.raw);
await measureTx(spokeA.connection, releaseOnSpoke, "spoke: execute Release (pays the wallet, reports back)", "tx");
await measureTx(
  spokeA.connection,
  await direct(spokeA.connection, spokeA.vault.address, spokeA.messenger.address, HUB, twinCommand.raw),
  "spoke: execute Release (vault only)",
  "direct",
);
const [ackReport] = sentMessages(await spokeReceipt(releaseOnSpoke), spokeA.messenger.address);
if (!ackReport) throw new Error("no acknowledging report");
withTarget(
  await measureTx(
    hubConnection,
    await deliver("hub", SPOKE_A, ackReport.raw),
    "report: acknowledges a Release, clears its pending decrease (via deliver)",
    "tx",
  ),
  "report",
  "gas",
);
await relay.flush();

progress("other user steps: lock, free withdrawal, trades (account with 1 entry)");
const locker = walletAddress(13);
await fundOnSpoke(locker, parseUnits("1000", 6));
await spokeA.vault.write.deposit([usdcA.address, parseUnits("1000", 6), false], { account: locker });
await measureTx(
  spokeA.connection,
  await spokeA.vault.write.lock([usdcA.address, parseUnits("400", 6)], { account: locker }),
  "spoke: lock free balance as margin (reports)",
  "tx",
);
await measureTx(
  spokeA.connection,
  await spokeA.vault.write.withdrawFree([usdcA.address, parseUnits("300", 6), locker], { account: locker }),
  "spoke: withdrawFree (pays at once, reports)",
  "tx",
);
await relay.flush();
await measureTx(
  hubConnection,
  await engine.write.trade([0n, wad("0.1"), 0n], { account: locker }),
  "trade: open a position (1 entry)",
  "tx",
);
await measureTx(
  hubConnection,
  await engine.write.trade([0n, wad("0.05"), 0n], { account: locker }),
  "trade: increase it",
  "tx",
);
await measureTx(
  hubConnection,
  await engine.write.trade([0n, wad("-0.15"), 0n], { account: locker }),
  "trade: close it",
  "tx",
);

progress("hub settle balance, liquidity pool and auto-margin opt-in; a spoke re-report");
await hub.fund(locker, "10000");
await measureTx(
  hubConnection,
  await engine.write.depositSettle([locker, parseUnits("1000", 6)], { account: locker }),
  "depositSettle (hub)",
  "tx",
);
await measureTx(
  hubConnection,
  await engine.write.withdrawSettle([parseUnits("400", 6), locker], { account: locker }),
  "withdrawSettle (hub, 1 entry, no position)",
  "tx",
);
await measureTx(
  hubConnection,
  await engine.write.depositLiquidity([parseUnits("2000", 6)], { account: locker }),
  "depositLiquidity (hub)",
  "tx",
);
const lockerShares = await engine.read.liquiditySharesOf([locker]);
await measureTx(
  hubConnection,
  await engine.write.withdrawLiquidity([lockerShares / 2n, locker], { account: locker }),
  "withdrawLiquidity (hub, half the shares)",
  "tx",
);
await measureTx(
  hubConnection,
  await engine.write.setAutoMargin([true], { account: locker }),
  "setAutoMargin (hub)",
  "tx",
);
await measureTx(
  spokeA.connection,
  await spokeA.vault.write.syncBalance([locker, usdcA.address], { account: locker }),
  "spoke: syncBalance (re-reports an account's balance)",
  "tx",
);
await relay.flush();

progress("perp and collateral liquidation (spoke A USDC: 1 entry, 1 position each)");
// Two accounts, 2000 USDC and 6 ETH long each: one for a partial perp liquidation (ETH at 2700), the
// other closes at 2600 with more debt than collateral, for a collateral liquidation.
const victim = walletAddress(9);
const debtor = walletAddress(12);
for (const account of [victim, debtor]) {
  await fundOnSpoke(account, parseUnits("2000", 6));
  await deposit(account, "2000");
}
await relay.flush();
for (const account of [victim, debtor]) await engine.write.trade([0n, wad("6"), 0n], { account });
await hub.setPrice("WETH", "2700");
await measureTx(
  hubConnection,
  await engine.write.liquidatePerp([victim, 0n], { account: liquidator }),
  `liquidatePerp (1 entry, 1 position: ${await closedPart(victim, 0n, wad("6"))})`,
  "tx",
);
await hub.setPrice("WETH", "2600");
await engine.write.trade([0n, wad("-6"), 0n], { account: debtor });
await hub.fund(liquidator, "100000");
const liquidationHash = await engine.write.liquidateCollateral([debtor, SPOKE_A, usdcA.address, 0n], {
  account: liquidator,
});
await measureTx(hubConnection, liquidationHash, "liquidateCollateral (1 entry, 0 positions, sends 2 Seize)", "tx");
const seizes = sentMessages(
  await hubClient.waitForTransactionReceipt({ hash: liquidationHash }),
  hub.messenger.address,
);
const [seizeToLiquidator, seizeToTreasury] = seizes;
if (!seizeToLiquidator || !seizeToTreasury) throw new Error("expected two Seize commands");
await measureTx(
  spokeA.connection,
  await deliver("spokeA", HUB, seizeToLiquidator.raw),
  "spoke: execute Seize to the liquidator (reports back)",
  "tx",
);
await measureTx(
  spokeA.connection,
  await deliver("spokeA", HUB, seizeToTreasury.raw),
  "spoke: execute Seize to the treasury (reports back)",
  "tx",
);
await relay.flush();

progress("bad debt: the debtor's collateral is all seized and its reports say so; its debt is left");
const badDebt = -(await engine.read.settleBalanceOf([debtor]));
const [, , insuranceBeforeBadDebt] = await engine.read.poolAccounts();
if (badDebt <= 0n) throw new Error("the debtor has no debt left to resolve");
const insuranceShare =
  badDebt <= insuranceBeforeBadDebt ? "insurance covers it all" : "insurance pays part, the rest socialised";
await measureTx(
  hubConnection,
  await engine.write.resolveBadDebt([debtor], { account: hub.keeper.account }),
  `resolveBadDebt (1 emptied entry, 0 positions: ${insuranceShare})`,
  "tx",
);
await hub.setPrice("WETH", "3000");

progress("auto-margin: a keeper locks free spoke balance of an opted-in account below initial health");
// 1000 USDC locked and 2000 free on spoke A, 6 ETH long at 3000: at 2900 its initial health is negative.
const autoMargined = walletAddress(14);
await fundOnSpoke(autoMargined, parseUnits("3000", 6));
await deposit(autoMargined, "1000");
await spokeA.vault.write.deposit([usdcA.address, parseUnits("2000", 6), false], { account: autoMargined });
await relay.flush();
await engine.write.setAutoMargin([true], { account: autoMargined });
await engine.write.trade([0n, wad("6"), 0n], { account: autoMargined });
await hub.setPrice("WETH", "2900");
const autoMarginHash = await engine.write.autoMarginLock([autoMargined, SPOKE_A, usdcA.address, parseUnits("500", 6)], {
  account: hub.keeper.account,
});
await measureTx(hubConnection, autoMarginHash, "autoMarginLock (1 entry, 1 position, sends Lock)", "tx");
const [lockCommand] = sentMessages(
  await hubClient.waitForTransactionReceipt({ hash: autoMarginHash }),
  hub.messenger.address,
);
if (!lockCommand) throw new Error("no Lock command");
await measureTx(
  spokeA.connection,
  await deliver("spokeA", HUB, lockCommand.raw),
  "spoke: execute Lock of free balance (reports back)",
  "tx",
);
if ((await spokeA.vault.read.balanceOf([autoMargined, usdcA.address])).locked !== parseUnits("1500", 6)) {
  throw new Error("the auto-margin Lock did not lock the 500 USDC it asked for");
}
await relay.flush();
await hub.setPrice("WETH", "3000");

progress("claim on spoke B: a Release the token refused to pay (blacklisted receiver) became a claim");
const spokeB = spokes.spokeB;
const busdB = spokeB.tokens.find((t) => t.blacklistToken);
if (!busdB?.blacklistToken) throw new Error("no blacklist token on spoke B");
const blacklisted = walletAddress(15);
const claimPayee = walletAddress(16);
await busdB.token.write.mint([blacklisted, parseUnits("500", 6)]);
await busdB.token.write.approve([spokeB.vault.address, 2n ** 256n - 1n], { account: blacklisted });
await spokeB.vault.write.deposit([busdB.address, parseUnits("500", 6), true], { account: blacklisted });
await relay.flush();
await busdB.blacklistToken.write.setBlacklisted([blacklisted, true]);
await engine.write.requestRelease([SPOKE_B, busdB.address, parseUnits("200", 6), blacklisted], {
  account: blacklisted,
});
await relay.flush();
if ((await spokeB.vault.read.claimable([blacklisted, busdB.address])) === 0n) {
  throw new Error("the refused Release left no claim");
}
await measureTx(
  spokeB.connection,
  await spokeB.vault.write.claim([busdB.address, claimPayee], { account: blacklisted }),
  "spoke: claim a payment the token refused (to a wallet without the token)",
  "tx",
);

// ---------------------------------------------------------------------------------------------- health views

progress("adding markets and assets for the health measurements (new feeds at 100 USD)");
const oracleConfig = (source: Address) => ({
  kind: 0,
  source,
  maxAge: 3600,
  minInterval: 60,
  maxDeviation: WAD,
  underlyingId: `0x${"00".repeat(32)}` as Hex,
  volatility: { sigmaRef: 0n, kMax: WAD, window: 60, rampDuration: 0 },
});
const feedFor = async (name: string) => {
  const feed = await hubConnection.viem.deployContract("MockAggregatorV3", [8, parseUnits("100", 8)]);
  await hub.oracle.write.addPriceId([priceId(name), oracleConfig(feed.address)]);
  return priceId(name);
};
const MARKET_COUNT = 20;
for (let id = 2; id < MARKET_COUNT; id++) {
  await engine.write.configureMarket([
    BigInt(id),
    {
      priceId: await feedFor(`MKT${id}`),
      marginInit: wad("0.05"),
      marginMaint: wad("0.03"),
      sizeFactor: 0n,
      takerFee: 0n,
      lotSize: wad("0.001"),
      openInterestCap: wad("1000000"),
      maxFundingRatePerSecond: 0n,
      skewScale: wad("1000"),
    },
  ]);
}
const EXTRA_ASSETS = ["SOL", "LINK"] as const;
const CHAINS = [SPOKE_A, SPOKE_B, SPOKE_C, HUB] as const;
const fakeToken = (assetId: number, chainId: bigint): Address =>
  `0x${(BigInt(assetId + 1) * 0x1000n + chainId).toString(16).padStart(40, "0")}`;
for (const [i, name] of EXTRA_ASSETS.entries()) {
  const assetId = 3 + i;
  await engine.write.configureAsset([
    BigInt(assetId),
    { priceId: await feedFor(name), weightInit: wad("0.7"), weightMaint: wad("0.75"), sizeFactor: 0n },
  ]);
  for (const chainId of CHAINS) {
    await engine.write.configureCollateralToken([chainId, fakeToken(assetId, chainId), assetId, 18, true]);
  }
}
const ASSET_IDS = [0, 1, 2, 3, 4];
const decimalsOf = (assetId: number) => (assetId === 0 ? 6 : assetId === 2 ? 8 : 18);

const seqs = new Map<string, bigint>();
/** A report straight from "chainId" for a deployHub test token (no vault behind it). */
async function fakeReport(account: Address, chainId: bigint, assetId: number, amount: string) {
  const key = `${account}:${chainId}:${assetId}`;
  const seq = (seqs.get(key) ?? 0n) + 1n;
  seqs.set(key, seq);
  const locked = parseUnits(amount, decimalsOf(assetId));
  await hub.messenger.write.deliver([
    engine.address,
    chainId,
    encodeMessage({
      type: "BalanceReport",
      origin: chainId,
      destination: HUB,
      account,
      asset: fakeToken(assetId, chainId),
      total: locked,
      locked,
      seq,
      lastCommandNonce: 0n,
    }),
  ]);
}

async function healthGas(account: Address) {
  const data = encodeFunctionData({ abi: engine.abi, functionName: "healthOf", args: [account] });
  const intrinsic = intrinsicGas(data);
  const estimate = await hubClient.estimateGas({ to: engine.address, data, account: owner });
  const [wallet] = wallets;
  if (!wallet) throw new Error("no wallet");
  const hash = await wallet.sendTransaction({ to: engine.address, data });
  const receipt = await hubClient.waitForTransactionReceipt({ hash });
  return { estimate, intrinsic, execution: estimate - intrinsic, viaTx: receipt.gasUsed - intrinsic };
}

async function healthRows(account: Address, label: string, target: boolean) {
  const gas = await healthGas(account);
  const row: Row = {
    operation: label,
    method: "estimate",
    gas: Number(gas.estimate),
    intrinsic: Number(gas.intrinsic),
    execution: Number(gas.execution),
  };
  if (target) withTarget(row, "health", "execution");
  rows.push(row);
  rows.push({
    operation: label,
    method: "view-tx",
    gas: Number(gas.viaTx + gas.intrinsic),
    intrinsic: Number(gas.intrinsic),
    execution: Number(gas.viaTx),
  });
  progress(`${label}: estimate − intrinsic ${gas.execution}, as a tx ${gas.viaTx}`);
}

progress("oracle reads (what each new price id costs a health evaluation)");
for (const functionName of ["getPrice", "volatilityMultipliers"] as const) {
  const data = encodeFunctionData({ abi: hub.oracle.abi, functionName, args: [priceId("WETH")] });
  const estimate = await hubClient.estimateGas({ to: hub.oracle.address, data, account: owner });
  const intrinsic = intrinsicGas(data);
  rows.push({
    operation: `oracle.${functionName} (one price id, called alone)`,
    method: "estimate",
    gas: Number(estimate),
    intrinsic: Number(intrinsic),
    execution: Number(estimate - intrinsic),
    note: "diagnostic: RiskViews reads both once per asset and again per market, each a cold external call",
  });
  progress(`oracle.${functionName}: ${estimate - intrinsic}`);
}

progress("account with 6 collateral entries and 4 positions");
const big = walletAddress(1);
const sixEntries: [bigint, number, string][] = [
  [SPOKE_A, 0, "1000"],
  [SPOKE_A, 1, "0.2"],
  [SPOKE_A, 2, "0.01"],
  [SPOKE_B, 0, "500"],
  [SPOKE_B, 1, "0.1"],
  [SPOKE_C, 1, "0.1"],
];
for (const [chainId, assetId, amount] of sixEntries) await fakeReport(big, chainId, assetId, amount);
for (const [marketId, delta] of [
  [0n, wad("5")],
  [1n, wad("-0.2")],
  [2n, wad("50")],
  [3n, wad("-40")],
] as const) {
  await engine.write.trade([marketId, delta, 0n], { account: big });
}
// A keeper refreshes the cache of every feed the account uses (the trades above already cached theirs;
// this refresh is what keeps the view fresh between trades).
const bigPriceIds = [priceId("USDC"), priceId("WETH"), priceId("WBTC"), priceId("MKT2"), priceId("MKT3")];
await measureTx(
  hubConnection,
  await engine.write.refreshPrices([bigPriceIds]),
  `refreshPrices (${bigPriceIds.length} price ids)`,
  "tx",
);
await healthRows(big, "healthOf (6 entries, 4 positions)", true);
await measureTx(
  hubConnection,
  await engine.write.requestRelease([SPOKE_A, fakeToken(0, SPOKE_A), parseUnits("100", 6), big], { account: big }),
  "requestRelease (6 entries, 4 positions)",
  "tx",
);
// Every market moves 8% against the account: it becomes liquidatable.
await hub.setPrice("WETH", "2760");
await hub.setPrice("WBTC", "64800");
for (const id of [2, 3]) {
  const feedAddress = (await hub.oracle.read.priceConfig([priceId(`MKT${id}`)])).source;
  const feed = await hubConnection.viem.getContractAt("MockAggregatorV3", feedAddress);
  await feed.write.setAnswer([parseUnits(id === 2 ? "92" : "108", 8)]);
}
const bigHealth = await engine.read.healthOf([big]);
if (bigHealth.liquidatable) {
  const hash = await engine.write.liquidatePerp([big, 0n], { account: liquidator });
  await measureTx(
    hubConnection,
    hash,
    `liquidatePerp (6 entries, 4 positions: ${await closedPart(big, 0n, wad("5"))})`,
    "tx",
  );
} else {
  progress("the 6 + 4 account did not become liquidatable: no row for its perp liquidation");
}
await hub.setPrice("WETH", "3000");
await hub.setPrice("WBTC", "60000");
for (const id of [2, 3]) {
  const feedAddress = (await hub.oracle.read.priceConfig([priceId(`MKT${id}`)])).source;
  const feed = await hubConnection.viem.getContractAt("MockAggregatorV3", feedAddress);
  await feed.write.setAnswer([parseUnits("100", 8)]);
}

// A keeper's refresh of every feed, so the growth curves below read the cache throughout.
await engine.write.refreshPrices([
  [
    ...["USDC", "WETH", "WBTC", ...EXTRA_ASSETS],
    ...Array.from({ length: MARKET_COUNT - 2 }, (_, i) => `MKT${i + 2}`),
  ].map((name) => priceId(name)),
]);
progress("healthOf growth: 1..20 collateral entries, no positions");
const entryGrowth: { count: number; estimate: number; viaTx: number }[] = [];
const entryAccount = walletAddress(10);
let count = 0;
for (const chainId of CHAINS) {
  for (const assetId of ASSET_IDS) {
    await fakeReport(entryAccount, chainId, assetId, assetId === 0 ? "1000" : "1");
    count++;
    const gas = await healthGas(entryAccount);
    entryGrowth.push({ count, estimate: Number(gas.execution), viaTx: Number(gas.viaTx) });
    progress(`  ${count} entries: ${gas.execution} (as a tx ${gas.viaTx})`);
  }
}

progress(`healthOf growth: 1..${MARKET_COUNT} positions, 1 collateral entry`);
const positionGrowth: { count: number; estimate: number; viaTx: number }[] = [];
const positionAccount = walletAddress(11);
await fakeReport(positionAccount, SPOKE_A, 0, "10000000");
for (let marketId = 0; marketId < MARKET_COUNT; marketId++) {
  const lot = marketId === 1 ? wad("0.01") : wad("1");
  await engine.write.trade([BigInt(marketId), lot, 0n], { account: positionAccount });
  const gas = await healthGas(positionAccount);
  positionGrowth.push({ count: marketId + 1, estimate: Number(gas.execution), viaTx: Number(gas.viaTx) });
  progress(`  ${marketId + 1} positions: ${gas.execution} (as a tx ${gas.viaTx})`);
}

/** Least-squares slope of gas over count. */
function slope(points: { count: number; estimate: number }[]) {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.count, 0) / n;
  const my = points.reduce((s, p) => s + p.estimate, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.count - mx) * (p.estimate - my), 0);
  const sxx = points.reduce((s, p) => s + (p.count - mx) ** 2, 0);
  return sxy / sxx;
}
const deltas = (points: { count: number; estimate: number }[]) =>
  points.slice(1).map((p, i) => p.estimate - (points[i]?.estimate ?? 0));
const entryDeltas = deltas(entryGrowth);
const positionDeltas = deltas(positionGrowth);
const growth = {
  entries: {
    points: entryGrowth,
    marginalPerEntry: Math.round(slope(entryGrowth)),
    deltas: entryDeltas,
    order:
      "chain-major: spoke A (USDC, WETH, WBTC, SOL, LINK), then spoke B, spoke C, hub; an entry of an asset already seen needs no new oracle read",
  },
  positions: {
    points: positionGrowth,
    marginalPerPosition: Math.round(slope(positionGrowth)),
    deltas: positionDeltas,
    note: "each position in its own market with its own feed",
  },
};

// ---------------------------------------------------------------------------------------------- output

const status = (row: Row) =>
  row.target ? `${row.target.met ? "met" : "NOT MET"} (≤ ${row.target.max / 1000}k on ${row.target.compared})` : "";
const table = [
  ["operation", "method", "gas", "intrinsic", "execution", "target"],
  ...rows.map((row) => [row.operation, row.method, `${row.gas}`, `${row.intrinsic}`, `${row.execution}`, status(row)]),
];
const widths = table[0]?.map((_, column) => Math.max(...table.map((line) => (line[column] ?? "").length))) ?? [];
const render = (line: string[]) => line.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ");
console.log("");
console.log(render(table[0] ?? []));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const line of table.slice(1)) console.log(render(line));
console.log("");
console.log(
  `healthOf growth, entries 1..20 (0 positions): ${entryGrowth.map((p) => p.estimate).join(", ")}\n` +
    `  marginal per entry: ${growth.entries.marginalPerEntry} (least squares); steps ${entryDeltas.join(", ")}`,
);
console.log(
  `healthOf growth, positions 1..${MARKET_COUNT} (1 entry): ${positionGrowth.map((p) => p.estimate).join(", ")}\n` +
    `  marginal per position: ${growth.positions.marginalPerPosition} (least squares); steps ${positionDeltas.join(", ")}`,
);

const report = {
  generatedAt: new Date().toISOString(),
  environment: {
    chains: { hub: CHAIN_IDS.hub, spokeA: CHAIN_IDS.spokeA, spokeB: CHAIN_IDS.spokeB },
    node: "Hardhat 3 EDR in-process (edr-simulated, default hardfork), solc 0.8.30 as hardhat.config.ts",
    transport: "TestMessenger (test transport): no fee; send() emits one event",
    tokens: "TestToken (OpenZeppelin ERC20) with unlimited approval",
    warmUp:
      "the spoke's TestMessenger sent one message before the deposits (its counter's first write is not the vault's cost)",
  },
  methods: {
    tx: "receipt.gasUsed of the transaction (21000 + calldata + execution)",
    direct:
      "receiveMessage sent by the impersonated messenger, receipt.gasUsed; execution = gasUsed − 21000 − calldata",
    estimate: "estimateGas; execution = estimateGas − 21000 − calldata (4/16 per zero/non-zero byte)",
    "view-tx": "the view sent as a transaction; execution = receipt.gasUsed − 21000 − calldata",
    "tx−send":
      "receipt.gasUsed minus the gas of the vault's CALL to its messenger's send() (cold access and all it ran), from debug_traceTransaction",
  },
  targets: TARGETS,
  rows,
  growth,
};
const output = join(here, "gas-report.json");
writeFormattedJson(output, report);
console.log(`\nwrote ${join("test", "gas", "gas-report.json")}`);
process.exit(0);
