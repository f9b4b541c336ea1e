/**
 * The self-contained HTML report: headline figures, SVG charts drawn by
 * svg.ts (throughput against rule count and against workers, WASM against
 * the reference engine, the classifier against the native peers' quoted
 * figures, decode), every table, and the comparison when there is one. No
 * script, no external resource: it renders from a file:// URL offline.
 */
import { comparisonRows, comparisonSummary, noiseNote, type Comparison } from './compare.js';
import { mib } from './format.js';
import type { BenchReport, Figure } from './schema.js';
import { barChart, esc, lineChart, type BarValue } from './svg.js';
import { buildTables, figureIndex, headlines } from './tables.js';

function bar(f: Figure | undefined): BarValue | null {
  if (!f) return null;
  return { v: f.value / 1e6, lo: f.spread.lo / 1e6, hi: f.spread.hi / 1e6 };
}

export function renderCharts(r: BenchReport): string[] {
  const fig = figureIndex(r);
  const charts: string[] = [];

  if (r.scaling && r.scaling.length) {
    const pts = (key: string) =>
      r.scaling!.flatMap((s) => {
        const f = fig.get(`scaling/${s.target}/${key}`);
        return f ? [{ x: s.target, y: f.value / 1e6, lo: f.spread.lo / 1e6, hi: f.spread.hi / 1e6 }] : [];
      });
    charts.push(lineChart({
      title: 'Throughput against rule count',
      subtitle: 'generated aliyun-basic topologies, 12 interfaces; replay: WASM engine, 1 worker; classify: every hop looked up',
      xLabel: 'rules per interface',
      yLabel: 'millions per second',
      series: [
        { name: 'replay, end-to-end (packets)', points: pts('replay-1w/e2e') },
        { name: 'replay, loop (packets)', points: pts('replay-1w/loop') },
        { name: 'classify, WASM (lookups)', points: pts('classify/wasm') },
        { name: 'classify, reference (lookups)', points: pts('classify/reference'), dashed: true },
      ],
    }));
  }

  const workerGroups: { label: string; values: (BarValue | null)[] }[] = [];
  if (r.replay) {
    const n = `${(r.replay.capture.packets / 1e6).toFixed(r.replay.capture.packets >= 1e6 ? 0 : 2)}M generated`;
    workerGroups.push({ label: `${n}, end-to-end`, values: [null, bar(fig.get('replay/big/wasm-1w/e2e')), bar(fig.get('replay/big/wasm-2w/e2e'))] });
    workerGroups.push({ label: `${n}, loop`, values: [null, bar(fig.get('replay/big/wasm-1w/loop')), bar(fig.get('replay/big/wasm-2w/loop'))] });
  }
  for (const x of r.fixtures ?? []) {
    const id = (k: string) => fig.get(`fixtures/${x.name}/replay/${k}/loop`);
    workerGroups.push({ label: `${x.name}, loop`, values: [bar(id('wasm-0w')), bar(id('wasm-1w')), bar(id('wasm-2w'))] });
  }
  if (workerGroups.length) {
    charts.push(barChart({
      title: 'Replay throughput against workers',
      subtitle: 'WASM engine; whiskers: the spread of the repeated runs (IQR or range)',
      unit: 'M packets/s',
      series: ['in the calling thread', '1 worker', '2 workers'],
      groups: workerGroups,
    }));
  }

  const refGroups: { label: string; values: (BarValue | null)[] }[] = [];
  if (r.replay) refGroups.push({ label: `${r.replay.refCapture.packets.toLocaleString('en-US')} generated`, values: [bar(fig.get('replay/small/wasm-1w/e2e')), bar(fig.get('replay/small/reference/e2e'))] });
  for (const x of r.fixtures ?? []) {
    refGroups.push({ label: x.name, values: [bar(fig.get(`fixtures/${x.name}/replay/wasm-0w/e2e`)), bar(fig.get(`fixtures/${x.name}/replay/reference/e2e`))] });
  }
  if (refGroups.length) {
    charts.push(barChart({
      title: 'Replay: WASM engine against the reference engine',
      subtitle: 'end-to-end; generated capture: 1 worker; fixtures: both in the calling thread',
      unit: 'M packets/s',
      series: ['WASM engine', 'reference engine'],
      groups: refGroups,
      log: true,
    }));
  }

  if (r.classbench?.status === 'ran' && r.classbench.sets.length) {
    charts.push(barChart({
      title: 'Classifier against native peers (ClassBench)',
      subtitle: 'one core; TupleMerge and HyperSplit (hatched) are C++ figures quoted in the classifier issue, not measured here',
      unit: 'M lookups/s',
      series: ['WASM matcher', 'TupleMerge (quoted)', 'HyperSplit (quoted)', 'WASM linear scan', 'reference'],
      groups: r.classbench.sets.map((s) => ({
        label: `${s.set} (${s.rules.toLocaleString('en-US')} rules)`,
        values: [
          bar(fig.get(`classbench/${s.set}/optimized`)),
          s.peers.tupleMerge !== undefined ? { v: s.peers.tupleMerge, quoted: true } : null,
          s.peers.hyperSplit !== undefined ? { v: s.peers.hyperSplit, quoted: true } : null,
          bar(fig.get(`classbench/${s.set}/linear`)),
          bar(fig.get(`classbench/${s.set}/reference`)),
        ],
      })),
      log: true,
    }));
  } else if (r.fixtures) {
    charts.push(barChart({
      title: 'Classifier: WASM against the reference (fixture lookups)',
      subtitle: 'the ClassBench corpus was not there, so no comparison with the native peers',
      unit: 'M lookups/s',
      series: ['WASM matcher', 'reference'],
      groups: r.fixtures.map((x) => ({ label: x.name, values: [bar(fig.get(`fixtures/${x.name}/classify/wasm`)), bar(fig.get(`fixtures/${x.name}/classify/reference`))] })),
      log: true,
    }));
  }

  if (r.dpdk?.status === 'ran' && r.dpdk.sets.length) {
    const algs = r.dpdk.algorithms.filter((a) => r.dpdk!.sets.some((x) => fig.has(`dpdk/${x.set}/v${x.family}/${a}`)));
    charts.push(barChart({
      title: 'sgfilter against every DPDK rte_acl algorithm',
      subtitle: 'one core, same packets, warm pass (median of samples after the same warm-up on both sides); IPv6: the sets mapped into 2001:db8::/32',
      unit: 'M lookups/s',
      series: ['sgfilter WASM', ...algs.map((a) => `DPDK ${a}`)],
      groups: r.dpdk.sets.map((x) => ({
        label: `${x.set} IPv${x.family}`,
        values: [bar(fig.get(`dpdk/${x.set}/v${x.family}/sgfilter`)), ...algs.map((a) => bar(fig.get(`dpdk/${x.set}/v${x.family}/${a}`)))],
      })),
      log: true,
    }));
  }

  const dec = r.figures.filter((f) => f.section === 'decode');
  if (dec.length) {
    charts.push(barChart({
      title: 'Decode',
      subtitle: `${r.decode?.packets.toLocaleString('en-US')} small packets held in memory`,
      unit: 'M packets/s',
      series: ['throughput'],
      groups: dec.map((f) => ({ label: f.label.replace(/ \(prepared descriptors, x256\)/, ' (prepared)'), values: [bar(f)] })),
    }));
  }
  return charts;
}

