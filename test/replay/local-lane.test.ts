// The local lane (replay.ts): a cold replay() of 1 worker — no kept lane to
// take — judges in the calling thread, and a worker thread started at the
// call writes its decisions from a deep ring. Its decisions, summary and
// files are those of the reference engine and of a replay on a worker lane:
// JSON lines and binary, batch sizes 1, 7 and 8192, a damaged capture, a
// decisions file that cannot be written, an interrupt, progress, the next
// replays on its kept memory and writer; without decisions no thread is
// started at all.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTopology } from '../../src/gen/index.js';
import { endIdleReplayWorkers, idleReplayWorkers, prestartReplayWorkers, replay, type ReplayOptions, type ReplayResult } from '../../src/replay/replay.js';
import { convertDecisions } from '../../src/replay/decision-file.js';
import { OutputFile } from '../../src/replay/output.js';
import type { Topology } from '../../src/model/topology.js';
import { topology as parsed } from '../helpers/scenario.js';
import { captureFor } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sgf-local-lane-'));
const doc = generateTopology({ seed: 41, cloud: 'aliyun-basic', interfaces: 8, rulesPerGroup: 12 });
const topo = parsed(doc);
const pcap = join(dir, 'a.pcap');
const bytes = captureFor(doc, { seed: 41, flows: 800, packetsPerFlow: 8, fragmentShare: 0.1, idleShare: 0.05, ipv6Share: 0.3, routers: 2, mix: { tcp: 40, udp: 20, echo: 8, 'icmp-error': 30, gre: 1, other: 1 } });
writeFileSync(pcap, bytes);
const cut = join(dir, 'cut.pcap');
writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.byteLength / 2) + 5));

let n = 0;
const out = (ext = 'jsonl') => join(dir, `out-${n++}.${ext}`);

const refs = new Map<string, { text: string; result: ReplayResult }>();
async function reference(topology: Topology, file: string): Promise<{ text: string; result: ReplayResult }> {
  let r = refs.get(file);
  if (!r) {
    const o = out();
    const result = await replay(topology, file, { engine: 'reference', decisionsPath: o });
    refs.set(file, (r = { text: readFileSync(o, 'utf8'), result }));
  }
  return r;
}

function sameSummary(got: ReplayResult, want: ReplayResult, what: string): void {
  for (const k of ['packets', 'verdicts', 'reasons', 'rules', 'interfaces', 'capture', 'error'] as const) assert.equal(got[k], want[k], `${what}: ${k}`);
}

/** A cold 1-worker replay (no kept lane), counting the worker threads it starts. */
async function cold(file: string, options: ReplayOptions): Promise<{ result: ReplayResult; threads: number }> {
  await endIdleReplayWorkers();
  assert.is(idleReplayWorkers(), 0);
  let threads = 0;
  const count = () => threads++;
  process.on('worker', count);
  try {
    const result = await replay(topo, file, { workers: 1, ...options });
    return { result, threads };
  } finally {
    process.off('worker', count);
  }
}

const local = suite('replay: the local lane (a cold replay of 1 worker judged in the calling thread)');

local('decisions (JSON lines) = the reference engine\'s and a worker lane\'s, any batch size; one writer thread', async () => {
  const ref = await reference(topo, pcap);
  for (const batchSize of [1, 7, 8192]) {
    const o = out();
    const { result, threads } = await cold(pcap, { batchSize, decisionsPath: o });
    assert.is(threads, 1, `batch ${batchSize}: one thread started (the writer)`);
    assert.ok(readFileSync(o, 'utf8') === ref.text, `batch ${batchSize}: decisions = the reference engine's`);
    sameSummary(result, ref.result, `batch ${batchSize}`);
    assert.equal(result.decisions, { path: o, complete: true, lines: ref.result.packets, packets: ref.result.packets });
    assert.is(result.workers, 1);
  }
  // The same on a worker lane (prestarted: replay() takes it instead of judging here).
  await endIdleReplayWorkers();
  prestartReplayWorkers(1);
  const o = out();
  const onLane = await replay(topo, pcap, { workers: 1, decisionsPath: o });
  assert.ok(readFileSync(o, 'utf8') === ref.text, 'a worker lane writes the same');
  sameSummary(onLane, ref.result, 'worker lane');
  await endIdleReplayWorkers();
});

local('binary decisions, converted, = the reference engine\'s JSON lines', async () => {
  const ref = await reference(topo, pcap);
  const bin = out('bin');
  const { result } = await cold(pcap, { decisionsPath: bin, decisionsFormat: 'binary', batchSize: 333 });
  assert.is(result.decisions?.complete, true);
  const conv = out();
  const o = new OutputFile(conv);
  try {
    convertDecisions(bin, o);
  } finally {
    o.close();
  }
  assert.ok(readFileSync(conv, 'utf8') === ref.text);
  await endIdleReplayWorkers();
});

local('without decisions no thread is started; the summary is the reference engine\'s', async () => {
  const ref = await reference(topo, pcap);
  const { result, threads } = await cold(pcap, {});
  assert.is(threads, 0);
  assert.is(idleReplayWorkers(), 0, 'nothing kept');
  sameSummary(result, ref.result, 'no decisions');
  assert.ok(result.loopSeconds !== undefined && result.loopSeconds > 0);
});

