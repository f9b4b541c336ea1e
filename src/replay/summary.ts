/**
 * The replay summary: counts by verdict, deciding reason and interface, hits
 * per rule (and the rules never hit), conntrack peaks and drops, made from a
 * Tally (decision-record.ts: the WASM engine's own counters, or §9 decision
 * objects tallied one by one for the reference engine; per-worker tallies merge).
 */
import type { CompiledTable } from '../compile/compile.js';
import type { Topology } from '../model/topology.js';
import { HOP_REASONS, PACKET_REASONS, TALLY, type Tally } from './decision-record.js';

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
    if (t.reasons[TALLY.HOP_BASE + i]) reasons[r] = t.reasons[TALLY.HOP_BASE + i]!;
  });
  const interfaces: Record<string, InterfaceCounts> = {};
  topology.interfaces.forEach((iface, i) => {
    interfaces[iface.id] = {
      ingress: { allow: t.ifaces[i * TALLY.IFACE_COUNTERS]!, deny: t.ifaces[i * TALLY.IFACE_COUNTERS + 1]! },
      egress: { allow: t.ifaces[i * TALLY.IFACE_COUNTERS + 2]!, deny: t.ifaces[i * TALLY.IFACE_COUNTERS + 3]! },
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
