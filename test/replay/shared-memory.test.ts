// Lanes on one shared WebAssembly.Memory (the threads build,
// src/replay/shared-lanes.ts): a batch decoded once (engineSplit) and judged
// lane by lane from index lists (engineRunList), each lane its own instance
// on the same memory, against the reference engine — 2 to 4 lanes, batch
// sizes 1 to 8192, every cloud, fragments, ICMP errors, IPv6, conntrack-full
// and tables that grow (outgrown slot arrays handed back to the arena); two
// captures judged at once on one memory (their batches interleaved), which
// fails if instances share mutable state (a static region, an arena); and a
// damaged capture, judged up to the damage.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compileTopology } from '../../src/compile/compile.js';
import type { Topology } from '../../src/model/topology.js';
import { generateTopology } from '../../src/gen/index.js';
import { CaptureReader } from '../../src/pcap/reader.js';
import { PcapError } from '../../src/pcap/errors.js';
import { decodeDecision } from '../../src/replay/decision-record.js';
import { replayReference } from '../../src/replay/local.js';
import { allocLaneSlot, judgeLane, laneMask, laneOfShards, LaneSplitter } from '../../src/replay/shared-lanes.js';
import { WasmEngine, type WasmEngineOptions } from '../../src/replay/wasm-engine.js';
import { DECISION } from '../../src/wasm/layout.js';
import { createSharedArena, type SharedArena } from '../../src/wasm/loader.js';
import { topology as parsed } from '../helpers/scenario.js';
import { captureFor } from './helpers.js';

const t = suite('shared memory lanes == reference');

/** One capture's replay on a shared memory: a splitter and one engine per lane, judged batch by batch (step()). */
class SharedReplay {
  readonly decisions: ReturnType<typeof decodeDecision>[] = [];
  private readonly splitter: LaneSplitter;
  private readonly lanes: WasmEngine[];
  private readonly masks: number[];
  private readonly slot;
  private readonly it: Generator<{ buf: Uint8Array; batch: import('../../src/pcap/scanner.js').FrameBatch; interfaces: readonly import('../../src/pcap/scanner.js').CaptureInterface[] }>;
  error: PcapError | undefined;
  done = false;

  constructor(readonly topology: Topology, bytes: Uint8Array, arena: SharedArena, nLanes: number, batchSize: number, options: WasmEngineOptions) {
    const compiled = compileTopology(topology);
    const producer = new WasmEngine(topology, compiled, { ...options, batchCapacity: batchSize, shared: arena });
    const laneOf = laneOfShards(producer.shards, nLanes);
    this.splitter = new LaneSplitter(producer, laneOf);
    this.lanes = Array.from({ length: nLanes }, () => new WasmEngine(topology, compiled, { ...options, batchCapacity: 64, shared: arena }));
    this.masks = laneOf.map((_, l) => laneMask(laneOf, l)).slice(0, nLanes);
    this.slot = allocLaneSlot(producer.inst, batchSize, nLanes);
    this.it = new CaptureReader(bytes, { batchSize }).batches();
    this.compiled = compiled;
  }
  private readonly compiled;

  /** Judge the next batch; false at the end. */
  step(): boolean {
    if (this.done) return false;
    let r;
    try {
      r = this.it.next();
    } catch (e) {
      if (!(e instanceof PcapError)) throw e;
      this.error = e;
      this.done = true;
      return false;
    }
    if (r.done) {
      this.done = true;
      return false;
    }
    const { buf, batch, interfaces } = r.value;
    const n = batch.count;
    const p = this.splitter.engine;
    p.decoder.stage(buf, batch);
    this.splitter.split(this.slot, n, interfaces);
    let judged = 0;
    this.lanes.forEach((e, l) => (judged += judgeLane(e, this.slot, l, this.masks[l]!)));
    assert.is(judged, n, 'every packet judged by exactly one lane');
    const dv = new DataView(p.inst.memory.buffer, this.slot.out, n * DECISION.SIZE);
    for (let i = 0; i < n; i++) this.decisions.push(decodeDecision(dv, i, this.compiled, this.topology));
    return true;
  }
}

function reference(topology: Topology, bytes: Uint8Array, options: WasmEngineOptions) {
  const out = [];
  let error: unknown;
  try {
    for (const j of replayReference(topology, bytes, options)) out.push(j.decision);
  } catch (e) {
    error = e;
  }
  return { decisions: out, error };
}

