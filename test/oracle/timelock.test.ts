import hre from "hardhat";
import { getAddress } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import {
  AcceptReason,
  chainlinkConfig,
  DELAY,
  deployOracle,
  ESTIMATOR,
  NO_ESTIMATOR,
  type OracleFixture,
  Parameter,
  type PriceConfig,
  priceId,
  vaultConfig,
  WAD,
} from "./fixtures.ts";

const ETH = priceId("ETH");
const DAY = 86_400;

describe("XmarginOracle: timelocked configuration", () => {
  let f: OracleFixture;
  let feed: Awaited<ReturnType<OracleFixture["deployFeed"]>>;
  let config: PriceConfig;

  beforeEach(async () => {
    f = await deployOracle();
    feed = await f.deployFeed(8, 2_000n * 10n ** 8n);
    config = chainlinkConfig(feed.address);
  });

  /** Queues `next` for ETH at a known timestamp and returns when it becomes executable. */
  async function propose(next: PriceConfig) {
    const proposedAt = (await f.now()) + 10n;
    await f.networkHelpers.time.setNextBlockTimestamp(proposedAt);
    await f.viem.assertions.emitWithArgs(f.oracle.write.proposeConfig([ETH, next]), f.oracle, "ConfigProposed", [
      ETH,
      next,
      proposedAt + DELAY,
    ]);
    return proposedAt + DELAY;
  }

  it("applies the first configuration of a new id at once, then refuses to add it again", async () => {
    await f.viem.assertions.emitWithArgs(f.oracle.write.addPriceId([ETH, config]), f.oracle, "PriceIdAdded", [
      ETH,
      config,
    ]);
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.oracle.write.addPriceId([ETH, config]),
      f.oracle,
      "PriceIdExists",
      [ETH],
    );
  });

  it("anchors the source price when an id is added", async () => {
    await f.viem.assertions.emitWithArgs(f.oracle.write.addPriceId([ETH, config]), f.oracle, "PriceAccepted", [
      ETH,
      2_000n * WAD,
      0n,
      AcceptReason.SourceSet,
    ]);
  });

  it("executes a proposal only after the delay, by anyone", async () => {
    await f.oracle.write.addPriceId([ETH, config]);
    const next = { ...config, maxAge: 7_200, maxDeviation: WAD / 10n };
    const executableAt = await propose(next);
    expect(await f.oracle.read.pendingConfig([ETH])).toEqual([next, executableAt]);

    await f.networkHelpers.time.setNextBlockTimestamp(executableAt - 1n);
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.oracle.write.executeConfig([ETH], { account: f.stranger.account }),
      f.oracle,
      "TimelockNotElapsed",
      [executableAt],
    );
    expect((await f.oracle.read.priceConfig([ETH])).maxAge).toBe(config.maxAge);

    await f.networkHelpers.time.setNextBlockTimestamp(executableAt);
    await f.viem.assertions.emitWithArgs(
      f.oracle.write.executeConfig([ETH], { account: f.stranger.account }),
      f.oracle,
      "ConfigExecuted",
      [ETH, next],
    );
    expect(await f.oracle.read.priceConfig([ETH])).toEqual(next);
    expect((await f.oracle.read.pendingConfig([ETH]))[1]).toBe(0n);
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.oracle.write.executeConfig([ETH]),
      f.oracle,
      "NoPendingConfig",
      [ETH],
    );
  });

  it("re-anchors at the new source's price when the source changes", async () => {
    await f.oracle.write.addPriceId([ETH, config]);
    const newFeed = await f.deployFeed(18, 2_600n * WAD);
    const executableAt = await propose({ ...config, source: getAddress(newFeed.address) });
    await f.networkHelpers.time.increaseTo(executableAt);
    await newFeed.write.setAnswer([2_600n * WAD]);
    await f.viem.assertions.emitWithArgs(f.oracle.write.executeConfig([ETH]), f.oracle, "PriceAccepted", [
      ETH,
      2_600n * WAD,
      0n,
      AcceptReason.SourceSet,
    ]);
    // 30% above the old anchor, yet not stale: the new source starts from its own price.
    expect(await f.oracle.read.getPrice([ETH])).toEqual({ price: 2_600n * WAD, stale: false });
  });

  it("cancels a proposal", async () => {
    await f.oracle.write.addPriceId([ETH, config]);
    const executableAt = await propose({ ...config, maxAge: 60 });
    await f.viem.assertions.emitWithArgs(f.oracle.write.cancelConfig([ETH]), f.oracle, "ConfigProposalCancelled", [
      ETH,
    ]);
    await f.networkHelpers.time.increaseTo(executableAt);
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.oracle.write.executeConfig([ETH]),
      f.oracle,
      "NoPendingConfig",
      [ETH],
    );
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.oracle.write.cancelConfig([ETH]),
      f.oracle,
      "NoPendingConfig",
      [ETH],
    );
  });

  it("refuses to propose for an unknown id", async () => {
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.oracle.write.proposeConfig([ETH, config]),
      f.oracle,
      "UnknownPriceId",
      [ETH],
    );
  });

  it("re-validates at execution: a vault's underlying must still be a Chainlink id", async () => {
    const USDC = priceId("USDC");
    const asset = await f.viem.deployContract("MockERC4626Asset", [6]);
    const vault = await f.viem.deployContract("MockERC4626", [asset.address, 0]);
    await f.oracle.write.addPriceId([ETH, config]);
    await f.oracle.write.addPriceId([USDC, chainlinkConfig(feed.address)]);
    // ETH → vault over USDC, and USDC → vault over ETH: each valid alone, a cycle together.
    await f.oracle.write.proposeConfig([ETH, vaultConfig(vault.address, USDC)]);
    await f.oracle.write.proposeConfig([USDC, vaultConfig(vault.address, ETH)]);
    await f.networkHelpers.time.increase(DELAY);
    await f.oracle.write.executeConfig([ETH]);
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.oracle.write.executeConfig([USDC]),
      f.oracle,
      "InvalidUnderlying",
      [USDC, ETH],
    );
  });

  it("seeds, retargets and removes the estimator through proposals", async () => {
    await f.oracle.write.addPriceId([ETH, config]);
    await f.networkHelpers.time.increaseTo(await propose({ ...config, volatility: ESTIMATOR }));
    await f.oracle.write.executeConfig([ETH]);
    expect(await f.oracle.read.volatility([ETH])).toBe(ESTIMATOR.sigmaRef);

    // Halving σ_ref doubles k: a rise, so kInit moves at once and kMaint ramps.
    await f.networkHelpers.time.increaseTo(
      await propose({ ...config, volatility: { ...ESTIMATOR, sigmaRef: ESTIMATOR.sigmaRef / 2n } }),
    );
    await f.oracle.write.executeConfig([ETH]);
    expect(await f.oracle.read.volatilityMultipliers([ETH])).toEqual([2n * WAD, WAD]);

    // Lowering kMax below k: a fall, applied to both tiers at once.
    await f.networkHelpers.time.increaseTo(
      await propose({
        ...config,
        volatility: { ...ESTIMATOR, sigmaRef: ESTIMATOR.sigmaRef / 2n, kMax: (3n * WAD) / 2n },
      }),
    );
    await f.oracle.write.executeConfig([ETH]);
    expect(await f.oracle.read.volatilityMultipliers([ETH])).toEqual([(3n * WAD) / 2n, (3n * WAD) / 2n]);

    await f.networkHelpers.time.increaseTo(await propose({ ...config, volatility: NO_ESTIMATOR }));
    await f.oracle.write.executeConfig([ETH]);
    expect(await f.oracle.read.volatilityMultipliers([ETH])).toEqual([WAD, WAD]);
    expect(await f.oracle.read.volatility([ETH])).toBe(0n);
  });

  it.each([
    { name: "maxAge 0", change: { maxAge: 0 }, args: [Parameter.MaxAge, 0n, 60n, 86_400n] },
    { name: "maxAge above a day", change: { maxAge: DAY + 1 }, args: [Parameter.MaxAge, 86_401n, 60n, 86_400n] },
    {
      name: "minInterval below a minute",
      change: { minInterval: 59 },
      args: [Parameter.MinInterval, 59n, 60n, 86_400n],
    },
    {
      name: "minInterval above a day",
      change: { minInterval: DAY + 1 },
      args: [Parameter.MinInterval, 86_401n, 60n, 86_400n],
    },
    {
      name: "maxDeviation below 1%",
      change: { maxDeviation: 10n ** 16n - 1n },
      args: [Parameter.MaxDeviation, 10n ** 16n - 1n, 10n ** 16n, WAD],
    },
    {
      name: "maxDeviation above 100%",
      change: { maxDeviation: WAD + 1n },
      args: [Parameter.MaxDeviation, WAD + 1n, 10n ** 16n, WAD],
    },
    {
      name: "sigmaRef below 1%",
      change: { volatility: { ...ESTIMATOR, sigmaRef: 10n ** 16n - 1n } },
      args: [Parameter.SigmaRef, 10n ** 16n - 1n, 10n ** 16n, 10n * WAD],
    },
    {
      name: "kMax below 1",
      change: { volatility: { ...ESTIMATOR, kMax: WAD - 1n } },
      args: [Parameter.KMax, WAD - 1n, WAD, 5n * WAD],
    },
    {
      name: "kMax above 5",
      change: { volatility: { ...ESTIMATOR, kMax: 5n * WAD + 1n } },
      args: [Parameter.KMax, 5n * WAD + 1n, WAD, 5n * WAD],
    },
    {
      name: "window shorter than minInterval",
      change: { minInterval: 600, volatility: { ...ESTIMATOR, window: 599 } },
      args: [Parameter.Window, 599n, 600n, 90n * 86_400n],
    },
    {
      name: "rampDuration above a week",
      change: { volatility: { ...ESTIMATOR, rampDuration: 7 * DAY + 1 } },
      args: [Parameter.RampDuration, BigInt(7 * DAY + 1), 0n, BigInt(7 * DAY)],
    },
  ] as const)("bounds $name, on add and on proposal", async ({ change, args }) => {
    const bad = { ...config, ...change };
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.oracle.write.addPriceId([ETH, bad]),
      f.oracle,
      "ParameterOutOfBounds",
      [...args],
    );
    await f.oracle.write.addPriceId([ETH, config]);
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.oracle.write.proposeConfig([ETH, bad]),
      f.oracle,
      "ParameterOutOfBounds",
      [...args],
    );
  });

  it("rejects a zero source", async () => {
    const zero = "0x0000000000000000000000000000000000000000";
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.oracle.write.addPriceId([ETH, { ...config, source: zero }]),
      f.oracle,
      "InvalidSource",
      [ETH, zero],
    );
  });

  it("restricts every owner action to the owner", async () => {
    await f.oracle.write.addPriceId([ETH, config]);
    const account = { account: f.stranger.account };
    for (const call of [
      f.oracle.write.addPriceId([priceId("BTC"), config], account),
      f.oracle.write.proposeConfig([ETH, config], account),
      f.oracle.write.cancelConfig([ETH], account),
      f.oracle.write.proposeDelay([DELAY], account),
      f.oracle.write.confirmPrice([ETH], account),
    ]) {
      await f.viem.assertions.revertWithCustomErrorWithArgs(call, f.oracle, "OwnableUnauthorizedAccount", [
        f.stranger.account.address,
      ]);
    }
  });

  it("hands ownership over in two steps", async () => {
    await f.oracle.write.transferOwnership([f.stranger.account.address]);
    expect(getAddress(await f.oracle.read.owner())).toBe(getAddress(f.owner.account.address));
    await f.oracle.write.acceptOwnership({ account: f.stranger.account });
    await f.oracle.write.addPriceId([ETH, config], { account: f.stranger.account });
  });

  it("changes the delay itself through the timelock, within bounds", async () => {
    const { viem } = await hre.network.connect({ network: "hub" });
    await viem.assertions.revertWithCustomErrorWithArgs(
      viem.deployContract("XmarginOracle", [f.owner.account.address, 3_599n]),
      f.oracle,
      "ParameterOutOfBounds",
      [Parameter.Delay, 3_599n, 3_600n, 14n * 86_400n],
    );
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.oracle.write.proposeDelay([14n * 86_400n + 1n]),
      f.oracle,
      "ParameterOutOfBounds",
      [Parameter.Delay, 14n * 86_400n + 1n, 3_600n, 14n * 86_400n],
    );
    await f.viem.assertions.revertWithCustomError(f.oracle.write.executeDelay(), f.oracle, "NoPendingDelay");

    const proposedAt = (await f.now()) + 10n;
    await f.networkHelpers.time.setNextBlockTimestamp(proposedAt);
    await f.viem.assertions.emitWithArgs(f.oracle.write.proposeDelay([3_600n]), f.oracle, "DelayProposed", [
      3_600n,
      proposedAt + DELAY,
    ]);
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.oracle.write.executeDelay(),
      f.oracle,
      "TimelockNotElapsed",
      [proposedAt + DELAY],
    );
    await f.networkHelpers.time.increaseTo(proposedAt + DELAY);
    await f.viem.assertions.emitWithArgs(f.oracle.write.executeDelay(), f.oracle, "DelayChanged", [DELAY, 3_600n]);
    expect(await f.oracle.read.delay()).toBe(3_600n);
    expect(await f.oracle.read.pendingDelay()).toEqual([0n, 0n]);
  });
});
