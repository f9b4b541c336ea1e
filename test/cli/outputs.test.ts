/**
 * Output failures (issue "Trust first" §2, §6 --chunk-size, §8 replay exit):
 * output paths are checked before any work; /dev/stdout, FIFOs and /dev/full
 * are streamed to, never copied over or unlinked; temporary files are always
 * removed; a failed write names the path, exits non-zero and reports the
 * decisions file as partial. The expected decisions are those of a replay to
 * a regular file (which the differential tests hold to the reference engine).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, cliLimited } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'sgf-outputs-'));
const T = 'fixtures/huawei-app.json';
const C = 'fixtures/captures/huawei-app.pcapng';
const baseline = join(tmp, 'baseline.jsonl');
const base = cli(['replay', '--topology', T, '--pcap', C, '--decisions', baseline, '-q']);
const expected = readFileSync(baseline, 'utf8');
const PACKETS = 2505; // huawei-app.pcapng (tshark counts 2505 frames)

/** A private TMPDIR for one run, to see what temporary files it leaves. */
function privateTmp(name: string): { env: NodeJS.ProcessEnv; dir: string } {
  const dir = join(tmp, `tmp-${name}`);
  mkdirSync(dir);
  return { env: { ...process.env, TMPDIR: dir }, dir };
}

test('the baseline replay writes one decision per packet', () => {
  assert.is(base.status, 0, base.stderr);
  assert.is(expected.split('\n').filter(Boolean).length, PACKETS);
});

