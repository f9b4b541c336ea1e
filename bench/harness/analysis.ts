/**
 * Section "analysis": how long the exact rule analysis takes (the anomaly
 * lint of `check`, and `exposure`) on the largest fixture and on generated
 * topologies at the clouds' limits (SEMANTICS §7):
 *  - aliyun-limit: one interface in 10 basic groups of 100 rules each (the
 *    1,000 rules per interface limit), rules drawn from overlapping pools of
 *    CIDRs, ports and protocols, some referencing the other groups;
 *  - huawei-limit: one interface in 5 groups (the recommended maximum) of 120
 *    rules each that all reference a group or an address group (the
 *    120-per-direction-and-family limit on such rules).
 * Goal: under a second each. Timed as repeated runs (median of `repeat`).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeTopology } from '../../src/analysis/anomalies.js';
import { exposure } from '../../src/analysis/exposure.js';
import { Prng } from '../../src/gen/prng.js';
import type { Topology } from '../../src/model/topology.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { parseNativeTopology, type NativeRule, type NativeTopology } from '../../src/parse/native.js';
import type { AnalysisInfo } from '../report/schema.js';
import type { RunContext } from './context.js';
import { InternalError } from '../../src/model/errors.js';
import { durationFigure } from './stats.js';

export const ANALYSIS_STEPS = 3;

const V4_POOL = ['0.0.0.0/0', '10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '192.0.2.0/24', '198.51.100.0/25', '203.0.113.0/24', '172.16.0.0/12', '100.64.0.0/10'];
const PORT_POOL = ['22', '80', '443', '80,443', '1-1024', '3306', '5432', '6379', '8000-8100', '9100', '30000-32767', '53'];

function randomRule(rng: Prng, i: number, refs: { groups: string[]; addressGroups: string[] }, onlyRefs: boolean): NativeRule {
  const protos = ['tcp', 'tcp', 'tcp', 'udp', 'icmp', 'all'];
  const protocol = protos[rng.int(protos.length)]!;
  const r: NativeRule = {
    id: `r${i}`,
    direction: rng.chance(0.75) ? 'ingress' : 'egress',
    action: rng.chance(0.8) ? 'allow' : 'deny',
    priority: 1 + rng.int(100),
    protocol,
  };
  if (protocol === 'tcp' || protocol === 'udp') r.ports = PORT_POOL[rng.int(PORT_POOL.length)]!;
  const kind = onlyRefs ? (rng.chance(0.5) ? 'group' : 'addressGroup') : rng.chance(0.05) && refs.groups.length ? 'group' : 'cidr';
  if (kind === 'group') r.remote = { group: refs.groups[rng.int(refs.groups.length)]! };
  else if (kind === 'addressGroup') r.remote = { addressGroup: refs.addressGroups[rng.int(refs.addressGroups.length)]! };
  else r.remote = V4_POOL[rng.int(V4_POOL.length)]!;
  if (protocol !== 'icmp' && r.remote && typeof r.remote !== 'string') r.ethertype = 'ipv4';
  return r;
}

/** Alibaba: 10 groups × 100 rules on one interface; each group also has one member of its own. */
export function aliyunLimitTopology(seed = 1): Topology {
  const rng = new Prng(seed);
  const groups = Array.from({ length: 10 }, (_, g) => `sg-${g}`);
  const doc: NativeTopology = {
    cloud: 'aliyun',
    securityGroups: groups.map((id, g) => ({ id, rules: Array.from({ length: 100 }, (_, i) => randomRule(rng, g * 100 + i, { groups, addressGroups: [] }, false)) })),
    interfaces: [
      { id: 'eni-big', ips: ['10.1.2.3'], groups },
      ...groups.map((id, g) => ({ id: `eni-${g}`, ips: [`10.1.3.${g + 1}`], groups: [id] })),
    ],
  };
  // Alibaba: at most 20 group-reference rules per basic group (seed 001).
  for (const g of doc.securityGroups) {
    let n = 0;
    for (const r of g.rules) if (typeof r.remote === 'object' && r.remote && 'group' in r.remote && ++n > 20) r.remote = '10.0.0.0/8';
  }
  return parse(doc);
}

