// The WASM engine against the reference evaluator: identical decision streams
// on random topologies (all three clouds, group references, address groups,
// both families) times generated traffic (handshakes, replies, idle gaps past
// the timeouts, RSTs, ICMP errors, fragments, VLAN, IPv6), and on every
// fixture capture. The reference is the oracle.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decisionLine } from '../../src/model/decision.js';
import { generateTopology } from '../../src/gen/index.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { replayReference, replayWasm, type JudgedPacket } from '../../src/replay/local.js';
import { WasmEngine } from '../../src/replay/wasm-engine.js';
import { compileTopology, type CompileOptions } from '../../src/compile/compile.js';
import { topologyArb } from '../helpers/arbitraries.js';
import { topology as parsed } from '../helpers/scenario.js';
import { fixturesDir } from '../helpers/corpus.js';
import { captureFor } from '../replay/helpers.js';
import type { Topology } from '../../src/model/topology.js';
import { propertyRuns } from '../helpers/fuzz.js';


function lines(stream: Iterable<JudgedPacket>): string[] {
  return [...stream].map((j) => decisionLine(j.n, j.tsText, j.decision));
}

function assertSame(topology: Topology, bytes: Uint8Array, label: string, options: { conntrackCapacity?: number; shards?: number; batchCapacity?: number } = {}, compile: CompileOptions = {}): string[] {
  const ref = lines(replayReference(topology, bytes, options));
  const wasm = lines(replayWasm(new WasmEngine(topology, compileTopology(topology, compile), options), bytes));
  assert.is(wasm.length, ref.length, `${label}: packet count`);
  for (let i = 0; i < ref.length; i++) {
    if (wasm[i] !== ref[i]) assert.fixture(wasm[i]!, ref[i]!, `${label}: packet ${i + 1} differs`);
  }
  return ref;
}

const diff = suite('replay: WASM engine == reference engine');

diff('every fixture capture', () => {
  const dir = join(fixturesDir(), 'captures');
  const captures = readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f));
  assert.ok(captures.length >= 3);
  for (const f of captures) {
    const { topology } = loadTopologyFile(join(dir, f.replace(/\.pcap(ng)?$/, '.topology.json')));
    assertSame(topology, readFileSync(join(dir, f)), f);
  }
});

diff('generated topologies of every cloud x generated traffic (fast-check seeds)', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('aliyun-basic', 'aliyun-advanced', 'huawei', 'generic') as fc.Arbitrary<'aliyun-basic' | 'aliyun-advanced' | 'huawei' | 'generic'>,
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.integer({ min: 2, max: 6 }),
      fc.boolean(),
      (cloud, seed, interfaces, nanos) => {
        const doc = generateTopology({ seed, cloud, interfaces, rulesPerGroup: 8, ipv6Share: 0.4 });
        // routers: ICMP errors from a small pool, quoting flows of other shards than their own.
        const bytes = captureFor(doc, { seed, flows: 60, packetsPerFlow: 6, ipv6Share: 0.3, vlanShare: 0.2, fragmentShare: 0.15, idleShare: 0.15, deniedShare: 0.1, scanShare: 0.05, arpShare: 0.02, backwardsShare: 0.02, nanos, routers: 2, mix: { tcp: 40, udp: 20, echo: 8, 'icmp-error': 30, gre: 1, other: 1 } }, nanos ? 'pcapng' : 'pcap');
        assertSame(parsed(doc), bytes, `${cloud} seed ${seed}`);
      },
    ),
    propertyRuns(40),
  );
});

diff('random small topologies (overlapping rules, group and address-group references) x traffic', () => {
  fc.assert(
    fc.property(topologyArb({ maxInterfaces: 3 }), fc.integer({ min: 1, max: 1_000_000 }), (doc, seed) => {
      const t = parsed(doc);
      if (t.interfaces.length === 0) return;
      const bytes = captureFor(t, { seed, flows: 40, packetsPerFlow: 5, ipv6Share: 0.4, fragmentShare: 0.2, idleShare: 0.2, vlanShare: 0.1 });
      assertSame(t, bytes, `seed ${seed}`);
    }),
    propertyRuns(40),
  );
});

diff('lists split into several trees: the first-packet classification past its first tree', () => {
  // partition 'split' with no merging: each list's classifier is cut into
  // several trees (by the prefix lengths of its rules' addresses), so the
  // engine's one-tuple path (classifyTuple) scans trees after the first.
  const compile: CompileOptions = { partition: { mode: 'split', mergeBelow: 1 } };
  let multi = 0;
  for (const cloud of ['aliyun-basic', 'aliyun-advanced', 'huawei', 'generic'] as const) {
    for (const seed of [11, 12, 13]) {
      const doc = generateTopology({ seed, cloud, interfaces: 3, rulesPerGroup: 30, ipv6Share: 0.3 });
      const t = parsed(doc);
      multi += compileTopology(t, compile).stats.filter((c) => c.trees > 1).length;
      const bytes = captureFor(doc, { seed, flows: 300, packetsPerFlow: 3, ipv6Share: 0.3, deniedShare: 0.1, scanShare: 0.2 });
      assertSame(t, bytes, `${cloud} seed ${seed}`, {}, compile);
    }
  }
  assert.ok(multi > 0, 'some classifier has more than one tree');
});

diff('a tiny conntrack and one shard: conntrack-full decisions agree too', () => {
  const doc = generateTopology({ seed: 5, cloud: 'aliyun-basic', interfaces: 3, rulesPerGroup: 6 });
  const bytes = captureFor(doc, { seed: 5, flows: 300, packetsPerFlow: 4 });
  for (const [conntrackCapacity, shards] of [[4, 1], [16, 4], [64, 16]] as const) {
    const ref = assertSame(parsed(doc), bytes, `capacity ${conntrackCapacity}, shards ${shards}`, { conntrackCapacity, shards });
    assert.ok(ref.some((l) => l.includes('"conntrack-full"')), 'the case exercises conntrack-full');
  }
});

diff.run();
