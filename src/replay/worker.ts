/**
 * The one file that runs inside replay worker threads (piscina). Each worker
 * owns a fixed set of shards for a whole replay, so its conntrack state never
 * leaves it; see replay.ts.
 */
import { runShards, type ShardResult, type ShardTask } from './run-shards.js';

export default async function replayShards(task: ShardTask): Promise<ShardResult> {
  return runShards(task);
}
