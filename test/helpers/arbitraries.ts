/**
 * fast-check arbitraries: small random native topologies whose rules overlap
 * often (addresses, ports and prefixes come from small pools), and packets
 * that hit them. Shared by the property and differential suites.
 */
import fc from 'fast-check';
import type { NativeRule, NativeTopology } from '../../src/parse/native.js';

export const V4_HOSTS = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.1.1', '10.0.1.2', '192.0.2.1', '192.0.2.77', '198.51.100.5'];
export const V6_HOSTS = ['2001:db8::1', '2001:db8::2', '2001:db8:1::1', '2001:db8:1::2', '2001:db8:ffff::9'];
const V4_CIDRS = ['10.0.0.0/8', '10.0.0.0/24', '10.0.1.0/24', '10.0.0.2/32', '192.0.2.0/24', '0.0.0.0/0', '10.0.0.0/31'];
const V6_CIDRS = ['2001:db8::/32', '2001:db8::/64', '2001:db8:1::/48', '::/0', '2001:db8::2/128'];
const PORTS = ['22', '80', '80-90', '22,80,443', '1-1024', '443', '5000-6000'];

export type CloudName = 'aliyun' | 'huawei' | 'generic';

function priorityArb(cloud: CloudName): fc.Arbitrary<number> {
  if (cloud === 'aliyun') return fc.oneof(fc.integer({ min: 1, max: 6 }), fc.constant(100), fc.constant(110));
  if (cloud === 'huawei') return fc.oneof(fc.integer({ min: 1, max: 6 }), fc.constant(100));
  return fc.integer({ min: 0, max: 6 });
}

export function ruleArb(cloud: CloudName, groupIds: string[], addressGroupIds: string[]): fc.Arbitrary<NativeRule> {
  return fc
    .record({
      direction: fc.constantFrom('ingress' as const, 'egress' as const),
      action: fc.constantFrom('allow' as const, 'deny' as const),
      priority: priorityArb(cloud),
      protocol: fc.constantFrom('all', 'tcp', 'udp', 'icmp', 'icmpv6', 'gre', 'TCP'),
      family: fc.constantFrom<'any' | 4 | 6>('any', 4, 6),
      ports: fc.option(fc.constantFrom(...PORTS), { nil: undefined }),
      sourcePorts: fc.option(fc.constantFrom(...PORTS), { freq: 4, nil: undefined }),
      remoteKind: fc.constantFrom('none', 'cidr', 'cidr', 'group', 'addressGroup'),
      remotePick: fc.nat(),
      local: fc.option(fc.nat(), { freq: 4, nil: undefined }),
    })
    .map((r) => {
      const proto = r.protocol.toLowerCase();
      let family: 'any' | 4 | 6 = proto === 'icmp' ? 4 : proto === 'icmpv6' ? 6 : r.family;
      const rule: NativeRule = { direction: r.direction, action: r.action, priority: r.priority, protocol: r.protocol };
      if (proto === 'tcp' || proto === 'udp') {
        if (r.ports !== undefined) rule.ports = r.ports;
        if (r.sourcePorts !== undefined && cloud !== 'huawei') rule.sourcePorts = r.sourcePorts;
      }
      const pickFamily = (): 4 | 6 => (family === 'any' ? (r.remotePick % 2 === 0 ? 4 : 6) : family);
      if (r.remoteKind === 'cidr') {
        family = pickFamily();
        const pool = family === 4 ? V4_CIDRS : V6_CIDRS;
        rule.remote = pool[r.remotePick % pool.length]!;
      } else if (r.remoteKind === 'group' && groupIds.length > 0) {
        rule.remote = { group: groupIds[r.remotePick % groupIds.length]! };
      } else if (r.remoteKind === 'addressGroup' && addressGroupIds.length > 0) {
        rule.remote = { addressGroup: addressGroupIds[r.remotePick % addressGroupIds.length]! };
      }
      if (r.local !== undefined && cloud === 'aliyun') {
        family = pickFamily();
        const pool = family === 4 ? V4_CIDRS : V6_CIDRS;
        rule.local = pool[r.local % pool.length]!;
      }
      if (family !== 'any' && proto !== 'icmp' && proto !== 'icmpv6') rule.ethertype = family === 4 ? 'ipv4' : 'ipv6';
      if (family === 'any' && cloud === 'huawei' && r.remotePick % 3 === 0) rule.ethertype = 'ipv6';
      return rule;
    });
}

export interface TopologyArbOptions {
  clouds?: CloudName[];
  maxGroups?: number;
  maxRules?: number;
  maxInterfaces?: number;
}

