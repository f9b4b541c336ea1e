/**
 * Streaming a capture file straight into a WASM engine's memory: chunks are
 * read into the engine's staging region, scanned in place (classic pcap by
 * the WASM record walk, pcapng by the TypeScript scanner) with descriptors
 * written into the engine's descriptor region, and judged with no copy of
 * packet bytes. Memory is bounded by the staging size (it grows only for a
 * single block larger than it). Packets before any damage are yielded; then
 * the scanner's PcapError is thrown.
 *
 * Reads are synchronous: the stream runs in a worker thread with nothing else
 * to do, and a blocking read from the page cache costs less than the promise
 * machinery and the idle wait of an asynchronous one (measured).
 *
 * The window the stream reads, scans and judges at a time is `readBytes`
 * (default STREAM_READ_BYTES) of the staging region, not all of it: a
 * window that fits the second-level cache is still there when the scan
 * walks it and the decoder reads its frames, and does not evict the
 * conntrack lines the engine is using (a 4-5 MiB window, the staging
 * region's size, cost 15-20% more CPU time per packet; docs/replay.md,
 * Performance). It widens only for a single block larger than it.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { PcapError } from '../pcap/errors.js';
import { CaptureScanner, SCAN, type CaptureInterface, type FrameBatch } from '../pcap/scanner.js';
import { CaptureWindow, isRetryRead, readError } from '../pcap/window.js';
import type { WasmEngine } from './wasm-engine.js';
import type { PipeFeed } from './pipe.js';

const pauseCell = new Int32Array(new SharedArrayBuffer(4));
/** A feed with nothing yet, as a non-blocking read's EAGAIN. */
const AGAIN = Object.freeze({ code: 'EAGAIN' });
/** What the capture window needs to know of a feed: a pipe (read to its end, size unknown). */
const PIPE_STAT = { isFile: () => false, size: 0 };

/**
 * The wait after the `n`-th empty read in a row of a non-blocking pipe: a
 * writer that is keeping up refills the pipe within microseconds, so the
 * first 256 retries only yield (setImmediate: a signal is still seen, and the
 * reader is not held a timer's millisecond each time its 64 KiB pipe runs dry
 * — a fixed 2 ms timer made `cat x.pcap | replay --pcap /dev/stdin` 1.1–1.4×
 * slower); then a writer that has gone quiet is polled every millisecond.
 * (The calling thread reads a pipe through a PipeFeed instead, woken by
 * its data: pipe.ts.)
 */
export function idleWait(n: number): Promise<void> {
  return new Promise((ok) => (n <= 256 ? setImmediate(ok) : setTimeout(ok, 1)));
}

/** Bytes read, scanned and judged at a time (a window of the staging region). */
export const STREAM_READ_BYTES = 256 * 1024;

export interface StreamedBatch {
  batch: FrameBatch;
  interfaces: readonly CaptureInterface[];
  /** Bytes of the file consumed so far. */
  bytesRead: number;
  /**
   * Set (with an empty batch) only when `yieldIdle` is on or the stream reads
   * a feed: a pipe has no data yet, for the `idle`-th read in a row. The
   * caller should let its event loop run (`waitIdle`), then pull the next
   * batch.
   */
  idle?: number;
}

export interface StreamState {
  format: string;
  packets: number;
  bytes: number;
  bytesRead: number;
}

export class WasmCaptureStream {
  readonly scanner: CaptureScanner;
  private batch: FrameBatch | null = null;
  private batchBuffer: ArrayBuffer | null = null;
  readonly state: StreamState = { format: 'unknown', packets: 0, bytes: 0, bytesRead: 0 };

  /**
   * A caller on a thread with an event loop to keep (replay()'s calling
   * thread) sets this: a non-blocking pipe with no data then yields an idle
   * marker instead of sleeping here, so that a signal (SIGINT) is seen while
   * the pipe's writer is quiet. Off, the stream waits (Atomics.wait: 10 µs
   * for the first 256 empty reads in a row, then 1 ms) and reads again. A
   * stream on a feed always yields.
   */
  yieldIdle = false;

  /** The current read window (bytes of the staging region used; widened for a larger block). */
  private window: number;

