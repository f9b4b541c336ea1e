/**
 * Loading the WASM module, the layout handshake and memory regions.
 *
 * The module imports its memory; the host owns the layout. Regions are handed
 * out by a bump allocator above the module's static data (`heapBase()`), grown
 * with `memory.grow`, and released all at once with `reset(mark)`. Views over
 * `memory.buffer` must be re-created after anything that may grow memory
 * (undici's rule): use `u8()`, `u32()`, … which check `buffer` identity.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { InternalError, SgfError } from '../model/errors.js';
import type { SgfExports } from './exports.js';
import { LAYOUT_HASH } from './layout.js';

/** The module's exports, typed from asc's declarations (exports.ts, generated from build/sgfilter.d.ts). */
export type { SgfExports };

const here = dirname(fileURLToPath(import.meta.url));
/** Project root: dist/src/wasm -> ../../.. */
const root = join(here, '..', '..', '..');

/** `shared`: the threads build (asconfig target "shared"), whose memory is an imported shared WebAssembly.Memory (SharedArena). */
export type WasmFlavour = 'release' | 'debug' | 'shared';

const WASM_FILE: Record<WasmFlavour, string> = { release: 'sgfilter.wasm', debug: 'sgfilter.debug.wasm', shared: 'sgfilter.shared.wasm' };

/** The module file: <package>/build/, or the directory $SGFILTER_WASM_DIR names. */
export function wasmPath(flavour: WasmFlavour = 'release'): string {
  return join(process.env.SGFILTER_WASM_DIR || join(root, 'build'), WASM_FILE[flavour]);
}

const compiled = new Map<string, WebAssembly.Module>();

/** The WASM module is missing, unreadable, not a valid module, or built from other layouts (code was SGF_ERR_WASM, kept as `legacyCode`). */
export class WasmLoadError extends SgfError {
  readonly code = 'SGF_WASM_LOAD_FAILED';
  constructor(message: string) {
    super(message);
    this.name = 'WasmLoadError';
  }
}

/** Compile (once per process and flavour) the module. */
export function compileModule(flavour: WasmFlavour = 'release'): WebAssembly.Module {
  const path = wasmPath(flavour);
  let mod = compiled.get(path);
  if (!mod) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new WasmLoadError(`cannot read the WASM module ${path} (${code === 'ENOENT' ? 'no such file' : (err as Error).message}); run \`npm run build\` (or reinstall the package)`);
    }
    try {
      mod = new WebAssembly.Module(bytes);
    } catch (err) {
      throw new WasmLoadError(`the WASM module ${path} is damaged (${(err as Error).message}); run \`npm run build\` (or reinstall the package)`);
    }
    compiled.set(path, mod);
  }
  return mod;
}

const PAGE = 65536;

/** The shared build's memory limit (asconfig target "shared": maximumMemory), pages. */
export const SHARED_MAX_PAGES = 65536;

/**
 * One shared WebAssembly.Memory several instances of the threads build use
 * at once (worker threads each holding their own instance: the memory and
 * this object's fields can be posted). `topCell`: the byte address of a u32
 * holding the first free byte above everything allocated; every instance's
 * host regions (WasmInstance.alloc) and WASM arena (assembly/arena.ts
 * arenaShare) bump it atomically, so their regions never overlap. It sits
 * above the module's static data, which each instantiation writes again
 * (the same bytes: the engine keeps no mutable state there).
 */
export interface SharedArena {
  memory: WebAssembly.Memory;
  topCell: number;
  /**
   * A memory kept from an earlier replay (resetSharedArena): its bytes from
   * the top cell's first value up to `dirty` may hold that replay's data, so
   * a host region allocated below it is zeroed by the instance that takes it
   * (the WASM arena zeroes every region below the memory's size already).
   * 0 on a fresh memory.
   */
  dirty: number;
}

/** A fresh shared memory of `initialPages` with its top cell (the threads build's static data below it). */
export function createSharedArena(initialPages = 64): SharedArena {
  const memory = new WebAssembly.Memory({ initial: initialPages, maximum: SHARED_MAX_PAGES, shared: true });
  const probe = new WebAssembly.Instance(compileModule('shared'), { env: { memory, abort: () => undefined, seed: () => 0 } });
  const topCell = align(Number((probe.exports as unknown as SgfExports).heapBase()), 64);
  Atomics.store(new Uint32Array(memory.buffer), topCell >>> 2, topCell + 64);
  return { memory, topCell, dirty: 0 };
}

/**
 * Make a shared memory no instance uses any more as a fresh one again, for
 * the next replay's instances (kept between replay() calls: no growth, no
 * page faults): its top cell back to its first value, and everything up to
 * the old top marked `dirty`, zeroed region by region as the new instances
 * take it (WasmInstance.alloc here, arenaAlloc in WASM), in the thread that
 * takes it. Each new instance writes its module's data segments again.
 */
export function resetSharedArena(arena: SharedArena): SharedArena {
  const cell = new Uint32Array(arena.memory.buffer, arena.topCell, 1);
  const top = Atomics.load(cell, 0);
  Atomics.store(cell, 0, arena.topCell + 64);
  return { memory: arena.memory, topCell: arena.topCell, dirty: Math.max(arena.dirty, top) };
}

/** A memory to build the next instance on, and how many of its bytes (from 0) its last instance may have written. */
export interface ReusableMemory {
  memory: WebAssembly.Memory;
  used: number;
}

/** One instance of the module with its own memory and a bump allocator over it. */
export class WasmInstance {
  readonly memory: WebAssembly.Memory;
  readonly exports: SgfExports;
  private top: number;
  private readonly base: number;
  private _buf: ArrayBuffer | null = null;
  private _u8: Uint8Array | null = null;
  private _u32: Uint32Array | null = null;
  private _i32: Int32Array | null = null;
  private _dv: DataView | null = null;

