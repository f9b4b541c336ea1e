/**
 * Change impact (`sgfilter diff OLD NEW`).
 *
 * Structural: per interface (by id, present in both), direction and family,
 * the header-space regions whose hop verdict differs between OLD and NEW —
 * the region split of OLD's effective list refined by NEW's (space.ts over
 * one shared coordinate space) — grouped by (old decider, new decider), each
 * group with its protocols/ports, its remote addresses and a witness packet.
 * The regions are those of NEW's interface (its own addresses; remote: any
 * address it does not own). `scope` marks which changes were intended: a
 * change outside every scope entry is reported apart.
 *
 * With a capture: both topologies judge the same capture (the WASM engine,
 * replay/filter.ts) and every flow with a packet whose verdict changes is
 * listed with its first such packet and both deciders.
 */
import { mergeRanges } from './space.js';
import { readFileSync } from 'node:fs';
import { formatAddress, parseCidr } from '../model/address.js';
import type { Decision } from '../model/decision.js';
import type { Family } from '../model/packet.js';
import { PROTO } from '../model/packet.js';
import { indexTopology, type Action, type Direction, type Topology, type TopologyIndex } from '../model/topology.js';
import { decodeFrame } from '../pcap/decode.js';
import { CaptureReader } from '../pcap/reader.js';
import { createFilter } from '../replay/filter.js';
import { entryJson, type EntryJson } from './anomalies.js';
import { buildHop, hopEntries, universeBoxes, type HopModel } from './effective.js';
import { ownedAddresses, summarizeSources } from './exposure.js';
import { entryName, rulePath, type Finding } from './findings.js';
import { BoxList, DIM, firstMatch, fullBounds, splitBudget, type RawBox } from './space.js';
import { readableRemote, witnessOf } from './witness.js';
import { InternalError, SgfError } from '../model/errors.js';

type Ranges = [bigint, bigint][];

/** One scope entry: the changes it covers. Omitted fields match anything. */
export interface ScopeSpec {
  iface?: string;
  direction?: Direction;
  family?: Family;
  /** IP protocol number. */
  proto?: number;
  ports?: [number, number][];
  /** Remote CIDR. */
  remote?: { family: Family; lo: bigint; hi: bigint };
  text: string;
}

export class ScopeError extends SgfError {
  readonly code = 'SGF_SCOPE_BAD_SPEC';
  constructor(readonly spec: string, detail: string) {
    super(`bad --scope ${JSON.stringify(spec)}: ${detail} (expected comma-separated key=value: iface=ID, dir=ingress|egress, family=4|6, proto=tcp|udp|icmp|icmpv6|gre|N, ports=P[-Q][;…], remote=CIDR)`);
  }
}

const PROTO_NAMES: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58, gre: 47 };

export function parseScope(text: string): ScopeSpec {
  const s: ScopeSpec = { text };
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p)) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new ScopeError(text, `${JSON.stringify(part)} is not key=value`);
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    switch (k) {
      case 'iface': s.iface = v; break;
      case 'dir':
        if (v !== 'ingress' && v !== 'egress') throw new ScopeError(text, `dir must be ingress or egress, got ${JSON.stringify(v)}`);
        s.direction = v;
        break;
      case 'family':
        if (v !== '4' && v !== '6') throw new ScopeError(text, `family must be 4 or 6, got ${JSON.stringify(v)}`);
        s.family = Number(v) as Family;
        break;
      case 'proto': {
        const n = PROTO_NAMES[v.toLowerCase()] ?? (/^\d{1,3}$/.test(v) && Number(v) <= 255 ? Number(v) : undefined);
        if (n === undefined) throw new ScopeError(text, `unknown protocol ${JSON.stringify(v)}`);
        s.proto = n;
        break;
      }
      case 'ports':
        s.ports = v.split(';').map((r) => {
          const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(r.trim());
          const lo = m ? Number(m[1]) : NaN;
          const hi = m ? Number(m[2] ?? m[1]) : NaN;
          if (!m || lo > hi || hi > 65535) throw new ScopeError(text, `bad port range ${JSON.stringify(r)}`);
          return [lo, hi] as [number, number];
        });
        break;
      case 'remote': {
        const c = parseCidr(v);
        if (!c.ok || c.hostBitsSet) throw new ScopeError(text, `bad CIDR ${JSON.stringify(v)}`);
        const bits = c.cidr.family === 4 ? 32 : 128;
        const hostMask = (1n << BigInt(bits - c.cidr.prefix)) - 1n;
        s.remote = { family: c.cidr.family, lo: c.cidr.network, hi: c.cidr.network | hostMask };
        break;
      }
      default:
        throw new ScopeError(text, `unknown key ${JSON.stringify(k)}`);
    }
  }
  if (s.ports && s.proto !== PROTO.TCP && s.proto !== PROTO.UDP) throw new ScopeError(text, 'ports need proto=tcp or proto=udp');
  return s;
}

