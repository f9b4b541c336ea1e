/**
 * The library's hot-path filter: build once from a topology, then judge
 * packets — one frame, a batch of frames, a tuple without a frame, a capture
 * held in memory or streamed from a file or a Node stream — with one
 * conntrack state kept by the filter between calls (a tuple and a frame of
 * the same flow see the same state). Runs the WASM engine in the calling
 * thread (all shards); for files on worker threads use `replay()`.
 *
 * Per frame nothing is allocated: frames and timestamps are copied into WASM
 * memory, one WASM entry (assembly/library.ts) decodes and judges a whole
 * batch, and verdicts, deciding reasons and deciding rules come back in
 * typed arrays. `judgeFrame` returns §9 decision objects that are interned:
 * the same decision is the same frozen object every time.
 */
import { statSync } from 'node:fs';
import { compileTopology } from '../compile/compile.js';
import type { Decision, HopReason, PacketReason } from '../model/decision.js';
import { ApiUsageError } from '../model/errors.js';
import { checkEngineOptions, timestampNs } from '../model/shard.js';
import type { Topology } from '../model/topology.js';
import { LINKTYPE } from '../pcap/format.js';
import { CaptureReader, frameTime } from '../pcap/reader.js';
import type { CaptureInterface, FrameBatch } from '../pcap/scanner.js';
import { DECISION, DIR, LIBRARY_RULE_MAP, REC, TALLY } from '../wasm/layout.js';
import type { SgfExports } from '../wasm/loader.js';
import { decisionIndex, decodeDecision, HOP_REASONS, PACKET_REASONS } from './decision-record.js';
import { judgeStream, type StreamSource } from './filter-stream.js';
import { TupleError, writeTupleRecord, type PacketTuple } from './tuple.js';
import { WasmEngine, type WasmEngineOptions } from './wasm-engine.js';
import { WasmCaptureStream } from './stream.js';

export type FilterOptions = Pick<WasmEngineOptions, 'conntrackCapacity' | 'shards' | 'batchCapacity'>;

export interface JudgedFrame {
  /** 1-based packet number in the capture. */
  n: number;
  /** Timestamp text with the capture's precision. */
  ts: string;
  decision: Decision;
}

/**
 * Frames packed in one buffer: frame i is `data[offsets[i], offsets[i + 1])`,
 * so `offsets` has one entry more than there are frames (non-decreasing, the
 * last at most `data.length`). The cheapest input: one copy per batch.
 */
export interface PackedFrames {
  data: Uint8Array;
  offsets: Uint32Array;
}

/** Output arrays of a batch call, one entry per frame (or tuple). */
export interface BatchVerdicts {
  count: number;
  /** 1 allow, 0 deny. */
  verdicts: Uint8Array;
  /** The deciding reason code: a word of DECIDING_REASONS. */
  reasons: Uint8Array;
  /** The deciding rule: an index into `filter.rules` when a rule decided the last hop, else -1. */
  rules: Int32Array;
}

/** One batch of a capture judged by `judgeStreamBatches`: packets `first` to `first + count - 1` (1-based). */
export interface StreamVerdicts extends BatchVerdicts {
  first: number;
}

export interface BatchOptions {
  /** The frames' link type (LINKTYPE, default Ethernet); tuples ignore it. */
  linktype?: number;
  /** Write here (each array at least `count` long) instead of the filter's reused buffers. */
  out?: { verdicts: Uint8Array; reasons: Uint8Array; rules: Int32Array };
}

/** Timestamps of a batch, nanoseconds since the epoch: BigInt64Array (exact), or Float64Array of integers (exact up to 2^53). */
export type BatchTimestamps = BigInt64Array | Float64Array;

/** Options of `createInPlaceBatch`. */
export interface InPlaceBatchOptions<T extends 'bigint' | 'number' = 'bigint' | 'number'> {
  /** Frames the batch holds at most (default: the filter's `batchCapacity`, 8192). */
  frames?: number;
  /** Bytes of frames the batch holds at most (default 2 MiB). */
  bytes?: number;
  /** The timestamps' array: 'bigint' (BigInt64Array, exact; the default) or 'number' (Float64Array of integer ns, exact up to 2^53). */
  timestamps?: T;
}

/** Views of a InPlaceBatch's regions (see InPlaceBatch.views). */
export interface InPlaceBatchViews<TS extends BatchTimestamps = BatchTimestamps> {
  /** The frames' bytes: frame i is `data[offsets[i], offsets[i + 1])`. */
  data: Uint8Array;
  /** `capacity + 1` entries, non-decreasing over the frames judged. */
  offsets: Uint32Array;
  /** `capacity` entries: frame i's capture time, nanoseconds since the epoch. */
  timestamps: TS;
}

/**
 * A batch whose frames, offsets and timestamps the caller writes straight
 * into the filter's WASM memory (`createInPlaceBatch`), judged by
 * `judgeInPlace` with no copy of them: for a caller that produces frames
 * in place (reads a capture or a socket into `data`, builds frames there).
 * Its regions live as long as the filter; one batch can be judged again and
 * again. The views are plain typed arrays over the filter's memory: a call
 * that judges may grow that memory, which detaches them (a write to a
 * detached view is lost without an error), so take `views()` again after
 * every judging call on the filter before writing. judgeInPlace refuses a
 * batch whose last views() were made before the memory grew (ApiUsageError),
 * so such a loss is an error, not a silent wrong verdict.
 */
