/**
 * Worker lanes load one bundled file (dist/src/replay/worker.bundle.js,
 * esbuild, part of every build) instead of worker.js's module graph: the
 * built tree has it, replay() uses it, and its module graph is the worker's
 * own (modules worker.js imports, nothing else of src/) and no module of
 * it is newer than the bundle, so the bundle does not lag behind them. Its decisions are
 * the reference engine's (test/replay and test/differential replay through
 * it with 1-3 workers).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPLAY_WORKER_FILE } from '../../src/replay/replay.js';
import { repoRoot } from '../helpers/corpus.js';

const dist = join(repoRoot, 'dist', 'src');

test('replay() lanes run the bundle the build made', () => {
  assert.ok(REPLAY_WORKER_FILE.endsWith('/dist/src/replay/worker.bundle.js'), REPLAY_WORKER_FILE);
  assert.ok(statSync(fileURLToPath(REPLAY_WORKER_FILE)).size > 0);
});

test("the bundle holds worker.js's module graph and nothing else, each module no older than the bundle", () => {
  const bundle = readFileSync(fileURLToPath(REPLAY_WORKER_FILE), 'utf8');
  // esbuild marks each module it inlines: "// dist/src/...js".
  const inBundle = new Set([...bundle.matchAll(/^\/\/ dist\/src\/(\S+\.js)$/gm)].map((m) => m[1]!));
  const graph = new Set<string>();
  const walk = (rel: string) => {
    if (graph.has(rel)) return;
    graph.add(rel);
    const src = readFileSync(join(dist, rel), 'utf8');
    for (const m of src.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)) walk(join(rel, '..', m[1]!));
  };
  walk('replay/worker.js');
  // (esbuild leaves out a module none of whose code the worker uses, e.g. one of constants it never reads.)
  for (const rel of inBundle) assert.ok(graph.has(rel), `the bundle holds dist/src/${rel}, which worker.js does not import`);
  for (const rel of ['replay/worker.js', 'replay/wasm-engine.js', 'replay/stream.js', 'wasm/loader.js']) assert.ok(inBundle.has(rel), `the bundle lacks dist/src/${rel}`);
  const built = statSync(fileURLToPath(REPLAY_WORKER_FILE)).mtimeMs;
  for (const rel of graph) assert.ok(statSync(join(dist, rel)).mtimeMs <= built, `dist/src/${rel} is newer than the bundle: run npm run build:bundle`);
});

test.run();
