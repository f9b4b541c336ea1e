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
import { WasmInstance } from '../wasm/loader.js';
import { TS_KIND } from './format.js';
import { IFACE_ENTRY, REC } from './record-layout.js';
import { CaptureFileReader, CaptureReader, type CaptureSummary } from './reader.js';
import { DESC, FrameBatch, MAX_CAPTURE_INTERFACES, type CaptureInterface, type FastPcapScan } from './scanner.js';

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

export class WasmDecoder {
  readonly inst: WasmInstance;
  readonly capacity: number;
  private readonly descPtr: number;
  private readonly outPtr: number;
  private readonly ifacePtr: number;
  private readonly decodeBatch: (frames: number, desc: number, n: number, ifaces: number, out: number) => number;
  private ifacesWritten = 0;
  private ifacesFirst: CaptureInterface | undefined;

  /** Use the WASM pcap record walk (assembly scanPcap) for windows in WASM memory. */
  fast = true;

  /** The accelerated walk over a window at framesPtr. */
  private fastFor(framesPtr: number): FastPcapScan {
    const { scanPcap: scan, scanPcapPos: scanPos } = this.inst.exports;
    const descPtr = this.descPtr;
    return (pos, end, little, fracLimit, snaplen, batch, n) => {
      const m = scan(framesPtr, pos, end, little ? 0 : 1, fracLimit, snaplen, descPtr, n, batch.capacity);
      return [m, scanPos()];
    };
  }

  constructor(inst?: WasmInstance, capacity = 4096) {
    this.inst = inst ?? new WasmInstance('release');
    this.capacity = capacity;
    this.decodeBatch = this.inst.exports.decodeBatch;
    this.descPtr = this.inst.alloc(capacity * DESC.BYTES, 64);
    this.outPtr = this.inst.alloc(capacity * REC.SIZE, 64);
    this.ifacePtr = this.inst.alloc(MAX_INTERFACES * IFACE_ENTRY.SIZE, 64);
  }

  /** A FrameBatch whose descriptors live in WASM memory (re-made when memory grows). */
  private batchView(): FrameBatch {
    return new FrameBatch(this.capacity, new Uint32Array(this.inst.memory.buffer, this.descPtr, this.capacity * DESC.WORDS));
  }

  private writeInterfaces(ifaces: readonly CaptureInterface[]): void {
    if (ifaces.length > MAX_INTERFACES) throw new RangeError(`WASM decoder: ${ifaces.length} interfaces, at most ${MAX_INTERFACES}`);
    writeInterfaceTable(this.inst.view(), this.ifacePtr, ifaces, interfacesStillWritten(ifaces, this.ifacesWritten, this.ifacesFirst));
    this.ifacesWritten = ifaces.length;
    this.ifacesFirst = ifaces[0];
  }

  private run(framesPtr: number, batch: FrameBatch, interfaces: readonly CaptureInterface[], onBatch: RecordBatchHandler): void {
    if (interfaces.length !== this.ifacesWritten || interfaces[0] !== this.ifacesFirst) this.writeInterfaces(interfaces);
    this.decodeBatch(framesPtr, this.descPtr, batch.count, this.ifacePtr, this.outPtr);
    onBatch(new DataView(this.inst.memory.buffer, this.outPtr, batch.count * REC.SIZE), batch.count, batch.firstN, interfaces);
  }

  /** Decode a capture held in memory. Returns the reader's summary; throws its PcapError after the good batches. */
  decodeBuffer(bytes: Uint8Array, onBatch: RecordBatchHandler, file?: string): CaptureSummary {
    const mark = this.inst.mark();
    this.ifacesWritten = 0;
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
    this.ifacesWritten = 0;
    const frames = new Uint8Array(this.inst.memory.buffer, framesPtr, length);
    const reader = new CaptureReader(frames, { ...(file !== undefined ? { file } : {}), batch: this.batchView(), ...(this.fast ? { fastPcap: this.fastFor(framesPtr) } : {}) });
    for (const { batch, interfaces } of reader.batches()) this.run(framesPtr, batch, interfaces, onBatch);
    return reader.summary;
  }

  /** Decode `n` descriptors already in the descriptor region (benchmarks: the decoder alone). */
  decodePrepared(framesPtr: number, n: number): void {
    this.decodeBatch(framesPtr, this.descPtr, n, this.ifacePtr, this.outPtr);
  }

  /** Descriptor region, as a FrameBatch view (benchmarks, tools). */
  preparedBatch(interfaces: readonly CaptureInterface[]): FrameBatch {
    this.ifacesWritten = 0;
    this.writeInterfaces(interfaces);
    return this.batchView();
  }

  /** Stream a capture file; memory bounded by the chunk size. */
  async decodeFile(path: string, onBatch: RecordBatchHandler, opts: { chunkSize?: number; file?: string } = {}): Promise<CaptureSummary> {
    const mark = this.inst.mark();
    this.ifacesWritten = 0;
    let stagingPtr = 0;
    let stagingSize = 0;
    const batch = new FrameBatch(this.capacity);
    const reader = new CaptureFileReader(path, { ...opts, batch });
    try {
      for await (const { buf, interfaces } of reader.batches()) {
        const n = batch.count;
        const lo = batch.dataOff(0);
        const hi = batch.dataOff(n - 1) + batch.caplen(n - 1);
        if (hi - lo > stagingSize) {
          this.inst.reset(mark);
          stagingSize = Math.max(hi - lo, opts.chunkSize ?? 2 * 1024 * 1024);
          stagingPtr = this.inst.alloc(stagingSize, 64);
        }
        this.inst.u8().set(buf.subarray(lo, hi), stagingPtr);
        // Descriptors: copy the batch's words into WASM memory, rebased on the staging region.
        const words = new Uint32Array(this.inst.memory.buffer, this.descPtr, n * DESC.WORDS);
        words.set(batch.desc.subarray(0, n * DESC.WORDS));
        for (let i = 0; i < n; i++) words[i * DESC.WORDS + DESC.DATA_OFF]! -= lo;
        this.run(stagingPtr, batch, interfaces, onBatch);
      }
      return reader.summary;
    } finally {
      this.inst.reset(mark);
    }
  }
}

/** The default interface clock kinds, re-exported for tools building interface tables. */
export { TS_KIND };
