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
  src: TupleAddress;
  dst: TupleAddress;
  /** TCP/UDP: the quoted ports (both or neither). */
  sport?: number;
  dport?: number;
  /** A quoted echo request/reply: its type and identifier (both or neither). */
  icmpType?: number;
  icmpId?: number;
}

/** An address of a tuple: text, an IPv4 number (0 to 2^32 - 1) or an IPv6 bigint (0 to 2^128 - 1). */
export type TupleAddress = string | number | bigint;

/** A packet without its frame. */
export interface PacketTuple {
  /** `tcp`, `udp`, `icmp`, `icmpv6`, or an IP protocol number 0-255. */
  proto: TupleProtocol;
  /**
   * IPv4 (dotted quad) or IPv6 text; or, parsed already (no text to parse or
   * look up per call), an IPv4 address as a number (the 32-bit unsigned
   * integer, 10.0.0.1 = 0x0a000001) or an IPv6 address as a bigint (the
   * 128-bit unsigned integer). Both addresses of one family.
   */
  src: TupleAddress;
  dst: TupleAddress;
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

/** A parsed text address in its record form: four u32 words (the 128-bit little-endian integer's, low word first). */
interface RecordAddress {
  family: Family;
  w0: number;
  w1: number;
  w2: number;
  w3: number;
}

/** A small cache of parsed text addresses (a proxy judges the same few addresses over and over). */
const addressCache = new Map<string, RecordAddress>();

function recordAddress(p: ParsedAddress): RecordAddress {
  const word = (k: number) => Number((p.value >> BigInt(32 * k)) & 0xffffffffn);
  return { family: p.family, w0: word(0), w1: word(1), w2: word(2), w3: word(3) };
}

/** Addresses the cache keeps at most (then it starts again). */
const MAX_CACHED_ADDRESSES = 65536;

const TWO128 = 1n << 128n;

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

function textAddress(v: string, field: string): RecordAddress {
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

/**
 * Write address `v` (text, IPv4 number or IPv6 bigint) at `at` in the record
 * form (ADDRESS: a 128-bit little-endian integer; the record is zeroed, so
 * an IPv4 address writes its low word only). Returns its family.
 */
function putAddress(dv: DataView, at: number, v: unknown, field: string): Family {
  if (typeof v === 'string') return putWords(dv, at, textAddress(v, field));
  const family = fastAddress(dv, at, v);
  if (family !== 0) return family;
  if (typeof v === 'number') throw new TupleError(field, `an IPv4 address as a number is an integer 0-4294967295, got ${show(v)}`);
  if (typeof v === 'bigint') throw new TupleError(field, `an IPv6 address as a bigint is an integer 0 to 2^128 - 1, got ${show(v)}`);
  throw new TupleError(field, `expected an IPv4 or IPv6 address (text, an IPv4 number or an IPv6 bigint), got ${show(v)}`);
}

/** A parsed address's words at `at` (w1-w3 only for IPv6: the record is zeroed). */
function putWords(dv: DataView, at: number, a: RecordAddress): Family {
  dv.setUint32(at, a.w0, true);
  if (a.family === 6) {
    dv.setUint32(at + 4, a.w1, true);
    dv.setUint32(at + 8, a.w2, true);
    dv.setUint32(at + 12, a.w3, true);
  }
  return a.family;
}

function intIn(v: unknown, field: string, lo: number, hi: number, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi) return v;
  throw new TupleError(field, `expected ${what} (an integer ${lo}-${hi}), got ${show(v)}`);
}

function refuse(t: object, keys: string[], prefix: string, why: string): void {
  for (const k of keys) if ((t as Record<string, unknown>)[k] !== undefined) throw new TupleError(prefix + k, why);
}

const isEcho = (family: Family, proto: number, type: number) => (family === 4 && proto === 1 ? type === 8 || type === 0 : family === 6 && proto === 58 && (type === 128 || type === 129));
const isIcmpError = (family: Family, proto: number, type: number) =>
  family === 4 && proto === 1 ? type === 3 || type === 4 || type === 5 || type === 11 || type === 12 : family === 6 && proto === 58 && type >= 1 && type <= 4;
const isIcmp = (family: Family, proto: number) => (family === 4 ? proto === 1 : proto === 58);

function checkKeys(t: unknown, known: (k: string) => boolean, names: string[], prefix: string): asserts t is Record<string, unknown> {
  if (t === null || typeof t !== 'object' || Array.isArray(t)) throw new TupleError(prefix ? prefix.slice(0, -1) : 'tuple', `expected an object { proto, src, dst, … }, got ${show(t)}`);
  for (const k in t) if (!known(k) && (t as Record<string, unknown>)[k] !== undefined) throw new TupleError(prefix + k, `unknown field (expected one of ${names.join(', ')})`);
}

/**
 * Validate `t` and write its record at `at` in `dv` (REC.SIZE bytes, zero on
 * entry: the engine's tuple region, which it zeroes again after judging),
 * all but the timestamp. Throws TupleError, after which the record may be
 * partly written (the caller zeroes it).
 *
 * First the fast path (fastTupleRecord: the common tuples, read per
 * protocol); whatever it does not take — an error, a fragment, a text
 * address not cached yet, a protocol name in capitals — goes to the full
 * check (writeTupleRecordChecked), on the record zeroed again, so that the
 * errors and the record are the full check's.
 */
export function writeTupleRecord(dv: DataView, at: number, t: PacketTuple): void {
  if (fastTupleRecord(dv, at, t)) return;
  for (let i = 0; i < REC.SIZE; i += 4) dv.setUint32(at + i, 0, true);
  writeTupleRecordChecked(dv, at, t);
}

/**
 * The fast path of writeTupleRecord: true when it wrote the record (exactly
 * as writeTupleRecordChecked would have), false when it did not take the
 * tuple (the record may then be partly written). It never throws before
 * the quoted header, whose check is writeQuoted's in both paths, after the
 * outer fields were found valid.
 *
 * Why: callers' tuples come in many shapes (a key more or less per
 * protocol), so a load of `t.sport` where every tuple passes is
 * megamorphic (a stub-cache probe, ~5-10 ns); read in a function per
 * protocol, each load sees the few shapes of that protocol (inline map
 * checks). Only the fields of the protocol are read; the tuple's own keys
 * are then counted, and more keys than fields given sends it to the full
 * check (which names the stray field).
 */
export function fastTupleRecord(dv: DataView, at: number, t: PacketTuple): boolean {
  if (t === null || typeof t !== 'object') return false;
  const p = t.proto;
  let proto: number;
  if (typeof p === 'number') {
    if (!((p & 0xff) === p)) return false;
    proto = p;
  } else if (p === 'tcp') proto = 6;
  else if (p === 'udp') proto = 17;
  else if (p === 'icmp') proto = 1;
  else if (p === 'icmpv6') proto = 58;
  else return false;
  if (proto === 6 || proto === 17) return fastPorts(dv, at, t, proto);
  if (proto === 1 || proto === 58) return fastIcmp(dv, at, t, proto, typeof p === 'string');
  return fastOther(dv, at, t, proto);
}

/** An integer 0-255 / 0-65535 (a number: a bigint or any other value is not). */
const isU8 = (v: unknown): v is number => typeof v === 'number' && (v & 0xff) === v;
const isU16 = (v: unknown): v is number => typeof v === 'number' && (v & 0xffff) === v;

/** Own and inherited enumerable keys of `t` (as the full check's for-in sees them). */
function keyCount(t: object): number {
  let keys = 0;
  for (const _ in t) keys++;
  return keys;
}

/** Address `v` written at `at` without throwing: its family, or 0 (not taken: bad, or text not cached yet). */
function fastAddress(dv: DataView, at: number, v: unknown): Family | 0 {
  if (typeof v === 'number') {
    if (!(v >>> 0 === v)) return 0;
    dv.setUint32(at, v, true);
    return 4;
  }
  if (typeof v === 'string') {
    const a = addressCache.get(v);
    return a === undefined ? 0 : putWords(dv, at, a);
  }
  if (typeof v === 'bigint') {
    if (v < 0n || v >= TWO128) return 0;
    dv.setBigUint64(at, v, true); // ToBigUint64: the low 64 bits (no BigInt.asUintN, which allocates)
    dv.setBigUint64(at + 8, v >> 64n, true);
    return 6;
  }
  return 0;
}

/** tcp / udp, not a fragment. */
function fastPorts(dv: DataView, at: number, t: PacketTuple, proto: number): boolean {
  const { src, dst, sport, dport } = t;
  const tcpFlags = proto === 6 ? t.tcpFlags : undefined;
  if (!(isU16(sport) && isU16(dport))) return false;
  if (tcpFlags !== undefined && !isU8(tcpFlags)) return false;
  if (keyCount(t) !== 5 + +(tcpFlags !== undefined)) return false;
  const family = fastAddress(dv, at + REC.SRC, src);
  if (family === 0 || fastAddress(dv, at + REC.DST, dst) !== family) return false;
  dv.setUint8(at + REC.FAMILY, family);
  dv.setUint8(at + REC.PROTO, proto);
  dv.setUint16(at + REC.SPORT, sport, true);
  dv.setUint16(at + REC.DPORT, dport, true);
  if (proto === 6) {
    if (tcpFlags !== undefined) dv.setUint8(at + REC.TCP_FLAGS, tcpFlags);
    dv.setUint8(at + REC.FLAGS, REC_FLAG.ADDR | REC_FLAG.PORTS | REC_FLAG.TCP);
  } else {
    dv.setUint8(at + REC.FLAGS, REC_FLAG.ADDR | REC_FLAG.PORTS);
  }
  return true;
}

/** icmp / icmpv6 (by number: of the addresses' family, else another protocol), not a fragment. */
function fastIcmp(dv: DataView, at: number, t: PacketTuple, proto: number, named: boolean): boolean {
  const { src, dst, icmpType: type, icmpCode: code, icmpId: id, quoted } = t;
  const family = fastAddress(dv, at + REC.SRC, src);
  if (family === 0 || fastAddress(dv, at + REC.DST, dst) !== family) return false;
  if (!isIcmp(family, proto)) return named ? false : fastOther(dv, at, t, proto);
  if (!isU8(type)) return false;
  if (code !== undefined && !isU8(code)) return false;
  const echo = isEcho(family, proto, type);
  if (echo ? (id !== undefined && !isU16(id)) || quoted !== undefined : id !== undefined) return false;
  if (quoted !== undefined && (quoted === null || typeof quoted !== 'object' || !isIcmpError(family, proto, type))) return false;
  if (keyCount(t) !== 4 + +(code !== undefined) + +(id !== undefined) + +(quoted !== undefined)) return false;
  dv.setUint8(at + REC.FAMILY, family);
  dv.setUint8(at + REC.PROTO, proto);
  dv.setUint8(at + REC.ICMP_TYPE, type);
  if (code !== undefined) dv.setUint8(at + REC.ICMP_CODE, code);
  let flags = REC_FLAG.ADDR | REC_FLAG.ICMP;
  if (echo) {
    flags |= REC_FLAG.ICMP_ID;
    if (id !== undefined) dv.setUint16(at + REC.ICMP_ID, id, true);
  } else if (quoted !== undefined) {
    flags |= REC_FLAG.QUOTED;
    writeQuoted(dv, at, quoted, family);
  }
  dv.setUint8(at + REC.FLAGS, flags);
  return true;
}

/** Another protocol (no ports, flags or ICMP fields), not a fragment. */
function fastOther(dv: DataView, at: number, t: PacketTuple, proto: number): boolean {
  const { src, dst } = t;
  if (keyCount(t) !== 3) return false;
  const family = fastAddress(dv, at + REC.SRC, src);
  if (family === 0 || fastAddress(dv, at + REC.DST, dst) !== family) return false;
  dv.setUint8(at + REC.FAMILY, family);
  dv.setUint8(at + REC.PROTO, proto);
  dv.setUint8(at + REC.FLAGS, REC_FLAG.ADDR);
  return true;
}

/** writeTupleRecord's full check: every field read, every error named (the fast path's fallback). */
export function writeTupleRecordChecked(dv: DataView, at: number, t: PacketTuple): void {
  if (t === null || typeof t !== 'object' || Array.isArray(t)) checkKeys(t, isKnown, KNOWN, '');
  // Each field read once (callers' tuples come in many shapes: every read is a megamorphic load).
  const { proto: p, src, dst, sport, dport, tcpFlags, icmpType, icmpCode, icmpId, fragOffset: fo, moreFragments: mf, fragId: fid, quoted } = t;
  // Unknown fields: only when the keys outnumber the known fields given (else every key is a known one).
  const given =
    +(p !== undefined) + +(src !== undefined) + +(dst !== undefined) + +(sport !== undefined) + +(dport !== undefined) +
    +(tcpFlags !== undefined) + +(icmpType !== undefined) + +(icmpCode !== undefined) + +(icmpId !== undefined) +
    +(fo !== undefined) + +(mf !== undefined) + +(fid !== undefined) + +(quoted !== undefined);
  let keys = 0;
  for (const _ in t) keys++;
  if (keys !== given) checkKeys(t, isKnown, KNOWN, '');
  const family = putAddress(dv, at + REC.SRC, src, 'src');
  const dstFamily = putAddress(dv, at + REC.DST, dst, 'dst');
  if (dstFamily !== family) throw new TupleError('dst', `an IPv${dstFamily} address, but src is IPv${family}: both must be of one family`);
  const proto = protoOf(p, 'proto');
  if (typeof p === 'string' && ((proto === 1 && family === 6) || (proto === 58 && family === 4))) {
    throw new TupleError('proto', `${p} with IPv${family} addresses (use ${family === 4 ? 'icmp' : 'icmpv6'})`);
  }
  let flags = REC_FLAG.ADDR;
  const fragOffset = fo === undefined ? 0 : intIn(fo, 'fragOffset', 0, 65528, 'a fragment offset in bytes');
  if (fragOffset % 8 !== 0) throw new TupleError('fragOffset', `a fragment offset is a multiple of 8 bytes, got ${fragOffset}`);
  if (mf !== undefined && typeof mf !== 'boolean') throw new TupleError('moreFragments', `expected true or false, got ${show(mf)}`);
  const fragment = fragOffset > 0 || mf === true;
  if (!fragment && fid !== undefined) throw new TupleError('fragId', 'only a fragment (fragOffset > 0 or moreFragments) has a fragment id');
  const fragId = fid === undefined ? 0 : intIn(fid, 'fragId', 0, family === 4 ? 0xffff : 0xffffffff, `an IPv${family} fragment id`);

  dv.setUint8(at + REC.FAMILY, family);
  dv.setUint8(at + REC.PROTO, proto);
  if (fragment) {
    flags |= REC_FLAG.FRAG;
    if (mf === true) flags |= REC_FLAG.MF;
    dv.setUint16(at + REC.FRAG_OFFSET, fragOffset, true);
    dv.setUint32(at + REC.FRAG_ID, fragId, true);
  }
  // The fields after the addresses, in TRANSPORT_FIELDS' order (the first present one is the error).
  const transport = [sport, dport, tcpFlags, icmpType, icmpCode, icmpId, quoted] as const;
  if (fragOffset > 0) {
    noneOf(transport, 0, 7, 'a non-first fragment (fragOffset > 0) carries no transport header');
  } else if (proto === 6 || proto === 17) {
    if (icmpType !== undefined || icmpCode !== undefined || icmpId !== undefined || quoted !== undefined) {
      noneOf(transport, 3, 7, `${proto === 6 ? 'tcp' : 'udp'} has no ICMP fields`);
    }
    if (proto === 17) no(tcpFlags, 'tcpFlags', 'only tcp has flags');
    if (sport === undefined) throw new TupleError('sport', 'required for tcp and udp (a port 0-65535)');
    if (dport === undefined) throw new TupleError('dport', 'required for tcp and udp (a port 0-65535)');
    dv.setUint16(at + REC.SPORT, intIn(sport, 'sport', 0, 65535, 'a port'), true);
    dv.setUint16(at + REC.DPORT, intIn(dport, 'dport', 0, 65535, 'a port'), true);
    flags |= REC_FLAG.PORTS;
    if (proto === 6) {
      flags |= REC_FLAG.TCP;
      if (tcpFlags !== undefined) dv.setUint8(at + REC.TCP_FLAGS, intIn(tcpFlags, 'tcpFlags', 0, 255, 'a TCP flags byte'));
    }
  } else if (isIcmp(family, proto)) {
    noneOf(transport, 0, 3, family === 4 ? 'icmp has no ports or TCP flags' : 'icmpv6 has no ports or TCP flags');
    if (icmpType === undefined) throw new TupleError('icmpType', `required for ${family === 4 ? 'icmp' : 'icmpv6'} (a type 0-255)`);
    const type = intIn(icmpType, 'icmpType', 0, 255, 'an ICMP type');
    dv.setUint8(at + REC.ICMP_TYPE, type);
    if (icmpCode !== undefined) dv.setUint8(at + REC.ICMP_CODE, intIn(icmpCode, 'icmpCode', 0, 255, 'an ICMP code'));
    flags |= REC_FLAG.ICMP;
    if (isEcho(family, proto, type)) {
      flags |= REC_FLAG.ICMP_ID;
      if (icmpId !== undefined) dv.setUint16(at + REC.ICMP_ID, intIn(icmpId, 'icmpId', 0, 65535, 'an echo identifier'), true);
      no(quoted, 'quoted', 'an echo request/reply quotes no header');
    } else {
      no(icmpId, 'icmpId', family === 4 ? 'only an echo request/reply (type 8 or 0) has an identifier' : 'only an echo request/reply (type 128 or 129) has an identifier');
      if (quoted !== undefined) {
        if (!isIcmpError(family, proto, type)) throw new TupleError('quoted', `only an ICMP error (type ${family === 4 ? '3, 4, 5, 11 or 12' : '1-4'}) quotes a header, not type ${type}`);
        flags |= REC_FLAG.QUOTED;
        writeQuoted(dv, at, quoted, family);
      }
    }
  } else {
    noneOf(transport, 0, 7, `protocol ${proto} has no ports, TCP flags or ICMP fields here`);
  }
  dv.setUint8(at + REC.FLAGS, flags);
}

/** A field this packet cannot have: present is an error. */
function no(v: unknown, field: string, why: string): void {
  if (v !== undefined) throw new TupleError(field, why);
}

const TRANSPORT_FIELDS = ['sport', 'dport', 'tcpFlags', 'icmpType', 'icmpCode', 'icmpId', 'quoted'] as const;

/** Fields `from`..`to`-1 of TRANSPORT_FIELDS, none of which this packet can have: the first present is the error. */
function noneOf(values: readonly unknown[], from: number, to: number, why: string): void {
  for (let i = from; i < to; i++) no(values[i], TRANSPORT_FIELDS[i]!, why);
}

function writeQuoted(dv: DataView, at: number, q: QuotedTuple, outer: Family): void {
  checkKeys(q, isKnownQuoted, KNOWN_QUOTED, 'quoted.');
  const family = putAddress(dv, at + REC.QSRC, q.src, 'quoted.src');
  const dstFamily = putAddress(dv, at + REC.QDST, q.dst, 'quoted.dst');
  if (dstFamily !== family) throw new TupleError('quoted.dst', `an IPv${dstFamily} address, but quoted.src is IPv${family}`);
  if (family !== outer) throw new TupleError('quoted.src', `an IPv${family} address inside an IPv${outer} ICMP error (an error quotes a header of its own family)`);
  const proto = protoOf(q.proto, 'quoted.proto');
  let qf = REC_QFLAG.PRESENT | (family === 6 ? REC_QFLAG.V6 : 0);
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
