/**
 * optimized == linear == reference evaluator (src/reference/match.ts) on
 * random topologies of all three clouds: both families, IPv6 prefixes that
 * cut inside 32-bit words, port lists, protocol wildcards, group and
 * address-group references, local CIDRs, priority ties (deny before allow,
 * group order, huawei's binding order). Trees are forced deep (small leaf
 * size) and partitioned in every mode so that the cuts themselves are tested.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { parseNativeTopology } from '../../src/parse/native.js';
import type { Topology } from '../../src/model/topology.js';
import { V4_HOSTS, V6_HOSTS, ruleArb, topologyArb } from '../helpers/arbitraries.js';
import { fuzzSeconds } from '../helpers/fuzz.js';
import { Harness, describeProbe, probeArb, referencePositions, type Probe } from '../compile/helpers.js';
import type { CompileOptions } from '../../src/compile/compile.js';

function parse(doc: unknown): Topology {
  const r = parseNativeTopology(doc);
  if (!r.topology) throw new Error('the arbitrary produced an invalid topology: ' + JSON.stringify(r.issues.slice(0, 3)));
  return r.topology;
}

const optionsArb: fc.Arbitrary<CompileOptions> = fc.record({
  binth: fc.constantFrom(1, 2, 3, 4, 8, 12),
  cut: fc.constantFrom<'balance' | 'weighted'>('balance', 'weighted'),
  fill: fc.boolean(),
  mode: fc.constantFrom<'auto' | 'split' | 'none'>('auto', 'split', 'none'),
  budget: fc.constantFrom(1, 4, 65536),
  prefixBits: fc.constantFrom(0, 8, 16, 24, 32),
  mergeBelow: fc.constantFrom(0, 2, 16),
}).map((o) => ({ tree: { binth: o.binth, cut: o.cut, fill: o.fill }, partition: { mode: o.mode, singleTreeBudget: o.budget, prefixBits: o.prefixBits, mergeBelow: o.mergeBelow } }));

const caseArb = topologyArb({ maxGroups: 4, maxRules: 10, maxInterfaces: 3 })
  .map(parse)
  .chain((topology) =>
    fc.record({
      topology: fc.constant(topology),
      options: optionsArb,
      probes: fc.array(probeArb(topology), { minLength: 1, maxLength: 40 }),
    }),
  );

test('optimized == linear == reference on random topologies and packets', () => {
  const seconds = fuzzSeconds(4);
  let cases = 0;
  fc.assert(
    fc.property(caseArb, ({ topology, options, probes }) => {
      cases++;
      const expected = referencePositions(topology, probes);
      const h = new Harness(topology, options);
      const optimized = h.run('optimized', probes);
      const linear = h.run('linear', probes);
      for (let i = 0; i < probes.length; i++) {
        const why = `${describeProbe(probes[i]!)} options ${JSON.stringify(options)}`;
        assert.is(linear[i], expected[i], `linear: ${why}`);
        assert.is(optimized[i], expected[i], `optimized: ${why}`);
      }
    }),
    { interruptAfterTimeLimit: seconds * 1000, numRuns: 1_000_000, seed: 0x5f17 },
  );
  assert.ok(cases >= 10, `only ${cases} cases ran in ${seconds} s`);
});

/** Bigger topologies (300 rules) so that real trees form; mixed lists and families in one batch. */
function bigTopology(cloud: 'aliyun' | 'huawei' | 'generic', seed: number): Topology {
  const groupIds = ['sg-a', 'sg-b', 'sg-c'];
  const doc = {
    cloud,
    addressGroups: [
      { id: 'ag-0', cidrs: ['10.0.0.0/24', '2001:db8:1::/48', '192.0.2.77/32'] },
      { id: 'ag-1', cidrs: ['10.0.1.0/24', '198.51.100.0/24', '2001:db8::/64'] },
    ],
    securityGroups: groupIds.map((id, g) => ({
      id,
      rules: fc.sample(ruleArb(cloud, groupIds, ['ag-0', 'ag-1']), { numRuns: 100, seed: seed * 10 + g })
        .map((r, i) => ({ id: `${id}-r${i}`, ...r })),
    })),
    interfaces: [
      { id: 'eni-0', ips: [V4_HOSTS[0]!, V6_HOSTS[0]!, V4_HOSTS[5]!], groups: ['sg-a', 'sg-b'] },
      { id: 'eni-1', ips: [V4_HOSTS[1]!, V6_HOSTS[2]!], groups: ['sg-c', 'sg-a', 'sg-b'] },
      { id: 'eni-2', ips: [V4_HOSTS[3]!, V6_HOSTS[3]!, V4_HOSTS[6]!], groups: ['sg-b'] },
    ],
  };
  return parse(doc);
}

for (const cloud of ['aliyun', 'huawei', 'generic'] as const) {
  test(`optimized == linear == reference: ${cloud}, 300 rules, mixed interfaces and families in one batch`, () => {
    const topology = bigTopology(cloud, 1);
    const probes: Probe[] = fc.sample(probeArb(topology), { numRuns: 2000, seed: 7 });
    const expected = referencePositions(topology, probes);
    for (const options of [{}, { tree: { binth: 2 } }, { partition: { mode: 'none' as const } }, { partition: { mode: 'split' as const } }]) {
      const h = new Harness(topology, options);
      assert.equal(h.run('optimized', probes), expected, `optimized ${JSON.stringify(options)}`);
      assert.equal(h.run('linear', probes), expected, `linear ${JSON.stringify(options)}`);
    }
    assert.ok(new Set(expected).size > 20, 'the probes hit many different rules');
  });
}

test.run();
