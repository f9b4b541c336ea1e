/**
 * The host side of the WASM decoder (assembly/decode.ts): regions in a
 * WasmInstance for frame descriptors, interface table and records; the
 * capture scanner writes descriptors straight into WASM memory, one call
 * decodes a whole batch.
 *
 * - `decodeBuffer(bytes, onBatch)`: the capture is copied into WASM memory
 *   once and scanned in place (zero-copy from then on).
 * - `decodeFile(path, onBatch)`: streamed in chunks; each batch's frames are
 *   copied into a staging region (one memcpy per batch).
 * `onBatch(records, count, firstN, interfaces)` gets a DataView over the
 * batch's records (REC layout, record-layout.ts), valid until it returns.
 * Both rethrow the reader's PcapError after the last good batch.
 */
import { WasmInstance, type SgfExports } from '../wasm/loader.js';
import { TS_KIND } from './format.js';
import { IFACE_ENTRY, REC } from './record-layout.js';
import { CaptureFileReader, CaptureReader, type CaptureSummary } from './reader.js';
import { DESC, FrameBatch, MAX_CAPTURE_INTERFACES, type CaptureInterface, type PcapWalk } from './scanner.js';
import { InternalError } from '../model/errors.js';

export type RecordBatchHandler = (records: DataView, count: number, firstN: number, interfaces: readonly CaptureInterface[]) => void;

/** Largest number of interfaces the table holds (the scanner's table bound). */
export const MAX_INTERFACES = MAX_CAPTURE_INTERFACES;

/**
 * Entries of an interface table written for `written` (its first `n`
 * interfaces, the first of them `first`) still valid for `ifaces`: all `n`
 * when the scanner only appended, 0 when it renumbered (forgot sections).
 */
export function interfacesStillWritten(ifaces: readonly CaptureInterface[], n: number, first: CaptureInterface | undefined): number {
  return n > 0 && ifaces.length >= n && ifaces[0] === first ? n : 0;
}

/** Write the decoder's interface table entries (linktype, clock) for `ifaces[from..]` at `ptr`. */
export function writeInterfaceTable(dv: DataView, ptr: number, ifaces: readonly CaptureInterface[], from = 0): void {
  for (let i = from; i < ifaces.length; i++) {
    const ifc = ifaces[i]!;
    const at = ptr + i * IFACE_ENTRY.SIZE;
    dv.setUint32(at + IFACE_ENTRY.LINKTYPE, ifc.linktype, true);
    dv.setUint8(at + IFACE_ENTRY.TS_KIND, ifc.clock.kind);
    dv.setUint8(at + IFACE_ENTRY.TS_EXP, ifc.clock.exp);
    dv.setBigInt64(at + IFACE_ENTRY.TS_OFFSET, BigInt.asIntN(64, ifc.clock.offset), true);
  }
}

/**
 * The one WASM decoder host: the descriptor, record and interface-table
 * regions in a WasmInstance, the classic-pcap walk a scanner asks for
 * (`walkPcap`, over the window at `windowPtr`) and one decode call per
 * batch. The replay engine (replay/wasm-engine.ts) composes one over its
 * staging region; on its own it decodes buffers and files (below).
 */
export class WasmDecoder implements PcapWalk {
  readonly inst: WasmInstance;
  readonly capacity: number;
  /** Frame descriptors (DESC), `capacity` of them. */
  readonly descPtr: number;
  /** Decoded records (REC), `capacity` of them. */
  readonly recPtr: number;
  readonly ifacePtr: number;
  private readonly maxInterfaces: number;
  private readonly decodeBatch: SgfExports['decodeBatch'];
  private readonly scanPcap: SgfExports['scanPcap'];
  private readonly scanPcapPos: SgfExports['scanPcapPos'];
  private ifacesWritten = 0;
  private ifacesFirst: CaptureInterface | undefined;
  /** The frames window descriptors point into: the walk and `decode` read it. */
  windowPtr = 0;

  /** Use the WASM pcap record walk (assembly scanPcap) for windows in WASM memory. */
  fast = true;

  /** `maxInterfaces`: capture interfaces the table holds at once (default the scanner's bound). */
  constructor(inst?: WasmInstance, capacity = 4096, maxInterfaces = MAX_INTERFACES) {
    this.inst = inst ?? new WasmInstance('release');
    this.capacity = capacity;
    this.maxInterfaces = maxInterfaces;
    const e = this.inst.exports;
    this.decodeBatch = e.decodeBatch;
    this.scanPcap = e.scanPcap;
    this.scanPcapPos = e.scanPcapPos;
    this.descPtr = this.inst.alloc(capacity * DESC.BYTES, 64);
    this.recPtr = this.inst.alloc(capacity * REC.SIZE, 64);
    this.ifacePtr = this.inst.alloc(maxInterfaces * IFACE_ENTRY.SIZE, 64);
  }

  /** The scanner's accelerated classic-pcap walk over the window (assembly/decode.ts scanPcap). */
  walkPcap(pos: number, end: number, little: boolean, fracLimit: number, snaplen: number, batch: FrameBatch, n: number): [number, number] {
    const m = this.scanPcap(this.windowPtr, pos, end, little ? 0 : 1, fracLimit, snaplen, this.descPtr, n, batch.capacity);
    return [m, this.scanPcapPos()];
  }

  /** A FrameBatch whose descriptors live in WASM memory (re-make it when memory grows). */
  batchView(): FrameBatch {
    return new FrameBatch(this.capacity, new Uint32Array(this.inst.memory.buffer, this.descPtr, this.capacity * DESC.WORDS));
  }

