/**
 * Captures that are not regular files: a FIFO (`mkfifo`, a shell's process
 * substitution) or a pipe reached by path (/dev/stdin).
 *
 * Opening a FIFO for reading blocks until a writer opens it. A thread blocked
 * in open(2) can be stopped by nothing in Node: not a signal handler (when it
 * is the main thread, no JavaScript runs), not `worker.terminate()`, not even
 * `process.exit()`, which waits for every thread. So a replay of a FIFO that
 * nobody writes used to ignore SIGINT/SIGTERM for ever. Here the open runs on
 * libuv's thread pool, and an abort while it waits opens the FIFO for writing
 * once and closes it: that completes the reader's open, and the capture then
 * ends at once (no writer), so the replay stops as interrupted.
 */
import { closeSync, constants, openSync, statSync } from 'node:fs';
import { reopenQuiet } from '../pcap/window.js';
import { open, type FileHandle } from 'node:fs/promises';
import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';

/** True when `file` exists and is not a regular file (a FIFO, a pipe, a device). */
export function isPipeLike(file: string): boolean {
  try {
    return !statSync(file).isFile();
  } catch {
    return false; // the reader reports what is wrong with it
  }
}

/**
 * While the returned function has not been called: on `signal`'s abort, opens
 * `file` for writing without blocking and closes it, every 20 ms until
 * disposed (the first try can come before the reader's open(2) has started:
 * then it finds no reader and fails with ENXIO, and a later one succeeds).
 * Harmless at any other moment: a reader that is already reading sees a
 * writer come and go (the real writer, if any, still holds its end).
 */