  /**
   * `fd`: the capture already open (replay() opens a FIFO itself: pipe.ts); read from it, not closed here.
   * `feed`: instead, a pipe read by this thread's event loop (pipe.ts PipeFeed; with `yieldIdle`: when
   * nothing has come, the idle marker, and the caller awaits `waitIdle`).
   */
  constructor(private readonly engine: WasmEngine, private readonly path: string, readBytes: number = STREAM_READ_BYTES, private readonly fd?: number, private readonly feed?: PipeFeed) {
    this.scanner = new CaptureScanner(path, engine.decoder);
    this.window = Math.max(4096, Math.floor(readBytes));
  }

  /** After an idle marker (the `n`-th in a row): resolves when the pipe may have data (a feed: when it has, or after 50 ms). */
  waitIdle(n: number): Promise<void> {
    return this.feed ? this.feed.wait(50) : idleWait(n);
  }

  /** A FrameBatch over the engine's descriptor region (re-made when memory grew). */
  private frameBatch(): FrameBatch {
    const buf = this.engine.inst.memory.buffer;
    if (this.batch === null || this.batchBuffer !== buf) {
      this.batch = this.engine.decoder.batchView();
      this.batchBuffer = buf;
    }
    return this.batch;
  }

  /** The current batch over live memory (after an engine call may have grown it). */
  current(): FrameBatch {
    const old = this.batch!;
    const b = this.frameBatch();
    if (b !== old) {
      b.count = old.count;
      b.firstN = old.firstN;
    }
    return b;
  }

  /** The read window of the staging region, over live memory. */
  private staging(): Uint8Array {
    const { ptr, size } = this.engine.staging();
    return new Uint8Array(this.engine.inst.memory.buffer, ptr, Math.min(size, this.window));
  }

  /** Batches whose frames sit in the engine's staging region; judge each before pulling the next. */
  *batches(): Generator<StreamedBatch> {
    let fd: number;
    try {
      fd = this.feed ? -1 : (this.fd ?? openSync(this.path, 'r'));
    } catch (err) {
      throw this.ioError(err);
    }
    try {
      const w = new CaptureWindow(this.scanner, this.feed ? PIPE_STAT : fstatSync(fd));
      this.state.bytes = w.size;
      const s = this.scanner;
      for (;;) {
        let view = this.staging();
        let idle = 0;
        while (w.wants(view.byteLength)) {
          let got: number;
          try {
            if (this.feed) {
              got = this.feed.readInto(view, w.filled, view.byteLength - w.filled);
              if (got < 0) throw AGAIN;
            } else got = readSync(fd, view, w.filled, view.byteLength - w.filled, w.readAt);
          } catch (err) {
            if (err === AGAIN || isRetryRead(err)) {
              // A non-blocking pipe with nothing yet.
              idle++;
              // A feed is filled by this thread's event loop: it always yields (a wait here would never end).
              if (this.yieldIdle || this.feed) {
                const b = this.frameBatch();
                b.count = 0;
                yield { batch: b, interfaces: this.scanner.interfaces, bytesRead: w.bytesRead, idle };
              } else Atomics.wait(pauseCell, 0, 0, idle <= 256 ? 0.01 : 1);
              view = this.staging();
              continue;
            }
            throw this.ioError(err);
          }
          if (!w.took(got)) break;
          view = this.staging();
        }
        w.filledUp();
        this.state.bytes = w.size;
        let st;
        do {
          const b = this.frameBatch();
          st = w.scan(this.staging(), b);
          this.state.bytesRead = w.bytesRead;
          this.state.packets = s.packets;
          this.state.format = s.format;
          if (b.count > 0) yield { batch: b, interfaces: s.interfaces, bytesRead: w.bytesRead };
        } while (st === SCAN.FULL);
        const cap = this.staging().byteLength;
        const need = w.settle(st, cap);
        if (need === true) return;
        // Move the unread tail to the start (then widen the window, growing the staging region if it must, copying the tail).
        this.staging().copyWithin(0, w.pos, w.filled);
        if (need > cap) {
          this.window = Math.max(need, cap * 2);
          const size = this.engine.staging().size;
          if (this.window > size) this.engine.growStaging(Math.max(this.window, size * 2), w.filled - w.pos);
        }
        w.slid();
      }
    } finally {
      if (this.fd === undefined && !this.feed) closeSync(fd);
    }
  }

  private ioError(err: unknown): PcapError {
    return readError(this.scanner, this.path, err);
  }
}
