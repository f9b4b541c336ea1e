// docs/distributed.md runs as written: the Kubernetes Indexed Job's manifest
// (its YAML parsed; the container's command run once per index with
// JOB_COMPLETION_INDEX set as Kubernetes sets it, in a directory standing for
// the Job's workingDir volume) and the merge Job after it; the GNU parallel
// lines (skipped, saying so, when `parallel` is not installed). Each merged
// decisions file must be a single replay's, byte for byte, and each merged
// summary the single run's but for its wall-clock fields.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { generateTopology } from '../../src/gen/index.js';
import { parseNativeTopology } from '../../src/parse/native.js';
import { repoRoot } from '../helpers/corpus.js';
import { spawnRun, withoutClock, type Run } from '../helpers/parts.js';
import { captureFor } from '../replay/helpers.js';

const docs = suite('docs/distributed.md: the Kubernetes Indexed Job and the GNU parallel line');
const tmp = mkdtempSync(join(tmpdir(), 'sgf-dist-docs-'));
const doc = readFileSync(join(repoRoot, 'docs', 'distributed.md'), 'utf8');

/** The fenced block after `<!-- test: NAME -->`. */
function block(name: string): string {
  const at = doc.indexOf(`<!-- test: ${name} -->`);
  assert.ok(at >= 0, `docs/distributed.md has the ${name} block`);
  const m = /```\w*\n([\s\S]*?)```/.exec(doc.slice(at));
  assert.ok(m, `a fenced block follows the ${name} marker`);
  return m![1]!;
}

// `sgfilter` on PATH: this build.
const bin = join(tmp, 'bin');
mkdirSync(bin);
writeFileSync(join(bin, 'sgfilter'), `#!/bin/sh\nexec "${process.execPath}" "${join(repoRoot, 'dist', 'src', 'cli', 'main.js')}" "$@"\n`);
chmodSync(join(bin, 'sgfilter'), 0o755);
const PATH = `${bin}:${process.env.PATH ?? ''}`;

// The data: a generated topology and capture (ICMP errors from a router pool, fragments, IPv6).
const native = generateTopology({ seed: 43, interfaces: 10, ipv6Share: 0.4 });
const topology = parseNativeTopology(native).topology!;
const capture = captureFor(topology, { seed: 43, packets: 3000, ipv6Share: 0.4, fragmentShare: 0.1, routers: 2, mix: { tcp: 40, udp: 20, echo: 10, 'icmp-error': 20, gre: 5, other: 5 } });

function dataDir(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'topology.json'), JSON.stringify(native));
  writeFileSync(join(dir, 'capture.pcap'), capture);
  return dir;
}

function check(r: Run, what: string): void {
  if (r.status !== 0) assert.unreachable(`${what}: exit ${r.status}\n${r.stderr}`);
}

/** A single replay of the whole capture, in a copy of the data directory (so that it names its files as the parts do). */
async function single(dir: string, workers: number): Promise<{ decisions: string; summary: string }> {
  const cwd = dataDir(`${dir}-single`);
  check(await spawnRun(['replay', '--topology', 'topology.json', '--pcap', 'capture.pcap', '--workers', String(workers), '--quiet', '--decisions', 'decisions.jsonl', '--summary', 'summary.json'], { cwd }), 'single run');
  return { decisions: readFileSync(join(cwd, 'decisions.jsonl'), 'utf8'), summary: readFileSync(join(cwd, 'summary.json'), 'utf8') };
}

function sameAsSingle(dir: string, s: { decisions: string; summary: string }, what: string): void {
  const got = readFileSync(join(dir, 'decisions.jsonl'), 'utf8');
  if (got !== s.decisions) assert.fixture(got, s.decisions, `${what}: merged decisions`);
  assert.fixture(withoutClock(readFileSync(join(dir, 'summary.json'), 'utf8')), withoutClock(s.summary), `${what}: merged summary`);
}

interface Container { name: string; workingDir?: string; env?: { name: string; value: string }[]; command?: string[]; args?: string[] }
interface JobDoc { kind: string; spec: { completionMode?: string; completions?: number; parallelism?: number; template: { spec: { containers: Container[] } } } }

function jobOf(name: string): { job: JobDoc; container: Container; script: string } {
  const docs = parseAllDocuments(block(name));
  for (const d of docs) assert.is(d.errors.length, 0, `${name}: ${d.errors.map((e) => e.message).join('; ')}`);
  assert.is(docs.length, 1);
  const job = docs[0]!.toJS() as JobDoc;
  assert.is(job.kind, 'Job');
  const container = job.spec.template.spec.containers[0]!;
  assert.equal(container.command, ['sh', '-c'], `${name}: the command is sh -c ARGS`);
  assert.is(container.workingDir, '/data', `${name}: runs in the data volume`);
  return { job, container, script: container.args![0]! };
}

docs('Kubernetes: an Indexed Job, JOB_COMPLETION_INDEX -> K, then the merge Job: the single run', async () => {
  const { job, container, script } = jobOf('k8s-replay');
  assert.is(job.spec.completionMode, 'Indexed');
  const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
  const n = job.spec.completions!;
  assert.is(Number(env.PARTS), n, 'PARTS is the number of completions');
  assert.is(job.spec.parallelism, n);
  const workers = Number(/--workers (\d+)/.exec(script)![1]);
  const dir = dataDir('k8s');
  const s = single('k8s', workers);
  // What Kubernetes does for each index: the container's command, JOB_COMPLETION_INDEX set, in workingDir.
  const runs = await Promise.all(Array.from({ length: n }, (_, k) => spawnRun([script], { cwd: dir, shell: true, env: { ...process.env, ...env, PATH, JOB_COMPLETION_INDEX: String(k) } })));
  runs.forEach((r, k) => check(r, `index ${k}`));
  for (let k = 0; k < n; k++) {
    const part = JSON.parse(readFileSync(join(dir, 'parts', `part-${k}.json`), 'utf8')) as { part: { index: number; count: number } };
    assert.equal([part.part.index, part.part.count], [k, n], `index ${k} is part ${k}/${n}`);
  }
  const merge = jobOf('k8s-merge');
  check(await spawnRun([merge.script], { cwd: dir, shell: true, env: { ...process.env, PATH } }), 'merge job');
  sameAsSingle(dir, await s, 'k8s');
});

docs('GNU parallel: the documented lines give the single run', async () => {
  if (spawnSync('sh', ['-c', 'command -v parallel']).status !== 0) {
    console.log('\n  [skip] docs/distributed.md GNU parallel: `parallel` is not installed (Debian package parallel)');
    return;
  }
  const lines = block('parallel').trim().split('\n');
  assert.is(lines.length, 2);
  assert.match(lines[0]!, /^parallel sgfilter replay .*--shard-set \{\}\/3 .*::: 0 1 2$/);
  const workers = Number(/--workers (\d+)/.exec(lines[0]!)![1]);
  const dir = dataDir('parallel');
  const s = single('parallel', workers);
  for (const line of lines) check(await spawnRun([line], { cwd: dir, shell: true, env: { ...process.env, PATH } }), line);
  sameAsSingle(dir, await s, 'parallel');
});

docs.after(() => rmSync(tmp, { recursive: true, force: true }));
docs.run();
