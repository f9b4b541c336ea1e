/**
 * bench/classify/main.ts reads its ablation options with the shared CLI
 * parsers (src/cli/common.ts): a value that is not an integer in range is
 * refused with exit 2 and what was expected, before any set is compiled
 * (it used to become NaN through a silent Number() and run).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../helpers/corpus.js';

function run(args: string[]) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'bench', 'classify', 'main.js'), ...args, '--no-json'], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

for (const [args, expected] of [
  [['--binth', 'abc'], '--binth must be an integer from 1 to 1000000, got "abc"'],
  [['--binth', '0'], '--binth must be an integer from 1 to 1000000, got "0"'],
  [['--binth', '1.5'], '--binth must be an integer from 1 to 1000000, got "1.5"'],
  [['--prefix-bits', '200'], '--prefix-bits must be an integer from 0 to 128, got "200"'],
  [['--time', '1e3'], '--time must be an integer from 1 to 3600000, got "1e3"'],
  [['--partition', 'both'], '--partition must be auto, split or none, got "both"'],
  [['--cut', 'hypersplit'], '--cut must be balance or weighted, got "hypersplit"'],
] as const) {
  test(`bench classify ${args.join(' ')} is refused`, () => {
    const r = run([...args]);
    assert.is(r.status, 2, r.out);
    assert.ok(r.out.includes(`sgfilter: ${expected}`), r.out);
  });
}

test.run();
