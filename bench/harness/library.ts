/**
 * The library's calls (src/replay/filter.ts) on the replay bench's generated
 * traffic (bench/replay/main.ts replaySpec; the capture read into memory
 * first): judgeFrames over the whole capture (packed buffer and array of
 * frames), judgeFrame and its lean judgeFrameVerdict per frame, judgeTuple /
 * judgeTuples on the packets' tuples, judgeStream from the capture file,
 * verdicts() on the capture in memory, and the reference evaluator (the
 * reference decoder and ReferenceEngine, per frame) on a prefix. Every
 * sample starts from a fresh filter (a fresh conntrack; its set-up is not
 * timed). First, each call's decisions are checked against the reference on
 * the prefix and against judgeFrames on the whole capture; a disagreement
 * throws SGF_BENCH_MISMATCH.
 */
import { readFileSync } from 'node:fs';
import type { Decision } from '../../src/model/decision.js';
import type { PacketRecord } from '../../src/model/packet.js';
import { ensureGenerated } from '../../src/gen/index.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { decodeFrame } from '../../src/pcap/decode.js';
import { frameTime, readAll } from '../../src/pcap/reader.js';
import { ReferenceEngine } from '../../src/reference/engine.js';
import { createFilter, DECIDING_REASONS, type BatchVerdicts, type Filter, type PacketTuple } from '../../src/replay/filter.js';
import type { Topology } from '../../src/model/topology.js';
import { replaySpec } from '../replay/main.js';
import type { LibraryInfo } from '../report/schema.js';
import type { RunContext } from './context.js';
import { BenchError } from './errors.js';
import { throughputFigure } from './stats.js';
import { tupleOfRecord as tupleOf } from '../../src/replay/tuple.js';

/** Steps in the progress plan: the check, then one per call measured. */
export const LIBRARY_STEPS = 10;

/** The calls measured, by figure id (library/<key>), with their labels. */
export const LIBRARY_CALLS = [
  ['judgeFrames-packed', 'judgeFrames, one packed buffer (frames/s)'],
  ['judgeFrames-array', 'judgeFrames, array of frames (frames/s)'],
  ['judgeFrame', 'judgeFrame (calls/s)'],
  ['judgeFrameVerdict', 'judgeFrameVerdict (calls/s)'],
  ['judgeTuples', 'judgeTuples (tuples/s)'],
  ['judgeTuple', 'judgeTuple (calls/s)'],
  ['judgeStream', 'judgeStream from the file (decisions/s)'],
  ['verdicts', 'verdicts(), capture in memory (packets/s)'],
  ['reference', 'reference decoder + ReferenceEngine.judge (calls/s)'],
] as const;

interface Input {
  topology: Topology;
  path: string;
  bytes: Uint8Array;
  frames: Uint8Array[];
  packed: { data: Uint8Array; offsets: Uint32Array };
  ts: BigInt64Array;
  linktype: number;
  records: PacketRecord[];
  /** The IP packets' tuples and their timestamps. */
  tuples: PacketTuple[];
  tupleTs: BigInt64Array;
}

function load(ctx: RunContext, packets: number): Input {
  const gen = ensureGenerated(replaySpec(packets), ctx.cacheDir ? { cacheDir: ctx.cacheDir } : {});
  const { topology } = loadTopologyFile(gen.topologyPath);
  const bytes = readFileSync(gen.capturePath);
  const { frames, summary } = readAll(bytes);
  if (summary.error) throw new BenchError('SGF_BENCH_REPLAY', `${gen.capturePath}: ${summary.error.message}`);
  const linktype = frames[0]?.linktype ?? 1;
  if (frames.some((f) => f.linktype !== linktype)) throw new BenchError('SGF_BENCH_REPLAY', `${gen.capturePath}: more than one link type`);
  const ts = BigInt64Array.from(frames, (f) => frameTime(summary.interfaces, f.ifaceIndex, f.tsA, f.tsB).ts);
  const data = frames.map((f) => f.data);
  const offsets = new Uint32Array(data.length + 1);
  data.forEach((d, i) => (offsets[i + 1] = offsets[i]! + d.byteLength));
  const buf = new Uint8Array(offsets[data.length]!);
  data.forEach((d, i) => buf.set(d, offsets[i]!));
  const records = data.map((d, i) => decodeFrame(linktype, d, ts[i]!));
  const tuples: PacketTuple[] = [];
  const tupleTs: bigint[] = [];
  records.forEach((r, i) => {
    const t = tupleOf(r);
    if (t) {
      tuples.push(t);
      tupleTs.push(ts[i]!);
    }
  });
  return { topology, path: gen.capturePath, bytes, frames: data, packed: { data: buf, offsets }, ts, linktype, records, tuples, tupleTs: BigInt64Array.from(tupleTs) };
}