export class InPlaceBatch<TS extends BatchTimestamps = BigInt64Array> {
  /** @internal (made by Filter.createInPlaceBatch, which alone judges it) */
  constructor(
    private readonly memory: WebAssembly.Memory,
    /** @internal */ readonly dataPtr: number,
    /** @internal */ readonly offsPtr: number,
    /** @internal */ readonly tsPtr: number,
    /** Frames the batch holds at most. */
    readonly capacity: number,
    /** Bytes of frames the batch holds at most. */
    readonly byteCapacity: number,
    /** The timestamps' kind: 'bigint' (BigInt64Array) or 'number' (Float64Array). */
    readonly timestampKind: 'bigint' | 'number'
  ) {}

  /** @internal The memory's buffer the last views() were made over: judgeInPlace refuses the batch once the memory has grown past it. */
  viewedBuffer: ArrayBuffer | undefined;

  /** Fresh views over the batch's regions: valid until the next call that judges on the filter (see the class). */
  views(): InPlaceBatchViews<TS> {
    const b = this.memory.buffer;
    this.viewedBuffer = b;
    const ts = this.timestampKind === 'bigint' ? new BigInt64Array(b, this.tsPtr, this.capacity) : new Float64Array(b, this.tsPtr, this.capacity);
    return { data: new Uint8Array(b, this.dataPtr, this.byteCapacity), offsets: new Uint32Array(b, this.offsPtr, this.capacity + 1), timestamps: ts as TS };
  }
}

/**
 * The word of each deciding-reason code (`BatchVerdicts.reasons`): a packet
 * judged at no interface has its §9 `reason`; otherwise the last hop's
 * reason. Index: the code.
 */
export const DECIDING_REASONS: readonly (PacketReason | HopReason | undefined)[] = (() => {
  const out: (PacketReason | HopReason | undefined)[] = new Array(TALLY.N_REASONS).fill(undefined);
  PACKET_REASONS.forEach((w, i) => (out[i] = w));
  HOP_REASONS.forEach((w, i) => (out[TALLY.HOP_BASE + i] = w));
  return out;
})();

/** Linktypes by name for `judgeFrame` (numbers work too): the one table, pcap/format.ts. */
export { LINKTYPE };
export { TupleError, TUPLE_PROTOCOLS } from './tuple.js';
export type { PacketTuple, QuotedTuple, TupleAddress, TupleProtocol } from './tuple.js';
export type { StreamSource } from './filter-stream.js';

const TWO63 = 2 ** 63;
/** createInPlaceBatch's bounds. */
const MAX_BATCH_FRAMES = 1 << 24;
const MAX_BATCH_BYTES = 1 << 30;

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false; // the reader says why
  }
}

function deepFreeze(d: Decision): Decision {
  for (const h of d.hops) Object.freeze(h);
  Object.freeze(d.hops);
  return Object.freeze(d);
}

/**
 * Decision records -> interned §9 objects: a decision is drawn from a small
 * set (packet reasons; per hop an interface, direction, verdict, reason and
 * rule), so each is built once. The WASM side numbers the distinct decisions
 * (assembly/library.ts libIntern: an id, bit 31 set when new), so that the
 * object of a decision is one array load here.
 */
class DecisionCache {
  private readonly byId: Decision[] = [];

  constructor(private readonly engine: WasmEngine) {}

  /** The decision of intern code `code` (a new one: built from the record at byte `at`, views over the whole memory). */
  decision(code: number, u8: Uint8Array, at: number): Decision {
    if (code >= 0) return this.byId[code]!;
    const e = this.engine;
    return (this.byId[code & 0x7fffffff] = deepFreeze(decodeDecision(new DataView(u8.buffer, at, DECISION.SIZE), 0, e.compiled, e.topology)!));
  }
}

type LibExports = Pick<SgfExports, 'libJudgeFrames' | 'libJudgeFrame' | 'libJudgeFrameF' | 'libJudgeRecords' | 'libJudgeTuple' | 'libJudgeTupleF' | 'libClearTuples' | 'libIntern' | 'libExtract' | 'arenaAllocate'>;

export class Filter {
  private readonly engine: WasmEngine;
  private readonly x: LibExports;
  private readonly memory: WebAssembly.Memory;
  private readonly cache: DecisionCache;
  /** Frames per WASM entry of the batch calls. */
  private readonly cap: number;
  // Regions of the library calls (assembly/library.ts libConfigure).
  private stagingPtr: number;
  private stagingSize: number;
  private readonly offsPtr: number;
  private readonly tsPtr: number;
  private readonly verdictsPtr: number;
  private readonly reasonsPtr: number;
  private readonly rulesPtr: number;
  private readonly recsPtr: number;
  /** The tuple records (judgeTuple, judgeTuples): zero but for the fields a call writes; the WASM side zeroes them again after judging. */
  private readonly tupsPtr: number;
  private readonly decsPtr: number;
  // Views over the whole memory, re-made when it grew (a detached buffer has length 0; the hot paths test
  // `.length`, which V8 inlines, not `.byteLength`, a builtin call of ~15 ns on Node 20).
  private u8!: Uint8Array;
  private i32!: Int32Array;
  private u32!: Uint32Array;
  private i64!: BigInt64Array;
  private f64!: Float64Array;
  private dv!: DataView;
  private out: BatchVerdicts = { count: 0, verdicts: new Uint8Array(0), reasons: new Uint8Array(0), rules: new Int32Array(0) };
  /** Bumped by every capture call: an older capture generator stops with an error rather than read clobbered regions. */
  private captureEpoch = 0;
  /** The in-place batches this filter made: the only ones judgeInPlace takes (their regions are this filter's). */
  private readonly inPlaceBatches = new WeakSet<object>();