function scopeBoxes(scopes: readonly ScopeSpec[], iface: string, direction: Direction, family: Family): RawBox[] {
  const [flo, fhi] = fullBounds(family);
  const out: RawBox[] = [];
  for (const s of scopes) {
    if ((s.iface && s.iface !== iface) || (s.direction && s.direction !== direction) || (s.family && s.family !== family)) continue;
    if (s.remote && s.remote.family !== family) continue;
    const lo = [...flo];
    const hi = [...fhi];
    if (s.remote) { lo[DIM.REMOTE] = s.remote.lo; hi[DIM.REMOTE] = s.remote.hi; }
    if (s.proto !== undefined) { lo[DIM.PROTO] = BigInt(s.proto); hi[DIM.PROTO] = BigInt(s.proto); }
    for (const [pl, ph] of s.ports ?? [[0, 65535]]) {
      const l = [...lo];
      const h = [...hi];
      l[DIM.DPORT] = BigInt(pl);
      h[DIM.DPORT] = BigInt(ph);
      out.push({ lo: l, hi: h });
    }
  }
  return out;
}

export interface RegionChange {
  iface: string;
  direction: Direction;
  family: Family;
  change: 'newly-allowed' | 'newly-denied';
  old: EntryJson;
  new: EntryJson;
  inScope: boolean;
  /** e.g. "tcp 8080; udp 53" or "protocols 0-5,7-16,18-255". */
  traffic: string;
  /** Remote addresses as CIDR blocks (at most 8; `moreRemotes` counts the rest). */
  remotes: string[];
  moreRemotes?: number;
  witness: string;
}

export interface StructuralDiff {
  changes: RegionChange[];
  addedInterfaces: string[];
  removedInterfaces: string[];
}


function fmt(rs: Ranges, full: [bigint, bigint]): string {
  if (rs.length === 1 && rs[0]![0] === full[0] && rs[0]![1] === full[1]) return 'all ports';
  return rs.map(([l, h]) => (l === h ? `${l}` : `${l}-${h}`)).join(',');
}

interface Group {
  change: RegionChange;
  tcp: Ranges;
  udp: Ranges;
  other: Ranges;
  remotes: Ranges;
  readable: boolean;
}

function hopPair(oldIx: TopologyIndex, newIx: TopologyIndex, ifaceId: string, direction: Direction, family: Family, scopes: readonly ScopeSpec[]): { o: HopModel; n: HopModel; scope: BoxList } {
  const oi = oldIx.interfaces.get(ifaceId)!;
  const ni = newIx.interfaces.get(ifaceId)!;
  const rawOf = (ix: TopologyIndex, i: typeof oi) => [...hopEntries(ix, i, direction, family).flatMap((e) => e.raw), ...universeBoxes(ix, i, family, 'not-own')];
  const sc = scopeBoxes(scopes, ifaceId, direction, family);
  // Both sides register every box of both (and the scope): one coordinate space.
  const extraBoxes = [...rawOf(oldIx, oi), ...rawOf(newIx, ni), ...sc];
  const o = buildHop(oldIx, oi, direction, family, { extraBoxes });
  const n = buildHop(newIx, ni, direction, family, { extraBoxes });
  const scope = new BoxList(sc.map((b) => ({ cells: n.space.cells(b), entry: 0 })));
  return { o, n, scope };
}

