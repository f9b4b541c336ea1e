/**
 * Packets without a frame (`Filter.judgeTuple`): a 5-tuple and the few header
 * fields conntrack and the rules read, validated, then written straight into
 * a decoded record (the REC layout, src/wasm/layout.ts) exactly as the
 * decoder (assembly/decode.ts, src/pcap/decode.ts) would have written it for
 * a frame carrying that packet — so a tuple and a frame of the same flow see
 * the same conntrack state.
 *
 * Bad input is a TupleError (code SGF_API_BAD_TUPLE) whose `field` names the
 * offending field (`proto`, `src`, `quoted.sport`, …).
 */
import { formatAddress, parseAddress, type ParsedAddress } from '../model/address.js';
import { SgfError } from '../model/errors.js';
import type { Family, PacketRecord } from '../model/packet.js';
import { REC, REC_FLAG, REC_QFLAG } from '../wasm/layout.js';

/** Protocols by name (numbers 0-255 work too). */
export const TUPLE_PROTOCOLS = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 } as const;

export type TupleProtocol = keyof typeof TUPLE_PROTOCOLS | number;

/** The header an ICMP error quotes (the packet that caused it). */
export interface QuotedTuple {
  proto: TupleProtocol;
  src: string;
  dst: string;
  /** TCP/UDP: the quoted ports (both or neither). */
  sport?: number;
  dport?: number;
  /** A quoted echo request/reply: its type and identifier (both or neither). */
  icmpType?: number;
  icmpId?: number;
}

/** A packet without its frame. */
export interface PacketTuple {
  /** `tcp`, `udp`, `icmp`, `icmpv6`, or an IP protocol number 0-255. */
  proto: TupleProtocol;
  /** IPv4 (dotted quad) or IPv6 text; both addresses of one family. */
  src: string;
  dst: string;
  /** TCP/UDP ports, 0-65535: required for tcp and udp (unless a non-first fragment), refused otherwise. */
  sport?: number;
  dport?: number;
  /** TCP only: the flags byte (SYN 0x02, ACK 0x10, FIN 0x01, RST 0x04, …), default 0. */
  tcpFlags?: number;
  /** ICMP/ICMPv6 only: type (required) and code (default 0). */
  icmpType?: number;
  icmpCode?: number;
  /** Echo request/reply only (ICMP 8/0, ICMPv6 128/129): the identifier, default 0. */
  icmpId?: number;
  /** A fragment: its offset in bytes (a multiple of 8; > 0: no transport fields), more-fragments flag and id. */
  fragOffset?: number;
  moreFragments?: boolean;
  fragId?: number;
  /** ICMP errors (ICMP 3, 4, 5, 11, 12; ICMPv6 1-4): the quoted header, if any. */
  quoted?: QuotedTuple;
}

/** A tuple the filter cannot judge; `field` names the field, the message what was expected. */
export class TupleError extends SgfError {
  readonly code = 'SGF_API_BAD_TUPLE';
  constructor(readonly field: string, readonly detail: string) {
    super(`${field}: ${detail}`);
    this.name = 'TupleError';
  }
}

const KNOWN = ['proto', 'src', 'dst', 'sport', 'dport', 'tcpFlags', 'icmpType', 'icmpCode', 'icmpId', 'fragOffset', 'moreFragments', 'fragId', 'quoted'];
const KNOWN_QUOTED = ['proto', 'src', 'dst', 'sport', 'dport', 'icmpType', 'icmpId'];

function isKnown(k: string): boolean {
  switch (k) {
    case 'proto': case 'src': case 'dst': case 'sport': case 'dport': case 'tcpFlags': case 'icmpType':
    case 'icmpCode': case 'icmpId': case 'fragOffset': case 'moreFragments': case 'fragId': case 'quoted':
      return true;
  }
  return false;
}

function isKnownQuoted(k: string): boolean {
  switch (k) {
    case 'proto': case 'src': case 'dst': case 'sport': case 'dport': case 'icmpType': case 'icmpId':
      return true;
  }
  return false;
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'an array' : 'an object';
}

function protoOf(v: unknown, field: string): number {
  if (typeof v === 'string') {
    const p = (TUPLE_PROTOCOLS as Record<string, number>)[v.toLowerCase()];
    if (p === undefined) throw new TupleError(field, `unknown protocol ${show(v)}: expected tcp, udp, icmp, icmpv6 or a protocol number 0-255`);
    return p;
  }
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255) return v;
  throw new TupleError(field, `expected tcp, udp, icmp, icmpv6 or a protocol number 0-255, got ${show(v)}`);
}

