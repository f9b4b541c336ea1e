/**
 * replay() with 2+ workers, split 'shared' against split 'lanes' (and 1 worker), alternated
 * round by round on one capture: per mode the medians of the call's wall time and of the
 * process's CPU time (every thread: process.cpuUsage), ns per packet.
 *
 *   node dist/bench/replay/split-ab.js [--dir .cache/gen/358bf60bdd1cffd6c2dc] [--rounds 5] [--workers 2] [--decisions jsonl|binary]
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
import { median } from '../stats.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (k: string, d: string) => {
    const i = args.indexOf(k);
    return i >= 0 ? args[i + 1]! : d;
  };
  const dir = opt('--dir', '.cache/gen/358bf60bdd1cffd6c2dc');
  const rounds = Number(opt('--rounds', '5'));
  const workers = Number(opt('--workers', '2'));
  const format = opt('--decisions', '');
  const topology = loadTopologyFile(join(dir, 'topology.json')).topology;
  const compiled = compileTopology(topology);
  const file = join(dir, 'trace.pcap');
  const modes: [string, ReplayOptions][] = [
    ['1 worker', { workers: 1 }],
    [`${workers} shared`, { workers, split: 'shared' }],
    [`${workers} lanes`, { workers, split: 'lanes' }],
  ];
  const rows = new Map<string, { wall: number[]; cpu: number[] }>(modes.map(([m]) => [m, { wall: [], cpu: [] }]));
  let want: string | undefined;
  let packets = 0;
  const psi = () => readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0];
  console.log(`cpu pressure before: ${psi()}`);
  for (let r = -1; r < rounds; r++) {
    for (const [m, o] of modes) {
      const out = format ? { decisionsPath: join(tmpdir(), `sgf-split-ab.${format}`), decisionsFormat: format as 'jsonl' | 'binary' } : {};
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const res = await replay(topology, file, { ...o, compiled, ...out });
      const wall = performance.now() - t0;
      const c = process.cpuUsage(c0);
      const tally = JSON.stringify(res.verdicts);
      want ??= tally;
      if (tally !== want) throw new Error(`${m}: verdicts ${tally}, expected ${want}`);
      packets = res.packets;
      if (r >= 0) {
        rows.get(m)!.wall.push(wall);
        rows.get(m)!.cpu.push((c.user + c.system) / 1000);
      }
    }
  }
  await endIdleReplayWorkers();
  console.log(`${packets} packets, ${rounds} rounds alternated after a warm-up, medians${format ? `, decisions ${format}` : ', no decisions file'}; cpu pressure after: ${psi()}`);
  for (const [m, { wall, cpu }] of rows) {
    console.log(`${m.padEnd(10)} wall ${((median(wall) * 1e6) / packets).toFixed(1).padStart(6)} ns/packet (${(packets / median(wall) / 1e3).toFixed(2)} M/s)  cpu, all threads ${((median(cpu) * 1e6) / packets).toFixed(1).padStart(6)} ns/packet  [wall ms ${wall.map((x) => x.toFixed(0)).join(' ')}]`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
