/**
 * `--compare OLD.json`: every figure the two reports share (same id, same
 * unit), with its change and the noise.
 *
 *   change  = new / old - 1                       (on the figures' medians)
 *   noise   = spread(old) + spread(new)           spread = half of (hi - lo) / value,
 *                                                 hi/lo the IQR (>= 8 samples) or range
 *   significant  |change| > noise, and both figures have >= 2 samples
 *
 * With the spreads drawn as intervals around each median, "significant"
 * means the two intervals do not overlap. Sizes (table bytes) are exact:
 * any change is significant. One-sample figures (memory readings) have no
 * noise estimate: their change is shown, never flagged.
 */
import { percent, showValue } from './format.js';
import type { BenchReport, Figure } from './schema.js';

export interface FigureChange {
  id: string;
  section: Figure['section'];
  subject: string;
  label: string;
  unit: Figure['unit'];
  old: number;
  new: number;
  oldText: string;
  newText: string;
  /** new / old - 1 (0 when both are 0). */
  change: number;
  /** Combined relative spread; null when a figure has one sample and is not exact. */
  noise: number | null;
  significant: boolean;
  /** A deterministic size: any change counts. */
  exact: boolean;
  /** Whether the change is for the better, worse, or within the noise. */
  verdict: 'better' | 'worse' | 'noise' | 'same' | 'unknown';
}

export interface Comparison {
  old: { file: string; startedAt: string; commit: string | null; mode: string; host: string };
  new: { startedAt: string; commit: string | null; mode: string; host: string };
  changes: FigureChange[];
  onlyOld: string[];
  onlyNew: string[];
  /** Why the comparison is weaker than usual (another mode, host or Node, a busy machine). */
  caveats: string[];
  noiseFloor: number;
}

function halfSpread(f: Figure): number {
  return f.value > 0 ? (f.spread.hi - f.spread.lo) / 2 / f.value : 0;
}

/** `floor`: the least noise assumed for sampled figures (--noise-floor; 0 = the spreads alone). */
export function compareFigures(a: Figure, b: Figure, floor = 0): FigureChange {
  const change = a.value === 0 ? (b.value === 0 ? 0 : Infinity) : b.value / a.value - 1;
  const exact = a.kind === 'size' && b.kind === 'size';
  const sampled = a.samples.length >= 2 && b.samples.length >= 2;
  const noise = exact ? 0 : sampled ? Math.max(floor, halfSpread(a) + halfSpread(b)) : null;
  const significant = exact ? a.value !== b.value : noise !== null && Math.abs(change) > noise;
  const improved = b.better === 'higher' ? change > 0 : change < 0;
  const verdict: FigureChange['verdict'] = change === 0 ? 'same' : noise === null ? 'unknown' : significant ? (improved ? 'better' : 'worse') : 'noise';
  return {
    id: b.id,
    section: b.section,
    subject: b.subject,
    label: b.label,
    unit: b.unit,
    old: a.value,
    new: b.value,
    oldText: showValue(a),
    newText: showValue(b),
    change,
    noise,
    significant,
    exact,
    verdict,
  };
}

export function compareReports(oldReport: BenchReport, newReport: BenchReport, oldFile: string, options: { noiseFloor?: number } = {}): Comparison {
  const floor = options.noiseFloor ?? 0;
  const before = new Map(oldReport.figures.map((f) => [f.id, f] as const));
  const after = new Set(newReport.figures.map((f) => f.id));
  const changes: FigureChange[] = [];
  for (const f of newReport.figures) {
    const o = before.get(f.id);
    if (o && o.unit === f.unit && o.kind === f.kind) changes.push(compareFigures(o, f, floor));
  }
  const caveats: string[] = [];
  if (oldReport.options.mode !== newReport.options.mode) caveats.push(`modes differ (${oldReport.options.mode} then ${newReport.options.mode}): sample counts and capture sizes differ`);
  if (oldReport.env.hostname !== newReport.env.hostname || oldReport.env.cpuModel !== newReport.env.cpuModel) caveats.push(`different machines (${oldReport.env.hostname}, ${oldReport.env.cpuModel} then ${newReport.env.hostname}, ${newReport.env.cpuModel})`);
  if (oldReport.env.node !== newReport.env.node) caveats.push(`Node ${oldReport.env.node} then ${newReport.env.node}`);
  for (const [which, r] of [['old', oldReport], ['new', newReport]] as const) {
    if (r.env.loadAverage[0]! >= r.env.cpuCount / 2) caveats.push(`the machine was busy when the ${which} run started (load ${r.env.loadAverage[0]} on ${r.env.cpuCount} CPUs): runs vary more than their spreads say; consider --noise-floor 0.1`);
  }
  const side = (r: BenchReport) => ({ startedAt: r.startedAt, commit: r.git.commit, mode: r.options.mode, host: r.env.hostname });
  return {
    old: { file: oldFile, ...side(oldReport) },
    new: side(newReport),
    changes,
    onlyOld: oldReport.figures.filter((f) => !after.has(f.id)).map((f) => f.id),
    onlyNew: newReport.figures.filter((f) => !before.has(f.id)).map((f) => f.id),
    caveats,
    noiseFloor: floor,
  };
}

export function verdictMark(c: FigureChange): string {
  switch (c.verdict) {
    case 'better':
      return 'better';
    case 'worse':
      return 'WORSE';
    case 'noise':
      return '~ noise';
    case 'same':
      return '=';
    case 'unknown':
      return '? 1 sample';
  }
}

/** Rows for a table: figure, old, new, change, noise, verdict. */
export function comparisonRows(c: Comparison): string[][] {
  return c.changes.map((x) => [
    `${x.subject}: ${x.label}`,
    x.oldText,
    x.newText,
    Number.isFinite(x.change) ? percent(x.change) : 'new',
    x.exact ? 'exact' : x.noise === null ? '?' : `±${percent(x.noise, false)}`,
    verdictMark(x),
  ]);
}

/** How the noise was computed, for the reports. */
export function noiseNote(c: Comparison): string {
  return 'Noise: half the spread of each run\'s samples (interquartile range with 8 or more samples, else the range), added' +
    (c.noiseFloor > 0 ? `, and at least ${percent(c.noiseFloor, false)} (--noise-floor)` : '') +
    '; a change beyond it is flagged better or WORSE. The spreads are within-run: between runs a busy machine varies more (docs/bench.md, "--compare").';
}

export function comparisonSummary(c: Comparison): string {
  const n = (v: FigureChange['verdict']) => c.changes.filter((x) => x.verdict === v).length;
  return `${c.changes.length} figures compared: ${n('better')} better, ${n('worse')} worse beyond the noise, ${n('noise')} within the noise, ${n('same')} unchanged, ${n('unknown')} without a noise estimate` +
    (c.onlyOld.length ? `; ${c.onlyOld.length} only in the old report` : '') + (c.onlyNew.length ? `; ${c.onlyNew.length} only in the new one` : '');
}
