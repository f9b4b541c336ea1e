/**
 * Pure statistics over samples (median, quantiles, spread, rounding): no
 * imports, so the report schema (report/schema.ts) and the figure builders
 * (harness/stats.ts) both use them without importing each other.
 */

/** Samples are rounded to 6 significant digits in the report (sub-ppm of any figure). */
export function round6(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(6));
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of no samples');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Linear-interpolated quantile of sorted values (q in 0..1). */
export function quantileSorted(s: readonly number[], q: number): number {
  if (s.length === 0) throw new RangeError('quantile of no samples');
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** Samples at which the spread switches from the full range to the interquartile range. */
export const IQR_MIN_SAMPLES = 8;

/** The spread of a set of values: IQR with >= 8 values (robust to GC pauses), else min..max. */
export function spreadOf(values: readonly number[]): { lo: number; hi: number } {
  const s = [...values].sort((a, b) => a - b);
  if (s.length >= IQR_MIN_SAMPLES) return { lo: quantileSorted(s, 0.25), hi: quantileSorted(s, 0.75) };
  return { lo: s[0]!, hi: s[s.length - 1]! };
}
