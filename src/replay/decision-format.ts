/**
 * Decisions without an object per packet: the fixed-size decision record
 * (DREC, the record of the binary decisions format, docs/decisions.md), how
 * the replay fills it from the WASM engine's records (fillRecord, readable;
 * RecordFiller, a batch in one WASM call) or from a reference §9 object, and
 * the JSON-lines encoder that turns records into exactly the bytes
 * `decisionLine()` gives (JsonlEncoder, in WASM: assembly/decisions.ts).
 *
 * A record names its interface and rule by index into the string tables of
 * the file's header (DecisionTables): the topology's interfaces in order and
 * the distinct (group, rule) pairs of the compiled lists. The codes of
 * verdicts, directions and reasons are the WASM engine's (src/wasm/layout.ts);
 * the header carries their words too, so a file is read without this code.
 */
import type { CompiledTable } from '../compile/compile.js';
import type { Decision, Hop } from '../model/decision.js';
import type { Topology } from '../model/topology.js';
import { MAX_CAPTURE_INTERFACES, type CaptureInterface, type FrameBatch } from '../pcap/scanner.js';
import { TS_KIND } from '../pcap/format.js';
import { tsText, tsToNs } from '../pcap/timestamp.js';
import { DECISION, DHOP, DIR, DREC, HOP, HOP_REASON, JSONL_BODY, PACKET_REASON, VERDICT } from '../wasm/layout.js';
import { InternalError } from '../model/errors.js';
import { WasmInstance, type SgfExports } from '../wasm/loader.js';
import type { WasmEngine } from './wasm-engine.js';
import { DecisionIndex, decisionIndex, HOP_REASONS, PACKET_REASONS } from './decision-record.js';

// DREC, the decision record (56 bytes, little-endian: packet number,
// timestamp text as integers, verdict, reason, two 12-byte hops DHOP), and
// JSONL_BODY, the encoder's body-cache entry, are declared once in
// layout/layouts.json and drawn in the generated src/wasm/layout.ts, like
// every layout the host and the module share.
export { DHOP, DREC };

/** RULE of a hop no rule decided. */
export const NO_RULE = 0xffffffff;

/** Largest fraction digits a timestamp text has (pcapng if_tsresol 10^-20 at most reaches 2^64). */
export const MAX_TS_DIGITS = 20;

/** What the indexes and codes of records mean: the string tables of a decisions file's header. */
export interface DecisionTables {
  /** By verdict code. */
  verdicts: string[];
  /** By direction code. */
  dirs: string[];
  /** By packet-reason code ('' for "judged at interfaces"). */
  packetReasons: string[];
  /** By hop-reason code. */
  hopReasons: string[];
  /** Interface ids, by index. */
  interfaces: string[];
  /** [group, rule] by index. */
  rules: [string, string][];
}

function wordsByCode(codes: Record<string, number>, word: (k: string) => string): string[] {
  const out: string[] = [];
  for (const [k, c] of Object.entries(codes)) out[c] = word(k);
  return Array.from(out, (w) => w ?? '');
}

/** The tables of a topology and its compiled lists, and each list's rule indexes. */
export class RecordTables {
  readonly tables: DecisionTables;
  /** [list][position] -> rule index. */
  readonly ruleRefs: Uint32Array[];
  readonly index: DecisionIndex;
  private readonly refOf = new Map<string, number>();

