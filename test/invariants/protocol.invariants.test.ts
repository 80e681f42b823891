// Protocol invariants under seeded random sequences of actions over hub + spoke A + spoke B.
//
// Messages travel over the test transport: TestRelay flushes at random moments (so messages sit in
// flight while the hub and the spokes go on), and on top of it the suite delivers messages straight
// through TestMessenger.deliver: duplicates of delivered ones, in-flight ones ahead of their turn, and
// whole in-flight batches in reverse order (TestRelay then delivers them again, in order).
//
// Reproduce a failure with the seed it prints:
//   INVARIANT_SEED=<seed> [INVARIANT_STEPS=<n>] scripts/run npx vitest run test/invariants
//
// Invariants (see `checkStep`, `checkFlushed`, `checkValues` and the actions that check right after):
//   (a)  each vault: token balance ≥ Σ totals + Σ claimable (and, since every token flow here is the
//        suite's own, equality: nothing is stranded); locked ≤ total for every balance.
//   (b)  hub: every entry has pendingDecrease ≤ reportedLocked (so Σ pending ≤ Σ reported locked) and
//        counted = reported − pending.
//   (c)  right after a successful release, settle withdrawal or risk-increasing trade: H^init ≥ 0.
//   (c') a trade that adds no risk (reduce/close) never reverts, and lowers H^init by at most its fee.
//   (d)  a perp liquidation raises H^LE, or closes the position.
//   (d') a full collateral liquidation (maxRepay 0) raises H^LE, or repays all debt, or empties the
//        entry; the liquidator gets at most (1+λ)·repay in value at the liquidation price. (A partial
//        one, capped by the liquidator's maxRepay, may lower H^LE on high-weight collateral: that is
//        counted and printed as an observation, not failed; the spec sizes only the full one.)
//   (e)  once everything is flushed: for every (account, chain, asset) the hub's reportedLocked and seq
//        equal the spoke's locked and seq, nothing is pending, and no command is parked.
//   (f)  no account ends with more than it put in plus its PnL (inequality in `checkValues`).
//   (g)  hub books: settle token held by the engine = Σ settle balances + pool balance + insurance fund.
//   (h)  market aggregates (open interest per side, Σ size·entry) match the accounts' positions.
//   (r3) a duplicate of a delivered message changes nothing on its receiver.
// Each run ends with a wind-down (liquidate everything liquidatable, deliver everything, resolve bad
// debt) and the settled-state checks. Things worth a look that are not failures (partial liquidations
// lowering H^LE, liquidations that seize nothing, bad debt that cannot be resolved) are printed as
// observations with the run's statistics. The last describe pins a violation found here once: rounding dust that blocked bad-debt resolution.
import type { ContractReturnType } from "@nomicfoundation/hardhat-viem/types";
import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  type Hex,
  parseEventLogs,
  parseUnits,
  type TransactionReceipt,
  zeroAddress,
} from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { type AssetName, HUB, MARKETS, SPEC_RISK_PARAMS, SPOKE_A, WAD, wad } from "../helpers/hub.ts";
import { MessageLog } from "../helpers/message-log.ts";
import { deployProtocol, type Protocol, type SpokeToken } from "../helpers/protocol.ts";
import { createRandom, type Random } from "../risk/random.ts";

/** Fixed seeds for CI; `INVARIANT_SEED=a,b,…` replays given ones, `INVARIANT_SEED=random` draws one. */
const SEEDS =
  process.env.INVARIANT_SEED === undefined
    ? [0x0c0ffee1, 0x51a7e002, 0xbadde3b7, 0x7e57ab1e]
    : process.env.INVARIANT_SEED === "random"
      ? [Math.floor(Math.random() * 2 ** 32)]
      : process.env.INVARIANT_SEED.split(",").map(Number);
const STEPS = Number(process.env.INVARIANT_STEPS ?? 250);

const TAKER_FEE = wad("0.0005");
/** 1e-8 per second at full skew (skewScale 1000 base units). */
const FUNDING_RATE = 10n ** 10n;
const MARKET_IDS = [MARKETS["ETH-PERP"].id, MARKETS["BTC-PERP"].id] as const;
const MARKET_FEED: Record<string, AssetName> = { "0": "WETH", "1": "WBTC" };
const LOT: Record<string, bigint> = { "0": MARKETS["ETH-PERP"].lotSize, "1": MARKETS["BTC-PERP"].lotSize };
/** Initial feed prices (8 decimals) and the band the suite keeps them in (the oracle's deviation bound is 100%). */
const INITIAL_PRICE: Record<AssetName, bigint> = {
  USDC: parseUnits("1", 8),
  WETH: parseUnits("3000", 8),
  WBTC: parseUnits("60000", 8),
};
/** Funding that can accrue between a view and the next block (one second), far above the real amount. */
const FUNDING_SLACK = wad("0.01");

type Engine = ContractReturnType<"MarginEngine">;

interface Ledger {
  label: string;
  address: Address;
  /** Spoke tokens minted to the account, by token key. */
  mintedTokens: Map<string, bigint>;
  /** Hub settle tokens minted to the account (6 decimals). */
  mintedHub: bigint;
  /** Σ −Δn·price over every fill of the account's positions (trades and liquidations), WAD. */
  cashflow: bigint;
  /** Σ fundingPaid of the account's PositionChanged events. */
  fundingPaid: bigint;
  takerFees: bigint;
  liquidationFeesPaid: bigint;
  /** As liquidator: perp liquidation fees earned, settle paid for collateral, collateral commanded to it. */
  liquidatorFees: bigint;
  repaid: bigint;
  seizedTo: Map<string, bigint>;
  /** As liquidated account: settle credited for repaid debt, collateral commanded away. */
  repayCredited: bigint;
  seizedFrom: Map<string, bigint>;
  forgiven: bigint;
}

const tokenKey = (token: SpokeToken) => `${token.spoke}:${token.symbol}`;
const abs = (x: bigint) => (x < 0n ? -x : x);
const mulWadUp = (x: bigint, y: bigint) => (x * y + WAD - 1n) / WAD;
const fmt = (x: bigint) => `${Number(x) / 1e18}`;

/** The custom error (or panic) name a viem call failed with, if it reverted. */
function revertName(error: unknown): string | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (revert instanceof ContractFunctionRevertedError) {
    return revert.data?.errorName ?? revert.signature ?? revert.reason ?? "UnknownRevert";
  }
  return undefined;
}

class Scenario {
  readonly log = new MessageLog();
  readonly stats = new Map<string, number>();
  readonly trail: string[] = [];
  /** Noteworthy events that are not failures: text → first step and count. */
  readonly observations = new Map<string, { step: number; count: number }>();
  readonly prices: Record<AssetName, bigint> = { ...INITIAL_PRICE };
  readonly ledgers: Ledger[] = [];
  traders: Ledger[] = [];
  liquidator!: Ledger;
  lp!: Address;
  keeper!: Address;
  owner!: Address;
  engine!: Engine;
  autoMargin = new Set<Address>();
  blacklisted = new Set<Address>();
  step = 0;

  constructor(
    readonly p: Protocol,
    readonly random: Random,
  ) {
    this.engine = p.hub.engine;
  }

