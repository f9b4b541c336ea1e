/**
 * The bench's verification step fails loudly: a decision stream that differs
 * from the reference in one packet, or stops early, stops the run with the
 * packet number and both decisions. The reference stream comes from the
 * reference engine on a fixture capture; the "WASM" side is that stream
 * with one decision altered.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decisionLine } from '../../src/model/decision.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { replayReference } from '../../src/replay/local.js';
import { assertSameDecisions } from '../../bench/harness/fixtures.js';
import { BenchError } from '../../bench/harness/errors.js';
import { assertSameDecisionFiles } from '../../bench/harness/verify-files.js';
import { barChart, lineChart } from '../../bench/report/svg.js';
import { fixturesDir, repoRoot } from '../helpers/corpus.js';
import { runClassbench } from '../../bench/harness/classbench.js';
import { MODE_PARAMS } from '../../bench/harness/modes.js';
import { createProgress } from '../../bench/harness/progress.js';

const v = suite('bench: verify');

const dir = join(fixturesDir(), 'captures');
const topology = loadTopologyFile(join(dir, 'huawei-app.topology.json')).topology;
const ref = [...replayReference(topology, readFileSync(join(dir, 'huawei-app.pcapng')))].map((j) => decisionLine(j.n, j.tsText, j.decision));

function rejects(wasm: string[], message: RegExp): void {
  try {
    assertSameDecisions(ref, wasm, 'huawei-app.pcapng');
  } catch (e) {
    assert.instance(e, BenchError);
    assert.is((e as BenchError).code, 'SGF_BENCH_MISMATCH');
    assert.match((e as Error).message, message);
    return;
  }
  assert.unreachable('the difference was not caught');
}

v('identical streams: the packet count', () => {
  assert.ok(ref.length > 2000);
  assert.is(assertSameDecisions(ref, [...ref], 'x'), ref.length);
});

v('one verdict flipped: the packet and both decisions are named', () => {
  const i = ref.findIndex((l) => l.includes('"verdict":"allow"'));
  const wasm = [...ref];
  wasm[i] = wasm[i]!.replace('"verdict":"allow"', '"verdict":"deny"');
  rejects(wasm, new RegExp(`^huawei-app\\.pcapng: packet ${i + 1}: WASM and reference decisions differ\\n  reference: .*"allow".*\\n  wasm: .*"deny"`));
});

v('a stream that stops early or runs on', () => {
  rejects(ref.slice(0, 100), /the WASM engine stops after 100 packets/);
  rejects([...ref, ref[0]!], new RegExp(`the reference engine stops after ${ref.length} packets`));
});

// The large-capture verification compares decisions files in 1 MiB chunks:
// the line (packet) of the first difference is found across chunk borders.
const tmp = mkdtempSync(join(tmpdir(), 'sgf-bench-verify-'));
function files(wasm: string[]): [string, string] {
  const many: string[] = [];
  while (many.length * 150 < 3 << 20) many.push(...ref); // > 3 MiB: several chunks
  const a = join(tmp, 'ref.jsonl');
  const b = join(tmp, 'wasm.jsonl');
  writeFileSync(a, many.join('\n') + '\n');
  const w = [...many];
  wasm.forEach((l, i) => { if (l !== undefined) w[i] = l; });
  writeFileSync(b, w.join('\n') + '\n');
  return [a, b];
}

v('decisions files: identical files give their line count; a difference past the first chunk names its packet', () => {
  const [a] = files([]);
  const n = readFileSync(a, 'utf8').split('\n').length - 1;
  assert.is(assertSameDecisionFiles(a, a, 'same'), n);
  const allowAt = (from: number) => {
    const all = readFileSync(a, 'utf8').split('\n');
    for (let i = from; i < all.length; i++) if (all[i]!.includes('"verdict":"allow"')) return [i, all[i]!] as const;
    throw new Error('no allow line');
  };
  const [i, line] = allowAt(Math.floor(n * 0.8)); // well past the first 1 MiB
  const changed: string[] = [];
  changed[i] = line.replace('"verdict":"allow"', '"verdict":"deny"');
  const [, b] = files(changed);
  try {
    assertSameDecisionFiles(a, b, 'big.pcap (WASM, 2 worker(s))');
    assert.unreachable('the difference was not caught');
  } catch (e) {
    assert.instance(e, BenchError);
    assert.is((e as BenchError).code, 'SGF_BENCH_MISMATCH');
    assert.match((e as Error).message, `big.pcap (WASM, 2 worker(s)): packet ${i + 1}: WASM and reference decisions differ\n  reference: ${line}\n  wasm:      ${changed[i]}`);
  }
});

v('decisions files: one that stops early', () => {
  const [a] = files([]);
  const lines = readFileSync(a, 'utf8').split('\n');
  const short = join(tmp, 'short.jsonl');
  writeFileSync(short, lines.slice(0, 12345).join('\n') + '\n');
  try {
    assertSameDecisionFiles(a, short, 'x');
    assert.unreachable('the short file was not caught');
  } catch (e) {
    assert.is((e as BenchError).code, 'SGF_BENCH_MISMATCH');
    assert.match((e as Error).message, 'x: the WASM engine stops after 12345 packets, the other goes on');
  }
});

v('charts escape their labels', () => {
  const b = barChart({ title: 'a <b> & "c"', unit: 'u', series: ['s<1>'], groups: [{ label: 'g&h', values: [{ v: 1, lo: 0.9, hi: 1.1 }] }] });
  assert.match(b, /a &lt;b&gt; &amp; &quot;c&quot;/);
  assert.match(b, /s&lt;1&gt;/);
  assert.match(b, /g&amp;h/);
  assert.not.match(b, /<b>/);
  const l = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'n', points: [{ x: 10, y: 2 }, { x: 1000, y: 1 }] }] });
  assert.match(l, /<polyline/);
  assert.match(l, /^<svg [^>]*viewBox="0 0 920 420"/);
});

v('without the ClassBench corpus the section says so and measures nothing', async () => {
  const notes: string[] = [];
  const figures: never[] = [];
  const info = await runClassbench({ params: MODE_PARAMS.tiny, progress: createProgress(1, 'quiet'), figures, notes, root: repoRoot, classbenchDir: null });
  assert.equal(info, { status: 'absent', dir: null, sets: [] });
  assert.is(figures.length, 0);
  assert.match(notes.join('\n'), /classbench: skipped, the ClassBench corpus \(\.\.\/shared\/corpus\/classbench\) is not there/);
});

v.run();
