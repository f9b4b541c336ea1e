// The worker threads replay() keeps between calls in one process
// (replay.ts, the lane cache): a replay on kept lanes writes the reference
// engine's decisions and the summary of a replay on fresh threads, whatever
// the lanes ran before (other captures and topologies, other batch sizes and
// capacities, a damaged capture, an interrupted replay); replays at once get
// lanes of their own; kept threads never keep the process alive.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generateTopology } from '../../src/gen/index.js';
import { endIdleReplayWorkers, idleReplayWorkers, prestartReplayWorkers, replay, type ReplayOptions, type ReplayResult } from '../../src/replay/replay.js';
import type { Topology } from '../../src/model/topology.js';
import { topology as parsed } from '../helpers/scenario.js';
import { captureFor } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sgf-lanes-'));

const docA = generateTopology({ seed: 31, cloud: 'aliyun-basic', interfaces: 8, rulesPerGroup: 12 });
const topoA = parsed(docA);
const pcapA = join(dir, 'a.pcap');
writeFileSync(pcapA, captureFor(docA, { seed: 31, flows: 500, packetsPerFlow: 8, fragmentShare: 0.1, idleShare: 0.05, ipv6Share: 0.3, routers: 2, mix: { tcp: 40, udp: 20, echo: 8, 'icmp-error': 30, gre: 1, other: 1 } }));
const docB = generateTopology({ seed: 32, cloud: 'huawei', interfaces: 10, rulesPerGroup: 10, ipv6Share: 0.4 });
const topoB = parsed(docB);
const pcapB = join(dir, 'b.pcapng');
writeFileSync(pcapB, captureFor(docB, { seed: 32, flows: 1500, packetsPerFlow: 3, fragmentShare: 0.05, ipv6Share: 0.4, mix: { tcp: 50, udp: 30, echo: 10, 'icmp-error': 10 } }, 'pcapng'));

let n = 0;
const out = () => join(dir, `out-${n++}.jsonl`);

const refs = new Map<string, string>();
/** The reference engine's decisions for a capture (and capacity). */
async function reference(topology: Topology, file: string, capacity?: number): Promise<string> {
  const key = `${file}|${capacity ?? ''}`;
  let text = refs.get(key);
  if (text === undefined) {
    const o = out();
    await replay(topology, file, { engine: 'reference', decisionsPath: o, ...(capacity !== undefined ? { conntrackCapacity: capacity } : {}) });
    refs.set(key, (text = readFileSync(o, 'utf8')));
  }
  return text;
}

function sameSummary(got: ReplayResult, want: ReplayResult, what: string): void {
  for (const k of ['packets', 'verdicts', 'reasons', 'rules', 'interfaces', 'conntrack', 'capture', 'error'] as const) assert.equal(got[k], want[k], `${what}: ${k}`);
}

/** A replay on threads started for it alone (nothing kept before it). */
async function fresh(topology: Topology, file: string, options: ReplayOptions): Promise<{ result: ReplayResult; text: string }> {
  await endIdleReplayWorkers();
  assert.is(idleReplayWorkers(), 0);
  const o = out();
  const result = await replay(topology, file, { ...options, decisionsPath: o });
  return { result, text: readFileSync(o, 'utf8') };
}

const lanes = suite('replay: the worker threads kept between replay() calls');