function htmlTable(head: string[], rows: string[][]): string {
  return `<div class="tw"><table><thead><tr>${head.map((h, i) => `<th${i ? ' class="n"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${i ? ' class="n"' : ''}>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}

export function renderHtml(r: BenchReport, files: { json: string; md: string }, comparison?: Comparison): string {
  const commit = r.git.commit ? `${r.git.commit.slice(0, 12)}${r.git.dirty ? ' (modified)' : ''}` : 'no commit';
  const env = [
    ['date', r.startedAt],
    ['host', r.env.hostname],
    ['CPU', `${r.env.cpuModel} × ${r.env.cpuCount}`],
    ['memory', `${mib(r.env.totalMemoryBytes)} MiB`],
    ['Node', `${r.env.node} (V8 ${r.env.v8})`],
    ['commit', commit],
    ['mode', `${r.options.mode}; sections ${r.options.sections.join(', ')}`],
    ['duration', `${r.durationSeconds.toFixed(0)} s`],
    ['load at start', r.env.loadAverage.join(' ')],
  ];
  const parts: string[] = [];
  parts.push(`<h1>sgfilter benchmark</h1>`);
  parts.push(`<dl class="env">${env.map(([k, v]) => `<dt>${esc(k!)}</dt><dd>${esc(v!)}</dd>`).join('')}</dl>`);
  parts.push(`<div class="cards">${headlines(r).map((h) => `<div class="card"><div class="k">${esc(h.label)}</div><div class="v">${esc(h.value)}</div><div class="d">${esc(h.detail)}</div></div>`).join('')}</div>`);
  for (const n of r.notes) parts.push(`<p class="note">${esc(n)}</p>`);
  parts.push('<h2>Charts</h2>');
  for (const c of renderCharts(r)) parts.push(`<figure>${c}</figure>`);
  parts.push('<h2>Tables</h2>');
  for (const t of buildTables(r)) {
    parts.push(`<h3>${esc(t.title)}</h3>`, htmlTable(t.head, t.rows));
    for (const n of t.notes) parts.push(`<p class="tn">${esc(n)}</p>`);
  }
  if (comparison) {
    parts.push(`<h2>Change against ${esc(comparison.old.file)}</h2>`);
    parts.push(`<p>Old run: ${esc(comparison.old.startedAt)}, commit ${esc(comparison.old.commit?.slice(0, 12) ?? 'unknown')}, mode ${esc(comparison.old.mode)}, host ${esc(comparison.old.host)}. ${esc(comparisonSummary(comparison))}.</p>`);
    for (const x of comparison.caveats) parts.push(`<p class="note">caveat: ${esc(x)}</p>`);
    parts.push(htmlTable(['figure', 'old', 'new', 'change', 'noise', ''], comparisonRows(comparison)).replace(/<td class="n">WORSE<\/td>/g, '<td class="n worse">WORSE</td>').replace(/<td class="n">better<\/td>/g, '<td class="n better">better</td>'));
    parts.push(`<p class="tn">${esc(noiseNote(comparison))}</p>`);
  }
  parts.push(`<p class="tn">Every raw sample: <code>${esc(files.json)}</code> · summary: <code>${esc(files.md)}</code> · how to read and reproduce: docs/bench.md.</p>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sgfilter benchmark ${esc(r.startedAt.slice(0, 10))} ${esc(r.env.hostname)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1a1a1a;max-width:1000px;margin:24px auto;padding:0 16px;line-height:1.45;background:#fafafa}
h1{font-size:26px;margin:0 0 12px}h2{font-size:20px;margin:32px 0 12px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:22px 0 6px}
dl.env{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;font-size:13px;margin:0 0 16px}dl.env dt{color:#666}dl.env dd{margin:0}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:10px 14px;min-width:170px;flex:1}
.card .k{font-size:12px;color:#666}.card .v{font-size:20px;font-weight:600;margin:2px 0}.card .d{font-size:12px;color:#777}
figure{margin:14px 0;background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:6px;overflow-x:auto}figure svg{display:block;max-width:100%;height:auto}
table{border-collapse:collapse;font-size:12.5px;background:#fff;width:100%}th,td{border:1px solid #e2e2e2;padding:3px 7px;white-space:nowrap}th{background:#f2f2f2;text-align:left;white-space:normal;vertical-align:bottom}.tw{overflow-x:auto}
.n{text-align:right;font-variant-numeric:tabular-nums}.tn{font-size:12.5px;color:#555;margin:6px 0}.note{background:#fff8e1;border:1px solid #f0d98c;padding:6px 10px;border-radius:4px;font-size:13px}
.worse{color:#b00020;font-weight:600}.better{color:#00703c;font-weight:600}code{font-size:12px}
</style></head><body>
${parts.join('\n')}
</body></html>
`;
}
