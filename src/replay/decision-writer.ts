/**
 * Writing decisions: DREC records (decision-format.ts) to an OutputFile as
 * JSON lines or as the binary format (decision-file.ts), and the ring through
 * which several replay workers hand their records to the one writer.
 *
 * The ring: R slots of one batch each in shared memory. Every worker reads
 * the same batches; for batch b it waits until slot b mod R is free for b,
 * fills the records of the packets it owns (the others' records are left to
 * their owners: the slots are disjoint per packet), and counts itself done.
 * The writer (the thread that called replay()) takes a slot when every
 * worker is done with it, writes its records in packet order, marks them
 * unfilled again and frees the slot for batch b + R. Nothing is merged after
 * the replay and no temporary file is written; the memory is R batches.
 */
import { InternalError } from '../model/errors.js';
import { VERDICT } from '../wasm/layout.js';
import { DREC, JsonlEncoder, type DecisionTables } from './decision-format.js';
import { encodeDecisionsHeader } from './decision-file.js';
import type { OutputFile } from './output.js';

export type DecisionsFormat = 'jsonl' | 'binary';
export const DECISIONS_FORMATS: readonly DecisionsFormat[] = ['jsonl', 'binary'];

const BINARY_CHUNK = 1 << 20;

/** Records -> an OutputFile; remembers the last packet written completely. */
export class DecisionWriter {
  /** The packet number of the last decision written completely. */
  lastN = 0;
  /** Infinity, or after a failed write the packet number before the first decision lost. */
  goodThrough = Infinity;
  private readonly encoder: JsonlEncoder | undefined;
  private readonly bin: Uint8Array | undefined;
  private readonly binView: DataView | undefined;
  private binCount = 0;

  constructor(readonly out: OutputFile, readonly format: DecisionsFormat, tables: DecisionTables) {
    if (format === 'jsonl') this.encoder = new JsonlEncoder(tables, (bytes, lines) => this.jsonlChunk(bytes, lines));
    else {
      this.bin = new Uint8Array(Math.floor(BINARY_CHUNK / DREC.SIZE) * DREC.SIZE);
      this.binView = new DataView(this.bin.buffer);
      out.writeChunk(encodeDecisionsHeader(tables), 0);
    }
  }

  /** Write records `first .. first + count` of `dv` (records whose verdict is NOT_MINE are skipped). */
  records(dv: DataView, first: number, count: number): void {
    if (this.out.failed) return;
    if (this.encoder) {
      this.encoder.encode(dv, first, count, true);
      return;
    }
    const bin = this.bin!;
    const src = new Uint8Array(dv.buffer, dv.byteOffset, dv.byteLength);
    const cap = bin.length / DREC.SIZE;
    let r = first;
    const end = first + count;
    while (r < end) {
      // a run of records that are all present
      if (dv.getUint8(r * DREC.SIZE + DREC.VERDICT) === VERDICT.NOT_MINE) {
        r++;
        continue;
      }
      let e = r + 1;
      while (e < end && e - r < cap - this.binCount && dv.getUint8(e * DREC.SIZE + DREC.VERDICT) !== VERDICT.NOT_MINE) e++;
      bin.set(src.subarray(r * DREC.SIZE, e * DREC.SIZE), this.binCount * DREC.SIZE);
      this.binCount += e - r;
      r = e;
      if (this.binCount === cap) this.flush();
    }
  }

