/**
 * tinybench with the harness's settings: samples retained (they go into the
 * report), warm-up by time, a minimum number of samples.
 */
import { Bench } from 'tinybench';
import type { TinyBenchParams } from './modes.js';
import { tinybenchSamples } from './stats.js';

export interface MicroTask {
  name: string;
  fn: () => unknown;
}

/** Run the tasks one after the other; returns each task's latency samples (ms). */
export async function runMicro(params: TinyBenchParams, tasks: MicroTask[]): Promise<Map<string, number[]>> {
  const bench = new Bench({
    time: params.timeMs,
    warmup: params.warmupMs > 0,
    warmupTime: params.warmupMs,
    warmupIterations: params.warmupMs > 0 ? 2 : 0,
    iterations: params.iterations,
    retainSamples: true,
    throws: true,
  });
  for (const t of tasks) bench.add(t.name, t.fn);
  await bench.run();
  return new Map(bench.tasks.map((t) => [t.name, tinybenchSamples(t)] as const));
}
