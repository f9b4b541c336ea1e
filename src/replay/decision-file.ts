/**
 * The binary decisions file (docs/decisions.md): a header with a magic, a
 * version and the string tables that give the records' codes and indexes
 * their words, then one fixed-size DREC record per decision, in capture
 * order, to the end of the file.
 *
 * - `encodeDecisionsHeader(tables)`: the header bytes.
 * - `readDecisions(path)`: an async iterator of `{ n, tsText, decision }`.
 * - `convertDecisions(path, out)`: the same file as JSON lines, byte-identical
 *   to what `replay --decisions x.jsonl` writes, streamed without an object
 *   per packet.
 *
 * A damaged file is a DecisionsFileError naming the file, the byte offset and
 * what was expected there; everything before it has been yielded / written.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { SgfError } from '../model/errors.js';
import { DREC, DHOP, JsonlEncoder, MAX_TS_DIGITS, NO_RULE, recordDecision, recordTsText, type DecisionTables } from './decision-format.js';
import type { JudgedPacket } from './local.js';
import type { OutputFile } from './output.js';

/** "SGFDECS" and a 0x1a (stops a terminal's `type`, catches text-mode mangling). */
export const DECISIONS_MAGIC = Uint8Array.from([0x53, 0x47, 0x46, 0x44, 0x45, 0x43, 0x53, 0x1a]);
export const DECISIONS_VERSION = 1;
/** Fixed part of the header: magic, version, record size, header size, hops per record, table count. */
export const DECISIONS_HEADER = { MAGIC: 0, VERSION: 8, RECORD_SIZE: 10, HEADER_SIZE: 12, MAX_HOPS: 16, TABLES: 18, FIXED: 20 } as const;
/** The tables, in file order. */
export const DECISIONS_TABLES = ['verdicts', 'dirs', 'packetReasons', 'hopReasons', 'interfaces', 'rules'] as const;
/** Headers larger than this are refused (a bounded allocation): 256 MiB. */
export const MAX_DECISIONS_HEADER = 256 << 20;

export const DECISIONS_ERROR = {
  IO: 'SGF_DECISIONS_IO',
  BAD_MAGIC: 'SGF_DECISIONS_BAD_MAGIC',
  BAD_VERSION: 'SGF_DECISIONS_BAD_VERSION',
  BAD_HEADER: 'SGF_DECISIONS_BAD_HEADER',
  TRUNCATED: 'SGF_DECISIONS_TRUNCATED',
  BAD_RECORD: 'SGF_DECISIONS_BAD_RECORD',
} as const;
export type DecisionsErrorCode = (typeof DECISIONS_ERROR)[keyof typeof DECISIONS_ERROR];

/** A binary decisions file that cannot be read: file, byte offset, what was expected. */
export class DecisionsFileError extends SgfError {
  constructor(readonly code: DecisionsErrorCode, readonly file: string, readonly offset: number, readonly detail: string) {
    super(`${file}: byte ${offset}: ${detail} [${code}]`);
    this.name = 'DecisionsFileError';
  }
}

const enc = new TextEncoder();

/** The header of a file whose records use `tables`. */
export function encodeDecisionsHeader(tables: DecisionTables): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = DECISIONS_HEADER.FIXED;
  const u32 = (v: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    parts.push(b);
    size += 4;
  };
  const str = (s: string) => {
    const b = enc.encode(s);
    u32(b.length);
    parts.push(b);
    size += b.length;
  };
  for (const name of DECISIONS_TABLES) {
    if (name === 'rules') {
      u32(tables.rules.length);
      for (const [g, r] of tables.rules) {
        str(g);
        str(r);
      }
    } else {
      u32(tables[name].length);
      for (const s of tables[name]) str(s);
    }
  }
  const total = Math.ceil(size / 8) * 8;
  const out = new Uint8Array(total);
  out.set(DECISIONS_MAGIC, 0);
  const dv = new DataView(out.buffer);
  dv.setUint16(DECISIONS_HEADER.VERSION, DECISIONS_VERSION, true);
  dv.setUint16(DECISIONS_HEADER.RECORD_SIZE, DREC.SIZE, true);
  dv.setUint32(DECISIONS_HEADER.HEADER_SIZE, total, true);
  dv.setUint16(DECISIONS_HEADER.MAX_HOPS, DREC.MAX_HOPS, true);
  dv.setUint16(DECISIONS_HEADER.TABLES, DECISIONS_TABLES.length, true);
  let at = DECISIONS_HEADER.FIXED;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Does `bytes` start like a binary decisions file? */