  constructor(readonly topology: Topology, readonly compiled: CompiledTable) {
    this.index = decisionIndex(topology, compiled);
    const rules: [string, string][] = [];
    this.ruleRefs = compiled.meta.lists.map((l) => Uint32Array.from(l.rules, ([g, r]) => {
      const key = `${g}\u0000${r}`;
      let ref = this.refOf.get(key);
      if (ref === undefined) {
        ref = rules.length;
        rules.push([g, r]);
        this.refOf.set(key, ref);
      }
      return ref;
    }));
    this.tables = {
      verdicts: wordsByCode({ DENY: VERDICT.DENY, ALLOW: VERDICT.ALLOW }, (k) => k.toLowerCase()),
      dirs: wordsByCode(DIR, (k) => k.toLowerCase()),
      packetReasons: wordsByCode(PACKET_REASON, (k) => PACKET_REASONS[PACKET_REASON[k as keyof typeof PACKET_REASON]] ?? ''),
      hopReasons: wordsByCode(HOP_REASON, (k) => HOP_REASONS[HOP_REASON[k as keyof typeof HOP_REASON]]!),
      interfaces: topology.interfaces.map((x) => x.id),
      rules,
    };
  }

  /** The rule index of (group, rule); NO_RULE when the compiled lists do not hold it. */
  ruleRef(group: string, rule: string): number {
    return this.refOf.get(`${group}\u0000${rule}`) ?? NO_RULE;
  }
}

const tables = new WeakMap<CompiledTable, RecordTables>();

/** The RecordTables of a compiled table (made once per table and topology). */
export function recordTables(topology: Topology, compiled: CompiledTable): RecordTables {
  let t = tables.get(compiled);
  if (!t || t.topology !== topology) {
    t = new RecordTables(topology, compiled);
    tables.set(compiled, t);
  }
  return t;
}

const TWO32 = 4294967296;

/** Write the timestamp fields of the record at `at` for raw words (a, b) of an interface's clock: the parts of `tsText`. */
export function setRecordTs(dv: DataView, at: number, iface: CaptureInterface, a: number, b: number): void {
  const clock = iface.clock;
  // Fast paths: a pcap pair whose fraction is in range cannot wrap (A·1e9 + B·1000 < 2^63).
  if (clock.kind === TS_KIND.PAIR_US && b >>> 0 < 1_000_000) {
    setParts(dv, at, a >>> 0, 0, b >>> 0, 0, 6, 0);
    return;
  }
  if (clock.kind === TS_KIND.PAIR_NS && b >>> 0 < 1_000_000_000) {
    setParts(dv, at, a >>> 0, 0, b >>> 0, 0, 9, 0);
    return;
  }
  setRecordTsText(dv, at, tsText(clock, a, b, tsToNs(clock, a, b)));
}

/** The timestamp fields from a timestamp text (`-`? digits [`.` digits]). */
export function setRecordTsText(dv: DataView, at: number, text: string): void {
  const neg = text.startsWith('-') ? 1 : 0;
  const dot = text.indexOf('.');
  const secText = text.slice(neg, dot < 0 ? text.length : dot);
  const fracText = dot < 0 ? '' : text.slice(dot + 1);
  const sec = BigInt(secText);
  const frac = fracText === '' ? 0n : BigInt(fracText);
  dv.setBigUint64(at + DREC.TS_SEC, sec, true);
  dv.setBigUint64(at + DREC.TS_FRAC, frac, true);
  dv.setUint8(at + DREC.TS_DIGITS, fracText.length);
  dv.setUint8(at + DREC.TS_NEG, neg);
}

function setParts(dv: DataView, at: number, secLo: number, secHi: number, fracLo: number, fracHi: number, digits: number, neg: number): void {
  dv.setUint32(at + DREC.TS_SEC, secLo, true);
  dv.setUint32(at + DREC.TS_SEC + 4, secHi, true);
  dv.setUint32(at + DREC.TS_FRAC, fracLo, true);
  dv.setUint32(at + DREC.TS_FRAC + 4, fracHi, true);
  dv.setUint8(at + DREC.TS_DIGITS, digits);
  dv.setUint8(at + DREC.TS_NEG, neg);
}

function setN(dv: DataView, at: number, n: number): void {
  dv.setUint32(at + DREC.N, n >>> 0, true);
  dv.setUint32(at + DREC.N + 4, Math.floor(n / TWO32), true);
}

