/**
 * The generator's frame encoder: one allocation per frame, addresses passed
 * as bytes. It writes exactly what composing the builders of
 * src/pcap/build.ts writes (`ethIp(ipv4|ipv6(..., tcp|udp|icmp(...)))`, same
 * defaults: MACs 02:00:00:00:00:02 <- 02:00:00:00:00:01, TTL / hop limit 64,
 * IPv4 header checksum filled, transport checksums 0, TCP window 65535);
 * test/gen/frames.test.ts holds it to the builders byte for byte. The
 * builders are the readable definition; this is the fast path that makes
 * millions of packets affordable (each builder layer allocates and copies).
 *
 * Layout written (offsets from the frame start, v = 4 × VLAN tags):
 * ```
 *  0 dst MAC | 6 src MAC | 12 [tpid vid]* | 12+v ethertype | 14+v IP header (20, or 40 [+8 fragment header])
 *  then TCP (20) / UDP (8) / ICMP (8) header and the payload, or raw bytes
 * ```
 */
import { ETHERTYPE, IP6_EXT } from '../pcap/decode.js';

export type L4 =
  | { kind: 'tcp'; sport: number; dport: number; flags: number; seq: number; ack: number; payload: Uint8Array }
  | { kind: 'udp'; sport: number; dport: number; payload: Uint8Array }
  | { kind: 'icmp'; type: number; code: number; id: number; seq: number; payload: Uint8Array }
  | { kind: 'raw'; payload: Uint8Array };

export interface L3 {
  family: 4 | 6;
  /** 4 or 16 bytes. */
  src: Uint8Array;
  dst: Uint8Array;
  /** Upper-layer protocol. */
  proto: number;
  /** IPv4 identification (ignored for IPv6). */
  id: number;
  /** Fragment: offset in bytes (multiple of 8), more-fragments, id (IPv4: 16 bits, IPv6: 32 bits). */
  frag?: { offset: number; more: boolean; id: number };
  vlans?: [number, number][];
}

/** Address as bytes (4 or 16, network order). */
export function addressBytes(family: 4 | 6, v: bigint): Uint8Array {
  const n = family === 4 ? 4 : 16;
  const out = new Uint8Array(n);
  if (family === 4) {
    const x = Number(v);
    out[0] = (x >>> 24) & 255;
    out[1] = (x >>> 16) & 255;
    out[2] = (x >>> 8) & 255;
    out[3] = x & 255;
    return out;
  }
  for (let i = 0; i < 4; i++) {
    const w = Number((v >> BigInt(96 - 32 * i)) & 0xffffffffn);
    out[4 * i] = (w >>> 24) & 255;
    out[4 * i + 1] = (w >>> 16) & 255;
    out[4 * i + 2] = (w >>> 8) & 255;
    out[4 * i + 3] = w & 255;
  }
  return out;
}

function l4Length(l4: L4): number {
  switch (l4.kind) {
    case 'tcp': return 20 + l4.payload.byteLength;
    case 'udp':
    case 'icmp': return 8 + l4.payload.byteLength;
    case 'raw': return l4.payload.byteLength;
  }
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** IPv4 header checksum over b[from, from + 20). */
function ipv4Checksum(b: Uint8Array, from: number): number {
  let s = 0;
  for (let i = from; i < from + 20; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** An Ethernet frame carrying one IP packet. */
export function encodeFrame(l3: L3, l4: L4): Uint8Array {
  const tags = l3.vlans ?? [];
  const eth = 14 + 4 * tags.length;
  const ipHdr = l3.family === 4 ? 20 : 40 + (l3.frag ? 8 : 0);
  const l4Len = l4Length(l4);
  const b = new Uint8Array(eth + ipHdr + l4Len);
  // Ethernet.
  b[0] = 2; b[5] = 2; // dst 02:00:00:00:00:02
  b[6] = 2; b[11] = 1; // src 02:00:00:00:00:01
  let p = 12;
  for (const [tpid, vid] of tags) {
    put16(b, p, tpid);
    put16(b, p + 2, vid & 0x0fff);
    p += 4;
  }
  put16(b, p, l3.family === 4 ? ETHERTYPE.IPV4 : ETHERTYPE.IPV6);
  let o = eth;
  // IP.
  if (l3.family === 4) {
    b[o] = 0x45;
    put16(b, o + 2, 20 + l4Len);
    const f = l3.frag;
    put16(b, o + 4, f ? f.id : l3.id);
    if (f) put16(b, o + 6, (f.more ? 0x2000 : 0) | (f.offset / 8));
    b[o + 8] = 64;
    b[o + 9] = l3.proto;
    b.set(l3.src, o + 12);
    b.set(l3.dst, o + 16);
    put16(b, o + 10, ipv4Checksum(b, o));
    o += 20;
  } else {
    b[o] = 0x60;
    const f = l3.frag;
    put16(b, o + 4, (f ? 8 : 0) + l4Len);
    b[o + 6] = f ? IP6_EXT.FRAGMENT : l3.proto;
    b[o + 7] = 64;
    b.set(l3.src, o + 8);
    b.set(l3.dst, o + 24);
    o += 40;
    if (f) {
      b[o] = l3.proto;
      put16(b, o + 2, f.offset | (f.more ? 1 : 0));
      put32(b, o + 4, f.id);
      o += 8;
    }
  }
  // Transport.
  switch (l4.kind) {
    case 'tcp':
      put16(b, o, l4.sport);
      put16(b, o + 2, l4.dport);
      put32(b, o + 4, l4.seq);
      put32(b, o + 8, l4.ack);
      b[o + 12] = 5 << 4;
      b[o + 13] = l4.flags;
      put16(b, o + 14, 65535);
      b.set(l4.payload, o + 20);
      break;
    case 'udp':
      put16(b, o, l4.sport);
      put16(b, o + 2, l4.dport);
      put16(b, o + 4, 8 + l4.payload.byteLength);
      b.set(l4.payload, o + 8);
      break;
    case 'icmp':
      b[o] = l4.type;
      b[o + 1] = l4.code;
      put16(b, o + 4, l4.id);
      put16(b, o + 6, l4.seq);
      b.set(l4.payload, o + 8);
      break;
    case 'raw':
      b.set(l4.payload, o);
      break;
  }
  return b;
}