export function isBinaryDecisions(bytes: Uint8Array): boolean {
  return bytes.length >= DECISIONS_MAGIC.length && DECISIONS_MAGIC.every((b, i) => bytes[i] === b);
}

export interface DecisionsHeader {
  version: number;
  recordSize: number;
  headerSize: number;
  tables: DecisionTables;
}

const dec = new TextDecoder('utf-8', { fatal: true });

/** Reads a file through one descriptor: exactly `n` bytes at a position, or fewer at the end. */
class FileBytes {
  private readonly fd: number;
  constructor(readonly file: string) {
    try {
      this.fd = openSync(file, 'r');
    } catch (e) {
      throw new DecisionsFileError(DECISIONS_ERROR.IO, file, 0, `cannot read the file: ${(e as Error).message}`);
    }
  }
  /** Fill `buf` from the stream (the file is read in order); returns bytes got (< length only at the end). */
  read(buf: Uint8Array, at: number, offset: number): number {
    let got = 0;
    while (got < buf.length - at) {
      let n: number;
      try {
        n = readSync(this.fd, buf, at + got, buf.length - at - got, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue;
        throw new DecisionsFileError(DECISIONS_ERROR.IO, this.file, offset + got, `read failed: ${(e as Error).message}`);
      }
      if (n === 0) break;
      got += n;
    }
    return got;
  }
  close(): void {
    closeSync(this.fd);
  }
}

function parseHeader(file: string, src: FileBytes): DecisionsHeader {
  const fixed = new Uint8Array(DECISIONS_HEADER.FIXED);
  const got = src.read(fixed, 0, 0);
  const err = (code: DecisionsErrorCode, off: number, what: string) => new DecisionsFileError(code, file, off, what);
  if (got < DECISIONS_MAGIC.length || !isBinaryDecisions(fixed)) {
    throw err(DECISIONS_ERROR.BAD_MAGIC, 0, got === 0 ? 'an empty file (expected a binary decisions file: magic "SGFDECS\\x1a")' : 'not a binary decisions file (expected the magic "SGFDECS\\x1a")');
  }
  if (got < fixed.length) throw err(DECISIONS_ERROR.TRUNCATED, got, `the header ends after ${got} bytes (expected ${fixed.length} bytes of fixed header)`);
  const dv = new DataView(fixed.buffer);
  const version = dv.getUint16(DECISIONS_HEADER.VERSION, true);
  if (version !== DECISIONS_VERSION) throw err(DECISIONS_ERROR.BAD_VERSION, DECISIONS_HEADER.VERSION, `version ${version} (expected ${DECISIONS_VERSION})`);
  const recordSize = dv.getUint16(DECISIONS_HEADER.RECORD_SIZE, true);
  if (recordSize !== DREC.SIZE) throw err(DECISIONS_ERROR.BAD_HEADER, DECISIONS_HEADER.RECORD_SIZE, `record size ${recordSize} (expected ${DREC.SIZE})`);
  const maxHops = dv.getUint16(DECISIONS_HEADER.MAX_HOPS, true);
  if (maxHops !== DREC.MAX_HOPS) throw err(DECISIONS_ERROR.BAD_HEADER, DECISIONS_HEADER.MAX_HOPS, `${maxHops} hops per record (expected ${DREC.MAX_HOPS})`);
  const nTables = dv.getUint16(DECISIONS_HEADER.TABLES, true);
  if (nTables !== DECISIONS_TABLES.length) throw err(DECISIONS_ERROR.BAD_HEADER, DECISIONS_HEADER.TABLES, `${nTables} string tables (expected ${DECISIONS_TABLES.length})`);
  const headerSize = dv.getUint32(DECISIONS_HEADER.HEADER_SIZE, true);
  if (headerSize < DECISIONS_HEADER.FIXED + 4 * nTables || headerSize % 8 !== 0 || headerSize > MAX_DECISIONS_HEADER) {
    throw err(DECISIONS_ERROR.BAD_HEADER, DECISIONS_HEADER.HEADER_SIZE, `header size ${headerSize} (expected a multiple of 8 from ${DECISIONS_HEADER.FIXED + 4 * nTables} to ${MAX_DECISIONS_HEADER})`);
  }
  const bytes = new Uint8Array(headerSize);
  bytes.set(fixed);
  const more = src.read(bytes, fixed.length, fixed.length);
  if (fixed.length + more < headerSize) throw err(DECISIONS_ERROR.TRUNCATED, fixed.length + more, `the header ends after ${fixed.length + more} bytes (its size field says ${headerSize})`);
  const hv = new DataView(bytes.buffer);
  let at = DECISIONS_HEADER.FIXED;
  const u32 = (what: string) => {
    if (at + 4 > headerSize) throw err(DECISIONS_ERROR.BAD_HEADER, at, `${what} runs past the header's end (byte ${headerSize})`);
    const v = hv.getUint32(at, true);
    at += 4;
    return v;
  };
  const str = (what: string) => {
    const start = at;
    const n = u32(`the length of ${what}`);
    if (at + n > headerSize) throw err(DECISIONS_ERROR.BAD_HEADER, start, `${what}: ${n} bytes run past the header's end (byte ${headerSize})`);
    let s: string;
    try {
      s = dec.decode(bytes.subarray(at, at + n));
    } catch {
      throw err(DECISIONS_ERROR.BAD_HEADER, at, `${what}: not valid UTF-8`);
    }
    at += n;
    return s;
  };
  const tables = {} as DecisionTables;
  for (const name of DECISIONS_TABLES) {
    const start = at;
    const count = u32(`the ${name} table's count`);
    if (count > (headerSize - at) / 4) throw err(DECISIONS_ERROR.BAD_HEADER, start, `the ${name} table counts ${count} entries, more than the header can hold`);
    if (name === 'rules') {
      tables.rules = [];
      for (let i = 0; i < count; i++) tables.rules.push([str(`rules[${i}].group`), str(`rules[${i}].rule`)]);
    } else {
      const list: string[] = [];
      for (let i = 0; i < count; i++) list.push(str(`${name}[${i}]`));
      tables[name] = list;
    }
  }
  const words: [keyof DecisionTables, readonly string[]][] = [['verdicts', ['deny', 'allow']], ['dirs', ['ingress', 'egress']]];
  for (const [name, allowed] of words) {
    const list = tables[name] as string[];
    const bad = list.findIndex((w) => !allowed.includes(w));
    if (list.length === 0 || list.length > 255 || bad >= 0) throw err(DECISIONS_ERROR.BAD_HEADER, DECISIONS_HEADER.FIXED, `the ${name} table ${JSON.stringify(list)} (expected words of ${allowed.join(', ')})`);
  }
  if (tables.packetReasons.length > 255 || tables.hopReasons.length > 255) throw err(DECISIONS_ERROR.BAD_HEADER, DECISIONS_HEADER.FIXED, 'a reason table has more than 255 words');
  for (let i = at; i < headerSize; i++) if (bytes[i] !== 0) throw err(DECISIONS_ERROR.BAD_HEADER, i, 'a non-zero byte in the header padding (expected zero)');
  return { version, recordSize, headerSize, tables };
}

/** Throws on the first record of `dv` (records `0..count`, file offset of record 0 `base`) that the tables cannot read. */
function checkRecords(file: string, dv: DataView, count: number, t: DecisionTables, base: number, prevN: { n: number }): void {
  const bad = (r: number, field: number, what: string) => new DecisionsFileError(DECISIONS_ERROR.BAD_RECORD, file, base + r * DREC.SIZE + field, `the record at byte ${base + r * DREC.SIZE}: ${what}`);
  for (let r = 0; r < count; r++) {
    const at = r * DREC.SIZE;
    const lo = dv.getUint32(at + DREC.N, true);
    const hi = dv.getUint32(at + DREC.N + 4, true);
    const n = hi * 4294967296 + lo;
    if (hi >= 0x200000 || n === 0 || n <= prevN.n) throw bad(r, DREC.N, `packet number ${n} (expected a number above the previous record's ${prevN.n}, below 2^53)`);
    prevN.n = n;
    const digits = dv.getUint8(at + DREC.TS_DIGITS);
    if (digits > MAX_TS_DIGITS) throw bad(r, DREC.TS_DIGITS, `${digits} timestamp digits (expected at most ${MAX_TS_DIGITS})`);
    const fracHi = dv.getUint32(at + DREC.TS_FRAC + 4, true);
    const fracLo = dv.getUint32(at + DREC.TS_FRAC, true);
    if (digits < 10 ? fracHi !== 0 || fracLo >= POW10[digits]! : fracHi !== 0 && ((BigInt(fracHi) << 32n) | BigInt(fracLo)) >= 10n ** BigInt(digits)) {
      throw bad(r, DREC.TS_FRAC, `timestamp fraction ${(BigInt(fracHi) << 32n) | BigInt(fracLo)} has more than its ${digits} digit(s)`);
    }
    if (dv.getUint8(at + DREC.TS_NEG) > 1) throw bad(r, DREC.TS_NEG, `sign byte ${dv.getUint8(at + DREC.TS_NEG)} (expected 0 or 1)`);
    const verdict = dv.getUint8(at + DREC.VERDICT);
    if (verdict >= t.verdicts.length) throw bad(r, DREC.VERDICT, `verdict code ${verdict} (expected below ${t.verdicts.length})`);
    const reason = dv.getUint8(at + DREC.REASON);
    if (reason >= t.packetReasons.length) throw bad(r, DREC.REASON, `packet reason code ${reason} (expected below ${t.packetReasons.length})`);
    const nh = dv.getUint8(at + DREC.NHOPS);
    if (nh > DREC.MAX_HOPS) throw bad(r, DREC.NHOPS, `${nh} hops (expected at most ${DREC.MAX_HOPS})`);
    if (t.packetReasons[reason] !== '' && nh !== 0) throw bad(r, DREC.NHOPS, `${nh} hops with packet reason "${t.packetReasons[reason]}" (expected none)`);
    for (let k = DREC.NHOPS + 1; k < DREC.HOP0; k++) if (dv.getUint8(at + k) !== 0) throw bad(r, k, 'a non-zero pad byte (expected zero)');
    for (let k = 0; k < DREC.MAX_HOPS; k++) {
      const h = at + DREC.HOP0 + k * DHOP.SIZE;
      const off = DREC.HOP0 + k * DHOP.SIZE;
      if (k >= nh) {
        for (let j = 0; j < DHOP.SIZE; j++) if (dv.getUint8(h + j) !== 0) throw bad(r, off + j, `a non-zero byte in unused hop ${k} (expected zero)`);
        continue;
      }
      const iface = dv.getUint32(h + DHOP.IFACE, true);
      if (iface >= t.interfaces.length) throw bad(r, off + DHOP.IFACE, `hop ${k}: interface index ${iface} (expected below ${t.interfaces.length})`);
      if (dv.getUint8(h + DHOP.DIR) >= t.dirs.length) throw bad(r, off + DHOP.DIR, `hop ${k}: direction code ${dv.getUint8(h + DHOP.DIR)} (expected below ${t.dirs.length})`);
      if (dv.getUint8(h + DHOP.VERDICT) >= t.verdicts.length) throw bad(r, off + DHOP.VERDICT, `hop ${k}: verdict code ${dv.getUint8(h + DHOP.VERDICT)} (expected below ${t.verdicts.length})`);
      if (dv.getUint8(h + DHOP.REASON) >= t.hopReasons.length) throw bad(r, off + DHOP.REASON, `hop ${k}: reason code ${dv.getUint8(h + DHOP.REASON)} (expected below ${t.hopReasons.length})`);
      if (dv.getUint8(h + DHOP.REASON + 1) !== 0) throw bad(r, off + DHOP.REASON + 1, `hop ${k}: a non-zero pad byte (expected zero)`);
      const rule = dv.getUint32(h + DHOP.RULE, true);
      if (rule !== NO_RULE && rule >= t.rules.length) throw bad(r, off + DHOP.RULE, `hop ${k}: rule index ${rule} (expected below ${t.rules.length}, or 0xffffffff for none)`);
    }
  }
}

const CHUNK_RECORDS = 16384;
const POW10 = Array.from({ length: 10 }, (_, i) => 10 ** i);

/**
 * The records of a binary decisions file, checked, chunk by chunk:
 * `onChunk(view, count)` for each. Throws DecisionsFileError at the first
 * damage, after every good record before it was handed over.
 */
function scanDecisionsFile(file: string, onHeader: (h: DecisionsHeader) => void, onChunk: (dv: DataView, count: number) => void): { records: number; bytes: number } {
  const chunks = recordChunks(file);
  for (let c = chunks.next(); ; c = chunks.next()) {
    if (c.done) return c.value;
    if (c.value.count === 0) onHeader(c.value.h);
    else onChunk(c.value.dv, c.value.count);
  }
}

/**
 * The file read in chunks of checked records: first the header alone
 * (`count` 0), then each chunk's good records (`count` > 0, in `dv` from
 * byte 0, valid until the next step). At damage, the good records before it
 * come first, then the DecisionsFileError. Returns the records and bytes read.
 */
function* recordChunks(file: string): Generator<{ h: DecisionsHeader; dv: DataView; count: number }, { records: number; bytes: number }> {
  const src = new FileBytes(file);
  try {
    const h = parseHeader(file, src);
    const buf = new Uint8Array(CHUNK_RECORDS * DREC.SIZE);
    const dv = new DataView(buf.buffer);
    yield { h, dv, count: 0 };
    let offset = h.headerSize;
    let records = 0;
    const prev = { n: 0 };
    for (;;) {
      const got = src.read(buf, 0, offset);
      const whole = Math.floor(got / DREC.SIZE);
      let good = whole;
      let damage: unknown;
      try {
        checkRecords(file, dv, whole, h.tables, offset, prev);
      } catch (e) {
        damage = e;
        good = Math.floor(((e as DecisionsFileError).offset - offset) / DREC.SIZE);
      }
      if (good > 0) yield { h, dv, count: good };
      if (damage) throw damage;
      records += whole;
      offset += whole * DREC.SIZE;
      if (got % DREC.SIZE !== 0) {
        throw new DecisionsFileError(DECISIONS_ERROR.TRUNCATED, file, offset, `the file ends ${got % DREC.SIZE} byte(s) into record ${records + 1} (expected ${DREC.SIZE}-byte records)`);
      }
      if (got < buf.length) return { records, bytes: offset };
    }
  } finally {
    src.close();
  }
}

/** The decisions of a binary file, one `{ n, tsText, decision }` per packet, in file order. */
export async function* readDecisions(path: string): AsyncGenerator<JudgedPacket> {
  // Chunks are checked and decoded synchronously; the iterator hands them out between reads.
  for (const { h, dv, count } of recordChunks(path)) {
    const out: JudgedPacket[] = [];
    for (let r = 0; r < count; r++) {
      const at = r * DREC.SIZE;
      out.push({ n: Number(dv.getBigUint64(at + DREC.N, true)), tsText: recordTsText(dv, at), decision: recordDecision(dv, at, h.tables) });
    }
    yield* out;
  }
}

/** The header of a binary decisions file (its tables). */
export function readDecisionsHeader(path: string): DecisionsHeader {
  const src = new FileBytes(path);
  try {
    return parseHeader(path, src);
  } finally {
    src.close();
  }
}

/**
 * Write a binary decisions file as JSON lines to `out` (byte-identical to
 * `replay --decisions x.jsonl`). Returns the records converted; throws
 * DecisionsFileError at damage, after writing every good record before it.
 */
export function convertDecisions(path: string, out: OutputFile): { records: number } {
  let encoder: JsonlEncoder | undefined;
  let records = 0;
  try {
    scanDecisionsFile(
      path,
      (h) => (encoder = new JsonlEncoder(h.tables, (bytes, lines) => out.writeChunk(bytes, lines))),
      (dv, count) => {
        encoder!.encode(dv, 0, count);
        records += count;
      },
    );
  } finally {
    encoder?.flush();
  }
  return { records };
}
