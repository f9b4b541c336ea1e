/**
 * Interrupts (issue "Trust first" §3): the first SIGINT/SIGTERM stops
 * reading; the decisions of packets 1..N and a summary marked `interrupted`
 * with N are written, exit 130/143; no temporary file is ever made (the
 * workers hand their records to the writing thread through shared memory). A
 * second signal exits at once. The capture comes through a FIFO that the
 * test feeds, so the replay cannot finish before the signal whatever the
 * machine's speed; the multi-worker case reads a regular file and is
 * signalled as soon as its first decisions appear.
 *
 * Expected decisions: the first N lines of an uninterrupted replay of the
 * same capture.
 *
 * A FIFO that nobody writes (the open waits for a writer) stops at the first
 * signal too, as interrupted after packet 0 (src/replay/pipe.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, cliLimited } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'sgf-interrupt-'));
const gen = cli(['gen', '--out-dir', join(tmp, 'big'), '--seed', '11', '--packets', '60000', '--quiet']);
const T = join(tmp, 'big', 'topology.json');
const C = join(tmp, 'big', 'trace.pcap');
const fullPath = join(tmp, 'full.jsonl');
const full = cli(['replay', '--topology', T, '--pcap', C, '--decisions', fullPath, '-q']);
const fullLines = full.status === 0 ? readFileSync(fullPath, 'utf8').split('\n').filter(Boolean) : [];

interface Summary { packets: number; interrupted?: { packets: number }; capture: { bytesRead: number; bytesUnread: number }; decisions?: { complete: boolean; packets: number } }

function check(out: string, summaryPath: string, sig: string): number {
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as Summary;
  assert.ok(summary.interrupted, `${sig}: the summary says interrupted`);
  const n = summary.interrupted!.packets;
  assert.ok(n < fullLines.length, `${sig}: stopped before the end (${n} of ${fullLines.length})`);
  assert.is(summary.packets, n, 'the summary counts exactly the packets judged');
  const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean);
  assert.is(lines.length, n, 'one decision per judged packet');
  assert.ok(lines.every((l, i) => l === fullLines[i]), 'decisions 1..N equal the uninterrupted run\'s');
  assert.equal(summary.decisions, { path: out, complete: true, lines: n, packets: n } as unknown as Summary['decisions']);
  return n;
}

/** Feed the capture into a FIFO: the first `head` bytes, then the rest once `release` resolves. */
function feed(fifo: string, head: number, release: Promise<void>): Promise<void> {
  const bytes = readFileSync(C);
  const w = createWriteStream(fifo);
  return new Promise((resolve) => {
    w.on('error', () => resolve()); // the replay closed the pipe after stopping
    w.on('close', () => resolve());
    w.write(bytes.subarray(0, head));
    void release.then(() => w.end(bytes.subarray(head)));
  });
}

test('setup: a generated capture and its uninterrupted decisions', () => {
  assert.is(gen.status, 0, gen.stderr);
  assert.is(full.status, 0, full.stderr);
  assert.is(fullLines.length, 60000);
});

for (const [label, args, sig, code] of [
  ['wasm, 1 worker, SIGINT', ['--workers', '1'], 'SIGINT', 130],
  ['wasm, 2 workers (split shared), SIGINT', ['--workers', '2'], 'SIGINT', 130],
  ['wasm, in-thread, SIGTERM', ['--workers', '0'], 'SIGTERM', 143],
  ['reference engine, SIGINT', ['--engine', 'reference'], 'SIGINT', 130],
] as const) {
  test(`${label}: decisions 1..N, summary interrupted, exit ${code}`, async () => {
    const fifo = join(tmp, `cap-${code}-${args.join('')}.fifo`);
    assert.is(spawnSync('mkfifo', [fifo]).status, 0);
    const out = join(tmp, `out-${args.join('')}.jsonl`);
    const sum = join(tmp, `sum-${args.join('')}.json`);
    let child: ChildProcess | undefined;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const feeding = feed(fifo, 2_000_000, released);
    // Signal once decisions are being written, then let the rest of the capture through.
    const poll = setInterval(() => {
      if (child && existsSync(out) && statSync(out).size > 0) {
        clearInterval(poll);
        child.kill(sig);
        setTimeout(release, 100);
      }
    }, 5);
    const r = await cliLimited(['replay', '--topology', T, '--pcap', fifo, '--decisions', out, '--summary', sum, '--batch-size', '512', '-q', ...args], {
      timeMs: 60_000,
      onStart: (c) => (child = c),
    });
    clearInterval(poll);
    release();
    await feeding;
    assert.is(r.killed, undefined, `not killed by the helper (${r.killed})`);
    assert.is(r.status, code, r.stderr);
    assert.match(r.stderr, `interrupted by ${sig}`);
    const n = check(out, sum, sig);
    assert.match(r.stdout, `INTERRUPTED after packet ${n}`);
  });
}

