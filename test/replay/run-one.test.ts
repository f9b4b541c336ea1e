// engineRunOne (one record judged alone: the library's judgeFrame and
// judgeTuple) against engineDecodeRun over whole batches and against the
// reference engine: every fixture capture and generated traffic of every
// cloud (fragments, ICMP errors, conntrack-full on a small table), with every
// shard owned and with half of them (the others' packets NOT_MINE).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileTopology } from '../../src/compile/compile.js';
import type { Topology } from '../../src/model/topology.js';
import { generateTopology } from '../../src/gen/index.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { CaptureReader } from '../../src/pcap/reader.js';
import { decodeDecision } from '../../src/replay/decision-record.js';
import { replayReference } from '../../src/replay/local.js';
import { WasmEngine } from '../../src/replay/wasm-engine.js';
import { DECISION, VERDICT } from '../../src/wasm/layout.js';
import { fixturesDir } from '../helpers/corpus.js';
import { topology as parsed } from '../helpers/scenario.js';
import { captureFor } from './helpers.js';

const t = suite('engineRunOne == engineDecodeRun == reference');

const SMALL = { conntrackCapacity: 40, batchCapacity: 97 };

/** The decision records of every packet: batches through engineDecodeRun (`one` false) or decoded, then engineRunOne per record. */
function judge(topology: Topology, bytes: Uint8Array, owned: 'all' | 'half', one: boolean, limit: number): Uint8Array[] {
  const engine = new WasmEngine(topology, compileTopology(topology), SMALL);
  const mask = owned === 'all' ? engine.allShards : engine.allShards & 0x55555555;
  const reader = new CaptureReader(bytes, { batchSize: engine.capacity });
  const out: Uint8Array[] = [];
  for (const { buf, batch, interfaces } of reader.batches()) {
    const n = batch.count;
    let judged = 0;
    if (!one) judged = engine.runBatch(buf, batch, interfaces, mask);
    else {
      engine.decoder.stage(buf, batch);
      engine.decoder.decode(n, interfaces);
      for (let i = 0; i < n; i++) judged += engine.runDecodedOne(i, mask);
    }
    const dv = engine.decisionView(n);
    let mine = 0;
    for (let i = 0; i < n; i++) {
      out.push(new Uint8Array(dv.buffer.slice(dv.byteOffset + i * DECISION.SIZE, dv.byteOffset + (i + 1) * DECISION.SIZE)));
      if (dv.getUint8(i * DECISION.SIZE + DECISION.VERDICT) !== VERDICT.NOT_MINE) mine++;
    }
    assert.is(judged, mine, 'the count judged here');
    if (out.length >= limit) break;
  }
  return out.slice(0, limit);
}

function check(name: string, topology: Topology, bytes: Uint8Array, limit = 2500): void {
  const want = [];
  for (const j of replayReference(topology, bytes, SMALL)) {
    if (want.length === limit) break;
    want.push(j.decision);
  }
  const compiled = compileTopology(topology);
  for (const owned of ['all', 'half'] as const) {
    const batch = judge(topology, bytes, owned, false, limit);
    const single = judge(topology, bytes, owned, true, limit);
    assert.is(single.length, want.length, `${name}: packets`);
    let notMine = 0;
    for (let i = 0; i < single.length; i++) {
      // Byte for byte as the batch path wrote them (a NOT_MINE record too).
      if (Buffer.compare(single[i]!, batch[i]!) !== 0) assert.equal([...single[i]!], [...batch[i]!], `${name}, ${owned}: decision record ${i + 1}`);
      const d = decodeDecision(new DataView(single[i]!.buffer), 0, compiled, topology);
      if (d === null) {
        notMine++;
        assert.is(owned, 'half', `${name}: packet ${i + 1} not judged with every shard owned`);
      } else assert.equal(d, want[i], `${name}, ${owned}: packet ${i + 1} against the reference`);
    }
    if (owned === 'half' && single.length > 200) assert.ok(notMine > 0 && notMine < single.length, `${name}: half the shards leave some packets to others (${notMine})`);
  }
}

t('every fixture capture', () => {
  const cdir = join(fixturesDir(), 'captures');
  const names = readdirSync(cdir).filter((f) => /\.pcap(ng)?$/.test(f));
  assert.ok(names.length >= 3);
  for (const name of names) {
    const { topology } = loadTopologyFile(join(cdir, name.replace(/\.pcap(ng)?$/, '.topology.json')));
    check(name, topology, readFileSync(join(cdir, name)));
  }
});

t('generated traffic of every cloud: fragments, ICMP errors, IPv6, conntrack-full', () => {
  for (const [cloud, seed] of [['aliyun-basic', 3], ['aliyun-advanced', 4], ['huawei', 5], ['generic', 6]] as const) {
    const topology = parsed(generateTopology({ seed, cloud, interfaces: 5, rulesPerGroup: 8, ipv6Share: 0.4 }));
    const bytes = captureFor(topology, { seed, flows: 200, packetsPerFlow: 8, start: 1000, ipv6Share: 0.3, fragmentShare: 0.1, idleShare: 0.1, routers: 2, mix: { tcp: 40, udp: 20, echo: 8, 'icmp-error': 30, gre: 1, other: 1 } });
    check(`${cloud} seed ${seed}`, topology, bytes);
  }
});

t.run();
