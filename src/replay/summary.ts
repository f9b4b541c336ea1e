/**
 * The replay summary: counts by verdict, deciding reason and interface, hits
 * per rule (and the rules never hit), conntrack peaks and drops. Built by an
 * accumulator fed either the WASM engine's decision records (the fast path,
 * no object per packet) or §9 decision objects (the reference engine); the
 * per-worker accumulators merge.
 */
import type { CompiledTable } from '../compile/compile.js';
import type { Decision } from '../model/decision.js';
import type { Topology } from '../model/topology.js';
import { HOP_REASONS, PACKET_REASONS } from './wasm-engine.js';

export interface InterfaceCounts {
  ingress: { allow: number; deny: number };
  egress: { allow: number; deny: number };
}

export interface RuleHits {
  group: string;
  rule: string;
  hits: number;
}

export interface ReplaySummary {
  file: string;
  engine: 'wasm' | 'reference';
  workers: number;
  packets: number;
  verdicts: { allow: number; deny: number };
  /** What decided each packet: its top-level reason, or its last hop's reason. */
  reasons: Record<string, number>;
  interfaces: Record<string, InterfaceCounts>;
  /** Hits of every rule, in topology order (hits counted per hop a rule decided). */
  rules: RuleHits[];
  /** The rules no packet hit ("group/rule"). */
  rulesNeverHit: string[];
  conntrack: { peak: Record<string, number>; full: number; fragmentsNotRemembered: number };
  capture: { format: string; bytes: number; bytesRead: number; bytesUnread: number; error?: { code: string; offset: number; message: string } };
  /** Wall-clock measurements (reporting only; decisions never depend on them). */
  seconds: number;
  packetsPerSecond: number;
  /** The slowest worker's streaming-and-judging time, without start-up (WASM engine only). */
  loopSeconds?: number;
}

/** Counts that merge across workers (plain numbers and arrays, structured-clone friendly). */
export interface Tally {
  packets: number;
  allow: number;
  deny: number;
  /** Index: packet reasons 1-4 then hop reasons (HOP_REASONS) at 8+ (as assembly/engine.ts counts them). */
  reasons: number[];
  /** Per interface: [in-allow, in-deny, out-allow, out-deny]. */
  ifaces: number[];
  /** Per list: hits per position. */
  listHits: number[][];
}

const HOP_BASE = 8;

export function newTally(nIfaces: number, compiled: CompiledTable): Tally {
  return {
    packets: 0,
    allow: 0,
    deny: 0,
    reasons: new Array(16).fill(0),
    ifaces: new Array(nIfaces * 4).fill(0),
    listHits: compiled.meta.lists.map((l) => new Array(l.rules.length).fill(0)),
  };
}

/** Slow path: add one §9 decision (the reference engine). */
export function tallyDecision(t: Tally, d: Decision, ifaceIndex: Map<string, number>, listOfHop: (iface: number, dir: number) => number, rulePos: (list: number, group: string, rule: string) => number): void {
  t.packets++;
  if (d.verdict === 'allow') t.allow++;
  else t.deny++;
  if (d.reason) {
    t.reasons[PACKET_REASONS.indexOf(d.reason)]!++;
    return;
  }
  let last = 0;
  for (const h of d.hops) {
    const iface = ifaceIndex.get(h.iface)!;
    const dir = h.dir === 'ingress' ? 0 : 1;
    t.ifaces[iface * 4 + dir * 2 + (h.verdict === 'allow' ? 0 : 1)]!++;
    last = HOP_REASONS.indexOf(h.reason);
    if (h.reason === 'rule') {
      const list = listOfHop(iface, dir);
      t.listHits[list]![rulePos(list, h.group!, h.rule!)]!++;
    }
  }
  t.reasons[HOP_BASE + last]!++;
}

export function mergeTallies(into: Tally, from: Tally): void {
  into.packets += from.packets;
  into.allow += from.allow;
  into.deny += from.deny;
  from.reasons.forEach((v, i) => (into.reasons[i]! += v));
  from.ifaces.forEach((v, i) => (into.ifaces[i]! += v));
  from.listHits.forEach((l, li) => l.forEach((v, p) => (into.listHits[li]![p]! += v)));
}

/** The list a hop at (interface index, direction 0 ingress / 1 egress) uses. */
export function hopLists(topology: Topology, compiled: CompiledTable): (iface: number, dir: number) => number {
  const key = (d: string, groups: string[]) => `${d}\u0000${groups.join('\u0000')}`;
  const byKey = new Map(compiled.meta.lists.map((l, i) => [key(l.direction, l.groups), i] as const));
  const table = new Int32Array(topology.interfaces.length * 2).fill(-1);
  topology.interfaces.forEach((iface, i) => {
    table[i * 2] = byKey.get(key('ingress', iface.groups)) ?? -1;
    table[i * 2 + 1] = byKey.get(key('egress', iface.groups)) ?? -1;
  });
  return (iface, dir) => table[iface * 2 + dir]!;
}

/** Turn a tally into the summary's counts. */
export function summarize(
  t: Tally,
  topology: Topology,
  compiled: CompiledTable,
  base: Pick<ReplaySummary, 'file' | 'engine' | 'workers' | 'conntrack' | 'capture' | 'seconds'>,
): ReplaySummary {
  const reasons: Record<string, number> = {};
  PACKET_REASONS.forEach((r, i) => {
    if (r && t.reasons[i]) reasons[r] = t.reasons[i]!;
  });
  HOP_REASONS.forEach((r, i) => {
    if (t.reasons[HOP_BASE + i]) reasons[r] = t.reasons[HOP_BASE + i]!;
  });
  const interfaces: Record<string, InterfaceCounts> = {};
  topology.interfaces.forEach((iface, i) => {
    interfaces[iface.id] = {
      ingress: { allow: t.ifaces[i * 4]!, deny: t.ifaces[i * 4 + 1]! },
      egress: { allow: t.ifaces[i * 4 + 2]!, deny: t.ifaces[i * 4 + 3]! },
    };
  });
  // A rule may sit in several lists (interfaces with other group sets): add them up.
  const hits = new Map<string, number>();
  compiled.meta.lists.forEach((l, li) => l.rules.forEach(([g, r], pos) => {
    const k = `${g}/${r}`;
    hits.set(k, (hits.get(k) ?? 0) + t.listHits[li]![pos]!);
  }));
  const rules: RuleHits[] = [];
  const never: string[] = [];
  for (const g of topology.securityGroups) {
    for (const r of g.rules) {
      const n = hits.get(`${g.id}/${r.id}`) ?? 0;
      rules.push({ group: g.id, rule: r.id, hits: n });
      if (n === 0) never.push(`${g.id}/${r.id}`);
    }
  }
  return {
    file: base.file,
    engine: base.engine,
    workers: base.workers,
    packets: t.packets,
    verdicts: { allow: t.allow, deny: t.deny },
    reasons,
    interfaces,
    rules,
    rulesNeverHit: never,
    conntrack: base.conntrack,
    capture: base.capture,
    seconds: base.seconds,
    packetsPerSecond: base.seconds > 0 ? t.packets / base.seconds : 0,
  };
}
