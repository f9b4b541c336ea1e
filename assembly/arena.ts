// The WASM-side arena: every region the module itself allocates (the
// conntrack and fragment tables, their headers, the per-shard counters, the
// stats block, a larger staging region for the host), above everything the
// host allocated. stateInit (state.ts) sets its base; memory.grow extends it.
// Nothing is ever freed: an outgrown table is abandoned (growth doubles, so
// it happens O(log n) times in a replay, never per packet).

let arenaTop: usize = 0;

/** Start the arena at `base` (the first byte above every host region). */
export function arenaReset(base: usize): void {
  arenaTop = base;
}

/**
 * Take `bytes` aligned to `align` (a power of two) from the arena, zeroed,
 * growing memory as needed. Memory that memory.grow just added is zero
 * already and is not written (its pages stay untouched until used), unless
 * `touch`: then every page is written now, one page fault each — a region
 * that will be used all over (a table rehashed into it) would otherwise take
 * two per page, a read fault mapping the shared zero page on the first probe
 * and a copy-on-write fault on the first store (each several µs on a VM).
 */
export function arenaAlloc(bytes: usize, align: usize = 16, touch: bool = false): usize {
  const p = (arenaTop + align - 1) & ~(align - 1);
  const end = p + bytes;
  const have = <usize>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) unreachable();
  }
  arenaTop = end;
  if (touch) memory.fill(p, 0, bytes);
  else if (p < have) memory.fill(p, 0, min(end, have) - p);
  return p;
}

/** The arena for the host after stateInit (e.g. a bigger staging region); never per packet. */
export function arenaAllocate(bytes: usize): usize {
  return arenaAlloc(bytes);
}
