/**
 * The `sgfilter decode --jsonl` line for one packet: keys in a fixed order,
 * absent when they do not apply (`iface` only for pcapng captures).
 * Addresses in text form, `ts` as decimal seconds with the capture's precision.
 */
import { formatAddress } from '../model/address.js';
import { tsTextOf, type QuotedHeader } from '../model/packet.js';
import type { CapturedPacket } from './packets.js';

export interface PacketJson {
  n: number;
  iface?: number;
  linktype: number;
  ts: string;
  caplen: number;
  len: number;
  family?: 4 | 6;
  src?: string;
  dst?: string;
  proto?: number;
  sport?: number;
  dport?: number;
  tcpFlags?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  fragOffset?: number;
  moreFragments?: boolean;
  fragId?: number;
  reason?: string;
  quoted?: { family: 4 | 6; src: string; dst: string; proto: number; sport?: number; dport?: number; icmpType?: number; icmpId?: number };
}

function quotedJson(q: QuotedHeader): NonNullable<PacketJson['quoted']> {
  const o: NonNullable<PacketJson['quoted']> = { family: q.family, src: formatAddress(q.family, q.src), dst: formatAddress(q.family, q.dst), proto: q.proto };
  if (q.sport !== undefined) o.sport = q.sport;
  if (q.dport !== undefined) o.dport = q.dport;
  if (q.icmpType !== undefined) o.icmpType = q.icmpType;
  if (q.icmpId !== undefined) o.icmpId = q.icmpId;
  return o;
}

export function packetJson(p: CapturedPacket, withIface: boolean): PacketJson {
  const r = p.record;
  const o: PacketJson = { n: p.n, linktype: p.linktype, ts: tsTextOf(r), caplen: p.caplen, len: p.len };
  if (withIface) o.iface = p.iface;
  // Re-insert in the documented order (iface after n).
  const out: PacketJson = withIface ? { n: o.n, iface: p.iface, linktype: o.linktype, ts: o.ts, caplen: o.caplen, len: o.len } : o;
  if (r.family !== undefined) {
    out.family = r.family;
    if (r.src !== undefined) out.src = formatAddress(r.family, r.src);
    if (r.dst !== undefined) out.dst = formatAddress(r.family, r.dst);
  }
  if (r.proto !== undefined) out.proto = r.proto;
  if (r.sport !== undefined) out.sport = r.sport;
  if (r.dport !== undefined) out.dport = r.dport;
  if (r.tcpFlags !== undefined) out.tcpFlags = r.tcpFlags;
  if (r.icmpType !== undefined) out.icmpType = r.icmpType;
  if (r.icmpCode !== undefined) out.icmpCode = r.icmpCode;
  if (r.icmpId !== undefined) out.icmpId = r.icmpId;
  if (r.fragOffset !== undefined) out.fragOffset = r.fragOffset;
  if (r.moreFragments !== undefined) out.moreFragments = r.moreFragments;
  if (r.fragId !== undefined) out.fragId = r.fragId;
  if (r.reason !== undefined) out.reason = r.reason;
  if (r.quoted) out.quoted = quotedJson(r.quoted);
  return out;
}

const PROTO_NAME: Record<number, string> = { 1: 'ICMP', 2: 'IGMP', 4: 'IPIP', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 47: 'GRE', 50: 'ESP', 51: 'AH', 58: 'ICMPv6', 132: 'SCTP' };
const TCP_FLAGS = ['F', 'S', 'R', 'P', '.', 'U', 'E', 'C'];

/** One human-readable line: `n ts [ifN] what`. */
export function packetText(p: CapturedPacket, withIface: boolean): string {
  const r = p.record;
  const head = `${p.n} ${tsTextOf(r)}${withIface ? ` if${p.iface}` : ''}`;
  const size = `caplen ${p.caplen} len ${p.len}`;
  if (r.family === undefined) return `${head} ${r.reason} linktype ${p.linktype} ${size}`;
  const src = formatAddress(r.family, r.src!);
  const dst = formatAddress(r.family, r.dst!);
  if (r.reason) return `${head} IPv${r.family} ${src} > ${dst} ${r.reason} ${size}`;
  const pn = PROTO_NAME[r.proto!] ?? `proto ${r.proto}`;
  const ep = (a: string, port?: number) => (port === undefined ? a : r.family === 6 ? `[${a}]:${port}` : `${a}:${port}`);
  let line = `${head} IPv${r.family} ${ep(src, r.sport)} > ${ep(dst, r.dport)} ${pn}`;
  if (r.tcpFlags !== undefined) line += ` [${TCP_FLAGS.filter((_, i) => r.tcpFlags! & (1 << i)).join('') || 'none'}]`;
  if (r.icmpType !== undefined) line += ` type ${r.icmpType} code ${r.icmpCode}`;
  if (r.icmpId !== undefined) line += ` id ${r.icmpId}`;
  if (r.quoted) {
    const q = r.quoted;
    line += ` quoting ${formatAddress(q.family, q.src)}${q.sport !== undefined ? ':' + q.sport : ''} > ${formatAddress(q.family, q.dst)}${q.dport !== undefined ? ':' + q.dport : ''} ${PROTO_NAME[q.proto] ?? 'proto ' + q.proto}`;
  }
  if (r.fragId !== undefined) line += ` frag id ${r.fragId} offset ${r.fragOffset}${r.moreFragments ? ' +' : ''}`;
  return `${line} ${size}`;
}