  /** Forget the capture interfaces written so far (a new capture). */
  newCapture(): void {
    this.ifacesWritten = 0;
    this.ifacesFirst = undefined;
  }

  /** Write the capture's interface table (linktype, clock) if it changed since the last batch. */
  useInterfaces(ifaces: readonly CaptureInterface[]): void {
    if (ifaces.length === this.ifacesWritten && ifaces[0] === this.ifacesFirst) return;
    if (ifaces.length > this.maxInterfaces) throw new InternalError(`the capture names ${ifaces.length} interfaces; at most ${this.maxInterfaces}`);
    // From 0 again when the scanner renumbered its table (a file of many sections).
    writeInterfaceTable(this.inst.view(), this.ifacePtr, ifaces, interfacesStillWritten(ifaces, this.ifacesWritten, this.ifacesFirst));
    this.ifacesWritten = ifaces.length;
    this.ifacesFirst = ifaces[0];
  }

  /**
   * Copy a batch's frames (in `buf`, outside WASM memory) to the window and
   * its descriptors to the descriptor region, rebased on the window. The
   * caller makes sure the window holds `stagedBytes(batch)` bytes.
   */
  stage(buf: Uint8Array, batch: FrameBatch): void {
    const n = batch.count;
    const lo = batch.dataOff(0);
    const last = n - 1;
    const hi = batch.dataOff(last) + batch.caplen(last);
    this.inst.u8().set(buf.subarray(lo, hi), this.windowPtr);
    const words = new Uint32Array(this.inst.memory.buffer, this.descPtr, n * DESC.WORDS);
    words.set(batch.desc.subarray(0, n * DESC.WORDS));
    for (let i = 0; i < n; i++) words[i * DESC.WORDS + DESC.DATA_OFF]! -= lo;
  }

  /** Bytes a batch's frames take (from its first frame to the end of its last); the batch is not empty. */
  stagedBytes(batch: FrameBatch): number {
    const last = batch.count - 1;
    return batch.dataOff(last) + batch.caplen(last) - batch.dataOff(0);
  }

  /** Decode the `n` frames of the descriptor region (window bytes) into the record region. */
  decode(n: number, interfaces: readonly CaptureInterface[]): void {
    this.useInterfaces(interfaces);
    this.decodeBatch(this.windowPtr, this.descPtr, n, this.ifacePtr, this.recPtr);
  }

  private run(batch: FrameBatch, interfaces: readonly CaptureInterface[], onBatch: RecordBatchHandler): void {
    this.decode(batch.count, interfaces);
    onBatch(new DataView(this.inst.memory.buffer, this.recPtr, batch.count * REC.SIZE), batch.count, batch.firstN, interfaces);
  }

  /** Decode a capture held in memory. Returns the reader's summary; throws its PcapError after the good batches. */
  decodeBuffer(bytes: Uint8Array, onBatch: RecordBatchHandler, file?: string): CaptureSummary {
    const mark = this.inst.mark();
    this.newCapture();
    try {
      const framesPtr = this.inst.copyIn(bytes, 64);
      return this.decodeInPlace(framesPtr, bytes.byteLength, onBatch, file);
    } finally {
      this.inst.reset(mark);
    }
  }

  /**
   * Decode a capture that already sits in this instance's memory at
   * [framesPtr, framesPtr + length): nothing is copied. The caller must not
   * allocate (grow memory) from inside onBatch.
   */
  decodeInPlace(framesPtr: number, length: number, onBatch: RecordBatchHandler, file?: string): CaptureSummary {
    this.newCapture();
    this.windowPtr = framesPtr;
    const frames = new Uint8Array(this.inst.memory.buffer, framesPtr, length);
    const reader = new CaptureReader(frames, { ...(file !== undefined ? { file } : {}), batch: this.batchView(), ...(this.fast ? { walk: this } : {}) });
    for (const { batch, interfaces } of reader.batches()) this.run(batch, interfaces, onBatch);
    return reader.summary;
  }

  /** Decode `n` descriptors already in the descriptor region (benchmarks: the decoder alone). */
  decodePrepared(framesPtr: number, n: number): void {
    this.decodeBatch(framesPtr, this.descPtr, n, this.ifacePtr, this.recPtr);
  }

  /** Descriptor region, as a FrameBatch view (benchmarks, tools). */
  preparedBatch(interfaces: readonly CaptureInterface[]): FrameBatch {
    this.newCapture();
    this.useInterfaces(interfaces);
    return this.batchView();
  }

  /** Stream a capture file; memory bounded by the chunk size. */
  async decodeFile(path: string, onBatch: RecordBatchHandler, opts: { chunkSize?: number; file?: string } = {}): Promise<CaptureSummary> {
    const mark = this.inst.mark();
    this.newCapture();
    let stagingSize = 0;
    const batch = new FrameBatch(this.capacity);
    const reader = new CaptureFileReader(path, { ...opts, batch });
    try {
      for await (const { buf, interfaces } of reader.batches()) {
        const bytes = this.stagedBytes(batch);
        if (bytes > stagingSize) {
          this.inst.reset(mark);
          stagingSize = Math.max(bytes, opts.chunkSize ?? 2 * 1024 * 1024);
          this.windowPtr = this.inst.alloc(stagingSize, 64);
        }
        this.stage(buf, batch);
        this.run(batch, interfaces, onBatch);
      }
      return reader.summary;
    } finally {
      this.inst.reset(mark);
    }
  }
}

/** The default interface clock kinds, re-exported for tools building interface tables. */
export { TS_KIND };
