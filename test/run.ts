/**
 * `npm test`: runs every uvu suite compiled to dist/test (files ending in
 * `.test.js`), in path order, in one process.
 *   node dist/test/run.js [FILTER...]   only files whose path contains a FILTER
 *   node dist/test/run.js --fuzz        every fuzz, property and differential
 *     suite: the files under test/fuzz/ and test/differential/, and every file
 *     that reads the budget helper test/helpers/fuzz.ts
 * `npm run fuzz` passes --fuzz and a longer SGFILTER_FUZZ_SECONDS budget.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isFuzzSuite } from './helpers/select.js';
import { stallLimitMs, startWatchdog } from './helpers/watchdog.js';

const here = dirname(fileURLToPath(import.meta.url));

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const fuzz = process.argv.includes('--fuzz');
const filters = process.argv.slice(2).filter((a) => a !== '--fuzz');
const isFuzzer = (f: string) => isFuzzSuite(relative(here, f), readFileSync(f, 'utf8'));
const files = walk(here, [])
  .filter((f) => filters.length === 0 || filters.some((x) => relative(here, f).includes(x)))
  .filter((f) => !fuzz || isFuzzer(f));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// @ts-ignore uvu/run ships no types
const { run } = (await import('uvu/run')) as { run: (suites: { name: string; file: string }[], opts?: object) => Promise<void> };
// Also print the plain closing line CI tools read ("N passed, N failed"),
// from uvu's own totals. Every chunk printed also feeds the stall watchdog
// (helpers/watchdog.ts): a test that loops for ever ends the run, named,
// instead of waiting out CI's time limit.
const watchdog = startWatchdog(stallLimitMs());
let out = '';
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
  out += text;
  watchdog.progress(text);
  if (out.length > 4096) out = out.slice(-4096);
  return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stdout.write;
await run(files.map((file) => ({ name: relative(here, file), file })), {});
process.stdout.write = write;
watchdog.stop();
// eslint-disable-next-line no-control-regex
const plain = out.replace(/\u001b\[[0-9;]*m/g, '');
const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
if (Number.isFinite(total) && Number.isFinite(passed)) console.log(`${passed} passed, ${total - passed} failed`);
