/**
 * The WASM engine's outputs on the host: the decision record engineRun writes
 * per packet and the tally it keeps (layouts DECISION, HOP and TALLY, declared
 * in layout/layouts.json and drawn in src/wasm/layout.ts), the code tables
 * that turn their bytes into §9 words, the decoding, and the tally arithmetic
 * shared by both engines (the reference engine tallies §9 decision objects).
 *
 * Rule hops name their rule by position in the hop's list; the list of each
 * (interface, direction) is resolved once per compiled table (DecisionIndex),
 * not per hop.
 */
import type { CompiledTable } from '../compile/compile.js';
import type { Decision, Hop, HopReason, PacketReason } from '../model/decision.js';
import type { Topology } from '../model/topology.js';
import { DECISION, DIR, HOP, HOP_REASON, PACKET_REASON, TALLY, VERDICT } from '../wasm/layout.js';

export { DECISION, HOP, TALLY, VERDICT };

/** Verdict byte of a packet another shard owner judges. */
export const VERDICT_NOT_MINE = VERDICT.NOT_MINE;

/** §9 reason of each packet-reason code (PACKET_REASON); code HOPS (judged at interfaces) has none. */
const PACKET_REASON_WORDS: Record<Exclude<keyof typeof PACKET_REASON, 'HOPS'>, PacketReason> = {
  UNMANAGED: 'unmanaged',
  LOCAL: 'local',
  NON_IP: 'non-ip',
  MALFORMED: 'malformed',
};
/** §9 reason of each hop-reason code (HOP_REASON). */
const HOP_REASON_WORDS: Record<keyof typeof HOP_REASON, HopReason> = {
  ESTABLISHED: 'established',
  RELATED: 'related',
  INTRA_GROUP: 'intra-group',
  RULE: 'rule',
  DEFAULT: 'default',
  FRAGMENT: 'fragment',
  CONNTRACK_FULL: 'conntrack-full',
};

function byCode<K extends string, W>(codes: Record<K, number>, words: Partial<Record<K, W>>): (W | undefined)[] {
  const out: (W | undefined)[] = [];
  for (const k of Object.keys(codes) as K[]) out[codes[k]] = words[k];
  return Array.from(out); // holes -> undefined
}

/** Index: packet-reason code. */
export const PACKET_REASONS: readonly (PacketReason | undefined)[] = byCode(PACKET_REASON, PACKET_REASON_WORDS);
/** Index: hop-reason code. */
export const HOP_REASONS: readonly HopReason[] = byCode(HOP_REASON, HOP_REASON_WORDS) as HopReason[];

/**
 * Per compiled table: the list each (interface, direction) hop uses, and the
 * position of each rule in each list, computed once.
 */
export class DecisionIndex {
  /** [interface index × 2 + DIR.*]: the list, or -1 (no groups). */
  readonly lists: Int32Array;
  /** Topology interface id -> index. */
  readonly ifaceIndex: Map<string, number>;
  private positions: Map<string, number>[] | undefined;

  constructor(readonly topology: Topology, readonly compiled: CompiledTable) {
    // A list is named by its direction and group sequence (compile.ts builds them that way).
    const byKey = new Map(compiled.meta.lists.map((l, i) => [listKey(l.direction, l.groups), i] as const));
    this.lists = new Int32Array(topology.interfaces.length * 2).fill(-1);
    topology.interfaces.forEach((iface, i) => {
      this.lists[i * 2 + DIR.INGRESS] = byKey.get(listKey('ingress', iface.groups)) ?? -1;
      this.lists[i * 2 + DIR.EGRESS] = byKey.get(listKey('egress', iface.groups)) ?? -1;
    });
    this.ifaceIndex = new Map(topology.interfaces.map((x, i) => [x.id, i] as const));
  }

  /** The list of a hop at interface index `iface`, direction `dir` (DIR.*); -1: none. */
  listOf(iface: number, dir: number): number {
    return this.lists[iface * 2 + dir]!;
  }

  /** Position of rule (group, rule) in list `list`. */
  rulePosition(list: number, group: string, rule: string): number {
    this.positions ??= this.compiled.meta.lists.map((l) => new Map(l.rules.map(([g, r], pos) => [`${g}\u0000${r}`, pos] as const)));
    return this.positions[list]!.get(`${group}\u0000${rule}`)!;
  }
}

function listKey(dir: string, groups: readonly string[]): string {
  return `${dir}\u0000${groups.join('\u0000')}`;
}

const indexes = new WeakMap<CompiledTable, DecisionIndex>();

/** The DecisionIndex of a compiled table (made once per table and topology). */
export function decisionIndex(topology: Topology, compiled: CompiledTable): DecisionIndex {
  let x = indexes.get(compiled);
  if (!x || x.topology !== topology) {
    x = new DecisionIndex(topology, compiled);
    indexes.set(compiled, x);
  }
  return x;
}

/** The verdict byte of decision record `i` (VERDICT.*). */
export function decisionVerdict(dv: DataView, i: number): number {
  return dv.getUint8(i * DECISION.SIZE + DECISION.VERDICT);
}

