// A warm replay pool (createReplayPool): every replay on it writes the
// decisions of the reference engine and the summary of a cold replay() with
// the same options, whatever the pool ran before (other captures, other
// topologies, other batch sizes and capacities, a damaged capture, an
// interrupted replay, a failed one); replays called together run one after
// another; bad options and a closed pool are clear errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generateTopology } from '../../src/gen/index.js';
import { createReplayPool, replay, type ReplayOptions, type ReplayResult } from '../../src/replay/replay.js';
import type { Topology } from '../../src/model/topology.js';
import { topology as parsed } from '../helpers/scenario.js';
import { captureFor } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sgf-pool-'));

// A: ICMP errors from a small router pool (quoted flows of other shards), fragments, IPv6, idle gaps.
const docA = generateTopology({ seed: 21, cloud: 'aliyun-basic', interfaces: 8, rulesPerGroup: 12 });
const topoA = parsed(docA);
const pcapA = join(dir, 'a.pcap');
writeFileSync(pcapA, captureFor(docA, { seed: 21, flows: 700, packetsPerFlow: 8, fragmentShare: 0.1, idleShare: 0.05, ipv6Share: 0.3, routers: 2, mix: { tcp: 40, udp: 20, echo: 8, 'icmp-error': 30, gre: 1, other: 1 } }));
// B: another cloud, more flows (tables that grow), as pcapng.
const docB = generateTopology({ seed: 22, cloud: 'huawei', interfaces: 10, rulesPerGroup: 10, ipv6Share: 0.4 });
const topoB = parsed(docB);
const pcapB = join(dir, 'b.pcapng');
writeFileSync(pcapB, captureFor(docB, { seed: 22, flows: 2500, packetsPerFlow: 3, fragmentShare: 0.05, ipv6Share: 0.4, mix: { tcp: 50, udp: 30, echo: 10, 'icmp-error': 10 } }, 'pcapng'));

/** The reference engine's decisions (JSON lines) for a capture and options, computed once. */
const refs = new Map<string, { text: string; result: ReplayResult }>();
async function reference(topology: Topology, file: string, options: ReplayOptions = {}): Promise<{ text: string; result: ReplayResult }> {
  const key = `${file}|${options.conntrackCapacity ?? ''}|${options.shards ?? ''}`;
  let r = refs.get(key);
  if (!r) {
    const out = join(dir, `ref-${refs.size}.jsonl`);
    const result = await replay(topology, file, {
      engine: 'reference',
      decisionsPath: out,
      ...(options.conntrackCapacity !== undefined ? { conntrackCapacity: options.conntrackCapacity } : {}),
      ...(options.shards !== undefined ? { shards: options.shards } : {}),
    });
    r = { text: readFileSync(out, 'utf8'), result };
    refs.set(key, r);
  }
  return r;
}

function sameSummary(got: ReplayResult, want: ReplayResult, what: string): void {
  assert.is(got.packets, want.packets, `${what}: packets`);
  assert.equal(got.verdicts, want.verdicts, `${what}: verdicts`);
  assert.equal(got.reasons, want.reasons, `${what}: reasons`);
  assert.equal(got.rules, want.rules, `${what}: rules`);
  assert.equal(got.interfaces, want.interfaces, `${what}: interfaces`);
  assert.equal(got.conntrack, want.conntrack, `${what}: conntrack`);
  assert.equal(got.capture, want.capture, `${what}: capture`);
}

/** `promise` rejects with an error that `check` (a RegExp for its message, or a predicate) accepts. */
async function rejects(promise: Promise<unknown>, check: RegExp | ((e: unknown) => boolean)): Promise<void> {
  let error: unknown;
  let rejected = false;
  try {
    await promise;
  } catch (e) {
    rejected = true;
    error = e;
  }
  assert.ok(rejected, `expected a rejection matching ${String(check)}`);
  if (check instanceof RegExp) assert.match((error as Error).message, check);
  else assert.ok(check(error), `the rejection: ${String(error)}`);
}

