// replay()'s local lane 0 (replay.ts replayTuning, docs/replay.md "Lane 0 in
// the calling thread"): a cold replay() of 2+ workers (split 'lanes', no
// decisions file) judges lane 0 in the calling thread, with the larger share
// of the shards, while the other lanes' threads start. Its decisions must be
// the reference engine's byte for byte — checked with a decisions file
// through `leadWithDecisions` (the same lane, its records written by this
// thread) — and its summary without one the reference's; that the lane ran
// here is seen in the threads it leaves kept (workers - 1, not workers).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReplayPool, endIdleReplayWorkers, idleReplayWorkers, replay, replayTuning, type ReplayResult } from '../../src/replay/replay.js';
import { laneMasks, leadLaneMasks, partShards } from '../../src/replay/parts.js';
import { releaseSharedMemory, sharedMemoryKept, sharedTuning } from '../../src/replay/shared-replay.js';
import { abortOnceWritten, richCapture } from './helpers.js';

const t = suite('replay: local lane 0 == reference');
const dir = mkdtempSync(join(tmpdir(), 'sgf-lead-'));

const rich = (cloud: 'aliyun-basic' | 'aliyun-advanced' | 'huawei' | 'generic', seed: number, flows: number) => richCapture(dir, cloud, seed, flows);

function sameSummary(r: ReplayResult, ref: ReplayResult, what: string): void {
  assert.is(r.packets, ref.packets, `${what}: packets`);
  assert.equal(r.verdicts, ref.verdicts, `${what}: verdicts`);
  assert.equal(r.reasons, ref.reasons, `${what}: reasons`);
  assert.equal(r.rules, ref.rules, `${what}: rules`);
  assert.equal(r.interfaces, ref.interfaces, `${what}: interfaces`);
}

t('leadLaneMasks: a partition of the shards, lane 0 with its share, every other lane with at least one', () => {
  for (const [m, lanes, lead] of [[16, 2, 12], [16, 2, 15], [16, 2, 8], [16, 3, 10], [8, 2, 6], [16, 4, 16], [3, 3, 3]] as const) {
    const shards = m === 8 ? partShards({ index: 1, count: 2 }, 16) : Array.from({ length: m }, (_, s) => s);
    const masks = leadLaneMasks(shards, lanes, lead);
    let all = 0;
    for (const x of masks) {
      assert.is(all & x, 0, 'no shard in two lanes');
      all |= x;
    }
    assert.is(all >>> 0, shards.reduce((a, s) => a | (1 << s), 0) >>> 0, 'every shard in a lane');
    const n = masks.map((x) => shards.filter((s) => (x & (1 << s)) !== 0).length);
    assert.is(n[0], Math.min(lead, m - (lanes - 1)), `${m}/${lanes}/${lead}: lane 0's share`);
    for (const k of n.slice(1)) assert.ok(k >= 1, `${m}/${lanes}/${lead}: a lane with no shard`);
  }
  // An even share is the round-robin's count.
  assert.is(leadLaneMasks(Array.from({ length: 16 }, (_, s) => s), 2, 8).filter((x) => x !== 0).length, laneMasks(Array.from({ length: 16 }, (_, s) => s), 2).length);
});

t('cold 2-3 workers, batch sizes 1-8192, JSON lines and binary: the local lane 0\'s decisions are the reference\'s', async () => {
  replayTuning.leadWithDecisions = true;
  try {
    const cases = [['aliyun-basic', 3], ['huawei', 5], ['aliyun-advanced', 4], ['generic', 6]] as const;
    let k = 0;
    for (const [cloud, seed] of cases) {
      const { topology, pcap } = rich(cloud, seed, 400);
      for (const format of ['jsonl', 'binary'] as const) {
        const refPath = join(dir, `ref-${cloud}.${format}`);
        const ref = await replay(topology, pcap, { engine: 'reference', decisionsPath: refPath, decisionsFormat: format });
        const want = readFileSync(refPath);
        for (const [workers, batchSize] of [[2, 8192], [3, 333], [2, 1], [2, 7]] as const) {
          if ((k++ % 2 === 1) && batchSize === 1) continue;
          await endIdleReplayWorkers();
          const out = join(dir, `lead-${cloud}-${workers}-${batchSize}.${format}`);
          const r = await replay(topology, pcap, { workers, batchSize, decisionsPath: out, decisionsFormat: format });
          assert.is(idleReplayWorkers(), workers - 1, `${cloud} ${workers} workers: lane 0 ran in this thread (threads kept)`);
          assert.ok(readFileSync(out).equals(want), `${cloud} ${format} ${workers} workers batch ${batchSize}: decisions differ from the reference's`);
          sameSummary(r, ref, `${cloud} ${workers}/${batchSize}`);
        }
      }
    }
  } finally {
    replayTuning.leadWithDecisions = false;
    await endIdleReplayWorkers();
  }
});

