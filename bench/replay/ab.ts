/**
 * A/B of two builds of the replay engine in one process, alternating, on the
 * bench capture: this build against the build under `--against DIR` (a copy
 * of another checkout's root with its dist/ and build/, e.g. `cp -r dist
 * build package.json /tmp/base` before a change; link node_modules into it).
 * Each round runs, for each build in turn (the order swapped every round),
 * its own per-stage breakdown (bench/replay/stages.ts, one pass) and one pass
 * of the replay loop as the worker runs it (the capture stream and
 * engineDecodeRun, fused per sub-batch). On a shared, noisy machine only
 * alternation in one process makes the two comparable: the load moves both
 * alike. Reported: medians and lower quartiles in ns per packet (the loop
 * also as this thread's time on a CPU, `loopCpu`, which leaves out the waits
 * for a CPU, and `loopSys`, the process's system time in it: reads and page
 * faults), the page faults of a pass (which do not move with the load),
 * and B/A speed ratios; and the two in lockstep, batch by batch through
 * one capture (`lockstep stream`: read + scan, `lockstep engine`: decode +
 * judge), the least sensitive to the load of all.
 *
 *   node dist/bench/replay/ab.js --against DIR [--rounds N] [--packets N] [--flows F | --mix M] [--records]
 *
 * The loop and lockstep passes run `runPrepared(..., records)`: by default
 * with `records` false (the tally-only entry, engineDecodeTally: the replay's
 * path when nothing reads the decisions; a build from before that argument
 * ignores it and writes the records); `--records`: the decision records
 * written (engineDecodeRun, the path with a decisions file or ring).
 *
 * `--flows F`: the flows-scaling capture of F concurrent flows
 * (bench/replay/flows.ts, cut at max(packets, 4 × F) packets) instead of
 * the bench capture; `--mix M`: one of the rich mixes of
 * bench/replay/mixes.ts (`huawei`, `aliyun-advanced`: 40% IPv6, 10%
 * fragments, 20% ICMP errors, …) of `--packets` packets instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BenchError } from '../harness/errors.js';
import { benchProgram, intOption, parseBenchArgs, runBenchScript } from '../cli.js';
import { median } from '../stats.js';

type Stages = typeof import('./stages.js');
type Main = typeof import('./main.js');
type Flows = typeof import('./flows.js');
type Mixes = typeof import('./mixes.js');
type Gen = typeof import('../../src/gen/index.js');
type Load = typeof import('../../src/parse/load.js');
type Compile = typeof import('../../src/compile/compile.js');
type Engine = typeof import('../../src/replay/wasm-engine.js');
type Stream = typeof import('../../src/replay/stream.js');

interface Build {
  name: string;
  root: string;
  stages: Stages;
  engine: Engine;
  stream: Stream;
  topology: import('../../src/model/topology.js').Topology;
  compiled: import('../../src/compile/compile.js').CompiledTable;
}

interface Sample {
  loop: number;
  loopCpu: number;
  loopSys: number;
  loopFaults: number;
  read: number;
  scan: number;
  decode: number;
  engine: number;
  faults: number;
}

/** The project root of this build: dist/bench/replay -> ../../.. */
const here = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');

async function load(name: string, root: string, topologyPath: string): Promise<Build> {
  const imp = <T>(rel: string): Promise<T> => import(pathToFileURL(join(root, 'dist', rel)).href) as Promise<T>;
  const parse = await imp<Load>('src/parse/load.js');
  const compile = await imp<Compile>('src/compile/compile.js');
  const topology = parse.loadTopologyFile(topologyPath).topology;
  return {
    name,
    root,
    stages: await imp<Stages>('bench/replay/stages.js'),
    engine: await imp<Engine>('src/replay/wasm-engine.js'),
    stream: await imp<Stream>('src/replay/stream.js'),
    topology,
    compiled: compile.compileTopology(topology),
  };
}

/**
 * This thread's time on a CPU so far, ns (Linux: /proc/thread-self/schedstat,
 * whose first field is exact; NaN elsewhere): unlike the wall time, it leaves
 * out the time the thread waited for a CPU that other processes held.
 */
function threadCpuNs(): number {
  if (!existsSync('/proc/thread-self/schedstat')) return NaN;
  return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
}

