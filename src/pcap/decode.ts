/**
 * The reference decoder: one captured frame -> one PacketRecord
 * (src/model/packet.ts). Readability first; the WASM decoder
 * (assembly/decode.ts) must produce exactly the same records, and the
 * differential tests hold it to that.
 *
 * Rules (SEMANTICS.md §2, §3, §6):
 * - Link layers: Ethernet (802.3 length frames are non-ip; VLAN tags 0x8100,
 *   0x88a8, 0x9100 skipped, stacked), NULL (host-order family, either order
 *   guessed) and LOOP (network order), RAW / IPV4 / IPV6 (the version nibble
 *   decides; for IPV4/IPV6 it must match), LINUX_SLL, LINUX_SLL2. Any other
 *   linktype, a link header cut short, or an ethertype that is not IPv4/IPv6:
 *   `non-ip`.
 * - An IP packet that cannot be decoded is `malformed`: header cut short, bad
 *   version (for the linktype/ethertype), IHL < 5, IPv4 total length (when not
 *   0, which TSO captures show) below the header, an IPv6 extension header
 *   cut short, a TCP header under 20 bytes or with data offset < 5 (or above
 *   the IP payload), UDP under 8 bytes, ICMP/ICMPv6 under 8 bytes (only on
 *   first fragments). A malformed record keeps `family`, `src`, `dst` when the
 *   fixed IP header (20 / 40 bytes) was captured with the right version; no
 *   other field.
 * - The transport header must lie inside both the captured bytes and the IP
 *   payload (IPv4 total length / IPv6 payload length, when not 0).
 * - IPv6 extension chain: hop-by-hop (0), routing (43), destination options
 *   (60), fragment (44), AH (51) are walked; ESP (50), no-next-header (59) and
 *   anything else end the walk as the protocol.
 * - Fragments: `fragOffset` (bytes), `moreFragments`, `fragId` only on
 *   fragments; a non-first fragment has no transport fields.
 * - Only TCP and UDP have ports; ICMP only over IPv4, ICMPv6 only over IPv6.
 *   GRE, IP-in-IP, IPv6-in-IP and others: the outer protocol only.
 * - ICMP errors (v4 types 3,4,5,11,12; v6 types 1-4): `quoted` from the inner
 *   IP header when that header is complete and of the same family; its ports
 *   when 4 transport bytes were quoted; its echo type and id when the quoted
 *   packet is an echo and 6 bytes were quoted. A short quote only leaves
 *   fields out, it never makes the packet malformed.
 */
import { PROTO, type Family, type PacketRecord, type QuotedHeader } from '../model/packet.js';
import { LINKTYPE } from './format.js';

/** Ethertypes. */
export const ETHERTYPE = {
  IPV4: 0x0800,
  IPV6: 0x86dd,
  VLAN: 0x8100,
  QINQ: 0x88a8,
  QINQ_OLD: 0x9100,
} as const;

/** Named header offsets (bytes from the header start). */
export const ETH = { TYPE: 12, SIZE: 14 } as const;
export const VLAN_TAG = { TYPE: 2, SIZE: 4 } as const;
export const SLL = { PROTOCOL: 14, SIZE: 16 } as const;
export const SLL2 = { PROTOCOL: 0, SIZE: 20 } as const;
export const NULL_HDR = { FAMILY: 0, SIZE: 4 } as const;
export const IP4 = { VER_IHL: 0, TOTAL_LENGTH: 2, ID: 4, FLAGS_FRAG: 6, PROTO: 9, SRC: 12, DST: 16, SIZE: 20 } as const;
export const IP6 = { PAYLOAD_LENGTH: 4, NEXT: 6, SRC: 8, DST: 24, SIZE: 40 } as const;
export const IP6_FRAG = { NEXT: 0, OFFSET_FLAGS: 2, ID: 4, SIZE: 8 } as const;
export const TCP = { SPORT: 0, DPORT: 2, DATA_OFFSET: 12, FLAGS: 13, SIZE: 20 } as const;
export const UDP = { SPORT: 0, DPORT: 2, SIZE: 8 } as const;
export const ICMP = { TYPE: 0, CODE: 1, ID: 4, SIZE: 8 } as const;