  /** Every rule of the topology, in order (groups, then their rules): what `BatchVerdicts.rules` indexes. */
  readonly rules: readonly { readonly group: string; readonly rule: string }[];

  constructor(readonly topology: Topology, options: FilterOptions = {}) {
    checkEngineOptions(options);
    const engine = (this.engine = new WasmEngine(topology, compileTopology(topology), options));
    const e = engine.inst.exports;
    this.x = {
      libJudgeFrames: e.libJudgeFrames,
      libJudgeFrame: e.libJudgeFrame,
      libJudgeFrameF: e.libJudgeFrameF,
      libJudgeRecords: e.libJudgeRecords,
      libJudgeTuple: e.libJudgeTuple,
      libJudgeTupleF: e.libJudgeTupleF,
      libClearTuples: e.libClearTuples,
      libIntern: e.libIntern,
      libExtract: e.libExtract,
      arenaAllocate: e.arenaAllocate,
    };
    this.memory = engine.inst.memory;
    this.cache = new DecisionCache(engine);
    const cap = (this.cap = engine.capacity);

    // The rule map (layout LIBRARY_RULE_MAP): per hop (interface × 2 + direction), the topology index of each position of its list.
    const rules: { group: string; rule: string }[] = [];
    const ruleNo = new Map<string, number>();
    for (const g of topology.securityGroups) for (const r of g.rules) {
      ruleNo.set(`${g.id}\u0000${r.id}`, rules.length);
      rules.push(Object.freeze({ group: g.id, rule: r.id }));
    }
    this.rules = Object.freeze(rules);
    const lists = engine.compiled.meta.lists;
    const hops = topology.interfaces.length * 2;
    const mapBytes = hops * 4 + lists.reduce((n, l) => n + l.rules.length * 4, 0);
    const mapPtr = e.arenaAllocate(Math.max(16, mapBytes));
    this.stagingSize = 2 * 1024 * 1024;
    this.stagingPtr = e.arenaAllocate(this.stagingSize);
    this.offsPtr = e.arenaAllocate((cap + 1) * 4);
    this.tsPtr = e.arenaAllocate(cap * 8);
    this.verdictsPtr = e.arenaAllocate(cap);
    this.reasonsPtr = e.arenaAllocate(cap);
    this.rulesPtr = e.arenaAllocate(cap * 4);
    this.recsPtr = e.arenaAllocate(cap * REC.SIZE);
    this.tupsPtr = e.arenaAllocate(cap * REC.SIZE);
    this.decsPtr = e.arenaAllocate(cap * DECISION.SIZE);
    const descPtr = e.arenaAllocate(cap * 24);
    const ifePtr = e.arenaAllocate(16);
    this.views();
    const listAt: number[] = [];
    let off = hops * 4;
    lists.forEach((l, li) => {
      listAt[li] = off;
      l.rules.forEach(([g, r], pos) => this.dv.setInt32(mapPtr + off + pos * 4, ruleNo.get(`${g}\u0000${r}`)!, true));
      off += l.rules.length * 4;
    });
    const index = decisionIndex(topology, engine.compiled);
    for (let i = 0; i < topology.interfaces.length; i++) {
      for (const dir of [DIR.INGRESS, DIR.EGRESS]) {
        const list = index.listOf(i, dir);
        this.dv.setUint32(mapPtr + LIBRARY_RULE_MAP.HOP_OFFSETS + (i * 2 + dir) * 4, list >= 0 ? listAt[list]! : 0, true);
      }
    }
    e.libConfigure(mapPtr, descPtr, this.recsPtr, this.decsPtr, ifePtr, cap);
    e.libConfigureTuples(this.tupsPtr);
    // No tally: a filter reports decisions, not summaries (stats() reads the engine's own counters).
    e.engineTally(0, 0);
  }

  private views(): void {
    const b = this.memory.buffer;
    this.u8 = new Uint8Array(b);
    this.i32 = new Int32Array(b);
    this.u32 = new Uint32Array(b);
    this.i64 = new BigInt64Array(b);
    this.f64 = new Float64Array(b);
    this.dv = new DataView(b);
  }

  private growStaging(bytes: number): void {
    this.stagingSize = Math.max(bytes, this.stagingSize * 2);
    this.stagingPtr = this.x.arenaAllocate(this.stagingSize);
    this.views();
  }