/**
 * Fill record `slot` of `out` from WASM decision record `i` of `dv` (packet
 * `n`, frame `i` of `batch`). Returns false (writing nothing) for a packet
 * another shard owner judges. The readable form of RecordFiller (which the
 * replay uses; the tests hold the two equal).
 */
export function fillRecord(out: DataView, slot: number, dv: DataView, i: number, n: number, batch: FrameBatch, interfaces: readonly CaptureInterface[], t: RecordTables): boolean {
  const src = i * DECISION.SIZE;
  const verdict = dv.getUint8(src + DECISION.VERDICT);
  if (verdict === VERDICT.NOT_MINE) return false;
  const at = slot * DREC.SIZE;
  setN(out, at, n);
  setRecordTs(out, at, interfaces[batch.iface(i)]!, batch.tsA(i), batch.tsB(i));
  const reason = dv.getUint8(src + DECISION.REASON);
  const nh = reason === PACKET_REASON.HOPS ? dv.getUint8(src + DECISION.NHOPS) : 0;
  out.setUint8(at + DREC.VERDICT, verdict);
  out.setUint8(at + DREC.REASON, reason);
  out.setUint32(at + DREC.NHOPS, nh, true); // NHOPS and the zero pad
  for (let k = 0; k < DREC.MAX_HOPS; k++) {
    const h = at + DREC.HOP0 + k * DHOP.SIZE;
    if (k >= nh) {
      out.setUint32(h, 0, true);
      out.setUint32(h + 4, 0, true);
      out.setUint32(h + 8, 0, true);
      continue;
    }
    const s = src + DECISION.HOP0 + k * HOP.SIZE;
    const iface = dv.getUint32(s + HOP.IFACE, true);
    const dir = dv.getUint8(s + HOP.DIR);
    const hr = dv.getUint8(s + HOP.REASON);
    const pos = dv.getInt32(s + HOP.RULE, true);
    out.setUint32(h + DHOP.IFACE, iface, true);
    out.setUint32(h + DHOP.DIR, dir | (dv.getUint8(s + HOP.VERDICT) << 8) | (hr << 16), true);
    out.setUint32(h + DHOP.RULE, hr === HOP_REASON.RULE && pos >= 0 ? t.ruleRefs[t.index.listOf(iface, dir)]![pos]! : NO_RULE, true);
  }
  return true;
}

/** drecFill's clock codes and host-timestamp marker (assembly/decisions.ts). */
const DK = { OTHER: 0, US: 1, NS: 2 } as const;
const TS_HOST = 0xff;

/**
 * `fillRecord` for a whole batch, in the engine's WASM instance
 * (assembly/decisions.ts drecFill): `fill()` gives the records of the
 * batch's packets this engine judged, packed in packet order (a packet
 * another shard owner judges has none). Timestamps of clocks other than a
 * plain pcap pair (and fractions out of range) are written here with
 * setRecordTs, as fillRecord writes them. Its regions come from the engine's
 * arena.
 */
export class RecordFiller {
  private readonly kinds: number;
  private readonly hopLists: number;
  private readonly refs: number;
  private readonly out: number;

  constructor(readonly engine: WasmEngine, t: RecordTables, readonly capacity: number) {
    const inst = engine.inst;
    const alloc = inst.exports.arenaAllocate;
    this.kinds = alloc(MAX_CAPTURE_INTERFACES) >>> 0;
    const nIfaces = t.topology.interfaces.length;
    this.hopLists = alloc(Math.max(1, nIfaces) * 2 * 4) >>> 0;
    const refWords = t.ruleRefs.reduce((n, r) => n + r.length, 0);
    this.refs = alloc(Math.max(1, refWords) * 4) >>> 0;
    this.out = alloc(capacity * DREC.SIZE) >>> 0;
    const dv = inst.view();
    const listAt: number[] = [];
    let w = 0;
    for (const r of t.ruleRefs) {
      listAt.push(w);
      for (let pos = 0; pos < r.length; pos++) dv.setUint32(this.refs + (w + pos) * 4, r[pos]!, true);
      w += r.length;
    }
    for (let i = 0; i < nIfaces * 2; i++) {
      const list = t.index.lists[i]!;
      dv.setInt32(this.hopLists + i * 4, list >= 0 ? listAt[list]! : -1, true);
    }
  }