  // ------------------------------------------------------------------ setup

  async setup() {
    const { hub, spokes, tokens } = this.p;
    for (const [chainId, connection, messenger, receiver] of [
      [HUB, hub.connection, hub.messenger.address, hub.engine.address],
      [spokes.spokeA.chainId, spokes.spokeA.connection, spokes.spokeA.messenger.address, spokes.spokeA.vault.address],
      [spokes.spokeB.chainId, spokes.spokeB.connection, spokes.spokeB.messenger.address, spokes.spokeB.vault.address],
    ] as const) {
      this.log.add({ chainId, connection, messenger, receiver });
    }
    const wallets = await hub.connection.viem.getWalletClients();
    const address = (index: number) => {
      const wallet = wallets[index];
      if (!wallet) throw new Error(`no wallet ${index}`);
      return wallet.account.address;
    };
    this.owner = address(0);
    this.keeper = address(3);
    this.lp = address(4);
    const ledger = (label: string, account: Address): Ledger => {
      const entry: Ledger = {
        label,
        address: account,
        mintedTokens: new Map(),
        mintedHub: 0n,
        cashflow: 0n,
        fundingPaid: 0n,
        takerFees: 0n,
        liquidationFeesPaid: 0n,
        liquidatorFees: 0n,
        repaid: 0n,
        seizedTo: new Map(),
        repayCredited: 0n,
        seizedFrom: new Map(),
        forgiven: 0n,
      };
      this.ledgers.push(entry);
      return entry;
    };
    this.traders = [ledger("trader1", address(1)), ledger("trader2", address(5)), ledger("trader3", address(6))];
    this.liquidator = ledger("liquidator", address(2));

    const grants: Record<string, string> = { USDC: "20000", WETH: "4", WBTC: "0.15", BUSD: "10000" };
    for (const trader of this.traders) {
      for (const token of tokens) {
        const amount = parseUnits(grants[token.symbol] ?? "0", token.decimals);
        await token.token.write.mint([trader.address, amount]);
        await token.token.write.approve([spokes[token.spoke].vault.address, 2n ** 256n - 1n], {
          account: trader.address,
        });
        trader.mintedTokens.set(tokenKey(token), amount);
      }
      await hub.fund(trader.address, "3000");
      trader.mintedHub += parseUnits("3000", 6);
    }
    await hub.fund(this.liquidator.address, "500000");
    this.liquidator.mintedHub += parseUnits("500000", 6);
    await hub.fund(this.lp, "2000000");
    await this.engine.write.depositLiquidity([parseUnits("1500000", 6)], { account: this.lp });
    await hub.fund(this.keeper, "5000");
    await this.engine.write.fundInsurance([parseUnits("5000", 6)], { account: this.keeper });
    for (const trader of this.traders.slice(0, 2)) {
      await this.engine.write.setAutoMargin([true], { account: trader.address });
      this.autoMargin.add(trader.address);
    }
    // Every trader starts with some margin so the first steps already trade.
    for (const trader of this.traders) {
      for (const token of [this.random.pick(this.p.tokens), this.random.pick(this.p.tokens)]) {
        const wallet = await token.token.read.balanceOf([trader.address]);
        await this.spokeOf(token).vault.write.deposit([token.address, wallet / 2n, true], { account: trader.address });
      }
    }
    await this.flush();
  }

  // ------------------------------------------------------------------ utilities

  count(key: string) {
    this.stats.set(key, (this.stats.get(key) ?? 0) + 1);
  }

  observe(text: string) {
    const seen = this.observations.get(text);
    if (seen) seen.count++;
    else this.observations.set(text, { step: this.step, count: 1 });
  }

  note(text: string) {
    this.trail.push(`#${this.step} ${text}`);
    if (this.trail.length > 40) this.trail.shift();
  }

  priceWad(asset: AssetName) {
    return this.prices[asset] * 10n ** 10n;
  }

  marketPrice(marketId: bigint) {
    return this.priceWad(MARKET_FEED[marketId.toString()] as AssetName);
  }

  valueOf(token: SpokeToken, units: bigint) {
    return (units * this.priceWad(token.asset)) / 10n ** BigInt(token.decimals);
  }

  spokeOf(token: SpokeToken) {
    return this.p.spokes[token.spoke];
  }

  async receipt(client: "hub" | SpokeToken["spoke"], hash: Hex): Promise<TransactionReceipt> {
    const connection = client === "hub" ? this.p.hub.connection : this.p.spokes[client].connection;
    const publicClient = await connection.viem.getPublicClient();
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
    return receipt;
  }

  /** Sends a transaction; a revert with one of `allowed` is a rejection (counted), any other is a failure. */
  async attempt(
    label: string,
    chain: "hub" | SpokeToken["spoke"],
    send: () => Promise<Hex>,
    allowed: readonly string[] = [],
  ): Promise<TransactionReceipt | undefined> {
    try {
      const receipt = await this.receipt(chain, await send());
      this.count(`${label}:ok`);
      return receipt;
    } catch (error) {
      const name = revertName(error);
      if (name !== undefined && allowed.includes(name)) {
        this.count(`${label}:${name}`);
        this.note(`  → rejected ${name}`);
        return undefined;
      }
      throw error;
    }
  }

  engineEvents(receipt: TransactionReceipt) {
    return parseEventLogs({ abi: this.engine.abi, logs: receipt.logs });
  }

  async health(account: Address) {
    return this.engine.read.healthOf([account]);
  }

  async collateralEntries(account: Address) {
    const [entries, counted] = await this.engine.read.collateralOf([account]);
    return entries.map((entry, i) => ({ ...entry, counted: counted[i] ?? 0n }));
  }

  tokenFor(chainId: bigint, asset: Address): SpokeToken {
    const token = this.p.tokens.find((t) => t.chainId === chainId && t.address.toLowerCase() === asset.toLowerCase());
    if (!token) throw new Error(`unknown token ${chainId}/${asset}`);
    return token;
  }

  async flush() {
    await this.p.relay.flush();
    await this.log.markFlushed();
  }

  // ------------------------------------------------------------------ actions

  async deposit() {
    const trader = this.random.pick(this.traders);
    const token = this.random.pick(this.p.tokens);
    const wallet = await token.token.read.balanceOf([trader.address]);
    if (wallet === 0n) return this.count("deposit:skip");
    const amount = this.random.bigint(1n, wallet / (this.random.chance(0.2) ? 1n : 3n) || 1n);
    const lock = this.random.chance(0.7);
    this.note(`${trader.label} deposit ${amount} ${tokenKey(token)} lock=${lock}`);
    await this.attempt("deposit", token.spoke, () =>
      this.spokeOf(token).vault.write.deposit([token.address, amount, lock], { account: trader.address }),
    );
  }

  async lock() {
    const trader = this.random.pick(this.traders);
    const token = this.random.pick(this.p.tokens);
    const balance = await this.spokeOf(token).vault.read.balanceOf([trader.address, token.address]);
    const free = BigInt(balance.total) - BigInt(balance.locked);
    if (free === 0n) return this.count("lock:skip");
    const amount = this.random.bigint(1n, free);
    this.note(`${trader.label} lock ${amount} ${tokenKey(token)}`);
    await this.attempt("lock", token.spoke, () =>
      this.spokeOf(token).vault.write.lock([token.address, amount], { account: trader.address }),
    );
  }

