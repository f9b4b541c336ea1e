/**
 * The one file that runs inside replay worker threads (piscina). Each worker
 * owns a fixed set of shards for a whole replay, so its conntrack state never
 * leaves it; see replay.ts.
 */
import { compileModule } from '../wasm/loader.js';
import { runShards, type ShardResult, type ShardTask } from './run-shards.js';

// Compile the WASM module as the thread starts, while the calling thread
// still compiles the topology; a module that cannot be loaded is reported
// by the task (the same call again, in WasmEngine).
try {
  compileModule();
} catch {
  // reported by the first task
}

export default async function replayShards(task: ShardTask): Promise<ShardResult> {
  return runShards(task);
}
