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
import { INSTALL_HINT, dpdkInstalled, dpdkTable, main, runDpdkSideBySide, setsIn } from '../../bench/classify/dpdk.js';
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

test.run();
