/**
 * A stall watchdog for the test runner (test/run.ts): a test that loops for
 * ever blocks the event loop, so no timer of the main thread can end it and
 * CI waits out its whole time limit. The watchdog is a worker thread
 * (watchdog-thread.ts) that sleeps on a shared counter; the runner bumps the
 * counter (and copies the tail of its output into shared memory) whenever
 * something is printed. If
 * nothing is printed for `stallMs`, the worker writes which suite was running
 * and the last output to standard error and ends the process with SIGTERM.
 *
 * uvu prints a suite's name before its tests and a mark after each test, so
 * "nothing printed" means one test has run for `stallMs`.
 */
import { Worker } from 'node:worker_threads';

const TAIL_BYTES = 2048;

export interface Watchdog {
  /** Call with each chunk the runner prints. */
  progress(chunk: string): void;
  /** Stop watching (the worker exits). */
  stop(): void;
}

/** Starts the watchdog; its thread does not keep the process alive. */
export function startWatchdog(stallMs: number): Watchdog {
  const sab = new SharedArrayBuffer(12 + TAIL_BYTES);
  const state = new Int32Array(sab, 0, 3);
  const tail = new Uint8Array(sab, 12, TAIL_BYTES);
  const worker = new Worker(new URL('./watchdog-thread.js', import.meta.url), {
    workerData: { sab, stallMs, tailBytes: TAIL_BYTES },
    execArgv: []
  });
  worker.unref();
  let kept = '';
  return {
    progress(chunk: string) {
      // eslint-disable-next-line no-control-regex
      kept = (kept + chunk.replace(/\u001b\[[0-9;]*m/g, '')).slice(-TAIL_BYTES / 2);
      const bytes = Buffer.from(kept, 'utf8').subarray(0, TAIL_BYTES);
      tail.set(bytes);
      Atomics.store(state, 1, bytes.length);
      Atomics.add(state, 0, 1);
      Atomics.notify(state, 0);
    },
    stop() {
      Atomics.store(state, 2, 1);
      Atomics.add(state, 0, 1);
      Atomics.notify(state, 0);
    }
  };
}

/**
 * The stall limit in ms: SGFILTER_TEST_STALL_SECONDS, else 300 s, or under
 * `npm run fuzz` three fuzz budgets and a minute (one property test may use
 * its whole budget without printing).
 */
export function stallLimitMs(env: NodeJS.ProcessEnv = process.env): number {
  const set = Number(env.SGFILTER_TEST_STALL_SECONDS);
  if (Number.isFinite(set) && set > 0) return set * 1000;
  const fuzz = Number(env.SGFILTER_FUZZ_SECONDS);
  const fromFuzz = Number.isFinite(fuzz) && fuzz > 0 ? (3 * fuzz + 60) * 1000 : 0;
  return Math.max(300_000, fromFuzz);
}
