// replay()'s two ways of splitting 2+ workers (ReplayOptions.split): 'shared'
// (the default for a pipe or FIFO: the capture decoded once into one shared memory, each worker
// judging its lanes' packets there, shared-replay.ts) and 'lanes' (every
// worker reads and decodes the whole capture; the default for a regular file). Both must write decisions
// byte-identical to the reference engine's, JSON lines and binary, for
// workers 2-4 and batch sizes 1-8192 on rich generated captures of every
// cloud; a damaged capture is judged up to the damage and reported at the
// reference's offset; an abort stops at a packet N with the decisions of
// 1..N written; a shard set's part and a warm pool give what the reference
// gives for their packets.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReplayPool, endIdleReplayWorkers, replay, type ReplaySplit } from '../../src/replay/replay.js';
import { sharedMemoryKept, sharedTuning } from '../../src/replay/shared-replay.js';
import { partShards } from '../../src/replay/parts.js';
import { abortOnceWritten, richCapture } from './helpers.js';

const t = suite('replay: split shared | lanes == reference');
const dir = mkdtempSync(join(tmpdir(), 'sgf-split-'));
const SPLITS: ReplaySplit[] = ['shared', 'lanes'];


const rich = (cloud: 'aliyun-basic' | 'aliyun-advanced' | 'huawei' | 'generic', seed: number, flows: number) => richCapture(dir, cloud, seed, flows);

t('workers 2-4, batch sizes 1-8192, both splits, JSON lines and binary: byte-identical to the reference', async () => {
  const cases = [['aliyun-basic', 3], ['aliyun-advanced', 4], ['huawei', 5], ['generic', 6]] as const;
  const sizes = [1, 7, 333, 2048, 2049, 8192];
  let k = 0;
  for (const [cloud, seed] of cases) {
    const { topology, pcap } = rich(cloud, seed, 400);
    for (const format of ['jsonl', 'binary'] as const) {
      const refPath = join(dir, `ref-${cloud}.${format}`);
      const ref = await replay(topology, pcap, { engine: 'reference', decisionsPath: refPath, decisionsFormat: format, conntrackCapacity: 60 });
      const want = readFileSync(refPath);
      assert.ok(ref.packets > 2000, `a capture of some size (${ref.packets})`);
      assert.ok(ref.conntrack.full > 0, 'conntrack-full decisions among them');
      for (const workers of [2, 3, 4]) {
        for (const split of SPLITS) {
          const batchSize = sizes[k++ % sizes.length]!;
          const out = join(dir, `${cloud}-${workers}-${split}.${format}`);
          const r = await replay(topology, pcap, { workers, split, batchSize, decisionsPath: out, decisionsFormat: format, conntrackCapacity: 60 });
          const what = `${cloud}, ${format}, workers ${workers}, split ${split}, batch ${batchSize}`;
          assert.ok(readFileSync(out).equals(want), `${what}: decisions differ from the reference engine's`);
          assert.is(r.packets, ref.packets, `${what}: packets`);
          assert.equal(r.verdicts, ref.verdicts, what);
          assert.equal(r.reasons, ref.reasons, what);
          assert.equal(r.rules, ref.rules, what);
          assert.equal(r.interfaces, ref.interfaces, what);
          assert.is(r.conntrack.full, ref.conntrack.full, what);
          assert.equal(r.decisions, { path: out, complete: true, lines: ref.decisions!.lines, packets: ref.packets }, what);
        }
      }
    }
  }
});

