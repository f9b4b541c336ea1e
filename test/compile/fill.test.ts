/**
 * Filled fixed-walk trees (compile.ts): a small tree is filled whatever its
 * growth, and filled below the first build's deepest leaf when the walk
 * model says one more step costs less than the groups it saves. The walk
 * then takes the filled tree's depth; answers stay the linear matcher's and
 * the reference evaluator's.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileTopology } from '../../src/compile/compile.js';
import { CLASSBENCH_INTERFACE, parseClassBenchRules } from '../../src/parse/classbench.js';
import { Harness, referencePositions, type Probe } from './helpers.js';
import type { Topology } from '../../src/model/topology.js';

/** A seeded list like ClassBench's acl5 (host pairs, exact destination ports, TCP or UDP): no copies when cut further. */
function hostPairs(n: number, seed: number): { topology: Topology; rows: { sa: number; da: number; dp: number; proto: number }[] } {
  let x = seed >>> 0;
  const next = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
  const ip = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
  const rows = Array.from({ length: n }, () => ({ sa: next(), da: next(), dp: [21, 22, 25, 53, 80, 443][next() % 6]!, proto: next() % 2 ? 6 : 17 }));
  const text = rows.map((r) => `@${ip(r.sa)}/32\t${ip(r.da)}/32\t0 : 65535\t${r.dp} : ${r.dp}\t0x${r.proto.toString(16).padStart(2, '0')}/0xFF`).join('\n');
  return { topology: parseClassBenchRules(text, 'hostpairs').topology, rows };
}

test('a host-pair list: filled one level below the first build, every probe the linear and reference answer', () => {
  const { topology, rows } = hostPairs(98, 7);
  const first = compileTopology(topology, { tree: { fill: false } }).stats.find((s) => s.family === 4)!;
  const filled = compileTopology(topology).stats.find((s) => s.family === 4)!;
  assert.ok(first.walkSteps > 0, 'the first build takes a fixed walk');
  assert.ok(filled.walkSteps > first.walkSteps, `filled below the first build's depth (${first.walkSteps} -> ${filled.walkSteps})`);
  assert.is(filled.walkSteps, filled.maxDepth, 'the walk takes the filled tree\'s depth');
  // Probes: every rule's own header, its neighbours in every field, and a few misses.
  const probes: Probe[] = [];
  for (const r of rows) {
    for (const [sa, da, dp, proto] of [[r.sa, r.da, r.dp, r.proto], [r.sa + 1, r.da, r.dp, r.proto], [r.sa, r.da - 1, r.dp, r.proto], [r.sa, r.da, r.dp + 1, r.proto], [r.sa, r.da, r.dp, 23 - r.proto]] as const) {
      probes.push({ iface: CLASSBENCH_INTERFACE, direction: 'ingress', input: { family: 4, proto, remote: BigInt(sa >>> 0), local: BigInt(da >>> 0), sport: 1234, dport: dp } });
    }
  }
  const expected = referencePositions(topology, probes);
  assert.ok(expected.filter((p) => p >= 0).length >= rows.length, 'every rule\'s own header matches');
  const h = new Harness(topology);
  assert.equal(h.run('optimized', probes), expected);
  assert.equal(h.run('linear', probes), expected);
  const hf = new Harness(topology, { tree: { fill: false } });
  assert.equal(hf.run('optimized', probes), expected);
});

test.run();
