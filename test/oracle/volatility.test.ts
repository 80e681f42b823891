import type { Hex } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import {
  chainlinkConfig,
  deployOracle,
  ESTIMATOR,
  type OracleFixture,
  priceId,
  type VolatilityConfig,
  WAD,
  YEAR,
} from "./fixtures.ts";

const ETH = priceId("ETH");
const START = 2_000n * 10n ** 8n;

/** Floating-point model of the estimator (IXmarginOracle NatSpec): annualised variance, σ and target k. */
class EstimatorModel {
  variance: number;
  constructor(private readonly config: VolatilityConfig) {
    const sigmaRef = Number(config.sigmaRef) / 1e18;
    this.variance = sigmaRef * sigmaRef;
  }
  observe(logReturn: number, elapsed: number) {
    const { window } = this.config;
    const annualised = logReturn * logReturn * Number(YEAR);
    this.variance =
      elapsed >= window
        ? annualised / elapsed
        : this.variance - (this.variance * elapsed) / window + annualised / window;
  }
  get sigma() {
    return Math.sqrt(this.variance);
  }
  get k() {
    const ratio = this.sigma / (Number(this.config.sigmaRef) / 1e18);
    return Math.min(Math.max(ratio, 1), Number(this.config.kMax) / 1e18);
  }
}

const relative = (actual: bigint, expected: number) => Math.abs(Number(actual) / 1e18 - expected) / expected;

