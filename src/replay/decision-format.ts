/**
 * Decisions without an object per packet: the fixed-size decision record
 * (DREC, the record of the binary decisions format, docs/decisions.md), how
 * the replay fills it from the WASM engine's records (or from a reference
 * §9 object), and the JSON-lines encoder that turns records into exactly the
 * bytes `decisionLine()` gives, through reused buffers and cached fragments.
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
import type { CaptureInterface, FrameBatch } from '../pcap/scanner.js';
import { TS_KIND } from '../pcap/format.js';
import { tsText, tsToNs } from '../pcap/timestamp.js';
import { DECISION, DIR, HOP, HOP_REASON, PACKET_REASON, VERDICT } from '../wasm/layout.js';
import { DecisionIndex, decisionIndex, HOP_REASONS, PACKET_REASONS } from './decision-record.js';

/**
 * The decision record (56 bytes, little-endian):
 *
 *   off  size  field      meaning
 *     0     8  N          u64 packet number (1-based, capture order)
 *     8     8  TS_SEC     u64 |seconds| of the timestamp text
 *    16     8  TS_FRAC    u64 the fraction digits as an integer
 *    24     1  TS_DIGITS  u8 digits of the fraction (0: no '.')
 *    25     1  TS_NEG     u8 1: the text starts with '-'
 *    26     1  VERDICT    u8 verdict code (0 deny, 1 allow)
 *    27     1  REASON     u8 packet-reason code (0: judged at interfaces, see the hops)
 *    28     1  NHOPS      u8 hops (0-2)
 *    29     3  -          zero
 *    32    12  HOP0       hop[2]: u32 IFACE, u8 DIR, u8 VERDICT, u8 REASON, u8 zero, u32 RULE
 */
export const DREC = {
  N: 0,
  TS_SEC: 8,
  TS_FRAC: 16,
  TS_DIGITS: 24,
  TS_NEG: 25,
  VERDICT: 26,
  REASON: 27,
  NHOPS: 28,
  HOP0: 32,
  MAX_HOPS: DECISION.MAX_HOPS,
  SIZE: 32 + DECISION.MAX_HOPS * 12,
} as const;

/** A hop inside a record (offsets from the hop). */
export const DHOP = { IFACE: 0, DIR: 4, VERDICT: 5, REASON: 6, RULE: 8, SIZE: 12 } as const;

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
 * another shard owner judges.
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
const HEAD = enc.encode('{"n":');
const TS = enc.encode(',"ts":"');
/** Digits of 0..99, two bytes each. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + Math.floor(i / 10);
  PAIRS[2 * i + 1] = 48 + (i % 10);
}

/** Bodies kept (then new ones are encoded each time); the table has twice as many slots. */
const BODY_CACHE_MAX = 1 << 15;
/** Bytes of cached bodies at most. */
const ARENA_BYTES = 8 << 20;
const BODY_SLOTS = BODY_CACHE_MAX * 2;
/** Key words of a body: verdict|reason<<8|nhops<<16, then per hop: IFACE, DIR..REASON word, RULE. */
const KEY_WORDS = 1 + 3 * DREC.MAX_HOPS;

/**
 * Records -> JSON lines, byte-identical to `decisionLine(n, ts, decision)`.
 * Writes into one reused buffer, handed to `sink` (with its number of
 * complete lines) when it is nearly full and on `flush()`. What repeats is
 * encoded once: each distinct decision body (verdict, reason and hops:
 * everything after the timestamp, found by an open-addressing table over the
 * record's words, without a Map or an allocation per packet), and the
 * seconds of the timestamp.
 */
export class JsonlEncoder {
  /** One buffer: the bodies' arena [0, ARENA), then the output [out, out + outBytes). */
  private buf: Uint8Array;
  private out: number;
  private outBytes: number;
  private pos: number;
  private lines = 0;
  private readonly keys = new Uint32Array(BODY_SLOTS * KEY_WORDS);
  /** Body id + 1; 0: empty slot. */
  private readonly slots = new Int32Array(BODY_SLOTS);
  private readonly bodyOff = new Int32Array(BODY_CACHE_MAX);
  private readonly bodyLen = new Int32Array(BODY_CACHE_MAX);
  private bodies = 0;
  private arenaUsed = 0;
  /** The body of the last record, when it is not in the arena. */
  private loose: Uint8Array = new Uint8Array(0);
  private readonly key = new Uint32Array(KEY_WORDS);
  private readonly hopTexts = new Map<string, string>();
  private secLo = -1;
  private secHi = -1;
  private secNeg = -1;
  private secBytes = new Uint8Array(0);