export function unblockOnAbort(file: string, signal: AbortSignal | undefined): () => void {
  if (!signal) return () => {};
  let fifo = false;
  try {
    fifo = statSync(file).isFIFO();
  } catch {
    // not there: nothing to unblock
  }
  if (!fifo) return () => {};
  let timer: ReturnType<typeof setInterval> | undefined;
  const poke = () => {
    try {
      closeSync(openSync(file, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // ENXIO: no reader is waiting on it (yet)
    }
  };
  const onAbort = () => {
    poke();
    timer = setInterval(poke, 20);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return () => {
    signal.removeEventListener('abort', onAbort);
    if (timer) clearInterval(timer);
  };
}

/** A capture that is not a regular file, opened for replay(): read from `fd` (or its `feed()`), then `close()`. */
export interface PipeCapture {
  fd: number;
  /**
   * For the thread that called replay() (the local lane, `--workers 0`, the
   * shared split's producer): the pipe read by its event loop (PipeFeed),
   * made at the first call. A pipe has one reader: once made, `fd` is the
   * feed's, not to be read by a worker.
   */
  feed(): PipeFeed | undefined;
  close(): Promise<void>;
}

/**
 * A pipe or FIFO read by the event loop (a `net.Socket` on its descriptor:
 * libuv's pipe handle, readiness from epoll): libuv reads into one reused
 * chunk (`onread`: no Buffer per read, no stream machinery) copied into a
 * ring of this feed's, the capture stream copies what has come into its window (`readInto`) and,
 * when nothing has, awaits `wait()`, which resolves as soon as data (or the
 * end) arrives. So the thread that handles SIGINT is never blocked in read(2)
 * by a quiet writer, and is woken at once when data comes (polling a
 * non-blocking descriptor with timers instead made `cat x.pcap | replay
 * --pcap /dev/stdin` 1.1–1.3× slower; a socket's 'data' Buffers cost 20 %
 * more CPU). Memory is the ring's: the socket is paused while it is nearly
 * full and resumed when the stream has taken half.
 */
export class PipeFeed {
  private readonly ring: Uint8Array;
  /** What libuv reads into (a pipe gives at most 64 KiB a read): copied into the ring at once. */
  private readonly chunk = new Uint8Array(65536);
  private r = 0; // next byte to take
  private w = 0; // next byte to fill
  private held = 0; // bytes filled, not taken
  private paused = false;
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly sock: Socket;

  constructor(fd: number, size = 4 << 20) {
    this.ring = new Uint8Array(Math.max(size, 4 * this.chunk.length));
    // `onread` is a constructor option since Node 15.14 (its type is only on connect()'s options).
    const opts: SocketConstructorOpts & { onread: OnReadOpts } = {
      fd,
      readable: true,
      writable: false,
      onread: { buffer: this.chunk, callback: (n: number) => this.filled(n) },
    };
    this.sock = new Socket(opts);
    this.sock.on('end', () => {
      this.ended = true;
      this.wake?.();
    });
    this.sock.on('error', (e) => {
      this.error = e;
      this.wake?.();
    });
  }

  /** libuv read `n` bytes into `chunk`: they go into the ring; false pauses the socket (the ring cannot take another chunk). */
  private filled(n: number): boolean {
    if (this.held === 0) this.r = this.w = 0;
    const first = Math.min(n, this.ring.length - this.w);
    this.ring.set(this.chunk.subarray(0, first), this.w);
    if (first < n) this.ring.set(this.chunk.subarray(first, n), 0);
    this.w = (this.w + n) % this.ring.length;
    this.held += n;
    this.wake?.();
    if (this.ring.length - this.held < this.chunk.length) {
      this.paused = true;
      return false;
    }
    return true;
  }

  /** Copies up to `len` bytes that have come into dst[off..]: their count, 0 at the end of the pipe, -1 when none has come yet. */
  readInto(dst: Uint8Array, off: number, len: number): number {
    if (this.held === 0) {
      if (this.error) throw this.error;
      return this.ended ? 0 : -1;
    }
    let got = 0;
    while (got < len && this.held > 0) {
      const run = Math.min(len - got, this.held, this.ring.length - this.r);
      dst.set(this.ring.subarray(this.r, this.r + run), off + got);
      got += run;
      this.held -= run;
      this.r += run;
      if (this.r === this.ring.length) this.r = 0;
    }
    if (this.paused && this.held <= this.ring.length / 2) {
      this.paused = false;
      this.sock.resume();
    }
    return got;
  }

  /** Resolves when data or the end has come, or after `ms` (the caller then looks at its stop request). */
  wait(ms: number): Promise<void> {
    if (this.held > 0 || this.ended || this.error) return Promise.resolve();
    return new Promise((ok) => {
      const done = () => {
        clearTimeout(t);
        this.wake = undefined;
        ok();
      };
      const t = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /** Closes the pipe (and its descriptor). */
  close(): void {
    this.sock.destroy();
  }
}

/**
 * Opens a capture that is not a regular file on the thread pool, so that
 * `signal` can still stop the wait for a writer (unblockOnAbort). The lanes
 * read from its descriptor (a thread's file descriptors are the process's,
 * worker threads included). Undefined for a regular file: each lane opens it.
 *
 * Once that open is through (a FIFO has its writer), a pipe or FIFO is read
 * from a second, non-blocking descriptor (`reopenQuiet`, window.ts), so a
 * replay whose writer has gone quiet still answers SIGINT (the stream's idle
 * marker, stream.ts).
 */
export async function openPipeCapture(file: string, signal: AbortSignal | undefined): Promise<PipeCapture | undefined> {
  if (!isPipeLike(file)) return undefined;
  const dispose = unblockOnAbort(file, signal);
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch {
    return undefined; // the lane's own open reports the error, with the capture's path
  } finally {
    dispose();
  }
  const quiet = reopenQuiet(handle.fd, file);
  if (quiet < 0) return { fd: handle.fd, feed: () => undefined, close: () => handle.close() };
  await handle.close();
  let feed: PipeFeed | undefined;
  return {
    fd: quiet,
    feed: () => (feed ??= new PipeFeed(quiet)),
    close: async () => (feed ? feed.close() : closeSync(quiet)),
  };
}

/**
 * A FIFO stopped before its writer sent a byte ends at once, empty (the
 * unblocking open above): the stop's doing, so the replay is interrupted
 * after packet 0, not a damaged (empty) capture.
 */
export function stoppedEmpty(signal: AbortSignal | undefined, bytesRead: number): boolean {
  return signal?.aborted === true && bytesRead === 0;
}