t('without a decisions file (the default path): the summary is the reference\'s, cold and then on the kept lanes, whatever the share', async () => {
  const { topology, pcap } = rich('huawei', 11, 600);
  const ref = await replay(topology, pcap, { engine: 'reference' });
  const bias = replayTuning.leadBias;
  try {
    for (const b of [2, 0, 100]) {
      replayTuning.leadBias = b;
      await endIdleReplayWorkers();
      const cold = await replay(topology, pcap, { workers: 2 });
      assert.is(idleReplayWorkers(), 1, `bias ${b}: lane 0 here, one thread started`);
      sameSummary(cold, ref, `cold, bias ${b}`);
      // Again: lane 0 here on the memory the last left, lane 1 the kept thread (an even share).
      const again = await replay(topology, pcap, { workers: 2 });
      assert.is(idleReplayWorkers(), 1);
      sameSummary(again, ref, `again, bias ${b}`);
      const three = await replay(topology, pcap, { workers: 3, batchSize: 999 });
      assert.is(idleReplayWorkers(), 2);
      sameSummary(three, ref, `3 workers after it, bias ${b}`);
    }
  } finally {
    replayTuning.leadBias = bias;
    await endIdleReplayWorkers();
  }
});

t('an abort: packets 1..N judged and written, N the result\'s', async () => {
  // 40,000 flows (~310,000 packets): more than the two lanes' deep rings hold
  // (1,024 batches of 64 each), so judging cannot finish before the writing
  // starts and the abort lands inside the capture however fast the machine
  // (with 12,000 flows a quiet machine judged all 93,634 packets first).
  const { topology, pcap } = rich('aliyun-basic', 31, 40000);
  const refPath = join(dir, 'abort-ref.jsonl');
  const ref = await replay(topology, pcap, { engine: 'reference', decisionsPath: refPath });
  const lines = readFileSync(refPath, 'utf8').split('\n');
  replayTuning.leadWithDecisions = true;
  try {
    await endIdleReplayWorkers();
    const stop = new AbortController();
    const out = join(dir, 'abort-lead.jsonl');
    const poll = abortOnceWritten(out, stop);
    const r = await replay(topology, pcap, { workers: 2, batchSize: 64, decisionsPath: out, signal: stop.signal }).finally(() => clearInterval(poll));
    assert.is(idleReplayWorkers(), 1, 'lane 0 ran here');
    assert.ok(r.interrupted !== undefined, 'interrupted');
    const n = r.interrupted!.packets;
    assert.ok(n > 0 && n < ref.packets, `stopped inside the capture (${n} of ${ref.packets})`);
    assert.is(r.decisions!.packets, n);
    assert.ok(readFileSync(out, 'utf8') === lines.slice(0, n).join('\n') + '\n', `the decisions of packets 1..${n}`);
  } finally {
    replayTuning.leadWithDecisions = false;
    await endIdleReplayWorkers();
  }
});

t('a shard set\'s part: lane 0 here judges only the part\'s shards', async () => {
  const { topology, pcap } = rich('aliyun-advanced', 41, 600);
  const set = { index: 1, count: 2 };
  const one = join(dir, 'set-w0.jsonl');
  const want = await replay(topology, pcap, { workers: 0, shardSet: set, decisionsPath: one });
  replayTuning.leadWithDecisions = true;
  try {
    for (const workers of [2, 3]) {
      await endIdleReplayWorkers();
      const out = join(dir, `set-lead-${workers}.jsonl`);
      const r = await replay(topology, pcap, { workers, shardSet: set, decisionsPath: out });
      assert.is(idleReplayWorkers(), workers - 1);
      assert.ok(readFileSync(out, 'utf8') === readFileSync(one, 'utf8'), `${workers} workers: the part's decisions`);
      assert.equal(r.verdicts, want.verdicts);
    }
  } finally {
    replayTuning.leadWithDecisions = false;
    await endIdleReplayWorkers();
  }
});

