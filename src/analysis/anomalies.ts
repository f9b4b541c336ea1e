/**
 * Rule anomalies (SEMANTICS §7 "Anomalies"), exact, per interface and
 * direction, over the effective list of effective.ts. For each custom rule R
 * of a hop, with M(R) its match space at that hop (both families):
 *
 *  - empty: M(R) is empty;
 *  - shadowed: M(R) is not empty and every packet of it matches an earlier
 *    entry (the union of the earlier entries covers it); the report names the
 *    earlier entries that decide some packet of M(R) and whether any of them
 *    has another action;
 *  - redundant: not shadowed, and for every packet that R decides, the entry
 *    that would decide it without R (a later rule or the default) has R's
 *    action — removing R changes no decision;
 *  - generalization (info): R is not shadowed and contains the whole match
 *    space of an earlier rule with another action (that rule is an exception
 *    to R);
 *  - correlation (info): R is not shadowed and partially overlaps an earlier
 *    rule with another action (neither contains the other).
 *
 * Every non-shadowed, non-empty rule gets a witness: a packet for which it is
 * the first match (its hop's verdict is R's).
 */
import type { Family } from '../model/packet.js';
import { indexTopology, type Action, type Direction, type Topology, type TopologyIndex } from '../model/topology.js';
import { buildHop, type Entry, type HopModel } from './effective.js';
import { DEFAULT_SPLIT_BUDGET, firstMatch, regionsOverlap, splitBudget, SplitBudgetExceeded } from './space.js';
import { readableRemote, witnessOf, type Witness } from './witness.js';
import { ApiUsageError } from '../model/errors.js';

/** An entry of the effective list, as reports name it. */
export type EntryJson =
  | { group: string; rule: string; action: Action; priority: number }
  | { invisible: 'intra-group'; groups: string[]; action: 'allow' }
  | { invisible: 'default'; action: Action };

export type RuleStatus = 'reachable' | 'shadowed' | 'empty' | 'unknown';

export interface RuleAnalysis {
  iface: string;
  direction: Direction;
  group: string;
  rule: string;
  action: Action;
  priority: number;
  status: RuleStatus;
  /** reachable: a packet for which this rule is the first match. */
  witness?: Witness;
  /** shadowed: the earlier entries that decide the packets of its match space. */
  coveredBy?: EntryJson[];
  /** shadowed: some covering entry has another action. */
  differentAction?: boolean;
  /** reachable: removing it changes no decision. */
  redundant?: boolean;
  /** redundant: the entries that take its packets over (all with its action). */
  takenOverBy?: EntryJson[];
  /** reachable and not redundant: a packet whose verdict changes if the rule is removed. */
  removalWitness?: Witness;
  generalizes?: EntryJson[];
  correlates?: EntryJson[];
  /** empty: why, per family. */
  emptyReason?: string;
  /** unknown: why the split gave up. */
  unknownReason?: string;
}

export interface HopAnalysis {
  iface: string;
  direction: Direction;
  rules: RuleAnalysis[];
}

interface FamilyResult {
  status: RuleStatus;
  witness?: Witness;
  cover: Set<number>;
  redundant?: boolean;
  takenOver: Set<number>;
  removalWitness?: Witness;
  generalizes: Set<number>;
  correlates: Set<number>;
  emptyReason?: string;
}

export interface AnalyzeOptions {
  /** Pieces the splits of one hop and family may visit in all (space.ts DEFAULT_SPLIT_BUDGET); rules left when it runs out are `unknown`. */
  budget?: number;
}

export function entryJson(e: Entry | undefined, hop: HopModel): EntryJson {
  if (!e) return { invisible: 'default', action: hop.defaultAction };
  if (e.ref.kind === 'intra-group') return { invisible: 'intra-group', groups: e.ref.groups, action: 'allow' };
  return { group: e.ref.group.id, rule: e.ref.rule.id, action: e.ref.rule.action, priority: e.ref.rule.priority };
}

