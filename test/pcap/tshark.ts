/**
 * Reading the corpus's tshark TSVs (../shared/corpus/tshark/FILE.tsv) and
 * turning a row into the expectations it supports about our PacketRecord.
 * Pitfalls (corpus README): each field is its FIRST occurrence in the packet,
 * so inner/quoted headers leak into the port and IPv6 columns; frame.protocols
 * says which header is outermost. Custom pcapng blocks are rows with an empty
 * encap type (our reader does not count them as packets).
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAddress } from '../../src/model/address.js';

export type TsharkRow = Record<string, string>;

export function readTsv(corpus: string, file: string): TsharkRow[] | null {
  const p = join(corpus, 'tshark', file + '.tsv');
  if (!existsSync(p)) return null;
  const lines = readFileSync(p, 'utf8').split('\n').filter((l) => l.length > 0);
  if (lines.length === 0) return [];
  const head = lines[0]!.split('\t');
  return lines.slice(1).map((l) => {
    const cells = l.split('\t');
    const row: TsharkRow = {};
    head.forEach((h, i) => (row[h] = cells[i] ?? ''));
    return row;
  });
}

export function readErr(corpus: string, file: string): string {
  const p = join(corpus, 'tshark', file + '.err');
  return existsSync(p) ? readFileSync(p, 'utf8') : '';
}

/** Rows that stand for packets (not custom pcapng blocks). */
export function packetRows(rows: TsharkRow[]): TsharkRow[] {
  return rows.filter((r) => r['frame.encap_type'] !== '');
}

/** Wireshark WTAP_ENCAP numbers -> LINKTYPE numbers, for the encaps in the corpus. */
export const WTAP_TO_LINKTYPE: Record<string, number[]> = {
  '1': [1], // Ethernet
  '7': [101, 228], // raw IP
  '15': [0], // NULL
  '25': [113], // Linux SLL
  '210': [276], // Linux SLL2
  '130': [229], // raw IPv6
};

const PROTO_BY_NAME: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58, igmp: 2, gre: 47, esp: 50, sctp: 132 };

export function addr(text: string): bigint {
  const a = parseAddress(text);
  if (!a) throw new Error(`bad address in TSV: ${text}`);
  return a.value;
}

/** Numeric field, or undefined when empty; takes the first of comma-separated values. */
export function num(row: TsharkRow, key: string): number | undefined {
  const v = row[key];
  if (v === undefined || v === '') return undefined;
  const first = v.split(',')[0]!;
  return first.startsWith('0x') ? parseInt(first, 16) : Number(first);
}

export function first(row: TsharkRow, key: string): string | undefined {
  const v = row[key];
  return v === undefined || v === '' ? undefined : v.split(',')[0];
}

/** The protocols after the outermost IP header, as tshark named them. */
export function afterOuterIp(row: TsharkRow): { family: 4 | 6 | 0; chain: string[] } {
  const chain = row['frame.protocols']!.split(':');
  const i = chain.findIndex((p) => p === 'ip' || p === 'ipv6');
  if (i < 0) return { family: 0, chain: [] };
  return { family: chain[i] === 'ip' ? 4 : 6, chain: chain.slice(i + 1) };
}

/** IPv6 upper-layer protocol from the chain after the outer ipv6 (skipping extension headers). */
export function ipv6UpperFromChain(chain: string[]): { proto?: number; name?: string } {
  for (const p of chain) {
    if (p.startsWith('ipv6.')) continue; // ipv6.hopopts, ipv6.routing, ipv6.fraghdr, ipv6.dstopts
    const n = PROTO_BY_NAME[p];
    return n !== undefined ? { proto: n, name: p } : { name: p };
  }
  return {};
}