t('the shared split with lane 0 judged by the producer (sharedTuning.producerLane): the reference\'s decisions, cold, kept, on a pool, either lane split, aborted', async () => {
  const { topology, pcap } = rich('aliyun-advanced', 14, 500);
  const want = new Map<string, Buffer>();
  for (const format of ['jsonl', 'binary'] as const) {
    const refPath = join(dir, `pl-ref.${format}`);
    await replay(topology, pcap, { engine: 'reference', decisionsPath: refPath, decisionsFormat: format });
    want.set(format, readFileSync(refPath));
  }
  const saved = { ...sharedTuning };
  replayTuning.leadWithDecisions = true;
  try {
    sharedTuning.producerLane = true;
    for (const split of ['producer', 'lanes'] as const) {
      sharedTuning.split = split;
      for (const [workers, batchSize, format, share] of [[2, 8192, 'jsonl', 0.2], [3, 333, 'binary', 0.2], [2, 1, 'jsonl', 0.9], [2, 2049, 'binary', 0]] as const) {
        sharedTuning.producerShare = share;
        await endIdleReplayWorkers();
        for (const call of ['cold', 'kept']) {
          const out = join(dir, `pl-${split}-${workers}-${batchSize}.${format}`);
          const r = await replay(topology, pcap, { workers, batchSize, split: 'shared', decisionsPath: out, decisionsFormat: format });
          assert.is(idleReplayWorkers(), workers - 1, `${call}: ${workers - 1} threads, lane 0 here`);
          assert.ok(readFileSync(out).equals(want.get(format)!), `${split} ${call} ${workers} workers batch ${batchSize} ${format}: the reference's decisions`);
          assert.ok(r.conntrack.peak !== undefined);
        }
      }
    }
    sharedTuning.split = saved.split;
    sharedTuning.producerShare = saved.producerShare;
    const pool = createReplayPool({ workers: 2 });
    try {
      for (let i = 0; i < 2; i++) {
        const out = join(dir, `pl-pool-${i}.jsonl`);
        await pool.replay(topology, pcap, { split: 'shared', decisionsPath: out });
        assert.ok(readFileSync(out).equals(want.get('jsonl')!), `pool, replay ${i}`);
      }
    } finally {
      await pool.close();
    }
    // An abort: decisions 1..N.
    const big = rich('aliyun-basic', 31, 12000);
    const refPath = join(dir, 'pl-abort-ref.jsonl');
    const ref = await replay(big.topology, big.pcap, { engine: 'reference', decisionsPath: refPath });
    const lines = readFileSync(refPath, 'utf8').split('\n');
    const stop = new AbortController();
    const out = join(dir, 'pl-abort.jsonl');
    const poll = abortOnceWritten(out, stop);
    const r = await replay(big.topology, big.pcap, { workers: 2, split: 'shared', batchSize: 64, decisionsPath: out, signal: stop.signal }).finally(() => clearInterval(poll));
    const n = r.interrupted?.packets ?? -1;
    assert.ok(n > 0 && n < ref.packets, `stopped inside the capture (${n} of ${ref.packets})`);
    assert.ok(readFileSync(out, 'utf8') === lines.slice(0, n).join('\n') + '\n', `the decisions of packets 1..${n}`);
  } finally {
    replayTuning.leadWithDecisions = false;
    Object.assign(sharedTuning, saved);
    await endIdleReplayWorkers();
  }
});

t('the default split: a cold call the lanes split with lane 0 here, kept threads and pools the lanes split too (warmShared off by default), with warmShared a pool the shared split with lane 0 in the producer; every call the reference\'s summary', async () => {
  const { topology, pcap } = rich('generic', 17, 500);
  const ref = await replay(topology, pcap, { engine: 'reference' });
  await endIdleReplayWorkers();
  releaseSharedMemory();
  assert.not.ok(replayTuning.warmShared, 'off by default (docs/replay.md: the lanes split measured faster on warm pools)');
  sameSummary(await replay(topology, pcap, { workers: 2 }), ref, 'cold');
  assert.is(idleReplayWorkers(), 1, 'cold: lane 0 here, one thread started');
  assert.not.ok(sharedMemoryKept(), 'cold: the lanes split');
  sameSummary(await replay(topology, pcap, { workers: 2 }), ref, 'kept');
  assert.is(idleReplayWorkers(), 1, 'kept: lane 0 here again (an even share), lane 1 on the kept thread');
  assert.not.ok(sharedMemoryKept(), 'kept: still the lanes split');
  const pool = createReplayPool({ workers: 2 });
  try {
    for (let i = 0; i < 2; i++) sameSummary(await pool.replay(topology, pcap), ref, `pool ${i}`);
    assert.not.ok(sharedMemoryKept(), 'a pool: the lanes split by default');
    replayTuning.warmShared = true;
    for (let i = 0; i < 2; i++) sameSummary(await pool.replay(topology, pcap), ref, `pool ${i}, warmShared`);
    assert.ok(sharedMemoryKept(), 'a pool with warmShared: the shared split');
  } finally {
    replayTuning.warmShared = false;
    await pool.close();
    await endIdleReplayWorkers();
  }
  sameSummary(await replay(topology, pcap, { workers: 2, split: 'shared' }), ref, 'shared asked');
  assert.is(idleReplayWorkers(), 1, 'the shared split: lane 0 in the producer, one thread started');
  assert.ok(sharedMemoryKept(), 'the shared split asked for');
  await endIdleReplayWorkers();
  releaseSharedMemory();
});

t.run();