test('bad output paths are refused before any work, with the path and why', async () => {
  const cases: [string[], RegExp][] = [
    [['--decisions', join(tmp, 'no', 'such', 'x.jsonl')], /--decisions .*x\.jsonl: the directory .*no.such does not exist/],
    [['--decisions', tmp], /--decisions .*: is a directory/],
    [['--decisions', C], /--decisions .*huawei-app\.pcapng: is the input/],
    [['--decisions', T], /is the input/],
    [['--summary', join(tmp, 'nope', 's.json')], /--summary .*: the directory .* does not exist/],
    [['--summary', C], /--summary .*: is the input/],
  ];
  const capBefore = readFileSync(C);
  const runs = await Promise.all(cases.map(([extra]) => cliLimited(['replay', '--topology', T, '--pcap', C, '-q', ...extra], { timeMs: 30_000 })));
  for (const [i, [extra, message]] of cases.entries()) {
    const r = runs[i]!;
    assert.is(r.status, 2, `${extra.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, extra.join(' '));
    assert.is(r.stdout, '', 'no summary: nothing was replayed');
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.ok(readFileSync(C).equals(capBefore), 'the capture is untouched');
});

for (const engine of [['--workers', '1'], ['--workers', '3'], ['--engine', 'reference']]) {
  test(`--decisions /dev/stdout streams (${engine.join(' ')}); the device stays`, async () => {
    const r = await cliLimited(['replay', '--topology', T, '--pcap', C, '-q', '--decisions', '/dev/stdout', ...engine]);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, expected, 'stdout holds exactly the decisions');
    assert.match(r.stderr, `${C}: ${PACKETS} packets`, 'the summary goes to stderr');
    assert.ok(statSync('/dev/stdout').isCharacterDevice() || statSync('/dev/stdout').isFIFO() || existsSync('/dev/stdout'));
  });

  test(`--decisions /dev/full: one message naming it, exit 2, reported partial, temp files removed (${engine.join(' ')})`, async () => {
    const { env, dir } = privateTmp(`full-${engine.join('')}`);
    const r = await cliLimited(['replay', '--topology', T, '--pcap', C, '-q', '--decisions', '/dev/full', '--json', ...engine], { env });
    assert.is(r.status, 2, r.stderr);
    assert.match(r.stderr, /\/dev\/full: write failed: no space left on device \(ENOSPC\)/);
    assert.match(r.stderr, /the decisions file is PARTIAL: it holds the decisions of packets 1\.\.0 of 2505/);
    assert.not.match(r.stderr, /Unhandled|\n\s+at /);
    const summary = JSON.parse(r.stdout) as { packets: number; decisions: { complete: boolean; packets: number; path: string } };
    assert.is(summary.packets, PACKETS, 'every packet was still judged');
    assert.equal([summary.decisions.complete, summary.decisions.packets, summary.decisions.path], [false, 0, '/dev/full']);
    assert.ok(statSync('/dev/full').isCharacterDevice(), '/dev/full is still a device');
    assert.equal(readdirSync(dir), [], 'no temporary file is left');
  });
}

test('--decisions to a FIFO streams into it (nothing copied, the FIFO stays)', async () => {
  const fifo = join(tmp, 'decisions.fifo');
  assert.is(spawnSync('mkfifo', [fifo]).status, 0);
  let got = '';
  const reading = new Promise<void>((resolve, reject) => {
    createReadStream(fifo, 'utf8').on('data', (c) => (got += c)).on('end', resolve).on('error', reject);
  });
  const r = await cliLimited(['replay', '--topology', T, '--pcap', C, '-q', '--decisions', fifo, '--workers', '2']);
  await reading;
  assert.is(r.status, 0, r.stderr);
  assert.is(got, expected);
  assert.ok(statSync(fifo).isFIFO());
});

/** A 96 KiB tmpfs (skipped, saying so, where mounting is not allowed). */
function smallDisk(name: string): string | null {
  const mnt = join(tmp, name);
  mkdirSync(mnt);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=96k', 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) {
    console.log(`  (skipped: cannot mount a small tmpfs here: ${(m.stderr || m.error?.message || '').trim()})`);
    return null;
  }
  return mnt;
}

for (const engine of [['--workers', '1'], ['--workers', '3'], ['--engine', 'reference']]) {
  test(`a disk that fills midway: the file holds exactly decisions 1..N, and N is reported (${engine.join(' ')})`, async () => {
    const mnt = smallDisk(`disk${engine.join('')}`);
    if (!mnt) return;
    try {
      const out = join(mnt, 'd.jsonl');
      const r = await cliLimited(['replay', '--topology', T, '--pcap', C, '-q', '--decisions', out, '--json', ...engine]);
      assert.is(r.status, 2, r.stderr);
      assert.match(r.stderr, `${out}: write failed: no space left on device (ENOSPC)`);
      const s = JSON.parse(r.stdout) as { decisions: { complete: boolean; packets: number } };
      const n = s.decisions.packets;
      assert.ok(!s.decisions.complete && n > 0 && n < PACKETS, `partial at ${n}`);
      assert.match(r.stderr, `the decisions file is PARTIAL: it holds the decisions of packets 1..${n} of ${PACKETS}`);
      const lines = readFileSync(out, 'utf8').split('\n');
      assert.equal(lines.slice(0, n), expected.split('\n').slice(0, n), 'a clean prefix of the right decisions');
      // What follows the prefix (a torn line the disk cut) is not counted as a decision.
      assert.ok(lines.length - 1 <= n || !lines[n]!.endsWith('}') || lines[n] === expected.split('\n')[n]);
    } finally {
      spawnSync('umount', [mnt]);
    }
  });
}

for (const engine of [['--workers', '2'], ['--engine', 'reference']]) {
  test(`binary decisions on a disk that fills midway: N whole records, exactly decisions 1..N once converted (${engine.join(' ')})`, async () => {
    const mnt = smallDisk(`bindisk${engine.join('')}`);
    if (!mnt) return;
    try {
      const out = join(mnt, 'd.bin');
      const r = await cliLimited(['replay', '--topology', T, '--pcap', C, '-q', '--decisions', out, '--decisions-format', 'binary', '--json', ...engine]);
      assert.is(r.status, 2, r.stderr);
      assert.match(r.stderr, `${out}: write failed: no space left on device (ENOSPC)`);
      const s = JSON.parse(r.stdout) as { decisions: { complete: boolean; packets: number; lines: number } };
      const n = s.decisions.packets;
      assert.ok(!s.decisions.complete && n > 0 && n < PACKETS, `partial at ${n}`);
      assert.is(s.decisions.lines, n, 'records written = packets 1..N');
      const c = await cliLimited(['decisions', out]);
      // A torn last record is reported as such, after the N good ones.
      assert.ok(c.status === 0 || (c.status === 1 && /SGF_DECISIONS_TRUNCATED/.test(c.stderr)), c.stderr);
      assert.is(c.stdout, expected.split('\n').slice(0, n).join('\n') + '\n');
    } finally {
      spawnSync('umount', [mnt]);
    }
  });
}

test('workers with TMPDIR on a full disk: the decisions are complete, nothing is written there (no temporary files)', async () => {
  const mnt = smallDisk('tmpdisk');
  if (!mnt) return;
  try {
    const out = join(tmp, 'merged-full-tmp.jsonl');
    const r = await cliLimited(['replay', '--topology', T, '--pcap', C, '-q', '--decisions', out, '--json', '--workers', '2'], { env: { ...process.env, TMPDIR: mnt } });
    assert.is(r.status, 0, r.stderr);
    assert.is((JSON.parse(r.stdout) as { decisions: { packets: number; complete: boolean } }).decisions.complete, true);
    assert.is(readFileSync(out, 'utf8'), expected);
    assert.equal(readdirSync(mnt), [], 'nothing was written to TMPDIR');
  } finally {
    spawnSync('umount', [mnt]);
  }
});

test('the summary to an unwritable path: a clear message and exit 2, the decisions kept', async () => {
  // /proc/version exists and cannot be written, not even by root.
  const out = join(tmp, 'kept.jsonl');
  const r = await cliLimited(['replay', '--topology', T, '--pcap', C, '-q', '--decisions', out, '--summary', '/proc/version']);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /--summary \/proc\/version: /);
  assert.not.match(r.stderr, /\n\s+at /);
  assert.is(readFileSync(out, 'utf8'), expected);
});

test('a missing capture: exit 2 and the reader\'s message, no summary, like decode', async () => {
  const r = await cliLimited(['replay', '--topology', T, '--pcap', join(tmp, 'missing.pcap'), '-q']);
  const d = await cliLimited(['decode', join(tmp, 'missing.pcap')]);
  assert.is(r.status, 2);
  assert.is(d.status, 2);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /missing\.pcap: byte 0: cannot read the file/);
});

test('integer options: one parser, the same refusal for every command', async () => {
  const values = ['abc', '0', '-1', '1e12', '2147483648', '1.5', ' 7', '0x10'];
  const runs = await Promise.all([...values.map((v) => cliLimited(['decode', C, '--chunk-size', v])), cliLimited(['decode', C, '--chunk-size', '65536'])]);
  for (const [i, v] of values.entries()) {
    const d = runs[i]!;
    assert.is(d.status, 2, `--chunk-size ${v}: ${d.stderr}`);
    assert.match(d.stderr, `--chunk-size must be an integer from 65536 to 268435456, got ${JSON.stringify(v)}`);
    assert.not.match(d.stderr, /\n\s+at /);
    assert.is(d.stdout, '');
  }
  const ok = runs[values.length]!;
  assert.is(ok.status, 0, ok.stderr);
  const w = await cliLimited(['replay', '--topology', T, '--pcap', C, '--batch-size', '1e3']);
  assert.is(w.status, 2);
  assert.match(w.stderr, '--batch-size must be an integer from 1 to 1048576, got "1e3"');
  const g = await cliLimited(['gen', '--out-dir', join(tmp, 'g'), '--packets', '1e3']);
  assert.is(g.status, 1);
  assert.match(g.stderr, /--packets .*must be an integer from 0 to \d+, got "1e3"/);
  assert.not.ok(existsSync(join(tmp, 'g')));
  const c = await cliLimited(['classify', 'x', 'y', '--repeat', '0']);
  assert.is(c.status, 2);
  assert.match(c.stderr, '--repeat must be an integer from 1 to 1000, got "0"');
});

test.run();
