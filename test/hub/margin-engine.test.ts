import { type Address, getAddress, type Hex, parseUnits, zeroAddress } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { encodeMessage } from "../../sdk/codec/index.ts";
import { fromHealthBreakdownStruct, healthBreakdown, mulCeil, type RiskInputs } from "../../sdk/risk/index.ts";
import { connect } from "../helpers/chains.ts";
import { deployHub, HUB, type Hub, priceId, SPOKE_A, SPOKE_B, SPOKE_C, wad } from "../helpers/hub.ts";
import { sentMessages } from "../helpers/messaging.ts";

/** Within 1e-9 of an expected decimal: the vectors' tolerance. */
const near = (actual: bigint, expected: string) => {
  const difference = actual - wad(expected);
  expect(difference < 0n ? -difference : difference, `${actual} vs ${expected}`).toBeLessThanOrEqual(10n ** 9n);
};

/**
 * The SDK's evaluation of `account` from the engine's config views and the oracle's live reads: what `healthOf`
 * (cache off) must equal to the wei, while it reads the copies of those configs that the setters keep.
 */
async function healthFromConfigs(hub: Hub, account: Address) {
  const { engine, oracle } = hub;
  const priceOf = async (id: Hex) => {
    const [read, [kInit, kMaint]] = await Promise.all([
      oracle.read.getPrice([id]),
      oracle.read.volatilityMultipliers([id]),
    ]);
    return { price: read.price, kInit, kMaint };
  };
  const inputs: RiskInputs = {
    params: await engine.read.riskParams(),
    assets: [],
    markets: [],
    account: { collateral: [], settleBalance: await engine.read.settleBalanceOf([account]), positions: [] },
  };
  const assetIds: number[] = [];
  const [entries, counted] = await engine.read.collateralOf([account]);
  for (const [i, entry] of entries.entries()) {
    const token = await engine.read.collateralToken([entry.chainId, entry.asset]);
    let assetIndex = assetIds.indexOf(token.assetId);
    if (assetIndex < 0) {
      const config = await engine.read.assetConfig([BigInt(token.assetId)]);
      const { price, kInit, kMaint } = await priceOf(config.priceId);
      const { weightInit, weightMaint, sizeFactor } = config;
      assetIndex = inputs.assets.push({ price, weightInit, weightMaint, sizeFactor, kInit, kMaint }) - 1;
      assetIds.push(token.assetId);
    }
    const amount = (counted[i] as bigint) * 10n ** BigInt(18 - token.decimals);
    const { haircut } = await engine.read.spoke([entry.chainId]);
    inputs.account.collateral.push({ assetIndex, haircut, amount });
  }
  for (const marketId of await engine.read.openMarketsOf([account])) {
    const [config, state, position] = await Promise.all([
      engine.read.marketConfig([marketId]),
      engine.read.marketState([marketId]),
      engine.read.positionOf([account, marketId]),
    ]);
    const { price: markPrice, kInit, kMaint } = await priceOf(config.priceId);
    const { marginInit, marginMaint, sizeFactor, lotSize } = config;
    inputs.markets.push({ markPrice, marginInit, marginMaint, sizeFactor, lotSize, kInit, kMaint });
    inputs.account.positions.push({
      marketIndex: inputs.markets.length - 1,
      size: position.size,
      entryPrice: position.entryPrice,
      fundingOwed: mulCeil(position.size, state.fundingIndex - position.fundingSnapshot),
    });
  }
  return healthBreakdown(inputs);
}

/** `healthOf(account)` equals the evaluation of the configs as they are now, to the wei. */
async function expectHealthOfConfigs(hub: Hub, account: Address) {
  const onChain = fromHealthBreakdownStruct(await hub.engine.read.healthOf([account]));
  expect(onChain).toEqual(await healthFromConfigs(hub, account));
  return onChain;
}

