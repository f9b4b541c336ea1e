/**
 * Capture batches for `Filter.judgeStream`: from a file path (the file
 * reader, reader.ts CaptureFileReader) or from a Node Readable or any async
 * iterable of byte chunks (read through the same capture window, window.ts,
 * as a pipe: each chunk is scanned as it comes). Memory is bounded by the
 * window buffer (default 2 MiB; it grows only for a single larger block) plus
 * the one chunk the source last handed over. Batches before any damage are
 * yielded, then the scanner's PcapError (with the byte offset) is thrown; an
 * error of the source itself is a PcapError (SGF_PCAP_IO) too.
 */
import { ApiUsageError } from '../model/errors.js';
import { CaptureFileReader } from '../pcap/reader.js';
import { CaptureScanner, FrameBatch, SCAN, type CaptureInterface } from '../pcap/scanner.js';
import { CaptureWindow, readError } from '../pcap/window.js';

/** A capture path, or a Node Readable (bytes, no encoding) / any async iterable of byte chunks. */
export type StreamSource = string | AsyncIterable<Uint8Array>;

export interface StreamBatch {
  buf: Uint8Array;
  batch: FrameBatch;
  interfaces: CaptureInterface[];
}

export interface StreamOptions {
  /** Frames per batch. */
  batchSize: number;
  /** Name used in errors (default the path, or `<stream>`). */
  file?: string;
  /** Window buffer bytes (default 2 MiB, at least 64 KiB). */
  chunkSize?: number;
}

export async function* judgeStream(source: StreamSource, opts: StreamOptions): AsyncGenerator<StreamBatch> {
  if (typeof source === 'string') {
    const reader = new CaptureFileReader(source, { batchSize: opts.batchSize, ...(opts.file !== undefined ? { file: opts.file } : {}), ...(opts.chunkSize !== undefined ? { chunkSize: opts.chunkSize } : {}) });
    yield* reader.batches();
    return;
  }
  if (source === null || typeof source !== 'object' || typeof (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] !== 'function') {
    throw new ApiUsageError('judgeStream: the source must be a capture path, a Readable stream or an async iterable of Uint8Array chunks');
  }
  const file = opts.file ?? '<stream>';
  const scanner = new CaptureScanner(file);
  const batch = new FrameBatch(opts.batchSize);
  const w = new CaptureWindow(scanner, { isFile: () => false, size: 0 });
  let buf = new Uint8Array(Math.max(65536, opts.chunkSize ?? 2 * 1024 * 1024));
  const it = source[Symbol.asyncIterator]();
  let pending: Uint8Array | null = null;
  let pendingOff = 0;
  let ended = false;
  try {
    for (;;) {
      while (w.wants(buf.byteLength)) {
        if (pending === null) {
          let r: IteratorResult<Uint8Array>;
          try {
            r = await it.next();
          } catch (err) {
            ended = true; // a failed source is not asked again
            throw readError(scanner, file, err);
          }
          if (r.done) {
            ended = true;
            w.took(0);
            break;
          }
          const c: unknown = r.value;
          if (!(c instanceof Uint8Array)) throw new ApiUsageError(`judgeStream: the source yielded ${typeof c === 'string' ? 'a string (read the stream without an encoding)' : typeof c}, not bytes`);
          if (c.byteLength === 0) continue;
          pending = c;
          pendingOff = 0;
        }
        const take = Math.min(buf.byteLength - w.filled, pending.byteLength - pendingOff);
        buf.set(pending.subarray(pendingOff, pendingOff + take), w.filled);
        pendingOff += take;
        if (pendingOff === pending.byteLength) pending = null;
        if (!w.took(take)) break;
      }
      w.filledUp();
      let st;
      do {
        st = w.scan(buf, batch);
        if (batch.count > 0) yield { buf, batch, interfaces: scanner.interfaces };
      } while (st === SCAN.FULL);
      const need = w.settle(st, buf.byteLength);
      if (need === true) return;
      buf = w.slide(buf, need);
    }
  } finally {
    // Stop a source left unfinished (a Readable is destroyed).
    if (!ended) await it.return?.();
  }
}
