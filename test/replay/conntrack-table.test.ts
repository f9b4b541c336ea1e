// The WASM conntrack table's own discipline (assembly/oa.ts, conntrack.ts)
// under the load that exercises it: enough flows that the table grows
// (rehashing every live entry into a new slot array), idle flows whose
// entries expire and are created again in place (the slot the failed lookup
// found), and a small capacity that makes shards fill, purge and refuse
// (conntrack-full). Expected: the reference engine's decisions, byte for byte.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { generateTopology } from '../../src/gen/index.js';
import { compileTopology } from '../../src/compile/compile.js';
import { replay } from '../../src/replay/replay.js';
import { WasmCaptureStream } from '../../src/replay/stream.js';
import { WasmEngine } from '../../src/replay/wasm-engine.js';
import { topology as parsed } from '../helpers/scenario.js';
import { captureFor } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sgf-ct-table-'));
const doc = generateTopology({ seed: 61, cloud: 'aliyun-basic', interfaces: 6, rulesPerGroup: 12 });
const topo = parsed(doc);
const pcap = join(dir, 'trace.pcap');
// Many short flows (entries outnumber half the table's first 16,384 slots, several times over),
// a tenth of them pausing past their timeout, IPv6 and fragments.
writeFileSync(pcap, captureFor(doc, { seed: 61, flows: 30_000, packetsPerFlow: 4, flowGapUs: 20, idleShare: 0.1, ipv6Share: 0.3, fragmentShare: 0.05 }));
// A smaller capture for a small capacity: shards fill, purge and refuse.
// Seed 63: at the in-place growth (65,536 -> 262,144 slots) the run of
// slots from slot 0 is taken (a probe path from the old array's end wrapped
// to its start), which the growth sets aside and inserts last.
const aside = join(dir, 'aside.pcap');
writeFileSync(aside, captureFor(doc, { seed: 63, flows: 30_000, packetsPerFlow: 4, flowGapUs: 20, idleShare: 0.1, ipv6Share: 0.3, fragmentShare: 0.05 }));
const small = join(dir, 'small.pcap');
writeFileSync(small, captureFor(doc, { seed: 62, flows: 4_000, packetsPerFlow: 4, flowGapUs: 200, idleShare: 0.1, ipv6Share: 0.3 }));

/** A fresh WASM engine after judging the whole of `pcap` (every shard, the prepared-batch path), and its memory's size before. */
function judgedEngine(): { engine: WasmEngine; before: number } {
  const engine = new WasmEngine(topo, compileTopology(topo));
  const before = engine.inst.memory.buffer.byteLength;
  const stream = new WasmCaptureStream(engine, pcap);
  for (const { batch, interfaces } of stream.batches()) engine.runPrepared(batch.count, interfaces, engine.allShards);
  return { engine, before };
}

const table = suite('replay: the conntrack table grows, reuses and fills like the reference');

table('the table grows (the run exercises it)', () => {
  const { engine } = judgedEngine();
  assert.ok(engine.counters().conntrackGrows >= 1, `grows ${engine.counters().conntrackGrows}`);
});