  async withdrawFree() {
    const trader = this.random.pick(this.traders);
    const token = this.random.pick(this.p.tokens);
    if (token.blacklist && this.blacklisted.has(trader.address)) return this.count("withdrawFree:skip");
    const balance = await this.spokeOf(token).vault.read.balanceOf([trader.address, token.address]);
    const free = BigInt(balance.total) - BigInt(balance.locked);
    if (free === 0n) return this.count("withdrawFree:skip");
    const amount = this.random.chance(0.3) ? free : this.random.bigint(1n, free);
    this.note(`${trader.label} withdrawFree ${amount} ${tokenKey(token)}`);
    await this.attempt("withdrawFree", token.spoke, () =>
      this.spokeOf(token).vault.write.withdrawFree([token.address, amount, trader.address], {
        account: trader.address,
      }),
    );
  }

  async trade() {
    const trader = this.random.pick(this.traders);
    const marketId = this.random.pick(MARKET_IDS);
    const lot = LOT[marketId.toString()] as bigint;
    const price = this.marketPrice(marketId);
    const [position, before] = await Promise.all([
      this.engine.read.positionOf([trader.address, marketId]),
      this.health(trader.address),
    ]);
    const size = BigInt(position.size);
    // Size against the initial headroom (MF^init 5%), overshooting it now and then.
    const headroom = before.healthInit > 0n ? (before.healthInit * WAD * 20n) / price : lot * 10n;
    const sized = (fraction: number) => {
      const raw = (headroom * BigInt(Math.round(fraction * 1e6))) / 1_000_000n;
      return raw < lot ? lot : raw - (raw % lot);
    };
    const kind = size === 0n ? "open" : this.random.pick(["increase", "reduce", "close", "flip", "increase"] as const);
    const side = size === 0n ? (this.random.chance(0.5) ? 1n : -1n) : size > 0n ? 1n : -1n;
    let delta: bigint;
    if (kind === "open" || kind === "increase") delta = side * sized(0.05 + this.random.int(0, 125) / 100);
    else if (kind === "close") delta = -size;
    else if (kind === "reduce") {
      const cut = (abs(size) * BigInt(this.random.int(5, 95))) / 100n;
      const lots = cut - (cut % lot);
      delta = -side * (lots === 0n ? abs(size) : lots);
    } else delta = -size - side * sized(0.05 + this.random.int(0, 110) / 100);
    const newSize = size + delta;
    const increasesRisk = abs(newSize) > abs(size) || (newSize !== 0n && newSize > 0n !== size > 0n);
    this.note(
      `${trader.label} trade ${kind} m${marketId} ${fmt(delta)} (size ${fmt(size)}) at ${fmt(price)}; H^init ${fmt(before.healthInit)}`,
    );
    const receipt = await this.attempt(
      increasesRisk ? "trade:risk+" : "trade:reduce",
      "hub",
      () => this.engine.write.trade([marketId, delta, 0n], { account: trader.address }),
      // (c') closing is never blocked: a trade that adds no risk must not revert.
      increasesRisk ? ["InitialHealthViolated", "OpenInterestCapExceeded"] : [],
    );
    if (!receipt) return;

    const event = this.engineEvents(receipt).find((e) => e.eventName === "PositionChanged");
    if (event?.eventName !== "PositionChanged") throw new Error("no PositionChanged");
    const expectedFee = mulWadUp(mulWadUp(abs(delta), price), TAKER_FEE);
    expect(event.args.price, "fill at the oracle price").toBe(price);
    expect(event.args.fee, "taker fee = |Δ|·p·fee rounded up").toBe(expectedFee);
    expect(event.args.newSize).toBe(newSize);
    trader.cashflow -= (delta * price) / WAD;
    trader.fundingPaid += event.args.fundingPaid;
    trader.takerFees += event.args.fee;

    const after = await this.health(trader.address);
    if (increasesRisk) {
      // (c)
      expect(after.healthInit, "(c) a risk-increasing trade left H^init < 0").toBeGreaterThanOrEqual(0n);
    } else {
      // (c')
      expect(
        after.healthInit,
        `(c') a reducing trade lowered H^init by more than its fee: ${fmt(before.healthInit)} → ${fmt(after.healthInit)}, fee ${fmt(event.args.fee)}`,
      ).toBeGreaterThanOrEqual(before.healthInit - event.args.fee - FUNDING_SLACK);
    }
  }

  async movePrice() {
    const asset = this.random.pick(["WETH", "WETH", "WBTC", "WBTC", "USDC"] as const);
    const initial = INITIAL_PRICE[asset];
    let bps: number;
    if (asset === "USDC") bps = this.random.int(-50, 50);
    else if (this.random.chance(0.2)) bps = -this.random.int(800, 2500);
    else if (this.random.chance(0.1)) bps = this.random.int(500, 2000);
    else bps = this.random.int(-600, 600);
    let next = (this.prices[asset] * BigInt(10_000 + bps)) / 10_000n;
    const [low, high] = asset === "USDC" ? [97n, 102n] : [45n, 190n];
    if (next < (initial * low) / 100n) next = (initial * low) / 100n;
    if (next > (initial * high) / 100n) next = (initial * high) / 100n;
    this.prices[asset] = next;
    this.note(`price ${asset} ${bps}bps → ${Number(next) / 1e8}`);
    await this.p.hub.feeds[asset].write.setAnswer([next]);
    this.count("price");
  }

  async advanceTime() {
    const seconds = this.random.int(30, 1800);
    this.note(`time +${seconds}s`);
    await this.p.hub.connection.networkHelpers.time.increase(seconds);
    // Keep every feed fresh: staleness is the adversarial suite's subject, not this one's.
    for (const asset of Object.keys(this.prices) as AssetName[]) {
      await this.p.hub.feeds[asset].write.setAnswer([this.prices[asset]]);
    }
    this.count("time");
  }

  async release() {
    const trader = this.random.pick(this.traders);
    const entries = (await this.collateralEntries(trader.address)).filter((entry) => entry.counted > 0n);
    if (entries.length === 0) return this.count("release:skip");
    const entry = this.random.pick(entries);
    const fraction = this.random.chance(0.1) ? 120n : BigInt(this.random.int(5, 100));
    const amount = (entry.counted * fraction) / 100n || 1n;
    const to = this.random.chance(0.7) ? trader.address : zeroAddress;
    return this.releaseOf(trader, entry, amount, to);
  }

  /** A burst of small releases on one entry, often delivered newest first: commands park on the spoke. */
  async burstReleases() {
    const trader = this.random.pick(this.traders);
    const entries = (await this.collateralEntries(trader.address)).filter((entry) => entry.counted > 0n);
    if (entries.length === 0) return this.count("burst:skip");
    const entry = this.random.pick(entries);
    const releases = this.random.int(9, 12);
    this.note(`${trader.label} burst of ${releases} releases`);
    for (let i = 0; i < releases; i++) {
      await this.releaseOf(trader, entry, entry.counted / 100n || 1n, trader.address);
    }
    this.count("burst");
    if (this.random.chance(0.6)) await this.deliverReversed();
  }