let n = 0;
const out = (ext = 'jsonl') => join(dir, `out-${n++}.${ext}`);

const pool = suite('replay: a warm pool');

pool('replays on a pool of 2 equal the reference and cold replays, over other captures, topologies, batch sizes, shard counts and capacities', async () => {
  const p = createReplayPool({ workers: 2 });
  try {
    assert.is(p.workers, 2);
    const runs: [Topology, string, ReplayOptions][] = [
      [topoB, pcapB, {}],
      [topoA, pcapA, { batchSize: 333, shards: 8 }],
      [topoB, pcapB, { batchSize: 7, conntrackCapacity: 64 }], // conntrack full: other paths, other tables
      [topoA, pcapA, {}],
    ];
    for (const [topology, file, options] of runs) {
      const what = `${file} ${JSON.stringify(options)}`;
      const ref = await reference(topology, file, options);
      const o = out();
      const r = await p.replay(topology, file, { ...options, decisionsPath: o });
      assert.ok(readFileSync(o, 'utf8') === ref.text, `${what}: the pool's decisions differ from the reference engine's`);
      assert.is(r.workers, 2);
      assert.is(r.decisions?.complete, true);
      if (options.batchSize === undefined) {
        const cold = await replay(topology, file, { ...options, workers: 2 });
        sameSummary(r, cold, what);
      }
      assert.equal(r.verdicts, ref.result.verdicts);
    }
    assert.ok(refs.get(`${pcapB}|64|`)!.result.conntrack.full > 0, 'capacity 64 fills conntrack');
    // The binary format: byte-identical to a cold replay's file.
    const warm = out('bin');
    const cold = out('bin');
    await p.replay(topoA, pcapA, { decisionsPath: warm, decisionsFormat: 'binary' });
    await replay(topoA, pcapA, { workers: 2, decisionsPath: cold, decisionsFormat: 'binary' });
    assert.ok(readFileSync(warm).equals(readFileSync(cold)), 'binary decisions of the pool and of a cold replay');
  } finally {
    await p.close();
  }
});

pool('a pool of 3 workers, and a shard set on a pool', async () => {
  for (const workers of [3]) {
    const p = createReplayPool({ workers });
    try {
      for (const [topology, file] of [[topoA, pcapA], [topoB, pcapB], [topoA, pcapA]] as const) {
        const o = out();
        await p.replay(topology, file, { decisionsPath: o, batchSize: 1000 });
        assert.ok(readFileSync(o, 'utf8') === (await reference(topology, file)).text, `${workers} worker(s), ${file}`);
      }
      const part = await p.replay(topoA, pcapA, { shardSet: { index: 1, count: 2 } });
      const coldPart = await replay(topoA, pcapA, { workers, shardSet: { index: 1, count: 2 } });
      assert.equal(part.part, coldPart.part);
      sameSummary(part, coldPart, `${workers} worker(s), part 1/2`);
    } finally {
      await p.close();
    }
  }
});

pool('a damaged capture, a missing one and bad options on a pool of 1: errors, and the pool goes on', async () => {
  const p = createReplayPool({ workers: 1 });
  try {
    const bytes = readFileSync(pcapA);
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.byteLength / 2) + 3));
    const ref = await reference(topoA, cut);
    const o = out();
    const r = await p.replay(topoA, cut, { decisionsPath: o });
    assert.is(r.error?.code, 'SGF_PCAP_TRUNCATED_RECORD');
    assert.is(r.error?.code, ref.result.error?.code);
    assert.is(r.packets, ref.result.packets);
    assert.ok(readFileSync(o, 'utf8') === ref.text, 'decisions before the damage');
    await rejects(p.replay(topoA, join(dir, 'no-such.pcap')), /no-such\.pcap/);
    await rejects(p.replay(topoA, pcapA, { shards: 0 }), /shards/);
    await rejects(p.replay(topoA, pcapA, { workers: 3 } as ReplayOptions), /this pool has 1 worker\(s\), got workers 3/);
    await rejects(p.replay(topoA, pcapA, { engine: 'reference' } as ReplayOptions), /a replay pool runs the WASM engine, got engine reference/);
    const again = out();
    await p.replay(topoA, pcapA, { decisionsPath: again });
    assert.ok(readFileSync(again, 'utf8') === (await reference(topoA, pcapA)).text, 'after the errors');
  } finally {
    await p.close();
  }
  for (const workers of [0, 33, 1.5]) {
    assert.throws(() => createReplayPool({ workers }), (e: unknown) => (e as { code?: string }).code === 'SGF_ENGINE_BAD_OPTION' && new RegExp(`a replay pool's workers must be an integer from 1 to 32, got ${workers}`).test((e as Error).message));
  }
});