t('a damaged capture: the packets before the damage, then the reference\'s error and offset', async () => {
  const { topology, pcap } = rich('huawei', 21, 300);
  const cut = join(dir, 'cut.pcap');
  const bytes = readFileSync(pcap);
  writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  const refPath = join(dir, 'cut-ref.jsonl');
  const ref = await replay(topology, cut, { engine: 'reference', decisionsPath: refPath });
  assert.ok(ref.error !== undefined && ref.packets > 500, 'the reference reports the damage after some packets');
  for (const split of SPLITS) {
    for (const batchSize of [100, 8192]) {
      const out = join(dir, `cut-${split}-${batchSize}.jsonl`);
      const r = await replay(topology, cut, { workers: 2, split, batchSize, decisionsPath: out });
      assert.equal(r.error, ref.error, `split ${split}: the error`);
      assert.equal(r.capture, ref.capture, `split ${split}: the capture section`);
      assert.is(r.packets, ref.packets);
      assert.ok(readFileSync(out, 'utf8') === readFileSync(refPath, 'utf8'), `split ${split}, batch ${batchSize}: the decisions before the damage`);
    }
  }
});

t('an abort: packets 1..N judged and written, N the result\'s', async () => {
  const { topology, pcap } = rich('aliyun-basic', 31, 12000);
  const refPath = join(dir, 'abort-ref.jsonl');
  const ref = await replay(topology, pcap, { engine: 'reference', decisionsPath: refPath });
  const lines = readFileSync(refPath, 'utf8').split('\n');
  for (const split of SPLITS) {
    const stop = new AbortController();
    // Abort once decisions are being written (the writers write in chunks of 1 MiB, ~5,000 lines), well before the end.
    const out = join(dir, `abort-${split}.jsonl`);
    const poll = abortOnceWritten(out, stop);
    const running = replay(topology, pcap, { workers: 2, split, batchSize: 64, decisionsPath: out, signal: stop.signal }).finally(() => clearInterval(poll));
    const r = await running;
    assert.ok(r.interrupted !== undefined, `split ${split}: interrupted`);
    const n = r.interrupted!.packets;
    assert.ok(n > 0 && n < ref.packets, `split ${split}: stopped inside the capture (${n} of ${ref.packets})`);
    assert.is(r.packets, n);
    assert.is(r.decisions!.packets, n);
    assert.ok(readFileSync(out, 'utf8') === (n > 0 ? lines.slice(0, n).join('\n') + '\n' : ''), `split ${split}: the decisions of packets 1..${n}`);
  }
});

t('a shard set\'s part and a warm pool: what the reference gives for their packets', async () => {
  const { topology, pcap } = rich('aliyun-advanced', 41, 600);
  const refPath = join(dir, 'set-ref.jsonl');
  await replay(topology, pcap, { engine: 'reference', decisionsPath: refPath });
  const ref = readFileSync(refPath, 'utf8').split('\n').filter((l) => l !== '');
  // The part's packets: those of its shards, from the same replay on one worker (part 1/2 of 16 shards).
  const one = join(dir, 'set-w1.jsonl');
  const set = { index: 1, count: 2 };
  assert.is(partShards(set, 16).length, 8);
  await replay(topology, pcap, { workers: 0, shardSet: set, decisionsPath: one });
  const partLines = readFileSync(one, 'utf8');
  const nums = partLines.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { n: number }).n);
  assert.ok(nums.length > 100 && nums.length < ref.length, 'the part holds some of the packets');
  assert.ok(partLines === nums.map((n) => ref[n - 1]!).join('\n') + '\n', 'workers 0: the part\'s lines are the reference\'s');
  for (const split of SPLITS) {
    for (const workers of [2, 3]) {
      const out = join(dir, `set-${split}-${workers}.jsonl`);
      const r = await replay(topology, pcap, { workers, split, shardSet: set, decisionsPath: out, batchSize: 500 });
      assert.ok(readFileSync(out, 'utf8') === partLines, `split ${split}, workers ${workers}: the part's decisions`);
      assert.equal(r.part!.ownedShards, partShards(set, 16));
    }
  }
  const pool = createReplayPool({ workers: 2 });
  try {
    for (const split of ['shared', 'lanes', 'shared'] as const) {
      const out = join(dir, `pool-${split}.jsonl`);
      await pool.replay(topology, pcap, { split, decisionsPath: out, batchSize: 1000 });
      assert.ok(readFileSync(out, 'utf8') === ref.join('\n') + '\n', `pool, split ${split}: the reference's decisions`);
    }
  } finally {
    await pool.close();
  }
});