  async releaseOf(
    trader: Ledger,
    entry: { chainId: bigint; asset: Address; counted: bigint },
    amount: bigint,
    to: Address,
  ) {
    const token = this.tokenFor(entry.chainId, entry.asset);
    this.note(`${trader.label} release ${amount} ${tokenKey(token)} (counted ${entry.counted}) to ${to.slice(0, 6)}`);
    const receipt = await this.attempt(
      "release",
      "hub",
      () => this.engine.write.requestRelease([entry.chainId, entry.asset, amount, to], { account: trader.address }),
      ["InitialHealthViolated", "InsufficientCollateral"],
    );
    if (!receipt) return;
    const after = await this.health(trader.address);
    // (c)
    expect(after.healthInit, "(c) a release left H^init < 0").toBeGreaterThanOrEqual(0n);
  }

  async liquidatePerp() {
    const candidates = [];
    for (const trader of await this.liquidatable()) {
      if ((await this.engine.read.openMarketsOf([trader.address])).length > 0) candidates.push(trader);
    }
    if (candidates.length === 0) return this.count("liquidatePerp:none");
    const trader = this.random.pick(candidates);
    const markets = await this.engine.read.openMarketsOf([trader.address]);
    return this.liquidatePerpOf(trader, this.random.pick(markets));
  }

  /** Liquidates `marketId` of `trader` and checks (d); false when the hub refused. */
  async liquidatePerpOf(trader: Ledger, marketId: bigint): Promise<boolean> {
    const price = this.marketPrice(marketId);
    const [before, position] = await Promise.all([
      this.health(trader.address),
      this.engine.read.positionOf([trader.address, marketId]),
    ]);
    this.note(
      `liquidatePerp ${trader.label} m${marketId} size ${fmt(BigInt(position.size))}; H^maint ${fmt(before.healthMaint)} H^LE ${fmt(before.healthLiquidationEnd)}`,
    );
    const receipt = await this.attempt("liquidatePerp", "hub", () =>
      this.engine.write.liquidatePerp([trader.address, marketId], { account: this.liquidator.address }),
    );
    if (!receipt) return false;
    const events = this.engineEvents(receipt);
    const changed = events.find((e) => e.eventName === "PositionChanged");
    const liquidated = events.find((e) => e.eventName === "PerpLiquidated");
    if (changed?.eventName !== "PositionChanged" || liquidated?.eventName !== "PerpLiquidated") {
      throw new Error("liquidation without its events");
    }
    const { size, feeToLiquidator, feeToInsurance } = liquidated.args;
    const delta = changed.args.sizeDelta;
    expect(abs(delta)).toBe(size);
    expect(size % (LOT[marketId.toString()] as bigint), "liquidation size on the lot grid").toBe(0n);
    expect(liquidated.args.price).toBe(price);
    const fee = mulWadUp(mulWadUp(size, price), SPEC_RISK_PARAMS.liquidationFee);
    expect(feeToLiquidator + feeToInsurance, "liquidation fee = size·p·φ").toBe(fee);
    trader.cashflow -= (delta * price) / WAD;
    trader.fundingPaid += changed.args.fundingPaid;
    trader.liquidationFeesPaid += fee;
    this.liquidator.liquidatorFees += feeToLiquidator;

    const [after, positionAfter] = await Promise.all([
      this.health(trader.address),
      this.engine.read.positionOf([trader.address, marketId]),
    ]);
    this.note(`  → closed ${fmt(size)}; H^LE ${fmt(after.healthLiquidationEnd)}`);
    // (d)
    const closed = BigInt(positionAfter.size) === 0n;
    const raised = after.healthLiquidationEnd > before.healthLiquidationEnd;
    if (closed && !raised) this.count("liquidatePerp:closedWithoutRaisingHLE");
    if (!closed && !raised) {
      throw new Error(
        `(d) perp liquidation neither raised H^LE (${fmt(before.healthLiquidationEnd)} → ${fmt(after.healthLiquidationEnd)}) nor closed the position (${fmt(BigInt(position.size))} → ${fmt(BigInt(positionAfter.size))})`,
      );
    }
    return true;
  }

  async liquidateCollateral() {
    const candidates = [];
    for (const trader of await this.liquidatable()) {
      if ((await this.health(trader.address)).debt > 0n) candidates.push(trader);
    }
    if (candidates.length === 0) return this.count("liquidateCollateral:none");
    const trader = this.random.pick(candidates);
    const entries = (await this.collateralEntries(trader.address)).filter((entry) => entry.counted > 0n);
    if (entries.length === 0) return this.count("liquidateCollateral:noCollateral");
    const entry = this.random.pick(entries);
    const debt = (await this.health(trader.address)).debt;
    const maxRepay = this.random.chance(0.7) ? 0n : (debt * BigInt(this.random.int(5, 80))) / 100n;
    return this.liquidateCollateralOf(trader, entry, maxRepay);
  }

  /** Liquidates one collateral entry of `trader` and checks (d'); false when the hub refused. */
  async liquidateCollateralOf(
    trader: Ledger,
    entry: { chainId: bigint; asset: Address; counted: bigint },
    maxRepay: bigint,
  ): Promise<boolean> {
    const token = this.tokenFor(entry.chainId, entry.asset);
    const before = await this.health(trader.address);
    this.note(
      `liquidateCollateral ${trader.label} ${tokenKey(token)} counted ${entry.counted} maxRepay ${fmt(maxRepay)}; debt ${fmt(before.debt)} H^LE ${fmt(before.healthLiquidationEnd)}`,
    );
    const receipt = await this.attempt(
      "liquidateCollateral",
      "hub",
      () =>
        this.engine.write.liquidateCollateral([trader.address, entry.chainId, entry.asset, maxRepay], {
          account: this.liquidator.address,
        }),
      ["NothingToLiquidate", "NotLiquidatable", "NoDebt"],
    );
    if (!receipt) return false;
    const event = this.engineEvents(receipt).find((e) => e.eventName === "CollateralLiquidated");
    if (event?.eventName !== "CollateralLiquidated") throw new Error("no CollateralLiquidated");
    const { repay, seizedToLiquidator, seizedToProtocol } = event.args;
    const key = tokenKey(token);
    trader.repayCredited += repay * 10n ** 12n;
    trader.seizedFrom.set(key, (trader.seizedFrom.get(key) ?? 0n) + seizedToLiquidator + seizedToProtocol);
    this.liquidator.repaid += repay * 10n ** 12n;
    this.liquidator.seizedTo.set(key, (this.liquidator.seizedTo.get(key) ?? 0n) + seizedToLiquidator);
    // (d') the bonus is bounded: seized value at this price ≤ (1+λ)·repay.
    const seizedValue = this.valueOf(token, seizedToLiquidator + seizedToProtocol);
    expect(seizedValue, "(d') seized more than (1+λ)·repay").toBeLessThanOrEqual(
      (repay * 10n ** 12n * (WAD + SPEC_RISK_PARAMS.collateralBonus)) / WAD,
    );

    const after = await this.health(trader.address);
    const countedAfter =
      (await this.collateralEntries(trader.address)).find(
        (e) => e.chainId === entry.chainId && e.asset.toLowerCase() === entry.asset.toLowerCase(),
      )?.counted ?? 0n;
    this.note(
      `  → repay ${repay} seized ${seizedToLiquidator}+${seizedToProtocol}; debt ${fmt(after.debt)} H^LE ${fmt(after.healthLiquidationEnd)}`,
    );
    const raised = after.healthLiquidationEnd > before.healthLiquidationEnd;
    // Dust: the token-unit rounding of the two seizures may leave a few units behind.
    const emptied = this.valueOf(token, countedAfter) <= wad("0.0001");
    if (!raised && (emptied || after.debt === 0n)) this.count("liquidateCollateral:closedWithoutRaisingHLE");
    if (!raised && !emptied && after.debt !== 0n) {
      const text = `${trader.label} ${key} maxRepay ${fmt(maxRepay)}: H^LE ${fmt(before.healthLiquidationEnd)} → ${fmt(after.healthLiquidationEnd)}, debt ${fmt(before.debt)} → ${fmt(after.debt)}, counted ${entry.counted} → ${countedAfter}`;
      if (maxRepay === 0n) throw new Error(`(d') full collateral liquidation lowered H^LE without closing: ${text}`);
      // A liquidator-capped (partial) liquidation is outside the spec's sizing: recorded, reported.
      this.count("liquidateCollateral:partialLoweredHLE");
      this.observe(`partial collateral liquidation lowered H^LE: ${text}`);
    }
    if (seizedToLiquidator + seizedToProtocol === 0n) {
      this.count("liquidateCollateral:seizedNothing");
      this.observe(
        `collateral liquidation charged ${repay} settle units and seized nothing (${trader.label} ${key}, counted ${entry.counted})`,
      );
    }
    return seizedToLiquidator + seizedToProtocol > 0n;
  }

