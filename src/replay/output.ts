/**
 * Output files of the commands (decisions, summaries, tables, generated
 * captures): checked before any work, written by streaming, never copied,
 * renamed over or unlinked.
 *
 * - `checkOutputPath` says, before anything is read, whether a path can be
 *   written: not a directory, not one of the inputs, its directory exists and
 *   is writable. FIFOs, character devices and sockets (`/dev/stdout`, a named
 *   pipe) are accepted as streams.
 * - `OutputFile` writes through one file descriptor with blocking writes
 *   (retrying short writes and EAGAIN). A write error is kept, not thrown:
 *   later writes are dropped and `status()` says how many complete lines made
 *   it, so a caller can report the file as partial. The path that names this
 *   process's stdout or stderr is written through fd 1 / 2 itself (so
 *   `--decisions /dev/stdout` appends to a redirected stdout instead of
 *   truncating it).
 * - `TempDirs`: temporary directories removed in `finally` blocks and, should
 *   the process exit before (a second Ctrl-C), by an exit hook.
 */
import { accessSync, closeSync, constants, fstatSync, ftruncateSync, mkdtempSync, openSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { SgfError } from '../model/errors.js';

/** An output path that cannot be written; the message names the path and why. */
export class OutputError extends SgfError {
  readonly code = 'SGF_OUTPUT_UNUSABLE';
  constructor(readonly path: string, message: string) {
    super(message);
    this.name = 'OutputError';
  }
}

export type OutputKind = 'file' | 'stream';

export interface CheckOutputOptions {
  /** How the path is named in messages, e.g. `--decisions`. */
  label?: string;
  /** Input files the output must not be (by device and inode). */
  inputs?: readonly (string | undefined)[];
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR') throw new OutputError(path, `${path}: a part of the path is not a directory`);
    throw e;
  }
}

function why(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const text: Record<string, string> = {
    EACCES: 'permission denied', EPERM: 'permission denied', EROFS: 'read-only file system', ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded', EISDIR: 'it is a directory', ENOENT: 'no such file or directory', EPIPE: 'the reader went away',
    EIO: 'input/output error', EFBIG: 'file too large', ENXIO: 'no reader on the pipe',
  };
  return err.code ? `${text[err.code] ?? err.message} (${err.code})` : String((e as Error).message ?? e);
}