/** Huawei: 5 groups × 120 rules that all reference a group or an address group, on one interface. */
export function huaweiLimitTopology(seed = 2): Topology {
  const rng = new Prng(seed);
  const groups = Array.from({ length: 5 }, (_, g) => `sg-${g}`);
  const addressGroups = Array.from({ length: 10 }, (_, a) => `ag-${a}`);
  const doc: NativeTopology = {
    cloud: 'huawei',
    addressGroups: addressGroups.map((id) => ({ id, cidrs: Array.from({ length: 5 }, () => V4_POOL[1 + rng.int(V4_POOL.length - 1)]!).filter((c, i, a) => a.indexOf(c) === i) })),
    securityGroups: groups.map((id, g) => ({
      id,
      rules: Array.from({ length: 120 }, (_, i) => {
        const r = randomRule(rng, g * 120 + i, { groups, addressGroups }, true);
        r.direction = i % 2 === 0 ? 'ingress' : 'egress';
        return r;
      }),
    })),
    interfaces: [
      { id: 'port-big', ips: ['10.1.2.3'], groups },
      ...groups.map((id, g) => ({ id: `port-${g}`, ips: [`10.1.3.${g + 1}`, `10.1.4.${g + 1}`], groups: [id] })),
    ],
  };
  return parse(doc);
}

function parse(doc: NativeTopology): Topology {
  const r = parseNativeTopology(doc);
  if (!r.topology) throw new InternalError(`bench analysis: a generated topology is invalid: ${r.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return r.topology;
}

function largestFixture(root: string): { name: string; topology: Topology } {
  const dir = join(root, 'fixtures');
  const files = [
    ...readdirSync(dir).filter((x) => x.endsWith('.json')).sort(),
    ...readdirSync(join(dir, 'captures')).filter((x) => x.endsWith('.topology.json')).sort().map((x) => join('captures', x)),
  ];
  let best: { name: string; topology: Topology; rules: number } | null = null;
  for (const f of files) {
    const t = loadTopologyFile(join(dir, f)).topology;
    const rules = t.securityGroups.reduce((n, g) => n + g.rules.length, 0);
    if (!best || rules > best.rules) best = { name: f, topology: t, rules };
  }
  return best!;
}

function time(fn: () => void, repeat: number): number[] {
  fn(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
}

export async function runAnalysis(ctx: RunContext): Promise<AnalysisInfo> {
  const repeat = ctx.params.analysis.repeat;
  const fixture = largestFixture(ctx.root);
  const subjects: { id: string; subject: string; topology: Topology }[] = [
    { id: 'fixture', subject: `fixture ${fixture.name}`, topology: fixture.topology },
    { id: 'aliyun-limit', subject: 'aliyun: 1,000 rules on one interface in 10 groups', topology: aliyunLimitTopology() },
    { id: 'huawei-limit', subject: 'huawei: 5 groups x 120 reference rules on one interface', topology: huaweiLimitTopology() },
  ];
  const info: AnalysisInfo = [];
  for (const s of subjects) {
    ctx.progress.step(`analysis: ${s.subject}`);
    const t = s.topology;
    const maxRules = Math.max(...t.interfaces.map((i) => i.groups.reduce((n, g) => n + (t.securityGroups.find((x) => x.id === g)?.rules.length ?? 0), 0)));
    let hops = 0;
    let findings = 0;
    const lint = time(() => {
      const a = analyzeTopology(t);
      hops = a.length;
      findings = a.reduce((n, h) => n + h.rules.filter((r) => r.status !== 'reachable' || r.redundant).length, 0);
    }, repeat);
    const exp = time(() => { exposure(t); }, repeat);
    ctx.figures.push(durationFigure({ id: `analysis/${s.id}/lint`, section: 'analysis', subject: s.subject, label: 'anomaly lint (check)', method: 'repeated-runs' }, lint));
    ctx.figures.push(durationFigure({ id: `analysis/${s.id}/exposure`, section: 'analysis', subject: s.subject, label: 'exposure', method: 'repeated-runs' }, exp));
    info.push({ id: s.id, subject: s.subject, interfaces: t.interfaces.length, maxRulesPerInterface: maxRules, hops, flaggedRules: findings });
  }
  return info;
}
