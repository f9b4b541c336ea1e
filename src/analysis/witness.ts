/**
 * Witness packets: one concrete packet inside a region of a hop's header
 * space, as a decoded packet record (what the reference evaluator judges)
 * and as a packet spec (`sgfilter explain --packet`).
 *
 * The values are chosen to read well and to stay inside the region: a
 * source port of 49152 when allowed, a destination port, protocol tcp, udp,
 * icmp when allowed, a remote address that no interface owns when the region
 * has one (so that the packet reaches the hop directly).
 */
import { formatAddress } from '../model/address.js';
import { PROTO, type Family, type PacketRecord } from '../model/packet.js';
import { addressKey, type Direction, type TopologyIndex } from '../model/topology.js';
import { DIM } from './space.js';
import type { HopModel } from './effective.js';

export interface Witness {
  /** A packet spec, e.g. "tcp 203.0.113.7:49152 -> 10.0.1.10:22". */
  packet: string;
  iface: string;
  direction: Direction;
}

/** 203.0.113.7, 198.51.100.7, 192.0.2.7 (RFC 5737), 2001:db8:f00d::7 (RFC 3849). */
const DOC_V4 = [0xcb007107n, 0xc6336407n, 0xc0000207n];
const DOC_V6 = [0x20010db8f00d00000000000000000007n];

/** Does the piece hold one of the documentation addresses on its remote side (a witness that reads well)? */
export function readableRemote(hop: HopModel, piece: Int32Array, index: TopologyIndex): boolean {
  const [rl, rh] = hop.space.interval(DIM.REMOTE, piece[2 * DIM.REMOTE]!, piece[2 * DIM.REMOTE + 1]!);
  return (hop.family === 4 ? DOC_V4 : DOC_V6).some((a) => a >= rl && a <= rh && !index.owner.has(addressKey(hop.family, a)));
}

function pick(lo: bigint, hi: bigint, preferred: bigint[]): bigint {
  for (const p of preferred) if (p >= lo && p <= hi) return p;
  return lo;
}

/** A point of `piece` as field values. */
export function piecePoint(hop: HopModel, piece: Int32Array, index: TopologyIndex): { remote: bigint; local: bigint; proto: number; sport: number; dport: number } {
  const iv = (d: number) => hop.space.interval(d, piece[2 * d]!, piece[2 * d + 1]!);
  const [rl, rh] = iv(DIM.REMOTE);
  let remote = rl;
  // Prefer an address that no interface owns (the packet then has a single hop):
  // a documentation address when the region has one, else not the network address.
  const unowned = (a: bigint) => !index.owner.has(addressKey(hop.family, a));
  const docs = (hop.family === 4 ? DOC_V4 : DOC_V6).find((a) => a >= rl && a <= rh && unowned(a));
  if (docs !== undefined) remote = docs;
  else {
    const start = rh - rl >= 2n ? rl + 1n : rl;
    for (let a = start, tries = 0; a <= rh && tries < 1024; a++, tries++) {
      if (unowned(a)) { remote = a; break; }
      if (tries === 0) remote = a;
    }
  }
  const [ll] = iv(DIM.LOCAL);
  const [pl, ph] = iv(DIM.PROTO);
  const icmp = hop.family === 4 ? PROTO.ICMP : PROTO.ICMPV6;
  const avoid = hop.family === 4 ? PROTO.ICMPV6 : PROTO.ICMP;
  let proto = Number(pick(pl, ph, [6n, 17n, BigInt(icmp), 47n]));
  if (proto === avoid && ph > pl) proto = proto + 1 <= Number(ph) ? proto + 1 : proto - 1;
  const [sl, sh] = iv(DIM.SPORT);
  const [dl, dh] = iv(DIM.DPORT);
  const sport = Number(pick(sl, sh, [49152n, 1024n, 1n]));
  const dport = Number(pick(dl, dh, dl === 0n ? [1n] : []));
  return { remote, local: ll, proto, sport, dport };
}

const NAMES: Record<number, string> = { 6: 'tcp', 17: 'udp', 47: 'gre' };

function endpoint(family: Family, addr: bigint, port?: number): string {
  const a = formatAddress(family, addr);
  if (port === undefined) return a;
  return family === 6 ? `[${a}]:${port}` : `${a}:${port}`;
}

/** The witness of a piece: packet record and spec. */
export function witnessOf(hop: HopModel, piece: Int32Array, index: TopologyIndex, proto?: number): { record: PacketRecord; witness: Witness } {
  const p = piecePoint(hop, piece, index);
  // Any protocol value of the piece's cell is as good as another (the cell is uniform).
  if (proto !== undefined) p.proto = proto;
  const ingress = hop.direction === 'ingress';
  const src = ingress ? p.remote : p.local;
  const dst = ingress ? p.local : p.remote;
  const record: PacketRecord = { ts: 0n, family: hop.family, src, dst, proto: p.proto };
  const hasPorts = p.proto === PROTO.TCP || p.proto === PROTO.UDP;
  let name = NAMES[p.proto] ?? String(p.proto);
  let tail = '';
  if (hasPorts) {
    record.sport = p.sport;
    record.dport = p.dport;
  }
  if (p.proto === PROTO.TCP) record.tcpFlags = 0x02;
  if ((hop.family === 4 && p.proto === PROTO.ICMP) || (hop.family === 6 && p.proto === PROTO.ICMPV6)) {
    name = hop.family === 4 ? 'icmp' : 'icmpv6';
    record.icmpType = hop.family === 4 ? 8 : 128;
    record.icmpCode = 0;
    tail = ` type ${record.icmpType} code 0`;
  }
  const packet = `${name} ${endpoint(hop.family, src, hasPorts ? record.sport : undefined)} -> ${endpoint(hop.family, dst, hasPorts ? record.dport : undefined)}${tail}`;
  return { record, witness: { packet, iface: hop.iface.id, direction: hop.direction } };
}