/** Decision record `i` in `dv` -> §9 object (null for NOT_MINE). */
export function decodeDecision(dv: DataView, i: number, compiled: CompiledTable, topology: Topology): Decision | null {
  const at = i * DECISION.SIZE;
  const verdict = dv.getUint8(at + DECISION.VERDICT);
  if (verdict === VERDICT.NOT_MINE) return null;
  const reason = PACKET_REASONS[dv.getUint8(at + DECISION.REASON)];
  if (reason) return { verdict: verdict === VERDICT.ALLOW ? 'allow' : 'deny', reason, hops: [] };
  const d: Decision = { verdict: verdict === VERDICT.ALLOW ? 'allow' : 'deny', hops: [] };
  const nh = dv.getUint8(at + DECISION.NHOPS);
  let index: DecisionIndex | undefined;
  for (let k = 0; k < nh; k++) {
    const h = at + DECISION.HOP0 + k * HOP.SIZE;
    const ifaceNo = dv.getUint32(h + HOP.IFACE, true);
    const dirCode = dv.getUint8(h + HOP.DIR);
    const hop: Hop = {
      iface: topology.interfaces[ifaceNo]!.id,
      dir: dirCode === DIR.INGRESS ? 'ingress' : 'egress',
      verdict: dv.getUint8(h + HOP.VERDICT) === VERDICT.ALLOW ? 'allow' : 'deny',
      reason: HOP_REASONS[dv.getUint8(h + HOP.REASON)]!,
    };
    const pos = dv.getInt32(h + HOP.RULE, true);
    if (hop.reason === 'rule' && pos >= 0) {
      index ??= decisionIndex(topology, compiled);
      const [group, rule] = compiled.meta.lists[index.listOf(ifaceNo, dirCode === DIR.INGRESS ? DIR.INGRESS : DIR.EGRESS)]!.rules[pos]!;
      hop.group = group;
      hop.rule = rule;
    }
    d.hops.push(hop);
  }
  return d;
}

/** Counts that merge across workers (plain numbers and arrays, structured-clone friendly). */
export interface Tally {
  packets: number;
  allow: number;
  deny: number;
  /** Index: packet-reason codes, then hop-reason codes at TALLY.HOP_BASE + (as assembly/engine.ts counts them). */
  reasons: number[];
  /** Per interface: [in-allow, in-deny, out-allow, out-deny]. */
  ifaces: number[];
  /** Per list: hits per position. */
  listHits: number[][];
}

export function newTally(nIfaces: number, compiled: CompiledTable): Tally {
  return {
    packets: 0,
    allow: 0,
    deny: 0,
    reasons: new Array(TALLY.N_REASONS).fill(0),
    ifaces: new Array(nIfaces * TALLY.IFACE_COUNTERS).fill(0),
    listHits: compiled.meta.lists.map((l) => new Array(l.rules.length).fill(0)),
  };
}

/** The engine's tally region for a topology: its size and, per list, the byte offset of its hit counters. */
export function tallyRegion(nIfaces: number, compiled: CompiledTable): { bytes: number; hitOffsets: number[] } {
  const hitOffsets: number[] = [];
  let bytes = TALLY.IFACES + Math.max(1, nIfaces) * TALLY.IFACE_COUNTERS * 8;
  for (const l of compiled.meta.lists) {
    hitOffsets.push(bytes);
    bytes += l.rules.length * 8;
  }
  return { bytes, hitOffsets };
}

/** Read the engine's tally region at `ptr` (laid out by tallyRegion). */
export function readTally(dv: DataView, ptr: number, nIfaces: number, compiled: CompiledTable, hitOffsets: readonly number[]): Tally {
  const n = (off: number) => Number(dv.getBigUint64(ptr + off, true));
  const reasons = Array.from({ length: TALLY.N_REASONS }, (_, i) => n(TALLY.REASONS + i * 8));
  const ifaces = Array.from({ length: nIfaces * TALLY.IFACE_COUNTERS }, (_, i) => n(TALLY.IFACES + i * 8));
  const listHits = compiled.meta.lists.map((l, li) => Array.from({ length: l.rules.length }, (_, pos) => n(hitOffsets[li]! + pos * 8)));
  return { packets: n(TALLY.PACKETS), allow: n(TALLY.ALLOW), deny: n(TALLY.DENY), reasons, ifaces, listHits };
}

/** Slow path: add one §9 decision (the reference engine). */
export function tallyDecision(t: Tally, d: Decision, index: DecisionIndex): void {
  t.packets++;
  if (d.verdict === 'allow') t.allow++;
  else t.deny++;
  if (d.reason) {
    t.reasons[PACKET_REASONS.indexOf(d.reason)]!++;
    return;
  }
  let last = 0;
  for (const h of d.hops) {
    const iface = index.ifaceIndex.get(h.iface)!;
    const dir = h.dir === 'ingress' ? DIR.INGRESS : DIR.EGRESS;
    t.ifaces[iface * TALLY.IFACE_COUNTERS + dir * 2 + (h.verdict === 'allow' ? 0 : 1)]!++;
    last = HOP_REASONS.indexOf(h.reason);
    if (h.reason === 'rule') {
      const list = index.listOf(iface, dir);
      t.listHits[list]![index.rulePosition(list, h.group!, h.rule!)]!++;
    }
  }
  t.reasons[TALLY.HOP_BASE + last]!++;
}

export function mergeTallies(into: Tally, from: Tally): void {
  into.packets += from.packets;
  into.allow += from.allow;
  into.deny += from.deny;
  from.reasons.forEach((v, i) => (into.reasons[i]! += v));
  from.ifaces.forEach((v, i) => (into.ifaces[i]! += v));
  from.listHits.forEach((l, li) => l.forEach((v, p) => (into.listHits[li]![p]! += v)));
}