/** BSD address families seen in NULL/LOOP headers. */
const AF_INET = 2;
const AF_INET6 = new Set([10, 23, 24, 28, 30]);

/** IPv6 extension headers that the walk steps over. */
export const IP6_EXT = { HOPOPTS: 0, ROUTING: 43, FRAGMENT: 44, AH: 51, DSTOPTS: 60 } as const;

/** The network layer found by the link-layer step. */
interface L3 {
  /** 4 or 6 when the link layer says which; 0 = let the version nibble decide (RAW). */
  want: 0 | 4 | 6;
  off: number;
}

/** Decode one frame. `ts`/`tsText` come from the reader (frameTime). */
export function decodeFrame(linktype: number, data: Uint8Array, ts: bigint, tsText?: string): PacketRecord {
  const rec: PacketRecord = tsText === undefined ? { ts } : { ts, tsText };
  const l3 = linkLayer(linktype, data);
  if (!l3) {
    rec.reason = 'non-ip';
    return rec;
  }
  decodeIp(data, l3.off, data.length, l3.want, rec);
  return rec;
}

function be16(d: Uint8Array, o: number): number {
  return (d[o]! << 8) | d[o + 1]!;
}
function be32(d: Uint8Array, o: number): number {
  return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
}
function addr(d: Uint8Array, o: number, bytes: 4 | 16): bigint {
  let v = 0n;
  for (let i = 0; i < bytes; i += 4) v = (v << 32n) | BigInt(be32(d, o + i));
  return v;
}

function fromEthertype(t: number, off: number): L3 | null {
  if (t === ETHERTYPE.IPV4) return { want: 4, off };
  if (t === ETHERTYPE.IPV6) return { want: 6, off };
  return null;
}

/** Skip VLAN tags starting at the ethertype field at `typeOff`. */
function afterVlans(d: Uint8Array, typeOff: number): L3 | null {
  let t = typeOff;
  for (;;) {
    if (t + 2 > d.length) return null;
    const et = be16(d, t);
    if (et === ETHERTYPE.VLAN || et === ETHERTYPE.QINQ || et === ETHERTYPE.QINQ_OLD) {
      t += VLAN_TAG.SIZE;
      continue;
    }
    return fromEthertype(et, t + 2);
  }
}

function linkLayer(linktype: number, d: Uint8Array): L3 | null {
  switch (linktype) {
    case LINKTYPE.ETHERNET:
      if (d.length < ETH.SIZE) return null;
      return afterVlans(d, ETH.TYPE);
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP: {
      if (d.length < NULL_HDR.SIZE) return null;
      let fam = be32(d, NULL_HDR.FAMILY);
      // NULL is in the capturing host's order: a value above 16 bits is byte-swapped.
      if (linktype === LINKTYPE.NULL && (fam & 0xffff0000) !== 0) fam = ((d[3]! << 24) | (d[2]! << 16) | (d[1]! << 8) | d[0]!) >>> 0;
      if (fam === AF_INET) return { want: 4, off: NULL_HDR.SIZE };
      if (AF_INET6.has(fam)) return { want: 6, off: NULL_HDR.SIZE };
      return null;
    }
    case LINKTYPE.RAW:
      return { want: 0, off: 0 };
    case LINKTYPE.IPV4:
      return { want: 4, off: 0 };
    case LINKTYPE.IPV6:
      return { want: 6, off: 0 };
    case LINKTYPE.LINUX_SLL:
      if (d.length < SLL.SIZE) return null;
      return afterVlans(d, SLL.PROTOCOL);
    case LINKTYPE.LINUX_SLL2: {
      if (d.length < SLL2.SIZE) return null;
      const et = be16(d, SLL2.PROTOCOL);
      if (et === ETHERTYPE.VLAN || et === ETHERTYPE.QINQ || et === ETHERTYPE.QINQ_OLD) {
        // An in-band tag follows the SLL2 header: TCI, then the next type.
        return afterVlans(d, SLL2.SIZE + 2);
      }
      return fromEthertype(et, SLL2.SIZE);
    }
    default:
      return null;
  }
}

function malformed(rec: PacketRecord): void {
  rec.reason = 'malformed';
  delete rec.proto;
  delete rec.fragOffset;
  delete rec.moreFragments;
  delete rec.fragId;
}