  /** One frame judged: its verdict (`intern` 0) or its decision's intern code (1). */
  private judgeOne(frame: Uint8Array, tsNs: bigint | number, linktype: number, intern: number): number {
    if (!(frame instanceof Uint8Array)) throw new ApiUsageError(`judgeFrame: frame must be a Uint8Array (or Buffer), got ${frame === null ? 'null' : typeof frame}`);
    if (linktype >>> 0 !== linktype) throw new ApiUsageError(`judgeFrame: linktype must be an integer 0-4294967295, got ${String(linktype)}`);
    const len = frame.length;
    if (len > this.stagingSize) this.growStaging(len);
    if (this.u8.length === 0) this.views();
    this.u8.set(frame, this.stagingPtr);
    if (typeof tsNs === 'bigint') {
      if (BigInt.asIntN(64, tsNs) !== tsNs) timestampNs(tsNs);
      return this.x.libJudgeFrame(this.stagingPtr, len, tsNs, linktype, intern);
    }
    if (!(Number.isInteger(tsNs) && tsNs >= -TWO63 && tsNs < TWO63)) timestampNs(tsNs);
    return this.x.libJudgeFrameF(this.stagingPtr, len, tsNs, linktype, intern);
  }

  /** The interned decision of `code`, whose record (when new) is the library's decision record 0. */
  private decisionOf(code: number): Decision {
    if (code >= 0) return this.cache.decision(code, this.u8, this.decsPtr);
    if (this.u8.length === 0) this.views();
    return this.cache.decision(code, this.u8, this.decsPtr);
  }

  /**
   * Judge one frame (an Ethernet frame by default) captured at `tsNs`
   * (nanoseconds since the epoch; conntrack ages by it): a bigint, or an
   * integer number of nanoseconds (exact up to 2^53; pass a bigint for
   * present-day times to the nanosecond). Any signed 64-bit value is kept
   * exactly (never wrapped); anything else is an EngineOptionError
   * (SGF_ENGINE_BAD_TIMESTAMP). The decision is interned: frozen, and the
   * same object for the same decision.
   */
  judgeFrame(frame: Uint8Array, tsNs: bigint | number, linktype: number = LINKTYPE.ETHERNET): Decision {
    return this.decisionOf(this.judgeOne(frame, tsNs, linktype, 1));
  }

  /** `judgeFrame`'s lean form: only the verdict, 1 allow, 0 deny. */
  judgeFrameVerdict(frame: Uint8Array, tsNs: bigint | number, linktype: number = LINKTYPE.ETHERNET): number {
    return this.judgeOne(frame, tsNs, linktype, 0);
  }

  private outputs(n: number, options: BatchOptions): BatchVerdicts {
    const o = options.out;
    if (o !== undefined) {
      const check = (name: string, a: unknown, T: typeof Uint8Array | typeof Int32Array) => {
        if (!(a instanceof T) || a.length < n) throw new ApiUsageError(`out.${name} must be a ${T.name} of at least ${n} entries`);
      };
      check('verdicts', o.verdicts, Uint8Array);
      check('reasons', o.reasons, Uint8Array);
      check('rules', o.rules, Int32Array);
      return { count: n, verdicts: o.verdicts, reasons: o.reasons, rules: o.rules };
    }
    let b = this.out;
    if (b.verdicts.length < n) {
      const size = Math.max(n, b.verdicts.length * 2, 1024);
      b = this.out = { count: 0, verdicts: new Uint8Array(size), reasons: new Uint8Array(size), rules: new Int32Array(size) };
    }
    return { count: n, verdicts: b.verdicts.subarray(0, n), reasons: b.reasons.subarray(0, n), rules: b.rules.subarray(0, n) };
  }

  private checkTimestamps(ts: BatchTimestamps, n: number): boolean {
    const f64 = ts instanceof Float64Array;
    if (!f64 && !(ts instanceof BigInt64Array)) throw new ApiUsageError('timestamps must be a BigInt64Array or a Float64Array of nanoseconds since the epoch');
    if (ts.length < n) throw new ApiUsageError(`timestamps has ${ts.length} entries for ${n} frames`);
    if (f64) {
      for (let i = 0; i < n; i++) {
        const t = ts[i]!;
        if (!(Number.isInteger(t) && t >= -TWO63 && t < TWO63)) timestampNs(t, `timestamps[${i}]`);
      }
    }
    return f64;
  }

  private copyOut(out: BatchVerdicts, base: number, m: number): void {
    if (this.u8.length === 0) this.views();
    const u8 = this.u8;
    out.verdicts.set(u8.subarray(this.verdictsPtr, this.verdictsPtr + m), base);
    out.reasons.set(u8.subarray(this.reasonsPtr, this.reasonsPtr + m), base);
    out.rules.set(this.i32.subarray(this.rulesPtr >> 2, (this.rulesPtr >> 2) + m), base);
  }

  private copyTimestamps(ts: BatchTimestamps, f64: boolean, base: number, m: number): void {
    if (f64) this.f64.set((ts as Float64Array).subarray(base, base + m), this.tsPtr >> 3);
    else this.i64.set((ts as BigInt64Array).subarray(base, base + m), this.tsPtr >> 3);
  }