local('a damaged capture: the decisions before the damage, and its error', async () => {
  const ref = await reference(topo, cut);
  assert.is(ref.result.error?.code, 'SGF_PCAP_TRUNCATED_RECORD');
  const o = out();
  const { result } = await cold(cut, { decisionsPath: o, batchSize: 64 });
  assert.ok(readFileSync(o, 'utf8') === ref.text);
  sameSummary(result, ref.result, 'damaged');
  await endIdleReplayWorkers();
});

local('a decisions file that cannot be written: reported partial, the replay ends', async () => {
  const ref = await reference(topo, pcap);
  const { result } = await cold(pcap, { decisionsPath: '/dev/full' });
  assert.equal(result.decisions, { path: '/dev/full', complete: false, lines: 0, packets: 0, error: result.decisions?.error });
  assert.match(result.decisions?.error ?? '', /\/dev\/full/);
  sameSummary(result, ref.result, '/dev/full');
  await endIdleReplayWorkers();
});

local('an interrupt: packets 1..N judged and written, N the same in the summary and the file', async () => {
  const ref = await reference(topo, pcap);
  const stop = new AbortController();
  const o = out();
  const fractions: number[] = [];
  await endIdleReplayWorkers();
  const running = replay(topo, pcap, { workers: 1, batchSize: 16, signal: stop.signal, decisionsPath: o, onProgress: (f) => fractions.push(f) });
  setTimeout(() => stop.abort(), 3);
  const r = await running;
  assert.ok(r.interrupted !== undefined, 'interrupted');
  const judged = r.interrupted!.packets;
  assert.ok(judged < ref.result.packets);
  assert.ok(readFileSync(o, 'utf8') === ref.text.split('\n').slice(0, judged).join('\n') + (judged > 0 ? '\n' : ''), `the first ${judged} decisions`);
  assert.is(r.decisions?.packets, judged);
  assert.is(fractions.at(-1), 1, 'progress ends at 1');
  for (let i = 1; i < fractions.length; i++) assert.ok(fractions[i]! >= fractions[i - 1]!, 'progress never goes back');
  await endIdleReplayWorkers();
});

local('the next replays (on the kept memory and writer thread) judge as fresh ones, again in this thread', async () => {
  const ref = await reference(topo, pcap);
  const refCut = await reference(topo, cut);
  await cold(pcap, { decisionsPath: out() });
  const runs: [string, string, ReplayOptions, { text: string; result: ReplayResult }][] = [
    ['damaged, batch 7', cut, { batchSize: 7 }, refCut],
    ['whole, batch 333', pcap, { batchSize: 333 }, ref],
    ['whole, binary', pcap, { decisionsFormat: 'binary' }, ref],
  ];
  for (const [what, file, options, want] of runs) {
    let threads = 0;
    const count = () => threads++;
    process.on('worker', count);
    const o = out(options.decisionsFormat === 'binary' ? 'bin' : 'jsonl');
    let r: ReplayResult;
    try {
      r = await replay(topo, file, { workers: 1, ...options, decisionsPath: o });
    } finally {
      process.off('worker', count);
    }
    assert.is(threads, 0, `${what}: no thread started (the kept writer took it)`);
    let text = readFileSync(o, 'utf8');
    if (options.decisionsFormat === 'binary') {
      const conv = out();
      const f = new OutputFile(conv);
      try {
        convertDecisions(o, f);
      } finally {
        f.close();
      }
      text = readFileSync(conv, 'utf8');
    }
    assert.ok(text === want.text, `${what}: decisions = the reference engine's`);
    sameSummary(r, want.result, what);
  }
  // Without decisions: still in this thread, nothing started.
  let threads = 0;
  const count = () => threads++;
  process.on('worker', count);
  const r = await replay(topo, pcap, { workers: 1 });
  process.off('worker', count);
  assert.is(threads, 0);
  sameSummary(r, ref.result, 'no decisions, kept memory');
  await endIdleReplayWorkers();
  assert.is(idleReplayWorkers(), 0);
});

local('an existing, longer decisions file is replaced, whichever thread empties it', async () => {
  const ref = await reference(topo, pcap);
  const junk = Buffer.alloc(ref.text.length * 3, 'x');
  const configs: [string, ReplayOptions, () => void | Promise<void>][] = [
    ['in-thread', { workers: 0 }, () => {}],
    ['local lane', { workers: 1 }, () => endIdleReplayWorkers()],
    ['a kept lane', { workers: 1 }, async () => {
      await endIdleReplayWorkers();
      prestartReplayWorkers(1);
    }],
    ['2 workers', { workers: 2 }, () => {}],
  ];
  for (const [what, options, before] of configs) {
    for (const format of ['jsonl', 'binary'] as const) {
      await before();
      const o = out(format === 'binary' ? 'bin' : 'jsonl');
      writeFileSync(o, junk);
      const r = await replay(topo, pcap, { ...options, decisionsPath: o, decisionsFormat: format });
      assert.is(r.decisions?.complete, true, `${what}, ${format}`);
      let text = readFileSync(o, 'utf8');
      if (format === 'binary') {
        const conv = out();
        const f = new OutputFile(conv);
        try {
          convertDecisions(o, f);
        } finally {
          f.close();
        }
        text = readFileSync(conv, 'utf8');
      }
      assert.ok(text === ref.text, `${what}, ${format}: the file holds the decisions and nothing of what was there`);
    }
  }
  await endIdleReplayWorkers();
});

local.run();