/** Decode an IP packet at d[off, end) into rec (outer packet). */
function decodeIp(d: Uint8Array, off: number, end: number, want: 0 | 4 | 6, rec: PacketRecord): void {
  if (end - off < 1) return malformed(rec);
  const ver = d[off]! >> 4;
  if ((want !== 0 && ver !== want) || (ver !== 4 && ver !== 6)) return malformed(rec);
  if (ver === 4) decodeIp4(d, off, end, rec);
  else decodeIp6(d, off, end, rec);
}

function decodeIp4(d: Uint8Array, off: number, end: number, rec: PacketRecord): void {
  if (end - off < IP4.SIZE) return malformed(rec);
  rec.family = 4;
  rec.src = addr(d, off + IP4.SRC, 4);
  rec.dst = addr(d, off + IP4.DST, 4);
  const hlen = (d[off]! & 0x0f) * 4;
  const total = be16(d, off + IP4.TOTAL_LENGTH);
  if (hlen < IP4.SIZE || hlen > end - off || (total !== 0 && total < hlen)) return malformed(rec);
  const l4End = total !== 0 ? Math.min(end, off + total) : end;
  const proto = d[off + IP4.PROTO]!;
  rec.proto = proto;
  const ff = be16(d, off + IP4.FLAGS_FRAG);
  const fragOffset = (ff & 0x1fff) * 8;
  const mf = (ff & 0x2000) !== 0;
  if (mf || fragOffset > 0) {
    rec.fragOffset = fragOffset;
    rec.moreFragments = mf;
    rec.fragId = be16(d, off + IP4.ID);
  }
  if (fragOffset > 0) return;
  transport(d, off + hlen, l4End, total !== 0 ? off + total : Infinity, 4, proto, rec);
}

function decodeIp6(d: Uint8Array, off: number, end: number, rec: PacketRecord): void {
  if (end - off < IP6.SIZE) return malformed(rec);
  rec.family = 6;
  rec.src = addr(d, off + IP6.SRC, 16);
  rec.dst = addr(d, off + IP6.DST, 16);
  const plen = be16(d, off + IP6.PAYLOAD_LENGTH);
  const l4End = plen !== 0 ? Math.min(end, off + IP6.SIZE + plen) : end;
  const walk = walkIp6(d, off + IP6.SIZE, l4End, d[off + IP6.NEXT]!);
  if (!walk) return malformed(rec);
  rec.proto = walk.proto;
  if (walk.frag) {
    rec.fragOffset = walk.frag.offset;
    rec.moreFragments = walk.frag.more;
    rec.fragId = walk.frag.id;
    if (walk.frag.offset > 0) return;
  }
  transport(d, walk.off, l4End, plen !== 0 ? off + IP6.SIZE + plen : Infinity, 6, walk.proto, rec);
}

interface Ip6Walk {
  proto: number;
  /** Offset of the upper-layer header. */
  off: number;
  frag?: { offset: number; more: boolean; id: number };
}

/**
 * Walk the IPv6 extension headers from `off` (header type `next`) within
 * [off, end). Null when a header is cut short. Stops at a non-first fragment
 * (its payload is not a header). When several fragment headers appear, the
 * first one describes the packet.
 */
function walkIp6(d: Uint8Array, off: number, end: number, next: number): Ip6Walk | null {
  let frag: Ip6Walk['frag'];
  for (;;) {
    switch (next) {
      case IP6_EXT.HOPOPTS:
      case IP6_EXT.ROUTING:
      case IP6_EXT.DSTOPTS:
      case IP6_EXT.AH: {
        if (end - off < 2) return null;
        const len = next === IP6_EXT.AH ? (d[off + 1]! + 2) * 4 : (d[off + 1]! + 1) * 8;
        if (end - off < len) return null;
        next = d[off]!;
        off += len;
        continue;
      }
      case IP6_EXT.FRAGMENT: {
        if (end - off < IP6_FRAG.SIZE) return null;
        const of = be16(d, off + IP6_FRAG.OFFSET_FLAGS);
        if (!frag) frag = { offset: of & 0xfff8, more: (of & 1) !== 0, id: be32(d, off + IP6_FRAG.ID) };
        next = d[off + IP6_FRAG.NEXT]!;
        off += IP6_FRAG.SIZE;
        if ((of & 0xfff8) !== 0) return { proto: next, off, frag };
        continue;
      }
      default:
        return frag ? { proto: next, off, frag } : { proto: next, off };
    }
  }
}

