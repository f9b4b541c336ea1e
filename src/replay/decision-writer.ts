/**
 * Writing decisions: DREC records (decision-format.ts) to an OutputFile as
 * JSON lines or as the binary format (decision-file.ts), and the ring through
 * which several replay workers hand their records to the one writer.
 *
 * The ring: R slots of one batch each in shared memory, a slot an array of
 * records per worker (lane). Every worker reads the same batches; for batch b
 * it waits until slot b mod R is free for b, copies the records of the
 * batch's packets it judged into its array there in one piece (packed, in
 * packet order: RecordFiller makes them in WASM), says how many, and counts
 * itself done. The writer (the thread that called replay()) takes a slot when
 * every worker is done with it, merges the lanes' records in packet order and
 * writes them (in WASM: LaneMerger, JsonlEncoder), and frees the slot for
 * batch b + R. Nothing is merged after the replay and no temporary file is
 * written; the memory is R × lanes batches of records.
 */
import { fstatSync, ftruncate } from 'node:fs';
import { InternalError } from '../model/errors.js';
import { DREC, JsonlEncoder, LaneMerger, type DecisionTables } from './decision-format.js';
import { encodeDecisionsHeader } from './decision-file.js';
import type { OutputFile } from './output.js';

export type DecisionsFormat = 'jsonl' | 'binary';
export const DECISIONS_FORMATS: readonly DecisionsFormat[] = ['jsonl', 'binary'];

/** Bytes of JSON lines per write: 1 MiB took less CPU (the kernel's part above all) than 64 or 256 KiB or 4 MiB (one encoder writing a million lines to a file, alternated). */
const JSONL_CHUNK = 1 << 20;
/** Binary records are written in runs of at least a quarter of this, at most this (a multiple of the record size). */
const BINARY_CHUNK = Math.floor((1 << 20) / DREC.SIZE) * DREC.SIZE;

/** Records -> an OutputFile; remembers the last packet written completely. */
export class DecisionWriter {
  /** The packet number of the last decision written completely. */
  lastN = 0;
  /** Infinity, or after a failed write the packet number before the first decision lost. */
  goodThrough = Infinity;
  private readonly encoder: JsonlEncoder | undefined;
  private readonly merger: LaneMerger | undefined;
  private bin: Uint8Array | undefined;
  private binUsed = 0;

  /** `header` false: the binary format's header is in the destination already (written by another DecisionWriter: LocalRingWriter). */
  constructor(readonly out: OutputFile, readonly format: DecisionsFormat, tables: DecisionTables, header = true) {
    if (format === 'jsonl') this.encoder = new JsonlEncoder(tables, (bytes, lines) => this.jsonlChunk(bytes, lines), JSONL_CHUNK);
    else {
      this.merger = new LaneMerger();
      if (header) out.writeChunk(encodeDecisionsHeader(tables), 0);
    }
  }

  /** Write records `first .. first + count` of `dv` (in packet order). */
  records(dv: DataView, first: number, count: number): void {
    if (this.out.failed || count <= 0) return;
    if (this.encoder) this.encoder.encode(dv, first, count);
    else this.binary(new Uint8Array(dv.buffer, dv.byteOffset + first * DREC.SIZE, count * DREC.SIZE));
  }

  /** Write a decisions ring slot's records: lane l's `counts[l]` at `l × laneBytes` in `dv`, merged in packet order. */
  lanes(dv: DataView, laneBytes: number, counts: readonly number[]): void {
    if (this.out.failed) return;
    if (this.encoder) this.encoder.encodeLanes(dv, laneBytes, counts);
    // One lane: its records are in packet order already, written from the ring without a copy.
    else if (counts.length === 1) this.binary(new Uint8Array(dv.buffer, dv.byteOffset, counts[0]! * DREC.SIZE));
    else this.binary(this.merger!.merge(dv, laneBytes, counts));
  }

  /** Binary records, in order: written at once when there are many (after what is gathered), else gathered (small batches) up to BINARY_CHUNK. */
  private binary(records: Uint8Array): void {
    if (records.length === 0) return;
    if (records.length >= BINARY_CHUNK / 4) {
      this.flushBinary();
      this.writeBinary(records);
      return;
    }
    if (this.binUsed + records.length > BINARY_CHUNK) this.flushBinary();
    this.bin ??= new Uint8Array(BINARY_CHUNK);
    this.bin.set(records, this.binUsed);
    this.binUsed += records.length;
  }

