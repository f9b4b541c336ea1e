/**
 * The decoded packet record: what the capture decoder produces and what the
 * evaluators judge. Every field the security-group semantics can look at, and
 * nothing else. Addresses are unsigned integers (IPv4: 32 bits, IPv6: 128 bits)
 * held as bigint; `family` says which.
 *
 * Fields that do not apply to a packet are absent (undefined), exactly like
 * the keys of `sgfilter decode --jsonl`.
 */
import { ApiUsageError } from './errors.js';

/** Why a frame could not be judged as an IP packet. */
export type UndecodableReason = 'non-ip' | 'malformed';

export type Family = 4 | 6;

/** IP protocol numbers the semantics name. */
export const PROTO = {
  ICMP: 1,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  GRE: 47,
  ICMPV6: 58,
} as const;

/** TCP flag bits, as in the TCP header's flags byte. */
export const TCP_FLAG = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
} as const;

/**
 * The transport tuple quoted inside an ICMP/ICMPv6 error message: the header of
 * the packet that caused the error (so, usually, a packet sent in the opposite
 * direction of the error itself).
 */
export interface QuotedHeader {
  family: Family;
  src: bigint;
  dst: bigint;
  proto: number;
  /** TCP/UDP ports of the quoted packet, when its first 8 transport bytes were quoted. */
  sport?: number;
  dport?: number;
  /** When the quoted packet is an ICMP/ICMPv6 echo request/reply. */
  icmpType?: number;
  icmpId?: number;
}

export interface PacketRecord {
  /** Capture timestamp, nanoseconds since the Unix epoch. Conntrack ages by it. */
  ts: bigint;
  /**
   * The timestamp as a decimal string of seconds with the capture's full
   * precision (e.g. "1700000000.123456"); set by capture readers, absent for
   * packets made by hand (then ts is printed with 9 decimals).
   */
  tsText?: string;
  /** Present when the frame is not a decodable IP packet. */
  reason?: UndecodableReason;
  family?: Family;
  src?: bigint;
  dst?: bigint;
  /** IP protocol (IPv4 protocol field; IPv6: the upper-layer header after the extension chain). */
  proto?: number;
  sport?: number;
  dport?: number;
  /** TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80). */
  tcpFlags?: number;
  icmpType?: number;
  icmpCode?: number;
  /** ICMP/ICMPv6 echo request/reply identifier. */
  icmpId?: number;
  /** Fragment offset in bytes (IPv4 offset field × 8; IPv6 fragment header offset × 8). */
  fragOffset?: number;
  moreFragments?: boolean;
  /** IPv4 identification (16 bits) or IPv6 fragment identification (32 bits); only on fragments. */
  fragId?: number;
  /** The quoted header of an ICMP/ICMPv6 error message (v4 types 3,4,5,11,12; v6 types 1-4). */
  quoted?: QuotedHeader;
}

/** True when the record is a fragment of a larger datagram (first or not). */
export function isFragment(p: PacketRecord): boolean {
  return (p.fragOffset ?? 0) > 0 || p.moreFragments === true;
}

/** True for a fragment other than the first one (it carries no transport header). */
export function isNonFirstFragment(p: PacketRecord): boolean {
  return (p.fragOffset ?? 0) > 0;
}

/** ICMP error types whose payload quotes the offending packet's header. */
export function isIcmpError(p: PacketRecord): boolean {
  if (p.proto === PROTO.ICMP && p.family === 4) {
    const t = p.icmpType;
    return t === 3 || t === 4 || t === 5 || t === 11 || t === 12;
  }
  if (p.proto === PROTO.ICMPV6 && p.family === 6) {
    const t = p.icmpType;
    return t !== undefined && t >= 1 && t <= 4;
  }
  return false;
}

/** Echo request/reply types whose identifier acts as the conntrack "port". */
export function isEcho(family: Family, proto: number, icmpType: number | undefined): boolean {
  if (family === 4 && proto === PROTO.ICMP) return icmpType === 8 || icmpType === 0;
  if (family === 6 && proto === PROTO.ICMPV6) return icmpType === 128 || icmpType === 129;
  return false;
}

/** The largest conntrack timeout, seconds (365 days); see model/topology.ts. */
export const MAX_TIMEOUT_SECONDS = 31_536_000;
const MAX_SECONDS = MAX_TIMEOUT_SECONDS;

/**
 * Seconds (a timeout, possibly fractional, 0..365 days) to nanoseconds. A
 * value outside that range (a topology built by hand past the loader's
 * check) is an ApiUsageError naming it, never a wrong or wrapped timeout.
 */
export function secondsToNs(s: number): bigint {
  if (typeof s !== 'number' || !(s >= 0 && s <= MAX_SECONDS)) {
    throw new ApiUsageError(`a conntrack timeout must be a number of seconds from 0 to ${MAX_SECONDS}, got ${String(s)}`);
  }
  return BigInt(Math.round(s * 1_000_000_000));
}

/** Format a timestamp as decimal seconds with 9 digits (nanoseconds). */
export function formatTs(ts: bigint, digits = 9): string {
  const neg = ts < 0n;
  const abs = neg ? -ts : ts;
  const sec = abs / 1_000_000_000n;
  const frac = abs % 1_000_000_000n;
  let fracText = frac.toString().padStart(9, '0');
  if (digits < 9) fracText = fracText.slice(0, digits);
  return (neg ? '-' : '') + sec.toString() + (digits > 0 ? '.' + fracText : '');
}

/** The record's timestamp text: the capture's own, or 9 decimals. */
export function tsTextOf(p: PacketRecord): string {
  return p.tsText ?? formatTs(p.ts);
}
