// The tally-only batch entry (engineDecodeTally, runPrepared(..., false)):
// a replay that writes no decisions judges without writing decision records,
// keeping only the tally and the engine's state. Its summary (verdicts,
// reasons, per-interface and per-rule counts, conntrack peaks and drops) must
// equal the reference engine's for every cloud, worker count and batch size,
// with a conntrack capacity small enough that packets are denied
// conntrack-full; and the tally path must leave the decision-record region
// untouched. Expected values: the reference engine (src/reference/).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileTopology } from '../../src/compile/compile.js';
import { DECISION } from '../../src/wasm/layout.js';
import { replay } from '../../src/replay/replay.js';
import { WasmCaptureStream } from '../../src/replay/stream.js';
import { WasmEngine } from '../../src/replay/wasm-engine.js';
import type { ReplaySummary } from '../../src/replay/summary.js';
import { richCapture } from './helpers.js';

const t = suite('replay: the tally-only entry');
const dir = mkdtempSync(join(tmpdir(), 'sgf-tally-only-'));
const CLOUDS = ['aliyun-basic', 'aliyun-advanced', 'huawei', 'generic'] as const;
/** Per interface, over the 16 shards (4 a shard): small enough to fill with the capture's flows. */
const CAPACITY = 60;
const caps = CLOUDS.map((cloud, k) => ({ cloud, ...richCapture(dir, cloud, 290 + k, 600) }));

const counts = (s: ReplaySummary) => ({ packets: s.packets, verdicts: s.verdicts, reasons: s.reasons, interfaces: s.interfaces, rules: s.rules, rulesNeverHit: s.rulesNeverHit, conntrack: s.conntrack });

t('replay() without decisions: summaries equal the reference engine\'s (workers 0-3, batch sizes 1-8192, conntrack-full)', async () => {
  const runs = [[0, 1], [1, 8192], [1, 7], [2, 333], [3, 64], [2, 65], [3, 1], [0, 4096]] as const;
  for (const { cloud, topology, pcap } of caps) {
    const ref = await replay(topology, pcap, { engine: 'reference', conntrackCapacity: CAPACITY });
    assert.ok(ref.packets > 3000, `${cloud}: a capture of some size (${ref.packets})`);
    assert.ok(ref.conntrack.full > 0, `${cloud}: some packets judged conntrack-full (${ref.conntrack.full})`);
    for (const [workers, batchSize] of runs) {
      const r = await replay(topology, pcap, { workers, batchSize, conntrackCapacity: CAPACITY });
      assert.equal(counts(r), counts(ref), `${cloud}, workers ${workers}, batch ${batchSize}`);
    }
    // The shared split keeps writing records (its own entry): the same summary.
    const shared = await replay(topology, pcap, { workers: 2, split: 'shared', batchSize: 1000, conntrackCapacity: CAPACITY });
    assert.equal(counts(shared), counts(ref), `${cloud}, the shared split`);
  }
});

t('the tally path writes no decision record, and tallies as the records path does', () => {
  for (const { cloud, topology, pcap } of caps) {
    const compiled = compileTopology(topology);
    for (const batchCapacity of [1, 64, 65, 8192]) {
      const tallyOnly = new WasmEngine(topology, compiled, { conntrackCapacity: CAPACITY, batchCapacity });
      const withRecords = new WasmEngine(topology, compiled, { conntrackCapacity: CAPACITY, batchCapacity });
      const sentinel = (e: WasmEngine) => new Uint8Array(e.inst.memory.buffer, e.decisionView(batchCapacity).byteOffset, batchCapacity * DECISION.SIZE);
      sentinel(tallyOnly).fill(0xa5);
      sentinel(withRecords).fill(0xa5);
      let batches = 0;
      for (const { batch, interfaces } of new WasmCaptureStream(tallyOnly, pcap).batches()) {
        tallyOnly.runPrepared(batch.count, interfaces, tallyOnly.allShards, false);
        batches++;
      }
      for (const { batch, interfaces } of new WasmCaptureStream(withRecords, pcap).batches()) withRecords.runPrepared(batch.count, interfaces, withRecords.allShards, true);
      const untouched = sentinel(tallyOnly).every((b) => b === 0xa5);
      assert.ok(untouched, `${cloud}, batches of ${batchCapacity}: the decision-record region was written`);
      assert.ok(batches > 0);
      assert.not.ok(sentinel(withRecords).every((b) => b === 0xa5), `${cloud}, batches of ${batchCapacity}: the records path wrote no decision record`);
      assert.equal(tallyOnly.tally(), withRecords.tally(), `${cloud}, batches of ${batchCapacity}: tally`);
      assert.equal(tallyOnly.counters(), withRecords.counters(), `${cloud}, batches of ${batchCapacity}: counters`);
      assert.ok(tallyOnly.counters().conntrackFull > 0, `${cloud}: conntrack-full reached`);
      assert.equal(tallyOnly.conntrackPeak(), withRecords.conntrackPeak());
    }
  }
});

t.run();
