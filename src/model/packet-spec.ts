/**
 * A one-line packet description, for `sgfilter explain --packet` and for
 * tests that want to read like the spec:
 *
 *   tcp 203.0.113.7:40000 -> 10.0.1.10:22 [flags S]
 *   udp [2001:db8::1]:53 -> [2001:db8::2]:5353
 *   icmp 1.2.3.4 -> 10.0.0.5 type 8 code 0 [id 7]
 *   icmpv6 2001:db8::1 -> 2001:db8::2 type 128 code 0
 *   gre 1.2.3.4 -> 10.0.0.5          (or any protocol number: 132 1.2.3.4 -> …)
 *
 * Optional trailing words: `flags FSRPAUEC` (TCP flag letters; default S for
 * tcp), `id N` (echo identifier), `fragoffset N` (bytes), `mf`, `fragid N`,
 * `ts SECONDS` (decimal), and for ICMP errors the quoted packet after
 * `quoting`: `icmp 8.8.8.8 -> 10.0.0.5 type 3 code 3 quoting udp 10.0.0.5:4000 -> 8.8.8.8:53`.
 */
import { parseAddress } from './address.js';
import { PROTO, type Family, type PacketRecord, type QuotedHeader } from './packet.js';
import { SgfError } from './errors.js';

export class PacketSpecError extends SgfError {
  readonly code = 'SGF_PACKET_BAD_SPEC';
  constructor(readonly spec: string, detail: string) {
    super(`malformed packet ${JSON.stringify(spec)}: ${detail} (expected e.g. "tcp 203.0.113.7:40000 -> 10.0.1.10:22" or "icmp 1.2.3.4 -> 10.0.0.5 type 8 code 0")`);
    this.name = 'PacketSpecError';
  }
}

const NAMED: Record<string, number> = { tcp: PROTO.TCP, udp: PROTO.UDP, icmp: PROTO.ICMP, icmpv6: PROTO.ICMPV6, gre: PROTO.GRE };
const FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, C: 0x80 };

interface Endpoint {
  family: Family;
  addr: bigint;
  port?: number;
}

function endpoint(text: string, spec: string): Endpoint {
  let host = text;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2];
  } else if ((text.match(/:/g) ?? []).length === 1) {
    [host, portText] = text.split(':') as [string, string];
  }
  const a = parseAddress(host);
  if (!a) throw new PacketSpecError(spec, `${JSON.stringify(host)} is not an IPv4 or IPv6 address (write IPv6 with a port as [2001:db8::1]:443)`);
  const e: Endpoint = { family: a.family, addr: a.value };
  if (portText !== undefined) {
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) throw new PacketSpecError(spec, `${JSON.stringify(portText)} is not a port (0-65535)`);
    e.port = port;
  }
  return e;
}

function intArg(words: string[], i: number, name: string, max: number, spec: string): number {
  const w = words[i + 1];
  if (w === undefined || !/^\d+$/.test(w) || Number(w) > max) throw new PacketSpecError(spec, `"${name}" needs a number 0-${max}${w === undefined ? '' : `, got ${JSON.stringify(w)}`}`);
  return Number(w);
}

function protoOf(word: string, spec: string): number {
  const lower = word.toLowerCase();
  if (lower in NAMED) return NAMED[lower]!;
  if (/^\d+$/.test(word) && Number(word) <= 255) return Number(word);
  throw new PacketSpecError(spec, `${JSON.stringify(word)} is not a protocol (tcp, udp, icmp, icmpv6, gre or a number 0-255)`);
}