  private flushBinary(): void {
    if (this.binUsed === 0) return;
    const n = this.binUsed;
    this.binUsed = 0;
    this.writeBinary(this.bin!.subarray(0, n));
  }

  private writeBinary(records: Uint8Array): void {
    const n = records.length / DREC.SIZE;
    const done = this.out.writeChunk(records, n, DREC.SIZE);
    const pv = new DataView(records.buffer, records.byteOffset, records.byteLength);
    const nAt = (k: number) => Number(pv.getBigUint64(k * DREC.SIZE + DREC.N, true));
    if (done > 0) this.lastN = nAt(done - 1);
    if (done < n && this.goodThrough === Infinity) this.goodThrough = nAt(done) - 1;
  }

  /** Write JSON lines encoded elsewhere (LocalRingWriter.encodeAhead), after what is buffered. */
  jsonlBytes(bytes: Uint8Array, lines: number): void {
    if (this.out.failed) return;
    this.encoder!.flush();
    if (lines > 0) this.jsonlChunk(bytes, lines);
  }

  /** Write what is buffered. */
  flush(): void {
    this.encoder?.flush();
    this.flushBinary();
  }

  private jsonlChunk(bytes: Uint8Array, lines: number): void {
    const done = this.out.writeChunk(bytes, lines);
    // The packet number of line k (0-based) of the chunk: `{"n":N,`.
    const nOf = (k: number): number => {
      let at = 0;
      if (k === lines - 1) at = bytes.lastIndexOf(10, bytes.length - 2) + 1;
      else for (let i = 0; i < k; i++) at = bytes.indexOf(10, at) + 1;
      let n = 0;
      for (let p = at + 5; bytes[p]! >= 48 && bytes[p]! <= 57; p++) n = n * 10 + bytes[p]! - 48;
      return n;
    };
    if (done === lines) {
      if (lines > 0) this.lastN = nOf(lines - 1);
      return;
    }
    if (done > 0) this.lastN = nOf(done - 1);
    if (this.goodThrough === Infinity) this.goodThrough = nOf(done) - 1;
  }
}

/** The shared part of a ring (structured-clone friendly: it goes to every worker). */
export interface DecisionRing {
  lanes: number;
  slots: number;
  /** Records per lane's array (the batch size). */
  capacity: number;
  /** slots × lanes × capacity records: slot s, lane l at (s × lanes + l) × capacity. */
  records: SharedArrayBuffer;
  /** Int32: [BELL, ABORT, FINISHED, TRUNCATE (see truncateForRing), final batch count + 1 per lane…, then per slot: FREE_FOR, DONE, then HANDOFF, NEXT (LocalRingWriter)]. */
  control: SharedArrayBuffer;
  /** Float64: per slot, per lane: firstN, count (the batch's packets), own (the lane's records). */
  meta: SharedArrayBuffer;
  /** A deep ring's: AHEAD_BUFFERS buffers of AHEAD_BYTES for JSON lines encoded ahead by the calling thread (LocalRingWriter.encodeAhead). */
  ahead?: SharedArrayBuffer;
  /** Int32: per ahead buffer: AB state, batch, bytes, lines; then per slot: CLAIM (2b + 1: batch b encoded by the writer thread, 2b + 2: ahead). */
  aheadControl?: SharedArrayBuffer;
}

/** Ahead buffers: 8 of 2 MiB (a batch of 8192 lines is ~1.4 MB; one that does not fit is encoded by the writer thread). */
const AHEAD_BUFFERS = 8;
const AHEAD_BYTES = 2 << 20;
/** An ahead buffer's state: free, being filled, ready (its batch's lines), given up (the writer thread encodes its batch). */
const AB = { FREE: 0, FILLING: 1, READY: 2, GAVE_UP: 3 } as const;
const abAt = (k: number) => 4 * k;
const claimAt = (s: number) => 4 * AHEAD_BUFFERS + s;

