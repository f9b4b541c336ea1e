/**
 * Human explanations of a decision: per hop, what decided and why (the rule,
 * its group and priority, or the default and which one).
 */
import { formatAddress, formatCidr } from '../model/address.js';
import type { Decision, Hop } from '../model/decision.js';
import type { PacketRecord } from '../model/packet.js';
import { addressKey, type Rule, type TopologyIndex } from '../model/topology.js';
import { formatPorts, protocolName } from '../parse/values.js';

export function describePacket(p: PacketRecord): string {
  if (p.reason) return `${p.reason} frame`;
  const fam = p.family!;
  const ep = (a: bigint, port?: number) => {
    const t = formatAddress(fam, a);
    if (port === undefined) return t;
    return fam === 6 ? `[${t}]:${port}` : `${t}:${port}`;
  };
  let s = `${protocolName(p.proto!)} ${ep(p.src!, p.sport)} -> ${ep(p.dst!, p.dport)}`;
  if (p.icmpType !== undefined) s += ` type ${p.icmpType} code ${p.icmpCode ?? 0}`;
  if (p.icmpId !== undefined) s += ` id ${p.icmpId}`;
  if (p.fragOffset !== undefined) s += ` fragoffset ${p.fragOffset}${p.moreFragments ? ' mf' : ''} fragid ${p.fragId ?? 0}`;
  return s;
}

export function describeRule(r: Rule): string {
  const parts = [`${r.action} ${protocolName(r.protocol)}`];
  if (r.ports) parts.push(`port ${formatPorts(r.ports)}`);
  if (r.sourcePorts) parts.push(`source port ${formatPorts(r.sourcePorts)}`);
  const side = r.direction === 'ingress' ? 'from' : 'to';
  switch (r.remote.kind) {
    case 'any': parts.push(`${side} any`); break;
    case 'cidr': parts.push(`${side} ${formatCidr(r.remote.cidr)}`); break;
    case 'group': parts.push(`${side} members of group ${r.remote.group}`); break;
    case 'addressGroup': parts.push(`${side} address group ${r.remote.addressGroup}`); break;
  }
  if (r.local) parts.push(`${r.direction === 'ingress' ? 'to' : 'from'} local ${formatCidr(r.local)}`);
  if (r.ethertype !== 'any') parts.push(`(IPv${r.ethertype})`);
  return parts.join(' ');
}

function explainHop(h: Hop, p: PacketRecord, index: TopologyIndex): string {
  const cloud = index.topology.cloud;
  const iface = index.interfaces.get(h.iface)!;
  const head = `${h.dir} at ${h.iface}: ${h.verdict.toUpperCase()}`;
  switch (h.reason) {
    case 'rule': {
      const group = index.groups.get(h.group!)!;
      const rule = group.rules.find((r) => r.id === h.rule)!;
      return `${head} by rule "${rule.id}" of group ${group.id} (priority ${rule.priority}: ${describeRule(rule)})`;
    }
    case 'intra-group': {
      const peer = index.owner.get(addressKey(p.family!, p.src!))!;
      const shared = iface.groups.filter((g) => {
        const sg = index.groups.get(g)!;
        return sg.type === 'basic' && sg.innerAccessPolicy === 'accept' && peer.groups.includes(g);
      });
      return `${head} by the invisible intra-group rule (priority 1, overrides custom rules): the source is interface ${peer.id}, which shares basic group ${shared.join(', ')} (innerAccessPolicy accept)`;
    }
    case 'default': {
      let which: string;
      if (cloud === 'aliyun') {
        const advanced = iface.groups.some((g) => index.groups.get(g)!.type === 'advanced');
        which = h.dir === 'ingress'
          ? `Alibaba's invisible default: all other inbound traffic is denied`
          : advanced
            ? `Alibaba's advanced-group default: outbound traffic is denied unless a rule allows it`
            : `Alibaba's basic-group default: all other outbound traffic is allowed`;
      } else if (cloud === 'huawei') {
        which = `Huawei's default: traffic no rule allows is denied`;
      } else {
        which = `the topology's defaults.${h.dir} (${h.verdict})`;
      }
      return `${head} by default, no rule matched: ${which}`;
    }
    case 'established':
      return `${head}: the flow has a live conntrack entry at this interface`;
    case 'related':
      return `${head}: an ICMP error quoting a flow with a live conntrack entry (related)`;
    case 'fragment':
      return `${head}: the verdict remembered from this datagram's first fragment`;
    case 'conntrack-full':
      return `${head}: the rules allowed it but the conntrack table is full`;
  }
}

export function explainDecision(d: Decision, p: PacketRecord, index: TopologyIndex): string {
  const lines = [`packet: ${describePacket(p)}`, `verdict: ${d.verdict.toUpperCase()}${d.reason ? ` (${d.reason})` : ''}`];
  if (d.reason === 'unmanaged') lines.push('  neither address belongs to an interface of this topology: no security group is on the path');
  if (d.reason === 'local') lines.push('  source and destination belong to the same interface');
  d.hops.forEach((h, i) => lines.push(`  hop ${i + 1}: ${explainHop(h, p, index)}`));
  return lines.join('\n');
}
