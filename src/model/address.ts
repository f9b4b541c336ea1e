/**
 * IP addresses and CIDR blocks as integers. Parsing goes through ipaddr.js;
 * after that an address is `{ family, value }` with value a bigint (32 or 128
 * bits), and a CIDR block is the masked network plus its prefix length.
 */
import ipaddr from 'ipaddr.js';
import type { Family } from './packet.js';

export interface Cidr {
  family: Family;
  /** The network address (host bits zero). */
  network: bigint;
  prefix: number;
}

export function familyBits(family: Family): number {
  return family === 4 ? 32 : 128;
}

/** Mask of the top `prefix` bits of a `family` address. */
export function prefixMask(family: Family, prefix: number): bigint {
  const bits = BigInt(familyBits(family));
  if (prefix === 0) return 0n;
  const all = (1n << bits) - 1n;
  return (all >> BigInt(familyBits(family) - prefix)) << BigInt(familyBits(family) - prefix);
}

/** Is `addr` (of `family`) inside `cidr`? Different families never match. */
export function cidrContains(cidr: Cidr, family: Family, addr: bigint): boolean {
  if (cidr.family !== family) return false;
  return (addr & prefixMask(family, cidr.prefix)) === cidr.network;
}

/** Does `outer` contain every address of `inner`? */
export function cidrCovers(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && outer.prefix <= inner.prefix &&
    (inner.network & prefixMask(outer.family, outer.prefix)) === outer.network;
}

function bytesToBigint(bytes: number[]): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

export interface ParsedAddress {
  family: Family;
  value: bigint;
}

/**
 * Parse an IPv4 or IPv6 address in its usual text forms. IPv4-mapped IPv6
 * addresses stay IPv6 (a packet's family is what its header says).
 * Returns null when the text is not an address.
 */
export function parseAddress(text: string): ParsedAddress | null {
  if (typeof text !== 'string' || text.length === 0) return null;
  // ipaddr.js accepts legacy IPv4 forms ("10.1", "0x0a000001") in isValid;
  // security groups only know the four-part dotted form.
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    return { family: 4, value: bytesToBigint(ipaddr.IPv4.parse(text).toByteArray()) };
  }
  if (text.includes(':') && ipaddr.IPv6.isValid(text)) {
    const a = ipaddr.IPv6.parse(text);
    if (a.zoneId) return null;
    return { family: 6, value: bytesToBigint(a.toByteArray()) };
  }
  return null;
}

export type CidrParse =
  | { ok: true; cidr: Cidr; hostBitsSet: boolean }
  | { ok: false; expected: string };

/**
 * Parse "a.b.c.d/len", "x::/len" or a bare address (= /32 or /128). Reports
 * host bits instead of silently masking them: the native format refuses them,
 * importers mask them with a warning.
 */
export function parseCidr(text: string): CidrParse {
  if (typeof text !== 'string') return { ok: false, expected: 'a CIDR block as a string' };
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const addr = parseAddress(addrText);
  if (!addr) return { ok: false, expected: 'an IPv4 or IPv6 address or CIDR block (e.g. 10.0.0.0/8, 2001:db8::/32)' };
  const bits = familyBits(addr.family);
  let prefix = bits;
  if (slash >= 0) {
    const lenText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > bits) {
      return { ok: false, expected: `an IPv${addr.family} CIDR block (prefix length 0-${bits})` };
    }
    // "/08": a leading zero is not a prefix length any tool writes (and reads as octal in some).
    if (lenText.length > 1 && lenText.startsWith('0')) {
      return { ok: false, expected: `an IPv${addr.family} CIDR block (prefix length 0-${bits} without leading zeros: /${Number(lenText)})` };
    }
    prefix = Number(lenText);
  }
  const network = addr.value & prefixMask(addr.family, prefix);
  return { ok: true, cidr: { family: addr.family, network, prefix }, hostBitsSet: network !== addr.value };
}

/** Text form of an address: dotted quad or RFC 5952 IPv6. */
export function formatAddress(family: Family, value: bigint): string {
  if (family === 4) {
    const v = Number(value);
    return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const bytes: number[] = [];
  for (let i = 15; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 255n));
  return ipaddr.fromByteArray(bytes).toString();
}

export function formatCidr(c: Cidr): string {
  return `${formatAddress(c.family, c.network)}/${c.prefix}`;
}
