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
import { ftruncate } from 'node:fs';
import { InternalError } from '../model/errors.js';
import { DREC, JsonlEncoder, LaneMerger, type DecisionTables } from './decision-format.js';
import { encodeDecisionsHeader } from './decision-file.js';
import type { OutputFile } from './output.js';
import { waitAsync } from './atomics.js';

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

  constructor(readonly out: OutputFile, readonly format: DecisionsFormat, tables: DecisionTables) {
    if (format === 'jsonl') this.encoder = new JsonlEncoder(tables, (bytes, lines) => this.jsonlChunk(bytes, lines), JSONL_CHUNK);
    else {
      this.merger = new LaneMerger();
      out.writeChunk(encodeDecisionsHeader(tables), 0);
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
  /** Int32: [BELL, ABORT, FINISHED, TRUNCATE (see truncateForRing), final batch count + 1 per lane…, then per slot: FREE_FOR, DONE]. */
  control: SharedArrayBuffer;
  /** Float64: per slot, per lane: firstN, count (the batch's packets), own (the lane's records). */
  meta: SharedArrayBuffer;
}


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
    control: new SharedArrayBuffer(4 * (C.FINAL + lanes + 2 * slots)),
    meta: new SharedArrayBuffer(8 * slots * lanes * META),
  };
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

/** Tell the ring's lanes to give up (the writer thread died): their `acquire` returns null. */
export function abortDecisionRing(ring: DecisionRing): void {
  const ctl = new Int32Array(ring.control);
  Atomics.store(ctl, C.ABORT, 1);
  Atomics.notify(ctl, C.BELL);
  for (let s = 0; s < ring.slots; s++) Atomics.notify(ctl, freeAt(ring, s));
}

const freeAt = (r: DecisionRing, s: number) => C.FINAL + r.lanes + 2 * s;
const doneAt = (r: DecisionRing, s: number) => C.FINAL + r.lanes + 2 * s + 1;

/** A worker's end of the ring. */
export class RingProducer {
  private readonly ctl: Int32Array;
  private readonly meta: Float64Array;
  private readonly views: Uint8Array[];
  batches = 0;

  constructor(readonly ring: DecisionRing, readonly lane: number) {
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
  }

  /** The lane has no more batches (call once, in a finally). */
  finish(): void {
    Atomics.store(this.ctl, C.FINAL + this.lane, this.batches + 1);
    Atomics.add(this.ctl, C.FINISHED, 1);
    this.ring_();
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
export async function consumeDecisionRing(ring: DecisionRing, onBatch: (dv: DataView, laneBytes: number, counts: readonly number[], firstN: number, count: number) => void, crashed: () => boolean, onTruncateFailed?: () => void): Promise<number> {
  const ctl = new Int32Array(ring.control);
  const meta = new Float64Array(ring.meta);
  const laneBytes = ring.capacity * DREC.SIZE;
  const views = Array.from({ length: ring.slots }, (_, s) => new DataView(ring.records, s * ring.lanes * laneBytes, ring.lanes * laneBytes));
  const counts = new Array<number>(ring.lanes).fill(0);
  let b = 0;
  try {
    // A destination emptied in the background (truncateForRing): nothing is written before it is empty.
    if (Atomics.load(ctl, C.TRUNCATE) !== TRUNC.NONE && !(await awaitRingTruncation(ctl))) onTruncateFailed?.();
    for (;;) {
      const bell = Atomics.load(ctl, C.BELL);
      const s = b % ring.slots;
      if (Atomics.load(ctl, doneAt(ring, s)) === ring.lanes) {
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
        onBatch(views[s]!, laneBytes, counts, firstN, count);
        Atomics.store(ctl, doneAt(ring, s), 0);
        Atomics.store(ctl, freeAt(ring, s), b + ring.slots);
        Atomics.notify(ctl, freeAt(ring, s));
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
  const w = new DecisionWriter(out, task.format, task.tables);
  try {
    // Given up when replay() aborts the ring (its lane failed before it could finish the ring).
    await consumeDecisionRing(task.ring, (dv, laneBytes, counts) => w.lanes(dv, laneBytes, counts), () => Atomics.load(ctl, C.ABORT) !== 0);
  } finally {
    w.flush();
  }
  return { status: out.status(), lastN: w.lastN };
}
