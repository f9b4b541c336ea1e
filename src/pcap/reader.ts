/**
 * Capture readers over the scanner (scanner.ts):
 * - `CaptureReader`: synchronous, zero-copy over a Uint8Array/Buffer that holds
 *   the whole capture. Frames are views into it.
 * - `CaptureFileReader`: asynchronous, streams a file through one reused chunk
 *   buffer (default 2 MiB); memory is bounded by the chunk size (or by one
 *   block, at most MAX_BLOCK_BYTES), never by the file size. A frame's `data`
 *   is a view into the chunk and is valid only until the iteration moves on:
 *   copy it (`data.slice()`) to keep it.
 *
 * Both offer packets one by one (`CapturedFrame`) or as descriptor batches
 * (`batches()`: a window buffer plus a FrameBatch, no object per packet — the
 * path the WASM decoder takes). Both yield every packet before damage and then
 * throw the PcapError; `summary` (valid after iteration, also when it threw)
 * says how far reading got and how many bytes were left unread.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { PcapError, type PcapWarning } from './errors.js';
import { CaptureScanner, FrameBatch, SCAN, type CaptureFormat, type CaptureInterface, type PcapWalk } from './scanner.js';
import { tsText, tsToNs } from './timestamp.js';
import { CaptureWindow, isRetryRead, readError } from './window.js';
import { ApiUsageError } from '../model/errors.js';

export interface CapturedFrame {
  /** 1-based packet number (packets only: pcapng custom blocks are not counted). */
  n: number;
  /** Interface id inside its pcapng section (tshark's frame.interface_id); 0 for pcap. */
  iface: number;
  /** pcapng section (0 for pcap). */
  section: number;
  /** Index into the reader's `interfaces` (valid while this frame's batch is current). */
  ifaceIndex: number;
  linktype: number;
  caplen: number;
  /** Original length on the wire. */
  len: number;
  /** Raw timestamp words (see timestamp.ts); use `frameTime()` for ns and text. */
  tsA: number;
  tsB: number;
  /** File offset of the packet's record header or block. */
  offset: number;
  /** The captured bytes: a view, not a copy. */
  data: Uint8Array;
}

export interface CaptureSummary {
  file: string;
  format: CaptureFormat;
  packets: number;
  /** Size of the capture in bytes. */
  bytes: number;
  /** Bytes consumed up to the end of the last complete record/block. */
  bytesRead: number;
  /** Bytes after that point (0 for a clean capture). */
  bytesUnread: number;
  interfaces: CaptureInterface[];
  warnings: PcapWarning[];
  error?: PcapError;
}

/** Nanosecond timestamp and its text, for a frame of a reader's interface. */
export function frameTime(interfaces: readonly CaptureInterface[], iface: number, a: number, b: number): { ts: bigint; tsText: string } {
  const clock = interfaces[iface]!.clock;
  const ts = tsToNs(clock, a, b);
  return { ts, tsText: tsText(clock, a, b, ts) };
}

export interface ReaderOptions {
  /** Name used in errors (default `<buffer>` or the path). */
  file?: string;
  /** Descriptors per batch (default 4096). */
  batchSize?: number;
  /** Use this batch (e.g. descriptors in WASM memory) instead of a new one. */
  batch?: FrameBatch;
  /** Accelerated classic-pcap walk over `bytes` (the WASM decoder, for a capture in its memory). */
  walk?: PcapWalk;
}

abstract class ReaderBase {
  protected readonly scanner: CaptureScanner;
  protected readonly batch: FrameBatch;
  protected done = false;

  constructor(file: string, batchSize: number, batch?: FrameBatch) {
    this.scanner = new CaptureScanner(file);
    this.batch = batch ?? new FrameBatch(batchSize);
  }

  get interfaces(): CaptureInterface[] {
    return this.scanner.interfaces;
  }

  /** [size of the capture, bytes consumed] so far. */
  protected abstract extent(): [number, number];

  get summary(): CaptureSummary {
    const s = this.scanner;
    const [size, bytesRead] = this.extent();
    return {
      file: s.file,
      format: s.format,
      packets: s.packets,
      bytes: size,
      bytesRead,
      bytesUnread: size - bytesRead,
      interfaces: s.interfaces,
      warnings: s.warnings,
      ...(s.error ? { error: s.error } : {}),
    };
  }

  protected frame(buf: Uint8Array, i: number): CapturedFrame {
    const b = this.batch;
    const g = b.iface(i);
    const ifc = this.scanner.interfaces[g]!;
    const off = b.dataOff(i);
    const caplen = b.caplen(i);
    return {
      n: b.firstN + i,
      iface: ifc.id,
      section: ifc.section,
      ifaceIndex: g,
      linktype: ifc.linktype,
      caplen,
      len: b.len(i),
      tsA: b.tsA(i),
      tsB: b.tsB(i),
      offset: b.recordOffset(i),
      data: buf.subarray(off, off + caplen),
    };
  }
}

/** Synchronous, zero-copy reader over a capture held in memory. */
export class CaptureReader extends ReaderBase implements Iterable<CapturedFrame> {
  private readonly bytes: Uint8Array;
  private bytesRead = 0;

  constructor(bytes: Uint8Array, opts: ReaderOptions = {}) {
    super(opts.file ?? '<buffer>', opts.batchSize ?? 4096, opts.batch);
    this.scanner.walk = opts.walk;
    this.bytes = bytes;
  }

  protected extent(): [number, number] {
    return [this.bytes.byteLength, this.bytesRead];
  }