/** Atomics.waitAsync (V8, Node ≥ 16; not in this TypeScript lib). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, t: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync.bind(Atomics);

const C = { BELL: 0, ABORT: 1, FINISHED: 2, TRUNCATE: 3, FINAL: 4 } as const;
/** The ring's TRUNCATE word: no truncation to wait for (0), one under way in replay()'s thread, done, failed. */
const TRUNC = { NONE: 0, PENDING: 1, DONE: 2, FAILED: 3 } as const;
/** Float64s of meta per slot and lane. */
const META = 3;

/**
 * `deep`: a ring for one lane judging in the calling thread while a writer
 * thread starts (replay.ts, the local lane): as many slots as fit in
 * DEEP_RING_BYTES (at least 4, at most DEEP_RING_SLOTS), so that the lane
 * judges on while the writer is not there yet.
 */
export function makeDecisionRing(lanes: number, capacity: number, deep = false): DecisionRing {
  const slotBytes = lanes * capacity * DREC.SIZE;
  const slots = deep ? Math.max(4, Math.min(DEEP_RING_SLOTS, Math.floor(DEEP_RING_BYTES / slotBytes))) : slotBytes <= 8 << 20 ? 4 : 2;
  const ring: DecisionRing = {
    lanes,
    slots,
    capacity,
    records: new SharedArrayBuffer(slots * slotBytes),
    control: new SharedArrayBuffer(4 * (C.FINAL + lanes + 2 * slots + 2)),
    meta: new SharedArrayBuffer(8 * slots * lanes * META),
  };
  if (deep && lanes === 1) {
    ring.ahead = new SharedArrayBuffer(AHEAD_BUFFERS * AHEAD_BYTES);
    ring.aheadControl = new SharedArrayBuffer(4 * (4 * AHEAD_BUFFERS + slots));
  }
  const ctl = new Int32Array(ring.control);
  for (let s = 0; s < slots; s++) ctl[freeAt(ring, s)] = s;
  return ring;
}

/** A deep ring's bytes at most: 32 MiB, 128 slots of 8192 records (a worker thread starts in 50-90 ms here; the lane fills about one slot a millisecond). */
const DEEP_RING_BYTES = 32 << 20;
const DEEP_RING_SLOTS = 1024;

/**
 * Empty the destination of a ring's writer (OutputFile.truncatePending) in
 * the background, on libuv's thread pool, while the lanes judge and a writer
 * thread starts: truncating a file of 166 MB whose pages were just written
 * takes ~100 ms of wall time here (~15 ms of CPU; the rest waits for their
 * writeback), which the writer paid before its first write. The writer waits
 * for it before writing (writeDecisionRing, consumeDecisionRing's
 * `truncated`). The promise never rejects (a failure is left to the
 * writer's own truncateNow, which reports it; it resolves to false then);
 * the descriptor must stay open until it settles.
 */
export function truncateForRing(ring: DecisionRing, fd: number): Promise<boolean> {
  const ctl = new Int32Array(ring.control);
  Atomics.store(ctl, C.TRUNCATE, TRUNC.PENDING);
  return new Promise((resolve) => {
    ftruncate(fd, 0, (e) => {
      Atomics.store(ctl, C.TRUNCATE, e ? TRUNC.FAILED : TRUNC.DONE);
      Atomics.notify(ctl, C.TRUNCATE);
      resolve(!e);
    });
  });
}

/** Wait (without blocking the event loop) until the ring's background truncation is over; false: it failed (or the ring was aborted first). */
async function awaitRingTruncation(ctl: Int32Array): Promise<boolean> {
  for (;;) {
    const t = Atomics.load(ctl, C.TRUNCATE);
    if (t !== TRUNC.PENDING) return t !== TRUNC.FAILED;
    if (Atomics.load(ctl, C.ABORT) !== 0) return false;
    const w = waitAsync(ctl, C.TRUNCATE, t, 50);
    if (w.async) await w.value;
  }
}

/** The writer thread's side of the hand-off (LocalRingWriter): WRITER when it writes from NEXT on, else FAILED or ALL (or WRITER after an abort). */
async function takeOver(ring: DecisionRing, ctl: Int32Array): Promise<number> {
  const at = handoffAt(ring);
  for (;;) {
    const h = Atomics.compareExchange(ctl, at, HAND.MAIN, HAND.WRITER);
    if (h === HAND.MAIN) return HAND.WRITER;
    if (h !== HAND.BUSY) return h;
    // The lane failed while this thread waited: nothing more is written (replay() throws its error).
    if (Atomics.load(ctl, C.ABORT) !== 0) return HAND.FAILED;
    const w = waitAsync(ctl, at, h, 50);
    if (w.async) await w.value;
  }
}