/** Parse a packet description into a decoded packet record. */
export function parsePacketSpec(spec: string): PacketRecord {
  const quoteAt = spec.search(/\squoting\s/);
  const main = quoteAt >= 0 ? spec.slice(0, quoteAt) : spec;
  const words = main.trim().split(/\s+/).filter((w) => w);
  if (words.length < 4 || words[2] !== '->') throw new PacketSpecError(spec, 'expected "PROTO SRC -> DST"');
  const proto = protoOf(words[0]!, spec);
  const src = endpoint(words[1]!, spec);
  const dst = endpoint(words[3]!, spec);
  if (src.family !== dst.family) throw new PacketSpecError(spec, 'source and destination are of different IP families');
  const family = src.family;
  if (proto === PROTO.ICMP && family === 6) throw new PacketSpecError(spec, 'icmp is IPv4; use icmpv6 for IPv6');
  if (proto === PROTO.ICMPV6 && family === 4) throw new PacketSpecError(spec, 'icmpv6 is IPv6; use icmp for IPv4');
  const hasPorts = proto === PROTO.TCP || proto === PROTO.UDP;
  if (hasPorts && (src.port === undefined || dst.port === undefined)) throw new PacketSpecError(spec, `${words[0]} needs ports on both sides (ADDR:PORT)`);
  if (!hasPorts && (src.port !== undefined || dst.port !== undefined)) throw new PacketSpecError(spec, `${words[0]} has no ports`);

  const p: PacketRecord = { ts: 0n, family, src: src.addr, dst: dst.addr, proto };
  if (hasPorts) {
    p.sport = src.port!;
    p.dport = dst.port!;
  }
  if (proto === PROTO.TCP) p.tcpFlags = FLAG_BITS.S!;
  for (let i = 4; i < words.length; i++) {
    const w = words[i]!.toLowerCase();
    switch (w) {
      case 'type': p.icmpType = intArg(words, i++, w, 255, spec); break;
      case 'code': p.icmpCode = intArg(words, i++, w, 255, spec); break;
      case 'id': p.icmpId = intArg(words, i++, w, 65535, spec); break;
      case 'fragoffset': p.fragOffset = intArg(words, i++, w, 65528, spec); break;
      case 'fragid': p.fragId = intArg(words, i++, w, 0xffffffff, spec); break;
      case 'mf': p.moreFragments = true; break;
      case 'ts': {
        const t = words[++i];
        if (t === undefined || !/^\d+(\.\d{1,9})?$/.test(t)) throw new PacketSpecError(spec, '"ts" needs decimal seconds, e.g. ts 1700000000.25');
        const [sec, frac = ''] = t.split('.');
        p.ts = BigInt(sec!) * 1_000_000_000n + BigInt(frac.padEnd(9, '0'));
        break;
      }
      case 'flags': {
        const f = words[++i];
        if (proto !== PROTO.TCP) throw new PacketSpecError(spec, 'flags apply to tcp only');
        if (f === undefined || !/^[FSRPAUEC]+$/i.test(f)) throw new PacketSpecError(spec, '"flags" needs TCP flag letters from FSRPAUEC, e.g. flags SA');
        p.tcpFlags = [...f.toUpperCase()].reduce((acc, c) => acc | FLAG_BITS[c]!, 0);
        break;
      }
      default:
        throw new PacketSpecError(spec, `unknown word ${JSON.stringify(words[i])} (expected type, code, id, flags, fragoffset, mf, fragid, ts or quoting)`);
    }
  }
  const isIcmp = proto === PROTO.ICMP || proto === PROTO.ICMPV6;
  if (!isIcmp && (p.icmpType !== undefined || p.icmpCode !== undefined || p.icmpId !== undefined)) {
    throw new PacketSpecError(spec, 'type, code and id apply to icmp and icmpv6 only');
  }
  if (isIcmp) {
    if (p.icmpType === undefined) throw new PacketSpecError(spec, `${words[0]} needs "type N code N"`);
    p.icmpCode ??= 0;
  }
  if ((p.fragOffset ?? 0) > 0 && hasPorts) {
    // A non-first fragment carries no transport header: no ports, no flags.
    delete p.sport;
    delete p.dport;
    delete p.tcpFlags;
  }
  if (p.fragOffset !== undefined || p.moreFragments) {
    p.fragOffset ??= 0;
    p.moreFragments ??= false;
    p.fragId ??= 0;
  }
  if (quoteAt >= 0) {
    if (!isIcmp) throw new PacketSpecError(spec, '"quoting" applies to ICMP errors only');
    const inner = parsePacketSpec(spec.slice(quoteAt).trim().replace(/^quoting\s+/, ''));
    const q: QuotedHeader = { family: inner.family!, src: inner.src!, dst: inner.dst!, proto: inner.proto! };
    if (inner.sport !== undefined) q.sport = inner.sport;
    if (inner.dport !== undefined) q.dport = inner.dport;
    if (inner.icmpType !== undefined) q.icmpType = inner.icmpType;
    if (inner.icmpId !== undefined) q.icmpId = inner.icmpId;
    p.quoted = q;
  }
  return p;
}
