// Shard sets (src/replay/parts.ts) and their merge (src/replay/merge.ts),
// through the library, in this process:
// - each packet is judged by exactly the part its shard names — the shard
//   worked out by the reference decoder and src/model/shard.ts shardOf
//   (non-IP and malformed frames: shard 0), not by the engine under test;
// - N = 1..4 parts with workers 0 and 2 merge to the reference engine's
//   decisions, byte for byte, and to the single run's summary; fixture
//   captures (pcap, pcapng) too;
// - a tiny conntrack (conntrack-full drops) and a truncated capture merge the same;
// - bad shard sets and every refusal of the merge, with their messages.
// test/cli/merge.test.ts runs the parts as separate processes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileTopology } from '../../src/compile/compile.js';
import { generateTopology } from '../../src/gen/index.js';
import { decisionLine } from '../../src/model/decision.js';
import { EngineOptionError, shardOf } from '../../src/model/shard.js';
import { isIcmpError } from '../../src/model/packet.js';
import { decodeCapture } from '../../src/pcap/packets.js';
import { replayReference } from '../../src/replay/local.js';
import { checkPart, MergeError, mergeParts, readPart, type PartInput } from '../../src/replay/merge.js';
import { laneMasks, partShards } from '../../src/replay/parts.js';
import { replay, type ReplayOptions, type ReplayResult } from '../../src/replay/replay.js';
import { readDecisions } from '../../src/replay/decision-file.js';
import { topology as parsed } from '../helpers/scenario.js';
import { fixturesDir } from '../helpers/corpus.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { packetNumbers, withoutClock } from '../helpers/parts.js';
import { captureFor } from './helpers.js';

const parts = suite('replay: shard sets and merge (library)');
const dir = mkdtempSync(join(tmpdir(), 'sgf-parts-'));
const SHARDS = 16;

// A generated capture rich in what crosses flows: ICMP errors from 2 routers, fragments, IPv6, ARP, VLANs, idle gaps.
const t = parsed(generateTopology({ seed: 41, interfaces: 20, ipv6Share: 0.4 }));
const compiled = compileTopology(t);
const bytes = captureFor(t, {
  seed: 41, packets: 4000, ipv6Share: 0.4, fragmentShare: 0.1, vlanShare: 0.2, idleShare: 0.05, arpShare: 0.02, routers: 2,
  mix: { tcp: 40, udp: 20, echo: 10, 'icmp-error': 20, gre: 5, other: 5 },
});
const capture = join(dir, 'rich.pcap');
writeFileSync(capture, bytes);
const reference = (b: Uint8Array, opts: { shards?: number; conntrackCapacity?: number } = {}) =>
  [...replayReference(t, b, opts)].map((j) => decisionLine(j.n, j.tsText, j.decision) + '\n').join('');

let runs = 0;
/** Replay part K of N of `file` (or all of it without a set); the decisions go to a file of their own. */
async function run(file: string, options: ReplayOptions & { shardSet?: { index: number; count: number } }): Promise<{ result: ReplayResult; decisions: string }> {
  const decisions = join(dir, `d${runs++}.jsonl`);
  const result = await replay(t, file, { compiled, decisionsPath: decisions, ...options });
  return { result, decisions };
}

const cache = new Map<string, PartInput[]>();
/** The N parts of `file` (made once per file, N and options: callers must not change them). */
async function partsOf(file: string, n: number, options: ReplayOptions = {}): Promise<PartInput[]> {
  const key = JSON.stringify([file, n, options]);
  if (!cache.has(key)) cache.set(key, await freshParts(file, n, options));
  return cache.get(key)!;
}

/** The N parts, run at the same time (as separate machines would). */
async function freshParts(file: string, n: number, options: ReplayOptions = {}): Promise<PartInput[]> {
  return Promise.all(Array.from({ length: n }, async (_, k) => {
    const { result } = await run(file, { ...options, shardSet: { index: k, count: n } });
    return { source: `part-${k}`, result };
  }));
}

/** The result as JSON with the clock fields zeroed and the decisions path (the caller's name for its output) left out. */
function comparable(r: ReplayResult): string {
  const copy = structuredClone(r) as ReplayResult;
  if (copy.decisions) copy.decisions.path = '-';
  return withoutClock(JSON.stringify(copy, null, 2));
}

