/**
 * `--compare`: a change beyond the two runs' combined spread is flagged, one
 * within it is not; sizes are exact; one-sample figures are never flagged.
 * Expected values are worked out by hand from the samples below.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compareFigures, compareReports } from '../../bench/report/compare.js';
import { renderComparisonText } from '../../bench/report/text.js';
import { REPORT_SCHEMA, validateReport, type BenchReport, type Figure } from '../../bench/report/schema.js';
import { durationFigure, sizeFigure, throughputFigure } from '../../bench/harness/stats.js';

const base = (id: string) => ({ id, section: 'replay' as const, subject: 's', label: id, method: 'repeated-runs' as const, unit: 'packets/s' as const });
/** 1,000 packets per sample. Samples (ms) -> rates: 10 -> 100,000/s. */
const tp = (id: string, samplesMs: number[]) => throughputFigure(base(id), 1000, samplesMs);

const c = suite('bench: compare');

c('a throughput 25 % up with spreads of about ±5 % each: significant, better', () => {
  // old: median 10 ms -> 100,000/s; range 95,238 .. 105,263 (samples 10.5 and 9.5 ms): half-spread 5.01 %
  const old = tp('a', [10, 10.5, 9.5, 10, 10]);
  // new: median 8 ms -> 125,000/s; range 8.4 .. 7.6 ms -> 119,048 .. 131,579: half-spread 5.01 %
  const now = tp('a', [8, 8.4, 7.6, 8, 8]);
  const x = compareFigures(old, now);
  assert.ok(Math.abs(x.change - 0.25) < 1e-9, String(x.change));
  assert.ok(Math.abs(x.noise! - (0.0501253 + 0.0501253)) < 1e-6, String(x.noise));
  assert.is(x.significant, true);
  assert.is(x.verdict, 'better');
});

c('a throughput 2 % down with spreads of ±5 %: within the noise', () => {
  const old = tp('a', [10, 10.5, 9.5, 10, 10]);
  const now = tp('a', [10.2, 10.7, 9.7, 10.2, 10.2]); // 98,039/s: -1.96 %
  const x = compareFigures(old, now);
  assert.ok(x.change < 0 && x.change > -0.02, String(x.change));
  assert.is(x.significant, false);
  assert.is(x.verdict, 'noise');
});

c('the same 2 % with tight spreads (±0.5 %) is significant, and worse', () => {
  const old = tp('a', [10, 10.05, 9.95, 10, 10]);
  const now = tp('a', [10.2, 10.25, 10.15, 10.2, 10.2]);
  const x = compareFigures(old, now);
  assert.ok(x.noise! < 0.011, String(x.noise));
  assert.is(x.significant, true);
  assert.is(x.verdict, 'worse');
});

c('--noise-floor: the same tight 2 % change is within a 5 % floor', () => {
  const old = tp('a', [10, 10.05, 9.95, 10, 10]);
  const now = tp('a', [10.2, 10.25, 10.15, 10.2, 10.2]);
  const x = compareFigures(old, now, 0.05);
  assert.is(x.noise, 0.05);
  assert.is(x.verdict, 'noise');
  // a 25 % change still exceeds it
  assert.is(compareFigures(tp('a', [10, 10.05, 9.95]), tp('a', [8, 8.05, 7.95]), 0.05).verdict, 'better');
});

c('with >= 8 samples the spread is the interquartile range: one outlier does not hide a change', () => {
  // 9 samples, one 40 ms pause: range would be 25,000..100,000/s, the IQR is 100,000..100,000
  const old = tp('a', [10, 10, 10, 10, 10, 10, 10, 10, 40]);
  const now = tp('a', [9, 9, 9, 9, 9, 9, 9, 9, 40]); // 111,111/s: +11 %
  const x = compareFigures(old, now);
  assert.is(x.noise, 0);
  assert.is(x.verdict, 'better');
});