// A FIFO whose writer has sent part of the capture and then goes quiet (it
// holds its end open and sends nothing more until the replay has exited): the
// reader used to block in read(2) on the thread whose event loop handles the
// signal, so the replay ignored SIGINT until data came. Now it reads the pipe
// without blocking (pipe.ts) and waits between reads on its event loop.
const HEAD = 1_000_000;
/** Complete records of the classic pcap capture within its first `bytes` bytes. */
function recordsWithin(file: string, bytes: number): number {
  const b = readFileSync(file);
  const magic = b.readUInt32LE(0);
  assert.ok(magic === 0xa1b2c3d4 || magic === 0xa1b23c4d, 'gen writes a little-endian classic pcap');
  let at = 24;
  let n = 0;
  while (at + 16 <= bytes && at + 16 + b.readUInt32LE(at + 8) <= bytes) {
    at += 16 + b.readUInt32LE(at + 8);
    n++;
  }
  return n;
}
for (const [label, args] of [
  ['wasm, 1 worker', ['--workers', '1']],
  ['wasm, in-thread', ['--workers', '0']],
  ['wasm, 2 workers (split shared)', ['--workers', '2']],
  ['reference engine', ['--engine', 'reference']],
] as const) {
  test(`${label}: a FIFO whose writer has gone quiet stops at SIGINT with the decisions of what came, exit 130`, async () => {
    const fifo = join(tmp, `quiet-${args.join('')}.fifo`);
    assert.is(spawnSync('mkfifo', [fifo]).status, 0);
    const out = join(tmp, `quiet-${args.join('')}.jsonl`);
    const sum = join(tmp, `quiet-sum-${args.join('')}.json`);
    const headRecords = recordsWithin(C, HEAD);
    let child: ChildProcess | undefined;
    let exited!: () => void;
    const gone = new Promise<void>((r) => (exited = r));
    const w = createWriteStream(fifo);
    const feeding = new Promise<void>((resolve) => {
      w.on('error', () => resolve());
      w.on('close', () => resolve());
    });
    // The head, then nothing until the replay has exited; signal 400 ms after the head is in the pipe.
    w.write(readFileSync(C).subarray(0, HEAD), () => setTimeout(() => child?.kill('SIGINT'), 400));
    void gone.then(() => w.end());
    const r = await cliLimited(['replay', '--topology', T, '--pcap', fifo, '--decisions', out, '--summary', sum, '--batch-size', '512', '-q', ...args], {
      timeMs: 20_000,
      onStart: (c) => (child = c),
    });
    exited();
    await feeding;
    assert.is(r.killed, undefined, `not killed by the helper (${r.killed}): the replay did not answer SIGINT while its writer was quiet`);
    assert.is(r.status, 130, r.stderr);
    assert.match(r.stderr, 'interrupted by SIGINT');
    const n = check(out, sum, 'SIGINT');
    assert.ok(n > 0 && n <= headRecords, `judged ${n} packets of the ${headRecords} complete in what was sent`);
    assert.match(r.stdout, `INTERRUPTED after packet ${n}`);
  });
}

/** True once a thread of `pid` is blocked opening a FIFO that has no writer (Linux: fifo_open's wait_for_partner). */
function waitingForWriter(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/task`).some((t) => readFileSync(`/proc/${pid}/task/${t}/wchan`, 'utf8') === 'wait_for_partner');
  } catch {
    return false;
  }
}
const procWchan = existsSync('/proc/self/wchan');

// A FIFO nobody writes: opening it blocks until a writer comes. That used to
// block a thread where nothing could stop it (in-thread, the signal handler
// never ran; with a worker, even the second signal's exit waited for it).
for (const [label, args, sig, code] of [
  ['wasm, in-thread', ['--workers', '0'], 'SIGTERM', 143],
  ['wasm, 1 worker', ['--workers', '1'], 'SIGINT', 130],
  ['wasm, 2 workers (split shared)', ['--workers', '2'], 'SIGTERM', 143],
  ['reference engine', ['--engine', 'reference'], 'SIGTERM', 143],
] as const) {
  test(`${label}: a FIFO with no writer stops at the first ${sig}, interrupted after packet 0, exit ${code}`, async () => {
    if (!procWchan) {
      console.log('  (skipped: no /proc/PID/task/*/wchan here to see the blocked open)');
      return;
    }
    const fifo = join(tmp, `dead-${args.join('')}.fifo`);
    assert.is(spawnSync('mkfifo', [fifo]).status, 0);
    const sum = join(tmp, `dead-${args.join('')}.json`);
    let child: ChildProcess | undefined;
    let sent = false;
    // Signal once the open is under way (the handlers are in place by then).
    const poll = setInterval(() => {
      if (child?.pid !== undefined && !sent && waitingForWriter(child.pid)) {
        sent = true;
        child.kill(sig);
      }
    }, 20);
    const r = await cliLimited(['replay', '--topology', T, '--pcap', fifo, '--summary', sum, '-q', ...args], { timeMs: 30_000, onStart: (c) => (child = c) });
    clearInterval(poll);
    assert.ok(sent, 'the open of the FIFO was seen waiting for a writer, and the signal sent');
    assert.is(r.killed, undefined, `stopped by the first signal, not by the helper's time limit (${r.killed})`);
    assert.is(r.status, code, r.stderr);
    assert.match(r.stderr, `interrupted by ${sig}: packets 1..0 were judged`);
    assert.not.match(r.stderr, /empty file/, 'the stop is not reported as a damaged capture');
    const summary = JSON.parse(readFileSync(sum, 'utf8')) as Summary & { capture: { error?: unknown } };
    assert.equal(summary.interrupted, { packets: 0 });
    assert.is(summary.packets, 0);
    assert.is(summary.capture.error, undefined);
  });
}

