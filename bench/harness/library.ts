/**
 * The library's calls (src/replay/filter.ts) on the replay bench's generated
 * traffic (bench/replay/main.ts replaySpec; the capture read into memory
 * first): judgeFrames over the whole capture (packed buffer and array of
 * frames), judgeInPlace (the frames written into an in-place batch once, the
 * timestamps every pass), judgeFrame and its lean judgeFrameVerdict per frame, judgeTuple
 * (addresses as text, and parsed: IPv4 numbers, IPv6 bigints) / judgeTuples
 * on the packets' tuples, judgeStream and judgeStreamBatches from the
 * capture file, verdicts() on the capture in memory, and the reference evaluator (the reference decoder
 * and ReferenceEngine, per frame) on a prefix.
 *
 * Two figures per call judged in memory. Warm (`library/<call>`): one
 * filter judges the traffic again and again, each pass's timestamps moved
 * on by the capture's span (passShift), so that the timeline goes on and
 * the traffic's flows are found in conntrack, established, on a filter whose
 * code is compiled and whose memory is grown — what a long-running filter
 * costs (the second pass checked against the reference judging the same
 * two passes: SGF_BENCH_MISMATCH); the median of the passes after one
 * unmeasured warm-up pass.
 * Cold (`library/<call>/cold`): the first pass of a fresh filter (its
 * set-up not timed), the median over fresh filters. The file streams and
 * the reference have the cold kind only. Samples are taken round-robin
 * (sample k of every call, then sample k + 1), so that the machine's load
 * as it drifts weighs on every call alike. First, each call's decisions are
 * checked against the reference on the prefix and against judgeFrames on
 * the whole capture; a disagreement throws SGF_BENCH_MISMATCH.
 */
import { readFileSync } from 'node:fs';
import type { Decision } from '../../src/model/decision.js';
import type { PacketRecord } from '../../src/model/packet.js';
import { ensureGenerated } from '../../src/gen/index.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { decodeFrame } from '../../src/pcap/decode.js';
import { frameTime, readAll } from '../../src/pcap/reader.js';
import { ReferenceEngine } from '../../src/reference/engine.js';
import { createFilter, DECIDING_REASONS, type BatchVerdicts, type Filter, type InPlaceBatch, type PacketTuple } from '../../src/replay/filter.js';
import type { Topology } from '../../src/model/topology.js';
import { replaySpec } from '../replay/main.js';
import type { LibraryInfo } from '../report/schema.js';
import type { RunContext } from './context.js';
import { BenchError } from './errors.js';
import { throughputFigure } from './stats.js';
import { tupleOfRecord as tupleOf } from '../../src/replay/tuple.js';

/** Steps in the progress plan: the check, then the cold rounds and the warm rounds (runLibrary). */
export function librarySteps(p: RunContext['params']['library']): number {
  const w = p.warmup ? 1 : 0;
  return 1 + Math.max(p.refRepeat, p.repeat) + w + p.repeat + w;
}

/** The calls measured, by figure id (library/<key>), with their labels. */
export const LIBRARY_CALLS = [
  ['judgeFrames-packed', 'judgeFrames, one packed buffer (frames/s)'],
  ['judgeFrames-array', 'judgeFrames, array of frames (frames/s)'],
  ['judgeInPlace', 'judgeInPlace, frames written into an in-place batch once, timestamps each pass (frames/s)'],
  ['judgeFrame', 'judgeFrame (calls/s)'],
  ['judgeFrameVerdict', 'judgeFrameVerdict (calls/s)'],
  ['judgeTuples', 'judgeTuples (tuples/s)'],
  ['judgeTuple', 'judgeTuple, addresses as text (calls/s)'],
  ['judgeTuple-parsed', 'judgeTuple, addresses parsed: IPv4 numbers, IPv6 bigints (calls/s)'],
  ['judgeTupleVerdict', 'judgeTupleVerdict, addresses parsed (calls/s)'],
  ['judgeStream', 'judgeStream from the file (decisions/s)'],
  ['judgeStreamBatches', 'judgeStreamBatches from the file (packets/s)'],
  ['verdicts', 'verdicts(), capture in memory (packets/s)'],
  ['reference', 'reference decoder + ReferenceEngine.judge (calls/s)'],
] as const;

type CallKey = (typeof LIBRARY_CALLS)[number][0];