  /** The records of the batch the engine just judged (`decisions`: its decisionView), packed; valid until the next engine call. */
  fill(decisions: DataView, batch: FrameBatch, interfaces: readonly CaptureInterface[]): DataView {
    const inst = this.engine.inst;
    const n = batch.count;
    if (n > this.capacity) throw new InternalError(`RecordFiller: a batch of ${n} packets, capacity ${this.capacity}`);
    const u8 = inst.u8();
    for (let k = 0; k < interfaces.length && k < MAX_CAPTURE_INTERFACES; k++) {
      const kind = interfaces[k]!.clock.kind;
      u8[this.kinds + k] = kind === TS_KIND.PAIR_US ? DK.US : kind === TS_KIND.PAIR_NS ? DK.NS : DK.OTHER;
    }
    const x = inst.exports;
    const k = x.drecFill(decisions.byteOffset, batch.desc.byteOffset, n, batch.firstN, this.kinds, this.hopLists, this.refs, this.out) >>> 0;
    const dv = new DataView(inst.memory.buffer, this.out, k * DREC.SIZE);
    if (x.drecHostTs() !== 0) {
      for (let r = 0; r < k; r++) {
        const at = r * DREC.SIZE;
        if (dv.getUint8(at + DREC.TS_DIGITS) !== TS_HOST) continue;
        const i = dv.getUint32(at + DREC.N, true) + dv.getUint32(at + DREC.N + 4, true) * TWO32 - batch.firstN;
        setRecordTs(dv, at, interfaces[batch.iface(i)]!, batch.tsA(i), batch.tsB(i));
      }
    }
    return dv;
  }
}

/** Fill record `slot` from a §9 decision (the reference engine) of packet `n` with timestamp text `ts`. */
export function fillRecordFromDecision(out: DataView, slot: number, n: number, ts: string, d: Decision, t: RecordTables): void {
  const at = slot * DREC.SIZE;
  new Uint8Array(out.buffer, out.byteOffset + at, DREC.SIZE).fill(0);
  setN(out, at, n);
  setRecordTsText(out, at, ts);
  out.setUint8(at + DREC.VERDICT, d.verdict === 'allow' ? VERDICT.ALLOW : VERDICT.DENY);
  out.setUint8(at + DREC.REASON, d.reason ? PACKET_REASONS.indexOf(d.reason) : PACKET_REASON.HOPS);
  out.setUint8(at + DREC.NHOPS, d.hops.length);
  d.hops.forEach((hop, k) => {
    const h = at + DREC.HOP0 + k * DHOP.SIZE;
    out.setUint32(h + DHOP.IFACE, t.index.ifaceIndex.get(hop.iface)!, true);
    out.setUint8(h + DHOP.DIR, hop.dir === 'ingress' ? DIR.INGRESS : DIR.EGRESS);
    out.setUint8(h + DHOP.VERDICT, hop.verdict === 'allow' ? VERDICT.ALLOW : VERDICT.DENY);
    out.setUint8(h + DHOP.REASON, HOP_REASONS.indexOf(hop.reason));
    out.setUint32(h + DHOP.RULE, hop.group !== undefined && hop.rule !== undefined ? t.ruleRef(hop.group, hop.rule) : NO_RULE, true);
  });
}

/** A u64 field as a number when it is exact, else a bigint. */
export function getU64(dv: DataView, at: number): number | bigint {
  const lo = dv.getUint32(at, true);
  const hi = dv.getUint32(at + 4, true);
  return hi < 0x200000 ? hi * TWO32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
}

