import { type Hex, keccak256, toHex, zeroAddress } from "viem";
import { describe, expect, it } from "vitest";
import { parseWad as wad } from "../risk/fixed.ts";
import { healthBreakdown } from "../risk/health.ts";
import { liquidationPrice } from "./liquidationPrice.ts";
import { type AccountState, toRiskInputs } from "./state.ts";

const USDC = keccak256(toHex("USDC"));
const WETH = keccak256(toHex("WETH"));

/** An account with USDC and WETH collateral and one ETH position priced by the WETH feed. */
function account({
  usdc,
  weth,
  size,
  entry = "3000",
}: {
  usdc: string;
  weth: string;
  size: string;
  entry?: string;
}): AccountState {
  const asset = (assetId: number, priceId: Hex, price: string, weight: string) => ({
    assetId,
    priceId,
    weightInit: wad(weight),
    weightMaint: wad(weight),
    sizeFactor: 0n,
    price: wad(price),
    stale: false,
    kInit: wad("1"),
    kMaint: wad("1"),
  });
  const entry_ = (assetId: number, decimals: number, amount: bigint) => ({
    chainId: 1,
    token: zeroAddress,
    decimals,
    assetId,
    haircut: wad("0.02"),
    reportedLocked: amount,
    pendingDecrease: 0n,
    counted: amount,
    seq: 1,
    acknowledgedNonce: 0n,
    reportedAt: 0,
  });
  return {
    account: zeroAddress,
    blockNumber: 1n,
    timestamp: 1n,
    riskParams: {
      pnlWeightInit: wad("0.8"),
      liquidationBuffer: wad("0.02"),
      liquidationFee: wad("0.01"),
      liquidationFeeInsuranceShare: wad("0.25"),
      collateralBonus: wad("0.05"),
      collateralBonusProtocolShare: wad("0.1"),
    },
    maxReportAge: 0n,
    settleDecimals: 6,
    settleBalance: 0n,
    entries: [entry_(0, 6, wad(usdc) / 10n ** 12n), entry_(1, 18, wad(weth))],
    positions: size === "0" ? [] : [{ marketId: 0n, size: wad(size), entryPrice: wad(entry), fundingSnapshot: 0n }],
    assets: new Map([
      [0, asset(0, USDC, "1", "1")],
      [1, asset(1, WETH, "3000", "0.85")],
    ]),
    markets: new Map([
      [
        0n,
        {
          marketId: 0n,
          config: {
            priceId: WETH,
            marginInit: wad("0.05"),
            marginMaint: wad("0.03"),
            sizeFactor: 0n,
            takerFee: 0n,
            lotSize: wad("0.001"),
            openInterestCap: wad("1000000"),
            maxFundingRatePerSecond: 0n,
            skewScale: wad("1000"),
          },
          state: {
            longOpenInterest: 0n,
            shortOpenInterest: 0n,
            fundingIndex: 0n,
            lastFundingAt: 0n,
            sizeTimesEntry: 0n,
          },
          price: wad("3000"),
          stale: false,
          kInit: wad("1"),
          kMaint: wad("1"),
        },
      ],
    ]),
  };
}

const liquidatableAt = (state: AccountState, priceId: Hex, price: bigint) =>
  healthBreakdown(toRiskInputs(state, new Map([[priceId, price]]))).liquidatable;

describe("liquidationPrice", () => {
  it("a long margined by WETH: the highest WETH price that liquidates, moving collateral and position together", () => {
    const state = account({ usdc: "1000", weth: "1", size: "10" });
    const level = liquidationPrice(state, WETH);
    expect(level).toMatchObject({ direction: "down", liquidatableNow: false, currentPrice: wad("3000") });
    const price = level.price as bigint;
    expect(liquidatableAt(state, WETH, price)).toBe(true);
    expect(liquidatableAt(state, WETH, price + 1n)).toBe(false);
    // H^maint = 1000·0.98 + 0.98·0.85·p + 10·(p − 3000) − 0.3·p: the real-valued root, within a wei of the result.
    const slope = (wad("0.98") * wad("0.85")) / wad("1") + wad("10") - wad("0.3");
    const root = ((wad("30000") - wad("980")) * wad("1")) / slope;
    expect(price === root || price === root - 1n || price === root + 1n).toBe(true);
  });

  it("a short: the lowest price that liquidates, above the current one", () => {
    const state = account({ usdc: "2000", weth: "0", size: "-5" });
    const level = liquidationPrice(state, WETH);
    expect(level.direction).toBe("up");
    const price = level.price as bigint;
    expect(liquidatableAt(state, WETH, price)).toBe(true);
    expect(liquidatableAt(state, WETH, price - 1n)).toBe(false);
  });

  it("none when no price gets there, or when health does not depend on the price", () => {
    // Unleveraged collateral only: even at a WETH price of zero the USDC keeps H^maint ≥ 0.
    expect(liquidationPrice(account({ usdc: "1000", weth: "1", size: "0" }), WETH)).toMatchObject({
      direction: "down",
      price: null,
    });
    // A price id the account does not hold.
    expect(liquidationPrice(account({ usdc: "1000", weth: "0", size: "0" }), WETH)).toMatchObject({
      direction: null,
      price: null,
    });
    // A short over-backed by WETH: H^maint = 8.33·p − (p − 3000) − 0.03·p rises with p and stays positive at 0.
    expect(liquidationPrice(account({ usdc: "0", weth: "10", size: "-1" }), WETH)).toMatchObject({
      direction: "down",
      price: null,
    });
  });

  it("an account already liquidatable reports its current price", () => {
    const state = account({ usdc: "100", weth: "0", size: "10", entry: "3200" });
    expect(liquidationPrice(state, WETH)).toMatchObject({ liquidatableNow: true, price: wad("3000") });
  });
});
