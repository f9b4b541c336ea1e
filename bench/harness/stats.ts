/**
 * Figures: one measured quantity with every raw sample it came from.
 *
 * A figure's `value` is derived from its samples, never stored apart from
 * them (the schema checks it):
 *
 *   kind        samples                   value                         spread (lo..hi)
 *   throughput  ms per sample, `work`     work * 1000 / median(samples) the per-sample rates' IQR (>= 8
 *               items each                                              samples) or range (fewer)
 *   duration    ms                        median(samples)               IQR or range of the samples
 *   size        bytes (one sample)        the sample                    lo = hi = value (deterministic)
 *   memory      bytes (one sample)        the sample                    lo = hi = value (one reading)
 *
 * The spread is what `--compare` calls noise: a change counts only when it
 * exceeds the two runs' spreads combined (compare.ts).
 */
import type { Figure, FigureKind, FigureMethod, FigureUnit, SectionName } from '../report/schema.js';
import { InternalError } from '../../src/model/errors.js';
import { median, round6, spreadOf } from '../stats.js';

export { IQR_MIN_SAMPLES, median, quantileSorted, round6, spreadOf } from '../stats.js';

interface FigureBase {
  id: string;
  section: SectionName;
  subject: string;
  label: string;
  method: FigureMethod;
}

/** A rate: `work` items per sample, samples in ms. */
export function throughputFigure(base: FigureBase & { unit: Extract<FigureUnit, 'packets/s' | 'lookups/s'> }, work: number, samplesMs: readonly number[]): Figure {
  const samples = samplesMs.map(round6);
  if (samples.length === 0) throw new RangeError(`${base.id}: no samples`);
  if (samples.some((x) => !(x > 0))) throw new RangeError(`${base.id}: a sample of ${Math.min(...samples)} ms (the timer cannot resolve this task; give it more work per sample)`);
  const rates = samples.map((ms) => (work * 1000) / ms);
  return { ...base, kind: 'throughput', better: 'higher', work, value: (work * 1000) / median(samples), samples, spread: spreadOf(rates) };
}

export function durationFigure(base: FigureBase, samplesMs: readonly number[]): Figure {
  const samples = samplesMs.map(round6);
  if (samples.length === 0) throw new RangeError(`${base.id}: no samples`);
  return { ...base, kind: 'duration', unit: 'ms', better: 'lower', value: median(samples), samples, spread: spreadOf(samples) };
}

export function sizeFigure(base: Omit<FigureBase, 'method'>, bytes: number, kind: Extract<FigureKind, 'size' | 'memory'> = 'size'): Figure {
  return { ...base, method: 'measured', kind, unit: 'bytes', better: 'lower', value: bytes, samples: [bytes], spread: { lo: bytes, hi: bytes } };
}

/** Run `fn` `repeat` times after `warmup` unmeasured runs; returns the measured results. */
export async function repeatRuns<T>(repeat: number, warmup: number, fn: (i: number) => Promise<T> | T): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < warmup + repeat; i++) {
    const r = await fn(i);
    if (i >= warmup) out.push(r);
  }
  return out;
}

/** tinybench's result of one task: latency samples (ms), retained. */
export function tinybenchSamples(task: { name: string; result: unknown }): number[] {
  const r = task.result as { state?: string; error?: Error; latency?: { samples?: number[] } };
  if (r.state === 'errored') throw r.error ?? new Error(`${task.name}: the task failed`);
  const s = r.latency?.samples;
  if (!s || s.length === 0) throw new InternalError(`${task.name}: tinybench kept no samples`);
  return [...s];
}