  /**
   * `reuse`: the memory of an instance no longer used (ReusableMemory), made
   * as a fresh one's again: its first `used` bytes — everything that instance
   * or its arena wrote — are zeroed before this instance's data segments are
   * written; it keeps its size, so its pages are neither grown nor faulted in
   * again.
   */
  /** `shared`: the threads build on a SharedArena (flavour 'shared'), its regions taken from the arena's top cell. */
  readonly shared: SharedArena | undefined;

  constructor(flavour: WasmFlavour = 'release', initialPages = 16, reuse?: ReusableMemory, shared?: SharedArena) {
    if (shared && (flavour !== 'shared' || reuse)) throw new InternalError('a shared arena takes the shared flavour and no reused memory');
    if (!shared && flavour === 'shared') throw new InternalError('the shared flavour needs a shared arena');
    this.shared = shared;
    if (reuse) new Uint8Array(reuse.memory.buffer).fill(0, 0, Math.min(reuse.used, reuse.memory.buffer.byteLength));
    this.memory = shared?.memory ?? reuse?.memory ?? new WebAssembly.Memory({ initial: initialPages });
    const mod = compileModule(flavour);
    let inst: WebAssembly.Instance;
    try {
      inst = new WebAssembly.Instance(mod, {
        env: {
        memory: this.memory,
        abort: (msg: number, file: number, line: number, col: number) => {
          throw new InternalError(`sgfilter WASM abort at ${this.readString(file)}:${line}:${col}: ${this.readString(msg)}`);
        },
        seed: () => 0, // determinism: no randomness in the core
      },
      });
    } catch (err) {
      throw new WasmLoadError(`the WASM module ${wasmPath(flavour)} cannot be instantiated (${(err as Error).message}); run \`npm run build\``);
    }
    this.exports = inst.exports as unknown as SgfExports;
    // The layout handshake: the module and this host must have been generated
    // from the same layout/layouts.json (src/wasm/layout.ts, assembly/layout.ts).
    const raw = inst.exports as Record<string, unknown>;
    const hash = typeof raw.layoutHash === 'function' ? ((raw.layoutHash as () => number)() >>> 0) : undefined;
    if (hash !== LAYOUT_HASH) {
      const theirs = hash === undefined ? 'no layout hash (an older build)' : `layout hash ${hex(hash)}`;
      throw new WasmLoadError(`the WASM module ${wasmPath(flavour)} has ${theirs}, the host expects ${hex(LAYOUT_HASH)}; rebuild with \`npm run build\``);
    }
    this.base = align(Number(this.exports.heapBase()), 64);
    this.top = this.base;
    if (shared) {
      if (!this.exports.arenaShare(shared.topCell)) throw new WasmLoadError(`the WASM module ${wasmPath(flavour)} is not a threads build`);
      this.top = this.base = shared.topCell + 64;
    }
  }

  /** Allocate `bytes` bytes aligned to `alignment`; grows memory as needed. Never per packet. */
  alloc(bytes: number, alignment = 16): number {
    let ptr: number;
    if (this.shared) {
      const cell = new Uint32Array(this.memory.buffer, this.shared.topCell, 1);
      for (;;) {
        const t = Atomics.load(cell, 0);
        ptr = align(t, alignment);
        if (ptr + bytes > SHARED_MAX_PAGES * PAGE - 1) throw new InternalError(`the shared memory is full (${bytes} bytes more)`);
        if (Atomics.compareExchange(cell, 0, t, ptr + bytes) === t) break;
      }
    } else ptr = align(this.top, alignment);
    const end = ptr + bytes;
    // Another instance on a shared memory may grow it in between: grow until it holds `end`.
    for (let have = this.memory.buffer.byteLength; end > have; have = this.memory.buffer.byteLength) {
      const pages = Math.ceil((end - have) / PAGE);
      this.memory.grow(pages);
    }
    // A kept shared memory: what an earlier replay left there goes (a fresh memory's zeroes).
    if (this.shared && ptr < this.shared.dirty) this.u8().fill(0, ptr, Math.min(end, this.shared.dirty));
    this.top = Math.max(this.top, end);
    return ptr;
  }

  /** The current top of the allocator, to `reset` to later. */
  mark(): number {
    return this.top;
  }

  /** Release everything allocated after `mark` (default: everything). */
  reset(mark = this.base): void {
    this.top = mark;
  }

  private refresh(): void {
    const buf = this.memory.buffer;
    if (this._buf !== buf) {
      this._buf = buf;
      this._u8 = new Uint8Array(buf);
      this._u32 = new Uint32Array(buf);
      this._i32 = new Int32Array(buf);
      this._dv = new DataView(buf);
    }
  }
  u8(): Uint8Array { this.refresh(); return this._u8!; }
  u32(): Uint32Array { this.refresh(); return this._u32!; }
  i32(): Int32Array { this.refresh(); return this._i32!; }
  view(): DataView { this.refresh(); return this._dv!; }

  /** Copy host bytes into a fresh region; returns its pointer. */
  copyIn(bytes: Uint8Array, alignment = 16): number {
    const ptr = this.alloc(bytes.byteLength, alignment);
    this.u8().set(bytes, ptr);
    return ptr;
  }

  private readString(ptr: number): string {
    if (!ptr) return '';
    const u8 = this.u8();
    const len = new Uint32Array(this.memory.buffer, ptr - 4, 1)[0]!;
    return Buffer.from(u8.subarray(ptr, ptr + len)).toString('utf16le');
  }
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