/** A valid native topology (every generated document parses without error). */
export function topologyArb(options: TopologyArbOptions = {}): fc.Arbitrary<NativeTopology> {
  const clouds = options.clouds ?? ['aliyun', 'huawei', 'generic'];
  const maxGroups = options.maxGroups ?? 3;
  const maxRules = options.maxRules ?? 6;
  const maxIfaces = options.maxInterfaces ?? 3;
  return fc
    .record({
      cloud: fc.constantFrom(...clouds),
      nGroups: fc.integer({ min: 1, max: maxGroups }),
      nAddressGroups: fc.integer({ min: 0, max: 2 }),
      advanced: fc.boolean(),
      hosts: fc.shuffledSubarray([...V4_HOSTS, ...V6_HOSTS], { minLength: 1, maxLength: maxIfaces * 2 }),
      nIfaces: fc.integer({ min: 1, max: maxIfaces }),
      seed: fc.nat(),
    })
    .chain((t) => {
      const groupIds = Array.from({ length: t.nGroups }, (_, i) => `sg-${i}`);
      const agIds = Array.from({ length: t.nAddressGroups }, (_, i) => `ag-${i}`);
      const advanced = t.cloud === 'aliyun' && t.advanced;
      const refs = advanced ? [] : groupIds;
      return fc.record({
        groups: fc.tuple(
          ...groupIds.map((id) =>
            fc.record({
              rules: fc.array(ruleArb(t.cloud, refs, agIds), { maxLength: maxRules }),
              inner: fc.constantFrom<'accept' | 'drop'>('accept', 'drop'),
            }).map(({ rules, inner }) => ({
              id,
              ...(t.cloud === 'aliyun' ? { type: advanced ? ('advanced' as const) : ('basic' as const) } : {}),
              ...(t.cloud === 'aliyun' && !advanced ? { innerAccessPolicy: inner } : {}),
              rules: rules.map((r, i) => ({ id: `${id}-r${i}`, ...r })),
            })),
          ),
        ),
        addressGroups: fc.tuple(
          ...agIds.map((id) =>
            fc.subarray([...V4_CIDRS, ...V6_CIDRS], { minLength: 1, maxLength: 3 }).map((cidrs) => ({ id, cidrs })),
          ),
        ),
        bindings: fc.array(fc.shuffledSubarray(groupIds, { minLength: 1 }), { minLength: t.nIfaces, maxLength: t.nIfaces }),
      }).map(({ groups, addressGroups, bindings }): NativeTopology => {
        // Deal the hosts to the interfaces round-robin; an interface with no host gets none (dropped).
        const ifaces = bindings.map((groups, i) => ({ id: `eni-${i}`, ips: t.hosts.filter((_, k) => k % t.nIfaces === i), groups }));
        const doc: NativeTopology = {
          cloud: t.cloud,
          securityGroups: groups,
          addressGroups: addressGroups,
          interfaces: ifaces.filter((x) => x.ips.length > 0),
        };
        if (t.cloud === 'generic') doc.defaults = { ingress: t.seed % 2 ? 'allow' : 'deny', egress: t.seed % 3 ? 'allow' : 'deny' };
        return doc;
      });
    });
}

/** A packet spec (see src/model/packet-spec.ts) between pool hosts, one family at a time. */
export function packetSpecArb(): fc.Arbitrary<string> {
  return fc
    .record({
      v6: fc.boolean(),
      src: fc.nat(),
      dst: fc.nat(),
      proto: fc.constantFrom('tcp', 'udp', 'icmp', 'gre', '132'),
      sport: fc.constantFrom(22, 80, 85, 443, 5000, 40000),
      dport: fc.constantFrom(22, 80, 85, 443, 5000, 40000),
      frag: fc.constantFrom('', '', '', ' mf fragid 1', ' fragoffset 1480 fragid 1'),
    })
    .map((p) => {
      const pool = p.v6 ? V6_HOSTS : V4_HOSTS;
      const s = pool[p.src % pool.length]!;
      const d = pool[p.dst % pool.length]!;
      const ep = (a: string, port: number) => (p.v6 ? `[${a}]:${port}` : `${a}:${port}`);
      let proto = p.proto;
      if (proto === 'icmp') return `${p.v6 ? 'icmpv6' : 'icmp'} ${s} -> ${d} type ${p.v6 ? 128 : 8} code 0 id ${p.sport}${p.frag}`;
      if (proto === 'tcp' || proto === 'udp') return `${proto} ${ep(s, p.sport)} -> ${ep(d, p.dport)}${p.frag}`;
      return `${proto} ${s} -> ${d}${p.frag}`;
    });
}
