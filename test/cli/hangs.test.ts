/**
 * Hangs, unbounded memory and non-regular files (issue "Trust first" §4, §5,
 * §7 WASM/EPIPE): each case runs the CLI under a time and a memory limit, so
 * a regression fails here instead of stalling the suite.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, cliLimited } from '../helpers/cli.js';
import { repoRoot } from '../helpers/corpus.js';

const tmp = mkdtempSync(join(tmpdir(), 'sgf-hangs-'));
const T = 'fixtures/huawei-app.json';
const C = 'fixtures/captures/huawei-app.pcapng';
const gen = cli(['gen', '--out-dir', join(tmp, 'big'), '--seed', '4', '--packets', '60000', '--quiet']);
const BIG = join(tmp, 'big', 'trace.pcap');
const BIG_T = join(tmp, 'big', 'topology.json');

test('setup', () => {
  assert.is(gen.status, 0, gen.stderr);
});

test('a capture that shrinks while decode reads it ends as truncated (no busy loop)', async () => {
  const f = join(tmp, 'shrink-decode.pcap');
  copyFileSync(BIG, f);
  const size = statSync(f).size;
  let cut = false;
  const r = await cliLimited(['decode', f, '--chunk-size', '65536'], {
    timeMs: 30_000,
    onStdout: () => {
      if (!cut) {
        cut = true;
        truncateSync(f, Math.floor(size / 2) + 7); // mid-record
      }
    },
  });
  assert.ok(cut);
  assert.is(r.killed, undefined, `killed by the helper (${r.killed}): the reader spun`);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /truncated|cut|ends/i);
});

test('a capture that shrinks while replay reads it ends as truncated (no busy loop)', async () => {
  // The cut races the replay (60,000 packets take ~20 ms to judge): it comes as soon as the
  // decisions file appears. A cut that lands after the read has passed the cut point lets the
  // replay finish (status 0, every decision written); such an attempt proves nothing about a
  // shrinking file, so it is retried, and at least one attempt must have been cut mid-read.
  const f = join(tmp, 'shrink-replay.pcap');
  const out = join(tmp, 'shrink.jsonl');
  let judgedMidRead = 0;
  for (let attempt = 0; attempt < 5 && judgedMidRead === 0; attempt++) {
    copyFileSync(BIG, f);
    rmSync(out, { force: true });
    const size = statSync(f).size;
    let child: ChildProcess | undefined;
    let cut = false;
    const poll = setInterval(() => {
      if (!cut && child && existsSync(out)) {
        cut = true;
        truncateSync(f, Math.floor(size * 0.6) + 3);
      }
    }, 1);
    const r = await cliLimited(['replay', '--topology', BIG_T, '--pcap', f, '--decisions', out, '-q'], {
      timeMs: 30_000,
      onStart: (c) => (child = c),
    });
    clearInterval(poll);
    assert.ok(cut, 'the file was cut during the replay');
    assert.is(r.killed, undefined, `killed by the helper (${r.killed}): the stream spun`);
    if (r.status === 0) {
      // The read was past the cut: every packet of the intact capture (gen's 60,000) was judged.
      assert.is(readFileSync(out, 'utf8').split('\n').length - 1, 60_000, 'a replay that ended well judged every packet');
      continue;
    }
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, /truncated|cut|ends/i);
    judgedMidRead++;
  }
  assert.ok(judgedMidRead > 0, 'in 5 attempts the cut never landed before the replay had read past it');
});

test('check /dev/zero is refused at once, in bounded memory', async () => {
  const r = await cliLimited(['check', '/dev/zero'], { timeMs: 15_000, rssMb: 300 });
  assert.is(r.killed, undefined, `killed (${r.killed}, ${r.peakRssMb} MiB)`);
  assert.is(r.status, 1);
  assert.match(r.stdout, '/dev/zero: a NUL byte at byte offset 0: not a topology');
});

test('a topology file over the 512 MiB limit is refused from its size (sparse file, nothing read)', async () => {
  const f = join(tmp, 'huge.json');
  writeFileSync(f, '');
  truncateSync(f, 512 * 1024 * 1024 + 1);
  const r = await cliLimited(['check', f], { timeMs: 15_000, rssMb: 300 });
  assert.is(r.status, 1);
  assert.match(r.stdout, `the file is ${512 * 1024 * 1024 + 1} bytes: too large for a topology (the limit is 536870912 bytes (512 MiB))`);
});

/** Run a shell pipeline (stdin of node is then a real pipe, as from a shell). */
function sh(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', script], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000, maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a topology stream past the limit stops at the limit (library, small limit, a pipe)', () => {
  const code = `import { loadTopologyFile } from ${JSON.stringify(join(repoRoot, 'dist', 'src', 'parse', 'load.js'))};
try { loadTopologyFile('/dev/stdin', { maxBytes: 100000 }); } catch (e) { console.log(e.issues[0].message); }`;
  writeFileSync(join(tmp, 'limit.mjs'), code);
  const r = sh(`head -c 300000 /dev/zero | tr '\\0' ' ' | node ${join(tmp, 'limit.mjs')}`);
  assert.match(r.stdout, /more than 100000 bytes read: too large for a topology/, r.stderr);
});

