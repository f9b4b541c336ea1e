// stateInit: the replay engine's per-instance state set up in one call, in
// order: the arena above the host's regions (arena.ts), the shared state
// (state.ts: interface records, counters, stats), then the two tables
// (conntrack.ts, fragments.ts). The host then builds the address map
// (addrmap.ts) and configures the engine (engine.ts).

import { arenaReset } from './arena';
import { ctInit } from './conntrack';
import { frInit } from './fragments';
import { sharedInit } from './state';

/**
 * Set up the state. `ifacePtr`: nIfaces interface records written by the
 * host. `arenaBase`: the first byte above every host region; the host must
 * not allocate after this call.
 */
export function stateInit(ifacePtr: usize, nIface: u32, shards: u32, ctCapPerShard: u32, frCapPerShard: u32, arenaBase: usize): void {
  arenaReset(arenaBase);
  sharedInit(ifacePtr, nIface, shards, ctCapPerShard, frCapPerShard);
  ctInit();
  frInit();
}