describe("MarginEngine", () => {
  let hub: Hub;
  let trader: Address;

  beforeEach(async () => {
    hub = await deployHub(await connect("hub"));
    trader = hub.trader.account.address;
  });

  describe("balance reports (safety rules 2 and 3)", () => {
    /** A report from spoke A of a token given by address (`hub.report` takes the configured assets' names). */
    const reportToken = (asset: Address, locked: bigint, seq: bigint, lastCommandNonce = 0n) =>
      hub.messenger.write.deliver([
        hub.engine.address,
        SPOKE_A,
        encodeMessage({
          type: "BalanceReport",
          origin: SPOKE_A,
          destination: HUB,
          account: trader,
          asset,
          total: locked,
          locked,
          seq,
          lastCommandNonce,
        }),
      ]);

    it("counts reported collateral over three chains exactly as vector V1", async () => {
      await hub.report(SPOKE_A, "USDC", "10000");
      await hub.report(SPOKE_B, "WETH", "5");
      await hub.report(SPOKE_C, "WBTC", "0.2");
      const health = await hub.engine.read.healthOf([trader]);
      near(health.collateralValueInit, "30310");
      near(health.collateralValueMaint, "31615");
      near(BigInt(health.unweightedEquity), "37000");
      expect(health.liquidatable).toBe(false);
    });

    it("values collateral at the haircut a spoke is registered with now, not when its token was configured", async () => {
      await hub.report(SPOKE_A, "USDC", "10000");
      const before = (await hub.engine.read.healthOf([trader])).collateralValueMaint;
      await hub.engine.write.registerSpoke([SPOKE_A, wad("0.1")]);
      const after = (await hub.engine.read.healthOf([trader])).collateralValueMaint;
      const expected = (before * 9n) / 10n;
      const difference = after - expected;
      expect(difference < 0n ? -difference : difference, `${after} vs ${expected}`).toBeLessThanOrEqual(10n ** 9n);
    });

    it("values collateral at its asset's terms as configured now, also once its token moves to another asset", async () => {
      const { engine } = hub;
      await hub.report(SPOKE_A, "USDC", "1000");
      await hub.report(SPOKE_A, "WETH", "20");
      await hub.report(SPOKE_B, "WETH", "5");
      const initial = await expectHealthOfConfigs(hub, trader);
      const configure = (assetId: bigint, name: string, weightInit: string, weightMaint: string, sizeFactor: string) =>
        engine.write.configureAsset([
          assetId,
          {
            priceId: priceId(name),
            weightInit: wad(weightInit),
            weightMaint: wad(weightMaint),
            sizeFactor: wad(sizeFactor),
          },
        ]);

      const hash = await configure(1n, "WETH", "0.6", "0.7", "0");
      await hub.connection.viem.assertions.emitWithArgs(hash, engine, "AssetConfigured", [
        1n,
        priceId("WETH"),
        wad("0.6"),
        wad("0.7"),
        0n,
      ]);
      const reweighted = await expectHealthOfConfigs(hub, trader);
      expect(reweighted.collateralValue.maint).toBeLessThan(initial.collateralValue.maint);
      // Another feed, and a size discount (whose factor the tokens do not copy, only that it is nonzero) that
      // binds: 1.1 / (1 + 0.1·√25) < 0.9.
      await configure(1n, "WBTC", "0.9", "0.95", "0.1");
      await expectHealthOfConfigs(hub, trader);

      // WETH on spoke A becomes WBTC collateral: asset 1's terms no longer apply to it, asset 2's do.
      await engine.write.configureCollateralToken([SPOKE_A, hub.spokeToken("WETH", SPOKE_A), 2, 18, true]);
      await expectHealthOfConfigs(hub, trader);
      await configure(1n, "WETH", "0.9", "0.95", "0");
      const moved = await expectHealthOfConfigs(hub, trader);
      await configure(2n, "WBTC", "0.9", "0.95", "0.1");
      expect((await expectHealthOfConfigs(hub, trader)).collateralValue.maint).toBeLessThan(
        moved.collateralValue.maint,
      );
      // And back: the token follows asset 1 again, not asset 2.
      await engine.write.configureCollateralToken([SPOKE_A, hub.spokeToken("WETH", SPOKE_A), 1, 18, true]);
      await configure(2n, "WBTC", "0.75", "0.8", "0");
      await configure(1n, "WETH", "0.8", "0.85", "0.1");
      await expectHealthOfConfigs(hub, trader);

      // A token configured after its asset copies the asset's current terms.
      const token = getAddress(`0x${"c0ffee".padStart(40, "0")}`);
      await engine.write.configureCollateralToken([SPOKE_C, token, 1, 18, true]);
      await hub.messenger.write.deliver([
        engine.address,
        SPOKE_C,
        encodeMessage({
          type: "BalanceReport",
          origin: SPOKE_C,
          destination: HUB,
          account: trader,
          asset: token,
          total: wad("3"),
          locked: wad("3"),
          seq: 1n,
          lastCommandNonce: 0n,
        }),
      ]);
      expect((await engine.read.collateralOf([trader]))[0]).toHaveLength(4);
      await expectHealthOfConfigs(hub, trader);
    });

    it("ignores reports of assets the hub does not price", async () => {
      const hash = await reportToken("0x00000000000000000000000000000000000000aa", 5n, 1n);
      await hub.connection.viem.assertions.emit(hash, hub.engine, "BalanceReportIgnored");
      const [entries] = await hub.engine.read.collateralOf([trader]);
      expect(entries).toEqual([]);
    });

    it("keeps 32 entries over three words of token numbers and flags pending decreases in each", async () => {
      // 31 more USDC tokens on spoke A (token numbers 12..42), then spoke A's own USDC (number 0) as
      // the 32nd entry, in the third word; a 33rd entry finds no room.
      const extra = Array.from(
        { length: 32 },
        (_, i): Address => getAddress(`0x${(0xc0de00 + i).toString(16).padStart(40, "0")}`),
      );
      for (const token of extra) await hub.engine.write.configureCollateralToken([SPOKE_A, token, 0, 6, true]);
      const usdcA = getAddress(hub.spokeToken("USDC", SPOKE_A));
      const order = [...extra.slice(0, 31), usdcA];
      for (const token of order) await reportToken(token, parseUnits("100", 6), 1n);
      const overflow = await reportToken(extra[31] as Address, parseUnits("100", 6), 1n);
      await hub.connection.viem.assertions.emit(overflow, hub.engine, "BalanceReportIgnored");
      const [entries] = await hub.engine.read.collateralOf([trader]);
      expect(entries.map((entry) => entry.asset)).toEqual(order);
      const valueMaint = async () => (await hub.engine.read.healthOf([trader])).collateralValueMaint;
      expect(await valueMaint()).toBe(wad("3200"));

      // Entry 20 is in the second word, entry 31 (token number 0) in the third.
      const release = (asset: Address, amount: string) =>
        hub.engine.write.requestRelease([SPOKE_A, asset, parseUnits(amount, 6), trader], {
          account: hub.trader.account,
        });
      await release(order[20] as Address, "40");
      await release(usdcA, "10");
      expect(await valueMaint()).toBe(wad("3150"));
      const [after, counted] = await hub.engine.read.collateralOf([trader]);
      expect(after.map((entry) => entry.pendingDecrease)).toEqual(
        order.map((_, i) => (i === 20 ? parseUnits("40", 6) : i === 31 ? parseUnits("10", 6) : 0n)),
      );
      expect(counted[20]).toBe(parseUnits("60", 6));
      expect(counted[31]).toBe(parseUnits("90", 6));

      // Acknowledging entry 20's Release (command 1 to spoke A) clears its flag only: entry 31's decrease
      // (command 2) still counts.
      await reportToken(order[20] as Address, parseUnits("60", 6), 2n, 1n);
      expect((await hub.engine.read.collateralOf([trader]))[0][20]?.pendingDecrease).toBe(0n);
      expect(await valueMaint()).toBe(wad("3150"));
      await reportToken(usdcA, parseUnits("90", 6), 2n, 2n);
      expect(await valueMaint()).toBe(wad("3150"));
      expect((await hub.engine.read.collateralOf([trader]))[0].every((entry) => entry.pendingDecrease === 0n)).toBe(
        true,
      );
    });
  });

  describe("release", () => {
    beforeEach(async () => {
      await hub.report(SPOKE_A, "USDC", "1000");
    });

    it("records the pending decrease at once and sends Release; only its acknowledgement clears it", async () => {
      const token = hub.spokeToken("USDC", SPOKE_A);
      const hash = await hub.engine.write.requestRelease([SPOKE_A, token, parseUnits("400", 6), trader], {
        account: hub.trader.account,
      });
      await hub.connection.viem.assertions.emitWithArgs(hash, hub.engine, "ReleaseRequested", [
        getAddress(trader),
        SPOKE_A,
        getAddress(token),
        parseUnits("400", 6),
        getAddress(trader),
        1n,
      ]);
      const [command] = sentMessages(await hub.publicClient.waitForTransactionReceipt({ hash }), hub.messenger.address);
      expect(command?.decoded).toMatchObject({ type: "Release", amount: parseUnits("400", 6), cmdNonce: 1n });
      expect((await hub.engine.read.collateralOf([trader]))[1]).toEqual([parseUnits("600", 6)]);
      // healthOf reads an entry's pending decrease only while its lane in the entry list flags one: it must see it.
      const countedValue = async () => (await hub.engine.read.healthOf([trader])).collateralValueMaint;
      expect(await countedValue()).toBe(wad("600"));

      // A report made before the spoke executed the command (ack 0) keeps the decrease pending.
      await hub.report(SPOKE_A, "USDC", "1000", { lastCommandNonce: 0n });
      expect((await hub.engine.read.collateralOf([trader]))[1]).toEqual([parseUnits("600", 6)]);
      expect(await countedValue()).toBe(wad("600"));
      // The acknowledging report replaces it.
      await hub.report(SPOKE_A, "USDC", "600", { lastCommandNonce: 1n });
      const [[entry], counted] = await hub.engine.read.collateralOf([trader]);
      expect(counted).toEqual([parseUnits("600", 6)]);
      expect(entry?.pendingDecrease).toBe(0n);
      expect(await countedValue()).toBe(wad("600"));
    });

    it("refuses to release more than is counted, or what would leave H^init < 0", async () => {
      const token = hub.spokeToken("USDC", SPOKE_A);
      await hub.connection.viem.assertions.revertWithCustomErrorWithArgs(
        hub.engine.write.requestRelease([SPOKE_A, token, parseUnits("1000.000001", 6), trader], {
          account: hub.trader.account,
        }),
        hub.engine,
        "InsufficientCollateral",
        [SPOKE_A, getAddress(token), parseUnits("1000", 6), parseUnits("1000.000001", 6)],
      );
      await hub.engine.write.trade([0n, wad("5"), 0n], { account: hub.trader.account });
      // 5 ETH at 3000 needs 750 of initial margin: 250 may leave, 251 may not.
      await hub.connection.viem.assertions.revertWithCustomError(
        hub.engine.write.requestRelease([SPOKE_A, token, parseUnits("251", 6), trader], {
          account: hub.trader.account,
        }),
        hub.engine,
        "InitialHealthViolated",
      );
      await hub.engine.write.requestRelease([SPOKE_A, token, parseUnits("250", 6), trader], {
        account: hub.trader.account,
      });
    });

    it("accepts an EIP-712 intent submitted by anyone, once", async () => {
      const token = hub.spokeToken("USDC", SPOKE_A);
      const intent = {
        account: trader,
        chainId: SPOKE_A,
        asset: token,
        amount: parseUnits("100", 6),
        to: trader,
        nonce: 0n,
        deadline: 2n ** 40n,
      };
      const signature = await hub.trader.signTypedData({
        domain: {
          name: "xmargin MarginEngine",
          version: "1",
          chainId: Number(HUB),
          verifyingContract: hub.engine.address,
        },
        types: {
          ReleaseIntent: [
            { name: "account", type: "address" },
            { name: "chainId", type: "uint64" },
            { name: "asset", type: "address" },
            { name: "amount", type: "uint256" },
            { name: "to", type: "address" },
            { name: "nonce", type: "uint256" },
            { name: "deadline", type: "uint256" },
          ],
        },
        primaryType: "ReleaseIntent",
        message: intent,
      });
      await hub.engine.write.requestReleaseWithSig([intent, signature], { account: hub.keeper.account });
      expect((await hub.engine.read.collateralOf([trader]))[1]).toEqual([parseUnits("900", 6)]);
      await hub.connection.viem.assertions.revertWithCustomErrorWithArgs(
        hub.engine.write.requestReleaseWithSig([intent, signature], { account: hub.keeper.account }),
        hub.engine,
        "InvalidAccountNonce",
        [getAddress(trader), 1n],
      );
      await hub.connection.viem.assertions.revertWithCustomErrorWithArgs(
        hub.engine.write.requestReleaseWithSig([{ ...intent, nonce: 1n, amount: 1n }, signature], {
          account: hub.keeper.account,
        }),
        hub.engine,
        "InvalidSignature",
        [getAddress(trader)],
      );
    });
  });

  describe("trading", () => {
    beforeEach(async () => {
      await hub.report(SPOKE_A, "USDC", "2300");
      await hub.report(SPOKE_B, "WETH", "1");
    });

    it("opens within initial margin and refuses beyond it (vector V4-open)", async () => {
      await hub.engine.write.trade([0n, wad("20"), 0n], { account: hub.trader.account });
      const health = await hub.engine.read.healthOf([trader]);
      near(BigInt(health.healthInit), "1652");
      near(BigInt(health.healthMaint), "2999");
      near(BigInt(health.healthLiquidationEnd), "1799");
      await hub.connection.viem.assertions.revertWithCustomError(
        hub.engine.write.trade([0n, wad("12"), 0n], { account: hub.trader.account }),
        hub.engine,
        "InitialHealthViolated",
      );
    });

    it("enforces the lot size and the price limit", async () => {
      await hub.connection.viem.assertions.revertWithCustomErrorWithArgs(
        hub.engine.write.trade([0n, wad("0.0015"), 0n], { account: hub.trader.account }),
        hub.engine,
        "LotSizeViolated",
        [0n, wad("0.0015"), wad("0.001")],
      );
      await hub.connection.viem.assertions.revertWithCustomErrorWithArgs(
        hub.engine.write.trade([0n, wad("1"), wad("2999")], { account: hub.trader.account }),
        hub.engine,
        "PriceLimitExceeded",
        [wad("3000"), wad("2999")],
      );
    });

    it("nets gains against losses and realizes PnL into the settle balance", async () => {
      await hub.engine.write.trade([0n, wad("10"), 0n], { account: hub.trader.account });
      await hub.engine.write.trade([1n, wad("-0.5"), 0n], { account: hub.trader.account });
      await hub.setPrice("WETH", "2400");
      await hub.setPrice("WBTC", "54000");
      const health = await hub.engine.read.healthOf([trader]);
      // Long ETH loses 6000, short BTC gains 3000 (weighted 0.8 at init).
      near(BigInt(health.pnlMaint), "-3000");
      near(BigInt(health.pnlInit), "-3600");
      await hub.engine.write.trade([1n, wad("0.5"), 0n], { account: hub.trader.account });
      near(await hub.engine.read.settleBalanceOf([trader]), "3000");
      expect(await hub.engine.read.openMarketsOf([trader])).toEqual([0n]);
    });

    it("charges the taker fee to the trader and credits the pool", async () => {
      const feeHub = await deployHub(await connect("hub"), { takerFee: wad("0.001") });
      await feeHub.report(SPOKE_A, "USDC", "10000");
      await feeHub.engine.write.trade([0n, wad("2"), 0n], { account: feeHub.trader.account });
      near(await feeHub.engine.read.settleBalanceOf([feeHub.trader.account.address]), "-6");
      expect((await feeHub.engine.read.poolAccounts())[0]).toBe(wad("6"));
    });

    it("caps open interest per side", async () => {
      const capped = await deployHub(await connect("hub"), { openInterestCap: wad("3") });
      await capped.report(SPOKE_A, "USDC", "100000");
      await capped.engine.write.trade([0n, wad("3"), 0n], { account: capped.trader.account });
      await capped.connection.viem.assertions.revertWithCustomErrorWithArgs(
        capped.engine.write.trade([0n, wad("0.001"), 0n], { account: capped.trader.account }),
        capped.engine,
        "OpenInterestCapExceeded",
        [0n, wad("3.001"), wad("3")],
      );
      await capped.engine.write.trade([0n, wad("-3"), 0n], { account: capped.trader.account });
    });

    it("accrues skew-based funding: the crowded side pays", async () => {
      const funded = await deployHub(await connect("hub"), { maxFundingRatePerSecond: wad("0.000001") });
      await funded.report(SPOKE_A, "USDC", "100000");
      await funded.engine.write.trade([0n, wad("100"), 0n], { account: funded.trader.account });
      await funded.connection.networkHelpers.time.increase(1000);
      await funded.engine.write.trade([0n, wad("-100"), 0n], { account: funded.trader.account });
      // Skew 100 of scale 1000 → rate 1e-7/s; ~1000 s at 3000 → ~0.3 per unit, ×100 units ≈ 30 paid.
      const settle = await funded.engine.read.settleBalanceOf([funded.trader.account.address]);
      expect(settle).toBeLessThan(wad("-29.9"));
      expect(settle).toBeGreaterThan(wad("-30.2"));
    });

    it("values positions at their market's terms as configured now, beside a funding index of either sign", async () => {
      const rate = wad("0.000001");
      const funded = await deployHub(await connect("hub"), { maxFundingRatePerSecond: rate });
      const { engine } = funded;
      const account = funded.trader.account.address;
      await funded.report(SPOKE_A, "USDC", "100000");
      // Longs crowd ETH-PERP and shorts BTC-PERP: their funding indexes move apart from zero.
      await engine.write.trade([0n, wad("100"), 0n], { account: funded.trader.account });
      await engine.write.trade([1n, wad("-2"), 0n], { account: funded.trader.account });
      const initial = await expectHealthOfConfigs(funded, account);
      await funded.connection.networkHelpers.time.increase(1000);
      const configure = (marketId: bigint, feed: string, marginInit: string, marginMaint: string, sizeFactor: string) =>
        engine.write.configureMarket([
          marketId,
          {
            priceId: priceId(feed),
            marginInit: wad(marginInit),
            marginMaint: wad(marginMaint),
            sizeFactor: wad(sizeFactor),
            takerFee: 0n,
            lotSize: marketId === 0n ? wad("0.001") : wad("0.0001"),
            openInterestCap: wad("1000000"),
            maxFundingRatePerSecond: rate,
            skewScale: wad("1000"),
          },
        ]);

      // Reconfiguring accrues funding under the old terms first; the new terms keep the index.
      await funded.connection.viem.assertions.emitWithArgs(
        configure(0n, "WETH", "0.1", "0.06", "0"),
        engine,
        "MarketConfigured",
        [0n, priceId("WETH")],
      );
      await configure(1n, "WBTC", "0.08", "0.04", "0");
      const [ethIndex, btcIndex] = [
        (await engine.read.marketState([0n])).fundingIndex,
        (await engine.read.marketState([1n])).fundingIndex,
      ];
      expect(ethIndex).toBeGreaterThan(0n);
      expect(btcIndex).toBeLessThan(0n);
      const reconfigured = await expectHealthOfConfigs(funded, account);
      expect(reconfigured.requirement.init).toBeGreaterThan(initial.requirement.init);
      expect(reconfigured.pnl.maint).toBeLessThan(initial.pnl.maint);

      // A size premium (whose factor is not copied, only that it is nonzero) that binds: 0.8·0.1 + 0.01·√100 > 0.1;
      // then another feed.
      await configure(0n, "WETH", "0.1", "0.06", "0.01");
      await expectHealthOfConfigs(funded, account);
      await configure(1n, "WETH", "0.05", "0.03", "0");
      await expectHealthOfConfigs(funded, account);
      await configure(0n, "WETH", "0.05", "0.03", "0");
      expect((await engine.read.marketState([0n])).fundingIndex).toBeGreaterThan(ethIndex);
      expect((await engine.read.marketState([1n])).fundingIndex).toBeLessThan(btcIndex);
      await expectHealthOfConfigs(funded, account);
    });
  });

  describe("liquidation", () => {
    it("sizes a perp liquidation as vector V4 and splits the fee", async () => {
      await hub.report(SPOKE_A, "USDC", "2300");
      await hub.report(SPOKE_B, "WETH", "1");
      await hub.engine.write.trade([0n, wad("20"), 0n], { account: hub.trader.account });
      await hub.setPrice("WETH", "2850");
      const before = await hub.engine.read.healthOf([trader]);
      near(BigInt(before.healthMaint), "-35.95");
      expect(before.liquidatable).toBe(true);

      const hash = await hub.engine.write.liquidatePerp([trader, 0n], { account: hub.liquidator.account });
      await hub.connection.viem.assertions.emitWithArgs(hash, hub.engine, "PerpLiquidated", [
        getAddress(trader),
        0n,
        getAddress(hub.liquidator.account.address),
        wad("10.316"),
        wad("2850"),
        wad("220.5045"),
        wad("73.5015"),
      ]);
      expect((await hub.engine.read.positionOf([trader, 0n])).size).toBe(wad("9.684"));
      const after = await hub.engine.read.healthOf([trader]);
      expect(after.healthLiquidationEnd).toBeGreaterThan(before.healthLiquidationEnd);
      expect(await hub.engine.read.settleBalanceOf([hub.liquidator.account.address])).toBe(wad("220.5045"));
    });

    it("liquidates collateral as vector V5: repay on the hub, Seize to the liquidator and the treasury", async () => {
      // Reach V5's state: 4 WETH on chain A against a settle debt of 8500.
      await hub.report(SPOKE_A, "WETH", "4");
      await hub.engine.write.trade([0n, wad("8.5"), 0n], { account: hub.trader.account });
      await hub.setPrice("WETH", "2000");
      await hub.engine.write.trade([0n, wad("-8.5"), 0n], { account: hub.trader.account });
      await hub.setPrice("WETH", "2400");
      near(await hub.engine.read.settleBalanceOf([trader]), "-8500");

      const liquidator = hub.liquidator.account.address;
      await hub.fund(liquidator, "10000");
      const token = hub.spokeToken("WETH", SPOKE_A);
      const hash = await hub.engine.write.liquidateCollateral([trader, SPOKE_A, token, 0n], {
        account: hub.liquidator.account,
      });
      await hub.connection.viem.assertions.emitWithArgs(hash, hub.engine, "CollateralLiquidated", [
        getAddress(trader),
        SPOKE_A,
        getAddress(liquidator),
        getAddress(token),
        parseUnits("4000", 6),
        // V5 says 1.741666666666666667 / 0.008333333333333333: the protocol's share rounds up, within 1e-9.
        wad("1.741666666666666666"),
        wad("0.008333333333333334"),
      ]);
      const seizes = sentMessages(await hub.publicClient.waitForTransactionReceipt({ hash }), hub.messenger.address);
      expect(seizes.map((m) => m.decoded)).toMatchObject([
        { type: "Seize", to: getAddress(liquidator), amount: wad("1.741666666666666666"), cmdNonce: 1n },
        { type: "Seize", to: getAddress(hub.owner.account.address), amount: wad("0.008333333333333334"), cmdNonce: 2n },
      ]);
      near(await hub.engine.read.settleBalanceOf([trader]), "-4500");
      expect(await hub.usdc.read.balanceOf([hub.engine.address])).toBe(parseUnits("4000", 6));
    });

    it("writes bad debt off against the insurance fund first and socialises the rest", async () => {
      await hub.report(SPOKE_A, "USDC", "1600");
      await hub.engine.write.trade([0n, wad("10"), 0n], { account: hub.trader.account });
      await hub.setPrice("WETH", "2800");
      // A gap through bankruptcy: the loss (2000) exceeds the collateral (1600); close everything, then take all the collateral.
      while ((await hub.engine.read.positionOf([trader, 0n])).size !== 0n) {
        await hub.engine.write.liquidatePerp([trader, 0n], { account: hub.liquidator.account });
      }
      const liquidator = hub.liquidator.account.address;
      await hub.fund(liquidator, "10000");
      await hub.engine.write.liquidateCollateral([trader, SPOKE_A, hub.spokeToken("USDC", SPOKE_A), 0n], {
        account: hub.liquidator.account,
      });
      // The spoke executes both seizures and reports nothing left.
      await hub.report(SPOKE_A, "USDC", "0", { lastCommandNonce: 2n });
      await hub.fund(hub.keeper.account.address, "100");
      await hub.engine.write.fundInsurance([parseUnits("100", 6)], { account: hub.keeper.account });

      const debt = -(await hub.engine.read.settleBalanceOf([trader]));
      // The fund holds the 100 paid in plus its share of the perp liquidation fees.
      const [poolBefore, , insuranceBefore] = await hub.engine.read.poolAccounts();
      expect(insuranceBefore).toBeGreaterThan(wad("100"));
      expect(debt).toBeGreaterThan(insuranceBefore);
      const hash = await hub.engine.write.resolveBadDebt([trader]);
      await hub.connection.viem.assertions.emitWithArgs(hash, hub.engine, "BadDebtResolved", [
        getAddress(trader),
        debt,
        insuranceBefore,
        debt - insuranceBefore,
      ]);
      const [poolAfter, , insurance, socialized] = await hub.engine.read.poolAccounts();
      expect(insurance).toBe(0n);
      expect(socialized).toBe(debt - insuranceBefore);
      expect(poolAfter).toBe(poolBefore - socialized);
      expect(await hub.engine.read.settleBalanceOf([trader])).toBe(0n);
    });
  });

  describe("auto-margin", () => {
    it("sends Lock only for an opted-in account below initial health", async () => {
      await hub.report(SPOKE_A, "USDC", "1000");
      await hub.engine.write.trade([0n, wad("6"), 0n], { account: hub.trader.account });
      const token = hub.spokeToken("USDC", SPOKE_A);
      const lock = () =>
        hub.engine.write.autoMarginLock([trader, SPOKE_A, token, parseUnits("500", 6)], {
          account: hub.keeper.account,
        });
      await hub.connection.viem.assertions.revertWithCustomErrorWithArgs(lock(), hub.engine, "AutoMarginNotEnabled", [
        getAddress(trader),
      ]);
      await hub.engine.write.setAutoMargin([true], { account: hub.trader.account });
      await hub.connection.viem.assertions.revertWithCustomError(lock(), hub.engine, "AutoMarginNotNeeded");
      await hub.setPrice("WETH", "2900");
      const hash = await lock();
      const [command] = sentMessages(await hub.publicClient.waitForTransactionReceipt({ hash }), hub.messenger.address);
      expect(command?.decoded).toMatchObject({ type: "Lock", amount: parseUnits("500", 6), cmdNonce: 1n });
      expect(command?.decoded).not.toHaveProperty("to");
      void zeroAddress;
    });
  });

  describe("liquidity pool", () => {
    it("mints shares for deposits and pays them back", async () => {
      const lp = hub.lp.account.address;
      await hub.fund(lp, "1000");
      await hub.engine.write.depositLiquidity([parseUnits("1000", 6)], { account: hub.lp.account });
      expect(await hub.engine.read.liquiditySharesOf([lp])).toBe(wad("1000"));
      await hub.engine.write.withdrawLiquidity([wad("400"), lp], { account: hub.lp.account });
      expect(await hub.usdc.read.balanceOf([lp])).toBe(parseUnits("400", 6));
      await hub.connection.viem.assertions.revertWithCustomErrorWithArgs(
        hub.engine.write.withdrawLiquidity([wad("601"), lp], { account: hub.lp.account }),
        hub.engine,
        "InsufficientShares",
        [wad("600"), wad("601")],
      );
    });
  });
});