export function structuralDiff(oldT: Topology, newT: Topology, scopes: readonly ScopeSpec[] = []): StructuralDiff {
  const oldIx = indexTopology(oldT);
  const newIx = indexTopology(newT);
  const changes: RegionChange[] = [];
  for (const iface of newT.interfaces) {
    if (!oldIx.interfaces.has(iface.id)) continue;
    for (const direction of ['ingress', 'egress'] as const) {
      for (const family of [4, 6] as const) {
        const { o, n, scope } = hopPair(oldIx, newIx, iface.id, direction, family, scopes);
        if (o.space.cuts.some((c, d) => c.length !== n.space.cuts[d]!.length || c.some((v, k) => v !== n.space.cuts[d]![k]))) throw new InternalError('sgfilter diff: the two spaces differ');
        const groups = new Map<string, Group>();
        const actionOf = (h: HopModel, e: number): Action => (e < 0 ? h.defaultAction : h.entries[e]!.action);
        const budget = splitBudget();
        for (const region of n.universe) {
          firstMatch(o.list, region, (piece, eo) => firstMatch(n.list, piece, (p2, en) => {
            const ao = actionOf(o, eo);
            const an = actionOf(n, en);
            if (ao === an) return false;
            const record = (p: Int32Array, inScope: boolean) => {
              const oldE = entryJson(eo < 0 ? undefined : o.entries[eo], o);
              const newE = entryJson(en < 0 ? undefined : n.entries[en], n);
              const change = an === 'allow' ? 'newly-allowed' : 'newly-denied';
              const key = `${change}|${JSON.stringify(oldE)}|${JSON.stringify(newE)}|${inScope}`;
              let g = groups.get(key);
              if (!g) {
                g = {
                  change: { iface: iface.id, direction, family, change, old: oldE, new: newE, inScope, traffic: '', remotes: [], witness: witnessOf(n, p, newIx).witness.packet },
                  tcp: [], udp: [], other: [], remotes: [], readable: readableRemote(n, p, newIx),
                };
                groups.set(key, g);
              } else if (!g.readable && readableRemote(n, p, newIx)) {
                g.change.witness = witnessOf(n, p, newIx).witness.packet;
                g.readable = true;
              }
              const [pl, ph] = n.space.interval(DIM.PROTO, p[2 * DIM.PROTO]!, p[2 * DIM.PROTO + 1]!);
              const dports = n.space.interval(DIM.DPORT, p[2 * DIM.DPORT]!, p[2 * DIM.DPORT + 1]!);
              if (6n >= pl && 6n <= ph) g.tcp.push(dports);
              if (17n >= pl && 17n <= ph) g.udp.push(dports);
              let at = pl;
              for (const x of [6n, 17n]) { if (x < at || x > ph) continue; if (x > at) g.other.push([at, x - 1n]); at = x + 1n; }
              if (at <= ph) g.other.push([at, ph]);
              g.remotes.push(n.space.interval(DIM.REMOTE, p[2 * DIM.REMOTE]!, p[2 * DIM.REMOTE + 1]!));
              return false;
            };
            if (scope.n === 0) return record(p2, false);
            return firstMatch(scope, p2, (p3, s) => record(p3, s >= 0), 0, scope.n, budget);
          }, 0, n.list.n, budget), 0, o.list.n, budget);
        }
        for (const g of groups.values()) {
          const parts: string[] = [];
          if (g.tcp.length) parts.push(`tcp ${fmt(mergeRanges(g.tcp), [0n, 65535n])}`);
          if (g.udp.length) parts.push(`udp ${fmt(mergeRanges(g.udp), [0n, 65535n])}`);
          if (g.other.length) {
            const others = mergeRanges(g.other);
            const all = others.length === 3 && others[0]![0] === 0n && others[2]![1] === 255n;
            parts.push(all ? 'every other protocol' : `protocol ${others.map(([l, h]) => (l === h ? protoName(Number(l), family) : `${l}-${h}`)).join(',')}`);
          }
          const src = summarizeSources(family, g.remotes, ownedAddresses(newIx, family));
          g.change.traffic = parts.join('; ');
          g.change.remotes = src.sources === 'anywhere' ? [src.except ? `anywhere except ${src.except.join(', ')}` : 'anywhere'] : src.sources;
          if (src.more) g.change.moreRemotes = src.more;
          changes.push(g.change);
        }
      }
    }
  }
  return {
    changes,
    addedInterfaces: newT.interfaces.filter((i) => !oldIx.interfaces.has(i.id)).map((i) => i.id),
    removedInterfaces: oldT.interfaces.filter((i) => !newIx.interfaces.has(i.id)).map((i) => i.id),
  };
}

function protoName(p: number, family: Family): string {
  if (p === 1 && family === 4) return 'icmp';
  if (p === 58 && family === 6) return 'icmpv6';
  if (p === 47) return 'gre';
  return String(p);
}

export function describeChange(c: RegionChange): string {
  const remotes = `${c.remotes.join(', ')}${c.moreRemotes ? ` and ${c.moreRemotes} more block(s)` : ''}`;
  return `${c.iface} ${c.direction} IPv${c.family}: ${c.change === 'newly-allowed' ? 'newly allowed' : 'newly denied'}: ${c.traffic} ${c.direction === 'ingress' ? 'from' : 'to'} ${remotes} — old: ${entryName(c.old)}; new: ${entryName(c.new)}`;
}

export const DIFF_RULES = {
  'diff-newly-allowed': { level: 'warning' as const, description: 'Traffic that the old topology denies and the new one allows.' },
  'diff-newly-denied': { level: 'warning' as const, description: 'Traffic that the old topology allows and the new one denies.' },
  'diff-interface': { level: 'note' as const, description: 'An interface present in only one of the two topologies.' },
  'diff-flow-changed': { level: 'warning' as const, description: 'A flow of the capture whose verdict changes.' },
};