/** Tell the ring's lanes to give up (the writer thread died): their `acquire` returns null. */
export function abortDecisionRing(ring: DecisionRing): void {
  const ctl = new Int32Array(ring.control);
  Atomics.store(ctl, C.ABORT, 1);
  Atomics.notify(ctl, C.BELL);
  for (let s = 0; s < ring.slots; s++) Atomics.notify(ctl, freeAt(ring, s));
}

const freeAt = (r: DecisionRing, s: number) => C.FINAL + r.lanes + 2 * s;
const doneAt = (r: DecisionRing, s: number) => C.FINAL + r.lanes + 2 * s + 1;
/** Who writes the ring's batches (LocalRingWriter): HAND values. */
const handoffAt = (r: DecisionRing) => C.FINAL + r.lanes + 2 * r.slots;
/** The first batch not yet written by the calling thread (LocalRingWriter): where the writer thread starts. */
const nextAt = (r: DecisionRing) => C.FINAL + r.lanes + 2 * r.slots + 1;
/**
 * The ring's HANDOFF word: the calling thread may write (MAIN: the default,
 * also for rings without a LocalRingWriter, whose writer takes over at once),
 * it is writing a batch (BUSY), the writer thread writes (WRITER), the
 * calling thread's write failed (FAILED: nothing more is written), the
 * calling thread wrote every batch (ALL).
 */
const HAND = { MAIN: 0, WRITER: 1, BUSY: 2, FAILED: 3, ALL: 4 } as const;

/** The calling threads' writers of local lanes' rings (RingProducer finds its ring's, if any; a ring cloned into a worker has none). */
const localWriters = new WeakMap<DecisionRing, LocalRingWriter>();

/**
 * Hand the completed batch `b` of the ring (slot `s`) to `onBatch`, then free its slot for batch
 * b + slots. Returns false when the batch is not complete.
 */
function takeBatch(ring: DecisionRing, ctl: Int32Array, meta: Float64Array, views: readonly DataView[], counts: number[], b: number, onBatch: (dv: DataView, laneBytes: number, counts: readonly number[], firstN: number, count: number) => void): boolean {
  const s = b % ring.slots;
  if (Atomics.load(ctl, doneAt(ring, s)) !== ring.lanes) return false;
  const m0 = s * ring.lanes * META;
  const firstN = meta[m0]!;
  const count = meta[m0 + 1]!;
  let total = 0;
  for (let w = 0; w < ring.lanes; w++) {
    const m = m0 + w * META;
    if (meta[m] !== firstN || meta[m + 1] !== count) {
      throw new InternalError(`decisions ring: batch ${b}: lane ${w} has packets ${meta[m]}+${meta[m + 1]}, lane 0 ${firstN}+${count}`);
    }
    counts[w] = meta[m + 2]!;
    total += counts[w]!;
  }
  if (total > count) throw new InternalError(`decisions ring: batch ${b}: the lanes hold ${total} records for ${count} packets`);
  onBatch(views[s]!, ring.capacity * DREC.SIZE, counts, firstN, count);
  Atomics.store(ctl, doneAt(ring, s), 0);
  Atomics.store(ctl, freeAt(ring, s), b + ring.slots);
  Atomics.notify(ctl, freeAt(ring, s));
  return true;
}

const slotViews = (ring: DecisionRing) => Array.from({ length: ring.slots }, (_, s) => new DataView(ring.records, s * ring.lanes * ring.capacity * DREC.SIZE, ring.lanes * ring.capacity * DREC.SIZE));

