// The WASM-side arena: every region the module itself allocates (the
// conntrack and fragment tables, their headers, the per-shard counters, the
// stats block, a larger staging region for the host), above everything the
// host allocated. stateInit (state.ts) sets its base; memory.grow extends it.
// An outgrown slot array is handed back (arenaFree; growth multiplies, so it
// happens O(log n) times in a replay, never per packet) and a later
// allocation that fits takes it: its pages were faulted in already, so the
// other table's growth costs no new page faults (the fragment memory grows
// into the conntrack table's old arrays). A slot array that is the last
// block taken off the top is extended in place instead (arenaExtend).

let arenaTop: usize = 0;

/**
 * The threads build (asconfig target "shared", several instances on one
 * shared memory): the address of a usize cell every instance on the memory
 * bumps atomically instead of its own arenaTop (0: this instance's own top).
 * Each instance's regions are then disjoint wherever the others allocate.
 */
let sharedTop: usize = 0;

/** The operating system's page (the unit of a page fault). */
const OS_PAGE: usize = 4096;

/**
 * Blocks handed back: up to FREE_MAX (start, end) pairs, in the arena's first
 * region (per instance: a static region would be shared by every instance on
 * a shared memory).
 */
const FREE_MAX: i32 = 16;
let freeBlocks: usize = 0;
let freeCount: i32 = 0;

@inline function freeAt(i: i32): usize {
  return freeBlocks + <usize>i * 2 * sizeof<usize>();
}

/** Start the arena at `base` (the first byte above every host region). */
export function arenaReset(base: usize): void {
  arenaTop = base;
  freeCount = 0;
  freeBlocks = 0;
  freeBlocks = arenaAlloc(<usize>FREE_MAX * 2 * sizeof<usize>());
}

/**
 * Threads build only: allocate from the shared top at `cell` (a usize the
 * host placed in the shared memory, holding the first free byte) from now
 * on; call before stateInit. Refused (false) by a build without threads.
 */
export function arenaShare(cell: usize): bool {
  if (!ASC_FEATURE_THREADS) return false;
  sharedTop = cell;
  return true;
}

/** Take [p, p + bytes) aligned to `align` off the top (the shared one when set); returns p. */
@inline function bumpTop(bytes: usize, align: usize): usize {
  if (ASC_FEATURE_THREADS) {
    if (sharedTop != 0) {
      for (;;) {
        const t = atomic.load<usize>(sharedTop);
        const p = (t + align - 1) & ~(align - 1);
        if (atomic.cmpxchg<usize>(sharedTop, t, p + bytes) == t) return p;
      }
    }
  }
  const p = (arenaTop + align - 1) & ~(align - 1);
  arenaTop = p + bytes;
  return p;
}

/** Hand back [p, p + bytes), which nothing uses any more; when the list is full, the smallest block is dropped. */
export function arenaFree(p: usize, bytes: usize): void {
  if (bytes < OS_PAGE) return;
  let at = freeCount;
  if (freeCount == FREE_MAX) {
    at = 0;
    for (let i: i32 = 1; i < freeCount; i++) {
      if (load<usize>(freeAt(i), sizeof<usize>()) - load<usize>(freeAt(i)) < load<usize>(freeAt(at), sizeof<usize>()) - load<usize>(freeAt(at))) at = i;
    }
    if (load<usize>(freeAt(at), sizeof<usize>()) - load<usize>(freeAt(at)) >= bytes) return;
  } else freeCount++;
  store<usize>(freeAt(at), p);
  store<usize>(freeAt(at), p + bytes, sizeof<usize>());
}

