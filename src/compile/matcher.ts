/**
 * The WASM matchers on the host side: a table copied once into a
 * WasmInstance, tuples written into a host-allocated batch region, results
 * read from a host-allocated i32 region. The batch region is reused; nothing
 * is allocated per packet.
 */
import type { WasmInstance } from '../wasm/loader.js';
import type { MatchInput } from '../reference/match.js';
import { addressWords } from './boxes.js';
import { ApiUsageError } from '../model/errors.js';
import { NO_PORT, TABLE_ERROR, TABLE_STATUS, TABLE_VERSION, TUPLE, TableError } from './format.js';
import type { Table } from './table.js';

export type MatcherKind = 'optimized' | 'linear';

const STATUS: Record<number, string> = {
  [TABLE_STATUS.BAD_MAGIC]: 'bad magic',
  [TABLE_STATUS.BAD_VERSION]: 'format version mismatch',
  [TABLE_STATUS.BAD_LENGTH]: 'length mismatch',
  [TABLE_STATUS.NO_LISTS]: 'no LISTS section',
};

/**
 * Copy a compiled table into `wasm` (its own region, 64-byte aligned) after
 * the version handshake, and have the module check its header: the one way
 * a table enters a WASM instance (WasmTable below, and the replay engine,
 * src/replay/wasm-engine.ts, which composes the same instance host for its
 * decoder). Returns the table's pointer. `source` names the table in errors.
 */
export function loadTableInto(wasm: WasmInstance, bytes: Uint8Array, source: string): number {
  const moduleVersion = wasm.exports.classifierTableVersion();
  if (moduleVersion !== TABLE_VERSION) {
    throw new TableError(TABLE_ERROR.VERSION,
      `${source}: the WASM module reads table format version ${moduleVersion} but this host writes version ${TABLE_VERSION}; rebuild with \`npm run build\``);
  }
  const ptr = wasm.copyIn(bytes, 64);
  const st = wasm.exports.tableStatus(ptr, bytes.byteLength);
  if (st !== TABLE_STATUS.OK) {
    throw new TableError(st === TABLE_STATUS.BAD_VERSION ? TABLE_ERROR.VERSION : TABLE_ERROR.SECTION,
      `${source}: the WASM matcher refuses the table (${STATUS[st] ?? `status ${st}`})`);
  }
  return ptr;
}

/** A table loaded into one WASM instance. */
export class WasmTable {
  readonly ptr: number;
  readonly length: number;

  constructor(readonly wasm: WasmInstance, readonly table: Table) {
    this.length = table.bytes.byteLength;
    this.ptr = loadTableInto(wasm, table.bytes, table.source);
  }
}

/** A reusable region of `capacity` tuples and results. */
export class TupleBatch {
  readonly tuples: number;
  readonly out: number;

  constructor(readonly wasm: WasmInstance, readonly capacity: number) {
    this.tuples = wasm.alloc(Math.max(1, capacity) * TUPLE.SIZE, 64);
    this.out = wasm.alloc(Math.max(1, capacity) * 4, 16);
  }

  /** Write tuple `i` from a match input for list `list`. */
  set(i: number, list: number, m: MatchInput): void {
    const u32 = this.wasm.u32();
    const at = (this.tuples + i * TUPLE.SIZE) >>> 2;
    const r = addressWords(m.family, m.remote);
    const l = addressWords(m.family, m.local);
    for (let w = 0; w < 4; w++) {
      u32[at + TUPLE.REMOTE / 4 + w] = r[w] ?? 0;
      u32[at + TUPLE.LOCAL / 4 + w] = l[w] ?? 0;
    }
    u32[at + TUPLE.SPORT / 4] = m.sport ?? NO_PORT;
    u32[at + TUPLE.DPORT / 4] = m.dport ?? NO_PORT;
    u32[at + TUPLE.PROTO / 4] = m.proto;
    u32[at + TUPLE.FAMILY / 4] = m.family;
    u32[at + TUPLE.LIST / 4] = list;
  }

  /** Write an IPv4 tuple from numbers (the ClassBench fast path). */
  setV4(i: number, list: number, remote: number, local: number, sport: number, dport: number, proto: number): void {
    const u32 = this.wasm.u32();
    const at = (this.tuples + i * TUPLE.SIZE) >>> 2;
    u32.fill(0, at, at + TUPLE.SIZE / 4);
    u32[at + TUPLE.REMOTE / 4] = remote;
    u32[at + TUPLE.LOCAL / 4] = local;
    u32[at + TUPLE.SPORT / 4] = sport;
    u32[at + TUPLE.DPORT / 4] = dport;
    u32[at + TUPLE.PROTO / 4] = proto;
    u32[at + TUPLE.FAMILY / 4] = 4;
    u32[at + TUPLE.LIST / 4] = list;
  }

  /** Write an IPv6 tuple from words (4 u32 per address at `at` of src6 / dst6, word 0 most significant). */
  setV6(i: number, list: number, src6: Uint32Array, dst6: Uint32Array, at: number, sport: number, dport: number, proto: number): void {
    const u32 = this.wasm.u32();
    const t = (this.tuples + i * TUPLE.SIZE) >>> 2;
    u32.fill(0, t, t + TUPLE.SIZE / 4);
    for (let w = 0; w < 4; w++) {
      u32[t + TUPLE.REMOTE / 4 + w] = src6[at * 4 + w]!;
      u32[t + TUPLE.LOCAL / 4 + w] = dst6[at * 4 + w]!;
    }
    u32[t + TUPLE.SPORT / 4] = sport;
    u32[t + TUPLE.DPORT / 4] = dport;
    u32[t + TUPLE.PROTO / 4] = proto;
    u32[t + TUPLE.FAMILY / 4] = 6;
    u32[t + TUPLE.LIST / 4] = list;
  }

  /**
   * Run a matcher over the first `n` tuples (starting at tuple `from`).
   * Results: positions (-1 none) readable with `result(i)`.
   */
  run(table: WasmTable, kind: MatcherKind, n: number, from = 0): void {
    if (n + from > this.capacity) throw new ApiUsageError(`batch of ${n} from ${from} exceeds capacity ${this.capacity}`);
    const fn = kind === 'linear' ? this.wasm.exports.classifyLinear : this.wasm.exports.classify;
    const r = fn(table.ptr, this.tuples + from * TUPLE.SIZE, n, this.out + from * 4);
    if (r !== n) throw new TableError(TABLE_ERROR.SECTION, `${table.table.source}: the WASM matcher refused the table (status ${r})`);
  }

  result(i: number): number {
    return this.wasm.i32()[(this.out >>> 2) + i]!;
  }

  /** The results of the first n tuples (a copy). */
  results(n: number, from = 0): Int32Array {
    const base = (this.out >>> 2) + from;
    return this.wasm.i32().slice(base, base + n);
  }
}
