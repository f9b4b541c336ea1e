/**
 * Merging the parts of a shard set (parts.ts) into what one replay writes:
 * the decisions files, each in capture order, interleaved by packet number,
 * and the summaries added up — byte for byte the decisions file and summary
 * of a single run (but for the wall-clock fields `seconds`, `packetsPerSecond`
 * and `loopSeconds`, which say the slowest part's).
 *
 * Before anything is written the parts are checked (MergeError, naming the
 * files): each is a part's summary with a manifest; all have the same N,
 * shard count, sgfilter version, topology, conntrack capacity and capture
 * (fingerprint, size, packets read, damage); every K of 0..N-1 is there once;
 * none was interrupted or wrote a partial decisions file, and each decisions
 * file still has the size its part wrote. While merging, the packet numbers
 * must run 1, 2, 3… to the capture's packet count with each packet in exactly
 * one part; the parts' judged packets must add up to that count.
 *
 * Decisions files are read through a DecisionRecords reader per format
 * (JSON lines, `jsonl`, and the binary format, `binary`): a reader says the packet number of its current
 * record and copies the record's bytes; a second format adds a reader (and,
 * if it has a header, a writer for it) to DECISION_FORMATS.
 */
import { closeSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { SgfError } from '../model/errors.js';
import { HOP_REASONS, PACKET_REASONS } from './decision-record.js';
import { checkOutputPath, OutputFile } from './output.js';
import { readDecisionsHeader } from './decision-file.js';
import { DREC } from './decision-format.js';
import { partShards, PART_MANIFEST_VERSION, type PartManifest } from './parts.js';
import type { ReplayResult } from './replay.js';

export type MergeErrorCode =
  | 'SGF_MERGE_BAD_PART'
  | 'SGF_MERGE_MISMATCH'
  | 'SGF_MERGE_MISSING_PART'
  | 'SGF_MERGE_DUPLICATE_PART'
  | 'SGF_MERGE_INCOMPLETE_PART'
  | 'SGF_MERGE_BAD_DECISIONS';

/** A part that cannot be merged, or parts that do not fit together; the message names the files. */
export class MergeError extends SgfError {
  readonly code: MergeErrorCode;
  constructor(code: MergeErrorCode, message: string) {
    super(message);
    this.name = 'MergeError';
    this.code = code;
  }
}

/** One part to merge: its result (a part's summary, with `part`) and where it came from. */
export interface PartInput {
  /** The part's summary file, or any name for messages. */
  source: string;
  result: ReplayResult;
  /** Its decisions file (default: `result.part.decisions.path`). */
  decisionsPath?: string;
}

export interface MergeOptions {
  /** Write the merged decisions here (every part must have written its decisions). */
  decisionsPath?: string;
}

// ---------------------------------------------------------------------------
// Reading a part's summary file.

const count = z.number().int().nonnegative();
const verdictCounts = z.object({ allow: count, deny: count });
const captureError = z.object({ code: z.string(), offset: count, message: z.string() });
const manifestSchema = z.object({
  manifest: z.number().int(),
  sgfilter: z.string(),
  index: count,
  count: z.number().int().positive(),
  shards: z.number().int().positive(),
  ownedShards: z.array(count),
  conntrackCapacity: z.number().int().positive(),
  topology: z.string(),
  capture: z.object({ fingerprint: z.string(), packets: count }),
  decisions: z.object({ path: z.string(), format: z.enum(['jsonl', 'binary']), lines: count, bytes: z.number().int() }).optional(),
});
const summarySchema = z.object({
  file: z.string(),
  engine: z.literal('wasm'),
  workers: count,
  packets: count,
  verdicts: verdictCounts,
  reasons: z.record(z.string(), count),
  interfaces: z.record(z.string(), z.object({ ingress: verdictCounts, egress: verdictCounts })),
  rules: z.array(z.object({ group: z.string(), rule: z.string(), hits: count })),
  rulesNeverHit: z.array(z.string()),
  conntrack: z.object({ peak: z.record(z.string(), count), full: count, fragmentsNotRemembered: count }),
  capture: z.object({ format: z.string(), bytes: count, bytesRead: count, bytesUnread: count, error: captureError.optional() }),
  seconds: z.number(),
  packetsPerSecond: z.number(),
  loopSeconds: z.number().optional(),
  error: captureError.optional(),
  interrupted: z.object({ packets: count }).optional(),
  decisions: z.object({ path: z.string(), complete: z.boolean(), lines: count, packets: count, error: z.string().optional() }).optional(),
  part: manifestSchema,
});

function jsonPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(top level)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

/**
 * Read a part's summary file (`replay --shard-set K/N --summary FILE`). Its
 * manifest's decisions path is relative to the file's directory.
 */
export function readPart(file: string): PartInput {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MergeError('SGF_MERGE_BAD_PART', `${file}: cannot read the part's summary: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new MergeError('SGF_MERGE_BAD_PART', `${file}: not JSON (${(e as Error).message}); expected a part's summary (replay --shard-set K/N --summary FILE)`);
  }
  return checkPart(file, doc, dirname(resolve(file)));
}

/** Validate a part's result (parsed JSON or a ReplayResult); `baseDir` resolves a relative decisions path. */
export function checkPart(source: string, doc: unknown, baseDir?: string): PartInput {
  if (typeof doc === 'object' && doc !== null && !('part' in doc)) {
    throw new MergeError('SGF_MERGE_BAD_PART', `${source}: not a part's summary: it has no "part" manifest (write it with replay --shard-set K/N --summary FILE)`);
  }
  const manifestVersion = (doc as { part?: { manifest?: unknown } } | null)?.part?.manifest;
  if (typeof manifestVersion === 'number' && manifestVersion !== PART_MANIFEST_VERSION) {
    throw new MergeError('SGF_MERGE_BAD_PART', `${source}: part manifest layout ${manifestVersion}, this sgfilter reads layout ${PART_MANIFEST_VERSION}: merge with the sgfilter that wrote the parts`);
  }
  const r = summarySchema.safeParse(doc);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new MergeError('SGF_MERGE_BAD_PART', `${source}: ${jsonPath(issue.path)}: ${issue.message}; expected a part's summary (replay --shard-set K/N --summary FILE)`);
  }
  const result = r.data as ReplayResult & { part: PartManifest };
  const d = result.part.decisions;
  return { source, result, ...(d ? { decisionsPath: baseDir !== undefined ? resolve(baseDir, d.path) : d.path } : {}) };
}