  /** Descriptor batches over the whole buffer; `buf` is the capture itself. Throws the PcapError after the last batch. */
  *batches(): Generator<{ buf: Uint8Array; batch: FrameBatch; interfaces: CaptureInterface[] }> {
    if (this.done) throw new ApiUsageError('CaptureReader: already read');
    this.done = true;
    const s = this.scanner;
    const b = this.batch;
    let pos = 0;
    for (;;) {
      b.count = 0;
      b.firstN = s.packets + 1;
      const st = s.scan(this.bytes, pos, this.bytes.byteLength, 0, true, b);
      pos = s.pos;
      this.bytesRead = pos;
      if (b.count > 0) yield { buf: this.bytes, batch: b, interfaces: s.interfaces };
      if (st === SCAN.FULL) continue;
      if (st === SCAN.ERROR) throw s.error!;
      return;
    }
  }

  *[Symbol.iterator](): Iterator<CapturedFrame> {
    for (const { buf, batch } of this.batches()) {
      for (let i = 0; i < batch.count; i++) yield this.frame(buf, i);
    }
  }
}

export interface FileReaderOptions extends ReaderOptions {
  /** Chunk size in bytes (default 2 MiB, at least 64 KiB). */
  chunkSize?: number;
  /** Once aborted, a pipe or FIFO with no data ends the stream (as if it ended there) instead of waiting for more. */
  signal?: AbortSignal;
}

/** Streaming reader over a file: memory bounded by the chunk size. */
export class CaptureFileReader extends ReaderBase implements AsyncIterable<CapturedFrame> {
  readonly path: string;
  private readonly chunkSize: number;
  /** The largest buffer this reader has held (for tests of the memory bound). */
  maxBufferBytes = 0;
  private window: CaptureWindow | undefined;
  private readonly signal: AbortSignal | undefined;

  constructor(path: string, opts: FileReaderOptions = {}) {
    super(opts.file ?? path, opts.batchSize ?? 4096, opts.batch);
    this.path = path;
    this.chunkSize = Math.max(65536, opts.chunkSize ?? 2 * 1024 * 1024);
    this.signal = opts.signal;
  }

  /**
   * Descriptor batches; `buf` is the current chunk buffer (reused: valid until
   * the next batch). Throws the PcapError after the last good batch.
   */
  async *batches(): AsyncGenerator<{ buf: Uint8Array; batch: FrameBatch; interfaces: CaptureInterface[] }> {
    if (this.done) throw new ApiUsageError('CaptureFileReader: already read');
    this.done = true;
    let fh;
    try {
      fh = await open(this.path, 'r');
    } catch (err) {
      throw this.ioError(err);
    }
    // A pipe or FIFO is read without blocking (a quiet writer must not hold a pending read: `signal`).
    // (as reopenQuiet, window.ts: a second descriptor with O_NONBLOCK, then the first closed).
    if (await fh.stat().then((st) => st.isFIFO(), () => false)) {
      const quiet = await open(this.path, constants.O_RDONLY | constants.O_NONBLOCK).catch(() => undefined);
      if (quiet) {
        await fh.close();
        fh = quiet;
      }
    }
    try {
      const w = (this.window = new CaptureWindow(this.scanner, await fh.stat().catch((err: unknown) => { throw this.ioError(err); })));
      let buf = new Uint8Array(this.chunkSize);
      this.maxBufferBytes = buf.byteLength;
      const b = this.batch;
      for (;;) {
        let idle = 0;
        while (w.wants(buf.byteLength)) {
          let r;
          try {
            r = await fh.read(buf, w.filled, buf.byteLength - w.filled, w.readAt);
          } catch (err) {
            if (isRetryRead(err)) {
              if (this.signal?.aborted) return; // stopped while the pipe is quiet: the caller sees the signal
              // Yield at first (a writer keeping up refills the pipe at once), then poll every millisecond (idleWait, replay/stream.ts).
              const n = ++idle;
              await new Promise((ok) => (n <= 256 ? setImmediate(ok) : setTimeout(ok, 1)));
              continue;
            }
            throw this.ioError(err);
          }
          if (!w.took(r.bytesRead)) break;
        }
        w.filledUp();
        let st;
        do {
          st = w.scan(buf, b);
          if (b.count > 0) yield { buf, batch: b, interfaces: this.scanner.interfaces };
        } while (st === SCAN.FULL);
        const need = w.settle(st, buf.byteLength);
        if (need === true) return;
        buf = w.slide(buf, need);
        this.maxBufferBytes = Math.max(this.maxBufferBytes, buf.byteLength);
      }
    } finally {
      await fh.close();
    }
  }

  protected extent(): [number, number] {
    const w = this.window;
    return w ? [w.size, w.bytesRead] : [0, 0];
  }

  async *[Symbol.asyncIterator](): AsyncIterator<CapturedFrame> {
    for await (const { buf, batch } of this.batches()) {
      for (let i = 0; i < batch.count; i++) yield this.frame(buf, i);
    }
  }

  private ioError(err: unknown): PcapError {
    return readError(this.scanner, this.path, err);
  }
}

/** Read a whole capture held in memory; returns the frames (views) and the summary, never throws a PcapError. */
export function readAll(bytes: Uint8Array, file?: string): { frames: CapturedFrame[]; summary: CaptureSummary } {
  const r = new CaptureReader(bytes, file !== undefined ? { file } : {});
  const frames: CapturedFrame[] = [];
  try {
    for (const f of r) frames.push(f);
  } catch (e) {
    if (!(e instanceof PcapError)) throw e;
  }
  return { frames, summary: r.summary };
}