  /**
   * End of a run: liquidate whatever is liquidatable (perps first, then every collateral entry in
   * full), deliver everything, and write off what bankrupt accounts still owe. A bankrupt account
   * that cannot be written off is reported (see the "bad debt" test below), not asserted here.
   */
  async windDown() {
    for (let round = 0; round < 40; round++) {
      let acted = false;
      for (const trader of this.traders) {
        const health = await this.health(trader.address);
        if (!health.liquidatable) continue;
        const [market] = await this.engine.read.openMarketsOf([trader.address]);
        if (market !== undefined) {
          acted = (await this.liquidatePerpOf(trader, market)) || acted;
          continue;
        }
        if (health.debt === 0n) continue;
        for (const entry of await this.collateralEntries(trader.address)) {
          if (entry.counted > 0n) acted = (await this.liquidateCollateralOf(trader, entry, 0n)) || acted;
        }
      }
      await this.flushAction();
      if (!acted) break;
    }
    for (const trader of this.traders) {
      const [health, markets, settle] = await Promise.all([
        this.health(trader.address),
        this.engine.read.openMarketsOf([trader.address]),
        this.engine.read.settleBalanceOf([trader.address]),
      ]);
      if (settle >= 0n || markets.length > 0 || health.unweightedEquity >= 0n) continue;
      this.count("windDown:bankrupt");
      const receipt = await this.attempt(
        "windDown:resolveBadDebt",
        "hub",
        () => this.engine.write.resolveBadDebt([trader.address], { account: this.keeper }),
        ["NotBankrupt"],
      );
      if (receipt) {
        const event = this.engineEvents(receipt).find((e) => e.eventName === "BadDebtResolved");
        if (event?.eventName === "BadDebtResolved") trader.forgiven += event.args.debt;
        continue;
      }
      const left = (await this.collateralEntries(trader.address))
        .filter((entry) => entry.reportedLocked > 0n)
        .map((entry) => `${tokenKey(this.tokenFor(entry.chainId, entry.asset))}=${entry.reportedLocked}`);
      this.observe(
        `wind-down: ${trader.label} bankrupt with debt ${fmt(health.debt)}, nothing liquidatable left, but resolveBadDebt reverts NotBankrupt: collateral dust ${left.join(", ")}`,
      );
    }
    await this.flushAction();
  }

  async settle() {
    const trader = this.random.pick(this.traders);
    const balance = await this.engine.read.settleBalanceOf([trader.address]);
    if (balance < 0n || this.random.chance(0.4)) {
      const wallet = await this.p.hub.usdc.read.balanceOf([trader.address]);
      if (wallet === 0n) return this.count("depositSettle:skip");
      const want = balance < 0n ? -balance / 10n ** 12n + 1n : this.random.bigint(1n, wallet);
      const amount = want > wallet ? wallet : this.random.chance(0.5) ? want : this.random.bigint(1n, want);
      this.note(`${trader.label} depositSettle ${amount} (settle ${fmt(balance)})`);
      await this.attempt("depositSettle", "hub", () =>
        this.engine.write.depositSettle([trader.address, amount], { account: trader.address }),
      );
    } else {
      if (balance / 10n ** 12n === 0n) return this.count("withdrawSettle:skip");
      const credit = balance / 10n ** 12n;
      const amount = this.random.chance(0.2) ? credit + 1n : this.random.bigint(1n, credit);
      this.note(`${trader.label} withdrawSettle ${amount} (settle ${fmt(balance)})`);
      const receipt = await this.attempt(
        "withdrawSettle",
        "hub",
        () => this.engine.write.withdrawSettle([amount, trader.address], { account: trader.address }),
        ["InitialHealthViolated", "InsufficientSettleCredit"],
      );
      if (!receipt) return;
      // (c)
      expect(
        (await this.health(trader.address)).healthInit,
        "(c) settle withdrawal left H^init < 0",
      ).toBeGreaterThanOrEqual(0n);
    }
  }

  async autoMarginLock() {
    const trader = this.random.pick(this.traders.filter((t) => this.autoMargin.has(t.address)));
    const token = this.random.pick(this.p.tokens);
    const balance = await this.spokeOf(token).vault.read.balanceOf([trader.address, token.address]);
    const free = BigInt(balance.total) - BigInt(balance.locked);
    if (free === 0n) return this.count("autoMarginLock:skip");
    const amount = this.random.chance(0.5) ? free : this.random.bigint(1n, free * 2n);
    this.note(`keeper autoMarginLock ${trader.label} ${amount} ${tokenKey(token)}`);
    await this.attempt(
      "autoMarginLock",
      "hub",
      () =>
        this.engine.write.autoMarginLock([trader.address, token.chainId, token.address, amount], {
          account: this.keeper,
        }),
      ["AutoMarginNotNeeded"],
    );
  }

  async toggleBlacklist() {
    const token = this.p.tokens.find((t) => t.blacklistToken);
    if (!token?.blacklistToken) return;
    const account = this.random.pick([...this.traders, this.liquidator]).address;
    const value = !this.blacklisted.has(account);
    this.note(`blacklist ${account.slice(0, 8)} on ${tokenKey(token)} = ${value}`);
    await token.blacklistToken.write.setBlacklisted([account, value]);
    if (value) this.blacklisted.add(account);
    else this.blacklisted.delete(account);
    this.count("blacklist");
  }