// ---------------------------------------------------------------------------
// Checks.

const label = (p: PartInput) => `part ${p.result.part!.index}/${p.result.part!.count} (${p.source})`;

function same<T>(parts: PartInput[], what: string, get: (m: PartInput) => T, show: (v: T) => string = (v) => JSON.stringify(v)): void {
  const first = parts[0]!;
  const v0 = JSON.stringify(get(first));
  for (const p of parts.slice(1)) {
    if (JSON.stringify(get(p)) !== v0) {
      throw new MergeError('SGF_MERGE_MISMATCH', `the parts are of different ${what}: ${label(first)} has ${show(get(first))}, ${label(p)} has ${show(get(p))}`);
    }
  }
}

/** The checks of the module comment that need no decisions file; returns the parts by K. */
function checkParts(parts: PartInput[], wantDecisions: boolean): PartInput[] {
  if (parts.length === 0) throw new MergeError('SGF_MERGE_MISSING_PART', 'no parts to merge: give the summary file of every part (replay --shard-set K/N --summary FILE)');
  for (const p of parts) if (p.result.part === undefined) throw new MergeError('SGF_MERGE_BAD_PART', `${p.source}: not a part's result: it has no "part" manifest (replay with shardSet)`);
  same(parts, 'sgfilter versions', (p) => p.result.part!.sgfilter);
  same(parts, 'part counts (N of --shard-set K/N)', (p) => p.result.part!.count);
  same(parts, 'shard counts (--shards)', (p) => p.result.part!.shards);
  const n = parts[0]!.result.part!.count;
  const byIndex: (PartInput | undefined)[] = Array.from({ length: n }, () => undefined);
  for (const p of parts) {
    const m = p.result.part!;
    if (m.index >= n) throw new MergeError('SGF_MERGE_BAD_PART', `${p.source}: part index ${m.index} is not below its part count ${n}`);
    const expected = partShards(m, m.shards);
    if (JSON.stringify(m.ownedShards) !== JSON.stringify(expected)) {
      throw new MergeError('SGF_MERGE_BAD_PART', `${label(p)}: judged shards ${JSON.stringify(m.ownedShards)}, part ${m.index} of ${n} over ${m.shards} shards owns ${JSON.stringify(expected)}`);
    }
    const twin = byIndex[m.index];
    if (twin) throw new MergeError('SGF_MERGE_DUPLICATE_PART', `part ${m.index}/${n} given twice: ${twin.source} and ${p.source}`);
    byIndex[m.index] = p;
  }
  const missing = byIndex.flatMap((p, k) => (p ? [] : [`${k}/${n}`]));
  if (missing.length) {
    throw new MergeError('SGF_MERGE_MISSING_PART', `missing part${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: give the summaries of all ${n} parts (K = 0..${n - 1})`);
  }
  const ordered = byIndex as PartInput[];
  for (const p of ordered) {
    const r = p.result;
    if (r.interrupted) throw new MergeError('SGF_MERGE_INCOMPLETE_PART', `${label(p)} was interrupted after packet ${r.interrupted.packets}: run that part again`);
    if (r.decisions && !r.decisions.complete) {
      throw new MergeError('SGF_MERGE_INCOMPLETE_PART', `${label(p)}: its decisions file ${r.decisions.path} is partial (${r.decisions.error ?? 'a write failed'}): run that part again`);
    }
    const d = r.part!.decisions;
    if (d && d.lines !== r.packets) {
      throw new MergeError('SGF_MERGE_INCOMPLETE_PART', `${label(p)}: judged ${r.packets} packets but wrote ${d.lines} decisions: run that part again`);
    }
  }
  same(ordered, 'topologies', (p) => p.result.part!.topology);
  same(ordered, 'conntrack capacities (--conntrack-capacity)', (p) => p.result.part!.conntrackCapacity);
  same(ordered, 'captures', (p) => ({ fingerprint: p.result.part!.capture.fingerprint, bytes: p.result.capture.bytes }), (v) => `${v.bytes} bytes, ${v.fingerprint}`);
  same(ordered, 'capture readings (packets read)', (p) => p.result.part!.capture.packets);
  same(ordered, 'capture readings (format, bytes read, damage)', (p) => p.result.capture);
  same(ordered, 'interfaces', (p) => Object.keys(p.result.interfaces));
  same(ordered, 'rule lists', (p) => p.result.rules.map((x) => [x.group, x.rule]));
  const judged = ordered.reduce((s, p) => s + p.result.packets, 0);
  const seen = ordered[0]!.result.part!.capture.packets;
  if (judged !== seen) {
    throw new MergeError('SGF_MERGE_MISMATCH', `the parts judged ${judged} packets in all, the capture has ${seen}: each packet must be judged by exactly one part (${ordered.map((p) => `${p.result.part!.index}: ${p.result.packets}`).join(', ')})`);
  }
  if (wantDecisions) {
    for (const p of ordered) {
      const d = p.result.part!.decisions;
      if (!d || p.decisionsPath === undefined) throw new MergeError('SGF_MERGE_INCOMPLETE_PART', `${label(p)} wrote no decisions (run it with --decisions FILE) but merged decisions were asked for`);
      let size: number;
      try {
        const st = statSync(p.decisionsPath);
        if (!st.isFile()) throw new MergeError('SGF_MERGE_BAD_DECISIONS', `${label(p)}: its decisions ${p.decisionsPath} are not a regular file (a part's decisions must be written to a file to be merged)`);
        size = st.size;
      } catch (e) {
        if (e instanceof MergeError) throw e;
        throw new MergeError('SGF_MERGE_BAD_DECISIONS', `${label(p)}: cannot read its decisions file ${p.decisionsPath}: ${(e as Error).message}`);
      }
      if (size !== d.bytes) {
        throw new MergeError('SGF_MERGE_BAD_DECISIONS', `${label(p)}: its decisions file ${p.decisionsPath} has ${size} bytes, the part wrote ${d.bytes} (changed or cut short since): run that part again`);
      }
    }
    same(ordered, 'decisions formats (--decisions-format)', (p) => p.result.part!.decisions!.format);
  }
  return ordered;
}