describe("XmarginOracle: volatility estimator", () => {
  let f: OracleFixture;
  let feed: Awaited<ReturnType<OracleFixture["deployFeed"]>>;
  let model: EstimatorModel;
  let answer: bigint;

  async function setUp(volatility: VolatilityConfig = ESTIMATOR) {
    await f.oracle.write.addPriceId([ETH, chainlinkConfig(feed.address, { volatility })]);
    model = new EstimatorModel(volatility);
  }

  /** Waits `seconds`, publishes `next`, pokes, and feeds the same observation to the model. */
  async function step(seconds: number, next: bigint, id: Hex = ETH) {
    const before = await f.oracle.read.observation([id]);
    await f.networkHelpers.time.increase(seconds);
    await feed.write.setAnswer([next]);
    await f.oracle.write.poke([id]);
    const after = await f.oracle.read.observation([id]);
    expect(after.acceptedAt, "the poke was accepted").toBeGreaterThan(before.acceptedAt);
    model.observe(Math.log1p(Number(next - answer) / Number(answer)), Number(after.acceptedAt - before.acceptedAt));
    answer = next;
  }

  const multipliers = async () => {
    const [kInit, kMaint] = await f.oracle.read.volatilityMultipliers([ETH]);
    return { kInit, kMaint };
  };

  beforeEach(async () => {
    f = await deployOracle();
    answer = START;
    feed = await f.deployFeed(8, answer);
  });

  it("returns k = 1 and σ = 0 for an id without an estimator, and never emits VolatilityUpdated", async () => {
    await f.oracle.write.addPriceId([ETH, chainlinkConfig(feed.address)]);
    await f.networkHelpers.time.increase(600);
    await feed.write.setAnswer([START + START / 10n]);
    const hash = await f.oracle.write.poke([ETH]);
    const receipt = await f.publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.logs).toHaveLength(1); // PriceAccepted only
    expect(await multipliers()).toEqual({ kInit: WAD, kMaint: WAD });
    expect(await f.oracle.read.volatility([ETH])).toBe(0n);
  });

  it("starts at the neutral prior σ = σ_ref with k = 1", async () => {
    await setUp();
    expect(await f.oracle.read.volatility([ETH])).toBe(ESTIMATOR.sigmaRef);
    expect(await multipliers()).toEqual({ kInit: WAD, kMaint: WAD });
  });

  it("keeps k = 1 through a calm series and tracks the model's σ", async () => {
    // A one-hour window so that four hours wash out the prior σ_ref.
    await setUp({ ...ESTIMATOR, window: 3_600 });
    for (let i = 0; i < 48; i++) {
      // ±0.1% every five minutes: about 32% annualised, well under σ_ref = 80%.
      await step(300, i % 2 === 0 ? (answer * 1_001n) / 1_000n : (answer * 999n) / 1_000n);
      expect(await multipliers()).toEqual({ kInit: WAD, kMaint: WAD });
    }
    expect(relative(await f.oracle.read.volatility([ETH]), model.sigma)).toBeLessThan(1e-9);
    expect(model.sigma).toBeGreaterThan(0.3);
    expect(model.sigma).toBeLessThan(0.35);
  });

  it("raises kInit at once and ramps kMaint linearly over rampDuration", async () => {
    await setUp();
    await step(300, (answer * 115n) / 100n);
    const state = await f.oracle.read.volatilityState([ETH]);
    const { kInit, kMaint } = await multipliers();
    expect(relative(kInit, model.k)).toBeLessThan(1e-9);
    expect(model.k).toBeGreaterThan(3);
    expect(kMaint).toBe(WAD);
    expect(state).toMatchObject({ kMaintFrom: WAD, rampEnd: state.rampStart + ESTIMATOR.rampDuration });

    const half = ESTIMATOR.rampDuration / 2;
    await f.networkHelpers.time.increaseTo(state.rampStart + half);
    // Halfway: from + (kInit − from)/2, rounded up.
    expect(await multipliers()).toEqual({ kInit, kMaint: WAD + (kInit - WAD + 1n) / 2n });

    await f.networkHelpers.time.increaseTo(state.rampEnd - 1);
    expect((await multipliers()).kMaint).toBeLessThan(kInit);
    await f.networkHelpers.time.increase(1);
    expect(await multipliers()).toEqual({ kInit, kMaint: kInit });
  });

  it("emits VolatilityUpdated with σ, kInit, the current kMaint and the ramp's end", async () => {
    await setUp();
    await feed.write.setAnswer([(answer * 115n) / 100n]);
    const pokedAt = (await f.now()) + 300n;
    await f.networkHelpers.time.setNextBlockTimestamp(pokedAt);
    await f.viem.assertions.emitWithArgs(f.oracle.write.poke([ETH]), f.oracle, "VolatilityUpdated", [
      ETH,
      (sigma: bigint) => sigma > ESTIMATOR.sigmaRef * 3n,
      (kInit: bigint) => kInit > 3n * WAD,
      WAD,
      pokedAt + BigInt(ESTIMATOR.rampDuration),
    ]);
  });

  it("applies a fall to both tiers at once, even mid-ramp", async () => {
    const slowRamp = { ...ESTIMATOR, rampDuration: 86_400 };
    await setUp(slowRamp);
    await step(300, (answer * 115n) / 100n);
    const spike = await multipliers();

    // 20 hours of a flat price: variance decays to a sixth; kMaint had ramped to about 1 + 2.5·20/24.
    await step(72_000, answer);
    const after = await multipliers();
    expect(after.kInit).toBe(after.kMaint);
    expect(after.kInit).toBeLessThan(spike.kInit);
    expect(relative(after.kInit, model.k)).toBeLessThan(1e-9);
    const state = await f.oracle.read.volatilityState([ETH]);
    expect(state.rampEnd).toBe(state.rampStart);
  });

  it("lowers the ramp's target when kInit falls but stays above kMaint", async () => {
    await setUp({ ...ESTIMATOR, rampDuration: 86_400 });
    await step(300, (answer * 115n) / 100n);
    const spike = await multipliers();
    const rampStart = (await f.oracle.read.volatilityState([ETH])).rampStart;

    await f.networkHelpers.time.increaseTo(rampStart + 21_600 - 1);
    const beforeFall = await multipliers();
    await feed.write.setAnswer([answer]);
    await f.oracle.write.poke([ETH]);
    const after = await multipliers();
    expect(after.kInit).toBeLessThan(spike.kInit);
    expect(after.kMaint).toBeLessThan(beforeFall.kMaint);
    expect(after.kMaint).toBeLessThan(after.kInit);
    expect((await f.oracle.read.volatilityState([ETH])).rampStart).toBe(rampStart);
  });

  it("restarts the ramp from the current kMaint when k rises again", async () => {
    await setUp();
    await step(300, (answer * 110n) / 100n);
    const first = await f.oracle.read.volatilityState([ETH]);
    await f.networkHelpers.time.increaseTo(first.rampStart + 3_600 - 1);
    await feed.write.setAnswer([(answer * 118n) / 100n]);
    await f.oracle.write.poke([ETH]);
    const second = await f.oracle.read.volatilityState([ETH]);
    // kMaint at the second poke, one second after halfway through the first ramp.
    const elapsed = BigInt(second.rampStart - first.rampStart);
    const expectedFrom =
      first.kMaintFrom +
      ((first.kInit - first.kMaintFrom) * elapsed + BigInt(ESTIMATOR.rampDuration) - 1n) /
        BigInt(ESTIMATOR.rampDuration);
    expect(second.kInit).toBeGreaterThan(first.kInit);
    expect(second.kMaintFrom).toBe(expectedFrom);
    expect(second.rampEnd).toBe(second.rampStart + ESTIMATOR.rampDuration);
  });

  it("clamps k at kMax", async () => {
    await setUp({ ...ESTIMATOR, sigmaRef: 10n ** 17n });
    await step(300, (answer * 119n) / 100n);
    expect((await multipliers()).kInit).toBe(ESTIMATOR.kMax);
  });
});