  async claim() {
    for (const token of this.p.tokens) {
      for (const { address } of this.ledgers) {
        if (token.blacklist && this.blacklisted.has(address)) continue;
        const amount = await this.spokeOf(token).vault.read.claimable([address, token.address]);
        if (amount === 0n) continue;
        this.note(`claim ${amount} ${tokenKey(token)} by ${address.slice(0, 8)}`);
        await this.attempt("claim", token.spoke, () =>
          this.spokeOf(token).vault.write.claim([token.address, address], { account: address }),
        );
      }
    }
  }

  async resolveBadDebt() {
    for (const trader of this.traders) {
      const balance = await this.engine.read.settleBalanceOf([trader.address]);
      if (balance >= 0n) continue;
      this.note(`resolveBadDebt ${trader.label} (settle ${fmt(balance)})`);
      const receipt = await this.attempt(
        "resolveBadDebt",
        "hub",
        () => this.engine.write.resolveBadDebt([trader.address], { account: this.keeper }),
        ["NotBankrupt"],
      );
      if (!receipt) continue;
      const event = this.engineEvents(receipt).find((e) => e.eventName === "BadDebtResolved");
      if (event?.eventName !== "BadDebtResolved") throw new Error("no BadDebtResolved");
      trader.forgiven += event.args.debt;
    }
  }

  async liquidity() {
    if (this.random.chance(0.5)) {
      const amount = parseUnits(String(this.random.int(1, 20000)), 6);
      this.note(`lp deposit ${amount}`);
      await this.attempt("depositLiquidity", "hub", () =>
        this.engine.write.depositLiquidity([amount], { account: this.lp }),
      );
    } else {
      const shares = await this.engine.read.liquiditySharesOf([this.lp]);
      const amount = (shares * BigInt(this.random.int(1, 3))) / 100n;
      if (amount === 0n) return;
      this.note(`lp withdraw ${amount} shares`);
      await this.attempt(
        "withdrawLiquidity",
        "hub",
        () => this.engine.write.withdrawLiquidity([amount, this.lp], { account: this.lp }),
        ["InsufficientPoolLiquidity"],
      );
    }
  }

  /** (r3) A delivered message, delivered again, changes nothing on its receiver. */
  async duplicate() {
    await this.log.poll();
    const delivered = this.log.delivered();
    if (delivered.length === 0) return;
    const message = this.random.pick(delivered);
    this.note(`duplicate #${message.index} ${message.decoded.type} ${message.origin}→${message.destination}`);
    const snapshot = () => this.receiverState(message.decoded, message.origin, message.destination);
    const before = await snapshot();
    await this.log.deliver(message);
    expect(await snapshot(), "(r3) a duplicate delivery changed its receiver").toEqual(before);
    this.count("inject:duplicate");
  }

  /** Delivers one in-flight message ahead of its turn (TestRelay delivers it again later). */
  async deliverEarly() {
    await this.log.poll();
    const inFlight = this.log.inFlight();
    if (inFlight.length === 0) return this.count("inject:early:none");
    const message = this.random.pick(inFlight);
    this.note(`early #${message.index} ${message.decoded.type} ${message.origin}→${message.destination}`);
    await this.log.deliver(message);
    this.count("inject:early");
  }

  /** Delivers every in-flight message, newest first. */
  async deliverReversed() {
    await this.log.poll();
    const inFlight = this.log.inFlight().reverse();
    if (inFlight.length === 0) return this.count("inject:reversed:none");
    this.note(`reversed delivery of ${inFlight.length} in-flight messages`);
    for (const message of inFlight) await this.log.deliver(message);
    this.count("inject:reversed");
  }

  async receiverState(decoded: MessageLog["messages"][number]["decoded"], origin: bigint, destination: bigint) {
    if (decoded.type === "BalanceReport") {
      const entry = (await this.collateralEntries(decoded.account)).find(
        (e) => e.chainId === origin && e.asset.toLowerCase() === decoded.asset.toLowerCase(),
      );
      return { entry };
    }
    const token = this.tokenFor(destination, decoded.asset);
    const vault = this.spokeOf(token).vault;
    const [balance, nonce, claimable] = await Promise.all([
      vault.read.balanceOf([decoded.account, decoded.asset]),
      vault.read.lastCommandNonce([decoded.account]),
      decoded.type === "Lock" ? 0n : vault.read.claimable([decoded.to, decoded.asset]),
    ]);
    return { balance, nonce, claimable };
  }

  async flushAction() {
    this.note("flush");
    await this.flush();
    // Commands parked beyond MAX_COMMANDS_PER_DELIVERY wait for executeParkedCommands (by design).
    for (const trader of this.traders) {
      for (const spoke of Object.values(this.p.spokes)) {
        const [hubNonce, spokeNonce] = await Promise.all([
          this.engine.read.lastCommandNonce([trader.address, spoke.chainId]),
          spoke.vault.read.lastCommandNonce([trader.address]),
        ]);
        if (spokeNonce < hubNonce) {
          this.count("executeParkedCommands");
          this.observe(`${trader.label} on ${spoke.name}: ${hubNonce - spokeNonce} commands parked after a full flush`);
          await spoke.vault.write.executeParkedCommands([trader.address, 100n]);
          await this.flush();
        }
      }
    }
    this.count("flush");
    await this.checkFlushed();
    // (f) needs every seizure executed: a Seize in flight is already off the hub's books but still
    // in the vault's total.
    await this.checkValues();
  }

  async liquidatable() {
    const result: Ledger[] = [];
    for (const trader of this.traders) if ((await this.health(trader.address)).liquidatable) result.push(trader);
    return result;
  }

  // ------------------------------------------------------------------ invariants

  async checkStep() {
    const { tokens, spokes } = this.p;
    const recipients = [...this.ledgers.map((l) => l.address), this.owner];
    // (a)
    for (const token of tokens) {
      const vault = spokes[token.spoke].vault;
      const [held, balances, claims] = await Promise.all([
        token.token.read.balanceOf([vault.address]),
        Promise.all(this.traders.map((t) => vault.read.balanceOf([t.address, token.address]))),
        Promise.all(recipients.map((r) => vault.read.claimable([r, token.address]))),
      ]);
      let owed = 0n;
      for (const balance of balances) {
        expect(BigInt(balance.locked), `(a) locked > total on ${tokenKey(token)}`).toBeLessThanOrEqual(
          BigInt(balance.total),
        );
        owed += BigInt(balance.total);
      }
      for (const claim of claims) owed += claim;
      expect(held, `(a) vault ${tokenKey(token)} holds less than Σ totals + Σ claimable`).toBeGreaterThanOrEqual(owed);
      expect(held, `(a) vault ${tokenKey(token)}: tokens stranded beyond Σ totals + Σ claimable`).toBe(owed);
    }
    // (b)
    for (const trader of this.traders) {
      let pending = 0n;
      let reported = 0n;
      for (const entry of await this.collateralEntries(trader.address)) {
        expect(
          entry.pendingDecrease,
          `(b) ${trader.label} entry ${entry.chainId}/${entry.asset}: pending > reported locked`,
        ).toBeLessThanOrEqual(entry.reportedLocked);
        expect(entry.counted).toBe(entry.reportedLocked - entry.pendingDecrease);
        pending += entry.pendingDecrease;
        reported += entry.reportedLocked;
      }
      expect(pending, `(b) ${trader.label}: Σ pending > Σ reported locked`).toBeLessThanOrEqual(reported);
    }
    // (g)
    const [held, pool, settles] = await Promise.all([
      this.p.hub.usdc.read.balanceOf([this.engine.address]),
      this.engine.read.poolAccounts(),
      Promise.all(this.ledgers.map((l) => this.engine.read.settleBalanceOf([l.address]))),
    ]);
    const [poolBalance, , insurance] = pool;
    const books = settles.reduce((sum, b) => sum + b, 0n) + poolBalance + insurance;
    expect(held * 10n ** 12n, "(g) engine's settle tokens ≠ Σ settle + pool + insurance").toBe(books);
    // (h)
    for (const marketId of MARKET_IDS) {
      const [state, positions] = await Promise.all([
        this.engine.read.marketState([marketId]),
        Promise.all(this.traders.map((t) => this.engine.read.positionOf([t.address, marketId]))),
      ]);
      let longs = 0n;
      let shorts = 0n;
      let sizeTimesEntry = 0n;
      for (const position of positions) {
        const size = BigInt(position.size);
        if (size > 0n) longs += size;
        else shorts -= size;
        sizeTimesEntry += size * BigInt(position.entryPrice);
      }
      expect([state.longOpenInterest, state.shortOpenInterest, state.sizeTimesEntry], `(h) market ${marketId}`).toEqual(
        [longs, shorts, sizeTimesEntry],
      );
    }
  }