  /**
   * Judge a batch of frames in order, each at its timestamp: an array of
   * frames (Uint8Array or Buffer each) or one packed buffer with offsets
   * (PackedFrames, the cheapest). One WASM entry per up to `batchCapacity`
   * frames (default 8192); nothing allocated per frame. A bad frame or
   * offset throws an ApiUsageError naming it; the chunks before its chunk
   * were judged. Returns verdicts,
   * deciding reasons and rules in typed arrays: the filter's own, reused by
   * the next batch call (copy to keep), or `options.out`.
   */
  judgeFrames(frames: readonly Uint8Array[] | PackedFrames, timestamps: BatchTimestamps, options: BatchOptions = {}): BatchVerdicts {
    const linktype = options.linktype ?? LINKTYPE.ETHERNET;
    if (linktype >>> 0 !== linktype) throw new ApiUsageError(`judgeFrames: linktype must be an integer 0-4294967295, got ${String(linktype)}`);
    const packed = !Array.isArray(frames);
    let data: Uint8Array | undefined;
    let offsets: Uint32Array | undefined;
    if (packed) {
      ({ data, offsets } = frames as PackedFrames);
      if (!(data instanceof Uint8Array)) throw new ApiUsageError('judgeFrames: frames must be an array of Uint8Array or { data: Uint8Array, offsets: Uint32Array }');
      if (!(offsets instanceof Uint32Array) || offsets.length < 1) throw new ApiUsageError('judgeFrames: frames.offsets must be a Uint32Array of (frames + 1) offsets into frames.data');
    }
    const list = frames as readonly Uint8Array[];
    const n = packed ? offsets!.length - 1 : list.length;
    const f64 = this.checkTimestamps(timestamps, n);
    const out = this.outputs(n, options);
    for (let base = 0; base < n;) {
      if (this.u8.length === 0) this.views();
      let m = 0;
      const limit = Math.min(this.cap, n - base);
      const offs = this.offsPtr >> 2;
      if (packed) {
        const lo = offsets![base]!;
        let fit = limit;
        let hi = offsets![base + limit]!;
        if (lo <= hi && hi <= data!.length && hi - lo > this.stagingSize) {
          // Larger than the staging region: the most frames whose bytes fit (binary search; the offsets are checked below).
          let a = 0;
          let b = limit;
          while (a < b) {
            const mid = (a + b + 1) >> 1;
            const o = offsets![base + mid]!;
            if (o >= lo && o - lo <= this.stagingSize) a = mid;
            else b = mid - 1;
          }
          fit = a;
          hi = offsets![base + a]!;
        }
        if (fit > 0 && lo <= hi && hi <= data!.length && hi - lo <= this.stagingSize) {
          // The chunk's offsets go as they are (the WASM side checks that they do not decrease and rebases them).
          this.u32.set(offsets!.subarray(base, base + fit + 1), offs);
          this.u8.set(data!.subarray(lo, hi), this.stagingPtr);
          this.copyTimestamps(timestamps, f64, base, fit);
          const r = this.x.libJudgeFrames(this.stagingPtr, this.offsPtr, lo, this.tsPtr, f64 ? 1 : 0, fit, linktype, this.verdictsPtr, this.reasonsPtr, this.rulesPtr);
          if (r < 0) this.badOffset(data!, offsets!, base, base + (r & 0x7fffffff));
          this.copyOut(out, base, fit);
          base += fit;
          continue;
        }
        if (lo > data!.length) throw new ApiUsageError(`judgeFrames: frames.offsets[${base}] = ${lo} is past the end of frames.data (${data!.length} bytes)`);
        for (; m < limit; m++) {
          const k = base + m;
          const a = offsets![k]!;
          const b = offsets![k + 1]!;
          if (b < a || b > data!.length) throw new ApiUsageError(`judgeFrames: frames.offsets[${k + 1}] = ${b}: offsets must not decrease and stay within frames.data (${data!.length} bytes)`);
          if (b - lo > this.stagingSize) {
            if (m > 0) break;
            this.growStaging(b - lo);
          }
          this.i32[offs + m] = a - lo;
        }
        const end = offsets![base + m]!;
        this.i32[offs + m] = end - lo;
        this.u8.set(data!.subarray(lo, end), this.stagingPtr);
      } else {
        let pos = 0;
        for (; m < limit; m++) {
          const f = list[base + m];
          if (!(f instanceof Uint8Array)) throw new ApiUsageError(`judgeFrames: frames[${base + m}] must be a Uint8Array (or Buffer)`);
          const len = f.length;
          if (pos + len > this.stagingSize) {
            if (m > 0) break;
            this.growStaging(len);
          }
          this.i32[offs + m] = pos;
          this.u8.set(f, this.stagingPtr + pos);
          pos += len;
        }
        this.i32[offs + m] = pos;
      }
      this.copyTimestamps(timestamps, f64, base, m);
      this.x.libJudgeFrames(this.stagingPtr, this.offsPtr, 0, this.tsPtr, f64 ? 1 : 0, m, linktype, this.verdictsPtr, this.reasonsPtr, this.rulesPtr);
      this.copyOut(out, base, m);
      base += m;
    }
    return out;
  }