  flush(): void {
    if (this.encoder) {
      this.encoder.flush();
      return;
    }
    if (this.binCount === 0) return;
    const count = this.binCount;
    this.binCount = 0;
    const done = this.out.writeChunk(this.bin!.subarray(0, count * DREC.SIZE), count, DREC.SIZE);
    const nAt = (k: number) => Number(this.binView!.getBigUint64(k * DREC.SIZE + DREC.N, true));
    if (done > 0) this.lastN = nAt(done - 1);
    if (done < count && this.goodThrough === Infinity) this.goodThrough = nAt(done) - 1;
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
  /** Records per slot (the batch size). */
  capacity: number;
  /** slots × capacity records. */
  records: SharedArrayBuffer;
  /** Int32: [BELL, ABORT, FINISHED, final batch count + 1 per lane…, then per slot: FREE_FOR, DONE]. */
  control: SharedArrayBuffer;
  /** Float64: per slot, per lane: firstN, count. */
  meta: SharedArrayBuffer;
}

/** Atomics.waitAsync (V8, Node ≥ 16; not in this TypeScript lib). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, t: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync.bind(Atomics);

const C = { BELL: 0, ABORT: 1, FINISHED: 2, FINAL: 3 } as const;

export function makeDecisionRing(lanes: number, capacity: number): DecisionRing {
  const slotBytes = capacity * DREC.SIZE;
  const slots = slotBytes <= 8 << 20 ? 4 : 2;
  const ring: DecisionRing = {
    lanes,
    slots,
    capacity,
    records: new SharedArrayBuffer(slots * slotBytes),
    control: new SharedArrayBuffer(4 * (C.FINAL + lanes + 2 * slots)),
    meta: new SharedArrayBuffer(8 * slots * lanes * 2),
  };
  new Uint8Array(ring.records).fill(VERDICT.NOT_MINE); // (every byte; only the verdict bytes matter)
  const ctl = new Int32Array(ring.control);
  for (let s = 0; s < slots; s++) ctl[freeAt(ring, s)] = s;
  return ring;
}

const freeAt = (r: DecisionRing, s: number) => C.FINAL + r.lanes + 2 * s;
const doneAt = (r: DecisionRing, s: number) => C.FINAL + r.lanes + 2 * s + 1;

/** A worker's end of the ring. */
export class RingProducer {
  private readonly ctl: Int32Array;
  private readonly meta: Float64Array;
  private readonly views: DataView[];
  batches = 0;

  constructor(readonly ring: DecisionRing, readonly lane: number) {
    this.ctl = new Int32Array(ring.control);
    this.meta = new Float64Array(ring.meta);
    this.views = Array.from({ length: ring.slots }, (_, s) => new DataView(ring.records, s * ring.capacity * DREC.SIZE, ring.capacity * DREC.SIZE));
  }

  /**
   * The slot of the next batch, once the writer has freed it; `whileWaiting`
   * runs every few ms meanwhile (and may return false to give up). Returns
   * null when the writer gave up.
   */
  acquire(whileWaiting: () => boolean): DataView | null {
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

  /** This lane filled its records of the acquired slot for the batch of `count` packets from `firstN`. */
  release(firstN: number, count: number): void {
    const s = this.batches % this.ring.slots;
    const m = (s * this.ring.lanes + this.lane) * 2;
    this.meta[m] = firstN;
    this.meta[m + 1] = count;
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
 * `onBatch(view, count)` in order, until every lane finished. `crashed()`
 * says a lane died (then it stops, and tells the lanes to give up).
 * Returns the batches written.
 */
export async function consumeDecisionRing(ring: DecisionRing, onBatch: (dv: DataView, count: number, firstN: number) => void, crashed: () => boolean): Promise<number> {
  const ctl = new Int32Array(ring.control);
  const meta = new Float64Array(ring.meta);
  const bytes = new Uint8Array(ring.records);
  const views = Array.from({ length: ring.slots }, (_, s) => new DataView(ring.records, s * ring.capacity * DREC.SIZE, ring.capacity * DREC.SIZE));
  let b = 0;
  try {
    for (;;) {
      const bell = Atomics.load(ctl, C.BELL);
      const s = b % ring.slots;
      if (Atomics.load(ctl, doneAt(ring, s)) === ring.lanes) {
        const firstN = meta[s * ring.lanes * 2]!;
        const count = meta[s * ring.lanes * 2 + 1]!;
        for (let w = 1; w < ring.lanes; w++) {
          if (meta[(s * ring.lanes + w) * 2] !== firstN || meta[(s * ring.lanes + w) * 2 + 1] !== count) {
            throw new InternalError(`decisions ring: batch ${b}: lane ${w} has packets ${meta[(s * ring.lanes + w) * 2]}+${meta[(s * ring.lanes + w) * 2 + 1]}, lane 0 ${firstN}+${count}`);
          }
        }
        onBatch(views[s]!, count, firstN);
        const base = s * ring.capacity * DREC.SIZE;
        for (let i = 0; i < count; i++) bytes[base + i * DREC.SIZE + DREC.VERDICT] = VERDICT.NOT_MINE;
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