test('a second signal kills at once even while a worker is blocked opening a FIFO', async () => {
  if (!procWchan) {
    console.log('  (skipped: no /proc/PID/task/*/wchan here)');
    return;
  }
  // The first signal's stop cannot end this open (the replay's own unblocking
  // is what ends it; here it runs too, so this checks that the second signal
  // does not wait for it either): SIGINT twice in a row, at once.
  const fifo = join(tmp, 'dead-twice.fifo');
  assert.is(spawnSync('mkfifo', [fifo]).status, 0);
  let child: ChildProcess | undefined;
  let sent = false;
  const poll = setInterval(() => {
    if (child?.pid !== undefined && !sent && waitingForWriter(child.pid)) {
      sent = true;
      child.kill('SIGINT');
      child.kill('SIGINT');
    }
  }, 20);
  const r = await cliLimited(['replay', '--topology', T, '--pcap', fifo, '--workers', '1', '-q'], { timeMs: 30_000, onStart: (c) => (child = c) });
  clearInterval(poll);
  assert.ok(sent);
  assert.is(r.killed, undefined, `ended by the signals, not by the helper's time limit (${r.killed})`);
  // Either the first signal's stop won the race (exit 130) or the second killed it with SIGINT (the shell's 130 too).
  assert.ok(r.status === 130 || r.signal === 'SIGINT', `status ${r.status}, signal ${r.signal}: ${r.stderr}`);
});

test('2 workers on a regular file: both stop at the same packet; no temporary file', async () => {
  const dir = join(tmp, 'tmp-w2');
  mkdirSync(dir);
  const out = join(tmp, 'out-w2.jsonl');
  const sum = join(tmp, 'sum-w2.json');
  let child: ChildProcess | undefined;
  let sent = false;
  const poll = setInterval(() => {
    if (!child || sent) return;
    if (existsSync(out) && statSync(out).size > 0) {
      sent = true;
      child.kill('SIGINT');
    }
  }, 2);
  const r = await cliLimited(['replay', '--topology', T, '--pcap', C, '--decisions', out, '--summary', sum, '--workers', '2', '--batch-size', '256', '-q'], {
    timeMs: 60_000,
    env: { ...process.env, TMPDIR: dir },
    onStart: (c) => (child = c),
  });
  clearInterval(poll);
  assert.ok(sent, 'the signal was sent');
  assert.is(r.status, 130, r.stderr);
  check(out, sum, 'SIGINT');
  assert.equal(readdirSync(dir), [], 'no temporary file was made');
});

test('a second signal exits at once, no temporary file', async () => {
  const dir = join(tmp, 'tmp-twice');
  mkdirSync(dir);
  const out = join(tmp, 'twice.jsonl');
  let child: ChildProcess | undefined;
  let sent = false;
  const poll = setInterval(() => {
    if (!child || sent) return;
    if (existsSync(out) && statSync(out).size > 0) {
      sent = true;
      child.kill('SIGINT');
      setTimeout(() => child!.kill('SIGINT'), 20);
    }
  }, 2);
  const r = await cliLimited(['replay', '--topology', T, '--pcap', C, '--decisions', out, '--workers', '2', '--batch-size', '256', '-q'], {
    timeMs: 60_000,
    env: { ...process.env, TMPDIR: dir },
    onStart: (c) => (child = c),
  });
  clearInterval(poll);
  assert.ok(sent);
  // The second signal kills the process with SIGINT (the shell's status 130), unless the first stop finished first (exit 130).
  assert.ok(r.status === 130 || r.signal === 'SIGINT', `status ${r.status}, signal ${r.signal}: ${r.stderr}`);
  assert.match(r.stderr, /SIGINT again: exiting now|interrupted by SIGINT/);
  assert.equal(readdirSync(dir), [], 'no temporary file was made');
});

test.run();