/** The timestamp text of the record at `at`. */
export function recordTsText(dv: DataView, at: number): string {
  const digits = dv.getUint8(at + DREC.TS_DIGITS);
  const sec = getU64(dv, at + DREC.TS_SEC).toString();
  const frac = digits > 0 ? '.' + getU64(dv, at + DREC.TS_FRAC).toString().padStart(digits, '0') : '';
  return (dv.getUint8(at + DREC.TS_NEG) ? '-' : '') + sec + frac;
}

/** The §9 decision of the record at `at` (codes and indexes must be in the tables' range). */
export function recordDecision(dv: DataView, at: number, tb: DecisionTables): Decision {
  const verdict = tb.verdicts[dv.getUint8(at + DREC.VERDICT)] as Decision['verdict'];
  const reason = tb.packetReasons[dv.getUint8(at + DREC.REASON)]!;
  const d: Decision = reason ? { verdict, reason: reason as NonNullable<Decision['reason']>, hops: [] } : { verdict, hops: [] };
  const nh = dv.getUint8(at + DREC.NHOPS);
  for (let k = 0; k < nh; k++) {
    const h = at + DREC.HOP0 + k * DHOP.SIZE;
    const hop: Hop = {
      iface: tb.interfaces[dv.getUint32(h + DHOP.IFACE, true)]!,
      dir: tb.dirs[dv.getUint8(h + DHOP.DIR)] as Hop['dir'],
      verdict: tb.verdicts[dv.getUint8(h + DHOP.VERDICT)] as Hop['verdict'],
      reason: tb.hopReasons[dv.getUint8(h + DHOP.REASON)] as Hop['reason'],
    };
    const rule = dv.getUint32(h + DHOP.RULE, true);
    if (rule !== NO_RULE) {
      const [g, r] = tb.rules[rule]!;
      hop.group = g;
      hop.rule = r;
    }
    d.hops.push(hop);
  }
  return d;
}

const enc = new TextEncoder();

/** Bodies kept in the WASM encoder's cache (then new ones are made for each record); its table has twice as many slots. */
const BODY_CACHE_MAX = 1 << 15;
/** Bytes of cached bodies at most. */
const ARENA_BYTES = 8 << 20;
const BODY_SLOTS = BODY_CACHE_MAX * 2;
/** assembly/decisions.ts: jsonlEncode's statuses. */
const JS = { DONE: 0, FULL: 1, NEED_BODY: 2 } as const;

/** Regions of a writer's WASM instance: the lanes' records as copied in, and merged. */
class LaneRegions {
  private inPtr = 0;
  private inBytes = 0;
  private outPtr = 0;
  private outBytes = 0;
  private countsPtr = 0;
  constructor(readonly wasm: WasmInstance) {}

  /** `bytes` of input room; its pointer. */
  input(bytes: number): number {
    if (bytes > this.inBytes) {
      this.inBytes = Math.max(bytes, 8192 * DREC.SIZE);
      this.inPtr = this.wasm.alloc(this.inBytes, 64);
    }
    return this.inPtr;
  }

  /** Records `first .. first + count` of `dv`, copied in; their pointer. */
  copyIn(dv: DataView, first: number, count: number): number {
    const ptr = this.input(count * DREC.SIZE);
    this.wasm.u8().set(new Uint8Array(dv.buffer, dv.byteOffset + first * DREC.SIZE, count * DREC.SIZE), ptr);
    return ptr;
  }