export interface Input {
  topology: Topology;
  path: string;
  bytes: Uint8Array;
  frames: Uint8Array[];
  packed: { data: Uint8Array; offsets: Uint32Array };
  ts: BigInt64Array;
  linktype: number;
  records: PacketRecord[];
  /** The IP packets' tuples and their timestamps; the same with the addresses parsed (IPv4 numbers, IPv6 bigints). */
  tuples: PacketTuple[];
  parsedTuples: PacketTuple[];
  tupleTs: BigInt64Array;
}

export function load(ctx: Pick<RunContext, 'cacheDir'>, packets: number): Input {
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
  const parsedTuples: PacketTuple[] = [];
  const tupleTs: bigint[] = [];
  records.forEach((r, i) => {
    const t = tupleOf(r);
    if (t) {
      tuples.push(t);
      parsedTuples.push(parsedTupleOf(r, t));
      tupleTs.push(ts[i]!);
    }
  });
  return { topology, path: gen.capturePath, bytes, frames: data, packed: { data: buf, offsets }, ts, linktype, records, tuples, parsedTuples, tupleTs: BigInt64Array.from(tupleTs) };
}

/** A record's tuple with the record's own address values: IPv4 as a number, IPv6 as a bigint. */
function parsedTupleOf(r: PacketRecord, t: PacketTuple): PacketTuple {
  const addr = (family: number, v: bigint) => (family === 4 ? Number(v) : v);
  const out: PacketTuple = { ...t, src: addr(r.family!, r.src!), dst: addr(r.family!, r.dst!) };
  if (r.quoted) out.quoted = { ...t.quoted!, src: addr(r.quoted.family, r.quoted.src), dst: addr(r.quoted.family, r.quoted.dst) };
  return out;
}

/**
 * How far each warm pass moves the timestamps, in whole seconds: the
 * capture's span rounded up to a second, plus one second. Pass k + 1 then
 * starts at most two seconds after pass k ended, so the filter's state
 * carries on as a long-running filter's would: the flows of the traffic are
 * found established (or replied) in conntrack, as in the capture's own
 * steady state, and only the flows that go quiet past their state's timeout
 * (a closing TCP flow's few seconds) expire. (Moving the timestamps past
 * every timeout instead would make each pass judge as the first, replacing
 * a stale entry for every flow: the cost of new flows, not of a
 * long-running filter.)
 */