  /** (e) Everything delivered: the hub's ledger equals the spokes' balances, nothing pending. */
  async checkFlushed() {
    for (const trader of this.traders) {
      const entries = await this.collateralEntries(trader.address);
      for (const token of this.p.tokens) {
        const vault = this.spokeOf(token).vault;
        const balance = await vault.read.balanceOf([trader.address, token.address]);
        const entry = entries.find(
          (e) => e.chainId === token.chainId && e.asset.toLowerCase() === token.address.toLowerCase(),
        );
        const where = `(e) ${trader.label} ${tokenKey(token)}`;
        if (balance.seq === 0) {
          expect(entry, `${where}: hub has an entry the spoke never reported`).toBeUndefined();
          continue;
        }
        if (!entry) throw new Error(`${where}: reported on the spoke (seq ${balance.seq}) but unknown on the hub`);
        expect(
          { reportedLocked: entry.reportedLocked, seq: entry.seq, pendingDecrease: entry.pendingDecrease },
          where,
        ).toEqual({ reportedLocked: BigInt(balance.locked), seq: balance.seq, pendingDecrease: 0n });
      }
      for (const spoke of Object.values(this.p.spokes)) {
        const [hubNonce, spokeNonce] = await Promise.all([
          this.engine.read.lastCommandNonce([trader.address, spoke.chainId]),
          spoke.vault.read.lastCommandNonce([trader.address]),
        ]);
        expect(spokeNonce, `(e) ${trader.label} on ${spoke.name}: commands not executed`).toBe(hubNonce);
      }
    }
  }

  /**
   * (f) For every trader and the liquidator, valuing every token at current prices:
   *
   *   Own ≤ In + PnL + SeizureSale + Earn + Forgiven − Fees + ε
   *
   *   Own         = Σ_tokens p·(wallet + vault total + claimable) + hub wallet + settle balance
   *                 + unrealized PnL of open positions as the hub computes it (healthOf.pnlMaint)
   *   In          = Σ_tokens p·minted + hub settle tokens minted
   *   PnL         = Σ_fills (−Δn·p_fill) + Σ_open n·m − Σ funding paid (events) − Σ_open funding owed:
   *                 realized + unrealized PnL from the suite's own record of fills, independent of
   *                 the hub's entry prices
   *   SeizureSale = Σ (settle credited for repaid debt − p·collateral seized): a collateral liquidation
   *                 sells collateral for debt; at today's prices that sale may have been a gain
   *   Earn        = (liquidator) Σ perp liquidation fees earned + Σ (p·collateral commanded to it −
   *                 settle it paid)
   *   Forgiven    = bad debt written off
   *   Fees        = taker fees + perp liquidation fees paid (computed by the suite)
   *   ε           = 1e-12 USD per token for the suite's own rounding of token values
   *
   * Without the −Fees term this is the issue's "no more than it put in plus its PnL"; with it, it also
   * says that every fee was charged. Rounding in the hub favours the protocol, so Own never exceeds.
   * Since every flow is the suite's own, the books also close from below: Own ≥ bound − Fees − ε.
   * Checked once everything is flushed: a Seize in flight is off the hub's books but still in the vault.
   */
  async checkValues() {
    const { tokens, hub } = this.p;
    const states = await Promise.all(MARKET_IDS.map((id) => this.engine.read.marketState([id])));
    for (const ledger of this.ledgers) {
      let own = 0n;
      let invested = 0n;
      let seizureSale = ledger.repayCredited;
      let earn = ledger.liquidatorFees - ledger.repaid;
      for (const token of tokens) {
        const vault = this.spokeOf(token).vault;
        const [wallet, balance, claimable] = await Promise.all([
          token.token.read.balanceOf([ledger.address]),
          vault.read.balanceOf([ledger.address, token.address]),
          vault.read.claimable([ledger.address, token.address]),
        ]);
        own += this.valueOf(token, wallet + BigInt(balance.total) + claimable);
        invested += this.valueOf(token, ledger.mintedTokens.get(tokenKey(token)) ?? 0n);
        seizureSale -= this.valueOf(token, ledger.seizedFrom.get(tokenKey(token)) ?? 0n);
        earn += this.valueOf(token, ledger.seizedTo.get(tokenKey(token)) ?? 0n);
      }
      const [hubWallet, settle, health] = await Promise.all([
        hub.usdc.read.balanceOf([ledger.address]),
        this.engine.read.settleBalanceOf([ledger.address]),
        this.health(ledger.address),
      ]);
      own += hubWallet * 10n ** 12n + settle + health.pnlMaint;
      invested += ledger.mintedHub * 10n ** 12n;
      let pnl = ledger.cashflow - ledger.fundingPaid;
      for (const [i, marketId] of MARKET_IDS.entries()) {
        const position = await this.engine.read.positionOf([ledger.address, marketId]);
        const size = BigInt(position.size);
        if (size === 0n) continue;
        const state = states[i];
        if (!state) throw new Error("no market state");
        const indexDelta = BigInt(state.fundingIndex) - BigInt(position.fundingSnapshot);
        const owed = size * indexDelta;
        const fundingOwed = owed / WAD + (owed > 0n && owed % WAD !== 0n ? 1n : 0n);
        pnl += (size * this.marketPrice(marketId)) / WAD - fundingOwed;
      }
      const fees = ledger.takerFees + ledger.liquidationFeesPaid;
      const bound = invested + pnl + seizureSale + earn + ledger.forgiven;
      const epsilon = BigInt(tokens.length) * 10n ** 6n + 10n ** 6n;
      const detail = `${ledger.label}: own ${fmt(own)}, in ${fmt(invested)}, pnl ${fmt(pnl)}, seizureSale ${fmt(seizureSale)}, earn ${fmt(earn)}, forgiven ${fmt(ledger.forgiven)}, fees ${fmt(fees)}`;
      expect(own, `(f) ends with more than it put in plus its PnL — ${detail}`).toBeLessThanOrEqual(bound + epsilon);
      expect(own, `(f) fees not charged — ${detail}`).toBeLessThanOrEqual(bound - fees + epsilon);
      // (f, exact) The books close: nothing beyond fees and rounding is lost either.
      expect(own, `(f) lost more than fees and rounding — ${detail}`).toBeGreaterThanOrEqual(bound - fees - epsilon);
    }
  }
}