  constructor(readonly tables: DecisionTables, private readonly sink: (bytes: Uint8Array, lines: number) => void, readonly bufferBytes = 1 << 20) {
    this.out = ARENA_BYTES;
    this.outBytes = bufferBytes;
    this.buf = new Uint8Array(ARENA_BYTES + bufferBytes);
    this.pos = this.out;
  }

  /** Encode `count` records of `dv` from record index `first`; `skipNotMine` skips records whose verdict byte is VERDICT.NOT_MINE. */
  encode(dv: DataView, first: number, count: number, skipNotMine = false): void {
    for (let r = first; r < first + count; r++) {
      const at = r * DREC.SIZE;
      if (skipNotMine && dv.getUint8(at + DREC.VERDICT) === VERDICT.NOT_MINE) continue;
      const id = this.body(dv, at);
      const len = id >= 0 ? this.bodyLen[id]! : this.loose.length;
      if (this.pos + len + 96 > this.out + this.outBytes) {
        this.flush();
        if (len + 96 > this.outBytes) this.growOutput(len + 96 + this.bufferBytes);
      }
      const buf = this.buf;
      let p = this.pos;
      for (let k = 0; k < HEAD.length; k++) buf[p + k] = HEAD[k]!;
      p = this.putU64(dv, at + DREC.N, p + HEAD.length);
      for (let k = 0; k < TS.length; k++) buf[p + k] = TS[k]!;
      p += TS.length;
      p = this.putTs(dv, at, p);
      if (id >= 0) {
        const off = this.bodyOff[id]!;
        buf.copyWithin(p, off, off + len);
      } else buf.set(this.loose, p);
      this.pos = p + len;
      this.lines++;
    }
  }

  private growOutput(bytes: number): void {
    const next = new Uint8Array(this.out + bytes);
    next.set(this.buf.subarray(0, this.arenaUsed));
    this.buf = next;
    this.outBytes = bytes;
    this.pos = this.out;
  }

  /** Hand what is buffered to the sink. */
  flush(): void {
    if (this.pos === this.out) return;
    const lines = this.lines;
    const bytes = this.buf.subarray(this.out, this.pos);
    this.pos = this.out;
    this.lines = 0;
    this.sink(bytes, lines);
  }

  private putDigits(v: number, p: number): number {
    const buf = this.buf;
    if (v < 10) {
      buf[p] = 48 + v;
      return p + 1;
    }
    if (v >= 0x80000000) return this.putText(String(v), p);
    // v < 2^31: integer arithmetic, two digits a step
    const len = v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
    let q = p + len;
    while (v >= 100) {
      const d = v % 100;
      v = (v / 100) | 0;
      buf[--q] = PAIRS[2 * d + 1]!;
      buf[--q] = PAIRS[2 * d]!;
    }
    if (v >= 10) {
      buf[--q] = PAIRS[2 * v + 1]!;
      buf[--q] = PAIRS[2 * v]!;
    } else buf[--q] = 48 + v;
    return p + len;
  }

  /** `v` (< 2^32) zero-padded to `digits` (≤ 10, v < 10^digits). */
  private putPadded(v: number, digits: number, p: number): number {
    const buf = this.buf;
    let q = p + digits;
    while (q - p >= 2) {
      const d = v % 100;
      v = Math.floor(v / 100);
      buf[--q] = PAIRS[2 * d + 1]!;
      buf[--q] = PAIRS[2 * d]!;
    }
    if (q > p) buf[--q] = 48 + (v % 10);
    return p + digits;
  }

  private putText(s: string, p: number): number {
    for (let i = 0; i < s.length; i++) this.buf[p + i] = s.charCodeAt(i); // digits only
    return p + s.length;
  }

  private putU64(dv: DataView, at: number, p: number): number {
    const lo = dv.getUint32(at, true);
    const hi = dv.getUint32(at + 4, true);
    if (hi < 0x200000) return this.putDigits(hi * TWO32 + lo, p);
    return this.putText(((BigInt(hi) << 32n) | BigInt(lo)).toString(), p);
  }

