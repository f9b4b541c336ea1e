// Properties of SEMANTICS.md §4 checked on random topologies (fast-check):
//  - shuffling rules never changes a verdict;
//  - adding a rule of lower priority than the deciding rule never changes a decision.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { packetSpecArb, ruleArb, topologyArb } from '../helpers/arbitraries.js';
import { topology } from '../helpers/scenario.js';
import { parsePacketSpec } from '../../src/model/packet-spec.js';
import { ReferenceEngine } from '../../src/reference/engine.js';
import type { NativeTopology } from '../../src/parse/native.js';
import { propertyRunCount, propertyRuns } from '../helpers/fuzz.js';

const RUNS = propertyRunCount(300);
const props = suite('§4 properties');

function permute<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

props('shuffling the rules inside every group never changes a verdict (hop by hop, over a packet sequence)', () => {
  fc.assert(
    fc.property(topologyArb(), fc.array(packetSpecArb(), { minLength: 1, maxLength: 12 }), fc.nat(), (doc, specs, seed) => {
      const shuffled: NativeTopology = {
        ...doc,
        securityGroups: doc.securityGroups.map((g, i) => ({ ...g, rules: permute(g.rules, seed + i) })),
      };
      const a = new ReferenceEngine(topology(doc));
      const b = new ReferenceEngine(topology(shuffled));
      specs.forEach((spec, t) => {
        const p = { ...parsePacketSpec(spec), ts: BigInt(t) * 1_000_000_000n };
        const da = a.judge(p);
        const db = b.judge(p);
        assert.is(db.verdict, da.verdict, spec);
        assert.equal(db.hops.map((h) => [h.iface, h.dir, h.verdict, h.reason]), da.hops.map((h) => [h.iface, h.dir, h.verdict, h.reason]), spec);
      });
    }),
    propertyRuns(300),
  );
});

props('adding a rule of lower priority than the deciding rule never changes the decision', () => {
  let checked = 0;
  fc.assert(
    fc.property(
      topologyArb().chain((doc) =>
        fc.record({
          doc: fc.constant(doc),
          rule: ruleArb(doc.cloud, doc.securityGroups.map((g) => g.id), (doc.addressGroups ?? []).map((g) => g.id)),
          target: fc.nat({ max: doc.securityGroups.length - 1 }),
          spec: packetSpecArb(),
        }),
      ),
      ({ doc, rule, target, spec }) => {
        const before = new ReferenceEngine(topology(doc));
        const packet = parsePacketSpec(spec);
        const d1 = before.judge(packet);
        const targetId = doc.securityGroups[target]!.id;
        const lowest = doc.cloud === 'aliyun' ? 110 : doc.cloud === 'huawei' ? 100 : 1000;
        // The added rule must rank below the deciding rule of every hop it could take part in.
        for (const h of d1.hops) {
          const iface = before.index.interfaces.get(h.iface)!;
          if (!iface.groups.includes(targetId) || h.dir !== rule.direction) continue;
          if (h.reason === 'intra-group' || h.reason === 'established' || h.reason === 'related' || h.reason === 'fragment') continue;
          if (h.reason !== 'rule') return; // a default could be overturned by any rule: not this property
          const decider = before.index.groups.get(h.group!)!.rules.find((r) => r.id === h.rule)!;
          if (decider.priority >= lowest) return;
          if (doc.cloud === 'huawei' && iface.groups.indexOf(targetId) < iface.groups.indexOf(h.group!)) return;
        }
        const added: NativeTopology = {
          ...doc,
          securityGroups: doc.securityGroups.map((g, i) =>
            i === target ? { ...g, rules: [...g.rules, { ...rule, id: 'added', priority: lowest }] } : g,
          ),
        };
        const d2 = new ReferenceEngine(topology(added)).judge(packet);
        assert.equal(d2, d1, spec);
        checked++;
      },
    ),
    propertyRuns(300),
  );
  assert.ok(checked > RUNS / 4, `too few cases met the precondition (${checked})`);
});

props.run();