export function passShift(input: Pick<Input, 'ts'>): number {
  let lo = input.ts[0] ?? 0n;
  let hi = lo;
  for (const t of input.ts) {
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  return Math.ceil(Number(hi - lo) / 1e9) + 1;
}

const inPlaceBatches = new WeakMap<Filter, InPlaceBatch>();

/**
 * judgeInPlace over the whole capture: the frames written into one in-place
 * batch of the filter's the first time (a producer that writes them there;
 * in the cold figure), the timestamps `ts` every call, then one call.
 */
function judgeInPlaceAll(f: Filter, input: Input, ts: BigInt64Array): BatchVerdicts {
  const n = input.frames.length;
  let batch = inPlaceBatches.get(f);
  if (!batch) {
    batch = f.createInPlaceBatch({ frames: Math.max(1, n), bytes: Math.max(1, input.packed.data.length) });
    const v = batch.views();
    v.data.set(input.packed.data);
    v.offsets.set(input.packed.offsets);
    inPlaceBatches.set(f, batch);
  }
  batch.views().timestamps.set(ts.subarray(0, n));
  return f.judgeInPlace(batch, n, { linktype: input.linktype });
}

/** Timestamps moved by `by` ns. */
export function shifted(ts: BigInt64Array, by: bigint): BigInt64Array {
  const out = new BigInt64Array(ts.length);
  for (let i = 0; i < ts.length; i++) out[i] = ts[i]! + by;
  return out;
}

/** A copy of a pcap capture (classic format, either byte order, µs or ns) with every record's time moved by `bySec` seconds. */
function shiftedCapture(bytes: Uint8Array, bySec: number): Uint8Array {
  const out = bytes.slice();
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const magic = dv.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && dv.getUint32(0, false) !== 0xa1b2c3d4 && dv.getUint32(0, false) !== 0xa1b23c4d) throw new BenchError('SGF_BENCH_REPLAY', 'the library bench shifts classic pcap captures only');
  for (let at = 24; at + 16 <= out.byteLength;) {
    dv.setUint32(at, dv.getUint32(at, le) + bySec, le);
    at += 16 + dv.getUint32(at + 8, le);
  }
  return out;
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
  const inPlaceFilter = createFilter(topology);
  const inPlace = copyOf(judgeInPlaceAll(inPlaceFilter, input, input.ts));
  const single = createFilter(topology);
  const lean = createFilter(topology);
  const verdicts = createFilter(topology).verdicts(input.bytes);
  for (let i = 0; i < all.count; i++) {
    const d = single.judgeFrame(input.frames[i]!, input.ts[i]!, input.linktype);
    if (i < n && JSON.stringify(d) !== JSON.stringify(refDecisions[i])) mismatch('judgeFrame vs reference', i, d, refDecisions[i]);
    if ((d.verdict === 'allow' ? 1 : 0) !== all.verdicts[i]) mismatch('judgeFrame vs judgeFrames', i, d.verdict, all.verdicts[i]);
    if (arr.verdicts[i] !== all.verdicts[i] || arr.rules[i] !== all.rules[i] || arr.reasons[i] !== all.reasons[i]) mismatch('judgeFrames array vs packed', i, batchTriple(f, arr, i), batchTriple(f, all, i));
    if (inPlace.verdicts[i] !== all.verdicts[i] || inPlace.rules[i] !== all.rules[i] || inPlace.reasons[i] !== all.reasons[i]) mismatch('judgeInPlace vs judgeFrames', i, batchTriple(f, inPlace, i), batchTriple(f, all, i));
    if (lean.judgeFrameVerdict(input.frames[i]!, input.ts[i]!, input.linktype) !== all.verdicts[i]) mismatch('judgeFrameVerdict vs judgeFrames', i, '', all.verdicts[i]);
    if (verdicts[i] !== all.verdicts[i]) mismatch('verdicts() vs judgeFrames', i, verdicts[i], all.verdicts[i]);
  }
  let k = 0;
  for await (const j of createFilter(topology).judgeStream(input.path)) {
    if ((j.decision.verdict === 'allow' ? 1 : 0) !== all.verdicts[k]) mismatch('judgeStream vs judgeFrames', k, j.decision.verdict, all.verdicts[k]);
    k++;
  }
  if (k !== all.count) throw new BenchError('SGF_BENCH_MISMATCH', `library judgeStream gave ${k} decisions for ${all.count} packets`);
  k = 0;
  for await (const b of createFilter(topology).judgeStreamBatches(input.path)) {
    for (let i = 0; i < b.count; i++, k++) {
      if (b.verdicts[i] !== all.verdicts[k] || b.rules[i] !== all.rules[k] || b.reasons[i] !== all.reasons[k]) mismatch('judgeStreamBatches vs judgeFrames', k, batchTriple(f, b, i), batchTriple(f, all, k));
    }
  }
  if (k !== all.count) throw new BenchError('SGF_BENCH_MISMATCH', `library judgeStreamBatches gave ${k} packets for ${all.count}`);
  // A warm pass (the traffic again, its timestamps moved by passShift: the timeline goes on) on a filter that
  // judged the first pass: against the reference judging the same two passes (the whole first, then the
  // prefix of the second), and every warm call against judgeFrames' warm pass.
  const shift = passShift(input);
  const shiftNs = BigInt(shift) * 1_000_000_000n;
  const ts1 = shifted(input.ts, shiftNs);
  const wref = new ReferenceEngine(topology);
  for (const r of input.records) wref.judge(r);
  const warm = createFilter(topology);
  warm.judgeFrames(input.packed, input.ts, { linktype: input.linktype });
  const again = copyOf(warm.judgeFrames(input.packed, ts1, { linktype: input.linktype }));
  let changed = 0;
  for (let i = 0; i < all.count; i++) if (again.verdicts[i] !== all.verdicts[i] || again.reasons[i] !== all.reasons[i] || again.rules[i] !== all.rules[i]) changed++;
  for (let i = 0; i < n; i++) {
    const got = batchTriple(f, again, i);
    const want = deciding(wref.judge({ ...input.records[i]!, ts: ts1[i]! }));
    if (JSON.stringify(got) !== JSON.stringify(want)) mismatch('judgeFrames, second pass (the timeline going on) vs reference', i, got, want);
  }
  const warmArr = createFilter(topology);
  const warmOne = createFilter(topology);
  const warmLean = createFilter(topology);
  const warmVerdicts = createFilter(topology);
  warmArr.judgeFrames(input.frames, input.ts, { linktype: input.linktype });
  warmVerdicts.verdicts(input.bytes);
  for (let i = 0; i < all.count; i++) {
    warmOne.judgeFrame(input.frames[i]!, input.ts[i]!, input.linktype);
    warmLean.judgeFrameVerdict(input.frames[i]!, input.ts[i]!, input.linktype);
  }
  const arr1 = warmArr.judgeFrames(input.frames, ts1, { linktype: input.linktype });
  const inPlace1 = judgeInPlaceAll(inPlaceFilter, input, ts1);
  const second = warmVerdicts.verdicts(shiftedCapture(input.bytes, shift));
  for (let i = 0; i < all.count; i++) {
    if (arr1.verdicts[i] !== again.verdicts[i] || arr1.rules[i] !== again.rules[i] || arr1.reasons[i] !== again.reasons[i]) mismatch('judgeFrames array, second pass vs packed', i, batchTriple(f, arr1, i), batchTriple(f, again, i));
    if (inPlace1.verdicts[i] !== again.verdicts[i] || inPlace1.rules[i] !== again.rules[i] || inPlace1.reasons[i] !== again.reasons[i]) mismatch('judgeInPlace, second pass vs judgeFrames', i, batchTriple(f, inPlace1, i), batchTriple(f, again, i));
    const d = warmOne.judgeFrame(input.frames[i]!, ts1[i]!, input.linktype);
    if (JSON.stringify(deciding(d)) !== JSON.stringify(batchTriple(f, again, i))) mismatch('judgeFrame, second pass vs judgeFrames', i, deciding(d), batchTriple(f, again, i));
    if (warmLean.judgeFrameVerdict(input.frames[i]!, ts1[i]!, input.linktype) !== again.verdicts[i]) mismatch('judgeFrameVerdict, second pass vs judgeFrames', i, '', again.verdicts[i]);
    if (second[i] !== again.verdicts[i]) mismatch('verdicts(), second pass vs judgeFrames', i, second[i], again.verdicts[i]);
  }
  if (changed === 0) throw new BenchError('SGF_BENCH_MISMATCH', 'library: the second pass judged every packet as the first; the warm passes would not measure a filter whose flows are established');
  // Tuples: the IP packets alone, in order, against the reference over the same packets.
  const tref = new ReferenceEngine(topology);
  const tf = createFilter(topology);
  const tp = createFilter(topology);
  const tv = createFilter(topology);
  const tb = createFilter(topology).judgeTuples(input.tuples, input.tupleTs);
  let ti = 0;
  for (let i = 0; i < input.records.length && ti < n; i++) {
    if (input.records[i]!.reason !== undefined || input.records[i]!.family === undefined) continue;
    const want = tref.judge(input.records[i]!);
    const got = tf.judgeTuple(input.tuples[ti]!, input.tupleTs[ti]!);
    if (JSON.stringify(got) !== JSON.stringify(want)) mismatch('judgeTuple vs reference', i, got, want);
    const parsed = tp.judgeTuple(input.parsedTuples[ti]!, input.tupleTs[ti]!);
    if (JSON.stringify(parsed) !== JSON.stringify(want)) mismatch('judgeTuple (parsed addresses) vs reference', i, parsed, want);
    if (tv.judgeTupleVerdict(input.parsedTuples[ti]!, input.tupleTs[ti]!) !== (want.verdict === 'allow' ? 1 : 0)) mismatch('judgeTupleVerdict vs reference', i, '', want.verdict);
    if (JSON.stringify(batchTriple(tf, tb, ti)) !== JSON.stringify(deciding(want))) mismatch('judgeTuples vs reference', i, batchTriple(tf, tb, ti), deciding(want));
    ti++;
  }
  // The tuples' warm pass (as the frames'): judgeTuples against the reference over the same two passes, the single calls against judgeTuples.
  const tupleRecords = input.records.filter((r) => r.reason === undefined && r.family !== undefined);
  if (tupleRecords.length !== input.tuples.length) throw new BenchError('SGF_BENCH_MISMATCH', `library: ${tupleRecords.length} IP packets for ${input.tuples.length} tuples`);
  const tts1 = shifted(input.tupleTs, shiftNs);
  const twref = new ReferenceEngine(topology);
  for (const r of tupleRecords) twref.judge(r);
  const twb = createFilter(topology);
  twb.judgeTuples(input.tuples, input.tupleTs);
  const tb1 = copyOf(twb.judgeTuples(input.tuples, tts1));
  for (let i = 0; i < Math.min(n, tupleRecords.length); i++) {
    const want = deciding(twref.judge({ ...tupleRecords[i]!, ts: tts1[i]! }));
    if (JSON.stringify(batchTriple(twb, tb1, i)) !== JSON.stringify(want)) mismatch('judgeTuples, second pass vs reference', i, batchTriple(twb, tb1, i), want);
  }
  const tw = [createFilter(topology), createFilter(topology), createFilter(topology)] as const;
  for (let i = 0; i < input.tuples.length; i++) {
    tw[0].judgeTuple(input.tuples[i]!, input.tupleTs[i]!);
    tw[1].judgeTuple(input.parsedTuples[i]!, input.tupleTs[i]!);
    tw[2].judgeTupleVerdict(input.parsedTuples[i]!, input.tupleTs[i]!);
  }
  for (let i = 0; i < input.tuples.length; i++) {
    const want = batchTriple(twb, tb1, i);
    const text = deciding(tw[0].judgeTuple(input.tuples[i]!, tts1[i]!));
    if (JSON.stringify(text) !== JSON.stringify(want)) mismatch('judgeTuple, second pass vs judgeTuples', i, text, want);
    const parsed = deciding(tw[1].judgeTuple(input.parsedTuples[i]!, tts1[i]!));
    if (JSON.stringify(parsed) !== JSON.stringify(want)) mismatch('judgeTuple (parsed addresses), second pass vs judgeTuples', i, parsed, want);
    if (tw[2].judgeTupleVerdict(input.parsedTuples[i]!, tts1[i]!) !== tb1.verdicts[i]) mismatch('judgeTupleVerdict, second pass vs judgeTuples', i, '', tb1.verdicts[i]);
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
  const shiftSec = passShift(input);
  const shiftNs = BigInt(shiftSec) * 1_000_000_000n;
  let sink = 0;
  /** A pass's inputs: the traffic with its timestamps moved by `k` shifts (pass 0: as captured), each made once. */
  interface Pass {
    ts: BigInt64Array;
    tupleTs: BigInt64Array;
    bytes: Uint8Array;
  }
  const passOf = (k: number, what: ReadonlySet<'frames' | 'tuples' | 'capture'>): Pass => ({
    ts: k > 0 && what.has('frames') ? shifted(input.ts, BigInt(k) * shiftNs) : input.ts,
    tupleTs: k > 0 && what.has('tuples') ? shifted(input.tupleTs, BigInt(k) * shiftNs) : input.tupleTs,
    bytes: k > 0 && what.has('capture') ? shiftedCapture(input.bytes, k * shiftSec) : input.bytes,
  });
  const figure = (id: string, key: CallKey, work: number, samples: number[], kind: string) => {
    const label = LIBRARY_CALLS.find(([k]) => k === key)![1];
    const what = key === 'reference' ? `the first ${work.toLocaleString('en-US')} of them` : key.startsWith('judgeTuple') ? `${work.toLocaleString('en-US')} tuples of them` : subject;
    ctx.figures.push(throughputFigure({ ...base, id, subject: what, label: `${label}, ${kind}` }, work, samples));
  };
  const timed = async (run: () => unknown) => {
    const t0 = process.hrtime.bigint();
    await run();
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  interface Call {
    key: CallKey;
    work: number;
    what: 'frames' | 'tuples' | 'capture';
    run: (f: Filter, pass: Pass) => unknown;
    /** Warm passes too (the calls judged in memory). */
    warm: boolean;
    filter?: Filter;
    cold: number[];
    warmSamples: number[];
  }
  const call = (key: CallKey, work: number, what: Call['what'], run: Call['run'], warm = true): Call => ({ key, work, what, run, warm, cold: [], warmSamples: [] });
  const nt = input.tuples.length;
  const nr = Math.min(p.refPackets, n);
  const refFrames = input.frames.slice(0, nr);
  const calls: Call[] = [
    call('judgeFrames-packed', n, 'frames', (f, q) => (sink += f.judgeFrames(input.packed, q.ts, { linktype }).count)),
    call('judgeFrames-array', n, 'frames', (f, q) => (sink += f.judgeFrames(input.frames, q.ts, { linktype }).count)),
    call('judgeInPlace', n, 'frames', (f, q) => (sink += judgeInPlaceAll(f, input, q.ts).count)),
    call('judgeFrame', n, 'frames', (f, q) => {
      const frames = input.frames;
      const ts = q.ts;
      for (let i = 0; i < n; i++) sink += f.judgeFrame(frames[i]!, ts[i]!, linktype).hops.length;
    }),
    call('judgeFrameVerdict', n, 'frames', (f, q) => {
      const frames = input.frames;
      const ts = q.ts;
      for (let i = 0; i < n; i++) sink += f.judgeFrameVerdict(frames[i]!, ts[i]!, linktype);
    }),
    call('judgeTuples', nt, 'tuples', (f, q) => (sink += f.judgeTuples(input.tuples, q.tupleTs).count)),
    call('judgeTuple', nt, 'tuples', (f, q) => {
      for (let i = 0; i < nt; i++) sink += f.judgeTuple(input.tuples[i]!, q.tupleTs[i]!).hops.length;
    }),
    call('judgeTuple-parsed', nt, 'tuples', (f, q) => {
      for (let i = 0; i < nt; i++) sink += f.judgeTuple(input.parsedTuples[i]!, q.tupleTs[i]!).hops.length;
    }),
    call('judgeTupleVerdict', nt, 'tuples', (f, q) => {
      for (let i = 0; i < nt; i++) sink += f.judgeTupleVerdict(input.parsedTuples[i]!, q.tupleTs[i]!);
    }),
    call('judgeStream', n, 'frames', async (f) => {
      for await (const j of f.judgeStream(input.path)) sink += j.n;
    }, false),
    call('judgeStreamBatches', n, 'frames', async (f) => {
      for await (const b of f.judgeStreamBatches(input.path)) sink += b.count;
    }, false),
    call('verdicts', n, 'capture', (f, q) => (sink += f.verdicts(q.bytes).length)),
  ];
  // Round-robin: sample k of every call, then sample k + 1 of every call, so that the machine's load as it
  // drifts (other jobs) weighs on every call alike, and the ratios between calls hold within a run.
  // Cold: the first pass of each of 3 fresh filters (calls with warm passes; the last filter goes on warm),
  // or of `repeat` fresh filters (after one unmeasured, with warmup) for the others and the reference.
  const coldCount = (c: Call) => (c.warm ? Math.min(p.repeat, 3) : p.repeat + (p.warmup ? 1 : 0));
  const refRounds = p.refRepeat + (p.warmup ? 1 : 0);
  const refSamples: number[] = [];
  const first = passOf(0, new Set());
  const coldRounds = Math.max(refRounds, ...calls.map(coldCount));
  for (let i = 0; i < coldRounds; i++) {
    ctx.progress.step(`library: cold round ${i + 1} of ${coldRounds}`);
    for (const c of calls) {
      if (i >= coldCount(c)) continue;
      const f = (c.filter = createFilter(topology));
      const ms = await timed(() => c.run(f, first));
      if (c.warm || i > 0 || !p.warmup) c.cold.push(ms);
    }
    if (i < refRounds) {
      const ms = await timed(() => {
        const ref = new ReferenceEngine(topology);
        for (let k = 0; k < nr; k++) sink += ref.judge(decodeFrame(linktype, refFrames[k]!, input.ts[k]!)).hops.length;
      });
      if (i > 0 || !p.warmup) refSamples.push(ms);
    }
  }
  const warmRounds = p.repeat + (p.warmup ? 1 : 0);
  const warmCalls = calls.filter((c) => c.warm);
  const kinds = new Set(warmCalls.map((c) => c.what));
  for (let k = 1; k <= warmRounds; k++) {
    ctx.progress.step(`library: warm round ${k} of ${warmRounds}`);
    const pass = passOf(k, kinds);
    for (const c of warmCalls) {
      const ms = await timed(() => c.run(c.filter!, pass));
      if (k > 1 || !p.warmup) c.warmSamples.push(ms);
    }
  }
  for (const c of calls) {
    figure(c.warm ? `library/${c.key}/cold` : `library/${c.key}`, c.key, c.work, c.cold, c.warm ? 'cold (first pass of a fresh filter)' : 'a fresh filter per sample');
    if (c.warm) figure(`library/${c.key}`, c.key, c.work, c.warmSamples, 'warm filter');
  }
  figure('library/reference', 'reference', nr, refSamples, 'a fresh engine per sample');
  if (sink === -1) ctx.notes.push('');
  return { capture: { path: input.path, packets: n, bytes: input.bytes.byteLength }, tuples: nt, verified: { reference: Math.min(p.refPackets, n), packets: n } };
}