function throwsCode(fn: () => unknown, code: string, message: RegExp): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof MergeError)) throw e;
    assert.is((e as MergeError).code, code, (e as Error).message);
    if (!message.test((e as Error).message)) assert.unreachable(`${(e as Error).message}\n  does not match ${message}`);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

parts('the shard sets of N parts are disjoint and cover every shard; lanes split a part the same way', () => {
  for (const shards of [1, 2, 7, 16, 32]) {
    for (let n = 1; n <= shards; n++) {
      const seen = new Array<number>(shards).fill(0);
      for (let k = 0; k < n; k++) {
        const mine = partShards({ index: k, count: n }, shards);
        assert.ok(mine.length >= 1, `part ${k}/${n} of ${shards} shards owns a shard`);
        for (const s of mine) seen[s]!++;
        for (const w of [1, 2, 3]) {
          if (w > mine.length) continue;
          const masks = laneMasks(mine, w);
          let all = 0;
          for (const m of masks) {
            assert.is(all & m, 0, 'lanes are disjoint');
            all |= m;
          }
          assert.is(all >>> 0, mine.reduce((a, s) => (a | (1 << s)) >>> 0, 0), 'lanes cover the part');
        }
      }
      assert.equal(seen, new Array<number>(shards).fill(1), `${n} parts of ${shards} shards: each shard exactly once`);
    }
  }
});

parts('each packet is judged by the part of its shard (reference decoder + shardOf; non-IP and malformed: shard 0)', async () => {
  const { packets } = decodeCapture(bytes);
  const shardOfPacket = packets.map((p) => (p.record.reason !== undefined || p.record.family === undefined ? 0 : shardOf(p.record, SHARDS)));
  // The capture holds every kind the rule names, so the check is not vacuous.
  const kinds = { nonIp: 0, v6: 0, fragments: 0, quotedElsewhere: 0 };
  for (const p of packets) {
    const r = p.record;
    if (r.reason === 'non-ip') kinds.nonIp++;
    if (r.family === 6) kinds.v6++;
    if ((r.fragOffset ?? 0) > 0) kinds.fragments++;
    const { quoted, ...own } = r;
    if (quoted && isIcmpError(r) && shardOf(own, SHARDS) !== shardOf(r, SHARDS)) kinds.quotedElsewhere++;
  }
  assert.ok(kinds.nonIp > 0 && kinds.v6 > 0 && kinds.fragments > 0 && kinds.quotedElsewhere > 0, JSON.stringify(kinds));
  for (const n of [2, 3, 4]) {
    const ps = await partsOf(capture, n, { workers: 0 });
    for (let k = 0; k < n; k++) {
      const { result } = ps[k]!;
      const decisions = result.part!.decisions!.path;
      const expected = packets.flatMap((p, i) => (shardOfPacket[i]! % n === k ? [p.n] : []));
      assert.equal(packetNumbers(decisions), expected, `part ${k}/${n}`);
      assert.is(result.packets, expected.length);
      assert.equal(result.part!.ownedShards, partShards({ index: k, count: n }, SHARDS));
      assert.is(result.part!.capture.packets, packets.length);
    }
  }
});

parts('N = 1..4 parts, workers 0 and 2: merged == the reference decisions, byte for byte, and == the single run', async () => {
  const expected = reference(bytes);
  for (const workers of [0, 2]) {
    const [single, ...all] = await Promise.all([run(capture, { workers }), ...[1, 2, 3, 4].map((n) => partsOf(capture, n, { workers }))]);
    const one = single as { result: ReplayResult; decisions: string };
    assert.is(readFileSync(one.decisions, 'utf8'), expected, `single run, workers ${workers}`);
    for (const n of [1, 2, 3, 4]) {
      const ps = all[n - 1] as PartInput[];
      const out = join(dir, `merged-${workers}-${n}.jsonl`);
      const merged = mergeParts([...ps].reverse(), { decisionsPath: out });
      const got = readFileSync(out, 'utf8');
      if (got !== expected) assert.fixture(got, expected, `${n} parts, workers ${workers}`);
      assert.is(comparable(merged), comparable(one.result), `summary, ${n} parts, workers ${workers}`);
      assert.is(merged.decisions!.complete, true);
      rmSync(out);
    }
  }
});

