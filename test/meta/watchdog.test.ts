/**
 * The test runner's stall watchdog (test/helpers/watchdog.ts): a child
 * process that loops for ever after printing is ended, and the message names
 * what it printed last; one that keeps printing is left alone.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stallLimitMs } from '../helpers/watchdog.js';

const helper = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'watchdog.js')).href;

function child(body: string) {
  const src = `import { startWatchdog } from ${JSON.stringify(helper)};\n${body}`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', src], { encoding: 'utf8', timeout: 60_000 });
}

test('a test that spins for ever is ended with SIGTERM, and the last output is named', () => {
  const r = child(`const w = startWatchdog(300); w.progress('some/earlier.test.ts  • •\\nsuite/spinning.test.ts  • '); for (;;) {}`);
  assert.is(r.error, undefined, 'the child ended before spawnSync gave up');
  assert.is(r.signal, 'SIGTERM');
  assert.match(r.stderr, 'test run stalled: nothing printed for 0 s');
  assert.match(r.stderr, 'suite/spinning.test.ts');
});

test('output within the limit keeps the run alive, and stop() lets it end normally', () => {
  const r = child(`const w = startWatchdog(400);
const end = Date.now() + 1200;
while (Date.now() < end) { w.progress('.'); const t = Date.now() + 50; while (Date.now() < t) {} }
w.stop(); console.log('done');`);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim(), 'done');
  assert.not.match(r.stderr, 'stalled');
});

test('the limit: 300 s by default, SGFILTER_TEST_STALL_SECONDS, or three fuzz budgets and a minute', () => {
  assert.is(stallLimitMs({}), 300_000);
  assert.is(stallLimitMs({ SGFILTER_TEST_STALL_SECONDS: '20' }), 20_000);
  assert.is(stallLimitMs({ SGFILTER_FUZZ_SECONDS: '120' }), 420_000);
  assert.is(stallLimitMs({ SGFILTER_FUZZ_SECONDS: '10' }), 300_000);
  assert.is(stallLimitMs({ SGFILTER_TEST_STALL_SECONDS: 'x' }), 300_000);
});

test.run();
