/**
 * The capture window: the state machine between a file and the scanner,
 * shared by every streaming reader (reader.ts `CaptureFileReader`, async,
 * its own chunk buffer; replay/stream.ts `WasmCaptureStream`, sync, the
 * engine's staging region in WASM memory). The reader owns the buffer and
 * does the reads; the window keeps the offsets and decides:
 *
 *   fill:  while `wants(buf.byteLength)`: read at `readAt` into
 *          buf[filled..], `took(n)` (false: stop filling); then `filledUp()`
 *   scan:  `scan(buf, batch)` until it returns other than SCAN.FULL (yield
 *          each batch with frames); `settle(st)` throws the scanner's error,
 *          says `true` at the end, else the bytes wanted from `pos`
 *   slide: move buf[pos..filled) to the start of the (maybe larger) buffer,
 *          then `slid()`
 *
 * A regular file is read at offsets up to its size; a pipe, FIFO or device
 * sequentially until a read returns nothing. A read of 0 bytes ends the
 * capture in both cases: a file that shrank while being read ends where its
 * bytes end (the scanner reports the cut record).
 */
import { constants, fstatSync, openSync } from 'node:fs';
import { PCAP_ERROR, PcapError } from './errors.js';
import { MAX_BLOCK_BYTES } from './format.js';
import { SCAN, type CaptureScanner, type FrameBatch } from './scanner.js';
import { InternalError } from '../model/errors.js';

/** The error of a failed open, stat or read of `path`, recorded as the scanner's error. */
export function readError(scanner: CaptureScanner, path: string, err: unknown): PcapError {
  const e = new PcapError(PCAP_ERROR.IO, path, 0, `cannot read the file: ${(err as Error).message}`);
  scanner.error = e;
  return e;
}

/**
 * A pipe or FIFO (`fd` open on `path`, its open through: a FIFO has its
 * writer) opened again without blocking (O_NONBLOCK; on Linux a pipe reached
 * by /dev/stdin or /proc/self/fd/N opens the same pipe): a read with no data
 * then fails with EAGAIN instead of blocking its thread, so a reader whose
 * writer has gone quiet can still be stopped. The caller closes `fd` after
 * this one is open (data in the pipe stays while a reader holds it). -1 for
 * anything else, or where the open fails (a socket): read `fd`, blocking.
 */
export function reopenQuiet(fd: number, path: string): number {
  try {
    return fstatSync(fd).isFIFO() ? openSync(path, constants.O_RDONLY | constants.O_NONBLOCK) : -1;
  } catch {
    return -1;
  }
}

/** A read that found nothing yet on a non-blocking pipe: wait a little and read again. */
export function isRetryRead(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'EAGAIN';
}

export class CaptureWindow {
  /** File offset of buf[0]. */
  base = 0;
  /** Valid bytes in buf. */
  filled = 0;
  /** Scan position in buf. */
  pos = 0;
  /** Size of the capture in bytes, as far as known (a pipe: bytes seen). */
  size: number;
  /** Whether the bytes in buf reach the end of the capture (set by `filledUp`). */
  eof = false;
  private readonly regular: boolean;
  private end: number;

  constructor(private readonly scanner: CaptureScanner, file: { isFile(): boolean; size: number }) {
    this.regular = file.isFile();
    this.end = this.regular ? file.size : Infinity;
    this.size = this.regular ? this.end : 0;
  }

  /** Whether to read more into a buffer of `cap` bytes. */
  wants(cap: number): boolean {
    return this.filled < cap && this.base + this.filled < this.end;
  }

  /** File position of the next read (null: read sequentially). */
  get readAt(): number | null {
    return this.regular ? this.base + this.filled : null;
  }

  /** Account a read of `got` bytes into buf[filled..]; false: stop filling. */
  took(got: number): boolean {
    if (got === 0) {
      this.end = this.base + this.filled;
      return false;
    }
    this.filled += got;
    return this.regular; // a pipe: judge what has come rather than wait for a full buffer
  }

  /** After filling: update the size and `eof`. */
  filledUp(): void {
    if (!this.regular || this.end < this.size) this.size = Math.max(this.base + this.filled, this.end === Infinity ? 0 : this.end);
    this.eof = this.base + this.filled >= this.end;
  }

  /** Scan buf[pos..filled) into an emptied `batch`; returns the SCAN status. */
  scan(buf: Uint8Array, batch: FrameBatch): number {
    const s = this.scanner;
    batch.count = 0;
    batch.firstN = s.packets + 1;
    const st = s.scan(buf, this.pos, this.filled, this.base, this.eof, batch);
    this.pos = s.pos;
    return st;
  }

  /** Bytes of the file consumed up to the end of the last complete record/block. */
  get bytesRead(): number {
    return this.base + this.pos;
  }

  /**
   * After the scan loop (a status other than FULL): true at the end of the
   * capture; throws the scanner's PcapError; with NEED, returns the bytes
   * wanted from `pos` (when more than `cap`, the buffer must grow to hold them).
   */
  settle(st: number, cap: number): true | number {
    if (st === SCAN.END) return true;
    if (st === SCAN.ERROR) throw this.scanner.error!;
    const need = this.scanner.need;
    if (need > cap && need > MAX_BLOCK_BYTES + 4096) throw new InternalError(`internal: scanner asked for ${need} bytes`);
    return need;
  }

  /**
   * Slide a host buffer: the unread tail buf[pos..filled) moves to the start
   * of `buf`, or of a new buffer of `need` bytes when `buf` is smaller; then
   * `slid()`. Returns the buffer to read into next.
   */
  slide(buf: Uint8Array<ArrayBuffer>, need: number): Uint8Array<ArrayBuffer> {
    if (need > buf.byteLength) {
      const bigger = new Uint8Array(need);
      bigger.set(buf.subarray(this.pos, this.filled));
      buf = bigger;
    } else {
      buf.copyWithin(0, this.pos, this.filled);
    }
    this.slid();
    return buf;
  }

  /** The unread tail buf[pos..filled) now starts the buffer. */
  slid(): void {
    this.base += this.pos;
    this.filled -= this.pos;
    this.pos = 0;
  }
}
