// replay(): decisions files are byte-identical for every worker count and
// batch size, and equal to the reference engine's; the summary agrees with the
// decisions; a damaged capture is judged up to the damage and then reported.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTopology } from '../../src/gen/index.js';
import { replay } from '../../src/replay/replay.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { topology as parsed } from '../helpers/scenario.js';
import { fixturesDir } from '../helpers/corpus.js';
import { cli } from '../helpers/cli.js';
import { captureFor } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sgf-replay-'));
const doc = generateTopology({ seed: 21, cloud: 'aliyun-basic', interfaces: 8, rulesPerGroup: 12 });
const topo = parsed(doc);
const pcap = join(dir, 'trace.pcap');
// Rich in ICMP errors from a small router pool: errors whose own addresses and
// quoted flow hash to different shards (one instance holding several shards
// must keep them apart), plus fragments, IPv6 and idle gaps.
writeFileSync(pcap, captureFor(doc, { seed: 21, flows: 1500, packetsPerFlow: 8, fragmentShare: 0.1, idleShare: 0.05, ipv6Share: 0.3, routers: 2, mix: { tcp: 40, udp: 20, echo: 8, 'icmp-error': 30, gre: 1, other: 1 } }));

const workers = suite('replay: workers and batches');

workers('workers 0-3 and odd batch sizes give byte-identical decisions, equal to the reference engine', async () => {
  const refPath = join(dir, 'ref.jsonl');
  const ref = await replay(topo, pcap, { engine: 'reference', decisionsPath: refPath });
  const expected = readFileSync(refPath, 'utf8');
  assert.ok(ref.packets > 10000, `a capture of some size (${ref.packets})`);
  assert.is(expected.split('\n').length - 1, ref.packets);
  for (const [w, batchSize] of [[0, 1], [1, 8192], [1, 7], [2, 333], [3, 4096], [2, 1]] as const) {
    const out = join(dir, `w${w}-b${batchSize}.jsonl`);
    const r = await replay(topo, pcap, { workers: w, batchSize, decisionsPath: out });
    assert.is(r.packets, ref.packets, `workers ${w}, batch ${batchSize}: packets`);
    assert.ok(readFileSync(out, 'utf8') === expected, `workers ${w}, batch ${batchSize}: decisions differ from the reference engine's`);
    assert.equal(r.verdicts, ref.verdicts);
    assert.equal(r.reasons, ref.reasons);
    assert.equal(r.rules, ref.rules);
    assert.equal(r.interfaces, ref.interfaces);
  }
});

workers('the summary agrees with the decisions', async () => {
  const out = join(dir, 'sum.jsonl');
  const s = await replay(topo, pcap, { workers: 2, decisionsPath: out });
  const decisions = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { verdict: string; reason?: string; hops: { iface: string; dir: string; verdict: string; reason: string; group?: string; rule?: string }[] });
  assert.is(s.verdicts.allow, decisions.filter((d) => d.verdict === 'allow').length);
  assert.is(s.verdicts.deny, decisions.filter((d) => d.verdict === 'deny').length);
  const hits = new Map<string, number>();
  const reasons: Record<string, number> = {};
  for (const d of decisions) {
    const r = d.reason ?? d.hops[d.hops.length - 1]!.reason;
    reasons[r] = (reasons[r] ?? 0) + 1;
    for (const h of d.hops) if (h.rule) hits.set(`${h.group}/${h.rule}`, (hits.get(`${h.group}/${h.rule}`) ?? 0) + 1);
  }
  assert.equal(s.reasons, reasons);
  for (const r of s.rules) assert.is(r.hits, hits.get(`${r.group}/${r.rule}`) ?? 0, `${r.group}/${r.rule}`);
  assert.equal(s.rulesNeverHit, s.rules.filter((r) => r.hits === 0).map((r) => `${r.group}/${r.rule}`));
  assert.ok(Object.values(s.conntrack.peak).some((n) => n > 0));
});

workers('a damaged capture: the packets before the damage are judged and written, then the error', async () => {
  const bytes = readFileSync(join(fixturesDir(), 'captures', 'aliyun-basic-3tier.pcap'));
  const cut = join(dir, 'cut.pcap');
  writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.byteLength / 2)));
  const { topology } = loadTopologyFile(join(fixturesDir(), 'captures', 'aliyun-basic-3tier.topology.json'));
  const refOut = join(dir, 'cut-ref.jsonl');
  const wasmOut = join(dir, 'cut-wasm.jsonl');
  const ref = await replay(topology, cut, { engine: 'reference', decisionsPath: refOut });
  const wasm = await replay(topology, cut, { workers: 2, decisionsPath: wasmOut });
  for (const r of [ref, wasm]) {
    assert.is(r.error?.code, 'SGF_PCAP_TRUNCATED_RECORD');
    assert.ok(r.packets > 1000, `packets before the damage (${r.packets})`);
    assert.ok(r.capture.bytesUnread > 0);
  }
  assert.is(wasm.packets, ref.packets);
  assert.is(readFileSync(wasmOut, 'utf8'), readFileSync(refOut, 'utf8'));
  assert.is(readFileSync(wasmOut, 'utf8').trim().split('\n').length, ref.packets);
  // The CLI: summary, the error, a non-zero exit.
  const c = cli(['replay', '--topology', join(fixturesDir(), 'captures', 'aliyun-basic-3tier.topology.json'), '--pcap', cut, '--decisions', join(dir, 'cut-cli.jsonl'), '--workers', '2']);
  assert.is(c.status, 1);
  assert.match(c.stderr, 'SGF_PCAP_TRUNCATED_RECORD');
  assert.match(c.stderr, `${ref.packets} packet(s) before the damage were judged and written`);
  assert.is(readFileSync(join(dir, 'cut-cli.jsonl'), 'utf8'), readFileSync(refOut, 'utf8'));
});

workers('the CLI writes the summary JSON and reports rules never hit', () => {
  const sum = join(dir, 'cli-summary.json');
  const c = cli(['replay', '--topology', join(fixturesDir(), 'captures', 'huawei-app.topology.json'), '--pcap', join(fixturesDir(), 'captures', 'huawei-app.pcapng'), '--summary', sum, '--workers', '2']);
  assert.is(c.status, 0, c.stderr);
  const s = JSON.parse(readFileSync(sum, 'utf8'));
  assert.is(s.packets, 2505);
  assert.is(s.verdicts.allow + s.verdicts.deny, 2505);
  assert.match(c.stdout, '2505 packets, wasm engine, 2 worker(s)');
  if (s.rulesNeverHit.length > 0) assert.match(c.stdout, `rules never hit (${s.rulesNeverHit.length})`);
  assert.not.match(c.stderr, 'replay ['); // no progress bar when stderr is not a terminal
});

workers('bad options are clear errors', () => {
  const c = cli(['replay', '--topology', 'fixtures/huawei-app.json', '--pcap', 'fixtures/captures/huawei-app.pcapng', '--workers', 'two']);
  assert.is(c.status, 2);
  assert.match(c.stderr, '--workers must be an integer from 0 to 32, got "two"');
  // A missing capture: exit 2 and no summary, like decode (issue: replay printed a zero summary and exited 1).
  const m = cli(['replay', '--topology', 'fixtures/huawei-app.json', '--pcap', 'no/such.pcap']);
  assert.is(m.status, 2);
  assert.match(m.stderr, 'no/such.pcap');
  assert.is(m.stdout, '');
  const d = cli(['decode', 'no/such.pcap']);
  assert.is(d.status, m.status);
});

workers.run();
