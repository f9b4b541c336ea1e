/**
 * "Classify only": the rule lookups a capture asks of a topology, as if no
 * packet were ever let through by conntrack — one lookup per hop of every IP
 * packet (egress at the source's interface, ingress at the destination's;
 * SEMANTICS §2), with ports for TCP/UDP except non-first fragments (§6).
 * Unmanaged and local packets and interfaces without groups ask nothing.
 *
 * The lookups are written once into a TupleBatch in WASM memory; before any
 * timing, the WASM matcher's answer to every lookup is checked against the
 * reference first match (src/reference/match.ts), and a disagreement stops
 * the bench.
 */
import { compileTopology, type CompiledTable } from '../../src/compile/compile.js';
import { TupleBatch, WasmTable } from '../../src/compile/matcher.js';
import { Table } from '../../src/compile/table.js';
import { PROTO, isNonFirstFragment } from '../../src/model/packet.js';
import { addressKey, indexTopology, type Direction, type Topology, type TopologyIndex } from '../../src/model/topology.js';
import { decodeFrame } from '../../src/pcap/decode.js';
import { CaptureReader, frameTime } from '../../src/pcap/reader.js';
import { firstMatch, orderedRules, type MatchInput, type OrderedRule } from '../../src/reference/match.js';
import { WasmInstance } from '../../src/wasm/loader.js';
import { BenchError } from './errors.js';

export interface Lookup {
  list: number;
  ordered: OrderedRule[];
  m: MatchInput;
  /** Packet number in the capture (1-based) and the hop, for messages. */
  n: number;
  iface: string;
  dir: Direction;
}

export interface LookupSet {
  topology: Topology;
  index: TopologyIndex;
  compiled: CompiledTable;
  lookups: Lookup[];
  wasm: WasmInstance;
  table: WasmTable;
  batch: TupleBatch;
}

/** The lookups of a capture (at most `max`), loaded into a fresh WASM instance with the compiled table. */
export function captureLookups(topology: Topology, bytes: Uint8Array, options: { compiled?: CompiledTable; max?: number; file?: string } = {}): LookupSet {
  const index = indexTopology(topology);
  const compiled = options.compiled ?? compileTopology(topology);
  const table = Table.fromCompiled(compiled);
  const max = options.max ?? Infinity;
  const ordered = new Map<string, OrderedRule[]>();
  const orderedFor = (iface: string, dir: Direction) => {
    const k = `${iface}|${dir}`;
    let o = ordered.get(k);
    if (!o) ordered.set(k, (o = orderedRules(index, index.interfaces.get(iface)!, dir)));
    return o;
  };
  const lookups: Lookup[] = [];
  const reader = new CaptureReader(bytes, options.file !== undefined ? { file: options.file } : {});
  for (const frame of reader) {
    if (lookups.length >= max) break;
    const { ts, tsText } = frameTime(reader.interfaces, frame.ifaceIndex, frame.tsA, frame.tsB);
    const p = decodeFrame(frame.linktype, frame.data, ts, tsText);
    if (p.reason || p.family === undefined || p.src === undefined || p.dst === undefined || p.proto === undefined) continue;
    const a = index.owner.get(addressKey(p.family, p.src));
    const b = index.owner.get(addressKey(p.family, p.dst));
    if (a === b) continue; // unmanaged (both undefined) or local
    const ports = (p.proto === PROTO.TCP || p.proto === PROTO.UDP) && !isNonFirstFragment(p);
    const hop = (ifaceId: string, dir: Direction) => {
      const list = table.listFor(ifaceId, dir);
      if (list === null || lookups.length >= max) return;
      const m: MatchInput = {
        family: p.family!,
        proto: p.proto!,
        remote: dir === 'ingress' ? p.src! : p.dst!,
        local: dir === 'ingress' ? p.dst! : p.src!,
      };
      if (ports && p.sport !== undefined) m.sport = p.sport;
      if (ports && p.dport !== undefined) m.dport = p.dport;
      lookups.push({ list, ordered: orderedFor(ifaceId, dir), m, n: frame.n, iface: ifaceId, dir });
    };
    if (a) hop(a.id, 'egress');
    if (b) hop(b.id, 'ingress');
  }
  const wasm = new WasmInstance('release');
  const wt = new WasmTable(wasm, table);
  const batch = new TupleBatch(wasm, Math.max(1, lookups.length));
  lookups.forEach((l, i) => batch.set(i, l.list, l.m));
  return { topology, index, compiled, lookups, wasm, table: wt, batch };
}

/** Every lookup: the WASM optimized matcher's rule == the reference first match. Returns the number checked. */
export function checkLookups(set: LookupSet, label: string): number {
  const n = set.lookups.length;
  if (n === 0) return 0;
  set.batch.run(set.table, 'optimized', n);
  const pos = set.batch.results(n);
  const lists = set.compiled.meta.lists;
  for (let i = 0; i < n; i++) {
    const l = set.lookups[i]!;
    const ref = firstMatch(l.ordered, l.m, set.index);
    const want = ref ? `${ref.group.id}/${ref.rule.id}` : 'no rule';
    const p = pos[i]!;
    const got = p < 0 ? 'no rule' : lists[l.list]!.rules[p]!.join('/');
    if (got !== want) {
      throw new BenchError('SGF_BENCH_MISMATCH', `${label}: packet ${l.n}, ${l.dir} at ${l.iface}: the WASM classifier gives ${got}, the reference ${want}`);
    }
  }
  return n;
}

/** Run the reference matcher over the first `n` lookups (a benchmark body). */
export function referenceLookups(set: LookupSet, n: number): number {
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const l = set.lookups[i]!;
    if (firstMatch(l.ordered, l.m, set.index)) hits++;
  }
  return hits;
}