  /**
   * A decisions ring slot's lanes (decision-writer.ts): lane l's `counts[l]`
   * packed records at `l × laneBytes` in `dv`, copied in and merged in packet
   * order (assembly/decisions.ts drecMerge). Returns their pointer and count.
   */
  merge(dv: DataView, laneBytes: number, counts: readonly number[]): { ptr: number; count: number } {
    const total = counts.reduce((a, b) => a + b, 0);
    if (counts.length === 1) return { ptr: this.copyIn(dv, 0, total), count: total };
    const inPtr = this.input(total * DREC.SIZE);
    if (total * DREC.SIZE > this.outBytes) {
      this.outBytes = Math.max(total * DREC.SIZE, 8192 * DREC.SIZE);
      this.outPtr = this.wasm.alloc(this.outBytes, 64);
    }
    if (this.countsPtr === 0) this.countsPtr = this.wasm.alloc(32 * 4, 16);
    const u8 = this.wasm.u8();
    const dvw = this.wasm.view();
    let at = inPtr;
    counts.forEach((c, l) => {
      u8.set(new Uint8Array(dv.buffer, dv.byteOffset + l * laneBytes, c * DREC.SIZE), at);
      dvw.setUint32(this.countsPtr + l * 4, c, true);
      at += c * DREC.SIZE;
    });
    const n = this.wasm.exports.drecMerge(inPtr, this.countsPtr, counts.length, this.outPtr);
    if (n !== total) throw new InternalError(`drecMerge: ${n} records of ${total} (${counts.length} lanes)`);
    return { ptr: this.outPtr, count: total };
  }
}

/**
 * The binary format's records from a decisions ring's slot, in a WASM
 * instance of its own: the lanes' packed records merged in packet order.
 */
export class LaneMerger {
  private readonly regions = new LaneRegions(new WasmInstance('release'));

  /** See LaneRegions.merge; the records, valid until the next call. */
  merge(dv: DataView, laneBytes: number, counts: readonly number[]): Uint8Array {
    const { ptr, count } = this.regions.merge(dv, laneBytes, counts);
    return this.regions.wasm.u8().subarray(ptr, ptr + count * DREC.SIZE);
  }
}

/**
 * Records -> JSON lines, byte-identical to `decisionLine(n, ts, decision)`.
 * The lines are made by the WASM module (assembly/jsonl.ts), in an instance
 * of its own, into one reused output region that is handed to `sink` (with
 * its number of complete lines; the bytes are valid only during the call)
 * when it is nearly full and on `flush()`. What repeats is made once: each
 * distinct decision body (verdict, reason and hops: everything after the
 * timestamp), which this class writes when the module first meets it (the
 * module keeps it in an open-addressing table keyed by the record's bytes),
 * and the seconds of the timestamp; the packet number and the timestamp are
 * formatted as 64-bit integers, so no value loses precision.
 */
export class JsonlEncoder {
  private readonly wasm: WasmInstance;
  private readonly x: SgfExports;
  private readonly regions: LaneRegions;
  private outPtr: number;
  private outBytes: number;
  private pos: number;
  private loosePtr = 0;
  private looseBytes = 0;
  private readonly hopTexts = new Map<string, string>();

  constructor(readonly tables: DecisionTables, private readonly sink: (bytes: Uint8Array, lines: number) => void, readonly bufferBytes = 1 << 20) {
    this.wasm = new WasmInstance('release');
    this.x = this.wasm.exports;
    this.regions = new LaneRegions(this.wasm);
    const tab = this.wasm.alloc(BODY_SLOTS * JSONL_BODY.SIZE, 64);
    const arena = this.wasm.alloc(ARENA_BYTES, 64);
    this.x.jsonlInit(tab, BODY_SLOTS, arena, arena + ARENA_BYTES, BODY_CACHE_MAX);
    this.outBytes = Math.max(bufferBytes, 4096);
    this.outPtr = this.wasm.alloc(this.outBytes, 64);
    this.pos = this.outPtr;
  }

  /** Encode `count` records of `dv` from record index `first`. */
  encode(dv: DataView, first: number, count: number): void {
    if (count > 0) this.run(this.regions.copyIn(dv, first, count), count);
  }