parts('binary decisions: N = 1..3 parts, workers 0 and 2, merged == the single run\'s binary file byte for byte, and == the reference as JSON lines', async () => {
  const expected = reference(bytes);
  const asJsonl = async (path: string) => {
    let text = '';
    for await (const j of readDecisions(path)) text += decisionLine(j.n, j.tsText, j.decision) + '\n';
    return text;
  };
  const bin = (k: string) => join(dir, `bin-${k}-${runs++}.sgfd`);
  for (const workers of [0, 2]) {
    const singlePath = bin('single');
    const single = await replay(t, capture, { compiled, workers, decisionsPath: singlePath, decisionsFormat: 'binary' });
    assert.is(await asJsonl(singlePath), expected, `single binary run, workers ${workers}`);
    for (const n of [1, 2, 3]) {
      const ps = await Promise.all(Array.from({ length: n }, async (_, k) => {
        const result = await replay(t, capture, { compiled, workers, decisionsPath: bin(`p${k}`), decisionsFormat: 'binary', shardSet: { index: k, count: n } });
        assert.is(result.part!.decisions!.format, 'binary');
        return { source: `part-${k}`, result } as PartInput;
      }));
      const out = bin(`merged-${n}`);
      const merged = mergeParts([...ps].reverse(), { decisionsPath: out });
      assert.ok(readFileSync(out).equals(readFileSync(singlePath)), `${n} binary parts, workers ${workers}: merged file == single run's`);
      assert.is(merged.decisions!.lines, single.packets, 'merged records counted');
      assert.is(comparable(merged), comparable(single), `summary, ${n} binary parts, workers ${workers}`);
    }
  }
  // Parts of different formats, and a binary part cut short, are refused, naming the part.
  const a = await replay(t, capture, { compiled, workers: 0, decisionsPath: bin('fa'), decisionsFormat: 'binary', shardSet: { index: 0, count: 2 } });
  const b = await replay(t, capture, { compiled, workers: 0, decisionsPath: bin('fb'), shardSet: { index: 1, count: 2 } });
  assert.throws(() => mergeParts([{ source: 'A', result: a }, { source: 'B', result: b }], { decisionsPath: bin('fx') }), (e: unknown) => e instanceof MergeError && e.code === 'SGF_MERGE_MISMATCH' && /decisions formats/.test(e.message));
  const c = await replay(t, capture, { compiled, workers: 0, decisionsPath: bin('fc'), decisionsFormat: 'binary', shardSet: { index: 1, count: 2 } });
  const cut = c.part!.decisions!.path;
  const size = readFileSync(cut).length;
  truncateSync(cut, size - 7);
  c.part!.decisions!.bytes = size - 7; // as if the manifest had been written after the damage: the reader itself must catch it
  assert.throws(() => mergeParts([{ source: 'A', result: a }, { source: 'C', result: c }], { decisionsPath: bin('fy') }), (e: unknown) => e instanceof MergeError && e.code === 'SGF_MERGE_BAD_DECISIONS' && /C.*cut short/.test(e.message));
});

parts('fixture captures (pcap and pcapng): 2 and 3 parts merged == the reference decisions', async () => {
  for (const name of ['aliyun-basic-3tier.pcap', 'huawei-app.pcapng']) {
    const stem = name.replace(/\.pcap(ng)?$/, '');
    const ft = loadTopologyFile(join(fixturesDir(), 'captures', `${stem}.topology.json`), {}).topology;
    const file = join(fixturesDir(), 'captures', name);
    const expected = [...replayReference(ft, readFileSync(file))].map((j) => decisionLine(j.n, j.tsText, j.decision) + '\n').join('');
    for (const n of [2, 3]) {
      const ps: PartInput[] = [];
      for (let k = 0; k < n; k++) {
        const decisionsPath = join(dir, `${stem}-${n}-${k}.jsonl`);
        ps.push({ source: `${stem} ${k}`, result: await replay(ft, file, { workers: 0, decisionsPath, shardSet: { index: k, count: n } }) });
      }
      const out = join(dir, `${stem}-${n}.jsonl`);
      const merged = mergeParts(ps, { decisionsPath: out });
      const got = readFileSync(out, 'utf8');
      if (got !== expected) assert.fixture(got, expected, `${name}, ${n} parts`);
      assert.is(merged.packets, expected.split('\n').length - 1);
    }
  }
});

