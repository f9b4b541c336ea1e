/**
 * The bench's verification on a large capture: decisions files (SEMANTICS §9
 * JSON lines) written by replay() with the reference engine and with the WASM
 * engine must be byte-identical. Files are compared in chunks (a 1 M-packet
 * run writes ~150 MB), so memory stays bounded; the first difference stops
 * the run with its packet (line) number and both lines.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { BenchError } from './errors.js';

const CHUNK = 1 << 20;

/** The line of `fd` that contains byte `at` (at most 64 KiB of it). */
function lineAt(fd: number, at: number): string {
  const back = Math.max(0, at - 65536);
  const buf = Buffer.alloc(at - back + 65536);
  const n = readSync(fd, buf, 0, buf.byteLength, back);
  const text = buf.subarray(0, n);
  const start = text.lastIndexOf(10, at - back - 1) + 1;
  let end = text.indexOf(10, at - back);
  if (end < 0) end = n;
  return text.subarray(start, end).toString('utf8');
}

/**
 * Compare two decisions files; returns the number of lines (packets).
 * Throws SGF_BENCH_MISMATCH naming the packet and both decisions, or the
 * file that stops early.
 */
export function assertSameDecisionFiles(referencePath: string, wasmPath: string, label: string): number {
  const fa = openSync(referencePath, 'r');
  const fb = openSync(wasmPath, 'r');
  try {
    const a = Buffer.alloc(CHUNK);
    const b = Buffer.alloc(CHUNK);
    let pos = 0;
    let lines = 0;
    for (;;) {
      const na = readSync(fa, a, 0, CHUNK, pos);
      const nb = readSync(fb, b, 0, CHUNK, pos);
      const n = Math.min(na, nb);
      if (a.compare(b, 0, n, 0, n) !== 0) {
        let i = 0;
        while (a[i] === b[i]) i++;
        for (let k = 0; k < i; k++) if (a[k] === 10) lines++;
        const at = pos + i;
        throw new BenchError('SGF_BENCH_MISMATCH', `${label}: packet ${lines + 1}: WASM and reference decisions differ\n  reference: ${lineAt(fa, at)}\n  wasm:      ${lineAt(fb, at)}`);
      }
      for (let k = 0; k < n; k++) if (a[k] === 10) lines++;
      if (na !== nb) {
        const shorter = na < nb ? 'reference' : 'WASM';
        throw new BenchError('SGF_BENCH_MISMATCH', `${label}: the ${shorter} engine stops after ${lines} packets, the other goes on`);
      }
      if (n === 0) return lines;
      pos += n;
    }
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}