  /** Encode a decisions ring slot's records: lane l's `counts[l]` at `l × laneBytes` in `dv`, merged in packet order. */
  encodeLanes(dv: DataView, laneBytes: number, counts: readonly number[]): void {
    const { ptr, count } = this.regions.merge(dv, laneBytes, counts);
    if (count > 0) this.run(ptr, count);
  }

  private run(inPtr: number, count: number): void {
    const x = this.x;
    let r = 0;
    for (;;) {
      r = x.jsonlEncode(inPtr, r, count, this.pos, this.outPtr + this.outBytes);
      this.pos = x.jsonlOut() >>> 0;
      const status = x.jsonlStatus();
      if (status === JS.DONE) return;
      if (status === JS.FULL) {
        if (this.pos > this.outPtr) this.flush();
        else this.growOutput(); // one line longer than the region (a body too large for the cache)
        continue;
      }
      // JS.NEED_BODY: record r's body is not cached.
      const body = this.encodeBody(this.wasm.view(), inPtr + r * DREC.SIZE);
      const room = x.jsonlBodyRoom(body.length) >>> 0;
      if (room !== 0) {
        this.wasm.u8().set(body, room);
        x.jsonlBodyAdd(body.length);
      } else {
        if (body.length > this.looseBytes) {
          this.looseBytes = Math.max(body.length, 4096);
          this.loosePtr = this.wasm.alloc(this.looseBytes + 16, 16); // the module may read 15 bytes past a body
        }
        this.wasm.u8().set(body, this.loosePtr);
        x.jsonlLoose(this.loosePtr, body.length);
      }
    }
  }

  private growOutput(): void {
    this.outBytes *= 2;
    this.outPtr = this.wasm.alloc(this.outBytes, 64);
    this.pos = this.outPtr;
  }

  /** Hand what is buffered to the sink. */
  flush(): void {
    if (this.pos === this.outPtr) return;
    const lines = this.x.jsonlTake() >>> 0;
    const bytes = this.wasm.u8().subarray(this.outPtr, this.pos);
    this.pos = this.outPtr;
    this.sink(bytes, lines);
  }

  private hopJson(dv: DataView, h: number): string {
    const tb = this.tables;
    const rule = dv.getUint32(h + DHOP.RULE, true);
    const k = `${dv.getUint32(h + DHOP.IFACE, true)},${dv.getUint32(h + DHOP.DIR, true)},${rule}`;
    const hit = this.hopTexts.get(k);
    if (hit !== undefined) return hit;
    let s = `{"iface":${JSON.stringify(tb.interfaces[dv.getUint32(h + DHOP.IFACE, true)])},"dir":"${tb.dirs[dv.getUint8(h + DHOP.DIR)]}","verdict":"${tb.verdicts[dv.getUint8(h + DHOP.VERDICT)]}","reason":"${tb.hopReasons[dv.getUint8(h + DHOP.REASON)]}"`;
    if (rule !== NO_RULE) {
      const [g, r] = tb.rules[rule]!;
      s += `,"group":${JSON.stringify(g)},"rule":${JSON.stringify(r)}`;
    }
    s += '}';
    if (this.hopTexts.size < BODY_CACHE_MAX) this.hopTexts.set(k, s);
    return s;
  }

  /** The body (`","verdict":…,"hops":[…]}\n`) of the record at byte `at` of `dv`. */
  private encodeBody(dv: DataView, at: number): Uint8Array {
    const tb = this.tables;
    const word = tb.packetReasons[dv.getUint8(at + DREC.REASON)];
    const nh = dv.getUint8(at + DREC.NHOPS);
    let s = `","verdict":"${tb.verdicts[dv.getUint8(at + DREC.VERDICT)]}"${word ? `,"reason":"${word}"` : ''},"hops":[`;
    for (let k = 0; k < nh; k++) s += (k > 0 ? ',' : '') + this.hopJson(dv, at + DREC.HOP0 + k * DHOP.SIZE);
    return enc.encode(s + ']}\n');
  }
}