/** Throws an OutputError when `path` cannot be written; says whether it is a regular file or a stream. */
export function checkOutputPath(path: string, options: CheckOutputOptions = {}): OutputKind {
  const label = options.label ? `${options.label} ${path}` : path;
  if (path === '') throw new OutputError(path, `${options.label ?? 'output'}: an empty path`);
  const st = statOrNull(path);
  if (st) {
    if (st.isDirectory()) throw new OutputError(path, `${label}: is a directory (expected a file to write)`);
    for (const input of options.inputs ?? []) {
      if (input === undefined) continue;
      const i = statOrNull(input);
      if (i && i.dev === st.dev && i.ino === st.ino && (st.isFile() || i.isFile())) {
        throw new OutputError(path, `${label}: is the input ${input} (writing it would destroy the input)`);
      }
    }
    if (st.isBlockDevice()) throw new OutputError(path, `${label}: is a block device (expected a file, a FIFO or /dev/stdout)`);
    try {
      accessSync(path, constants.W_OK);
    } catch (e) {
      throw new OutputError(path, `${label}: cannot be written: ${why(e)}`);
    }
    return st.isFile() ? 'file' : 'stream';
  }
  const dir = dirname(resolve(path));
  const d = statOrNull(dir);
  if (!d) throw new OutputError(path, `${label}: the directory ${dir} does not exist`);
  if (!d.isDirectory()) throw new OutputError(path, `${label}: ${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new OutputError(path, `${label}: cannot create a file in ${dir}: ${why(e)}`);
  }
  return 'file';
}

/** This process's stdout/stderr when `path` names the same open file, else -1. */
function stdFdFor(path: string): number {
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    return -1;
  }
  for (const fd of [1, 2]) {
    try {
      const s = fstatSync(fd);
      if (s.dev === st.dev && s.ino === st.ino) return fd;
    } catch {
      // not open
    }
  }
  return -1;
}

const pause = new Int32Array(new SharedArrayBuffer(4));

export interface OutputStatus {
  path: string;
  /** Complete lines (records, for a binary decisions file) written. */
  lines: number;
  bytes: number;
  /** The first write error, naming the path. */
  error?: string;
}

/** A file written by blocking writes through one descriptor; see the module comment. */
export class OutputFile {
  readonly fd: number;
  private readonly own: boolean;
  lines = 0;
  bytes = 0;
  error: string | undefined;
  /**
   * Set when this object opened `path` with `truncate: false` and found a
   * regular file with bytes in it: they stay until `truncateNow()`, or a
   * background ftruncate (decision-writer.ts truncateForRing), before the
   * first write (truncating a large file frees its pages: ~100 ms for
   * 166 MB here, off the threads' paths then).
   */
  readonly truncatePending: boolean = false;

  /**
   * Opens (creates or truncates) `path`; throws OutputError when it cannot.
   * `fd` writes to an open descriptor instead. `truncate: false`: creates
   * it, but leaves an existing file's bytes for `truncateNow()`.
   */
  constructor(readonly path: string, fd?: number, readonly label?: string, options: { truncate?: boolean } = {}) {
    if (fd !== undefined) {
      this.fd = fd;
      this.own = false;
      return;
    }
    const std = stdFdFor(path);
    if (std >= 0) {
      this.fd = std;
      this.own = false;
      return;
    }
    try {
      this.fd = openSync(path, options.truncate === false ? constants.O_WRONLY | constants.O_CREAT : 'w', 0o666);
    } catch (e) {
      throw new OutputError(path, `${label ? label + ' ' : ''}${path}: cannot be opened for writing: ${why(e)}`);
    }
    this.own = true;
    if (options.truncate === false) {
      try {
        const st = fstatSync(this.fd);
        this.truncatePending = st.isFile() && st.size > 0;
      } catch {
        this.truncatePending = true; // ftruncate will say
      }
    }
  }

  /** Empty the file (see `truncatePending`); a failure is this output's error, as a failed write's. */
  truncateNow(): void {
    if (this.error !== undefined) return;
    try {
      ftruncateSync(this.fd, 0);
    } catch (e) {
      this.error = `${this.label ? this.label + ' ' : ''}${this.path}: cannot be truncated: ${why(e)}`;
    }
  }

  get failed(): boolean {
    return this.error !== undefined;
  }

  /**
   * Write `text` (whole lines). Returns how many of its lines were written
   * completely: all of them, or after a failure the ones before it (then
   * later writes are dropped and return 0).
   */
  write(text: string): number {
    if (this.error !== undefined) return 0;
    const buf = Buffer.from(text, 'utf8');
    let nl = 0;
    for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) nl++;
    return this.writeChunk(buf, nl);
  }

  /**
   * Write `data`, which holds `units` complete units: newline-ended lines, or
   * with `recordSize` fixed-size records (the chunk starts at a unit's
   * start). Returns how many of them were written completely (all, or after
   * a failure the ones before it; later writes are dropped and return 0).
   */
  writeChunk(data: Uint8Array, units: number, recordSize = 0): number {
    if (this.error !== undefined) return 0;
    let off = 0;
    while (off < data.length) {
      try {
        off += writeSync(this.fd, data, off, data.length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          Atomics.wait(pause, 0, 0, 2); // a non-blocking pipe that is full: wait for the reader
          continue;
        }
        this.error = `${this.label ? this.label + ' ' : ''}${this.path}: write failed: ${why(e)}`;
        break;
      }
    }
    this.bytes += off;
    let done = units;
    if (off < data.length) {
      if (units === 0) done = 0;
      else if (recordSize > 0) done = Math.floor(off / recordSize);
      else {
        done = 0;
        const part = data.subarray(0, off);
        for (let i = part.indexOf(10); i >= 0; i = part.indexOf(10, i + 1)) done++;
      }
    }
    this.lines += done;
    return done;
  }

  status(): OutputStatus {
    return { path: this.path, lines: this.lines, bytes: this.bytes, ...(this.error !== undefined ? { error: this.error } : {}) };
  }

  close(): void {
    if (!this.own) return;
    try {
      closeSync(this.fd);
    } catch (e) {
      this.error ??= `${this.path}: close failed: ${why(e)}`;
    }
  }
}

/** Write a whole file (a summary, a table) by streaming; throws OutputError naming the path on failure. */
export function writeOutput(path: string, data: string | Uint8Array, label?: string): void {
  const out = new OutputFile(path, undefined, label);
  try {
    if (typeof data === 'string') out.write(data);
    else {
      let off = 0;
      while (off < data.length && out.error === undefined) {
        try {
          off += writeSync(out.fd, data, off, data.length - off);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
          out.error = `${label ? label + ' ' : ''}${path}: write failed: ${why(e)}`;
        }
      }
    }
  } finally {
    out.close();
  }
  if (out.error !== undefined) throw new OutputError(path, out.error);
}

const live = new Set<string>();
let hooked = false;

/** Temporary directories that are removed on `remove()` and, failing that, when the process exits. */
export const TempDirs = {
  make(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    live.add(dir);
    if (!hooked) {
      hooked = true;
      process.on('exit', () => {
        for (const d of live) rmSync(d, { recursive: true, force: true });
      });
    }
    return dir;
  },
  remove(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
    live.delete(dir);
  },
  /** For tests: directories not yet removed. */
  live(): string[] {
    return [...live];
  },
};

/** Does `path` name this process's stdout (e.g. `/dev/stdout`, or the file stdout is redirected to)? */
export function isStdout(path: string): boolean {
  return stdFdFor(path) === 1;
}