/** The smallest handed-back block holding `bytes` aligned to `align`, taken (its rest stays free), zeroed; 0 if none. */
function takeFree(bytes: usize, align: usize): usize {
  let best: i32 = -1;
  let bestSize: usize = 0;
  for (let i: i32 = 0; i < freeCount; i++) {
    const start = load<usize>(freeAt(i));
    const end = load<usize>(freeAt(i), sizeof<usize>());
    const p = (start + align - 1) & ~(align - 1);
    if (p + bytes > end) continue;
    if (best < 0 || end - start < bestSize) {
      best = i;
      bestSize = end - start;
    }
  }
  if (best < 0) return 0;
  const b = freeAt(best);
  const p = (load<usize>(b) + align - 1) & ~(align - 1);
  const rest = p + bytes;
  if (load<usize>(b, sizeof<usize>()) - rest >= OS_PAGE) store<usize>(b, rest);
  else {
    freeCount--;
    store<usize>(b, load<usize>(freeAt(freeCount)));
    store<usize>(b, load<usize>(freeAt(freeCount), sizeof<usize>()), sizeof<usize>());
  }
  memory.fill(p, 0, bytes);
  return p;
}

/**
 * Take `bytes` aligned to `align` (a power of two) from the arena, zeroed:
 * the smallest handed-back block it fits in, or else the top, growing memory
 * as needed. Memory that memory.grow just added is zero already and is not
 * written (its pages stay untouched until used), unless `touch`: then a byte
 * of each of its pages is written now, one page fault each — a region that
 * will be used all over (a table rehashed into it) would otherwise take two
 * per page, a read fault mapping the shared zero page on the first probe and
 * a copy-on-write fault on the first store (each several µs on a VM).
 */
export function arenaAlloc(bytes: usize, align: usize = 16, touch: bool = false): usize {
  if (freeCount > 0) {
    const f = takeFree(bytes, align);
    if (f != 0) return f;
  }
  const p = bumpTop(bytes, align);
  const end = p + bytes;
  const have = <usize>memory.size() << 16;
  // Another instance on a shared memory may grow it in between: grow until it holds `end`.
  for (let size = have; end > size; size = <usize>memory.size() << 16) {
    const pages = <i32>((end - size + 0xffff) >> 16);
    if (memory.grow(pages) < 0) unreachable();
  }
  if (p < have) memory.fill(p, 0, min(end, have) - p);
  // One store per page of what memory.grow added (zero already): the fault,
  // without a pass over every byte.
  if (touch) for (let q = (max(p, have) + OS_PAGE - 1) & ~(OS_PAGE - 1); q < end; q += OS_PAGE) store<u8>(q, 0);
  return p;
}

/**
 * Extend the block [p, p + bytes), when it is the last one taken off this
 * instance's own top (no shared top), to [p, p + newBytes) in place: the
 * added part zeroed (what memory.grow adds is zero already and is written
 * one byte a page, as arenaAlloc's `touch`). Returns false, changing
 * nothing, when the block is not at the top (it cannot grow in place).
 * The in-place growth of a slot array (oaMaybeGrow): its pages are faulted
 * in once, instead of once for each array it outgrows.
 */
export function arenaExtend(p: usize, bytes: usize, newBytes: usize): bool {
  if (ASC_FEATURE_THREADS) {
    if (sharedTop != 0) return false;
  }
  if (p + bytes != arenaTop || newBytes < bytes) return false;
  const from = p + bytes;
  const end = p + newBytes;
  const have = <usize>memory.size() << 16;
  if (end > have) {
    if (memory.grow(<i32>((end - have + 0xffff) >> 16)) < 0) unreachable();
  }
  arenaTop = end;
  if (from < have) memory.fill(from, 0, min(end, have) - from);
  for (let q = (max(from, have) + OS_PAGE - 1) & ~(OS_PAGE - 1); q < end; q += OS_PAGE) store<u8>(q, 0);
  return true;
}

/** Give back [p, p + bytes): off the top when it is the last block taken there (arenaFree otherwise). */
export function arenaRelease(p: usize, bytes: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (sharedTop != 0) {
      arenaFree(p, bytes);
      return;
    }
  }
  if (p + bytes == arenaTop) arenaTop = p;
  else arenaFree(p, bytes);
}

/** The arena for the host after stateInit (e.g. a bigger staging region); never per packet. */
export function arenaAllocate(bytes: usize): usize {
  return arenaAlloc(bytes);
}

/** The first byte above this instance's arena (its own top; with a shared top, the shared one). */
export function arenaEnd(): usize {
  if (ASC_FEATURE_THREADS) {
    if (sharedTop != 0) return atomic.load<usize>(sharedTop);
  }
  return arenaTop;
}