parts('a conntrack too small for the flows (conntrack-full drops) merges to the same decisions', async () => {
  const opts = { conntrackCapacity: 64 };
  const expected = reference(bytes, opts);
  assert.match(expected, /"reason":"conntrack-full"/, 'the capacity is small enough to drop');
  const single = await run(capture, { ...opts, workers: 0 });
  const out = join(dir, 'merged-full.jsonl');
  const merged = mergeParts(await partsOf(capture, 3, { ...opts, workers: 0 }), { decisionsPath: out });
  assert.is(readFileSync(out, 'utf8'), expected);
  assert.ok(merged.conntrack.full > 0);
  assert.is(comparable(merged), comparable(single.result));
});

parts('a truncated capture: every part reads the same damage; the merge is the single run (decisions and error)', async () => {
  const cut = join(dir, 'cut.pcap');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 37));
  const single = await run(cut, { workers: 0 });
  assert.is(single.result.error?.code, 'SGF_PCAP_TRUNCATED_RECORD');
  const ps = await partsOf(cut, 3, { workers: 0 });
  for (const p of ps) assert.equal(p.result.capture, single.result.capture);
  const out = join(dir, 'merged-cut.jsonl');
  const merged = mergeParts(ps, { decisionsPath: out });
  assert.is(readFileSync(out, 'utf8'), readFileSync(single.decisions, 'utf8'));
  assert.equal(merged.error, single.result.error);
  assert.is(comparable(merged), comparable(single.result));
});

parts('bad shard sets are EngineOptionErrors naming shardSet (or workers) and what was expected', async () => {
  const bad = async (options: ReplayOptions, option: string, message: RegExp) => {
    try {
      await replay(t, capture, { compiled, ...options });
    } catch (e) {
      assert.instance(e, EngineOptionError);
      assert.is((e as EngineOptionError).option, option);
      assert.match((e as Error).message, message);
      return;
    }
    assert.unreachable(JSON.stringify(options));
  };
  await bad({ shardSet: { index: 3, count: 3 } }, 'shardSet', /index \(K\) must be from 0 to N-1 \(0\.\.2; K counts from 0, like a Kubernetes JOB_COMPLETION_INDEX\), got 3/);
  await bad({ shardSet: { index: -1, count: 3 } }, 'shardSet', /got -1/);
  await bad({ shardSet: { index: 0, count: 17 } }, 'shardSet', /count \(N\) must be from 1 to the number of shards \(16; raise shards/);
  await bad({ shardSet: { index: 0, count: 0 } }, 'shardSet', /got 0/);
  await bad({ shardSet: { index: 0.5, count: 2 } as never }, 'shardSet', /integers/);
  await bad({ shardSet: { index: 0, count: 2 }, engine: 'reference' }, 'shardSet', /needs the WASM engine/);

  await bad({ shardSet: { index: 1, count: 3 }, workers: 6 }, 'workers', /of part 1\/3 \(5 of 16\), got 6/);
  // A capture that is not a regular file (a pipe, a device) cannot be fingerprinted for the merge.
  try {
    await replay(t, '/dev/null', { compiled, workers: 0, shardSet: { index: 0, count: 2 } });
    assert.unreachable('a device as the capture of a part');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'SGF_PCAP_IO');
    assert.match((e as Error).message, /not a regular file: a part of a shard set reads the capture from a file/);
  }
});