// ---------------------------------------------------------------------------
// Decisions: readers per format, the k-way merge, a byte sink.

/** A decisions file read record by record (in file order). */
export interface DecisionRecords {
  /** The packet number of the current record; 0 once past the last one. */
  readonly n: number;
  /** Records read so far (the current one included). */
  readonly records: number;
  /** Copy the current record, in the file's encoding, to `sink`, then move to the next. */
  copyTo(sink: ByteSink): void;
  close(): void;
  /** The bytes before the first record (the binary format's header; empty for JSON lines). */
  readonly header: Buffer;
}

const CHUNK = 1 << 20;
/** `{"n":` */
const JSONL_HEAD = Buffer.from('{"n":');

/** SEMANTICS §9 JSON lines: one `{"n":N,…}` object a line, N increasing. */
class JsonlRecords implements DecisionRecords {
  private fd: number;
  private buf = Buffer.allocUnsafe(CHUNK);
  /** Bytes of buf holding file data; buf[0] is at file offset `base`. */
  private filled = 0;
  private base = 0;
  private eof = false;
  /** The current line: buf[lo, hi), its newline at hi. */
  private lo = 0;
  private hi = -1;
  n = 0;
  records = 0;
  readonly header = Buffer.alloc(0);

  constructor(readonly path: string, private readonly owner: string) {
    try {
      this.fd = openSync(path, 'r');
    } catch (e) {
      throw new MergeError('SGF_MERGE_BAD_DECISIONS', `${owner}: cannot read its decisions file ${path}: ${(e as Error).message}`);
    }
    this.next();
  }

