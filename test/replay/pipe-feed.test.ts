// PipeFeed (src/replay/pipe.ts): a pipe read by the event loop, for the thread
// that called replay(). Every byte the writer sent comes out once, in order,
// whatever the pace of the taker (the ring fills, the socket pauses, and
// resumes when half is taken); an empty pipe says -1 (not the end), the end
// says 0; `wait` resolves when data comes, or after its time with nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { constants, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PipeFeed } from '../../src/replay/pipe.js';

const dir = mkdtempSync(join(tmpdir(), 'sgf-pipe-feed-'));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A FIFO, a `cat` writing `data` into it (after `delayMs`), and a feed reading it (non-blocking, as openPipeCapture opens it). */
function fifoFeed(name: string, data: Uint8Array, delayMs = 0, ringBytes?: number): { feed: PipeFeed; done: Promise<number | null> } {
  const fifo = join(dir, `${name}.fifo`);
  const src = join(dir, `${name}.bin`);
  writeFileSync(src, data);
  assert.is(spawnSync('mkfifo', [fifo]).status, 0);
  const child = spawn('sh', ['-c', `sleep ${delayMs / 1000}; cat "${src}" > "${fifo}"`], { stdio: 'ignore' });
  const done = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  // O_RDWR would keep a writer forever; a non-blocking read-only open of a FIFO succeeds with no writer yet.
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  return { feed: new PipeFeed(fd, ringBytes), done };
}

/** Take everything from `feed` into one array, `step` bytes at a time, pausing `pauseMs` every `every` takes (for at most 20 s). */
async function drain(feed: PipeFeed, total: number, step: number, every = 1, pauseMs = 0): Promise<{ got: Uint8Array; empties: number }> {
  const got = new Uint8Array(total + step);
  let at = 0;
  let empties = 0;
  let takes = 0;
  const deadline = performance.now() + 20_000; // a feed that stopped for good fails the test instead of stalling the suite
  while (performance.now() < deadline) {
    const n = feed.readInto(got, at, Math.min(step, got.length - at));
    if (n === 0) break;
    if (n < 0) {
      empties++;
      await feed.wait(50);
      continue;
    }
    at += n;
    if (++takes % every === 0 && pauseMs > 0) await new Promise((ok) => setTimeout(ok, pauseMs));
  }
  return { got: got.subarray(0, at), empties };
}

test('a fast writer and a slow taker: every byte once, in order, through a small ring that fills and pauses', async () => {
  const data = randomBytes(12 << 20);
  const { feed, done } = fifoFeed('slow', data, 0, 256 << 10);
  // Taking 100 KB every 2 ms: the 256 KiB ring is full most of the time, so the socket is paused and resumed over and over.
  const { got } = await drain(feed, data.length, 100_000, 1, 2);
  feed.close();
  assert.is(await done, 0);
  assert.is(got.length, data.length);
  assert.is(sha(got), sha(data));
});

test('a taker faster than the writer sees an empty pipe (-1, not the end) and waits; then the end is 0', async () => {
  const data = randomBytes(3 << 20);
  const { feed, done } = fifoFeed('late', data, 300);
  const { got, empties } = await drain(feed, data.length, 1 << 20);
  feed.close();
  assert.is(await done, 0);
  assert.ok(empties > 0, 'the taker found the pipe empty before the writer came');
  assert.is(sha(got), sha(data));
  assert.is(feed.readInto(new Uint8Array(10), 0, 10), 0, 'still the end');
});

test('wait() resolves after its time when nothing comes, and as soon as data does', async () => {
  const data = randomBytes(1000);
  const { feed, done } = fifoFeed('wait', data, 400);
  let t = performance.now();
  await feed.wait(40);
  const idle = performance.now() - t;
  assert.ok(idle >= 35 && idle < 300, `nothing came: resolved after its 40 ms (${idle.toFixed(0)} ms)`);
  assert.is(feed.readInto(new Uint8Array(10), 0, 10), -1);
  t = performance.now();
  while (feed.readInto(new Uint8Array(0), 0, 0) === -1 && performance.now() - t < 5000) await feed.wait(10_000);
  const woke = performance.now() - t;
  assert.ok(woke < 3000, `woken by the data, not by the 10 s timer (${woke.toFixed(0)} ms)`);
  const { got } = await drain(feed, data.length, 4096);
  feed.close();
  assert.is(await done, 0);
  assert.is(sha(got), sha(data));
});

test.run();
