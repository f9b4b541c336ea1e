/**
 * Smoke test of `npm run bench`: the harness runs in tiny mode as a child
 * process (the real CLI), writes JSON + Markdown + HTML, and the JSON passes
 * the report schema. The fixture packet counts are held to the numbers
 * fixtures/README.md states for each capture (not to the bench's own
 * reading), and the schema itself is shown to reject broken reports.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusDir, fixturesDir, repoRoot } from '../helpers/corpus.js';
import { ReportError, validateReport, type BenchReport } from '../../bench/report/schema.js';

const tmp = mkdtempSync(join(tmpdir(), 'sgf-bench-smoke-'));
const cacheDir = join(tmp, 'cache');

function bench(args: string[], timeoutMs = 180_000) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'bench', 'main.js'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** "captures/NAME.pcap (24,623 packets" lines of fixtures/README.md. */
function readmePacketCounts(): Map<string, number> {
  const text = readFileSync(join(fixturesDir(), 'README.md'), 'utf8');
  const out = new Map<string, number>();
  for (const m of text.matchAll(/captures\/([\w.-]+)\.pcap(?:ng)?` \(([\d,]+) packets/g)) out.set(m[1]!, Number(m[2]!.replace(/,/g, '')));
  return out;
}

const s = suite('bench: tiny run, reports, schema');

let report: BenchReport;
let files: { json: string; md: string; html: string };
const out1 = join(tmp, 'run1');

s('`--tiny --quiet --out DIR` exits 0 and prints the three paths it wrote', () => {
  const r = bench(['--tiny', '--quiet', '--out', out1, '--cache-dir', cacheDir]);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, '', '--quiet: nothing on stderr');
  const wrote = r.stdout.trim().split('\n');
  assert.is(wrote.length, 3, r.stdout);
  const paths = wrote.map((l) => l.replace(/^wrote /, ''));
  files = { json: paths.find((p) => p.endsWith('.json'))!, md: paths.find((p) => p.endsWith('.md'))!, html: paths.find((p) => p.endsWith('.html'))! };
  for (const p of Object.values(files)) assert.ok(p && existsSync(p), `${p} exists`);
  assert.match(files.json, /\/\d{4}-\d{2}-\d{2}T\d{6}Z-[A-Za-z0-9.-]+\.json$/);
  assert.equal(readdirSync(out1).sort(), Object.values(files).map((p) => p.slice(out1.length + 1)).sort());
});

s('the JSON passes the schema and records the run', () => {
  const jsonText = readFileSync(files.json, 'utf8');
  // no machine's directories in a report meant to be committed: paths in or beside the repository are relative to it
  assert.not.ok(jsonText.includes(JSON.stringify(repoRoot).slice(0, -1)), "the repository's absolute path in the report");
  report = validateReport(JSON.parse(jsonText), files.json);
  assert.is(report.options.mode, 'tiny');
  assert.equal(report.options.sections, ['fixtures', 'classbench', 'dpdk', 'replay', 'library', 'scaling', 'decode', 'analysis']);
  assert.is(report.env.node, process.version);
  assert.ok(report.env.cpuCount >= 1);
  if (existsSync(join(repoRoot, '.git'))) assert.match(report.git.commit ?? '', /^[0-9a-f]{40}$/);
  assert.ok(report.figures.length > 50, `${report.figures.length} figures`);
  assert.ok(report.figures.every((f) => f.samples.length >= 1));
});

s('every fixture capture was verified, with the packet count fixtures/README.md states', () => {
  const counts = readmePacketCounts();
  const captures = readdirSync(join(fixturesDir(), 'captures')).filter((f) => /\.pcap(ng)?$/.test(f));
  assert.ok(counts.size >= 6 && captures.length === counts.size, `README lists ${counts.size} captures, the directory holds ${captures.length}`);
  assert.is(report.fixtures!.length, captures.length);
  for (const f of report.fixtures!) {
    assert.is(f.packets, counts.get(f.name), f.name);
    assert.is(f.verify.packets, counts.get(f.name), f.name);
    assert.ok(f.verify.lookupsChecked > 0 && f.verify.lookupsChecked === f.lookups, `${f.name}: every lookup checked`);
    // the reference run, then 1 worker, 2 workers and in-thread, once each in tiny mode
    assert.is(f.verify.summariesChecked, 4, f.name);
    for (const k of ['decode/ts', 'decode/wasm', 'classify/wasm', 'classify/reference', 'replay/wasm-1w/e2e', 'replay/wasm-1w/loop', 'replay/wasm-2w/e2e', 'replay/wasm-0w/loop', 'replay/reference/e2e', 'build', 'table-bytes']) {
      assert.ok(report.figures.some((x) => x.id === `fixtures/${f.name}/${k}`), `${f.name}: ${k}`);
    }
  }
});

s('ClassBench: run on the corpus sets when the corpus is there, said to be absent otherwise', () => {
  const cb = report.classbench!;
  if (corpusDir() && existsSync(join(corpusDir()!, 'classbench', 'acl1_100.rules'))) {
    assert.is(cb.status, 'ran');
    assert.equal(cb.sets.map((x) => x.set), ['acl1_100', 'fw1_100']);
    assert.is(cb.sets[0]!.rules, readFileSync(join(corpusDir()!, 'classbench', 'acl1_100.rules'), 'utf8').split('\n').filter((l) => l.startsWith('@')).length);
    assert.ok(report.figures.some((f) => f.id === 'classbench/acl1_100/optimized'));
  } else {
    assert.is(cb.status, 'absent');
    assert.ok(report.notes.some((n) => n.includes('ClassBench corpus')));
  }
});

s('replay, scaling, decode and memory sections are there', () => {
  assert.is(report.replay!.capture.packets, 20_000);
  assert.is(report.replay!.refCapture.packets, 4_000);
  // The big generated capture's decisions were verified byte-identical first (reference, WASM 1 and 2 workers, a warm pool of 2).
  assert.equal(report.replay!.verify, { packets: 20_000, identical: true, configs: ['reference', 'wasm-1w', 'wasm-2w', 'wasm-2w-pool', 'wasm-2w-binary'] });
  assert.is(report.replay!.verifyShards?.packets, 4_000);
  assert.equal(report.replay!.verifyShards?.configs, ['reference', 'wasm-1w', 'wasm-2w', 'wasm-2w-pool', 'wasm-2w-binary']);
  // The warm pools were measured (1 and 2 workers).
  assert.ok(report.figures.some((f) => f.id === 'replay/big/wasm-2w-pool/e2e') && report.figures.some((f) => f.id === 'replay/big/wasm-1w-pool/loop'));
  // The shared-memory driver ran beside today's split (its runs' tallies agreeing, else it throws).
  for (const m of ['lane1', 'lane2', 'shared1', 'shared2']) assert.ok(report.figures.some((f) => f.id === `replay/big/driver-${m}/loop`), m);
  // The native baseline and its WebAssembly build: measured (their figures there, the build's counts the binary's) or skipped with a reason.
  const nat = report.replay!.native;
  const nw = report.replay!.nativeWasm;
  assert.ok(nat && nw, 'the native baseline and its WebAssembly build are reported, run or skipped');
  if ('verdicts' in nw!) {
    for (const m of ['mem', 'read']) assert.ok(report.figures.some((f) => f.id === `replay/big/native-wasm-${m}/loop`), m);
    if ('verdicts' in nat!) assert.equal(nw!.verdicts, nat!.verdicts, 'one C source, two compilers and runtimes: the same counts');
  } else assert.ok(nw!.skipped.length > 0);
  assert.equal(report.scaling!.map((x) => x.target), [10, 100]);
  for (const x of report.scaling!) {
    assert.ok(Math.abs(x.rulesPerInterface - x.target) <= x.target * 0.05 + 1, `${x.target}: ${x.rulesPerInterface} rules per interface`);
    assert.ok(x.referenceLookups <= x.lookups);
  }
  assert.ok(report.figures.some((f) => f.id === 'scaling/100/classify/wasm'));
  assert.ok(report.figures.some((f) => f.id === 'decode/wasm'));
  assert.ok(report.memory.maxRssBytes > 10 * 1024 * 1024);
  assert.equal(report.memory.afterSection.map((m) => m.section), report.options.sections);
});

s('Markdown and HTML: tables, inline SVG charts, nothing fetched', () => {
  const md = readFileSync(files.md, 'utf8');
  assert.match(md, /^# sgfilter benchmark/);
  assert.match(md, /## Fixtures: verified, then timed/);
  assert.match(md, /\| aliyun-basic-mixed \| 24,623 \|/);
  const html = readFileSync(files.html, 'utf8');
  assert.match(html, /^<!doctype html>/);
  assert.ok((html.match(/<svg /g) ?? []).length >= 4, 'at least four charts');
  assert.match(html, /Throughput against rule count/);
  assert.match(html, /Replay throughput against workers/);
  assert.not.match(html, /<script|<link|src="http|href="http/);
});

s('the schema rejects a broken report, naming the JSON path', () => {
  const doc = JSON.parse(readFileSync(files.json, 'utf8')) as { figures: { id: string; value: number; samples: number[] }[]; options: { mode: string } };
  const throws = (mutate: (d: typeof doc) => void, path: RegExp) => {
    const d = structuredClone(doc);
    mutate(d);
    try {
      validateReport(d, 'x.json');
    } catch (e) {
      assert.instance(e, ReportError);
      assert.match((e as Error).message, /^x\.json: /);
      assert.match((e as Error).message, path);
      return;
    }
    assert.unreachable('the broken report passed');
  };
  const t = doc.figures.findIndex((f) => f.id.endsWith('replay/wasm-1w/e2e'));
  throws((d) => { d.figures[t]!.value *= 2; }, new RegExp(`\\$\\.figures\\[${t}\\]\\.value`));
  throws((d) => { d.figures[1]!.id = d.figures[0]!.id; }, /\$\.figures\[1\]\.id: duplicate figure id/);
  throws((d) => { d.figures[t]!.samples = []; }, new RegExp(`\\$\\.figures\\[${t}\\]\\.samples`));
  throws((d) => { d.options.mode = 'huge'; }, /\$\.options\.mode/);
  throws((d) => { delete (d as { memory?: unknown }).memory; }, /\$\.memory/);
});

s('--compare: an earlier report; the change of every shared figure goes to the terminal and the Markdown', () => {
  const out2 = join(tmp, 'run2');
  const r = bench(['--tiny', '--only', 'decode', '--out', out2, '--cache-dir', cacheDir, '--compare', files.json]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /Compared with /);
  assert.match(r.stdout, /small packets: wasm: read \+ decode to flat records/);
  assert.match(r.stdout, /figures compared/);
  const md = readdirSync(out2).find((f) => f.endsWith('.md'))!;
  const text = readFileSync(join(out2, md), 'utf8');
  assert.match(text, /## Change against /);
  const json = validateReport(JSON.parse(readFileSync(join(out2, md.replace(/\.md$/, '.json')), 'utf8')), 'run2');
  assert.equal(json.options.sections, ['decode']);
  assert.is(json.options.compare, files.json);
});

s('bad options and a bad --compare file: exit 2 with the reason', () => {
  const a = bench(['--only', 'fixtures,nope']);
  assert.is(a.status, 2);
  assert.match(a.stderr, /--only.*nope/s);
  const bad = join(tmp, 'bad.json');
  writeFileSync(bad, JSON.stringify({ schema: 'sgfilter-bench/1', figures: [] }));
  const b = bench(['--tiny', '--compare', bad]);
  assert.is(b.status, 2);
  assert.match(b.stderr, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not a valid sgfilter benchmark report`));
  assert.match(b.stderr, /at \$\.startedAt/);
  const c = bench(['--compare', join(tmp, 'missing.json')]);
  assert.is(c.status, 2);
  assert.match(c.stderr, /missing\.json: cannot read the report \(no such file\)/);
  const d = bench(['--tiny', '--full']);
  assert.is(d.status, 2);
});

s.after(() => rmSync(tmp, { recursive: true, force: true }));

s.run();