  /** Throw the error the per-frame checks name for the first bad offset of frames.offsets[base..last] (the WASM side found offsets[last] below the one before it). */
  private badOffset(data: Uint8Array, offsets: Uint32Array, base: number, last: number): never {
    for (let k = base; k < last; k++) {
      const a = offsets[k]!;
      const b = offsets[k + 1]!;
      if (b < a || b > data.length) throw new ApiUsageError(`judgeFrames: frames.offsets[${k + 1}] = ${b}: offsets must not decrease and stay within frames.data (${data.length} bytes)`);
    }
    throw new ApiUsageError(`judgeFrames: frames.offsets[${last}] = ${offsets[last]!}: offsets must not decrease and stay within frames.data (${data.length} bytes)`);
  }

  /**
   * A zero-copy batch (InPlaceBatch): regions for up to `frames` frames of
   * `bytes` bytes in all, and their offsets and timestamps, in the filter's
   * WASM memory, for the caller to write into (`batch.views()`) and
   * `judgeInPlace` to judge in place. The regions are the filter's for its
   * life (make a batch once, fill and judge it many times).
   */
  createInPlaceBatch(options?: InPlaceBatchOptions<'bigint'>): InPlaceBatch<BigInt64Array>;
  createInPlaceBatch(options: InPlaceBatchOptions<'number'> & { timestamps: 'number' }): InPlaceBatch<Float64Array>;
  createInPlaceBatch(options: InPlaceBatchOptions = {}): InPlaceBatch<BatchTimestamps> {
    const frames = options.frames ?? this.cap;
    const bytes = options.bytes ?? 2 * 1024 * 1024;
    const kind = options.timestamps ?? 'bigint';
    if (!(Number.isInteger(frames) && frames >= 1 && frames <= MAX_BATCH_FRAMES)) throw new ApiUsageError(`createInPlaceBatch: frames must be an integer 1-${MAX_BATCH_FRAMES}, got ${String(frames)}`);
    if (!(Number.isInteger(bytes) && bytes >= 1 && bytes <= MAX_BATCH_BYTES)) throw new ApiUsageError(`createInPlaceBatch: bytes must be an integer 1-${MAX_BATCH_BYTES}, got ${String(bytes)}`);
    if (kind !== 'bigint' && kind !== 'number') throw new ApiUsageError(`createInPlaceBatch: timestamps must be 'bigint' or 'number', got ${String(kind)}`);
    const offsPtr = this.x.arenaAllocate((frames + 1) * 4);
    const tsPtr = this.x.arenaAllocate(frames * 8);
    const dataPtr = this.x.arenaAllocate(bytes);
    this.views();
    const batch = new InPlaceBatch<BatchTimestamps>(this.memory, dataPtr, offsPtr, tsPtr, frames, bytes, kind);
    this.inPlaceBatches.add(batch);
    return batch;
  }

  /**
   * Judge frames 0 to `count - 1` of `batch` (this filter's InPlaceBatch) in
   * order, where the caller wrote them: frame i is `data[offsets[i],
   * offsets[i + 1])` captured at `timestamps[i]` (as judgeFrames), read in
   * the filter's memory, nothing copied in. Offsets must not decrease and
   * `offsets[count]` stay within the batch's bytes; a bad one throws an
   * ApiUsageError naming it (the chunks of `batchCapacity` frames before its
   * chunk were judged). Results as judgeFrames gives them.
   */
  judgeInPlace(batch: InPlaceBatch<BatchTimestamps>, count: number, options: BatchOptions = {}): BatchVerdicts {
    if (!this.inPlaceBatches.has(batch)) throw new ApiUsageError('judgeInPlace: batch must be a InPlaceBatch made by this filter (createInPlaceBatch)');
    if (!(Number.isInteger(count) && count >= 0 && count <= batch.capacity)) throw new ApiUsageError(`judgeInPlace: count must be an integer 0-${batch.capacity} (the batch's capacity), got ${String(count)}`);
    // Views made before the memory grew are detached: what the caller wrote through them is lost, so judging now would judge stale bytes.
    if (batch.viewedBuffer === undefined) throw new ApiUsageError('judgeInPlace: batch.views() was never taken, so no frame was written; take it and write the frames first');
    if (batch.viewedBuffer !== this.memory.buffer) throw new ApiUsageError("judgeInPlace: the filter's memory grew after batch.views() was last taken (a judging call grew it), so anything written through those views since was lost; take batch.views() again after every judging call, before writing");
    const linktype = options.linktype ?? LINKTYPE.ETHERNET;
    if (linktype >>> 0 !== linktype) throw new ApiUsageError(`judgeInPlace: linktype must be an integer 0-4294967295, got ${String(linktype)}`);
    const f64 = batch.timestampKind === 'number';
    if (this.u8.length === 0) this.views();
    if (f64) this.checkTimestamps(new Float64Array(this.memory.buffer, batch.tsPtr, count), count);
    const out = this.outputs(count, options);
    for (let base = 0; base < count;) {
      const m = Math.min(this.cap, count - base);
      if (this.u32.length === 0) this.views();
      const end = this.u32[(batch.offsPtr >> 2) + base + m]!;
      if (end > batch.byteCapacity) throw new ApiUsageError(`judgeInPlace: offsets[${base + m}] = ${end} is past the end of the batch's data (${batch.byteCapacity} bytes)`);
      const r = this.x.libJudgeFrames(batch.dataPtr, batch.offsPtr + base * 4, 0, batch.tsPtr + base * 8, f64 ? 1 : 0, m, linktype, this.verdictsPtr, this.reasonsPtr, this.rulesPtr);
      if (r < 0 || r >= 0x80000000) {
        const k = base + ((r >>> 0) & 0x7fffffff);
        if (this.u32.length === 0) this.views();
        const offs = batch.offsPtr >> 2;
        throw new ApiUsageError(`judgeInPlace: offsets[${k}] = ${this.u32[offs + k]!} is below offsets[${k - 1}] = ${this.u32[offs + k - 1]!}: offsets must not decrease`);
      }
      this.copyOut(out, base, m);
      base += m;
    }
    return out;
  }

