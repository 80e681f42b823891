/**
 * The backtest's chart: the price path (indexed to 100), then cumulative liquidations and cumulative
 * liquidated notional per margin mode, over the same time axis. Drawn as SVG and rasterized with resvg.
 */
import { Resvg } from "@resvg/resvg-js";
import { formatWad } from "../../../sdk/risk/index.ts";
import type { PricePath } from "./pricePath.ts";
import type { MarginMode, ModeResult } from "./simulator.ts";

const WIDTH = 1200;
const PANEL_HEIGHT = 250;
const PANEL_GAP = 70;
const LEFT = 90;
const RIGHT = 170;
const TOP = 100;
const HEIGHT = TOP + 3 * PANEL_HEIGHT + 2 * PANEL_GAP + 60;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;
const FONT = "DejaVu Sans, sans-serif";
const SERIES_COLORS = ["#f7931a", "#627eea", "#14b8a6", "#4b5563", "#a16207", "#9333ea", "#db2777", "#0891b2"];
const MODE_COLORS: Record<MarginMode, string> = { cross: "#2563eb", isolated: "#dc2626" };

interface Series {
  label: string;
  color: string;
  values: readonly number[];
}

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Round tick spacing (1, 2 or 5 × 10^k) giving about `count` ticks over [min, max]. */
function ticks(min: number, max: number, count: number): number[] {
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const result: number[] = [];
  for (let value = Math.ceil(min / step) * step; value <= max + step * 1e-9; value += step) {
    result.push(Number(value.toPrecision(12)));
  }
  return result;
}

function panel(index: number, title: string, series: readonly Series[], stepsPerDay: number): string {
  const top = TOP + index * (PANEL_HEIGHT + PANEL_GAP);
  const length = Math.max(...series.map((s) => s.values.length));
  const all = series.flatMap((s) => s.values);
  let min = Math.min(0, ...all);
  let max = Math.max(...all);
  if (index === 0) [min, max] = [Math.min(...all), Math.max(...all)];
  if (max === min) max = min + 1;
  const yTicks = ticks(min, max, 5);
  [min, max] = [Math.min(min, yTicks[0] ?? min), Math.max(max, yTicks[yTicks.length - 1] ?? max)];
  const x = (step: number) => LEFT + (step / (length - 1)) * PLOT_WIDTH;
  const y = (value: number) => top + PANEL_HEIGHT - ((value - min) / (max - min)) * PANEL_HEIGHT;
  const days = (length - 1) / stepsPerDay;
  const parts = [
    `<text x="${LEFT}" y="${top - 12}" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    `<rect x="${LEFT}" y="${top}" width="${PLOT_WIDTH}" height="${PANEL_HEIGHT}" fill="none" stroke="#999"/>`,
  ];
  for (const value of yTicks) {
    parts.push(
      `<line x1="${LEFT}" x2="${LEFT + PLOT_WIDTH}" y1="${y(value).toFixed(1)}" y2="${y(value).toFixed(1)}" stroke="#e5e5e5"/>`,
      `<text x="${LEFT - 8}" y="${(y(value) + 4).toFixed(1)}" font-size="12" text-anchor="end">${value}</text>`,
    );
  }
  for (const day of ticks(0, days, 9)) {
    const at = x(day * stepsPerDay).toFixed(1);
    parts.push(
      `<line x1="${at}" x2="${at}" y1="${top + PANEL_HEIGHT}" y2="${top + PANEL_HEIGHT + 5}" stroke="#999"/>`,
      `<text x="${at}" y="${top + PANEL_HEIGHT + 20}" font-size="12" text-anchor="middle">${day}</text>`,
    );
  }
  parts.push(
    `<text x="${LEFT + PLOT_WIDTH / 2}" y="${top + PANEL_HEIGHT + 40}" font-size="12" text-anchor="middle">day</text>`,
  );
  for (const [i, s] of series.entries()) {
    const points = s.values.map((value, step) => `${x(step).toFixed(1)},${y(value).toFixed(1)}`).join(" ");
    parts.push(`<polyline points="${points}" fill="none" stroke="${s.color}" stroke-width="1.6"/>`);
    const legendY = top + 16 + i * 20;
    parts.push(
      `<line x1="${LEFT + PLOT_WIDTH + 15}" x2="${LEFT + PLOT_WIDTH + 40}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${s.color}" stroke-width="3"/>`,
      `<text x="${LEFT + PLOT_WIDTH + 46}" y="${legendY}" font-size="13">${escapeXml(s.label)}</text>`,
    );
  }
  return parts.join("\n");
}

export interface ChartInputs {
  path: PricePath;
  results: Record<MarginMode, ModeResult>;
  subtitle: string;
}

export function chartSvg({ path, results, subtitle }: ChartInputs): string {
  const stepsPerDay = (24 * 3600) / path.model.stepSeconds;
  const prices = Object.entries(path.prices).map(([name, series], i) => {
    const first = Number(series[0]);
    return {
      label: name,
      color: SERIES_COLORS[i % SERIES_COLORS.length] as string,
      values: series.map((price) => (100 * Number(price)) / first),
    };
  });
  const modes = Object.values(results);
  const liquidations = modes.map((result) => ({
    label: `${result.mode} (${result.cumulativeLiquidations[result.cumulativeLiquidations.length - 1]})`,
    color: MODE_COLORS[result.mode],
    values: result.cumulativeLiquidations,
  }));
  const notional = modes.map((result) => ({
    label: result.mode,
    color: MODE_COLORS[result.mode],
    values: result.cumulativeNotional.map((value) => Number(formatWad(value)) / 1e6),
  }));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="${FONT}">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${LEFT}" y="32" font-size="20" font-weight="bold">Cross vs isolated margin: liquidations over a ${path.model.steps / stepsPerDay}-day price path</text>`,
    `<text x="${LEFT}" y="58" font-size="13" fill="#444">${escapeXml(subtitle)}</text>`,
    panel(0, "Price path (start = 100)", prices, stepsPerDay),
    panel(1, "Cumulative liquidations", liquidations, stepsPerDay),
    panel(2, "Cumulative liquidated notional (USD millions)", notional, stepsPerDay),
    "</svg>",
  ].join("\n");
}

export function renderPng(svg: string): Buffer {
  const resvg = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" } });
  return resvg.render().asPng();
}
