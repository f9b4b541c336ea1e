/**
 * The bin (dist/src/cli/main.js) runs the command line from one bundle,
 * dist/src/clib/cli.js and its chunks (esbuild, part of every build), when it
 * is no older than cli.js: the built tree has it, its modules are cli.js's
 * module graph and none is newer than it (so it does not lag behind them),
 * and it prints what cli.js and its graph print.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../helpers/corpus.js';

const dist = join(repoRoot, 'dist', 'src');
const clib = join(dist, 'clib');

test('the build made the bundle, no older than cli.js (so the bin runs it)', () => {
  assert.ok(statSync(join(clib, 'cli.js')).mtimeMs >= statSync(join(dist, 'cli', 'cli.js')).mtimeMs, 'dist/src/cli/cli.js is newer than the bundle: run npm run build:bundle');
});

test("the bundle holds cli.js's module graph and nothing else of src/, each module no newer than it", () => {
  const files = readdirSync(clib).filter((f) => f.endsWith('.js'));
  const inBundle = new Set<string>();
  // esbuild marks each module it inlines: "// dist/src/...js".
  for (const f of files) for (const m of readFileSync(join(clib, f), 'utf8').matchAll(/^\/\/ dist\/src\/(\S+\.js)$/gm)) inBundle.add(m[1]!);
  const graph = new Set<string>();
  const walk = (rel: string) => {
    if (graph.has(rel)) return;
    graph.add(rel);
    const src = readFileSync(join(dist, rel), 'utf8');
    for (const m of src.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)) walk(join(rel, '..', m[1]!));
    for (const m of src.matchAll(/import\('(\.[^']+)'\)/g)) walk(join(rel, '..', m[1]!));
  };
  walk('cli/cli.js');
  for (const rel of inBundle) assert.ok(graph.has(rel), `the bundle holds dist/src/${rel}, which cli.js does not import`);
  for (const rel of ['cli/cli.js', 'cli/replay.js', 'replay/replay.js', 'wasm/loader.js']) assert.ok(inBundle.has(rel), `the bundle lacks dist/src/${rel}`);
  const built = Math.min(...files.map((f) => statSync(join(clib, f)).mtimeMs));
  for (const rel of graph) assert.ok(statSync(join(dist, rel)).mtimeMs <= built, `dist/src/${rel} is newer than the bundle: run npm run build:bundle`);
});

test('the bundle and the module graph print the same (a replay summary, the version)', () => {
  const run = (entry: string, args: string[]) => spawnSync(process.execPath, [entry, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  const T = join(repoRoot, 'fixtures', 'captures', 'aliyun-basic-mixed.topology.json');
  const C = join(repoRoot, 'fixtures', 'captures', 'aliyun-basic-mixed.pcap');
  for (const args of [['replay', '--topology', T, '--pcap', C, '--json', '-q', '--workers', '2'], ['--version']]) {
    const a = run(join(dist, 'cli', 'main.js'), args);
    const b = run(join(dist, 'cli', 'cli.js'), args);
    assert.is(a.status, 0, a.stderr);
    assert.is(b.status, 0, b.stderr);
    // Only the durations differ between two runs.
    const clean = (s: string) => s.replace(/"(seconds|loopSeconds|packetsPerSecond)": [0-9.e+-]+/g, '"$1": 0');
    assert.is(clean(a.stdout), clean(b.stdout), args.join(' '));
    assert.ok(a.stdout.length > 0);
  }
});

test.run();
