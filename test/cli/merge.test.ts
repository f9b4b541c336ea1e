// `sgfilter replay --shard-set K/N` and `sgfilter merge`, each part a separate
// process (the parts of one N run at the same time):
// - N = 1, 2, 3, 4 parts, part K on `--workers` 0 (K even) or 2 (K odd),
//   merged: the decisions file is byte for byte a single run's, the summary
//   too but for its wall-clock fields — on a generated capture rich in ICMP
//   errors from 2 routers, fragments, IPv6, ARP and VLANs, and on a pcapng
//   fixture (every N with workers 0 and 2 on each part, in one process:
//   test/replay/parts.test.ts);
// - a damaged corpus capture (../shared/corpus; skipped, saying so, when
//   absent): every part and the merge exit 1 with the reader's error, the
//   merge equal to the single run (a truncated capture: parts.test.ts);
// - option errors of --shard-set, and merge's refusals (exit 2, one line).
// Each process costs a CLI start-up, so the cases that need no process are
// in parts.test.ts and options.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTopologyFile } from '../../src/parse/load.js';
import { replay } from '../../src/replay/replay.js';
import { generateTopology } from '../../src/gen/index.js';
import { captureFor } from '../replay/helpers.js';
import { corpusDir, fixturesDir, skipNoCorpus } from '../helpers/corpus.js';
import { spawnRun, withoutClock, type Run } from '../helpers/parts.js';

const merge = suite('cli: replay --shard-set and merge (separate processes)');
const tmp = mkdtempSync(join(tmpdir(), 'sgf-merge-cli-'));

// What `gen --seed 41 --packets 4000 --interfaces 20 --ipv6-share 0.4 --fragment-share 0.1 --vlan-share 0.2
// --arp-share 0.02 --mix tcp=40,udp=20,echo=10,icmp-error=20,gre=5,other=5 --routers 2` writes, made in this process.
const native = generateTopology({ seed: 41, interfaces: 20, ipv6Share: 0.4 });
mkdirSync(join(tmp, 'gen'));
writeFileSync(join(tmp, 'gen', 'topology.json'), JSON.stringify(native));
writeFileSync(join(tmp, 'gen', 'trace.pcap'), captureFor(native, {
  seed: 41, packets: 4000, ipv6Share: 0.4, fragmentShare: 0.1, vlanShare: 0.2, arpShare: 0.02, routers: 2,
  mix: { tcp: 40, udp: 20, echo: 10, 'icmp-error': 20, gre: 5, other: 5 },
}));

/** A capture and its topology copied into `dir` as capture.<ext> and topology.json (the runs use relative paths, so summaries name the same file). */
function stage(name: string, capture: string, topology: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  copyFileSync(capture, join(dir, capture.endsWith('.pcapng') ? 'capture.pcapng' : 'capture.pcap'));
  copyFileSync(topology, join(dir, 'topology.json'));
  return dir;
}

function check(r: Run, status: number, what: string): void {
  if (r.status !== status) assert.unreachable(`${what}: exit ${r.status}, expected ${status}\n${r.stderr}`);
}

/**
 * In `dir`: single runs and, for each N, the N parts at once (part K on
 * workers K mod 2 × 2, or 0 with `allZero`) and their merge (parts given in
 * reverse); each merged decisions file must be the single run's, byte for
 * byte, and its summary the single run's on the parts' largest worker count.
 */
async function splitAndMerge(dir: string, ns: number[], status = 0, allZero = false): Promise<void> {
  const workersOf = (k: number) => (allZero ? 0 : (k % 2) * 2);
  const largest = (n: number) => Math.max(...Array.from({ length: n }, (_, k) => workersOf(k)));
  const pcap = existsSync(join(dir, 'capture.pcapng')) ? 'capture.pcapng' : 'capture.pcap';
  const base = ['replay', '--topology', '../topology.json', '--pcap', `../${pcap}`, '--quiet', '--decisions', 'decisions.jsonl', '--summary', 'summary.json'];
  const singleWorkers = [...new Set(ns.map(largest))];
  const singles = new Map<number, { decisions: string; summary: string }>();
  await Promise.all(singleWorkers.map(async (w) => {
    const cwd = join(dir, `single-w${w}`);
    mkdirSync(cwd);
    check(await spawnRun([...base, '--workers', String(w)], { cwd }), status, `single run, workers ${w}`);
    singles.set(w, { decisions: readFileSync(join(cwd, 'decisions.jsonl'), 'utf8'), summary: readFileSync(join(cwd, 'summary.json'), 'utf8') });
  }));
  for (const n of ns) {
    const cwd = join(dir, `parts-${n}`);
    mkdirSync(cwd);
    const runs = await Promise.all(Array.from({ length: n }, (_, k) => spawnRun(['replay', '--topology', '../topology.json', '--pcap', `../${pcap}`, '--quiet',
      '--shard-set', `${k}/${n}`, '--workers', String(workersOf(k)), '--decisions', `part-${k}.jsonl`, '--summary', `part-${k}.json`], { cwd })));
    runs.forEach((r, k) => check(r, status, `part ${k}/${n}`));
    const out = join(dir, `merged-${n}`);
    mkdirSync(out);
    const parts = Array.from({ length: n }, (_, k) => `../parts-${n}/part-${n - 1 - k}.json`);
    const m = await spawnRun(['merge', ...parts, '--decisions', 'decisions.jsonl', '--summary', 'summary.json'], { cwd: out });
    check(m, status, `merge of ${n}`);
    const single = singles.get(largest(n))!;
    const got = readFileSync(join(out, 'decisions.jsonl'), 'utf8');
    if (got !== single.decisions) assert.fixture(got, single.decisions, `${n} parts: decisions`);
    assert.fixture(withoutClock(readFileSync(join(out, 'summary.json'), 'utf8')), withoutClock(single.summary), `${n} parts: summary`);
  }
}