/** A parsed address with its record form as four u32 words (the 128-bit little-endian integer's, low word first). */
interface RecordAddress {
  family: Family;
  w0: number;
  w1: number;
  w2: number;
  w3: number;
}

/** A small cache of parsed addresses (a proxy judges the same few addresses over and over). */
const addressCache = new Map<string, RecordAddress>();

function recordAddress(p: ParsedAddress): RecordAddress {
  const word = (k: number) => Number((p.value >> BigInt(32 * k)) & 0xffffffffn);
  return { family: p.family, w0: word(0), w1: word(1), w2: word(2), w3: word(3) };
}

/** Addresses the cache keeps at most (then it starts again). */
const MAX_CACHED_ADDRESSES = 65536;

/**
 * A dotted quad in canonical form (no leading zeros), or -1: the fast path;
 * anything else goes to parseAddress, which decides (the same value for
 * every canonical quad).
 */
function canonicalQuad(s: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || part > 255 || ++parts > 4) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // a leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3) return -1;
    } else {
      return -1;
    }
  }
  return parts === 4 ? value : -1;
}

function addressOf(v: unknown, field: string): RecordAddress {
  if (typeof v !== 'string') throw new TupleError(field, `expected an IPv4 or IPv6 address as text, got ${show(v)}`);
  let a = addressCache.get(v);
  if (a === undefined) {
    const quad = canonicalQuad(v);
    if (quad >= 0) {
      a = { family: 4, w0: quad, w1: 0, w2: 0, w3: 0 };
    } else {
      const p = parseAddress(v);
      if (p === null) throw new TupleError(field, `not an IPv4 or IPv6 address: ${show(v)}`);
      a = recordAddress(p);
    }
    if (addressCache.size >= MAX_CACHED_ADDRESSES) addressCache.clear();
    addressCache.set(v, a);
  }
  return a;
}

function intIn(v: unknown, field: string, lo: number, hi: number, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi) return v;
  throw new TupleError(field, `expected ${what} (an integer ${lo}-${hi}), got ${show(v)}`);
}

function refuse(t: object, keys: string[], prefix: string, why: string): void {
  for (const k of keys) if ((t as Record<string, unknown>)[k] !== undefined) throw new TupleError(prefix + k, why);
}

const TRANSPORT_FIELDS = ['sport', 'dport', 'tcpFlags', 'icmpType', 'icmpCode', 'icmpId', 'quoted'];

const isEcho = (family: Family, proto: number, type: number) => (family === 4 && proto === 1 ? type === 8 || type === 0 : family === 6 && proto === 58 && (type === 128 || type === 129));
const isIcmpError = (family: Family, proto: number, type: number) =>
  family === 4 && proto === 1 ? type === 3 || type === 4 || type === 5 || type === 11 || type === 12 : family === 6 && proto === 58 && type >= 1 && type <= 4;
const isIcmp = (family: Family, proto: number) => (family === 4 ? proto === 1 : proto === 58);

function checkKeys(t: unknown, known: (k: string) => boolean, names: string[], prefix: string): asserts t is Record<string, unknown> {
  if (t === null || typeof t !== 'object' || Array.isArray(t)) throw new TupleError(prefix ? prefix.slice(0, -1) : 'tuple', `expected an object { proto, src, dst, … }, got ${show(t)}`);
  for (const k in t) if (!known(k) && (t as Record<string, unknown>)[k] !== undefined) throw new TupleError(prefix + k, `unknown field (expected one of ${names.join(', ')})`);
}

function writeAddr(dv: DataView, at: number, a: RecordAddress): void {
  dv.setUint32(at, a.w0, true);
  if (a.family === 4) return;
  dv.setUint32(at + 4, a.w1, true);
  dv.setUint32(at + 8, a.w2, true);
  dv.setUint32(at + 12, a.w3, true);
}

/**
 * Validate `t` and write its record at `at` in `dv` (REC.SIZE bytes, zeroed
 * here first), timestamp `ts` (ns, already validated). Throws TupleError.
 */
