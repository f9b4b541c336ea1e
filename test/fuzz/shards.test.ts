// Property: decisions never depend on the worker count or the batch size.
// For random topologies (fast-check's small overlapping ones and generated
// ones of every cloud) and generated traffic rich in what crosses shards (ICMP
// errors from a small router pool, fragments, IPv6, idle gaps), the decisions
// of workers 0..3 and batch sizes 1 / 7 / 4096, with 1 or 16 shards, are
// byte-identical to the reference engine's with the same shard count.
// `npm run fuzz` (SGFILTER_FUZZ_SECONDS) runs it longer.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileTopology } from '../../src/compile/compile.js';
import { generateTopology } from '../../src/gen/index.js';
import { decisionLine } from '../../src/model/decision.js';
import type { Topology } from '../../src/model/topology.js';
import type { NativeTopology } from '../../src/parse/native.js';
import { replayReference, replayWasm } from '../../src/replay/local.js';
import { replay } from '../../src/replay/replay.js';
import { WasmEngine } from '../../src/replay/wasm-engine.js';
import { topologyArb } from '../helpers/arbitraries.js';
import { topology as parsed } from '../helpers/scenario.js';
import { propertyRuns } from '../helpers/fuzz.js';
import { captureFor } from '../replay/helpers.js';

const prop = suite('replay: decisions independent of workers, batches (property)');
const dir = mkdtempSync(join(tmpdir(), 'sgf-shards-prop-'));
const BATCHES = [1, 7, 4096] as const;

const topologyCase: fc.Arbitrary<NativeTopology> = fc.oneof(
  topologyArb({ maxInterfaces: 4 }),
  fc.record({
    cloud: fc.constantFrom('aliyun-basic', 'aliyun-advanced', 'huawei', 'generic') as fc.Arbitrary<'aliyun-basic' | 'aliyun-advanced' | 'huawei' | 'generic'>,
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    interfaces: fc.integer({ min: 2, max: 6 }),
  }).map(({ cloud, seed, interfaces }) => generateTopology({ seed, cloud, interfaces, rulesPerGroup: 8, ipv6Share: 0.4 }) as NativeTopology),
);

let runs = 0;
prop('workers 0..3 x batch sizes 1/7/4096 x shards 1/16 == the reference with the same shards', async () => {
  await fc.assert(
    fc.asyncProperty(
      topologyCase,
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.constantFrom(1, 16),
      fc.array(fc.constantFrom(...BATCHES), { minLength: 4, maxLength: 4 }),
      async (doc, seed, shards, workerBatches) => {
        let t: Topology;
        try {
          t = parsed(doc);
        } catch {
          return; // an arbitrary the native parser refuses is not this property's business
        }
        if (t.interfaces.length === 0) return;
        const bytes = captureFor(t, {
          seed, flows: 100, packetsPerFlow: 6, ipv6Share: 0.4, fragmentShare: 0.15, idleShare: 0.1, vlanShare: 0.1,
          routers: 1, mix: { tcp: 35, udp: 20, echo: 10, 'icmp-error': 30, gre: 3, other: 2 },
        });
        const label = `seed ${seed}, shards ${shards}`;
        const expected = [...replayReference(t, bytes, { shards })].map((j) => decisionLine(j.n, j.tsText, j.decision)).join('\n') + '\n';
        const compiled = compileTopology(t);
        for (const batchCapacity of BATCHES) {
          const got = [...replayWasm(new WasmEngine(t, compiled, { shards, batchCapacity }), bytes)].map((j) => decisionLine(j.n, j.tsText, j.decision)).join('\n') + '\n';
          if (got !== expected) assert.fixture(got, expected, `${label}, in-thread engine, batch ${batchCapacity}`);
        }
        const file = join(dir, `c${runs}.pcap`);
        writeFileSync(file, bytes);
        for (let workers = 0; workers <= Math.min(3, shards); workers++) {
          const out = join(dir, `c${runs}-w${workers}.jsonl`);
          const batchSize = workerBatches[workers]!;
          await replay(t, file, { workers, shards, batchSize, decisionsPath: out, compiled });
          const got = readFileSync(out, 'utf8');
          if (got !== expected) assert.fixture(got, expected, `${label}, workers ${workers}, batch ${batchSize}`);
          rmSync(out);
        }
        rmSync(file);
        runs++;
      },
    ),
    // npm test: a fixed number of cases; npm run fuzz: as many as its budget allows.
    propertyRuns(2),
  );
  assert.ok(runs >= 1, `at least one case ran (${runs})`);
});

prop.run();