merge('a generated capture (ICMP errors, fragments, IPv6, ARP, VLANs): N = 1..4 parts on workers 0/2 merge to the single run', async () => {
  await splitAndMerge(stage('gen-run', join(tmp, 'gen', 'trace.pcap'), join(tmp, 'gen', 'topology.json')), [1, 2, 3, 4]);
});

merge('a pcapng fixture: 2 parts merge to the single run', async () => {
  const f = join(fixturesDir(), 'captures');
  await splitAndMerge(stage('fixture', join(f, 'huawei-mixed.pcapng'), join(f, 'huawei-mixed.topology.json')), [2], 0, true);
});

merge('a damaged corpus capture (a garbage caplen after 6 packets): every part and the merge exit 1 with the reader\'s error; the merge is the single run', async () => {
  const corpus = corpusDir();
  if (!corpus) return skipNoCorpus('cli: merge of a damaged corpus capture');
  const file = join(corpus, 'pcap', 'suricata-verify__tests__bug-1450-04__tls_DER-incomplete-header.pcap');
  const dir = stage('damaged', file, join(fixturesDir(), 'captures', 'huawei-mixed.topology.json'));
  await splitAndMerge(dir, [2], 1, true);
  const summary = JSON.parse(readFileSync(join(dir, 'merged-2', 'summary.json'), 'utf8')) as { packets: number; error?: { code: string; offset: number } };
  assert.equal([summary.packets, summary.error?.code, summary.error?.offset], [6, 'SGF_PCAP_CAPLEN_TOO_LARGE', 5035]);
});

merge('--shard-set errors: exit 2, one line saying what was expected (the parser: test/cli/options.test.ts)', async () => {
  const dir = join(tmp, 'gen');
  const base = ['replay', '--topology', 'topology.json', '--pcap', 'trace.pcap', '--quiet'];
  const cases: [string[], RegExp][] = [
    [['--summary', 'x.json', '--shard-set', '/3'], /^sgfilter: --shard-set expected K\/N \(part K of N, K from 0 to N-1\), got "\/3" \(K is empty: is JOB_COMPLETION_INDEX set\?\)\n$/],
    [['--summary', 'x.json', '--shard-set', '1/3', '--workers', '6'], /^sgfilter: --workers 6: part 1\/3 has 5 of the 16 shards, so at most 5 workers \(a worker judges whole shards\)\n$/],
    [['--shard-set', '0/2'], /^sgfilter: --shard-set needs --summary FILE: a part's summary is the manifest sgfilter merge reads\n$/],
    [['--summary', 'x.json', '--shard-set', '0/2', '--decisions', '/dev/null'], /^sgfilter: --decisions \/dev\/null: with --shard-set the decisions go to a regular file \(sgfilter merge reads it\)\n$/],
    // Before: EngineOptionError escaped the replay command with a stack trace (exit 1).
    [['--workers', '5', '--shards', '4'], /^sgfilter: workers must be an integer from 0 to the number of shards \(4\), got 5\n$/],
  ];
  const runs = await Promise.all(cases.map(([args]) => spawnRun([...base, ...args], { cwd: dir })));
  runs.forEach((r, i) => {
    check(r, 2, cases[i]![0].join(' '));
    assert.match(r.stderr, cases[i]![1]);
  });
});

merge('merge refuses, exit 2, one line naming the part (every refusal: test/replay/parts.test.ts)', async () => {
  const dir = join(tmp, 'gen-run');
  const p = (n: number, k: number) => join(dir, `parts-${n}`, `part-${k}.json`);
  assert.ok(existsSync(p(3, 2)), 'the parts of the first test are there');
  // An interrupted part, as a part's summary file (the library's result, its signal aborted at once).
  const stop = new AbortController();
  stop.abort();
  const t = loadTopologyFile(join(dir, 'topology.json'), {}).topology;
  const stopped = await replay(t, join(dir, 'capture.pcap'), { workers: 0, shardSet: { index: 1, count: 3 }, signal: stop.signal, decisionsPath: join(tmp, 'stopped.jsonl') });
  writeFileSync(join(tmp, 'stopped.json'), JSON.stringify(stopped, null, 2));
  const cases: [string[], RegExp][] = [
    [[p(3, 0), p(3, 2)], /^sgfilter: missing part 1\/3: give the summaries of all 3 parts \(K = 0\.\.2\)\n$/],
    [[p(3, 0), join(tmp, 'stopped.json'), p(3, 2)], /^sgfilter: part 1\/3 \(.*stopped\.json\) was interrupted after packet 0: run that part again\n$/],
  ];
  const runs = await Promise.all(cases.map(([files]) => spawnRun(['merge', ...files, '--decisions', join(tmp, 'refused.jsonl')], { cwd: tmp })));
  runs.forEach((r, i) => {
    check(r, 2, `merge ${i}`);
    assert.match(r.stderr, cases[i]![1]);
  });
  assert.not.ok(existsSync(join(tmp, 'refused.jsonl')), 'nothing written when the parts do not fit');
});

merge.after(() => rmSync(tmp, { recursive: true, force: true }));
merge.run();
