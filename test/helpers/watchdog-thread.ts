/**
 * The stall watchdog's thread (see watchdog.ts): sleeps on the shared
 * counter; when it has not moved for `stallMs`, prints the last output to
 * standard error and ends the process with SIGTERM.
 */
import { workerData } from 'node:worker_threads';
import { writeSync } from 'node:fs';

const { sab, stallMs, tailBytes } = workerData as { sab: SharedArrayBuffer; stallMs: number; tailBytes: number };
const state = new Int32Array(sab, 0, 3); // [0] progress counter, [1] tail length, [2] 1 = stopped
const tail = new Uint8Array(sab, 12, tailBytes);

for (;;) {
  const seen = Atomics.load(state, 0);
  if (Atomics.load(state, 2) === 1) break;
  const r = Atomics.wait(state, 0, seen, stallMs);
  if (Atomics.load(state, 2) === 1) break;
  if (r === 'timed-out' && Atomics.load(state, 0) === seen) {
    const text = Buffer.from(tail.slice(0, Atomics.load(state, 1))).toString('utf8');
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    writeSync(
      2,
      `\n\ntest run stalled: nothing printed for ${Math.round(stallMs / 1000)} s; a test is looping or waiting for ever. ` +
        `The last output (the running suite is on the last line):\n${lines.slice(-4).map((l) => `  ${l}`).join('\n')}\n` +
        '(SGFILTER_TEST_STALL_SECONDS sets the limit)\n'
    );
    process.kill(process.pid, 'SIGTERM');
    break;
  }
}
