/**
 * The DPDK side-by-side runner (bench/classify/dpdk.ts) at its edges: without
 * DPDK (libdpdk for pkg-config) on PATH it still checks and times sgfilter and says how to
 * install DPDK; with it, one tiny run of the rte_acl harness (bench/classify/acl.c; every
 * packet's result is checked against the oracle inside the runner, which
 * throws on a difference), its memory footprint and both IPv4 and the IPv6
 * variant. Timings are not asserted (benchmarks are not tests).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INSTALL_HINT, dpdkInstalled, dpdkTable, main, mergeProcessReports, runDpdkSideBySide, setsIn, type DpdkReport, type SideResult, type Timing } from '../../bench/classify/dpdk.js';
import { corpusDir, skipNoCorpus } from '../helpers/corpus.js';

const corpus = corpusDir();
const dir = corpus ? join(corpus, 'classbench') : null;

test('without DPDK: the report says so and how to install it; sgfilter still runs and is checked', async () => {
  if (!dir) return skipNoCorpus('dpdk side by side');
  const path = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    assert.is(dpdkInstalled(), false);
    const rep = await runDpdkSideBySide({ dir, sets: ['acl1_100'], families: [4, 6], passes: 2, minLookups: 1000, warmup: 1, repeats: 1, pin: false, huge: false });
    assert.is(rep.installed, false);
    assert.is(rep.note, INSTALL_HINT);
    assert.match(rep.note, 'apt-get install dpdk-dev');
    assert.equal(rep.results.map((r) => [r.set, r.family, r.packets, Object.keys(r.dpdk).length]), [['acl1_100', 4, 1000, 0], ['acl1_100', 6, 1000, 0]]);
    assert.ok(rep.results.every((r) => r.sgfilter.warmSamplesMs.length === 1 && r.sgfilter.tableBytes > 0));
    assert.match(dpdkTable(rep).join('\n'), 'Note: DPDK is not installed');
  } finally {
    process.env.PATH = path;
  }
});

test('with DPDK (the rte_acl harness): results checked against the oracle, memory read, IPv4 and IPv6', async () => {
  if (!dir) return skipNoCorpus('dpdk side by side');
  if (!dpdkInstalled()) {
    console.log('\n  [skip] dpdk side by side: DPDK is not installed (apt-get install dpdk-dev)');
    return;
  }
  const rep = await runDpdkSideBySide({ dir, sets: ['fw1_100'], families: [4, 6], algs: ['scalar'], passes: 2, minLookups: 1000, warmup: 1, repeats: 1, pin: false, huge: false });
  assert.is(rep.installed, true);
  for (const r of rep.results) {
    const d = r.dpdk.scalar;
    assert.ok(d && 'warmMs' in d, `${r.set} IPv${r.family}: scalar ran`);
    if (d && 'warmMs' in d) {
      assert.ok(d.memoryBytes > 0, 'DPDK memory footprint read from its log');
      assert.is(d.warmSamplesMs.length, 1);
    }
  }
  assert.ok(rep.geomean.IPv4?.scalar! > 0 && rep.geomean.IPv6?.scalar! > 0);
});

test('with DPDK: a packet whose oracle rule differs from rte_acl\'s answer stops the run, named', async () => {
  if (!dir) return skipNoCorpus('dpdk side by side');
  if (!dpdkInstalled()) {
    console.log('\n  [skip] dpdk side by side: DPDK is not installed (apt-get install dpdk-dev)');
    return;
  }
  // fw1_100 with the MATCH column of trace packet 7 changed: DPDK's check (run first) must name it.
  const tmp = mkdtempSync(join(tmpdir(), 'sgf-dpdk-test-'));
  try {
    writeFileSync(join(tmp, 'bad.rules'), readFileSync(join(dir, 'fw1_100.rules')));
    const lines = readFileSync(join(dir, 'fw1_100.trace'), 'utf8').split('\n');
    const f = lines[6]!.trim().split(/\s+/);
    const want = Number(f[5]);
    f[5] = String(want === 1 ? 2 : want - 1);
    lines[6] = f.join('\t');
    writeFileSync(join(tmp, 'bad.trace'), lines.join('\n'));
    let err: Error | null = null;
    try {
      await runDpdkSideBySide({ dir: tmp, sets: ['bad'], families: [4], algs: ['scalar'], passes: 1, minLookups: 1, warmup: 0, repeats: 1, pin: false, huge: false });
    } catch (e) {
      err = e as Error;
    }
    assert.ok(err, 'the run stops');
    assert.match(err!.message, `DPDK scalar gives rule ${want} for trace packet 7, the oracle ${f[5]}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('--dir: the sets of a directory (NAME.rules with NAME.trace), sorted; clear errors for a missing, empty or wrong one', async () => {
  if (!dir) return skipNoCorpus('dpdk --dir');
  const tmp = mkdtempSync(join(tmpdir(), 'sgf-dpdk-dir-'));
  try {
    assert.throws(() => setsIn(join(tmp, 'nope')), /--dir .*nope: cannot read it/);
    assert.throws(() => setsIn(tmp), /no NAME\.rules with a NAME\.trace beside it/);
    for (const s of ['ipc1_100', 'acl1_100']) {
      writeFileSync(join(tmp, `${s}.rules`), readFileSync(join(dir, `${s}.rules`)));
      writeFileSync(join(tmp, `${s}.trace`), readFileSync(join(dir, `${s}.trace`)));
    }
    writeFileSync(join(tmp, 'lonely.rules'), readFileSync(join(dir, 'fw1_100.rules')));
    assert.equal(setsIn(tmp), ['acl1_100', 'ipc1_100']);
    let err: Error | null = null;
    try {
      await main(['--dir', tmp, '--sets', 'lonely', '--no-json']);
    } catch (e) {
      err = e as Error;
    }
    assert.ok(err && /--sets: lonely not in .* \(it has acl1_100, ipc1_100\)/.test(err.message), err?.message);
    // Without DPDK on PATH the sgfilter side still runs on every set of the directory, checked against its oracle column.
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    const log = console.log;
    console.log = () => {};
    try {
      const rep = await main(['--dir', tmp, '--families', '4', '--passes', '1', '--min-lookups', '1', '--warmup', '0', '--repeats', '1', '--no-pin', '--no-huge', '--no-json']);
      assert.equal(rep!.results.map((r) => r.set), ['acl1_100', 'ipc1_100']);
    } finally {
      process.env.PATH = path;
      console.log = log;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

// A report of one process with one row per [set, family, sgfilter M lookups/s, {alg: M lookups/s or 'unavailable'}] (100 packets a pass).
function fakeReport(rows: [string, 4 | 6, number, Record<string, number | 'unavailable'>][]): DpdkReport {
  const t = (mlps: number): Timing => {
    const ms = 100 / (mlps * 1e6) * 1000;
    return { warmMs: ms, fastMs: ms * 0.9, coldMs: ms * 3, warmSamplesMs: [ms], coldSamplesMs: [ms * 3], lookupsPerSec: mlps * 1e6 };
  };
  const results: SideResult[] = rows.map(([set, family, sg, d]) => ({
    set, family, rules: 10, packets: 100,
    sgfilter: { ...t(sg), buildMs: 1, firstBuildMs: 2, tableBytes: 1000 },
    dpdk: Object.fromEntries(Object.entries(d).map(([a, x]) => [a, x === 'unavailable' ? { unavailable: 'the CPU lacks it' } : { ...t(x), buildMs: 2, memoryBytes: 5000 }])),
  }));
  return { installed: true, note: '', cpu: 'test', node: 'v20', passes: 10, passesBySet: {}, warmup: 3, repeats: 3, pinned: 'x', pages: 'y', results, geomean: {}, geomeanFast: {} };
}

test('--processes: the median process per row and side, every process kept, paired ratios, geometric means again', () => {
  // Three processes; the medians by hand: sgfilter 10/30/20 -> 20 (process 3), avx2 20/10/40 -> 20 (process 1),
  // sse 5/6/7 -> 6 (process 2); so the row's ratios are 20/20 = 1 (avx2) and 20/6 (sse).
  const reps = [
    fakeReport([['a', 4, 10, { sse: 5, avx2: 20, avx512x32: 'unavailable' }]]),
    fakeReport([['a', 4, 30, { sse: 6, avx2: 10, avx512x32: 'unavailable' }]]),
    fakeReport([['a', 4, 20, { sse: 7, avx2: 40, avx512x32: 'unavailable' }]]),
  ];
  const m = mergeProcessReports(reps);
  assert.is(m.processes, 3);
  const r = m.results[0]!;
  assert.is(r.sgfilter.lookupsPerSec, 20e6);
  assert.is(r.sgfilter.warmMs, reps[2]!.results[0]!.sgfilter.warmMs, 'the median process\'s own figures, not a mix');
  assert.equal(r.sgfilter.processRates, [10e6, 30e6, 20e6]);
  const avx2 = r.dpdk.avx2 as Timing;
  assert.is(avx2.lookupsPerSec, 20e6);
  assert.equal(avx2.processRates, [20e6, 10e6, 40e6]);
  assert.is((r.dpdk.sse as Timing).lookupsPerSec, 6e6);
  assert.equal(r.dpdk.avx512x32, { unavailable: 'the CPU lacks it' });
  // Within each process: sgfilter over that process's best algorithm (avx2 every time): 10/20, 30/10, 20/40.
  assert.equal(r.pairedBest, [0.5, 3, 0.5]);
  assert.ok(Math.abs(m.geomean.IPv4!.avx2! - 1) < 1e-12);
  assert.ok(Math.abs(m.geomean.IPv4!.sse! - 20 / 6) < 1e-12);
  assert.ok(Math.abs(m.geomean.IPv4!.best! - 1) < 1e-12);
  assert.match(dpdkTable(m).join('\n'), '÷best, each process');
  assert.match(dpdkTable(m).join('\n'), '| 0.50–3.00 |');
  // An even count takes the lower median; rows that differ between processes are refused, named.
  assert.is(mergeProcessReports(reps.slice(0, 2)).results[0]!.sgfilter.lookupsPerSec, 10e6);
  assert.throws(() => mergeProcessReports([reps[0]!, fakeReport([['b', 4, 1, {}]])]), /process 2: its rows \(b IPv4\) are not process 1's \(a IPv4\)/);
});

test('--processes 2 (without DPDK on PATH): two child processes measure, the report is their merge', async () => {
  if (!dir) return skipNoCorpus('dpdk --processes');
  const path = process.env.PATH;
  process.env.PATH = '/nonexistent';
  const log = console.log;
  const err = process.stderr.write;
  console.log = () => {};
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    const rep = await main(['--dir', dir, '--sets', 'acl1_100', '--families', '4,6', '--passes', '2', '--min-lookups', '1000', '--warmup', '1', '--repeats', '1', '--no-pin', '--no-huge', '--no-json', '--processes', '2']);
    assert.is(rep!.processes, 2);
    assert.equal(rep!.results.map((r) => [r.set, r.family]), [['acl1_100', 4], ['acl1_100', 6]]);
    for (const r of rep!.results) {
      const rates = r.sgfilter.processRates!;
      assert.is(rates.length, 2);
      assert.is(r.sgfilter.lookupsPerSec, Math.min(...rates), 'the lower median of two');
    }
  } finally {
    process.env.PATH = path;
    console.log = log;
    process.stderr.write = err;
  }
});

test.run();
