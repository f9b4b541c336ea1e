/**
 * The test tree shows the house: every suite that draws random cases
 * (fast-check) reads its budget from the one helper and is run by
 * `npm run fuzz`; the budget helper gives npm test its fixed counts and
 * npm run fuzz its time budget.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fuzzBudgetMs, propertyRuns } from '../helpers/fuzz.js';
import { isFuzzSuite } from '../helpers/select.js';

const distTest = join(dirname(fileURLToPath(import.meta.url)), '..');

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

/** compile/batch.test.ts and compile/leaf-dims.test.ts import fast-check only to sample fixed probe sets (a seed and a count: no budget to read). */
const LEFT = new Set(['compile/batch.test.js', 'compile/leaf-dims.test.js']);

test('every suite drawing random cases is selected by npm run fuzz', () => {
  const random = walk(distTest).map((f) => [relative(distTest, f), readFileSync(f, 'utf8')] as const).filter(([, text]) => /from 'fast-check'/.test(text));
  assert.ok(random.length >= 10, `only ${random.length} random suites found`);
  for (const [rel, text] of random) {
    if (LEFT.has(rel)) continue;
    assert.ok(isFuzzSuite(rel, text), `${rel} uses fast-check but npm run fuzz would not run it (use test/helpers/fuzz.ts)`);
  }
  assert.ok(isFuzzSuite('fuzz/pcap.test.js', ''));
  assert.ok(isFuzzSuite('differential/replay.test.js', ''));
  assert.not.ok(isFuzzSuite('cli/gen.test.js', "import { cli } from '../helpers/cli.js';"));
});

test('the budget helper: fixed counts under npm test, the time budget under npm run fuzz', () => {
  const saved = { f: process.env.SGFILTER_FUZZ_SECONDS, p: process.env.SGFILTER_PROPERTY_RUNS };
  try {
    delete process.env.SGFILTER_FUZZ_SECONDS;
    delete process.env.SGFILTER_PROPERTY_RUNS;
    assert.equal(propertyRuns(40), { numRuns: 40 });
    assert.is(fuzzBudgetMs(3), 3000);
    process.env.SGFILTER_PROPERTY_RUNS = '7';
    assert.equal(propertyRuns(40), { numRuns: 7 });
    process.env.SGFILTER_FUZZ_SECONDS = '120';
    assert.is(fuzzBudgetMs(3), 120_000);
    const p = propertyRuns(40);
    assert.is(p.interruptAfterTimeLimit, 120_000);
    assert.is(p.markInterruptAsFailure, false);
    assert.ok(p.numRuns > 1e6);
  } finally {
    if (saved.f === undefined) delete process.env.SGFILTER_FUZZ_SECONDS;
    else process.env.SGFILTER_FUZZ_SECONDS = saved.f;
    if (saved.p === undefined) delete process.env.SGFILTER_PROPERTY_RUNS;
    else process.env.SGFILTER_PROPERTY_RUNS = saved.p;
  }
});

test('test/ mirrors src/: each folder is a room of src/ (or bench/, fuzz/, differential/, helpers/, meta/)', () => {
  const root = join(distTest, '..', '..');
  const rooms = new Set(readdirSync(join(root, 'src')).filter((n) => statSync(join(root, 'src', n)).isDirectory()));
  const extra = new Set(['bench', 'fuzz', 'differential', 'helpers', 'meta']);
  for (const name of readdirSync(join(root, 'test'))) {
    const p = join(root, 'test', name);
    if (statSync(p).isDirectory()) assert.ok(rooms.has(name) || extra.has(name), `test/${name}/ matches no room of src/`);
    else assert.ok(name === 'run.ts', `test/${name} sits at the top of test/ (move it into its room)`);
  }
});

test.run();
