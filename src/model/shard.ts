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
 * hash: FNV-1a with 32-bit words as its input units — the family, the
 * protocol, then the smaller and the larger address as 32-bit words, most
 * significant first (IPv4: one word, IPv6: four) — followed by the murmur3
 * finalizer (h ^= h >>> 16; h *= 0x85ebca6b; h ^= h >>> 13; h *= 0xc2b2ae35;
 * h ^= h >>> 16). shard = floor(hash × shards / 2^32) (a multiply, not a
 * division). The WASM engine computes the same function (assembly/hash.ts
 * flowHash, assembly/engine.ts shardOfRecord).
 */
import type { Family, PacketRecord } from './packet.js';
import { isIcmpError } from './packet.js';
import { SgfError } from './errors.js';

/** The number of shards unless configured: fixed, so decisions never depend on the worker count. */
export const DEFAULT_SHARDS = 16;

/** Conntrack entries per interface unless configured (split evenly over the shards). */
export const DEFAULT_CONNTRACK_CAPACITY = 262144;

/** Datagrams whose first-fragment verdict one interface shard remembers at most. */
export const FRAGMENT_MEMORY_PER_SHARD = 4096;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnvWord(h: number, w: number): number {
  return Math.imul((h ^ w) >>> 0, FNV_PRIME) >>> 0;
}

function fnvAddress(h: number, family: Family, a: bigint): number {
  const words = family === 4 ? 1 : 4;
  for (let i = words - 1; i >= 0; i--) h = fnvWord(h, Number((a >> BigInt(i * 32)) & 0xffffffffn));
  return h;
}

export function flowHash(family: Family, proto: number, a: bigint, b: bigint): number {
  const lo = a < b ? a : b;
  const hi = a < b ? b : a;
  let h = FNV_OFFSET;
  h = fnvWord(h, family);
  h = fnvWord(h, proto);
  h = fnvAddress(h, family, lo);
  h = fnvAddress(h, family, hi);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** The shard of a decoded packet (0 for packets without an IP header). */
export function shardOf(p: PacketRecord, shards: number): number {
  if (shards <= 1 || p.family === undefined || p.src === undefined || p.dst === undefined || p.proto === undefined) return 0;
  const h = p.quoted && isIcmpError(p) ? flowHash(p.quoted.family, p.quoted.proto, p.quoted.src, p.quoted.dst) : flowHash(p.family, p.proto, p.src, p.dst);
  return shardOfHash(h, shards);
}

/** floor(hash × shards / 2^32): the shard of a 32-bit flow hash. */
export function shardOfHash(hash: number, shards: number): number {
  return Math.floor((hash * shards) / 4294967296);
}

/**
 * A bad engine option or input given through the library (createFilter,
 * replay, ReferenceEngine, judgeFrame): `code` says which kind, `option` names
 * it, the message says what was expected.
 */
export type EngineOptionErrorCode = 'SGF_ENGINE_BAD_OPTION' | 'SGF_ENGINE_BAD_TIMESTAMP';

/** A bad engine option or timestamp (codes were SGF_BAD_OPTION / SGF_BAD_TIMESTAMP, kept as `legacyCode`). */
export class EngineOptionError extends SgfError {
  readonly code: EngineOptionErrorCode;
  constructor(code: EngineOptionErrorCode, readonly option: string, message: string) {
    super(message);
    this.name = 'EngineOptionError';
    this.code = code;
  }
}

/** Largest `conntrackCapacity` (entries per interface; the per-shard count is a u32). */
export const MAX_CONNTRACK_CAPACITY = 0xffffffff;

function checkInteger(option: string, v: unknown, lo: number, hi: number): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new EngineOptionError('SGF_ENGINE_BAD_OPTION', option, `${option} must be an integer from ${lo} to ${hi}, got ${typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v)}`);
  }
}

/** Validate the engine options every entry point shares (undefined = the default). */
export function checkEngineOptions(o: { conntrackCapacity?: unknown; shards?: unknown; batchCapacity?: unknown; batchSize?: unknown }): void {
  checkInteger('conntrackCapacity', o.conntrackCapacity, 1, MAX_CONNTRACK_CAPACITY);
  checkInteger('shards', o.shards, 1, 32);
  checkInteger('batchCapacity', o.batchCapacity, 1, 1 << 20);
  checkInteger('batchSize', o.batchSize, 1, 1 << 20);
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/**
 * A packet timestamp given by a library caller, as i64 nanoseconds since the
 * epoch: a bigint, or a number of nanoseconds (an integer; above 2^53, e.g.
 * any present-day time, a number holds only every 256th nanosecond or so —
 * pass a bigint to be exact). Anything else, or a value outside the signed
 * 64-bit range, is an EngineOptionError (SGF_ENGINE_BAD_TIMESTAMP): never wrapped.
 */
export function timestampNs(ts: unknown, option = 'tsNs'): bigint {
  let v: bigint;
  if (typeof ts === 'bigint') v = ts;
  else if (typeof ts === 'number' && Number.isInteger(ts)) v = BigInt(ts);
  else {
    const got = typeof ts === 'number' ? String(ts) : ts === undefined ? 'undefined' : typeof ts;
    throw new EngineOptionError('SGF_ENGINE_BAD_TIMESTAMP', option, `${option} must be nanoseconds since the epoch, a bigint or an integer number, got ${got}`);
  }
  if (v < I64_MIN || v > I64_MAX) throw new EngineOptionError('SGF_ENGINE_BAD_TIMESTAMP', option, `${option} ${v} ns is outside the signed 64-bit range the engines keep time in`);
  return v;
}