/** One pass of the replay loop as a worker runs it (stream + engineDecodeRun): ns per packet (wall, and on a CPU), page faults. */
function loopPass(b: Build, file: string, capacity: number | undefined, records: boolean): { ns: number; cpuNs: number; sysNs: number; faults: number; full: number } {
  const engine = new b.engine.WasmEngine(b.topology, b.compiled, { conntrackCapacity: capacity });
  const stream = new b.stream.WasmCaptureStream(engine, file);
  const f0 = process.resourceUsage().minorPageFault;
  const c0 = threadCpuNs();
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  for (const { batch, interfaces } of stream.batches()) {
    n += batch.count;
    engine.runPrepared(batch.count, interfaces, engine.allShards, records);
  }
  const ms = performance.now() - t0;
  const cpu = threadCpuNs() - c0;
  const sys = process.cpuUsage(u0).system * 1e3;
  return { ns: (ms * 1e6) / n, cpuNs: cpu / n, sysNs: sys / n, faults: process.resourceUsage().minorPageFault - f0, full: engine.counters().conntrackFull };
}

/**
 * Both builds through the capture in lockstep, batch by batch (A's batch k,
 * B's batch k, A's k + 1, …; which goes first alternates per batch): a swing
 * of the machine's load longer than a batch (~2 ms) moves both alike. Per
 * build: ns per packet of its stream (read + scan) and of its engine
 * (engineDecodeRun: decode + judge, page faults included).
 */
function lockstep(builds: Build[], file: string, capacity: number | undefined, records: boolean): { stream: number; engine: number }[] {
  const runs = builds.map((b) => {
    const engine = new b.engine.WasmEngine(b.topology, b.compiled, { conntrackCapacity: capacity });
    return { engine, it: new b.stream.WasmCaptureStream(engine, file).batches(), stream: 0, run: 0, n: 0, done: false };
  });
  for (let k = 0; !runs.every((r) => r.done); k++) {
    for (const r of k % 2 ? [...runs].reverse() : runs) {
      if (r.done) continue;
      const t0 = performance.now();
      const step = r.it.next();
      const t1 = performance.now();
      r.stream += t1 - t0;
      if (step.done) {
        r.done = true;
        continue;
      }
      const { batch, interfaces } = step.value;
      r.engine.runPrepared(batch.count, interfaces, r.engine.allShards, records);
      r.run += performance.now() - t1;
      r.n += batch.count;
    }
  }
  return runs.map((r) => ({ stream: (r.stream * 1e6) / r.n, engine: (r.run * 1e6) / r.n }));
}

const warnedOld = new Set<string>();

function sample(b: Build, file: string, capacity: number | undefined, records: boolean): Sample {
  const loop = loopPass(b, file, capacity, records);
  // A build from before the stages took a capacity ignores the argument and
  // measures its stages at the default capacity (its report has no
  // conntrackFull): say so once.
  const s = b.stages.runStages(b.topology, b.compiled, file, 1, { conntrackCapacity: capacity });
  if (s.conntrackFull === undefined && capacity !== undefined && !warnedOld.has(b.root)) {
    warnedOld.add(b.root);
    console.log(`  note: ${b.root}'s stage passes predate the capacity option: they run at the default capacity (its loop and lockstep rows use ${capacity})`);
  } else if (s.conntrackFull > 0) {
    throw new BenchError('SGF_BENCH_REPLAY', `${b.root}: its stage passes judged ${s.conntrackFull} packets conntrack-full`);
  }
  return { loop: loop.ns, loopCpu: loop.cpuNs, loopSys: loop.sysNs, loopFaults: loop.faults, read: s.read, scan: s.scan, decode: s.decode, engine: s.engine, faults: s.pageFaults ?? NaN };
}

/** `--mix` names, in the order of mixes.ts's RICH_MIXES. */
const MIX_NAMES = ['huawei', 'aliyun-advanced'];

