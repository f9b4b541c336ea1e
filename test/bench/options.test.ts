/**
 * The bench scripts that run on their own (bench/cli.ts, commander) refuse
 * a bad option before measuring anything: an unknown option, a value that is
 * not an integer in range, or not one of the choices, exits 2 with what was
 * expected (a bad number used to become NaN through a silent Number() and
 * run, an unknown option such as --help used to start minutes of measuring);
 * `--help` lists the options and exits 0.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../helpers/corpus.js';

function run(script: string, args: string[]) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'bench', ...script.split('/')), ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

const SCRIPTS: [script: string, anOption: string][] = [
  ['replay/main.js', '--ref-packets'],
  ['replay/ab.js', '--against'],
  ['library/ab.js', '--chunk'],
  ['classify/main.js', '--binth'],
  ['classify/dpdk.js', '--min-lookups'],
  ['pcap/decode.js', '--packets'],
];

for (const [script, option] of SCRIPTS) {
  test(`bench ${script} --help lists its options and measures nothing`, () => {
    const r = run(script, ['--help']);
    assert.is(r.status, 0, r.out);
    assert.ok(r.out.includes('Usage:') && r.out.includes(option), r.out);
    assert.not.match(r.out, /M packets\/s|lookups\/s|verify:/);
  });
  test(`bench ${script} refuses an unknown option`, () => {
    // (the A/B tools first want their required --against)
    const r = run(script, script.endsWith('ab.js') ? ['--against', '/x', '--bogus'] : ['--bogus']);
    assert.is(r.status, 2, r.out);
    assert.match(r.out, "error: unknown option '--bogus'");
  });
}

const INT = (opt: string, v: string, min: number, max: number) =>
  `error: option '${opt}' argument '${v}' is invalid. must be an integer from ${min} to ${max}, got "${v}".`;

for (const [script, args, expected] of [
  ['classify/main.js', ['--binth', 'abc'], INT('--binth <n>', 'abc', 1, 1_000_000)],
  ['classify/main.js', ['--binth', '0'], INT('--binth <n>', '0', 1, 1_000_000)],
  ['classify/main.js', ['--binth', '1.5'], INT('--binth <n>', '1.5', 1, 1_000_000)],
  ['classify/main.js', ['--prefix-bits', '200'], INT('--prefix-bits <n>', '200', 0, 128)],
  ['classify/main.js', ['--time', '1e3'], INT('--time <ms>', '1e3', 1, 3_600_000)],
  ['classify/main.js', ['--partition', 'both'], "error: option '--partition <mode>' argument 'both' is invalid. Allowed choices are auto, split, none."],
  ['classify/main.js', ['--cut', 'hypersplit'], "error: option '--cut <kind>' argument 'hypersplit' is invalid. Allowed choices are balance, weighted."],
  ['classify/dpdk.js', ['--passes', 'abc'], INT('--passes <m>', 'abc', 1, Number.MAX_SAFE_INTEGER)],
  ['classify/dpdk.js', ['--algs', 'sse,avx3'], "error: option '--algs <a,b,...>' argument 'sse,avx3' is invalid. expected a comma-separated list of scalar, sse, avx2, avx512x16, avx512x32; got avx3."],
  ['classify/dpdk.js', ['--families', '5'], "error: option '--families <4,6>' argument '5' is invalid. expected a comma-separated list of 4, 6; got 5."],
  ['replay/main.js', ['--packets', '0'], INT('--packets <n>', '0', 1, Number.MAX_SAFE_INTEGER)],
  ['replay/main.js', ['--flows', '--flow-points', '1000,abc'], `error: option '--flow-points <list>' argument '1000,abc' is invalid. must be an integer from 1 to 16000000, got "abc".`],
  ['replay/main.js', ['--flows', '--flow-points', ','], "error: option '--flow-points <list>' argument ',' is invalid. expected a comma-separated list."],
  ['replay/main.js', ['--mixes', '--flows'], "error: option '--mixes' cannot be used with option '--flows'"],
  ['replay/main.js', ['--flows', '--stages'], "error: option '--flows' cannot be used with option '--stages'"],
  ['replay/ab.js', [], "error: required option '--against <dir>' not specified"],
  ['replay/ab.js', ['--against', '/nonexistent-build'], '--against /nonexistent-build: expected the root of another build, with its dist/ and build/'],
  ['library/ab.js', ['--against', '/x', '--passes', '1'], INT('--passes <n>', '1', 2, Number.MAX_SAFE_INTEGER)],
  ['pcap/decode.js', ['--time', '-5'], INT('--time <ms>', '-5', 1, 3_600_000)],
] as const) {
  test(`bench ${script} ${args.join(' ')} is refused`, () => {
    const r = run(script, [...args]);
    assert.is(r.status, script === 'replay/ab.js' && args.length === 2 ? 1 : 2, r.out);
    assert.ok(r.out.includes(expected), r.out);
  });
}

test.run();