  private fail(what: string): never {
    throw new MergeError('SGF_MERGE_BAD_DECISIONS', `${this.owner}: decisions file ${this.path}, line ${this.records} (byte ${this.base + this.lo}): ${what}`);
  }

  private next(): void {
    this.lo = this.hi + 1;
    let nl = this.buf.indexOf(10, this.lo);
    while (nl < 0 || nl >= this.filled) {
      if (this.eof) {
        if (this.lo < this.filled) {
          this.records++;
          this.fail('the last line has no newline (the file was cut short)');
        }
        this.n = 0;
        return;
      }
      this.fill();
      nl = this.buf.indexOf(10, this.lo);
    }
    this.hi = nl;
    this.records++;
    const b = this.buf;
    let i = this.lo;
    if (nl - i < JSONL_HEAD.length + 2 || b.compare(JSONL_HEAD, 0, JSONL_HEAD.length, i, i + JSONL_HEAD.length) !== 0) this.fail('expected a decision line starting {"n":N,');
    i += JSONL_HEAD.length;
    let v = 0;
    const start = i;
    while (i < nl && b[i]! >= 48 && b[i]! <= 57) v = v * 10 + (b[i++]! - 48);
    if (i === start || i - start > 15 || b[i] !== 44 /* , */ || v === 0) this.fail('expected a decision line starting {"n":N, with N a packet number');
    if (v <= this.n) this.fail(`packet ${v} after packet ${this.n}: the numbers must increase`);
    this.n = v;
  }

