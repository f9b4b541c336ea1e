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
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { PCAP_ERROR, PcapError } from '../pcap/errors.js';
import { MAX_BLOCK_BYTES } from '../pcap/format.js';
import { CaptureScanner, DESC, FrameBatch, SCAN, type CaptureInterface } from '../pcap/scanner.js';
import type { WasmEngine } from './wasm-engine.js';
import { InternalError } from '../model/errors.js';

const pauseCell = new Int32Array(new SharedArrayBuffer(4));

export interface StreamedBatch {
  batch: FrameBatch;
  interfaces: readonly CaptureInterface[];
  /** Bytes of the file consumed so far. */
  bytesRead: number;
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

  constructor(private readonly engine: WasmEngine, private readonly path: string) {
    this.scanner = new CaptureScanner(path);
    this.scanner.fastPcap = engine.fastPcap();
  }

  /** A FrameBatch over the engine's descriptor region (re-made when memory grew). */
  private frameBatch(): FrameBatch {
    const buf = this.engine.inst.memory.buffer;
    if (this.batch === null || this.batchBuffer !== buf) {
      const cap = this.engine.capacity;
      this.batch = new FrameBatch(cap, new Uint32Array(buf, this.engine.descPointer(), cap * DESC.WORDS));
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

  private staging(): Uint8Array {
    const { ptr, size } = this.engine.staging();
    return new Uint8Array(this.engine.inst.memory.buffer, ptr, size);
  }

  /** Batches whose frames sit in the engine's staging region; judge each before pulling the next. */
  *batches(): Generator<StreamedBatch> {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (err) {
      throw this.ioError(err);
    }
    try {
      const st = fstatSync(fd);
      // A regular file is read at offsets up to its size; a pipe, FIFO or
      // device sequentially until a read returns nothing. A read of 0 bytes
      // ends the capture in both cases: a file that shrank while being read
      // ends where its bytes end (the scanner reports the cut record).
      const regular = st.isFile();
      let size = regular ? st.size : Infinity;
      this.state.bytes = regular ? size : 0;
      const s = this.scanner;
      let base = 0;
      let filled = 0;
      let pos = 0;
      for (;;) {
        let view = this.staging();
        while (filled < view.byteLength && base + filled < size) {
          let got: number;
          try {
            got = readSync(fd, view, filled, view.byteLength - filled, regular ? base + filled : null);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
              Atomics.wait(pauseCell, 0, 0, 2); // a non-blocking pipe with nothing yet
              continue;
            }
            throw this.ioError(err);
          }
          if (got === 0) {
            size = base + filled;
            break;
          }
          filled += got;
          view = this.staging();
          if (!regular) break; // a pipe: judge what has come rather than wait for a full buffer
        }
        if (!regular || size < this.state.bytes) this.state.bytes = Math.max(base + filled, size === Infinity ? 0 : size);
        const eof = base + filled >= size;
        let st;
        do {
          const b = this.frameBatch();
          b.count = 0;
          b.firstN = s.packets + 1;
          st = s.scan(this.staging(), pos, filled, base, eof, b);
          pos = s.pos;
          this.state.bytesRead = base + pos;
          this.state.packets = s.packets;
          this.state.format = s.format;
          if (b.count > 0) yield { batch: b, interfaces: s.interfaces, bytesRead: base + pos };
        } while (st === SCAN.FULL);
        if (st === SCAN.END) return;
        if (st === SCAN.ERROR) throw s.error!;
        const need = s.need;
        const cap = this.engine.staging().size;
        if (need > cap) {
          if (need > MAX_BLOCK_BYTES + 4096) throw new InternalError(`internal: scanner asked for ${need} bytes`);
          // Move the unread tail to the start, then grow (copying it).
          const v = this.staging();
          v.copyWithin(0, pos, filled);
          this.engine.growStaging(Math.max(need, cap * 2), filled - pos);
        } else {
          this.staging().copyWithin(0, pos, filled);
        }
        base += pos;
        filled -= pos;
        pos = 0;
      }
    } finally {
      closeSync(fd);
    }
  }

  private ioError(err: unknown): PcapError {
    const e = new PcapError(PCAP_ERROR.IO, this.path, 0, `cannot read the file: ${(err as Error).message}`);
    this.scanner.error = e;
    return e;
  }
}