/**
 * The calling thread's part in writing a local lane's ring (replay.ts, the
 * local lane): until the writer thread is online (50-90 ms after it was
 * started here, a fifth of a 1M-packet replay), the lane writes each batch
 * itself, synchronously, right after releasing it into the ring (and, when
 * it finishes first, every batch: the writer thread then writes nothing).
 * The writer thread takes over at a batch boundary (writeDecisionRing: a
 * compare-and-swap of HANDOFF from MAIN to WRITER, which the lane's writes
 * hold at BUSY) and goes on from NEXT, so the bytes come in order through
 * the one descriptor. Nothing is written while an existing file is being
 * emptied in the background (truncateForRing). `result` folds what this
 * thread wrote into the writer thread's result.
 */
export class LocalRingWriter {
  private readonly ctl: Int32Array;
  private readonly meta: Float64Array;
  private readonly views: DataView[];
  private readonly counts: number[];
  private writer: DecisionWriter | undefined;
  private next = 0;

  constructor(readonly ring: DecisionRing, readonly out: OutputFile, readonly format: DecisionsFormat, readonly tables: DecisionTables) {
    this.ctl = new Int32Array(ring.control);
    this.meta = new Float64Array(ring.meta);
    this.views = slotViews(ring);
    this.counts = new Array<number>(ring.lanes).fill(0);
    // Only a regular file: a pipe's reader could block this thread (its event loop, so signals) in a write.
    let file = false;
    try {
      file = fstatSync(out.fd).isFile();
    } catch {
      // left to the writer thread
    }
    if (file) localWriters.set(ring, this);
  }

  /** Write the completed batches, unless the writer thread took over (or the destination is being emptied). */
  pump(): void {
    const ctl = this.ctl;
    const t = Atomics.load(ctl, C.TRUNCATE);
    if (t === TRUNC.PENDING || t === TRUNC.FAILED || Atomics.load(ctl, C.ABORT) !== 0) return;
    if (Atomics.compareExchange(ctl, handoffAt(this.ring), HAND.MAIN, HAND.BUSY) !== HAND.MAIN) return;
    let after: number = HAND.MAIN;
    try {
      // The DecisionWriter (and the binary header) only with a first batch: NEXT 0 tells the writer thread to write the header.
      const onBatch = (dv: DataView, laneBytes: number, counts: readonly number[]) => (this.writer ??= new DecisionWriter(this.out, this.format, this.tables)).lanes(dv, laneBytes, counts);
      while (takeBatch(this.ring, ctl, this.meta, this.views, this.counts, this.next, onBatch)) {
        this.next++;
        // Whole batches only: what is buffered goes out before the writer thread may take over.
        this.writer!.flush();
        if (this.out.failed) break;
      }
      if (this.out.failed) after = HAND.FAILED;
    } catch (e) {
      after = HAND.FAILED;
      throw e;
    } finally {
      Atomics.store(ctl, nextAt(this.ring), this.next);
      Atomics.store(ctl, handoffAt(this.ring), after);
      Atomics.notify(ctl, handoffAt(this.ring));
    }
  }

  /** The lane finished (after its last release): write what is left if this thread still writes, and tell the writer thread so. */
  finished(): void {
    this.pump();
    const ctl = this.ctl;
    if (Atomics.load(ctl, C.ABORT) === 0 && Atomics.compareExchange(ctl, handoffAt(this.ring), HAND.MAIN, HAND.ALL) === HAND.MAIN) {
      Atomics.notify(ctl, handoffAt(this.ring));
      return;
    }
    if (this.format === 'jsonl' && this.ring.ahead && Atomics.load(ctl, handoffAt(this.ring)) === HAND.WRITER) this.aheadDone = this.encodeAhead();
  }

  /** Settles when encodeAhead is over (replay() awaits it with the writer thread). */
  aheadDone: Promise<void> = Promise.resolve();

