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

/** A capture that is not a regular file, opened for replay(): read from `fd`, then `close()`. */
export interface PipeCapture {
  fd: number;
  close(): Promise<void>;
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
  if (quiet < 0) return { fd: handle.fd, close: () => handle.close() };
  await handle.close();
  return { fd: quiet, close: async () => closeSync(quiet) };
}

/**
 * A FIFO stopped before its writer sent a byte ends at once, empty (the
 * unblocking open above): the stop's doing, so the replay is interrupted
 * after packet 0, not a damaged (empty) capture.
 */
export function stoppedEmpty(signal: AbortSignal | undefined, bytesRead: number): boolean {
  return signal?.aborted === true && bytesRead === 0;
}