const q1 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 4)]!;

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const o = parseBenchArgs<{ against: string; rounds: number; packets: number; flows: number; mix?: string; records?: boolean }>(
    benchProgram('replay-ab', 'A/B of two builds of the replay engine in one process, alternating round by round')
      .requiredOption('--against <dir>', 'the root of the other build (its dist/ and build/)')
      .option('--rounds <n>', 'rounds, the order of the two builds swapped every round', intOption(1), 9)
      .option('--packets <n>', 'packets in the bench capture (or the least of the flows capture)', intOption(1), 1_000_000)
      .option('--flows <f>', 'the flows-scaling capture of F concurrent flows instead (0: the bench capture)', intOption(0), 0)
      .option('--mix <name>', `a rich mix of bench/replay/mixes.ts instead: ${MIX_NAMES.join(', ')}`)
      .option('--records', 'the loop and lockstep passes write the decision records (runPrepared(..., true)); default: the tally-only entry'),
    argv
  );
  const other = resolve(o.against);
  if (!existsSync(join(other, 'dist')) || !existsSync(join(other, 'build'))) throw new BenchError('SGF_BENCH_BAD_OPTION', `--against ${other}: expected the root of another build, with its dist/ and build/`);
  const { rounds, packets, flows, mix } = o;
  const records = o.records === true;
  if (mix !== undefined && !MIX_NAMES.includes(mix)) throw new BenchError('SGF_BENCH_BAD_OPTION', `--mix ${mix}: expected one of ${MIX_NAMES.join(', ')}`);
  if (mix !== undefined && flows > 0) throw new BenchError('SGF_BENCH_BAD_OPTION', '--mix and --flows: give one of them');
  const mainMod = (await import(pathToFileURL(join(here, 'dist', 'bench', 'replay', 'main.js')).href)) as Main;
  const flowsMod = (await import(pathToFileURL(join(here, 'dist', 'bench', 'replay', 'flows.js')).href)) as Flows;
  const gen = (await import(pathToFileURL(join(here, 'dist', 'src', 'gen', 'index.js')).href)) as Gen;
  const mixesMod = (await import(pathToFileURL(join(here, 'dist', 'bench', 'replay', 'mixes.js')).href)) as Mixes;
  const set = gen.ensureGenerated(
    mix !== undefined ? mixesMod.RICH_MIXES[MIX_NAMES.indexOf(mix)]!.spec(packets) : flows > 0 ? flowsMod.flowsSpec(flows, packets) : mainMod.replaySpec(packets)
  );
  // Each build loads its own module file (src/wasm/loader.ts: <root>/build/), compiled once per path.
  const builds = [await load('A', other, set.topologyPath), await load('B', here, set.topologyPath)];
  // The flows capture's table holds F flows at once: replay it with the
  // capacity the flows bench uses (flows.ts), so no packet is judged
  // conntrack-full and the A/B measures F flows in the table.
  const capacity = flows > 0 ? flowsMod.flowsCapacity(flows) : undefined;
  for (const b of builds) {
    const w = loopPass(b, set.capturePath, capacity, records); // warm-up (page cache, JIT)
    if (w.full > 0) throw new BenchError('SGF_BENCH_REPLAY', `${b.root}: ${w.full} packets judged conntrack-full at capacity ${capacity ?? 'default'} per interface`);
  }
  const samples = new Map<string, Sample[]>(builds.map((b) => [b.name, []]));
  const locked = new Map<string, { stream: number; engine: number }[]>(builds.map((b) => [b.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const b of r % 2 ? [...builds].reverse() : builds) samples.get(b.name)!.push(sample(b, set.capturePath, capacity, records));
    lockstep(builds, set.capturePath, capacity, records).forEach((x, k) => locked.get(builds[k]!.name)!.push(x));
    process.stderr.write(`  round ${r + 1}/${rounds}\n`);
  }
  const keys = ['loop', 'loopCpu', 'loopSys', 'read', 'scan', 'decode', 'engine'] as const;
  const what = mix !== undefined ? `the ${mix} mix, ${packets.toLocaleString('en-US')} packets` : flows > 0 ? `the ${flows.toLocaleString('en-US')}-flow capture` : `${packets.toLocaleString('en-US')} packets`;
  console.log(`A/B, ${rounds} rounds alternating, ${what}, ${records ? 'decision records written (--records)' : 'the tally-only entry (a build without it writes the records)'}; A = ${other}, B = this build (${here})`);
  console.log('  | stage | A median (q1) | B median (q1) | B/A speed |');
  console.log('  |---|---|---|---|');
  for (const k of keys) {
    const a = samples.get('A')!.map((s) => s[k]);
    const b = samples.get('B')!.map((s) => s[k]);
    console.log(`  | ${k} | ${median(a).toFixed(1)} (${q1(a).toFixed(1)}) | ${median(b).toFixed(1)} (${q1(b).toFixed(1)}) | ${(median(a) / median(b)).toFixed(3)} |`);
  }
  for (const k of ['stream', 'engine'] as const) {
    const a = locked.get('A')!.map((s) => s[k]);
    const b = locked.get('B')!.map((s) => s[k]);
    console.log(`  | lockstep ${k} | ${median(a).toFixed(1)} (${q1(a).toFixed(1)}) | ${median(b).toFixed(1)} (${q1(b).toFixed(1)}) | ${(median(a) / median(b)).toFixed(3)} |`);
  }
  for (const k of ['loopFaults', 'faults'] as const) {
    console.log(`  | page faults, ${k === 'loopFaults' ? 'loop pass' : 'decode + engine'} | ${median(samples.get('A')!.map((s) => s[k]))} | ${median(samples.get('B')!.map((s) => s[k]))} | |`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) runBenchScript(() => main());