  /** One tuple judged: its verdict (`intern` 0) or its decision's intern code (1). */
  private tupleOne(tuple: PacketTuple, tsNs: bigint | number, intern: number): number {
    const big = typeof tsNs === 'bigint';
    // asIntN(64) is the cheap range check of a bigint (a few ns; two comparisons cost ~30).
    if (big ? BigInt.asIntN(64, tsNs as bigint) !== tsNs : !(Number.isInteger(tsNs) && (tsNs as number) >= -TWO63 && (tsNs as number) < TWO63)) timestampNs(tsNs);
    if (this.u8.length === 0) this.views();
    try {
      writeTupleRecord(this.dv, this.tupsPtr, tuple);
    } catch (e) {
      this.x.libClearTuples(1);
      throw e;
    }
    return big ? this.x.libJudgeTuple(tsNs, intern) : this.x.libJudgeTupleF(tsNs as number, intern);
  }

  /**
   * Judge a packet that has no frame (a proxy's connection, a simulator's
   * packet) at `tsNs` (as judgeFrame): the same record a frame of that
   * packet decodes to, and the same conntrack. Bad fields are a TupleError
   * naming the field. Addresses as text, or parsed already: an IPv4 number,
   * an IPv6 bigint (PacketTuple). The decision is interned, as judgeFrame's.
   */
  judgeTuple(tuple: PacketTuple, tsNs: bigint | number): Decision {
    return this.decisionOf(this.tupleOne(tuple, tsNs, 1));
  }

  /** `judgeTuple`'s lean form: only the verdict, 1 allow, 0 deny. */
  judgeTupleVerdict(tuple: PacketTuple, tsNs: bigint | number): number {
    return this.tupleOne(tuple, tsNs, 0);
  }

  /** A batch of tuples (as judgeTuple), results as judgeFrames gives them. A bad tuple throws before any of its chunk is judged. */
  judgeTuples(tuples: readonly PacketTuple[], timestamps: BatchTimestamps, options: BatchOptions = {}): BatchVerdicts {
    if (!Array.isArray(tuples)) throw new ApiUsageError('judgeTuples: tuples must be an array');
    const n = tuples.length;
    const f64 = this.checkTimestamps(timestamps, n);
    const out = this.outputs(n, options);
    for (let base = 0; base < n; base += this.cap) {
      const m = Math.min(this.cap, n - base);
      if (this.u8.length === 0) this.views();
      const i64 = this.i64;
      for (let i = 0; i < m; i++) {
        const k = base + i;
        const at = this.tupsPtr + i * REC.SIZE;
        try {
          writeTupleRecord(this.dv, at, tuples[k]!);
        } catch (e) {
          this.x.libClearTuples(i + 1);
          throw e instanceof TupleError ? new TupleError(`tuples[${k}].${e.field}`, e.detail) : e;
        }
        i64[(at + REC.TS) >> 3] = f64 ? BigInt((timestamps as Float64Array)[k]!) : (timestamps as BigInt64Array)[k]!;
      }
      this.x.libJudgeRecords(m, this.verdictsPtr, this.reasonsPtr, this.rulesPtr);
      this.copyOut(out, base, m);
    }
    return out;
  }

  /** Decision `i` of the engine's last batch (views re-checked: other calls between two yields may grow memory). */
  private decisionsOf(count: number): (i: number) => Decision {
    const at = this.engine.decisionView(count).byteOffset;
    return (i) => {
      const d = at + i * DECISION.SIZE;
      const code = this.x.libIntern(d);
      if (this.u8.length === 0) this.views();
      return this.cache.decision(code, this.u8, d);
    };
  }

  private superseded(epoch: number): void {
    if (epoch !== this.captureEpoch) throw new ApiUsageError('this capture iteration was superseded by another capture call on the same filter (judge one capture at a time)');
  }

  /** One scanned batch of a capture judged and handed out packet by packet (judgeCapture, judgeStream). */
  private *judgedBatch(epoch: number, buf: Uint8Array, batch: FrameBatch, interfaces: readonly CaptureInterface[]): Generator<JudgedFrame> {
    this.superseded(epoch);
    this.engine.runBatch(buf, batch, interfaces, this.engine.allShards);
    const decision = this.decisionsOf(batch.count);
    for (let i = 0; i < batch.count; i++) {
      yield { n: batch.firstN + i, ts: frameTime(interfaces, batch.iface(i), batch.tsA(i), batch.tsB(i)).tsText, decision: decision(i) };
      this.superseded(epoch);
    }
  }

