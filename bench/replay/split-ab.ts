/**
 * replay() with 2+ workers, split 'shared' against split 'lanes' (and 1 worker), alternated
 * round by round on one capture: per mode the medians of the call's wall time and of the
 * process's CPU time (every thread: process.cpuUsage), ns per packet.
 *
 *   node dist/bench/replay/split-ab.js [--dir DIR] [--rounds 5] [--workers 2] [--decisions jsonl|binary] [--other-lane-split]
 *
 * `calling` is the calling thread's own CPU time (/proc/thread-self/schedstat): for the shared
 * split the producer's, the rest is the lanes'. `--other-lane-split` adds the shared split with
 * the way of splitting a batch by lane that is not the default (shared-replay.ts sharedTuning):
 * `/p` the producer lists each lane's records (engineSplit), `/c` the lanes pick their own.
 *
 * Every run's verdict counts must equal the first run's, else the driver fails.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compileTopology } from '../../src/compile/compile.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { endIdleReplayWorkers, replay, type ReplayOptions } from '../../src/replay/replay.js';
import { sharedTuning } from '../../src/replay/shared-replay.js';
import { Option } from 'commander';
import { ensureGenerated } from '../../src/gen/index.js';
import { benchProgram, intOption, parseBenchArgs, runBenchScript } from '../cli.js';
import { median } from '../stats.js';
import { replaySpec } from './main.js';

async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const o = parseBenchArgs<{ dir?: string; rounds: number; workers: number; decisions?: 'jsonl' | 'binary'; otherLaneSplit?: boolean }>(
    benchProgram('split-ab', "replay() with 2+ workers, split 'shared' against split 'lanes' (and 1 worker), whole calls alternated round by round")
      .option('--dir <dir>', "a generated set's directory (trace.pcap, topology.json); default the replay bench's 1M-packet capture")
      .option('--rounds <n>', 'measured rounds after a warm-up', intOption(1), 5)
      .option('--workers <n>', 'workers of the two split modes', intOption(2), 2)
      .addOption(new Option('--decisions <format>', 'write the decisions (to a file in the temporary directory)').choices(['jsonl', 'binary']))
      .option('--other-lane-split', "add the shared split with its other way of splitting a batch by lane: /p the producer lists each lane's records (engineSplit), /c each lane picks its own (engineRunClaimed)"),
    argv
  );
  const set = o.dir !== undefined ? { capturePath: join(o.dir, 'trace.pcap'), topologyPath: join(o.dir, 'topology.json') } : ensureGenerated(replaySpec(1_000_000));
  const { rounds, workers } = o;
  const format = o.decisions ?? '';
  const topology = loadTopologyFile(set.topologyPath).topology;
  const compiled = compileTopology(topology);
  const file = set.capturePath;
  const def = sharedTuning.split;
  const other = def === 'lanes' ? 'producer' : 'lanes';
  const modes: [string, ReplayOptions, 'lanes' | 'producer'][] = [
    ['1 worker', { workers: 1 }, def],
    [`${workers} shared`, { workers, split: 'shared' }, def],
    ...(o.otherLaneSplit ? [[`${workers} shared/${other === 'lanes' ? 'c' : 'p'}`, { workers, split: 'shared' }, other] as [string, ReplayOptions, 'lanes' | 'producer']] : []),
    [`${workers} lanes`, { workers, split: 'lanes' }, def],
  ];
  const rows = new Map<string, { wall: number[]; cpu: number[]; calling: number[] }>(modes.map(([m]) => [m, { wall: [], cpu: [], calling: [] }]));
  const threadNs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
  let want: string | undefined;
  let packets = 0;
  const psi = () => readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0];
  console.log(`cpu pressure before: ${psi()}`);
  for (let r = -1; r < rounds; r++) {
    for (const [m, o, split] of modes) {
      sharedTuning.split = split;
      const out = format ? { decisionsPath: join(tmpdir(), `sgf-split-ab.${format}`), decisionsFormat: format as 'jsonl' | 'binary' } : {};
      const c0 = process.cpuUsage();
      const s0 = threadNs();
      const t0 = performance.now();
      const res = await replay(topology, file, { ...o, compiled, ...out });
      const wall = performance.now() - t0;
      const own = threadNs() - s0;
      const c = process.cpuUsage(c0);
      const tally = JSON.stringify(res.verdicts);
      want ??= tally;
      if (tally !== want) throw new Error(`${m}: verdicts ${tally}, expected ${want}`);
      packets = res.packets;
      if (r >= 0) {
        rows.get(m)!.wall.push(wall);
        rows.get(m)!.cpu.push((c.user + c.system) / 1000);
        rows.get(m)!.calling.push(own / 1e6);
      }
    }
  }
  await endIdleReplayWorkers();
  console.log(`${packets} packets, ${rounds} rounds alternated after a warm-up, medians${format ? `, decisions ${format}` : ', no decisions file'}; cpu pressure after: ${psi()}`);
  sharedTuning.split = def;
  for (const [m, { wall, cpu, calling }] of rows) {
    console.log(`${m.padEnd(10)} wall ${((median(wall) * 1e6) / packets).toFixed(1).padStart(6)} ns/packet (${(packets / median(wall) / 1e3).toFixed(2)} M/s)  cpu, all threads ${((median(cpu) * 1e6) / packets).toFixed(1).padStart(6)}, calling ${((median(calling) * 1e6) / packets).toFixed(1).padStart(6)} ns/packet  [wall ms ${wall.map((x) => x.toFixed(0)).join(' ')}]`);
  }
}

runBenchScript(() => main());