  /**
   * Once the lane has judged every packet and the writer thread writes:
   * this thread, idle otherwise, encodes JSON lines of the batches just
   * ahead of the writer thread into the ring's ahead buffers (claiming each
   * batch by CLAIM), and the writer thread writes those bytes instead of
   * encoding them itself (writeDecisionRing) — the encoding a quarter of its
   * time. Order is the writer thread's: it writes batch after batch.
   */
  private async encodeAhead(): Promise<void> {
    const ring = this.ring;
    const ctl = this.ctl;
    const actl = new Int32Array(ring.aheadControl!);
    const bytesAll = new Uint8Array(ring.ahead!);
    const end = Atomics.load(ctl, C.FINAL) - 1; // the lane's batches
    let k = -1;
    let filled = 0;
    let lines = 0;
    let over = false;
    const encoder = new JsonlEncoder(this.tables, (bytes, n) => {
      if (over || filled + bytes.length > AHEAD_BYTES) {
        over = true;
        return;
      }
      bytesAll.set(bytes, k * AHEAD_BYTES + filled);
      filled += bytes.length;
      lines += n;
    }, AHEAD_BYTES);
    let b = 0;
    while (Atomics.load(ctl, C.ABORT) === 0) {
      // Just ahead of the writer thread: the batch after the one it writes.
      b = Math.max(b, Atomics.load(ctl, nextAt(ring)) + 1);
      if (b >= end) return;
      // A free buffer, else wait for the writer thread to write one.
      k = -1;
      for (let i = 0; i < AHEAD_BUFFERS && k < 0; i++) if (Atomics.compareExchange(actl, abAt(i), AB.FREE, AB.FILLING) === AB.FREE) k = i;
      if (k < 0) {
        const w = waitAsync(ctl, nextAt(ring), Atomics.load(ctl, nextAt(ring)), 20);
        if (w.async) await w.value;
        continue;
      }
      const s = b % ring.slots;
      const v = Atomics.load(actl, claimAt(s));
      if (v >= 2 * b + 1 || Atomics.compareExchange(actl, claimAt(s), v, 2 * b + 2) !== v) {
        Atomics.store(actl, abAt(k), AB.FREE); // the writer thread has it
        b++;
        continue;
      }
      filled = 0;
      lines = 0;
      over = false;
      const m0 = s * ring.lanes * META;
      encoder.encode(this.views[s]!, 0, this.meta[m0 + 2]!);
      encoder.flush();
      Atomics.store(actl, abAt(k) + 1, b);
      Atomics.store(actl, abAt(k) + 2, filled);
      Atomics.store(actl, abAt(k) + 3, lines);
      Atomics.store(actl, abAt(k), over ? AB.GAVE_UP : AB.READY);
      Atomics.notify(actl, abAt(k));
      Atomics.notify(actl, abAt(0)); // the word the writer thread waits on
      b++;
    }
  }

  /** The writer thread's result with this thread's writes in it (they came first). */
  result(r: RingWriterResult): RingWriterResult {
    const mine = this.out.status();
    if (process.env.SGF_DEBUG_HAND) process.stderr.write(`local wrote ${mine.lines} lines, ${this.next} batches\n`);
    if (this.writer === undefined) return r;
    const error = mine.error ?? r.status.error;
    return {
      status: { path: r.status.path, lines: mine.lines + r.status.lines, bytes: mine.bytes + r.status.bytes, ...(error !== undefined ? { error } : {}) },
      // Batches are written in order: the later of the two is the last written.
      lastN: Math.max(r.lastN, this.writer.lastN),
    };
  }
}

/** A worker's end of the ring. */
export class RingProducer {
  private readonly ctl: Int32Array;
  private readonly meta: Float64Array;
  private readonly views: Uint8Array[];
  /** The calling thread's writer of this (local lane's) ring, if any. */
  private readonly local: LocalRingWriter | undefined;
  batches = 0;

  constructor(readonly ring: DecisionRing, readonly lane: number) {
    this.local = localWriters.get(ring);
    this.ctl = new Int32Array(ring.control);
    this.meta = new Float64Array(ring.meta);
    const bytes = ring.capacity * DREC.SIZE;
    this.views = Array.from({ length: ring.slots }, (_, s) => new Uint8Array(ring.records, (s * ring.lanes + lane) * bytes, bytes));
  }

  /**
   * This lane's array in the slot of the next batch, once the writer has freed it; `whileWaiting`
   * runs every few ms meanwhile (and may return false to give up). Returns
   * null when the writer gave up.
   */
  acquire(whileWaiting: () => boolean): Uint8Array | null {
    const b = this.batches;
    const s = b % this.ring.slots;
    const at = freeAt(this.ring, s);
    for (;;) {
      const free = Atomics.load(this.ctl, at);
      if (free === b) return this.views[s]!;
      if (Atomics.load(this.ctl, C.ABORT) !== 0 || !whileWaiting()) return null;
      Atomics.wait(this.ctl, at, free, 5);
    }
  }