t('the kept shared memory: one call after another on it (the same capture again, other topologies, lane counts, batch sizes, an abort, either lane split) gives the reference\'s decisions', async () => {
  await endIdleReplayWorkers();
  assert.not.ok(sharedMemoryKept(), 'nothing kept after endIdleReplayWorkers');
  const a = rich('huawei', 61, 3000);
  const b = rich('aliyun-advanced', 62, 500);
  const c = rich('aliyun-basic', 63, 500);
  const want = new Map<string, string>();
  for (const [name, x] of [['a', a], ['b', b], ['c', c]] as const) {
    const refPath = join(dir, `kept-ref-${name}.jsonl`);
    await replay(x.topology, x.pcap, { engine: 'reference', decisionsPath: refPath, conntrackCapacity: 3000 });
    want.set(name, readFileSync(refPath, 'utf8'));
  }
  assert.ok(want.get('a')!.split('\n').length > 20000, 'a capture whose conntrack tables grow');
  const x = { a, b, c };
  const def = sharedTuning.split;
  // The same capture right after itself: a lane's conntrack left over would let the second run's packets through as replies.
  const calls: [keyof typeof x, number, number, 'lanes' | 'producer'][] = [
    ['a', 2, 8192, 'lanes'], ['a', 2, 8192, 'lanes'], ['b', 3, 7, 'lanes'], ['a', 3, 2049, 'producer'], ['c', 4, 333, 'lanes'], ['a', 2, 1, 'lanes'], ['b', 2, 2048, 'producer'],
  ];
  try {
    for (const [name, workers, batchSize, laneSplit] of calls) {
      sharedTuning.split = laneSplit;
      const out = join(dir, `kept-${name}.jsonl`);
      await replay(x[name].topology, x[name].pcap, { workers, split: 'shared', batchSize, decisionsPath: out, conntrackCapacity: 3000 });
      assert.ok(sharedMemoryKept(), 'the memory is kept after the call');
      assert.ok(readFileSync(out, 'utf8') === want.get(name), `${name}, workers ${workers}, batch ${batchSize}, split by ${laneSplit}: the reference's decisions`);
    }
    // An abort mid-way, then a new call on the memory it left.
    const stop = new AbortController();
    const out = join(dir, 'kept-abort.jsonl');
    const poll = abortOnceWritten(out, stop);
    const r = await replay(a.topology, a.pcap, { workers: 2, split: 'shared', batchSize: 64, decisionsPath: out, conntrackCapacity: 3000, signal: stop.signal }).finally(() => clearInterval(poll));
    const n = r.interrupted?.packets ?? -1;
    assert.ok(n > 0 && n < want.get('a')!.split('\n').length - 1 && readFileSync(out, 'utf8') === want.get('a')!.split('\n').slice(0, n).join('\n') + '\n', `the aborted call: the decisions of 1..${n}`);
    assert.ok(sharedMemoryKept(), 'kept after an abort');
    for (const name of ['a', 'b'] as const) {
      const again = join(dir, `kept-after-${name}.jsonl`);
      await replay(x[name].topology, x[name].pcap, { workers: 2, split: 'shared', batchSize: 1000, decisionsPath: again, conntrackCapacity: 3000 });
      assert.ok(readFileSync(again, 'utf8') === want.get(name), `${name} after the abort: the reference's decisions`);
    }
  } finally {
    sharedTuning.split = def;
  }
  await endIdleReplayWorkers();
  assert.not.ok(sharedMemoryKept(), 'let go by endIdleReplayWorkers');
});

t('a bad split is a clear error', async () => {
  const { topology, pcap } = rich('generic', 51, 10);
  try {
    await replay(topology, pcap, { workers: 2, split: 'both' as ReplaySplit });
    assert.unreachable('accepted');
  } catch (e) {
    assert.match((e as Error).message, "split must be 'shared' or 'lanes', got both");
  }
});

t.run();