/** Findings of a structural diff, located in NEW (the new deciding rule) when it is a rule. */
export function diffFindings(newT: Topology, d: StructuralDiff, scoped: boolean): Finding[] {
  const out: Finding[] = d.changes.map((c) => ({
    code: c.change === 'newly-allowed' ? 'diff-newly-allowed' : 'diff-newly-denied',
    level: scoped && c.inScope ? 'note' : 'warning',
    message: `${describeChange(c)}${scoped ? (c.inScope ? ' (in scope)' : ' (OUTSIDE the scope)') : ''}; e.g. ${c.witness}`,
    path: 'invisible' in c.new ? '' : rulePath(newT, c.new.group, c.new.rule),
    interfaces: [c.iface],
    direction: c.direction,
    witness: c.witness,
    related: [c.old, c.new],
  }));
  for (const i of d.addedInterfaces) out.push({ code: 'diff-interface', level: 'note', message: `interface "${i}" is new (not compared)`, path: `interfaces[${newT.interfaces.findIndex((x) => x.id === i)}]` });
  for (const i of d.removedInterfaces) out.push({ code: 'diff-interface', level: 'note', message: `interface "${i}" was removed (not compared)`, path: '' });
  return out;
}

// ---------------------------------------------------------------------------
// Replaying a capture against both topologies.

export interface FlowChange {
  /** "tcp 203.0.113.7:40000 -> 10.0.1.10:22" for the first changed packet. */
  flow: string;
  firstPacket: number;
  packets: number;
  old: string;
  new: string;
  change: 'newly-allowed' | 'newly-denied';
}

export interface CaptureDiff {
  packets: number;
  changedPackets: number;
  flows: FlowChange[];
  newlyAllowed: number;
  newlyDenied: number;
  error?: string;
}

function decider(d: Decision): string {
  if (d.hops.length === 0) return `${d.verdict} (${d.reason})`;
  const h = d.hops.find((x) => x.verdict === 'deny') ?? d.hops[d.hops.length - 1]!;
  return `${d.verdict} at ${h.iface} ${h.dir}: ${h.reason}${h.rule ? ` ${h.group}/${h.rule}` : ''}`;
}

function ep(family: Family, a: bigint, port?: number): string {
  const s = formatAddress(family, a);
  return port === undefined ? s : family === 6 ? `[${s}]:${port}` : `${s}:${port}`;
}

/** Judge `capture` with both topologies (WASM engine, calling thread) and list the flows whose verdict changes. */
export function captureDiff(oldT: Topology, newT: Topology, capture: string): CaptureDiff {
  const bytes = readFileSync(capture);
  const a = createFilter(oldT).judgeCapture(bytes);
  const b = createFilter(newT).judgeCapture(bytes);
  const frames = new CaptureReader(bytes, { file: capture })[Symbol.iterator]();
  const flows = new Map<string, FlowChange>();
  let packets = 0;
  let changed = 0;
  let error: string | undefined;
  try {
    for (;;) {
      const x = a.next();
      const y = b.next();
      const f = frames.next();
      if (x.done || y.done || f.done) break;
      packets++;
      if (x.value.decision.verdict === y.value.decision.verdict) continue;
      changed++;
      const p = decodeFrame(f.value.linktype, f.value.data, 0n);
      const fam = p.family;
      const hasPorts = p.proto === PROTO.TCP || p.proto === PROTO.UDP;
      const key = fam === undefined ? `frame ${x.value.n}` : `${p.proto}|${[`${p.src}|${p.sport}`, `${p.dst}|${p.dport}`].sort().join('|')}`;
      let fc = flows.get(key);
      if (!fc) {
        const name = p.proto === 6 ? 'tcp' : p.proto === 17 ? 'udp' : p.proto === 1 ? 'icmp' : p.proto === 58 ? 'icmpv6' : String(p.proto);
        const flow = fam === undefined ? `frame ${x.value.n}` : `${name} ${ep(fam, p.src!, hasPorts ? p.sport : undefined)} -> ${ep(fam, p.dst!, hasPorts ? p.dport : undefined)}`;
        fc = { flow, firstPacket: x.value.n, packets: 0, old: decider(x.value.decision), new: decider(y.value.decision), change: y.value.decision.verdict === 'allow' ? 'newly-allowed' : 'newly-denied' };
        flows.set(key, fc);
      }
      fc.packets++;
    }
  } catch (e) {
    error = (e as Error).message;
  }
  const list = [...flows.values()].sort((p, q) => p.firstPacket - q.firstPacket);
  const r: CaptureDiff = {
    packets, changedPackets: changed, flows: list,
    newlyAllowed: list.filter((f) => f.change === 'newly-allowed').length,
    newlyDenied: list.filter((f) => f.change === 'newly-denied').length,
  };
  if (error) r.error = error;
  return r;
}