function deciding(d: Decision): [number, string, string | null] {
  const v = d.verdict === 'allow' ? 1 : 0;
  if (d.reason) return [v, d.reason, null];
  const h = d.hops[d.hops.length - 1]!;
  return [v, h.reason, h.reason === 'rule' ? `${h.group}/${h.rule}` : null];
}

function batchTriple(f: Filter, r: BatchVerdicts, i: number): [number, string, string | null] {
  const rule = r.rules[i]!;
  return [r.verdicts[i]!, DECIDING_REASONS[r.reasons[i]!] ?? `?${r.reasons[i]}`, rule < 0 ? null : `${f.rules[rule]!.group}/${f.rules[rule]!.rule}`];
}

function copyOf(r: BatchVerdicts): BatchVerdicts {
  return { count: r.count, verdicts: r.verdicts.slice(), reasons: r.reasons.slice(), rules: r.rules.slice() };
}

/** Every call against the reference on the first `refPackets`, and against judgeFrames on the whole capture. */
async function verify(input: Input, refPackets: number): Promise<void> {
  const { topology } = input;
  const mismatch = (what: string, i: number, got: unknown, want: unknown) => {
    throw new BenchError('SGF_BENCH_MISMATCH', `library ${what}, packet ${i + 1}: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  };
  const ref = new ReferenceEngine(topology);
  const n = Math.min(refPackets, input.frames.length);
  const refDecisions = input.records.slice(0, n).map((r) => ref.judge(r));
  const f = createFilter(topology);
  const all = copyOf(f.judgeFrames(input.packed, input.ts, { linktype: input.linktype }));
  for (let i = 0; i < n; i++) {
    const got = batchTriple(f, all, i);
    const want = deciding(refDecisions[i]!);
    if (JSON.stringify(got) !== JSON.stringify(want)) mismatch('judgeFrames vs reference', i, got, want);
  }
  const arr = createFilter(topology).judgeFrames(input.frames, input.ts, { linktype: input.linktype });
  const single = createFilter(topology);
  const lean = createFilter(topology);
  const verdicts = createFilter(topology).verdicts(input.bytes);
  for (let i = 0; i < all.count; i++) {
    const d = single.judgeFrame(input.frames[i]!, input.ts[i]!, input.linktype);
    if (i < n && JSON.stringify(d) !== JSON.stringify(refDecisions[i])) mismatch('judgeFrame vs reference', i, d, refDecisions[i]);
    if ((d.verdict === 'allow' ? 1 : 0) !== all.verdicts[i]) mismatch('judgeFrame vs judgeFrames', i, d.verdict, all.verdicts[i]);
    if (arr.verdicts[i] !== all.verdicts[i] || arr.rules[i] !== all.rules[i] || arr.reasons[i] !== all.reasons[i]) mismatch('judgeFrames array vs packed', i, batchTriple(f, arr, i), batchTriple(f, all, i));
    if (lean.judgeFrameVerdict(input.frames[i]!, input.ts[i]!, input.linktype) !== all.verdicts[i]) mismatch('judgeFrameVerdict vs judgeFrames', i, '', all.verdicts[i]);
    if (verdicts[i] !== all.verdicts[i]) mismatch('verdicts() vs judgeFrames', i, verdicts[i], all.verdicts[i]);
  }
  let k = 0;
  for await (const j of createFilter(topology).judgeStream(input.path)) {
    if ((j.decision.verdict === 'allow' ? 1 : 0) !== all.verdicts[k]) mismatch('judgeStream vs judgeFrames', k, j.decision.verdict, all.verdicts[k]);
    k++;
  }
  if (k !== all.count) throw new BenchError('SGF_BENCH_MISMATCH', `library judgeStream gave ${k} decisions for ${all.count} packets`);
  // Tuples: the IP packets alone, in order, against the reference over the same packets.
  const tref = new ReferenceEngine(topology);
  const tf = createFilter(topology);
  const tb = createFilter(topology).judgeTuples(input.tuples, input.tupleTs);
  let ti = 0;
  for (let i = 0; i < input.records.length && ti < n; i++) {
    if (input.records[i]!.reason !== undefined || input.records[i]!.family === undefined) continue;
    const want = tref.judge(input.records[i]!);
    const got = tf.judgeTuple(input.tuples[ti]!, input.tupleTs[ti]!);
    if (JSON.stringify(got) !== JSON.stringify(want)) mismatch('judgeTuple vs reference', i, got, want);
    if (JSON.stringify(batchTriple(tf, tb, ti)) !== JSON.stringify(deciding(want))) mismatch('judgeTuples vs reference', i, batchTriple(tf, tb, ti), deciding(want));
    ti++;
  }
}

export async function runLibrary(ctx: RunContext): Promise<LibraryInfo> {
  const p = ctx.params.library;
  ctx.progress.detail(`generating or reusing a capture of ${p.packets} packets`);
  const input = load(ctx, p.packets);
  const n = input.frames.length;
  ctx.progress.step('library: checking every call against the reference');
  await verify(input, p.refPackets);
  const subject = `${n.toLocaleString('en-US')} generated packets in memory`;
  const base = { section: 'library' as const, method: 'repeated-runs' as const, unit: 'packets/s' as const };
  const { topology, linktype } = input;
  let sink = 0;
  const time = async (key: (typeof LIBRARY_CALLS)[number][0], work: number, run: (f: Filter) => unknown, count = p.repeat) => {
    ctx.progress.step(`library ${key}`);
    const samples: number[] = [];
    for (let i = 0; i < count + (p.warmup ? 1 : 0); i++) {
      const f = createFilter(topology);
      const t0 = process.hrtime.bigint();
      await run(f);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (i > 0 || !p.warmup) samples.push(ms);
    }
    const label = LIBRARY_CALLS.find(([k]) => k === key)![1];
    ctx.figures.push(throughputFigure({ ...base, id: `library/${key}`, subject: key === 'reference' ? `the first ${work.toLocaleString('en-US')} of them` : key.startsWith('judgeTuple') ? `${work.toLocaleString('en-US')} tuples of them` : subject, label }, work, samples));
  };
  await time('judgeFrames-packed', n, (f) => (sink += f.judgeFrames(input.packed, input.ts, { linktype }).count));
  await time('judgeFrames-array', n, (f) => (sink += f.judgeFrames(input.frames, input.ts, { linktype }).count));
  await time('judgeFrame', n, (f) => {
    const frames = input.frames;
    const ts = input.ts;
    for (let i = 0; i < n; i++) sink += f.judgeFrame(frames[i]!, ts[i]!, linktype).hops.length;
  });
  await time('judgeFrameVerdict', n, (f) => {
    const frames = input.frames;
    const ts = input.ts;
    for (let i = 0; i < n; i++) sink += f.judgeFrameVerdict(frames[i]!, ts[i]!, linktype);
  });
  const nt = input.tuples.length;
  await time('judgeTuples', nt, (f) => (sink += f.judgeTuples(input.tuples, input.tupleTs).count));
  await time('judgeTuple', nt, (f) => {
    for (let i = 0; i < nt; i++) sink += f.judgeTuple(input.tuples[i]!, input.tupleTs[i]!).hops.length;
  });
  await time('judgeStream', n, async (f) => {
    for await (const j of f.judgeStream(input.path)) sink += j.n;
  });
  await time('verdicts', n, (f) => (sink += f.verdicts(input.bytes).length));
  const nr = Math.min(p.refPackets, n);
  const frames = input.frames.slice(0, nr);
  await time('reference', nr, () => {
    const ref = new ReferenceEngine(topology);
    for (let i = 0; i < nr; i++) sink += ref.judge(decodeFrame(linktype, frames[i]!, input.ts[i]!)).hops.length;
  }, p.refRepeat);
  if (sink === -1) ctx.notes.push('');
  return { capture: { path: input.path, packets: n, bytes: input.bytes.byteLength }, tuples: nt, verified: { reference: Math.min(p.refPackets, n), packets: n } };
}