pool('replays called together run one after another; a closed pool refuses', async () => {
  const p = createReplayPool({ workers: 2 });
  const outs = [out(), out(), out()];
  const all = await Promise.all([
    p.replay(topoA, pcapA, { decisionsPath: outs[0]! }),
    p.replay(topoB, pcapB, { decisionsPath: outs[1]! }),
    p.replay(topoA, pcapA, { decisionsPath: outs[2]!, batchSize: 100 }),
  ]);
  assert.is(all[0]!.packets, all[2]!.packets);
  assert.ok(readFileSync(outs[0]!, 'utf8') === (await reference(topoA, pcapA)).text);
  assert.ok(readFileSync(outs[1]!, 'utf8') === (await reference(topoB, pcapB)).text);
  assert.ok(readFileSync(outs[2]!, 'utf8') === (await reference(topoA, pcapA)).text);
  const closing = p.close();
  await rejects(p.replay(topoA, pcapA), (e: unknown) => e instanceof Error && e.name === 'ApiUsageError' && /the replay pool is closed/.test(e.message));
  await closing;
  await p.close(); // again: nothing more to do
});

pool('an interrupted replay on a pool: the decisions of packets 1..N, then a whole replay', async () => {
  const p = createReplayPool({ workers: 2 });
  try {
    const ref = (await reference(topoB, pcapB)).text;
    const stop = new AbortController();
    stop.abort();
    const early = await p.replay(topoB, pcapB, { signal: stop.signal, decisionsPath: out() });
    assert.ok(early.interrupted, 'aborted before it started');
    // Abort while it runs (wherever it is then): what was written is the reference's first N lines.
    const mid = new AbortController();
    const o = out();
    const running = p.replay(topoB, pcapB, { signal: mid.signal, decisionsPath: o, batchSize: 64 });
    setTimeout(() => mid.abort(), 5);
    const r = await running;
    const lines = readFileSync(o, 'utf8');
    const judged = r.interrupted?.packets ?? r.packets;
    assert.is(r.decisions?.packets, judged);
    assert.ok(lines === ref.split('\n').slice(0, judged).join('\n') + (judged > 0 ? '\n' : ''), `the first ${judged} decisions`);
    const whole = out();
    const w = await p.replay(topoB, pcapB, { decisionsPath: whole });
    assert.is(w.interrupted, undefined);
    assert.ok(readFileSync(whole, 'utf8') === ref, 'the next replay is whole and equal');
  } finally {
    await p.close();
  }
});

pool('a pool left open does not keep the process alive', () => {
  const src = (m: string) => JSON.stringify(fileURLToPath(new URL(`../../src/${m}`, import.meta.url)));
  const topologyPath = join(dir, 'a.topology.json');
  writeFileSync(topologyPath, JSON.stringify(docA));
  const script = `const { createReplayPool } = await import(${src('replay/replay.js')});
const { loadTopologyFile } = await import(${src('parse/load.js')});
const p = createReplayPool({ workers: 2 });
const r = await p.replay(loadTopologyFile(${JSON.stringify(topologyPath)}).topology, ${JSON.stringify(pcapA)});
console.log(r.packets);`;
  const c = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.is(c.error, undefined, 'the process ended by itself');
  assert.is(c.status, 0, c.stderr);
  assert.ok(Number(c.stdout.trim()) > 1000, c.stdout);
});

pool.run();
