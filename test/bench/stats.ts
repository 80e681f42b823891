/** Order statistics of the bench's samples (latencies in ms, rates, RSS). */

export interface Distribution {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) by linear interpolation between closest ranks (numpy's default, Excel's
 * PERCENTILE.INC): the p50 of an even count is the mean of the middle two.
 */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) throw new RangeError("quantile of no samples");
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const lower = sorted[below] as number;
  const upper = sorted[Math.min(below + 1, sorted.length - 1)] as number;
  return lower + (upper - lower) * (position - below);
}

export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}

export function distribution(samples: readonly number[]): Distribution {
  if (samples.length === 0) throw new RangeError("distribution of no samples");
  return {
    count: samples.length,
    min: Math.min(...samples),
    p50: quantile(samples, 0.5),
    p95: quantile(samples, 0.95),
    p99: quantile(samples, 0.99),
    max: Math.max(...samples),
    mean: samples.reduce((sum, sample) => sum + sample, 0) / samples.length,
  };
}

/**
 * How far repeated runs of one figure spread: (max − min) / median. Two runs of a latency agree "within
 * noise" when this stays small next to the run-to-run variation of the machine (reported, not judged).
 */
export function relativeSpread(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("spread of no values");
  const middle = median(values);
  return middle === 0 ? 0 : (Math.max(...values) - Math.min(...values)) / Math.abs(middle);
}

/** Least-squares slope of y over x: the gas each added entry or position costs. */
export function slope(points: readonly { x: number; y: number }[]): number {
  if (points.length < 2) throw new RangeError("a slope needs at least two points");
  const n = points.length;
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n;
  const sxy = points.reduce((sum, p) => sum + (p.x - meanX) * (p.y - meanY), 0);
  const sxx = points.reduce((sum, p) => sum + (p.x - meanX) ** 2, 0);
  if (sxx === 0) throw new RangeError("a slope needs two different x values");
  return sxy / sxx;
}
