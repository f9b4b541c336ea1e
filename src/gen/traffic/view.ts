/**
 * What the traffic generator reads of a topology: interfaces with their
 * addresses per family, groups shared by two interfaces, the rules to aim
 * flows at and the ports they name.
 */
import { DEFAULT_TIMEOUTS, addressKey, indexTopology, type ConntrackTimeouts, type NetworkInterface, type Rule, type Topology, type TopologyIndex } from '../../model/topology.js';
import type { Family } from '../../model/packet.js';
import { PROTO } from '../../model/packet.js';
import { parseNativeTopology, type NativeTopology } from '../../parse/native.js';
import { GEN_ERROR, GenError } from '../errors.js';

// ---------------------------------------------------------------------------
// Topology view

/** Accept a validated model or a native document (validated here). */
export function toModel(t: Topology | NativeTopology): Topology {
  const maybe = t as Topology;
  const isModel = Array.isArray(maybe.interfaces) && maybe.interfaces.every((i) => i.ips.every((a) => typeof a === 'object') && typeof i.conntrack === 'object') &&
    maybe.securityGroups.every((g) => g.rules.every((r) => typeof r.index === 'number'));
  if (isModel) return maybe;
  const r = parseNativeTopology(t);
  if (!r.topology) {
    const first = r.issues.find((i) => i.severity === 'error');
    throw new GenError(GEN_ERROR.BAD_TOPOLOGY, `the topology is not valid: ${first ? `${first.path}: ${first.message}` : 'unknown error'}`);
  }
  return r.topology;
}

export interface IfaceAddrs {
  iface: NetworkInterface;
  v4: bigint[];
  v6: bigint[];
}

export class View {
  readonly index: TopologyIndex;
  readonly ifaces: IfaceAddrs[];
  readonly withV4: IfaceAddrs[];
  readonly withV6: IfaceAddrs[];
  /** Groups with at least two member interfaces, per family. */
  readonly sharedGroups: { 4: IfaceAddrs[][]; 6: IfaceAddrs[][] };
  /** Interfaces with two addresses of one family. */
  readonly multi: { 4: IfaceAddrs[]; 6: IfaceAddrs[] };
  /** (interface, group, rule) triples to aim flows at. */
  readonly rules: { at: IfaceAddrs; rule: Rule }[];
  /** Port ranges the rules name, for flows not aimed at one rule. */
  readonly tcpPorts: { from: number; to: number }[];
  readonly udpPorts: { from: number; to: number }[];
  readonly defaults: ConntrackTimeouts;

  constructor(readonly topology: Topology) {
    this.index = indexTopology(topology);
    this.ifaces = topology.interfaces.map((iface) => ({
      iface,
      v4: iface.ips.filter((a) => a.family === 4).map((a) => a.value),
      v6: iface.ips.filter((a) => a.family === 6).map((a) => a.value),
    }));
    this.withV4 = this.ifaces.filter((i) => i.v4.length > 0);
    this.withV6 = this.ifaces.filter((i) => i.v6.length > 0);
    const byId = new Map(this.ifaces.map((i) => [i.iface.id, i] as const));
    this.sharedGroups = { 4: [], 6: [] };
    for (const g of topology.securityGroups) {
      const members = (this.index.members.get(g.id) ?? []).map((m) => byId.get(m.id)!);
      for (const fam of [4, 6] as const) {
        const have = members.filter((m) => (fam === 4 ? m.v4 : m.v6).length > 0);
        if (have.length >= 2) this.sharedGroups[fam].push(have);
      }
    }
    this.multi = { 4: this.ifaces.filter((i) => i.v4.length >= 2), 6: this.ifaces.filter((i) => i.v6.length >= 2) };
    this.rules = [];
    this.tcpPorts = [];
    this.udpPorts = [];
    for (const at of this.ifaces) {
      for (const gid of at.iface.groups) {
        for (const rule of this.index.groups.get(gid)?.rules ?? []) {
          this.rules.push({ at, rule });
        }
      }
    }
    for (const g of topology.securityGroups) {
      for (const rule of g.rules) {
        if (rule.ports && (rule.protocol === PROTO.TCP || rule.protocol === 'all')) this.tcpPorts.push(...rule.ports);
        if (rule.ports && (rule.protocol === PROTO.UDP || rule.protocol === 'all')) this.udpPorts.push(...rule.ports);
      }
    }
    this.defaults = DEFAULT_TIMEOUTS[topology.cloud];
  }

  owner(family: Family, a: bigint): NetworkInterface | undefined {
    return this.index.owner.get(addressKey(family, a));
  }

}