c('durations: lower is better', () => {
  const old = durationFigure({ id: 'b', section: 'scaling', subject: 's', label: 'build', method: 'repeated-runs' }, [100, 101, 99]);
  const now = durationFigure({ id: 'b', section: 'scaling', subject: 's', label: 'build', method: 'repeated-runs' }, [150, 151, 149]);
  const x = compareFigures(old, now);
  assert.ok(Math.abs(x.change - 0.5) < 1e-12);
  assert.is(x.verdict, 'worse');
});

c('sizes are exact; one-sample memory readings are never flagged', () => {
  const s1 = sizeFigure({ id: 't', section: 'fixtures', subject: 's', label: 'table size' }, 1000);
  const s2 = sizeFigure({ id: 't', section: 'fixtures', subject: 's', label: 'table size' }, 1001);
  assert.is(compareFigures(s1, s2).significant, true);
  assert.is(compareFigures(s1, s1).verdict, 'same');
  const m1 = sizeFigure({ id: 'm', section: 'memory', subject: 's', label: 'peak RSS' }, 100e6, 'memory');
  const m2 = sizeFigure({ id: 'm', section: 'memory', subject: 's', label: 'peak RSS' }, 150e6, 'memory');
  const x = compareFigures(m1, m2);
  assert.is(x.noise, null);
  assert.is(x.significant, false);
  assert.is(x.verdict, 'unknown');
});

function report(mode: BenchReport['options']['mode'], figures: Figure[]): BenchReport {
  const r = {
    schema: REPORT_SCHEMA,
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:01:00.000Z',
    durationSeconds: 60,
    env: { node: 'v20.0.0', v8: '11', platform: 'linux', arch: 'x64', hostname: 'h', cpuModel: 'cpu', cpuCount: 2, cpuSpeedMHz: 0, totalMemoryBytes: 1e9, loadAverage: [0, 0, 0] },
    git: { commit: null, branch: null, dirty: null },
    options: { mode, sections: ['replay'], compare: null, parameters: {} },
    notes: [],
    replay: { capture: { path: 'c', packets: 1000, bytes: 1 }, refCapture: { path: 'c', packets: 1000, bytes: 1 }, topology: {}, traffic: {}, countsAgree: true },
    memory: { maxRssBytes: 1, afterSection: [] },
    figures,
  };
  return validateReport(r, 'synthetic report');
}

c('two reports: shared figures compared, the others listed, a mode change noted; the terminal text flags the change', () => {
  const a = report('default', [tp('replay/x', [10, 10.5, 9.5]), tp('replay/y', [10, 10.5, 9.5]), tp('replay/gone', [10])]);
  const b = report('tiny', [tp('replay/x', [8, 8.4, 7.6]), tp('replay/y', [10.1, 10.6, 9.6]), tp('replay/new', [10])]);
  const cmp = compareReports(a, b, 'old.json');
  assert.equal(cmp.changes.map((x) => [x.id, x.verdict]), [['replay/x', 'better'], ['replay/y', 'noise']]);
  assert.equal(cmp.onlyOld, ['replay/gone']);
  assert.equal(cmp.onlyNew, ['replay/new']);
  assert.ok(cmp.caveats.some((x) => x.includes('modes differ')));
  assert.not.ok(cmp.caveats.some((x) => x.includes('busy')));
  const busy = report('default', [tp('replay/x', [10, 10.5, 9.5])]);
  busy.env.loadAverage = [1.5, 1, 1];
  assert.ok(compareReports(a, busy, 'old.json').caveats.some((x) => x.includes('busy when the new run started (load 1.5 on 2 CPUs)')));
  const text = renderComparisonText(cmp).join('\n');
  assert.match(text, /s: replay\/x .* \+25%\s+±10%\s+better/);
  assert.match(text, /s: replay\/y .* ~ noise/);
  assert.match(text, /2 figures compared: 1 better, 0 worse beyond the noise, 1 within the noise/);
});

c.run();