  /**
   * `acquire` for a lane in the calling thread (replay.ts, the local lane):
   * it waits without blocking the event loop, so that the writer thread's
   * failure can be seen (abortDecisionRing) and timers and signals run.
   */
  async acquireAsync(whileWaiting: () => boolean): Promise<Uint8Array | null> {
    const b = this.batches;
    const s = b % this.ring.slots;
    const at = freeAt(this.ring, s);
    for (;;) {
      const free = Atomics.load(this.ctl, at);
      if (free === b) return this.views[s]!;
      if (Atomics.load(this.ctl, C.ABORT) !== 0 || !whileWaiting()) return null;
      const w = waitAsync(this.ctl, at, free, 5);
      if (w.async) await w.value;
    }
  }

  /** This lane put its `own` records of the batch of `count` packets from `firstN` in its array of the acquired slot. */
  release(firstN: number, count: number, own: number): void {
    const s = this.batches % this.ring.slots;
    const m = (s * this.ring.lanes + this.lane) * META;
    this.meta[m] = firstN;
    this.meta[m + 1] = count;
    this.meta[m + 2] = own;
    this.batches++;
    Atomics.add(this.ctl, doneAt(this.ring, s), 1);
    this.ring_();
    this.local?.pump();
  }

  /** The lane has no more batches (call once, in a finally). */
  finish(): void {
    Atomics.store(this.ctl, C.FINAL + this.lane, this.batches + 1);
    Atomics.add(this.ctl, C.FINISHED, 1);
    this.ring_();
    this.local?.finished();
  }

  private ring_(): void {
    Atomics.add(this.ctl, C.BELL, 1);
    Atomics.notify(this.ctl, C.BELL);
  }
}

/**
 * The writer's end: hands each batch, once every lane has filled it, to
 * `onBatch(view, laneBytes, counts, firstN, count)` in order (the slot's
 * lanes' arrays, `laneBytes` apart in `view`, lane l holding `counts[l]`
 * records of the `count` packets from `firstN`), until every lane finished. `crashed()`
 * says a lane died (then it stops, and tells the lanes to give up).
 * When the destination is being emptied in the background (truncateForRing), no
 * batch is handed over before that is done; `onTruncateFailed` is called when
 * it failed (or the ring was aborted meanwhile). Returns the batches written.
 */
export async function consumeDecisionRing(ring: DecisionRing, onBatch: (dv: DataView, laneBytes: number, counts: readonly number[], firstN: number, count: number) => void, crashed: () => boolean, onTruncateFailed?: () => void, first = 0): Promise<number> {
  const ctl = new Int32Array(ring.control);
  const meta = new Float64Array(ring.meta);
  const views = slotViews(ring);
  const counts = new Array<number>(ring.lanes).fill(0);
  let b = first;
  try {
    // A destination emptied in the background (truncateForRing): nothing is written before it is empty.
    if (Atomics.load(ctl, C.TRUNCATE) !== TRUNC.NONE && !(await awaitRingTruncation(ctl))) onTruncateFailed?.();
    for (;;) {
      const bell = Atomics.load(ctl, C.BELL);
      const s = b % ring.slots;
      if (takeBatch(ring, ctl, meta, views, counts, b, onBatch)) {
        b++;
        continue;
      }
      if (Atomics.load(ctl, C.FINISHED) === ring.lanes) {
        // Every lane finished (after its last release): unless batch b became complete meanwhile, it is not
        // coming (all lanes stop at the same batch, on an interrupt or damage).
        if (Atomics.load(ctl, doneAt(ring, s)) === ring.lanes) continue;
        return b;
      }
      if (crashed()) return b;
      const w = waitAsync(ctl, C.BELL, bell, 50);
      if (w.async) await w.value;
    }
  } finally {
    Atomics.store(ctl, C.ABORT, 1);
    Atomics.notify(ctl, C.BELL);
    for (let s = 0; s < ring.slots; s++) Atomics.notify(ctl, freeAt(ring, s));
  }
}

