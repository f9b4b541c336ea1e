/**
 * Small frame builders for tests and the traffic generator: Ethernet (with
 * VLAN tags), IPv4 (options, fragments), IPv6 (extension headers), TCP, UDP,
 * ICMP/ICMPv6, Linux SLL/SLL2 and NULL/LOOP heads. Every header gets its
 * correct length fields; the IPv4 header checksum is filled, transport
 * checksums are left 0 (nothing in sgfilter checks them).
 *
 * Compose inside out: `ethernet({ type: 0x0800 }, ipv4({ src, dst, proto: 6 }, tcp({ sport, dport, flags })))`.
 */
import { parseAddress } from '../model/address.js';
import { ETHERTYPE, IP6_EXT } from './decode.js';
import { ApiUsageError } from '../model/errors.js';

export type AddrInput = string | bigint;

function addrBytes(a: AddrInput, family: 4 | 6): Uint8Array {
  let v: bigint;
  if (typeof a === 'bigint') v = a;
  else {
    const p = parseAddress(a);
    if (!p || p.family !== family) throw new ApiUsageError(`build: ${a} is not an IPv${family} address`);
    v = p.value;
  }
  const n = family === 4 ? 4 : 16;
  const out = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
function put32(b: Uint8Array, o: number, v: number): void {
  put16(b, o, (v >>> 16) & 0xffff);
  put16(b, o + 2, v & 0xffff);
}

/** Internet checksum of b[from, to). */
export function inetChecksum(b: Uint8Array, from = 0, to = b.byteLength): number {
  let s = 0;
  for (let i = from; i + 1 < to; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if ((to - from) & 1) s += b[to - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export interface EthernetOptions {
  type: number;
  dst?: Uint8Array;
  src?: Uint8Array;
  /** VLAN tags, outermost first: [tpid, vid] pairs (tpid 0x8100, 0x88a8 or 0x9100). */
  vlans?: [number, number][];
}

export function ethernet(o: EthernetOptions, payload: Uint8Array): Uint8Array {
  const tags = o.vlans ?? [];
  const h = new Uint8Array(14 + 4 * tags.length);
  h.set(o.dst ?? [2, 0, 0, 0, 0, 2], 0);
  h.set(o.src ?? [2, 0, 0, 0, 0, 1], 6);
  let p = 12;
  for (const [tpid, vid] of tags) {
    put16(h, p, tpid);
    put16(h, p + 2, vid & 0x0fff);
    p += 4;
  }
  put16(h, p, o.type);
  return concat(h, payload);
}

/** Linux cooked header v1 (16 bytes) with `protocol` as its ethertype. */
export function sll(protocol: number, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(16);
  put16(h, 0, 0); // packet type: to us
  put16(h, 2, 1); // ARPHRD_ETHER
  put16(h, 4, 6);
  h.set([2, 0, 0, 0, 0, 1], 6);
  put16(h, 14, protocol);
  return concat(h, payload);
}

/** Linux cooked header v2 (20 bytes). */
export function sll2(protocol: number, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(20);
  put16(h, 0, protocol);
  put32(h, 4, 1); // ifindex
  put16(h, 8, 1); // ARPHRD_ETHER
  h[11] = 6;
  h.set([2, 0, 0, 0, 0, 1], 12);
  return concat(h, payload);
}

/** NULL (host order, little-endian here) or LOOP (network order) header: a BSD address family. */
export function nullHeader(family: number, payload: Uint8Array, loop = false): Uint8Array {
  const h = new Uint8Array(4);
  if (loop) put32(h, 0, family);
  else new DataView(h.buffer).setUint32(0, family, true);
  return concat(h, payload);
}

export interface Ipv4Options {
  src: AddrInput;
  dst: AddrInput;
  proto: number;
  id?: number;
  ttl?: number;
  /** More-fragments flag. */
  mf?: boolean;
  df?: boolean;
  /** Fragment offset in bytes (a multiple of 8). */
  fragOffset?: number;
  /** IP options (padded to a multiple of 4). */
  options?: Uint8Array;
  /** Override the total length field (default: header + payload). */
  totalLength?: number;
  /** Override the IHL nibble. */
  ihl?: number;
  version?: number;
}

export function ipv4(o: Ipv4Options, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const optLen = o.options ? (o.options.byteLength + 3) & ~3 : 0;
  const hlen = 20 + optLen;
  const h = new Uint8Array(hlen);
  h[0] = ((o.version ?? 4) << 4) | ((o.ihl ?? hlen / 4) & 0x0f);
  put16(h, 2, o.totalLength ?? hlen + payload.byteLength);
  put16(h, 4, o.id ?? 0);
  const off = o.fragOffset ?? 0;
  if (off % 8 !== 0) throw new ApiUsageError(`build: fragment offset ${off} is not a multiple of 8`);
  put16(h, 6, (o.mf ? 0x2000 : 0) | (o.df ? 0x4000 : 0) | (off / 8));
  h[8] = o.ttl ?? 64;
  h[9] = o.proto;
  h.set(addrBytes(o.src, 4), 12);
  h.set(addrBytes(o.dst, 4), 16);
  if (o.options) h.set(o.options, 20);
  put16(h, 10, inetChecksum(h));
  return concat(h, payload);
}

/** An IPv6 extension header to put between the fixed header and the payload. */
export type Ipv6Ext =
  | { type: 'hop' | 'dst' | 'routing'; length?: number }
  | { type: 'fragment'; offset: number; more: boolean; id: number }
  | { type: 'ah'; length?: number };

export interface Ipv6Options {
  src: AddrInput;
  dst: AddrInput;
  /** Upper-layer protocol after the extension headers. */
  next: number;
  extensions?: Ipv6Ext[];
  hopLimit?: number;
  /** Override the payload length field. */
  payloadLength?: number;
  version?: number;
}

const EXT_NUMBER = { hop: IP6_EXT.HOPOPTS, dst: IP6_EXT.DSTOPTS, routing: IP6_EXT.ROUTING, fragment: IP6_EXT.FRAGMENT, ah: IP6_EXT.AH } as const;

export function ipv6(o: Ipv6Options, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const exts = o.extensions ?? [];
  const parts: Uint8Array[] = [];
  for (let i = 0; i < exts.length; i++) {
    const e = exts[i]!;
    const nh = i + 1 < exts.length ? EXT_NUMBER[exts[i + 1]!.type] : o.next;
    let b: Uint8Array;
    if (e.type === 'fragment') {
      if (e.offset % 8 !== 0) throw new ApiUsageError(`build: fragment offset ${e.offset} is not a multiple of 8`);
      b = new Uint8Array(8);
      put16(b, 2, e.offset | (e.more ? 1 : 0));
      put32(b, 4, e.id);
    } else if (e.type === 'ah') {
      const words = e.length ?? 4; // payload len field: (total / 4) - 2
      b = new Uint8Array((words + 2) * 4);
      b[1] = words;
    } else {
      const units = e.length ?? 0; // (total / 8) - 1
      b = new Uint8Array((units + 1) * 8);
      b[1] = units;
      if (b.byteLength >= 8) { b[2] = 1; b[3] = b.byteLength - 4; } // one PadN option
    }
    b[0] = nh;
    parts.push(b);
  }
  const ext = concat(...parts);
  const h = new Uint8Array(40);
  h[0] = (o.version ?? 6) << 4;
  put16(h, 4, o.payloadLength ?? ext.byteLength + payload.byteLength);
  h[6] = exts.length ? EXT_NUMBER[exts[0]!.type] : o.next;
  h[7] = o.hopLimit ?? 64;
  h.set(addrBytes(o.src, 6), 8);
  h.set(addrBytes(o.dst, 6), 24);
  return concat(h, ext, payload);
}

export interface TcpOptions {
  sport: number;
  dport: number;
  /** Flags byte (TCP_FLAG bits). */
  flags?: number;
  seq?: number;
  ack?: number;
  /** TCP options bytes (padded to 4). */
  options?: Uint8Array;
  /** Override the data offset nibble. */
  dataOffset?: number;
}

export function tcp(o: TcpOptions, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const optLen = o.options ? (o.options.byteLength + 3) & ~3 : 0;
  const h = new Uint8Array(20 + optLen);
  put16(h, 0, o.sport);
  put16(h, 2, o.dport);
  put32(h, 4, o.seq ?? 0);
  put32(h, 8, o.ack ?? 0);
  h[12] = ((o.dataOffset ?? h.byteLength / 4) & 0x0f) << 4;
  h[13] = o.flags ?? 0;
  put16(h, 14, 65535);
  if (o.options) h.set(o.options, 20);
  return concat(h, payload);
}

export function udp(o: { sport: number; dport: number }, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = new Uint8Array(8);
  put16(h, 0, o.sport);
  put16(h, 2, o.dport);
  put16(h, 4, 8 + payload.byteLength);
  return concat(h, payload);
}

/** ICMP or ICMPv6 header (same 8-byte shape): type, code, checksum 0, then id/seq or the 4 "unused" bytes. */
export function icmp(o: { type: number; code?: number; id?: number; seq?: number }, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = new Uint8Array(8);
  h[0] = o.type;
  h[1] = o.code ?? 0;
  put16(h, 4, o.id ?? 0);
  put16(h, 6, o.seq ?? 0);
  return concat(h, payload);
}

/** Convenience: an Ethernet frame carrying IPv4 or IPv6. */
export function ethIp(ip: Uint8Array, vlans?: [number, number][]): Uint8Array {
  const type = ip.byteLength > 0 && ip[0]! >> 4 === 6 ? ETHERTYPE.IPV6 : ETHERTYPE.IPV4;
  return ethernet(vlans ? { type, vlans } : { type }, ip);
}