type Action = [weight: number, name: string, run: (s: Scenario) => Promise<unknown>];

const ACTIONS: Action[] = [
  [14, "deposit", (s) => s.deposit()],
  [5, "lock", (s) => s.lock()],
  [5, "withdrawFree", (s) => s.withdrawFree()],
  [22, "trade", (s) => s.trade()],
  [12, "price", (s) => s.movePrice()],
  [3, "time", (s) => s.advanceTime()],
  [9, "release", (s) => s.release()],
  [1, "burst", (s) => s.burstReleases()],
  [8, "liquidatePerp", (s) => s.liquidatePerp()],
  [5, "liquidateCollateral", (s) => s.liquidateCollateral()],
  [6, "settle", (s) => s.settle()],
  [2, "autoMarginLock", (s) => s.autoMarginLock()],
  [1, "blacklist", (s) => s.toggleBlacklist()],
  [2, "claim", (s) => s.claim()],
  [1, "resolveBadDebt", (s) => s.resolveBadDebt()],
  [2, "liquidity", (s) => s.liquidity()],
  [9, "flush", (s) => s.flushAction()],
  [4, "duplicate", (s) => s.duplicate()],
  [4, "early", (s) => s.deliverEarly()],
  [2, "reversed", (s) => s.deliverReversed()],
];
const TOTAL_WEIGHT = ACTIONS.reduce((sum, [weight]) => sum + weight, 0);

function pickAction(random: Random): Action {
  let roll = random.int(0, TOTAL_WEIGHT - 1);
  for (const action of ACTIONS) {
    roll -= action[0];
    if (roll < 0) return action;
  }
  throw new Error("unreachable");
}

async function run(seed: number, steps: number) {
  const started = Date.now();
  const protocol = await deployProtocol({ takerFee: TAKER_FEE, maxFundingRatePerSecond: FUNDING_RATE });
  const scenario = new Scenario(protocol, createRandom(seed));
  let windDownAt = 0;
  await scenario.setup();
  await scenario.checkStep();
  await scenario.checkFlushed();
  try {
    for (scenario.step = 1; scenario.step <= steps; scenario.step++) {
      const [, name, action] = pickAction(scenario.random);
      scenario.note(`[${name}]`);
      await action(scenario);
      await scenario.checkStep();
    }
    // Wind down: liquidate what is liquidatable, deliver everything, then check the settled state.
    scenario.step = steps + 1;
    windDownAt = Date.now();
    await scenario.windDown();
    await scenario.checkStep();
    await scenario.checkValues();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const reproduce = `INVARIANT_SEED=${seed} INVARIANT_STEPS=${steps} scripts/run npx vitest run test/invariants`;
    throw new Error(
      `seed ${seed} failed at step ${scenario.step}: ${message}\nreproduce: ${reproduce}\nlast actions:\n${scenario.trail.join("\n")}`,
      { cause: error },
    );
  }
  const stats = [...scenario.stats.entries()].sort(([a], [b]) => a.localeCompare(b));
  console.log(
    `seed ${seed}: ${steps} steps in ${((Date.now() - started) / 1000).toFixed(1)} s (wind-down ${((Date.now() - windDownAt) / 1000).toFixed(1)} s), ${scenario.log.messages.length} messages\n  ${stats
      .map(([key, value]) => `${key}=${value}`)
      .join(
        " ",
      )}${[...scenario.observations].map(([text, { step, count }]) => `\n  observed at step ${step}${count > 1 ? ` (×${count})` : ""}: ${text}`).join("")}`,
  );
  return scenario;
}

describe("protocol invariants under random action sequences (hub + 2 spokes, test transport)", () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}`, async () => {
      const scenario = await run(seed, STEPS);
      // The run must have exercised what it claims to.
      expect(scenario.stats.get("flush") ?? 0).toBeGreaterThan(0);
      expect(scenario.stats.get("trade:risk+:ok") ?? 0).toBeGreaterThan(0);
    }, 120_000);
  }
});

/**
 * KNOWN VIOLATION, reproduced on its own (the random runs print it as a wind-down observation).
 * A full collateral liquidation seizes x·(1+λ)/p rounded down and splits it into two token amounts,
 * each rounded down again, so a unit of the entry stays locked. Liquidating that unit charges the
 * liquidator a settle unit (or a few) and seizes nothing; resolveBadDebt requires reportedLocked = 0
 * on every entry, so the bankrupt account's debt can never be written off.
 * Expected: once a liquidator has taken all the collateral, resolveBadDebt writes the debt off.
 * Actual: 1 unit (1e-6 USDC) stays locked; resolveBadDebt reverts NotBankrupt(account) for ever.
 */
describe("bad debt of an account liquidated down to its last unit", () => {
  let protocol: Protocol;
  let trader: Address;
  let liquidator: Address;
  let usdc: SpokeToken;

  beforeAll(async () => {
    protocol = await deployProtocol();
    const { hub, spokes, relay } = protocol;
    trader = hub.trader.account.address;
    liquidator = hub.liquidator.account.address;
    const found = spokes.spokeA.tokens.find((token) => token.symbol === "USDC");
    if (!found) throw new Error("no USDC on spoke A");
    usdc = found;
    await usdc.token.write.mint([trader, parseUnits("1000", 6)]);
    await usdc.token.write.approve([spokes.spokeA.vault.address, parseUnits("1000", 6)], { account: trader });
    await spokes.spokeA.vault.write.deposit([usdc.address, parseUnits("1000", 6), true], { account: trader });
    await relay.flush();
    // 6 ETH long on 1000 USDC; a 10% drop loses 1800: bankrupt.
    await hub.engine.write.trade([0n, wad("6"), 0n], { account: trader });
    await hub.setPrice("WETH", "2700");
    while ((await hub.engine.read.positionOf([trader, 0n])).size !== 0n) {
      await hub.engine.write.liquidatePerp([trader, 0n], { account: liquidator });
    }
    await hub.fund(liquidator, "100000");
    await hub.engine.write.liquidateCollateral([trader, SPOKE_A, usdc.address, 0n], { account: liquidator });
    await relay.flush();
  });

  it("can be written off once the liquidator has taken all the collateral", async () => {
    const { hub, spokes } = protocol;
    // Rounding dust of the seizure went to the protocol: nothing is left locked to block the write-off.
    await hub.engine.write.resolveBadDebt([trader]);
    expect(await hub.engine.read.settleBalanceOf([trader])).toBe(0n);
    expect((await spokes.spokeA.vault.read.balanceOf([trader, usdc.address])).locked).toBe(0n);
  });
});