/**
 * Transport fields of a first (or only) fragment at d[off, end); `declEnd` is
 * where the IP header says the payload ends (Infinity when it does not say).
 */
function transport(d: Uint8Array, off: number, end: number, declEnd: number, family: Family, proto: number, rec: PacketRecord): void {
  const avail = end - off;
  if (proto === PROTO.TCP) {
    if (avail < TCP.SIZE) return malformed(rec);
    const doff = (d[off + TCP.DATA_OFFSET]! >> 4) * 4;
    if (doff < TCP.SIZE || doff > declEnd - off) return malformed(rec);
    rec.sport = be16(d, off + TCP.SPORT);
    rec.dport = be16(d, off + TCP.DPORT);
    rec.tcpFlags = d[off + TCP.FLAGS]!;
    return;
  }
  if (proto === PROTO.UDP) {
    if (avail < UDP.SIZE) return malformed(rec);
    rec.sport = be16(d, off + UDP.SPORT);
    rec.dport = be16(d, off + UDP.DPORT);
    return;
  }
  const isIcmp = (family === 4 && proto === PROTO.ICMP) || (family === 6 && proto === PROTO.ICMPV6);
  if (!isIcmp) return;
  if (avail < ICMP.SIZE) return malformed(rec);
  const type = d[off + ICMP.TYPE]!;
  rec.icmpType = type;
  rec.icmpCode = d[off + ICMP.CODE]!;
  if (family === 4 ? type === 8 || type === 0 : type === 128 || type === 129) {
    rec.icmpId = be16(d, off + ICMP.ID);
    return;
  }
  const isError = family === 4 ? type === 3 || type === 4 || type === 5 || type === 11 || type === 12 : type >= 1 && type <= 4;
  if (isError) {
    const q = quotedHeader(d, off + ICMP.SIZE, end, family);
    if (q) rec.quoted = q;
  }
}

/** The header quoted by an ICMP error, or undefined when not even its IP header is there. */
function quotedHeader(d: Uint8Array, off: number, end: number, family: Family): QuotedHeader | undefined {
  let proto: number;
  let l4: number;
  let nonFirst = false;
  let q: QuotedHeader;
  if (family === 4) {
    if (end - off < IP4.SIZE || d[off]! >> 4 !== 4) return undefined;
    const hlen = (d[off]! & 0x0f) * 4;
    if (hlen < IP4.SIZE || hlen > end - off) return undefined;
    proto = d[off + IP4.PROTO]!;
    q = { family: 4, src: addr(d, off + IP4.SRC, 4), dst: addr(d, off + IP4.DST, 4), proto };
    l4 = off + hlen;
    nonFirst = (be16(d, off + IP4.FLAGS_FRAG) & 0x1fff) !== 0;
  } else {
    if (end - off < IP6.SIZE || d[off]! >> 4 !== 6) return undefined;
    const walk = walkIp6(d, off + IP6.SIZE, end, d[off + IP6.NEXT]!);
    if (!walk) return undefined;
    proto = walk.proto;
    q = { family: 6, src: addr(d, off + IP6.SRC, 16), dst: addr(d, off + IP6.DST, 16), proto };
    l4 = walk.off;
    nonFirst = (walk.frag?.offset ?? 0) > 0;
  }
  if (nonFirst) return q;
  const avail = end - l4;
  if ((proto === PROTO.TCP || proto === PROTO.UDP) && avail >= 4) {
    q.sport = be16(d, l4);
    q.dport = be16(d, l4 + 2);
  } else if (family === 4 ? proto === PROTO.ICMP : proto === PROTO.ICMPV6) {
    const t = avail >= 1 ? d[l4]! : -1;
    const echo = family === 4 ? t === 8 || t === 0 : t === 128 || t === 129;
    if (echo && avail >= 6) {
      q.icmpType = t;
      q.icmpId = be16(d, l4 + ICMP.ID);
    }
  }
  return q;
}