parts('merge refuses parts that do not fit, naming them', async () => {
  const three = await partsOf(capture, 3, { workers: 0 });
  const out = join(dir, 'refused.jsonl');
  throwsCode(() => mergeParts([three[0]!, three[2]!], { decisionsPath: out }), 'SGF_MERGE_MISSING_PART', /missing part 1\/3: give the summaries of all 3 parts \(K = 0\.\.2\)/);
  throwsCode(() => mergeParts([three[0]!, three[1]!, { ...three[1]!, source: 'again' }, three[2]!]), 'SGF_MERGE_DUPLICATE_PART', /part 1\/3 given twice: part-1 and again/);
  throwsCode(() => mergeParts([]), 'SGF_MERGE_MISSING_PART', /no parts/);
  const two = await partsOf(capture, 2, { workers: 0 });
  throwsCode(() => mergeParts([two[0]!, three[1]!]), 'SGF_MERGE_MISMATCH', /different part counts \(N of --shard-set K\/N\): part 0\/2 \(part-0\) has 2, part 1\/3 \(part-1\) has 3/);
  const shards8 = await run(capture, { workers: 0, shards: 8, shardSet: { index: 1, count: 3 } });
  throwsCode(() => mergeParts([three[0]!, { source: 's8', result: shards8.result }, three[2]!]), 'SGF_MERGE_MISMATCH', /different shard counts/);
  const small = await run(capture, { workers: 0, conntrackCapacity: 64, shardSet: { index: 1, count: 3 } });
  throwsCode(() => mergeParts([three[0]!, { source: 'small', result: small.result }, three[2]!]), 'SGF_MERGE_MISMATCH', /different conntrack capacities/);
  // Another capture: the truncated copy (same first MiB, other size).
  const cut = join(dir, 'cut2.pcap');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
  const other = await run(cut, { workers: 0, shardSet: { index: 2, count: 3 } });
  throwsCode(() => mergeParts([three[0]!, three[1]!, { source: 'cut', result: other.result }]), 'SGF_MERGE_MISMATCH', /different captures: part 0\/3 \(part-0\) has \d+ bytes, sha256:[0-9a-f]{64}, part 2\/3 \(cut\) has \d+ bytes/);
  // Another topology (one interface fewer).
  const t2 = parsed(generateTopology({ seed: 41, interfaces: 19, ipv6Share: 0.4 }));
  const otherTopology = await replay(t2, capture, { workers: 0, shardSet: { index: 1, count: 3 } });
  throwsCode(() => mergeParts([three[0]!, { source: 'topo', result: otherTopology }, three[2]!]), 'SGF_MERGE_MISMATCH', /different topologies/);
  // An interrupted part (its signal aborted before it started).
  const stop = new AbortController();
  stop.abort();
  const cutShort = await run(capture, { workers: 0, shardSet: { index: 1, count: 3 }, signal: stop.signal });
  assert.ok(cutShort.result.interrupted);
  throwsCode(() => mergeParts([three[0]!, { source: 'stopped.json', result: cutShort.result }, three[2]!]), 'SGF_MERGE_INCOMPLETE_PART', /part 1\/3 \(stopped\.json\) was interrupted after packet 0: run that part again/);
  // A part whose decisions could not be written.
  const full = await replay(t, capture, { compiled, workers: 0, shardSet: { index: 1, count: 3 }, decisionsPath: '/dev/full' });
  throwsCode(() => mergeParts([three[0]!, { source: 'full.json', result: full }, three[2]!]), 'SGF_MERGE_INCOMPLETE_PART', /part 1\/3 \(full\.json\): its decisions file \/dev\/full is partial \(decisions \/dev\/full: write failed: no space left on device \(ENOSPC\)\)/);
  // A plain summary.
  const plain = await run(capture, { workers: 0 });
  throwsCode(() => checkPart('plain.json', JSON.parse(JSON.stringify(plain.result))), 'SGF_MERGE_BAD_PART', /plain\.json: not a part's summary: it has no "part" manifest/);
  throwsCode(() => checkPart('v9.json', { ...JSON.parse(JSON.stringify(three[0]!.result)), part: { ...three[0]!.result.part, manifest: 9 } }), 'SGF_MERGE_BAD_PART', /manifest layout 9, this sgfilter reads layout 1/);
  throwsCode(() => checkPart('bad.json', { ...JSON.parse(JSON.stringify(three[0]!.result)), packets: 'many' }), 'SGF_MERGE_BAD_PART', /bad\.json: packets: /);
  writeFileSync(join(dir, 'not.json'), '{"part": ');
  throwsCode(() => readPart(join(dir, 'not.json')), 'SGF_MERGE_BAD_PART', /not\.json: not JSON/);
  // A decisions output that is one of the inputs is refused before anything is read.
  assert.throws(() => mergeParts(three, { decisionsPath: three[1]!.result.part!.decisions!.path }), /is the input/);
  // Without --decisions the merge needs no decisions files; with it, every part must have one.
  const noDecisions = await replay(t, capture, { compiled, workers: 0, shardSet: { index: 1, count: 3 } });
  assert.is(mergeParts([three[0]!, { source: 'nd', result: noDecisions }, three[2]!]).packets, 4000);
  throwsCode(() => mergeParts([three[0]!, { source: 'nd', result: noDecisions }, three[2]!], { decisionsPath: out }), 'SGF_MERGE_INCOMPLETE_PART', /part 1\/3 \(nd\) wrote no decisions/);
});

parts('merge checks the decisions files themselves: cut short, reordered, a packet in two parts or in none', async () => {
  const three = await freshParts(capture, 3, { workers: 0 });
  const out = join(dir, 'refused2.jsonl');
  const file1 = three[1]!.result.part!.decisions!.path;
  const text1 = readFileSync(file1, 'utf8');
  const lines = text1.trimEnd().split('\n');
  // Cut short after the part wrote it.
  truncateSync(file1, text1.length - 10);
  throwsCode(() => mergeParts(three, { decisionsPath: out }), 'SGF_MERGE_BAD_DECISIONS', new RegExp(`part 1/3 \\(part-1\\): its decisions file .*d\\d+\\.jsonl has ${text1.length - 10} bytes, the part wrote ${text1.length} \\(changed or cut short since\\)`));
  const n1 = Number(/^\{"n":(\d+),/.exec(lines[0]!)![1]);
  // Two lines swapped (same size): the first one's packet is missing where it is due.
  writeFileSync(file1, [lines[1], lines[0], ...lines.slice(2)].join('\n') + '\n');
  throwsCode(() => mergeParts(three, { decisionsPath: out }), 'SGF_MERGE_BAD_DECISIONS', new RegExp(`packet ${n1} is in no part's decisions \\(the next one, packet \\d+, is in part \\d/3`));
  // A line written twice (and a manifest that says so, as a broken writer would): the numbers must increase.
  const twice = [lines[0], lines[0], ...lines.slice(1)].join('\n') + '\n';
  writeFileSync(file1, twice);
  const broken = structuredClone(three[1]!);
  broken.result.part!.decisions!.bytes = Buffer.byteLength(twice);
  broken.result.part!.decisions!.lines++;
  broken.result.packets++;
  broken.result.part!.capture.packets++;
  for (const p of [three[0]!, three[2]!]) p.result.part!.capture.packets++;
  throwsCode(() => mergeParts([three[0]!, broken, three[2]!], { decisionsPath: out }), 'SGF_MERGE_BAD_DECISIONS', new RegExp(`part 1/3 \\(part-1\\): decisions file .*, line 2 \\(byte ${lines[0]!.length + 1}\\): packet ${n1} after packet ${n1}: the numbers must increase`));
  for (const p of [three[0]!, three[2]!]) p.result.part!.capture.packets--;
  // A packet of part 0 renumbered into part 1's first line (same digit count, same size): it is in two parts, and its own packet in none.
  const n0 = packetNumbers(three[0]!.result.part!.decisions!.path);
  const twin = n0.find((n) => n > n1 && String(n).length === String(n1).length && n < Number(/^\{"n":(\d+),/.exec(lines[1]!)![1]));
  if (twin !== undefined) {
    writeFileSync(file1, [lines[0]!.replace(`{"n":${n1},`, `{"n":${twin},`), ...lines.slice(1)].join('\n') + '\n');
    throwsCode(() => mergeParts(three, { decisionsPath: out }), 'SGF_MERGE_BAD_DECISIONS', new RegExp(`packet ${n1} is in no part's decisions|packet ${twin} is in the decisions of`));
    assert.match(readFileSync(out, 'utf8').slice(0, 6), /^(\{"n":1,|)$/, 'the output holds the merged prefix only');
  }
  // Not a decision line.
  writeFileSync(file1, ['{"x":1}'.padEnd(lines[0]!.length, ' '), ...lines.slice(1)].join('\n') + '\n');
  throwsCode(() => mergeParts(three, { decisionsPath: out }), 'SGF_MERGE_BAD_DECISIONS', /line 1 \(byte 0\): expected a decision line starting \{"n":N,.*it is incomplete/);
  // No newline at the end.
  writeFileSync(file1, text1.slice(0, -1) + ' ');
  throwsCode(() => mergeParts(three, { decisionsPath: out }), 'SGF_MERGE_BAD_DECISIONS', /the last line has no newline \(the file was cut short\)/);
});

parts.after(() => rmSync(dir, { recursive: true, force: true }));
parts.run();