/** What a writer thread is given (replay.ts, the local lane): the ring, the open destination and how to write. */
export interface RingWriterTask {
  ring: DecisionRing;
  path: string;
  /** The destination, opened (and truncated) by replay(); the writer writes it and leaves it open. */
  fd: number;
  format: DecisionsFormat;
  tables: DecisionTables;
  /** Empty the destination first (OutputFile.truncatePending: replay() left that to this thread), unless the ring says a background truncation (truncateForRing) did it. */
  truncate?: boolean;
}

export interface RingWriterResult {
  status: ReturnType<OutputFile['status']>;
  /** The packet number of the last decision written completely. */
  lastN: number;
}

/** The writer thread's work: consume the ring into the destination (consumeDecisionRing, DecisionWriter), as replay()'s thread does for worker lanes. */
export async function writeDecisionRing(task: RingWriterTask, out: OutputFile): Promise<RingWriterResult> {
  const ctl = new Int32Array(task.ring.control);
  const background = Atomics.load(ctl, C.TRUNCATE) !== TRUNC.NONE;
  if (task.truncate && !background) out.truncateNow();
  // The header of the binary format is written by the DecisionWriter: after a background truncation.
  if (background && !(await awaitRingTruncation(ctl)) && task.truncate) out.truncateNow();
  // Take over from the calling thread (LocalRingWriter) at a batch boundary: it may have written the first batches, or all.
  const hand = await takeOver(task.ring, ctl);
  const first = Atomics.load(ctl, nextAt(task.ring));
  const write = hand === HAND.WRITER;
  const w = write ? new DecisionWriter(out, task.format, task.tables, first === 0) : undefined;
  const ring = task.ring;
  const actl = ring.aheadControl ? new Int32Array(ring.aheadControl) : undefined;
  const ahead = ring.ahead ? new Uint8Array(ring.ahead) : undefined;
  let b = first;
  let aheadN = 0;
  const onBatch = (dv: DataView, laneBytes: number, counts: readonly number[]) => {
    const s = b % ring.slots;
    // The calling thread may have encoded this batch (LocalRingWriter.encodeAhead): claim it, or take its bytes.
    if (actl) {
      const v = Atomics.load(actl, claimAt(s));
      if (v === 2 * b + 2 || Atomics.compareExchange(actl, claimAt(s), v, 2 * b + 1) !== v) {
        for (;;) {
          let found = -1;
          for (let k = 0; k < AHEAD_BUFFERS && found < 0; k++) {
            const st = Atomics.load(actl, abAt(k));
            if ((st === AB.READY || st === AB.GAVE_UP) && Atomics.load(actl, abAt(k) + 1) === b) found = k;
          }
          if (found >= 0) {
            const k = found;
            if (process.env.SGF_DEBUG_HAND) aheadN++;
            if (Atomics.load(actl, abAt(k)) === AB.READY) w!.jsonlBytes(ahead!.subarray(k * AHEAD_BYTES, k * AHEAD_BYTES + Atomics.load(actl, abAt(k) + 2)), Atomics.load(actl, abAt(k) + 3));
            else w!.lanes(dv, laneBytes, counts);
            Atomics.store(actl, abAt(k), AB.FREE);
            break;
          }
          if (Atomics.load(ctl, C.ABORT) !== 0) throw new InternalError(`decisions ring: aborted while batch ${b} was encoded ahead`);
          Atomics.wait(actl, abAt(0), Atomics.load(actl, abAt(0)), 1);
        }
        Atomics.store(ctl, nextAt(ring), ++b);
        Atomics.notify(ctl, nextAt(ring));
        return;
      }
    }
    w!.lanes(dv, laneBytes, counts);
    Atomics.store(ctl, nextAt(ring), ++b);
    Atomics.notify(ctl, nextAt(ring));
  };
  try {
    // Given up when replay() aborts the ring (its lane failed before it could finish the ring).
    // When the calling thread's write failed, the rest is consumed (so that the lane runs to its end) but not written.
    await consumeDecisionRing(task.ring, w ? onBatch : () => {}, () => Atomics.load(ctl, C.ABORT) !== 0, undefined, first);
  } finally {
    w?.flush();
  }
  if (process.env.SGF_DEBUG_HAND) process.stderr.write(`writer: from ${first}, ${aheadN} ahead, to ${b}\n`);
  return { status: out.status(), lastN: w?.lastN ?? 0 };
}