test('decode and replay read a pipe to its end (same packets as the file)', async () => {
  const file = await cliLimited(['decode', C, '--jsonl']);
  const pipe = sh(`cat ${C} | node dist/src/cli/main.js decode /dev/stdin --jsonl`);
  assert.is(pipe.status, 0, pipe.stderr);
  assert.is(pipe.stdout, file.stdout);
  assert.match(pipe.stderr, '/dev/stdin: pcapng, 2505 packet(s)');
  const fifo = join(tmp, 'cap.fifo');
  assert.is(spawnSync('mkfifo', [fifo]).status, 0);
  const base = await cliLimited(['replay', '--topology', T, '--pcap', C, '--json', '-q']);
  const viaFifo = sh(`cat ${C} > ${fifo} & node dist/src/cli/main.js replay --topology ${T} --pcap ${fifo} --json -q`);
  assert.is(viaFifo.status, 0, viaFifo.stderr);
  const a = JSON.parse(base.stdout) as { verdicts: unknown; reasons: unknown; packets: number };
  const b = JSON.parse(viaFifo.stdout) as typeof a;
  assert.equal([b.packets, b.verdicts, b.reasons], [a.packets, a.verdicts, a.reasons]);
  // 2 workers on one shared memory (the default split): only the calling thread reads, so a pipe is fine.
  const many = sh(`cat ${C} | node dist/src/cli/main.js replay --topology ${T} --pcap /dev/stdin --workers 2 --json -q`);
  assert.is(many.status, 0, many.stderr);
  const m = JSON.parse(many.stdout) as typeof a;
  assert.equal([m.packets, m.verdicts, m.reasons], [a.packets, a.verdicts, a.reasons]);
  // Every worker reads the capture itself (--split lanes): a pipe is refused.
  const lanes = sh(`cat ${C} | node dist/src/cli/main.js replay --topology ${T} --pcap /dev/stdin --workers 2 --split lanes -q`);
  assert.is(lanes.status, 2);
  assert.match(lanes.stderr, /not a regular file .* use --workers 0 or 1, --split shared/);
});

test('decode /dev/zero: a bad magic at byte 0, not "empty file"', async () => {
  const r = await cliLimited(['decode', '/dev/zero'], { timeMs: 15_000, rssMb: 300 });
  assert.is(r.status, 1);
  assert.match(r.stderr, '/dev/zero: byte 0: magic 00000000');
  assert.not.match(r.stderr, 'empty file');
});

test('gen --out-dir under /proc fails at once instead of spinning in mkdir', async () => {
  const r = await cliLimited(['gen', '--out-dir', '/proc/sgf-no/such', '--quiet'], { timeMs: 15_000 });
  assert.is(r.killed, undefined);
  assert.is(r.status, 1);
  assert.match(r.stderr, /--out-dir \/proc\/sgf-no\/such: cannot create \/proc\/sgf-no/);
});

test('decode | head -1: exits quietly', () => {
  const r = spawnSync('bash', ['-c', `node dist/src/cli/main.js decode ${BIG} | head -1 >/dev/null; echo "status=\${PIPESTATUS[0]}" >&2`], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
  assert.match(r.stderr, 'status=0');
  assert.not.match(r.stderr, /EPIPE|\n\s+at /);
});

test('a missing or damaged WASM module: one clear line, exit 2, no stack', async () => {
  const empty = join(tmp, 'wasm-none');
  mkdirSync(empty);
  const bad = join(tmp, 'wasm-bad');
  mkdirSync(bad);
  writeFileSync(join(bad, 'sgfilter.wasm'), 'not a wasm module');
  for (const [dir, message] of [[empty, /cannot read the WASM module .*sgfilter\.wasm \(no such file\); run `npm run build`/], [bad, /the WASM module .*sgfilter\.wasm is damaged/]] as const) {
    for (const args of [['replay', '--topology', T, '--pcap', C, '-q'], ['replay', '--topology', T, '--pcap', C, '-q', '--workers', '0']]) {
      const r = await cliLimited(args, { env: { ...process.env, SGFILTER_WASM_DIR: dir } });
      assert.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.not.match(r.stderr, /\n\s+at /);
    }
  }
});

test.run();