  /**
   * Judge every frame of a pcap/pcapng capture held in memory, in order.
   * Throws the capture's PcapError after yielding the packets before the damage.
   */
  *judgeCapture(capture: Uint8Array): Generator<JudgedFrame> {
    const epoch = ++this.captureEpoch;
    this.engine.newCapture();
    const reader = new CaptureReader(capture, { batchSize: this.engine.capacity });
    for (const { buf, batch, interfaces } of reader.batches()) yield* this.judgedBatch(epoch, buf, batch, interfaces);
  }

  /**
   * A capture that need not fit in memory: a file path, a Node Readable (or
   * any async iterable of byte chunks), pcap or pcapng. Decisions come in
   * capture order, with memory bounded by one read chunk (or one larger
   * block); after damage, the packets before it are yielded, then the
   * capture's PcapError (naming the byte offset) is thrown.
   */
  async *judgeStream(source: StreamSource, options: { file?: string; chunkSize?: number } = {}): AsyncGenerator<JudgedFrame> {
    const epoch = ++this.captureEpoch;
    this.engine.newCapture();
    for await (const { buf, batch, interfaces } of judgeStream(source, { batchSize: this.engine.capacity, ...options })) yield* this.judgedBatch(epoch, buf, batch, interfaces);
  }

  /**
   * `judgeStream`'s lean form: the same capture sources, the same order and
   * errors, but one result per scanned batch (up to `batchCapacity` packets)
   * in typed arrays, as judgeFrames gives them (verdicts, deciding reasons,
   * deciding rules), with `first`, the 1-based number of the batch's first
   * packet — no object per packet. The arrays are this iteration's own,
   * reused by its next batch (copy to keep).
   */
  async *judgeStreamBatches(source: StreamSource, options: { file?: string; chunkSize?: number } = {}): AsyncGenerator<StreamVerdicts> {
    const epoch = ++this.captureEpoch;
    this.engine.newCapture();
    const verdicts = new Uint8Array(this.cap);
    const reasons = new Uint8Array(this.cap);
    const rules = new Int32Array(this.cap);
    const result = (n: number, first: number): StreamVerdicts => {
      this.x.libExtract(this.engine.decisionView(n).byteOffset, n, this.verdictsPtr, this.reasonsPtr, this.rulesPtr);
      const out = { count: n, first, verdicts: verdicts.subarray(0, n), reasons: reasons.subarray(0, n), rules: rules.subarray(0, n) };
      this.copyOut(out, 0, n);
      return out;
    };
    if (typeof source === 'string' && options.file === undefined && options.chunkSize === undefined && isRegularFile(source)) {
      // A regular file: read straight into the engine's staging region and scanned there, as the replay
      // reads (stream.ts: no copy of the frames, the WASM record walk for pcap; its reads are synchronous,
      // from the page cache, so not for pipes); memory bounded by that region.
      const it = new WasmCaptureStream(this.engine, source).batches();
      try {
        for (;;) {
          this.superseded(epoch); // before the reader looks at its region again: another capture call may have used it
          const r = it.next();
          if (r.done) return;
          const n = r.value.batch.count;
          this.engine.runPrepared(n, r.value.interfaces, this.engine.allShards);
          yield result(n, r.value.batch.firstN);
        }
      } finally {
        it.return(undefined);
      }
    }
    for await (const { buf, batch, interfaces } of judgeStream(source, { batchSize: this.engine.capacity, ...options })) {
      this.superseded(epoch);
      const n = batch.count;
      if (n === 0) continue;
      this.engine.runBatch(buf, batch, interfaces, this.engine.allShards);
      yield result(n, batch.firstN);
    }
  }

  /**
   * The hot path for a capture in memory: only verdicts, one byte per packet
   * (1 allow, 0 deny), no object per packet. Throws the capture's PcapError
   * after judging the packets before the damage.
   */
  verdicts(capture: Uint8Array): Uint8Array {
    ++this.captureEpoch;
    this.engine.newCapture();
    const reader = new CaptureReader(capture, { batchSize: this.engine.capacity });
    let out = new Uint8Array(1024);
    let n = 0;
    for (const { buf, batch, interfaces } of reader.batches()) {
      this.engine.runBatch(buf, batch, interfaces, this.engine.allShards);
      if (n + batch.count > out.length) {
        const bigger = new Uint8Array(Math.max(out.length * 2, n + batch.count));
        bigger.set(out.subarray(0, n));
        out = bigger;
      }
      const u8 = new Uint8Array(this.engine.inst.memory.buffer, this.engine.decisionView(batch.count).byteOffset, batch.count * DECISION.SIZE);
      for (let i = 0; i < batch.count; i++) out[n + i] = u8[i * DECISION.SIZE + DECISION.VERDICT]!;
      n += batch.count;
    }
    return out.subarray(0, n);
  }

  /** Conntrack drops and peaks so far. */
  stats(): { conntrackFull: number; fragmentsNotRemembered: number; conntrackPeak: Record<string, number> } {
    const c = this.engine.counters();
    return { conntrackFull: c.conntrackFull, fragmentsNotRemembered: c.fragmentsNotRemembered, conntrackPeak: this.engine.conntrackPeak() };
  }
}

/** Build a filter once; judge packets many times. */
export function createFilter(topology: Topology, options: FilterOptions = {}): Filter {
  return new Filter(topology, options);
}