export function writeTupleRecord(dv: DataView, u8: Uint8Array, at: number, t: PacketTuple, ts: bigint): void {
  checkKeys(t, isKnown, KNOWN, '');
  const src = addressOf(t.src, 'src');
  const dst = addressOf(t.dst, 'dst');
  const family = src.family;
  if (dst.family !== family) throw new TupleError('dst', `an IPv${dst.family} address, but src is IPv${family}: both must be of one family`);
  const proto = protoOf(t.proto, 'proto');
  if (typeof t.proto === 'string' && ((proto === 1 && family === 6) || (proto === 58 && family === 4))) {
    throw new TupleError('proto', `${t.proto} with IPv${family} addresses (use ${family === 4 ? 'icmp' : 'icmpv6'})`);
  }
  let flags = REC_FLAG.ADDR;
  const fragOffset = t.fragOffset === undefined ? 0 : intIn(t.fragOffset, 'fragOffset', 0, 65528, 'a fragment offset in bytes');
  if (fragOffset % 8 !== 0) throw new TupleError('fragOffset', `a fragment offset is a multiple of 8 bytes, got ${fragOffset}`);
  if (t.moreFragments !== undefined && typeof t.moreFragments !== 'boolean') throw new TupleError('moreFragments', `expected true or false, got ${show(t.moreFragments)}`);
  const fragment = fragOffset > 0 || t.moreFragments === true;
  if (!fragment && t.fragId !== undefined) throw new TupleError('fragId', 'only a fragment (fragOffset > 0 or moreFragments) has a fragment id');
  const fragId = t.fragId === undefined ? 0 : intIn(t.fragId, 'fragId', 0, family === 4 ? 0xffff : 0xffffffff, `an IPv${family} fragment id`);

  u8.fill(0, at, at + REC.SIZE);
  dv.setBigInt64(at + REC.TS, ts, true);
  dv.setUint8(at + REC.FAMILY, family);
  dv.setUint8(at + REC.PROTO, proto);
  writeAddr(dv, at + REC.SRC, src);
  writeAddr(dv, at + REC.DST, dst);
  if (fragment) {
    flags |= REC_FLAG.FRAG;
    if (t.moreFragments === true) flags |= REC_FLAG.MF;
    dv.setUint16(at + REC.FRAG_OFFSET, fragOffset, true);
    dv.setUint32(at + REC.FRAG_ID, fragId, true);
  }
  if (fragOffset > 0) {
    refuse(t, TRANSPORT_FIELDS, '', 'a non-first fragment (fragOffset > 0) carries no transport header');
  } else if (proto === 6 || proto === 17) {
    if (t.icmpType !== undefined || t.icmpCode !== undefined || t.icmpId !== undefined || t.quoted !== undefined) refuse(t, ['icmpType', 'icmpCode', 'icmpId', 'quoted'], '', `${proto === 6 ? 'tcp' : 'udp'} has no ICMP fields`);
    if (proto === 17 && t.tcpFlags !== undefined) refuse(t, ['tcpFlags'], '', 'only tcp has flags');
    if (t.sport === undefined) throw new TupleError('sport', 'required for tcp and udp (a port 0-65535)');
    if (t.dport === undefined) throw new TupleError('dport', 'required for tcp and udp (a port 0-65535)');
    dv.setUint16(at + REC.SPORT, intIn(t.sport, 'sport', 0, 65535, 'a port'), true);
    dv.setUint16(at + REC.DPORT, intIn(t.dport, 'dport', 0, 65535, 'a port'), true);
    flags |= REC_FLAG.PORTS;
    if (proto === 6) {
      flags |= REC_FLAG.TCP;
      dv.setUint8(at + REC.TCP_FLAGS, t.tcpFlags === undefined ? 0 : intIn(t.tcpFlags, 'tcpFlags', 0, 255, 'a TCP flags byte'));
    }
  } else if (isIcmp(family, proto)) {
    refuse(t, ['sport', 'dport', 'tcpFlags'], '', `${family === 4 ? 'icmp' : 'icmpv6'} has no ports or TCP flags`);
    if (t.icmpType === undefined) throw new TupleError('icmpType', `required for ${family === 4 ? 'icmp' : 'icmpv6'} (a type 0-255)`);
    const type = intIn(t.icmpType, 'icmpType', 0, 255, 'an ICMP type');
    dv.setUint8(at + REC.ICMP_TYPE, type);
    dv.setUint8(at + REC.ICMP_CODE, t.icmpCode === undefined ? 0 : intIn(t.icmpCode, 'icmpCode', 0, 255, 'an ICMP code'));
    flags |= REC_FLAG.ICMP;
    if (isEcho(family, proto, type)) {
      flags |= REC_FLAG.ICMP_ID;
      dv.setUint16(at + REC.ICMP_ID, t.icmpId === undefined ? 0 : intIn(t.icmpId, 'icmpId', 0, 65535, 'an echo identifier'), true);
      refuse(t, ['quoted'], '', 'an echo request/reply quotes no header');
    } else {
      refuse(t, ['icmpId'], '', `only an echo request/reply (type ${family === 4 ? '8 or 0' : '128 or 129'}) has an identifier`);
      if (t.quoted !== undefined) {
        if (!isIcmpError(family, proto, type)) throw new TupleError('quoted', `only an ICMP error (type ${family === 4 ? '3, 4, 5, 11 or 12' : '1-4'}) quotes a header, not type ${type}`);
        flags |= REC_FLAG.QUOTED;
        writeQuoted(dv, at, t.quoted, family);
      }
    }
  } else {
    refuse(t, TRANSPORT_FIELDS, '', `protocol ${proto} has no ports, TCP flags or ICMP fields here`);
  }
  dv.setUint8(at + REC.FLAGS, flags);
}

