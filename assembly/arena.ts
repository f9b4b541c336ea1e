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
 * growing memory as needed. The region is written even where memory.grow
 * just added it (zero already): a table's pages are then faulted in by a
 * write, once each, instead of being mapped to the shared zero page by a
 * lookup's read and copied on the first insert — a second fault and, while
 * other threads of the process run (worker lanes), a TLB shootdown on their
 * CPUs (measured: docs/replay.md, Two workers).
 */
export function arenaAlloc(bytes: usize, align: usize = 16): usize {
  const p = (arenaTop + align - 1) & ~(align - 1);
  const end = p + bytes;
  const have = <usize>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) unreachable();
  }
  arenaTop = end;
  memory.fill(p, 0, bytes);
  return p;
}

/** The arena for the host after stateInit (e.g. a bigger staging region); never per packet. */
export function arenaAllocate(bytes: usize): usize {
  return arenaAlloc(bytes);
}
