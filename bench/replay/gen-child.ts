/**
 * A generated capture made in a child process with a larger heap
 * (`ensureGeneratedWithHeap`): the traffic generator keeps each concurrent
 * flow's pending packet and script state on the JS heap, about 1.4 KB of
 * heap and 0.2 KB of buffers per flow (measured with a heap snapshot at
 * 30,000 flows), so the flows bench's 4,000,000-flow point needs some 6 GB
 * where Node's default heap stops at ~4 GB (a fatal out-of-memory, not an
 * exception). This module, run as a script with a spec, generates it in a
 * process whose heap is sized for it; imported, it decides whether that is
 * needed.
 *
 *   node --max-old-space-size=MiB dist/bench/replay/gen-child.js SPEC_JSON [CACHE_DIR]
 */
import { spawnSync } from 'node:child_process';
import { totalmem } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { ensureGenerated, findGenerated, type GeneratedSet, type GenSpec } from '../../src/gen/write.js';
import { BenchError } from '../harness/errors.js';

/** Heap bytes the generator needs per concurrent flow, with a margin over the measured ~1.4 KB (plus its buffers). */
export const HEAP_BYTES_PER_FLOW = 2048;
/** Heap the generator needs besides its flows (topology, writer buffer, code). */
export const HEAP_BASE_BYTES = 512 * 2 ** 20;

/** Heap (MiB) a capture of `flows` concurrent flows needs to be generated. */
export function generatorHeapMiB(flows: number): number {
  return Math.ceil((HEAP_BASE_BYTES + flows * HEAP_BYTES_PER_FLOW) / 2 ** 20);
}

/**
 * `ensureGenerated(spec)`, in this process when its heap holds `flows`
 * concurrent flows, else in a child process given the heap it needs (the
 * same files, in the same cache: the generator is deterministic). Refused
 * with a clear error when the machine's memory cannot hold it.
 * `heapLimitMiB` stands in for this process's heap limit (tests).
 */
export function ensureGeneratedWithHeap(spec: GenSpec, flows: number, gen: { cacheDir?: string }, opts: { heapLimitMiB?: number } = {}): GeneratedSet {
  const need = generatorHeapMiB(flows);
  const limit = opts.heapLimitMiB ?? getHeapStatistics().heap_size_limit / 2 ** 20;
  if (need <= limit) return ensureGenerated(spec, gen);
  const cached = findGenerated(spec, gen);
  if (cached) return cached;
  const machine = totalmem() / 2 ** 20;
  if (need > machine * 0.8) {
    throw new BenchError('SGF_BENCH_BAD_OPTION', `generating ${flows} concurrent flows needs about ${need} MiB of heap (${HEAP_BYTES_PER_FLOW} bytes a flow); this machine has ${Math.round(machine)} MiB of memory`);
  }
  const script = fileURLToPath(import.meta.url);
  const args = [`--max-old-space-size=${need}`, script, JSON.stringify(spec), ...(gen.cacheDir ? [gen.cacheDir] : [])];
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.error || r.status !== 0) {
    throw new BenchError('SGF_BENCH_REPLAY', `generating ${flows} concurrent flows in a child process (heap ${need} MiB) failed: ${r.error?.message ?? (r.signal ? `signal ${r.signal}` : `exit code ${r.status}`)}`);
  }
  return ensureGenerated(spec, gen); // now cached
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const spec = JSON.parse(process.argv[2]!) as GenSpec;
  ensureGenerated(spec, process.argv[3] ? { cacheDir: process.argv[3] } : {});
}