table('the table takes 32 bytes a slot: the memory of a pass stays under what 64-byte slots need for the final array alone', () => {
  const { engine, before } = judgedEngine();
  // More than 32,768 entries (half of 65,536 slots, the size after the first
  // growth) make the table grow twice: 16,384 -> 65,536 -> 262,144 slots. At
  // 32 bytes a slot the last array is 8 MiB (the earlier ones are handed
  // back and reused); at 64 bytes it alone would be 16 MiB.
  assert.is(engine.counters().conntrackGrows, 2);
  const grew = engine.inst.memory.buffer.byteLength - before;
  assert.ok(grew < 16 * 2 ** 20, `memory grew by ${(grew / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(grew >= 8 * 2 ** 20, `memory grew by ${(grew / 2 ** 20).toFixed(1)} MiB: smaller than the final slot array`);
});

table('an outgrown slot array is handed back: a later allocation takes it, zeroed, without growing memory', () => {
  const { engine } = judgedEngine();
  assert.ok(engine.counters().conntrackGrows >= 2, `grows ${engine.counters().conntrackGrows}`);
  // The table's first array (512 KiB, allocated before the fragment memory's,
  // so not the arena's last block: its first growth is a copy) was full of
  // entries; an allocation at the arena's top would grow memory by 256 KiB
  // (the later arrays grew in place, see the next test).
  const memory = engine.inst.memory;
  const size = memory.buffer.byteLength;
  const bytes = 256 << 10;
  const p = engine.inst.exports.arenaAllocate(bytes);
  assert.is(memory.buffer.byteLength, size, 'memory grew: the block was not reused');
  assert.ok(p + bytes <= size, `block at ${p}`);
  const block = new Uint8Array(memory.buffer, p, bytes);
  assert.ok(block.every((b) => b === 0), 'the reused block is not zeroed');
});

table("a slot array at the arena's top grows in place: memory grows by less than the last two arrays", () => {
  const { engine, before } = judgedEngine();
  // 16,384 -> 65,536 slots (a copy: the first array is not the arena's last
  // block), then 65,536 -> 262,144 in place: the 2 MiB array becomes the
  // first quarter of the 8 MiB one. A copy would need both, 10 MiB.
  assert.is(engine.counters().conntrackGrows, 2);
  const grew = engine.inst.memory.buffer.byteLength - before;
  assert.ok(grew < 10 * 2 ** 20, `memory grew by ${(grew / 2 ** 20).toFixed(3)} MiB`);
});

table('every entry is found after growths in place (the table driven by its exports: 150,000 flows created, then each looked up)', () => {
  const engine = new WasmEngine(topo, compileTopology(topo), { conntrackCapacity: 4_000_000 * 16 });
  const e = engine.inst.exports;
  const src = e.arenaAllocate(32);
  const dst = src + 16;
  const view = () => engine.inst.view();
  const flows = 150_000;
  const key = (i: number): void => {
    const v = view();
    for (let w = 0; w < 32; w += 4) v.setUint32(src + w, 0, true);
    v.setUint32(src, 0x0a000000 + i, true);
    v.setUint32(dst, 0xc0a80001, true);
    e.ctKey(0, 0, 4, 6, src, 1024 + (i % 50_000), dst, 443);
  };
  for (let i = 0; i < flows; i++) {
    key(i);
    assert.is(e.ctLookup(0n), 0, `flow ${i} found before it was created`);
    assert.ok(e.ctCreate(0n, 0x02, 0), `flow ${i} not created`);
  }
  // 16,384 -> 65,536 (a copy) -> 262,144 -> 1,048,576 slots (in place).
  assert.is(engine.counters().conntrackGrows, 3);
  let missing = 0;
  for (let i = 0; i < flows; i++) {
    key(i);
    if (e.ctLookup(0n) === 0) missing++;
  }
  assert.is(missing, 0, `${missing} of ${flows} entries lost`);
});

for (const [file, conntrackCapacity, workers, least] of [[pcap, undefined, 1, 60_000], [aside, undefined, 1, 60_000], [small, 300, 2, 10_000]] as const) {
  table(`decisions equal the reference engine's (${basename(file)}, capacity ${conntrackCapacity ?? 'default'}, ${workers} worker(s))`, async () => {
    const refPath = join(dir, `ref-${basename(file)}-${conntrackCapacity}.jsonl`);
    const opts = conntrackCapacity === undefined ? {} : { conntrackCapacity };
    const ref = await replay(topo, file, { engine: 'reference', decisionsPath: refPath, ...opts });
    assert.ok(ref.packets > least, `packets ${ref.packets}`);
    // Packets between two managed interfaces (an egress and an ingress hop)
    // take the engine's shared probe walk (ctPair: the egress hop's walk
    // serves the ingress hop's lookup unless the egress hop created, and so
    // may have purged or grown the table): enough of them to exercise it.
    const lines = readFileSync(refPath, 'utf8').trimEnd().split('\n');
    const twoHops = lines.filter((l) => (JSON.parse(l) as { hops?: unknown[] }).hops?.length === 2).length;
    assert.ok(twoHops > lines.length / 20, `two-hop packets ${twoHops} of ${lines.length}`);
    if (conntrackCapacity !== undefined) assert.ok(ref.conntrack.full > 0, 'the small capacity fills shards');
    const out = join(dir, `w${workers}-${basename(file)}-${conntrackCapacity}.jsonl`);
    const r = await replay(topo, file, { workers, decisionsPath: out, ...opts });
    assert.ok(readFileSync(out, 'utf8') === readFileSync(refPath, 'utf8'), `workers ${workers}: decisions differ from the reference engine's`);
    assert.is(r.conntrack.full, ref.conntrack.full, `workers ${workers}: conntrack-full`);
  });
}

table.after(() => rmSync(dir, { recursive: true, force: true }));
table.run();
