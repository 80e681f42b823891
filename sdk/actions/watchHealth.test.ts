import { parseUnits } from "viem";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { xmarginActions } from "../decorators/xmargin.ts";
import { parseDeployment } from "../deployments.ts";
import { ClientError, DeploymentError, type XmarginError } from "../errors.ts";
import { erfc, SECONDS_PER_YEAR } from "../portfolio/firstPassage.ts";
import { ACCOUNT_INDEX, deployFixture, type Fixture, priceId, wad } from "../test-utils/fixture.ts";
import type { GetAccountReturnType } from "./getAccount.ts";
import type { HealthAlert } from "./watchHealth.ts";

/** Resolves once `check` holds, polling every 10 ms; fails after `timeout` ms. */
async function eventually(check: () => boolean, timeout = 5000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeout) throw new Error("condition not reached");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("getLiquidationRisk, watchHealth and watchAccount", () => {
  let f: Fixture;
  let hub: ReturnType<Fixture["sdkClient"]>;
  const stops: (() => void)[] = [];

  beforeAll(async () => {
    f = await deployFixture();
    hub = f.sdkClient("hub");
    await f.mint("spokeA", "USDC", hub.account.address, parseUnits("3000", 6));
    await f.sdkClient("spokeA").deposit({ asset: "USDC", amount: parseUnits("3000", 6) });
    await f.relay.flush();
    await hub.trade({ market: "ETH-PERP", size: wad("10") });
  });

  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
  });

  it("gives the move to liquidation in units of the oracle's σ and its first-passage probability", async () => {
    const day = await hub.getLiquidationRisk({ horizon: 86_400 });
    const [weth] = day.factors;
    // The fixture's WETH estimator starts at σ = σ_ref = 80%.
    expect(weth).toMatchObject({
      priceId: priceId("WETH"),
      labels: ["ETH-PERP"],
      sigma: wad("0.8"),
      direction: "down",
    });
    const level = Number(weth?.price) / 1e18;
    const distance = Math.log(3000 / level);
    expect(weth?.sigmas).toBeCloseTo(distance / 0.8, 12);
    const expected = erfc(distance / (0.8 * Math.sqrt(86_400 / SECONDS_PER_YEAR) * Math.SQRT2));
    expect(weth?.probability).toBeCloseTo(expected, 12);
    expect(day.probabilityUpperBound).toBeGreaterThanOrEqual(day.probability);
    // Over a longer horizon the same move is likelier; USDC has no estimator, so it contributes nothing.
    const month = await hub.getLiquidationRisk({ horizon: 30 * 86_400 });
    expect(month.probability).toBeGreaterThan(day.probability);
    expect(month.factors.find((factor) => factor.priceId === priceId("USDC"))?.probability).toBe(0);
  });

  it("alerts on health ratio thresholds both ways, on liquidatability, and on the predicted probability first", async () => {
    const alerts: HealthAlert[] = [];
    const names = () => alerts.map((a) => `${a.name}:${a.state}`);
    stops.push(
      hub.watchHealth({
        thresholds: [{ name: "warning", healthRatio: 2.5 }],
        prediction: { horizon: 7 * 86_400, probability: 0.25 },
        onAlert: (alert) => alerts.push(alert),
      }),
    );
    // Healthy (E/R = 3000/900) but a 7% fall liquidates, and a week of 80% volatility makes that a coin flip
    // (P ≈ 0.50): only the prediction fires. At 2900 the ratio is 2000/870 ≈ 2.3, below the warning level.
    await eventually(() => alerts.length > 0);
    expect(names()).toEqual(["liquidationProbability:entered"]);
    await f.setPrice("WETH", "2900");
    await eventually(() => names().includes("warning:entered"));
    await f.setPrice("WETH", "2750");
    await eventually(() => names().includes("liquidatable:entered"));
    await f.setPrice("WETH", "3000");
    await eventually(() => names().includes("liquidatable:cleared") && names().includes("warning:cleared"));
  });

  it("watchAccount reports the account on the first look and after each change, until stopped", async () => {
    const seen: GetAccountReturnType[] = [];
    const stop = hub.watchAccount({ onChange: (account) => seen.push(account) });
    stops.push(stop);
    await eventually(() => seen.length === 1);
    await hub.trade({ market: "ETH-PERP", size: wad("1") });
    await eventually(() => seen.length === 2);
    expect(seen[1]?.positions[0]?.size).toBe(wad("11"));
    stop();
    await hub.trade({ market: "ETH-PERP", size: wad("1") });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toHaveLength(2);
  });

  it("throw ClientError at once without an account, and pass a failed look to onError", async () => {
    const accountless = f.chains.hub.publicClient.extend(
      xmarginActions({ deployment: f.deployment, chainClients: f.chainClients }),
    );
    expect(() => accountless.watchHealth({ onAlert: () => {} })).toThrow(ClientError);
    expect(() => accountless.watchAccount({ onChange: () => {} })).toThrow(ClientError);

    const { engine: _engine, ...contracts } = f.deployment.hub.contracts;
    const deployment = parseDeployment({ ...f.deployment, hub: { ...f.deployment.hub, contracts } });
    const client = f
      .walletClient("hub", ACCOUNT_INDEX.trader)
      .extend(xmarginActions({ deployment, chainClients: f.chainClients }));
    const healthErrors: XmarginError[] = [];
    const accountErrors: XmarginError[] = [];
    stops.push(client.watchHealth({ onAlert: () => {}, onError: (error) => healthErrors.push(error) }));
    stops.push(client.watchAccount({ onChange: () => {}, onError: (error) => accountErrors.push(error) }));
    await eventually(() => healthErrors.length > 0 && accountErrors.length > 0);
    expect(healthErrors[0]).toBeInstanceOf(DeploymentError);
    expect(accountErrors[0]).toBeInstanceOf(DeploymentError);
  });
});