function writeQuoted(dv: DataView, at: number, q: QuotedTuple, outer: Family): void {
  checkKeys(q, isKnownQuoted, KNOWN_QUOTED, 'quoted.');
  const src = addressOf(q.src, 'quoted.src');
  const dst = addressOf(q.dst, 'quoted.dst');
  if (dst.family !== src.family) throw new TupleError('quoted.dst', `an IPv${dst.family} address, but quoted.src is IPv${src.family}`);
  const family = src.family;
  if (family !== outer) throw new TupleError('quoted.src', `an IPv${family} address inside an IPv${outer} ICMP error (an error quotes a header of its own family)`);
  const proto = protoOf(q.proto, 'quoted.proto');
  let qf = REC_QFLAG.PRESENT | (family === 6 ? REC_QFLAG.V6 : 0);
  writeAddr(dv, at + REC.QSRC, src);
  writeAddr(dv, at + REC.QDST, dst);
  dv.setUint8(at + REC.QPROTO, proto);
  if (proto === 6 || proto === 17) {
    refuse(q, ['icmpType', 'icmpId'], 'quoted.', 'a quoted tcp/udp header has no ICMP fields');
    if ((q.sport === undefined) !== (q.dport === undefined)) throw new TupleError(q.sport === undefined ? 'quoted.sport' : 'quoted.dport', 'give both quoted ports or neither');
    if (q.sport !== undefined) {
      dv.setUint16(at + REC.QSPORT, intIn(q.sport, 'quoted.sport', 0, 65535, 'a port'), true);
      dv.setUint16(at + REC.QDPORT, intIn(q.dport, 'quoted.dport', 0, 65535, 'a port'), true);
      qf |= REC_QFLAG.PORTS;
    }
  } else if (isIcmp(family, proto)) {
    refuse(q, ['sport', 'dport'], 'quoted.', 'a quoted ICMP header has no ports');
    if ((q.icmpType === undefined) !== (q.icmpId === undefined)) throw new TupleError(q.icmpType === undefined ? 'quoted.icmpType' : 'quoted.icmpId', 'a quoted echo gives both its type and identifier');
    if (q.icmpType !== undefined) {
      const type = intIn(q.icmpType, 'quoted.icmpType', 0, 255, 'an ICMP type');
      if (!isEcho(family, proto, type)) throw new TupleError('quoted.icmpType', `only a quoted echo (type ${family === 4 ? '8 or 0' : '128 or 129'}) is kept, got ${type}`);
      dv.setUint8(at + REC.QICMP_TYPE, type);
      dv.setUint16(at + REC.QICMP_ID, intIn(q.icmpId, 'quoted.icmpId', 0, 65535, 'an echo identifier'), true);
      qf |= REC_QFLAG.ECHO;
    }
  } else {
    refuse(q, ['sport', 'dport', 'icmpType', 'icmpId'], 'quoted.', `a quoted protocol ${proto} header has no ports or ICMP fields here`);
  }
  dv.setUint8(at + REC.QFLAGS, qf);
}

/**
 * The tuple of a decoded IP packet (the fields judgeTuple takes, the
 * addresses as text), or null for a packet that is not judged as IP (a
 * decode `reason`, no family). For callers that hold records, and for the
 * bench and tests that feed a capture's packets to judgeTuple.
 */
export function tupleOfRecord(p: PacketRecord): PacketTuple | null {
  if (p.reason !== undefined || p.family === undefined) return null;
  const t: Record<string, unknown> = { proto: p.proto, src: formatAddress(p.family, p.src!), dst: formatAddress(p.family, p.dst!) };
  for (const k of ['sport', 'dport', 'tcpFlags', 'icmpType', 'icmpCode', 'icmpId', 'fragOffset', 'moreFragments', 'fragId'] as const) if (p[k] !== undefined) t[k] = p[k];
  if (p.quoted) {
    const q = p.quoted;
    const qt: Record<string, unknown> = { proto: q.proto, src: formatAddress(q.family, q.src), dst: formatAddress(q.family, q.dst) };
    for (const k of ['sport', 'dport', 'icmpType', 'icmpId'] as const) if (q[k] !== undefined) qt[k] = q[k];
    t.quoted = qt;
  }
  return t as unknown as PacketTuple;
}