lanes('kept lanes judge like fresh ones, whatever they ran before', async () => {
  const bytes = readFileSync(pcapA);
  const cut = join(dir, 'cut.pcap');
  writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.byteLength / 2) + 3));
  const runs: [string, Topology, string, ReplayOptions, number?][] = [
    ['A', topoA, pcapA, { workers: 2 }],
    ['B capacity 64', topoB, pcapB, { workers: 2, conntrackCapacity: 64 }, 64],
    ['damaged A', topoA, cut, { workers: 2 }],
    ['A batch 333', topoA, pcapA, { workers: 2, batchSize: 333 }],
    ['B, 3 workers', topoB, pcapB, { workers: 3, batchSize: 7 }],
  ];
  const want = new Map<string, { result: ReplayResult; text: string }>();
  for (const [what, topology, file, options] of runs) want.set(what, await fresh(topology, file, options));
  await endIdleReplayWorkers();
  for (const [what, topology, file, options, capacity] of runs) {
    const before = idleReplayWorkers();
    const o = out();
    const r = await replay(topology, file, { ...options, decisionsPath: o });
    assert.ok(idleReplayWorkers() >= Math.max(before, options.workers!), `${what}: its lanes are kept`);
    const w = want.get(what)!;
    sameSummary(r, w.result, what);
    const text = readFileSync(o, 'utf8');
    assert.ok(text === w.text, `${what}: decisions of kept lanes = those of fresh ones`);
    if (file !== cut) assert.ok(text === (await reference(topology, file, capacity)), `${what}: = the reference engine's`);
  }
  assert.is(want.get('damaged A')!.result.error?.code, 'SGF_PCAP_TRUNCATED_RECORD');
  // An interrupted replay on kept lanes, then a whole one.
  const stop = new AbortController();
  const o = out();
  const running = replay(topoB, pcapB, { workers: 2, signal: stop.signal, decisionsPath: o, batchSize: 64 });
  setTimeout(() => stop.abort(), 5);
  const r = await running;
  const judged = r.interrupted?.packets ?? r.packets;
  const ref = await reference(topoB, pcapB);
  assert.ok(readFileSync(o, 'utf8') === ref.split('\n').slice(0, judged).join('\n') + (judged > 0 ? '\n' : ''), `the first ${judged} decisions`);
  const whole = out();
  await replay(topoB, pcapB, { workers: 2, decisionsPath: whole });
  assert.ok(readFileSync(whole, 'utf8') === ref, 'the next replay is whole and equal');
  await endIdleReplayWorkers();
  assert.is(idleReplayWorkers(), 0);
});

lanes('replays at once get lanes of their own; prestarted lanes are taken', async () => {
  await endIdleReplayWorkers();
  prestartReplayWorkers(2);
  assert.is(idleReplayWorkers(), 2);
  const outs = [out(), out()];
  const [a, b] = await Promise.all([
    replay(topoA, pcapA, { workers: 2, decisionsPath: outs[0]! }),
    replay(topoB, pcapB, { workers: 2, decisionsPath: outs[1]! }),
  ]);
  assert.ok(a.packets > 1000 && b.packets > 1000);
  assert.is(idleReplayWorkers(), 4, 'the two took 2 kept and 2 new lanes, and left all 4');
  assert.ok(readFileSync(outs[0]!, 'utf8') === (await reference(topoA, pcapA)));
  assert.ok(readFileSync(outs[1]!, 'utf8') === (await reference(topoB, pcapB)));
  await endIdleReplayWorkers();
});

lanes('kept lanes do not keep the process alive', () => {
  const src = (m: string) => JSON.stringify(fileURLToPath(new URL(`../../src/${m}`, import.meta.url)));
  const topologyPath = join(dir, 'a.topology.json');
  writeFileSync(topologyPath, JSON.stringify(docA));
  // Exits at once after its last statement (not when the kept lanes' idle timer, 5 s, ends them).
  const script = `const { replay, idleReplayWorkers } = await import(${src('replay/replay.js')});
const { loadTopologyFile } = await import(${src('parse/load.js')});
const t = loadTopologyFile(${JSON.stringify(topologyPath)}).topology;
await replay(t, ${JSON.stringify(pcapA)}, { workers: 2 });
const r = await replay(t, ${JSON.stringify(pcapA)}, { workers: 2 });
console.log(r.packets, idleReplayWorkers());
const end = performance.now();
process.on('exit', () => console.log(Math.round(performance.now() - end)));`;
  const c = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.is(c.error, undefined, 'the process ended by itself');
  assert.is(c.status, 0, c.stderr);
  const [line, waited] = c.stdout.trim().split('\n');
  const [packets, idle] = line!.split(' ').map(Number);
  assert.ok(packets! > 1000, c.stdout);
  // Lane 0 of a 2-worker call without decisions runs in the calling thread (docs/replay.md, "Lane 0 in the calling thread"): one thread kept.
  assert.is(idle, 1, 'a lane kept');
  assert.ok(Number(waited) < 3000, `exited ${waited} ms after its last statement`);
});

lanes.run();