function analyzeFamily(hop: HopModel, index: TopologyIndex, total: number | undefined): Map<number, FamilyResult> {
  const budget = splitBudget(total);
  const out = new Map<number, FamilyResult>();
  const { list, entries } = hop;
  entries.forEach((entry, i) => {
    if (entry.ref.kind !== 'rule') return;
    const r: FamilyResult = { status: 'empty', cover: new Set(), takenOver: new Set(), generalizes: new Set(), correlates: new Set() };
    out.set(i, r);
    if (entry.cells.length === 0) {
      r.emptyReason = entry.intrinsicEmpty ?? (hop.universe.length === 0
        ? `the interface has no IPv${hop.family} address`
        : `it matches no IPv${hop.family} packet this interface can send or receive`);
      return;
    }
    try {
      // Shadowing: split each box of the rule by the earlier boxes; an uncovered piece is a witness.
      // The first uncovered piece decides; among the first few, prefer one whose witness reads well.
      const found: { uncovered: Int32Array | null; removal: Int32Array | null } = { uncovered: null, removal: null };
      let seen = 0;
      let good = false;
      for (let b = entry.start; b < entry.end && !good; b++) {
        firstMatch(list, entry.cells[b - entry.start]!, (piece, e) => {
          if (e >= 0) { r.cover.add(e); return false; }
          if (!found.uncovered) found.uncovered = piece;
          if (readableRemote(hop, piece, index)) { found.uncovered = piece; good = true; }
          return good || ++seen >= 8;
        }, 0, entry.start, budget);
        if (seen >= 8) break;
      }
      if (!found.uncovered) { r.status = 'shadowed'; return; }
      r.status = 'reachable';
      r.cover.clear();
      r.witness = witnessOf(hop, found.uncovered, index).witness;
      // Redundancy: where the rule decides, who would decide without it?
      for (let b = entry.start; b < entry.end && !found.removal; b++) {
        firstMatch(list, entry.cells[b - entry.start]!, (piece, e) => {
          if (e >= 0) return false; // an earlier entry decides here
          return firstMatch(list, piece, (p2, e2) => {
            const action = e2 < 0 ? hop.defaultAction : entries[e2]!.action;
            if (action !== entry.action) { found.removal = p2; return true; }
            r.takenOver.add(e2);
            return false;
          }, entry.end, list.n, budget);
        }, 0, entry.start, budget);
      }
      r.redundant = found.removal === null;
      if (found.removal) r.removalWitness = witnessOf(hop, found.removal, index).witness;
      // Generalization and correlation against earlier rules with another action.
      for (let e = 0; e < i; e++) {
        const other = entries[e]!;
        if (other.ref.kind !== 'rule' || other.action === entry.action || other.cells.length === 0) continue;
        const overlap = other.cells.some((oc) => entry.cells.some((c) => regionsOverlap(oc, c)));
        if (!overlap) continue;
        let subset = true;
        for (const oc of other.cells) {
          if (firstMatch(list, oc, (_p, x) => x < 0, entry.start, entry.end, budget)) { subset = false; break; }
        }
        (subset ? r.generalizes : r.correlates).add(e);
      }
    } catch (err) {
      if (!(err instanceof SplitBudgetExceeded)) throw err;
      r.status = 'unknown';
    }
  });
  return out;
}

/** Analyse one interface and direction (both families). */
export function analyzeHop(index: TopologyIndex, ifaceId: string, direction: Direction, options: AnalyzeOptions = {}): HopAnalysis {
  const iface = index.interfaces.get(ifaceId);
  if (!iface) throw new ApiUsageError(`sgfilter analysis: no interface "${ifaceId}"`);
  const families: Family[] = [4, 6];
  const hops = families.map((f) => buildHop(index, iface, direction, f));
  const results = hops.map((h) => analyzeFamily(h, index, options.budget));
  const rules: RuleAnalysis[] = [];
  // Entries are the same rules in the same order in both families.
  hops[0]!.entries.forEach((entry, i) => {
    if (entry.ref.kind !== 'rule') return;
    const per = results.map((m) => m.get(i)!);
    const rule = entry.ref.rule;
    const a: RuleAnalysis = {
      iface: iface.id, direction, group: entry.ref.group.id, rule: rule.id, action: rule.action, priority: rule.priority,
      status: 'empty',
    };
    const names = (pick: (r: FamilyResult) => Set<number>): EntryJson[] => {
      const seen = new Map<string, EntryJson>();
      per.forEach((r, fi) => {
        for (const e of [...pick(r)].sort((x, y) => x - y)) {
          const j = entryJson(e < 0 ? undefined : hops[fi]!.entries[e], hops[fi]!);
          seen.set(JSON.stringify(j), j);
        }
      });
      return [...seen.values()];
    };
    const reachable = per.filter((r) => r.status === 'reachable');
    if (per.some((r) => r.status === 'unknown')) {
      a.status = 'unknown';
      a.unknownReason = `the exact analysis of this interface and direction exceeded its budget of ${options.budget ?? DEFAULT_SPLIT_BUDGET} region pieces before reaching this rule`;
    } else if (reachable.length > 0) {
      a.status = 'reachable';
      a.witness = reachable[0]!.witness!;
      a.redundant = reachable.every((r) => r.redundant === true);
      if (a.redundant) a.takenOverBy = names((r) => (r.status === 'reachable' ? r.takenOver : new Set()));
      else a.removalWitness = reachable.find((r) => r.removalWitness)!.removalWitness!;
      const gen = names((r) => r.generalizes);
      const cor = names((r) => r.correlates);
      if (gen.length) a.generalizes = gen;
      if (cor.length) a.correlates = cor;
    } else if (per.some((r) => r.status === 'shadowed')) {
      a.status = 'shadowed';
      a.coveredBy = names((r) => (r.status === 'shadowed' ? r.cover : new Set()));
      a.differentAction = a.coveredBy.some((c) => c.action !== rule.action);
    } else {
      a.status = 'empty';
      const reasons = per.map((r, fi) => `IPv${families[fi]}: ${r.emptyReason}`);
      a.emptyReason = reasons.join('; ');
    }
    rules.push(a);
  });
  return { iface: iface.id, direction, rules };
}

/**
 * Analyse every interface and direction of a topology, in topology order.
 * An interface with no address judges no packet (§2) and is skipped (e.g. the
 * abstract interface of a ClassBench set).
 */
export function analyzeTopology(topology: Topology, options: AnalyzeOptions = {}): HopAnalysis[] {
  const index = indexTopology(topology);
  const out: HopAnalysis[] = [];
  for (const iface of topology.interfaces) {
    if (iface.ips.length === 0) continue;
    for (const dir of ['ingress', 'egress'] as const) out.push(analyzeHop(index, iface.id, dir, options));
  }
  return out;
}
