/**
 * Parsers for the small value languages of rules: port lists, protocols,
 * ethertypes. Each returns the value or a message saying what was expected;
 * callers attach the JSON path. Shared by the native format and the importers.
 */
import type { PortRange } from '../model/topology.js';
import type { Family } from '../model/packet.js';
import { PROTO } from '../model/packet.js';
import { show } from './issues.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(message: string): Parsed<T> => ({ ok: false, message });

/**
 * Ports: `22`, `80-82`, `22,25,27`, `22-24,25`, a number, or `all` / omitted
 * (null = all ports). Ports are 1-65535 and a range's start may not exceed its end.
 */
export function parsePorts(input: unknown): Parsed<PortRange[] | null> {
  if (input === undefined || input === null) return ok(null);
  if (typeof input === 'number') input = String(input);
  if (typeof input !== 'string') return bad(`${show(input)} is not a port list (expected e.g. "22", "80-82", "22,25,27" or "all")`);
  const text = input.trim();
  if (text !== input) return bad(`${show(input)} has spaces around it (expected e.g. "22", "80-82", "22,25,27" or "all")`);
  if (text.toLowerCase() === 'all') return ok(null);
  if (text === '') return bad(`"" is not a port list (expected e.g. "22", "80-82", "22,25,27" or "all")`);
  const ranges: PortRange[] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim();
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) return bad(`"${part}" is not a port or port range (expected e.g. "22" or "80-82")`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (const [p, t] of [[from, m[1]], [to, m[2]]] as const) {
      if (t !== undefined && (!Number.isInteger(p) || p < 1 || p > 65535)) return bad(`"${t}" is not a port (1-65535)`);
    }
    if (from > to) return bad(`"${part}": range start ${from} is above its end ${to}`);
    ranges.push({ from, to });
  }
  return ok(ranges);
}

/** Does a port list have more than one range (Huawei's "non-contiguous ports")? */
export function isNonContiguous(ports: PortRange[] | null): boolean {
  if (!ports || ports.length <= 1) return false;
  const sorted = [...ports].sort((a, b) => a.from - b.from);
  let end = sorted[0]!.to;
  for (const r of sorted.slice(1)) {
    if (r.from > end + 1) return true;
    end = Math.max(end, r.to);
  }
  return false;
}

export function formatPorts(ports: PortRange[] | null): string {
  if (!ports) return 'all';
  return ports.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(',');
}

export interface ProtocolValue {
  protocol: number | 'all';
  /** Family implied by the protocol name (icmp -> 4, icmpv6 -> 6). */
  impliedFamily?: Family;
}

const PROTOCOL_NAMES: Record<string, ProtocolValue> = {
  all: { protocol: 'all' },
  tcp: { protocol: PROTO.TCP },
  udp: { protocol: PROTO.UDP },
  icmp: { protocol: PROTO.ICMP, impliedFamily: 4 },
  icmpv6: { protocol: PROTO.ICMPV6, impliedFamily: 6 },
  gre: { protocol: PROTO.GRE },
};

const PROTOCOL_EXPECTED = 'expected all, tcp, udp, icmp, icmpv6, gre or an IP protocol number 0-255';

/** `all`, `tcp`, `udp`, `icmp`, `icmpv6`, `gre` (any letter case) or 0-255. */
export function parseProtocol(input: unknown): Parsed<ProtocolValue> {
  if (typeof input === 'number') {
    if (Number.isInteger(input) && input >= 0 && input <= 255) return ok({ protocol: input });
    return bad(`${input} is not a protocol (${PROTOCOL_EXPECTED})`);
  }
  if (typeof input !== 'string') return bad(`${show(input)} is not a protocol (${PROTOCOL_EXPECTED})`);
  const named = PROTOCOL_NAMES[input.trim().toLowerCase()];
  if (named) return ok(named);
  if (/^\d{1,3}$/.test(input.trim()) && Number(input) <= 255) return ok({ protocol: Number(input) });
  return bad(`"${input}" is not a protocol (${PROTOCOL_EXPECTED})`);
}

export function protocolName(p: number | 'all'): string {
  if (p === 'all') return 'all';
  for (const [name, v] of Object.entries(PROTOCOL_NAMES)) if (v.protocol === p) return name;
  return String(p);
}

/** Does the protocol have ports that rules may constrain? */
export function protocolHasPorts(p: number | 'all'): boolean {
  return p === PROTO.TCP || p === PROTO.UDP;
}

export function parseEthertype(input: unknown): Parsed<Family> {
  if (typeof input === 'string') {
    const v = input.trim().toLowerCase();
    if (v === 'ipv4') return ok(4);
    if (v === 'ipv6') return ok(6);
  }
  return bad(`${show(input)} is not an ethertype (expected "ipv4" or "ipv6")`);
}