function same(name: string, got: SharedReplay, want: ReturnType<typeof reference>): void {
  assert.is(got.decisions.length, want.decisions.length, `${name}: packets`);
  for (let i = 0; i < want.decisions.length; i++) {
    if (JSON.stringify(got.decisions[i]) !== JSON.stringify(want.decisions[i])) assert.equal(got.decisions[i], want.decisions[i], `${name}: packet ${i + 1}`);
  }
}

const RICH = { packetsPerFlow: 8, start: 1000, ipv6Share: 0.3, fragmentShare: 0.1, idleShare: 0.1, routers: 2, mix: { tcp: 40, udp: 20, echo: 8, 'icmp-error': 30, gre: 1, other: 1 } };

function rich(cloud: 'aliyun-basic' | 'aliyun-advanced' | 'huawei' | 'generic', seed: number, flows: number) {
  const topology = parsed(generateTopology({ seed, cloud, interfaces: 5, rulesPerGroup: 8, ipv6Share: 0.4 }));
  return { topology, bytes: captureFor(topology, { seed, flows, ...RICH }) };
}

t('2-4 lanes, batch sizes 1-8192, every cloud (conntrack-full on a small table)', () => {
  const cases = [['aliyun-basic', 3], ['aliyun-advanced', 4], ['huawei', 5], ['generic', 6]] as const;
  const sizes = [1, 7, 64, 333, 4096, 8192];
  cases.forEach(([cloud, seed], k) => {
    const { topology, bytes } = rich(cloud, seed, 300);
    for (const options of [{}, { conntrackCapacity: 40 }]) {
      const want = reference(topology, bytes, options);
      for (const lanes of [2, 3, 4]) {
        const batch = sizes[(k + lanes) % sizes.length]!;
        const r = new SharedReplay(topology, bytes, createSharedArena(), lanes, batch, options);
        while (r.step());
        same(`${cloud}, ${lanes} lanes, batch ${batch}, ${JSON.stringify(options)}`, r, want);
      }
    }
  });
});

t('two captures at once on one memory, tables growing: each its own reference result', () => {
  // Enough flows that both conntrack tables outgrow their first slot arrays
  // (and hand them back to their arenas) while the other replay allocates.
  // (generic topologies: the most flows allowed, so the most entries.)
  // IPv6 flows too: their key pool grows after the first table growth, into the block it handed back.
  const grow = { packetsPerFlow: 6, start: 1000, ipv6Share: 0.5, fragmentShare: 0.05, mix: { tcp: 60, udp: 40 } };
  const ta = parsed(generateTopology({ seed: 11, cloud: 'generic', interfaces: 5, rulesPerGroup: 8, ipv6Share: 0.5 }));
  const tb = parsed(generateTopology({ seed: 12, cloud: 'generic', interfaces: 4, rulesPerGroup: 6, ipv6Share: 0.5 }));
  const a = { topology: ta, bytes: captureFor(ta, { seed: 11, flows: 20000, ...grow }) };
  const b = { topology: tb, bytes: captureFor(tb, { seed: 12, flows: 22000, ...grow }) };
  const wantA = reference(a.topology, a.bytes, {});
  const wantB = reference(b.topology, b.bytes, {});
  const arena = createSharedArena();
  const ra = new SharedReplay(a.topology, a.bytes, arena, 1, 1000, {});
  const rb = new SharedReplay(b.topology, b.bytes, arena, 1, 777, {});
  while (!(ra.done && rb.done)) {
    ra.step();
    rb.step();
  }
  same('capture A beside B', ra, wantA);
  same('capture B beside A', rb, wantB);
  const grows = (r: SharedReplay) => (r as unknown as { lanes: WasmEngine[] }).lanes.reduce((n, e) => n + e.counters().conntrackGrows, 0);
  assert.ok(grows(ra) > 0 && grows(rb) > 0, `both replays' tables grew (${grows(ra)}, ${grows(rb)})`);
});

t('a damaged capture: the packets before the damage, then the error', () => {
  const { topology, bytes } = rich('aliyun-basic', 21, 200);
  const cut = bytes.slice(0, Math.floor(bytes.length * 0.6));
  // Cut inside a record: the reader reports the truncated record there.
  const want = reference(topology, cut, {});
  const r = new SharedReplay(topology, cut, createSharedArena(), 2, 100, {});
  while (r.step());
  assert.ok(want.error instanceof PcapError, 'the reference reports the damage');
  assert.ok(r.error instanceof PcapError, 'so does the shared replay');
  assert.is(r.error!.code, (want.error as PcapError).code);
  assert.is(r.error!.offset, (want.error as PcapError).offset);
  assert.ok(want.decisions.length > 100);
  same('damaged', r, want);
});

t.run();
