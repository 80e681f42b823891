import { describe, expect, it } from "vitest";
import { relayerTimes } from "./relayer-view.ts";
import { atLeast, atMost, benchReportSchema, figure, machineNow, meets, renderTable, summaryLine } from "./report.ts";
import { distribution, median, quantile, relativeSpread, slope } from "./stats.ts";

describe("bench statistics", () => {
  it("interpolates quantiles between closest ranks, whatever the input order", () => {
    const samples = [40, 10, 30, 20];
    expect(quantile(samples, 0)).toBe(10);
    expect(quantile(samples, 1)).toBe(40);
    expect(median(samples)).toBe(25);
    expect(quantile(samples, 0.25)).toBeCloseTo(17.5);
    const hundred = Array.from({ length: 100 }, (_, index) => 100 - index);
    expect(quantile(hundred, 0.99)).toBeCloseTo(99.01);
    expect(quantile(hundred, 0.95)).toBeCloseTo(95.05);
    expect(samples).toEqual([40, 10, 30, 20]);
  });

  it("refuses empty samples and quantiles outside [0, 1]", () => {
    expect(() => quantile([], 0.5)).toThrow(RangeError);
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
    expect(() => distribution([])).toThrow(RangeError);
  });

  it("summarizes a distribution", () => {
    expect(distribution([5, 1, 3])).toEqual({ count: 3, min: 1, p50: 3, p95: 4.8, p99: 4.96, max: 5, mean: 3 });
  });

  it("measures the spread of repeated runs relative to their median", () => {
    expect(relativeSpread([100, 110, 90])).toBeCloseTo(0.2);
    expect(relativeSpread([7])).toBe(0);
  });

  it("fits the marginal gas per entry by least squares", () => {
    expect(slope([1, 2, 3, 4].map((x) => ({ x, y: 50_000 + 15_000 * x })))).toBeCloseTo(15_000);
    expect(() => slope([{ x: 1, y: 2 }])).toThrow(RangeError);
  });
});

describe("bench report", () => {
  it("marks a figure met or not against its target, and leaves figures without one unmarked", () => {
    expect(
      figure({ section: "gas", name: "deposit", value: 90_000, unit: "gas", target: atMost(90_000, "issue 3") }).met,
    ).toBe(true);
    expect(
      figure({ section: "gas", name: "deposit", value: 90_001, unit: "gas", target: atMost(90_000, "issue 3") }).met,
    ).toBe(false);
    expect(
      figure({ section: "throughput", name: "rate", value: 499, unit: "msg/s", target: atLeast(500, "issue 5") }).met,
    ).toBe(false);
    expect(meets(500, atLeast(500, "issue 5"))).toBe(true);
    expect(figure({ section: "gas", name: "trade", value: 1, unit: "gas" })).not.toHaveProperty("met");
  });

  it("prints one line per figure with its target and status, and a summary of the misses", () => {
    const figures = [
      figure({ section: "gas", name: "report", value: 59_000, unit: "gas", target: atMost(60_000, "issue 3") }),
      figure({
        section: "latency",
        name: "LayerZero p50",
        value: 250,
        unit: "ms",
        runs: [240, 260],
        target: atMost(100, "issue 4"),
      }),
      figure({ section: "gas", name: "trade", value: 180_000, unit: "gas" }),
    ];
    const lines = renderTable(figures).split("\n");
    expect(lines).toHaveLength(5);
    expect(lines[2]).toMatch(/^gas\s+report\s+59,000 gas\s+≤ 60,000 gas \(issue 3\)\s+met$/);
    expect(lines[3]).toMatch(/LayerZero p50\s+250 ms\s+240–260\s+≤ 100 ms \(issue 4\)\s+NOT MET$/);
    expect(lines[4]).toMatch(/^gas\s+trade\s+180,000 gas$/);
    expect(summaryLine(figures)).toBe("1 of 2 targets met; not met: latency LayerZero p50");
  });

  it("accepts a complete report and rejects one without the machine's load", () => {
    const report = {
      generatedAt: new Date().toISOString(),
      durationSeconds: 1,
      machine: machineNow(),
      options: { quick: true, runs: 1, sections: ["gas"] },
      methods: { gas: "receipts" },
      figures: [figure({ section: "gas", name: "report", value: 1, unit: "gas", target: atMost(2, "issue 3") })],
      details: {},
    };
    expect(benchReportSchema.parse(report)).toEqual(report);
    expect(report.machine.cores).toBeGreaterThan(0);
    const { loadAverageAtStart: _load, ...withoutLoad } = report.machine;
    expect(() => benchReportSchema.parse({ ...report, machine: withoutLoad })).toThrow();
  });
});

describe("the relayer's timestamps per source transaction", () => {
  const message = (source: string, discoveredAt: string, deliveredAt: string | null) => ({
    transport: "layerzero",
    messageType: "BalanceReport",
    state: deliveredAt ? "delivered" : "signed",
    sourceTxHash: source,
    destinationChainId: 31337,
    deliveryTxHash: null,
    discoveredAt,
    deliveredAt,
  });

  it("takes the first discovery and the last delivery of a dual-route pair, and no delivery while one is pending", () => {
    const times = relayerTimes([
      message("0xAA", "2026-01-01T00:00:00.100Z", "2026-01-01T00:00:00.400Z"),
      message("0xaa", "2026-01-01T00:00:00.150Z", "2026-01-01T00:00:00.600Z"),
      message("0xbb", "2026-01-01T00:00:01.000Z", "2026-01-01T00:00:01.300Z"),
      message("0xbb", "2026-01-01T00:00:01.050Z", null),
    ]);
    expect(times.get("0xaa")).toEqual({
      discoveredAt: Date.parse("2026-01-01T00:00:00.100Z"),
      deliveredAt: Date.parse("2026-01-01T00:00:00.600Z"),
    });
    expect(times.get("0xbb")).toEqual({ discoveredAt: Date.parse("2026-01-01T00:00:01.000Z") });
  });
});
