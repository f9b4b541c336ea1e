/**
 * The one file that runs inside replay worker threads (piscina). Each worker
 * owns a fixed set of shards for a whole replay, so its conntrack state never
 * leaves it; see replay.ts. `writeDecisions` (piscina's `name`) is the other
 * task a thread may be given: writing the decisions of a lane judged in the
 * calling thread (replay.ts, the local lane).
 */
import { compileModule } from '../wasm/loader.js';
import { runShards, type ShardResult, type ShardTask } from './run-shards.js';
import { writeDecisionRing, type RingWriterResult, type RingWriterTask } from './decision-writer.js';
import { OutputFile } from './output.js';
import { judgeSharedLane as judgeLane, type SharedLaneResult, type SharedLaneTask } from './shared-replay.js';

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

/** Write a local lane's decisions from its ring to the destination replay() opened (left open). */
export async function writeDecisions(task: RingWriterTask): Promise<RingWriterResult> {
  return writeDecisionRing(task, new OutputFile(task.path, task.fd, 'decisions'));
}

/** One lane of a shared-memory replay (shared-replay.ts): judge its list of every batch the calling thread publishes. */
export function judgeSharedLane(task: SharedLaneTask): SharedLaneResult {
  return judgeLane(task);
}
