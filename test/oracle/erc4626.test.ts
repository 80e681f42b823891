import { beforeEach, describe, expect, it } from "vitest";
import {
  chainlinkConfig,
  deployOracle,
  type OracleFixture,
  Parameter,
  priceId,
  SourceKind,
  vaultConfig,
} from "./fixtures.ts";

const USDC = priceId("USDC");
const SUSDC = priceId("sUSDC");
/** $1.0001 with 8 decimals. */
const USDC_ANSWER = 100_010_000n;
const USDC_PRICE = 1_000_100_000_000_000_000n;

describe("XmarginOracle: ERC-4626 sources", () => {
  let f: OracleFixture;
  beforeEach(async () => {
    f = await deployOracle();
  });

  async function deployVault(assetDecimals: number, decimalsOffset: number) {
    const asset = await f.viem.deployContract("MockERC4626Asset", [assetDecimals]);
    const vault = await f.viem.deployContract("MockERC4626", [asset.address, decimalsOffset]);
    const unit = 10n ** BigInt(assetDecimals);
    await asset.write.mint([f.owner.account.address, 1_000n * unit]);
    await asset.write.approve([vault.address, 1_000n * unit]);
    await vault.write.deposit([1_000n * unit, f.owner.account.address]);
    return { asset, vault, unit };
  }

  async function setUp(assetDecimals = 6, decimalsOffset = 0) {
    const feed = await f.deployFeed(8, USDC_ANSWER);
    await f.oracle.write.addPriceId([USDC, chainlinkConfig(feed.address)]);
    const deployed = await deployVault(assetDecimals, decimalsOffset);
    await f.oracle.write.addPriceId([SUSDC, vaultConfig(deployed.vault.address, USDC)]);
    return { feed, ...deployed };
  }

  it.each([
    { assetDecimals: 6, decimalsOffset: 0 },
    { assetDecimals: 6, decimalsOffset: 12 },
    { assetDecimals: 18, decimalsOffset: 0 },
  ])(
    "prices a share from convertToAssets and the underlying (asset $assetDecimals decimals, offset $decimalsOffset)",
    async ({ assetDecimals, decimalsOffset }) => {
      const { asset, vault, unit } = await setUp(assetDecimals, decimalsOffset);
      // 10% yield.
      await asset.write.mint([vault.address, 100n * unit]);
      const shareUnit = 10n ** BigInt(await vault.read.decimals());
      const assetsPerShare = await vault.read.convertToAssets([shareUnit]);
      const { price, stale } = await f.oracle.read.getPrice([SUSDC]);
      expect(stale).toBe(false);
      // Rounded down.
      expect(price).toBe((assetsPerShare * USDC_PRICE) / unit);
      expect(Number(price) / 1e18).toBeCloseTo(1.1 * 1.0001, 5);
    },
  );

  it("is stale while the underlying is stale, from age or from a jump", async () => {
    const { feed } = await setUp();
    await f.networkHelpers.time.increase(3_601);
    expect((await f.oracle.read.getPrice([SUSDC])).stale).toBe(true);
    await feed.write.setAnswer([USDC_ANSWER]);
    expect((await f.oracle.read.getPrice([SUSDC])).stale).toBe(false);
    await feed.write.setAnswer([(USDC_ANSWER * 13n) / 10n]);
    expect((await f.oracle.read.getPrice([USDC])).stale).toBe(true);
    expect((await f.oracle.read.getPrice([SUSDC])).stale).toBe(true);
  });

  it("treats a donation that jumps the share price beyond the bound as stale until confirmed", async () => {
    const { asset, vault, unit } = await setUp();
    await asset.write.mint([vault.address, 300n * unit]);
    expect((await f.oracle.read.getPrice([SUSDC])).stale).toBe(true);
    await f.networkHelpers.time.increase(60);
    await f.oracle.write.poke([SUSDC]);
    await f.networkHelpers.time.increase(60);
    await f.oracle.write.poke([SUSDC]);
    expect((await f.oracle.read.getPrice([SUSDC])).stale).toBe(false);
  });

  it("reverts InvalidPrice when a share is worth nothing", async () => {
    const { vault, unit } = await setUp();
    await vault.write.loseAssets([1_000n * unit - 1n]);
    expect(await vault.read.convertToAssets([unit])).toBe(0n);
    await f.viem.assertions.revertWithCustomErrorWithArgs(f.oracle.read.getPrice([SUSDC]), f.oracle, "InvalidPrice", [
      SUSDC,
      0n,
    ]);
  });

  it("rejects an underlying that is unknown, itself, or not a Chainlink id", async () => {
    const { vault } = await setUp();
    const OTHER = priceId("sUSDC-2");
    for (const underlying of [priceId("NOPE"), OTHER, SUSDC]) {
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.oracle.write.addPriceId([OTHER, vaultConfig(vault.address, underlying)]),
        f.oracle,
        "InvalidUnderlying",
        [OTHER, underlying],
      );
    }
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.oracle.write.addPriceId([OTHER, chainlinkConfig(vault.address, { underlyingId: USDC })]),
      f.oracle,
      "InvalidUnderlying",
      [OTHER, USDC],
    );
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.oracle.write.addPriceId([OTHER, vaultConfig(vault.address, USDC, { maxAge: 60 })]),
      f.oracle,
      "ParameterOutOfBounds",
      [Parameter.MaxAge, 60n, 0n, 0n],
    );
    expect((await f.oracle.read.priceConfig([SUSDC])).kind).toBe(SourceKind.Erc4626);
  });
});