  /** Move the unread tail to the start (growing for a line longer than the buffer) and read more. */
  private fill(): void {
    if (this.lo > 0) {
      this.buf.copyWithin(0, this.lo, this.filled);
      this.base += this.lo;
      this.filled -= this.lo;
      this.hi -= this.lo;
      this.lo = 0;
    }
    if (this.filled === this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.filled);
      this.buf = bigger;
    }
    let got: number;
    try {
      got = readSync(this.fd, this.buf, this.filled, this.buf.length - this.filled, this.base + this.filled);
    } catch (e) {
      throw new MergeError('SGF_MERGE_BAD_DECISIONS', `${this.owner}: reading its decisions file ${this.path} failed: ${(e as Error).message}`);
    }
    if (got === 0) this.eof = true;
    this.filled += got;
  }

  copyTo(sink: ByteSink): void {
    sink.put(this.buf, this.lo, this.hi + 1);
    this.next();
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * The binary decisions format (docs/decisions.md): a header (checked by
 * readDecisionsHeader), then fixed-size records whose first field is the
 * packet number (DREC.N, u64 little-endian), increasing.
 */
class BinaryRecords implements DecisionRecords {
  private fd: number;
  readonly header: Buffer;
  private readonly size: number;
  private buf: Buffer;
  private filled = 0;
  private at = 0;
  /** File offset of buf[0]. */
  private base: number;
  private eof = false;
  n = 0;
  records = 0;

  constructor(readonly path: string, private readonly owner: string) {
    let h;
    try {
      h = readDecisionsHeader(path);
    } catch (e) {
      throw new MergeError('SGF_MERGE_BAD_DECISIONS', `${owner}: decisions file ${path}: ${(e as Error).message}`);
    }
    this.size = h.recordSize;
    this.fd = openSync(path, 'r');
    this.header = Buffer.allocUnsafe(h.headerSize);
    if (readSync(this.fd, this.header, 0, h.headerSize, 0) !== h.headerSize) this.fail('the header is shorter than its size field says');
    this.base = h.headerSize;
    this.buf = Buffer.allocUnsafe(Math.max(1, Math.floor(CHUNK / this.size)) * this.size);
    this.next();
  }

  private fail(what: string): never {
    throw new MergeError('SGF_MERGE_BAD_DECISIONS', `${this.owner}: decisions file ${this.path}, record ${this.records} (byte ${this.base + this.at}): ${what}`);
  }

  private next(): void {
    if (this.at + this.size > this.filled) {
      if (!this.eof) this.fill();
      if (this.at + this.size > this.filled) {
        if (this.at < this.filled) {
          this.records++;
          this.fail(`the last record has ${this.filled - this.at} of its ${this.size} bytes (the file was cut short)`);
        }
        this.n = 0;
        return;
      }
    }
    this.records++;
    const v = this.buf.readUInt32LE(this.at + DREC.N) + this.buf.readUInt32LE(this.at + DREC.N + 4) * 0x1_0000_0000;
    if (v === 0 || v > Number.MAX_SAFE_INTEGER) this.fail(`packet number ${v}: expected a packet number from 1`);
    if (v <= this.n) this.fail(`packet ${v} after packet ${this.n}: the numbers must increase`);
    this.n = v;
  }

  private fill(): void {
    const rest = this.filled - this.at;
    if (rest > 0) this.buf.copyWithin(0, this.at, this.filled);
    this.base += this.at;
    this.at = 0;
    this.filled = rest;
    while (this.filled < this.buf.length) {
      let got: number;
      try {
        got = readSync(this.fd, this.buf, this.filled, this.buf.length - this.filled, this.base + this.filled);
      } catch (e) {
        throw new MergeError('SGF_MERGE_BAD_DECISIONS', `${this.owner}: reading its decisions file ${this.path} failed: ${(e as Error).message}`);
      }
      if (got === 0) {
        this.eof = true;
        break;
      }
      this.filled += got;
    }
  }

  copyTo(sink: ByteSink): void {
    sink.put(this.buf, this.at, this.at + this.size);
    this.at += this.size;
    this.next();
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** The decisions formats the merge reads, by the manifest's `decisions.format`. */
const DECISION_FORMATS: Record<NonNullable<PartManifest['decisions']>['format'], (path: string, owner: string) => DecisionRecords> = {
  jsonl: (path, owner) => new JsonlRecords(path, owner),
  binary: (path, owner) => new BinaryRecords(path, owner),
};

/** Bytes to an OutputFile through a buffer; after a failed write, later bytes are dropped (out.error says why). */
export class ByteSink {
  private buf = Buffer.allocUnsafe(CHUNK);
  private used = 0;
  /** Binary output: record size and header bytes (its `lines` then count whole records); 0 for JSON lines. */
  private record = 0;
  private headerBytes = 0;
  constructor(readonly out: OutputFile) {}

  /** Write a binary header; from here on, `out.lines` counts whole records of `recordSize` bytes. */
  startRecords(header: Buffer, recordSize: number): void {
    this.record = recordSize;
    this.headerBytes = header.length;
    this.put(header, 0, header.length);
  }

  put(src: Buffer, from: number, to: number): void {
    const n = to - from;
    if (this.used + n > this.buf.length) this.flush();
    if (n > this.buf.length) this.write(src.subarray(from, to));
    else {
      src.copy(this.buf, this.used, from, to);
      this.used += n;
    }
  }

  flush(): void {
    if (this.used > 0) this.write(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  /** OutputFile.write for bytes: blocking, retrying EAGAIN, counting complete lines. */
  private write(data: Buffer): void {
    const out = this.out;
    if (out.error !== undefined) return;
    let off = 0;
    while (off < data.length) {
      try {
        off += writeSync(out.fd, data, off, data.length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          Atomics.wait(pauseCell, 0, 0, 2);
          continue;
        }
        out.error = `${out.label ? out.label + ' ' : ''}${out.path}: write failed: ${(e as Error).message}`;
        break;
      }
    }
    out.bytes += off;
    if (this.record > 0) {
      out.lines = Math.max(0, Math.floor((out.bytes - this.headerBytes) / this.record));
      return;
    }
    const done = data.subarray(0, off);
    for (let i = done.indexOf(10); i >= 0; i = done.indexOf(10, i + 1)) out.lines++;
  }
}

const pauseCell = new Int32Array(new SharedArrayBuffer(4));

/** Interleave the parts' decisions (parts in K order) by packet number into `sink`: packets 1..`packets`, each once. */
function mergeDecisions(parts: PartInput[], sink: ByteSink, packets: number): void {
  const readers: DecisionRecords[] = [];
  try {
    for (const p of parts) readers.push(DECISION_FORMATS[p.result.part!.decisions!.format](p.decisionsPath!, label(p)));
    const header = readers[0]!.header;
    for (let i = 1; i < readers.length; i++) {
      if (!readers[i]!.header.equals(header)) {
        throw new MergeError('SGF_MERGE_MISMATCH', `${label(parts[i]!)}: its binary decisions header (string tables) differs from ${label(parts[0]!)}'s: parts of one replay have the same one`);
      }
    }
    if (header.length > 0) sink.startRecords(header, DREC.SIZE);
    let expected = 1;
    for (;;) {
      let at = -1;
      let low = -1;
      for (let i = 0; i < readers.length; i++) {
        const n = readers[i]!.n;
        if (n === expected) {
          at = i;
          break;
        }
        if (n !== 0 && (low < 0 || n < readers[low]!.n)) low = i;
      }
      if (at < 0) {
        if (low < 0) break;
        const n = readers[low]!.n;
        if (n < expected) throw new MergeError('SGF_MERGE_BAD_DECISIONS', `packet ${n} is in the decisions of ${label(parts[low]!)} and of another part: each packet belongs to exactly one part`);
        throw new MergeError('SGF_MERGE_BAD_DECISIONS', `packet ${expected} is in no part's decisions (the next one, packet ${n}, is in ${label(parts[low]!)})`);
      }
      const r = readers[at]!;
      do {
        r.copyTo(sink);
        expected++;
      } while (r.n === expected);
      if (sink.out.failed) return;
    }
    if (expected - 1 !== packets) {
      throw new MergeError('SGF_MERGE_BAD_DECISIONS', `the parts' decisions hold packets 1..${expected - 1}, the capture has ${packets} packets`);
    }
    readers.forEach((r, i) => {
      const lines = parts[i]!.result.part!.decisions!.lines;
      if (r.records !== lines) throw new MergeError('SGF_MERGE_BAD_DECISIONS', `${label(parts[i]!)}: its decisions file holds ${r.records} decisions, the part wrote ${lines}`);
    });
  } finally {
    for (const r of readers) r.close();
  }
}

// ---------------------------------------------------------------------------
// Summaries.

/** The single run's summary from the parts' (in K order); see the module comment for the wall-clock fields. */
function mergeSummaries(parts: PartInput[]): ReplayResult {
  const rs = parts.map((p) => p.result);
  const first = rs[0]!;
  const sum = (get: (r: ReplayResult) => number) => rs.reduce((n, r) => n + get(r), 0);
  const packets = sum((r) => r.packets);
  // Reasons in the order summarize() writes them (packet reasons, then hop reasons), zeros left out.
  const order = [...PACKET_REASONS.filter((r): r is NonNullable<typeof r> => r !== undefined), ...HOP_REASONS];
  for (const r of rs) {
    for (const k of Object.keys(r.reasons)) if (!order.includes(k as (typeof order)[number])) throw new MergeError('SGF_MERGE_BAD_PART', `a part's summary has the reason "${k}", which this sgfilter does not know`);
  }
  const reasons: Record<string, number> = {};
  for (const k of order) {
    const n = sum((r) => r.reasons[k] ?? 0);
    if (n) reasons[k] = n;
  }
  const interfaces: ReplayResult['interfaces'] = {};
  for (const id of Object.keys(first.interfaces)) {
    const c = (dir: 'ingress' | 'egress', v: 'allow' | 'deny') => sum((r) => r.interfaces[id]![dir][v]);
    interfaces[id] = { ingress: { allow: c('ingress', 'allow'), deny: c('ingress', 'deny') }, egress: { allow: c('egress', 'allow'), deny: c('egress', 'deny') } };
  }
  const rules = first.rules.map((x, i) => ({ group: x.group, rule: x.rule, hits: sum((r) => r.rules[i]!.hits) }));
  const peak: Record<string, number> = {};
  // Peaks are per shard, summed over the shards (wasm-engine.ts conntrackPeak): the parts' shards are disjoint.
  for (const r of rs) for (const [k, v] of Object.entries(r.conntrack.peak)) peak[k] = (peak[k] ?? 0) + v;
  const seconds = Math.max(...rs.map((r) => r.seconds));
  const out: ReplayResult = {
    file: first.file,
    engine: first.engine,
    workers: Math.max(...rs.map((r) => r.workers)),
    packets,
    verdicts: { allow: sum((r) => r.verdicts.allow), deny: sum((r) => r.verdicts.deny) },
    reasons,
    interfaces,
    rules,
    rulesNeverHit: rules.filter((x) => x.hits === 0).map((x) => `${x.group}/${x.rule}`),
    conntrack: { peak, full: sum((r) => r.conntrack.full), fragmentsNotRemembered: sum((r) => r.conntrack.fragmentsNotRemembered) },
    capture: first.capture,
    seconds,
    packetsPerSecond: seconds > 0 ? packets / seconds : 0,
  };
  if (rs.every((r) => r.loopSeconds !== undefined)) out.loopSeconds = Math.max(...rs.map((r) => r.loopSeconds!));
  if (first.error) out.error = first.error;
  return out;
}

/**
 * Merge the parts of a shard set (any order) into the result one replay
 * would have returned; with `decisionsPath`, write the merged decisions there
 * (checked before anything is read: not one of the parts' files). Throws
 * MergeError when the parts do not fit (nothing is written then), OutputError
 * when the output cannot be opened; a write that fails midway gives
 * `decisions.complete: false`.
 */
export function mergeParts(parts: PartInput[], options: MergeOptions = {}): ReplayResult {
  parts = parts.map((p) => (p.decisionsPath === undefined && p.result.part?.decisions ? { ...p, decisionsPath: p.result.part.decisions.path } : p));
  const want = options.decisionsPath !== undefined;
  if (want) checkOutputPath(options.decisionsPath!, { label: 'decisions', inputs: parts.flatMap((p) => [p.source, p.decisionsPath]) });
  const ordered = checkParts(parts, want);
  const out = mergeSummaries(ordered);
  if (want) {
    const file = new OutputFile(options.decisionsPath!, undefined, 'decisions');
    const sink = new ByteSink(file);
    try {
      mergeDecisions(ordered, sink, ordered[0]!.result.part!.capture.packets);
      sink.flush();
    } catch (e) {
      if (!(e instanceof MergeError)) throw e;
      sink.flush();
      throw new MergeError(e.code, `${e.message} (${options.decisionsPath} holds the ${file.lines} decisions merged before this: it is incomplete)`);
    } finally {
      file.close();
    }
    const st = file.status();
    out.decisions = { path: st.path, complete: st.error === undefined, lines: st.lines, packets: st.lines, ...(st.error !== undefined ? { error: st.error } : {}) };
  }
  return out;
}
