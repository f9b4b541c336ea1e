/**
 * The shared-memory lanes (src/replay/shared-lanes.ts: decoded once, judged
 * from per-lane lists) against the normal engine (engineDecodeRun, every
 * shard owned), decision record for decision record, byte for byte, on a
 * capture directory (trace.pcap, topology.json) — e.g. a scale-check
 * capture (/work/notes/scale-check.sh), whose normal-engine decisions that
 * script holds to the reference engine. 2 lanes / batch 8192, 3 / 1000, 4 / 333.
 *
 *   node dist/bench/replay/shared-check.js DIR
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileTopology } from '../../src/compile/compile.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { CaptureReader } from '../../src/pcap/reader.js';
import { allocLaneSlot, judgeLane, laneMask, laneOfShards, LaneSplitter } from '../../src/replay/shared-lanes.js';
import { WasmEngine } from '../../src/replay/wasm-engine.js';
import { DECISION } from '../../src/wasm/layout.js';
import { createSharedArena } from '../../src/wasm/loader.js';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: shared-check.js DIR (with trace.pcap and topology.json)');
  process.exit(2);
}
const topology = loadTopologyFile(join(dir, 'topology.json')).topology;
const compiled = compileTopology(topology);
const bytes = readFileSync(join(dir, 'trace.pcap'));
const S = DECISION.SIZE;
let failed = false;
for (const [lanes, batch] of [[2, 8192], [3, 1000], [4, 333]] as const) {
  const ref = new WasmEngine(topology, compiled, { batchCapacity: batch });
  const arena = createSharedArena();
  const prod = new WasmEngine(topology, compiled, { batchCapacity: batch, shared: arena });
  const laneOf = laneOfShards(prod.shards, lanes);
  const splitter = new LaneSplitter(prod, laneOf);
  const engines = Array.from({ length: lanes }, () => new WasmEngine(topology, compiled, { batchCapacity: 64, shared: arena }));
  const slot = allocLaneSlot(prod.inst, batch, lanes);
  let n = 0;
  let diff = 0;
  for (const { buf, batch: b, interfaces } of new CaptureReader(bytes, { batchSize: batch }).batches()) {
    const c = b.count;
    ref.runBatch(buf, b, interfaces, ref.allShards);
    prod.decoder.stage(buf, b);
    splitter.split(slot, c, interfaces);
    engines.forEach((e, l) => judgeLane(e, slot, l, laneMask(laneOf, l)));
    const want = new Uint8Array(ref.inst.memory.buffer, ref.decisionView(c).byteOffset, c * S);
    const got = new Uint8Array(arena.memory.buffer, slot.out, c * S);
    for (let i = 0; i < c * S; i += S) if (Buffer.compare(want.subarray(i, i + S), got.subarray(i, i + S)) !== 0) diff++;
    n += c;
  }
  console.log(`${dir}: ${lanes} lanes, batch ${batch}: ${n} packets, ${diff === 0 ? 'identical' : `${diff} decision records DIFFER`}`);
  if (diff > 0) failed = true;
}
process.exit(failed ? 1 : 0);
