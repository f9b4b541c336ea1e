/**
 * The symmetric flow hash that shards state (SEMANTICS.md §5 as refined in
 * docs/SEMANTICS.md "sgfilter's own decisions"): every stateful thing —
 * conntrack entries, fragment memory — lives in one of `shards` shards chosen
 * from the packet's family, protocol and the unordered pair of its addresses.
 * ICMP errors that quote a header use the QUOTED family, protocol and
 * addresses, so an error reaches the shard of the flow it quotes; fragments
 * have the same addresses as their first fragment. Ports are not hashed: a
 * non-first fragment has none.
 *
 * hash = FNV-1a 32 over 34 bytes: family, protocol, then the smaller and the
 * larger address, each as 16 bytes big-endian (IPv4 in the last 4 bytes).
 * shard = hash % shards. The WASM engine computes the same function.
 */
import type { Family, PacketRecord } from './packet.js';
import { isIcmpError } from './packet.js';

/** The number of shards unless configured: fixed, so decisions never depend on the worker count. */
export const DEFAULT_SHARDS = 16;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnvByte(h: number, b: number): number {
  return Math.imul(h ^ (b & 0xff), FNV_PRIME) >>> 0;
}

function fnvAddress(h: number, a: bigint): number {
  for (let i = 15; i >= 0; i--) h = fnvByte(h, Number((a >> BigInt(i * 8)) & 0xffn));
  return h;
}

export function flowHash(family: Family, proto: number, a: bigint, b: bigint): number {
  const lo = a < b ? a : b;
  const hi = a < b ? b : a;
  let h = FNV_OFFSET;
  h = fnvByte(h, family);
  h = fnvByte(h, proto);
  h = fnvAddress(h, lo);
  h = fnvAddress(h, hi);
  return h >>> 0;
}

/** The shard of a decoded packet (0 for packets without an IP header). */
export function shardOf(p: PacketRecord, shards: number): number {
  if (shards <= 1 || p.family === undefined || p.src === undefined || p.dst === undefined || p.proto === undefined) return 0;
  if (p.quoted && isIcmpError(p)) return flowHash(p.quoted.family, p.quoted.proto, p.quoted.src, p.quoted.dst) % shards;
  return flowHash(p.family, p.proto, p.src, p.dst) % shards;
}
