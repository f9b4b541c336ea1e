/**
 * Shared by the classify suites: run the reference evaluator and both WASM
 * matchers over the same (list, MatchInput) pairs, and arbitraries for match
 * inputs that sit on the edges of the rules' prefixes and port ranges.
 */
import fc from 'fast-check';
import { formatAddress, prefixMask } from '../../src/model/address.js';
import type { Family } from '../../src/model/packet.js';
import { indexTopology, type Direction, type Topology } from '../../src/model/topology.js';
import { compileTopology, type CompileOptions } from '../../src/compile/compile.js';
import { Table } from '../../src/compile/table.js';
import { TupleBatch, WasmTable, type MatcherKind } from '../../src/compile/matcher.js';
import { firstMatch, orderedRules, type MatchInput } from '../../src/reference/match.js';
import { WasmInstance } from '../../src/wasm/loader.js';
import { parseNativeTopology } from '../../src/parse/native.js';

export interface Probe {
  iface: string;
  direction: Direction;
  input: MatchInput;
}

/** The reference answer: position in orderedRules, -1 for none. */
export function referencePositions(topology: Topology, probes: readonly Probe[]): number[] {
  const index = indexTopology(topology);
  const lists = new Map<string, ReturnType<typeof orderedRules>>();
  return probes.map((p) => {
    const key = `${p.iface}\u0000${p.direction}`;
    let list = lists.get(key);
    if (!list) lists.set(key, (list = orderedRules(index, index.interfaces.get(p.iface)!, p.direction)));
    const o = firstMatch(list, p.input, index);
    return o ? list.indexOf(o) : -1;
  });
}

/** A compiled topology loaded into a fresh WASM instance (debug or release module). */
export class Harness {
  readonly wasm: WasmInstance;
  readonly table: Table;
  readonly wt: WasmTable;

  constructor(readonly topology: Topology, options: CompileOptions = {}, flavour: 'release' | 'debug' = 'release') {
    this.wasm = new WasmInstance(flavour);
    this.table = Table.fromCompiled(compileTopology(topology, options));
    this.wt = new WasmTable(this.wasm, this.table);
  }

  /** Positions from a WASM matcher, one batch of all probes. */
  run(kind: MatcherKind, probes: readonly Probe[]): number[] {
    const mark = this.wasm.mark();
    const batch = new TupleBatch(this.wasm, probes.length);
    probes.forEach((p, i) => {
      const list = this.table.listFor(p.iface, p.direction);
      batch.set(i, list ?? 0, p.input);
    });
    if (probes.length > 0) batch.run(this.wt, kind, probes.length);
    const out = Array.from(batch.results(probes.length));
    // Interfaces without a group have no list: no rule can match.
    probes.forEach((p, i) => { if (this.table.listFor(p.iface, p.direction) === null) out[i] = -1; });
    this.wasm.reset(mark);
    return out;
  }
}

/** Interesting addresses for a topology: every prefix's edges and the interfaces' ips. */
export function edgeAddresses(topology: Topology, family: Family): bigint[] {
  const bits = family === 4 ? 32n : 128n;
  const max = (1n << bits) - 1n;
  const out = new Set<bigint>([0n, max]);
  const addCidr = (fam: Family, network: bigint, prefix: number) => {
    if (fam !== family) return;
    const last = network | (max & ~prefixMask(fam, prefix));
    for (const v of [network, last, network - 1n, last + 1n, network + 1n]) if (v >= 0n && v <= max) out.add(v);
  };
  for (const g of topology.securityGroups) {
    for (const r of g.rules) {
      if (r.remote.kind === 'cidr') addCidr(r.remote.cidr.family, r.remote.cidr.network, r.remote.cidr.prefix);
      if (r.local) addCidr(r.local.family, r.local.network, r.local.prefix);
    }
  }
  for (const ag of topology.addressGroups) for (const c of ag.cidrs) addCidr(c.family, c.network, c.prefix);
  for (const i of topology.interfaces) for (const ip of i.ips) if (ip.family === family) out.add(ip.value);
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const PORT_EDGES = [0, 1, 21, 22, 23, 25, 79, 80, 81, 89, 90, 91, 442, 443, 444, 1024, 1025, 4999, 5000, 6000, 6001, 65535];
const PROTOS = [6, 17, 1, 58, 47, 0, 132, 255];

/** Probes of a topology: edge addresses, edge ports, absent ports, both families and directions. */
export function probeArb(topology: Topology): fc.Arbitrary<Probe> {
  const v4 = edgeAddresses(topology, 4);
  const v6 = edgeAddresses(topology, 6);
  const ifaces = topology.interfaces.map((i) => i.id);
  const addr = (family: Family) => {
    const pool = family === 4 ? v4 : v6;
    const bits = family === 4 ? 32 : 128;
    return fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...pool) },
      { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n }) },
    );
  };
  return fc
    .record({
      iface: fc.constantFrom(...ifaces),
      direction: fc.constantFrom<Direction>('ingress', 'egress'),
      family: fc.constantFrom<Family>(4, 6),
      proto: fc.constantFrom(...PROTOS),
      sport: fc.option(fc.oneof(fc.constantFrom(...PORT_EDGES), fc.integer({ min: 0, max: 65535 })), { freq: 6, nil: undefined }),
      dport: fc.option(fc.oneof(fc.constantFrom(...PORT_EDGES), fc.integer({ min: 0, max: 65535 })), { freq: 6, nil: undefined }),
      pick: fc.nat(),
    })
    .chain((p) =>
      fc.tuple(addr(p.family), addr(p.family)).map(([remote, local]): Probe => {
        const input: MatchInput = { family: p.family, proto: p.proto, remote, local };
        if (p.sport !== undefined) input.sport = p.sport;
        if (p.dport !== undefined) input.dport = p.dport;
        return { iface: p.iface, direction: p.direction, input };
      }),
    );
}

export function describeProbe(p: Probe): string {
  const m = p.input;
  return `${p.iface} ${p.direction} v${m.family} proto ${m.proto} ${formatAddress(m.family, m.remote)}:${m.sport ?? '-'} (remote) ${formatAddress(m.family, m.local)}:${m.dport ?? '-'} (local)`;
}

/** Enough rules on distinct prefixes and ports that the IPv4 tree has inner nodes. */
export function treeTopology(): Topology {
  const rules = Array.from({ length: 40 }, (_, i) => ({
    direction: 'ingress' as const, action: 'allow' as const, priority: 1 + (i % 5), protocol: i % 2 ? 'tcp' as const : 'udp' as const,
    ports: `${100 + i * 7}`, remote: `10.${i}.0.0/16`,
  }));
  const r = parseNativeTopology({ cloud: 'huawei', securityGroups: [{ id: 'sg-1', rules }], interfaces: [{ id: 'a', ips: ['10.200.0.1'], groups: ['sg-1'] }] });
  if (!r.topology) throw new Error(JSON.stringify(r.issues));
  return r.topology!;
}