  private putTs(dv: DataView, at: number, p: number): number {
    const lo = dv.getUint32(at + DREC.TS_SEC, true);
    const hi = dv.getUint32(at + DREC.TS_SEC + 4, true);
    const neg = dv.getUint8(at + DREC.TS_NEG);
    if (lo !== this.secLo || hi !== this.secHi || neg !== this.secNeg) {
      this.secLo = lo;
      this.secHi = hi;
      this.secNeg = neg;
      const sec = hi < 0x200000 ? String(hi * TWO32 + lo) : ((BigInt(hi) << 32n) | BigInt(lo)).toString();
      this.secBytes = enc.encode((neg ? '-' : '') + sec);
    }
    const sb = this.secBytes;
    for (let k = 0; k < sb.length; k++) this.buf[p + k] = sb[k]!;
    p += sb.length;
    const digits = dv.getUint8(at + DREC.TS_DIGITS);
    if (digits === 0) return p;
    this.buf[p++] = 46; // '.'
    const flo = dv.getUint32(at + DREC.TS_FRAC, true);
    const fhi = dv.getUint32(at + DREC.TS_FRAC + 4, true);
    if (fhi === 0 && digits <= 10) return this.putPadded(flo, digits, p);
    return this.putText(((BigInt(fhi) << 32n) | BigInt(flo)).toString().padStart(digits, '0'), p);
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

  /** The id of the body (`","verdict":…,"hops":[…]}\n`) of the record at `at` in the arena; -1: it is in `loose`. */
  private body(dv: DataView, at: number): number {
    const key = this.key;
    key[0] = dv.getUint8(at + DREC.VERDICT) | (dv.getUint8(at + DREC.REASON) << 8) | (dv.getUint8(at + DREC.NHOPS) << 16);
    let hash = Math.imul(key[0]! ^ 0x9e3779b9, 0x85ebca6b);
    for (let k = 0; k < DREC.MAX_HOPS; k++) {
      const h = at + DREC.HOP0 + k * DHOP.SIZE;
      const a = dv.getUint32(h + DHOP.IFACE, true);
      const b = dv.getUint32(h + DHOP.DIR, true);
      const c = dv.getUint32(h + DHOP.RULE, true);
      key[1 + 3 * k] = a;
      key[2 + 3 * k] = b;
      key[3 + 3 * k] = c;
      hash = Math.imul(hash ^ a, 0xcc9e2d51) ^ Math.imul(b ^ (hash >>> 15), 0x1b873593) ^ Math.imul(c + hash, 0xe6546b64);
    }
    hash ^= hash >>> 16;
    const mask = BODY_SLOTS - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const v = this.slots[i]!;
      if (v === 0) {
        const body = this.encodeBody(dv, at);
        if (this.bodies < BODY_CACHE_MAX && this.arenaUsed + body.length <= ARENA_BYTES) {
          const id = this.bodies++;
          this.buf.set(body, this.arenaUsed);
          this.bodyOff[id] = this.arenaUsed;
          this.bodyLen[id] = body.length;
          this.arenaUsed += body.length;
          this.slots[i] = id + 1;
          this.keys.set(key, i * KEY_WORDS);
          return id;
        }
        this.loose = body;
        return -1;
      }
      const o = i * KEY_WORDS;
      let same = true;
      for (let w = 0; w < KEY_WORDS; w++) {
        if (this.keys[o + w] !== key[w]) {
          same = false;
          break;
        }
      }
      if (same) return v - 1;
    }
  }

  private encodeBody(dv: DataView, at: number): Uint8Array {
    const tb = this.tables;
    const word = tb.packetReasons[dv.getUint8(at + DREC.REASON)];
    const nh = dv.getUint8(at + DREC.NHOPS);
    let s = `","verdict":"${tb.verdicts[dv.getUint8(at + DREC.VERDICT)]}"${word ? `,"reason":"${word}"` : ''},"hops":[`;
    for (let k = 0; k < nh; k++) s += (k > 0 ? ',' : '') + this.hopJson(dv, at + DREC.HOP0 + k * DHOP.SIZE);
    return enc.encode(s + ']}\n');
  }
}
