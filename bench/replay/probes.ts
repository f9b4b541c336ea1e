/**
 * The conntrack table's probe lengths after one pass of the replay loop over
 * a capture (the loop as instr.ts's child runs it: a fresh engine, the
 * capture stream, `runPrepared`): the mean slots a lookup walks to find an
 * entry (`hit`) and to miss (`miss`, from a uniform first slot to the first
 * empty one), by the module's `ctProbeMean` (assembly/conntrack.ts). A
 * load-independent check of the slot hash's spread: a cheaper hash must keep
 * these (docs/replay.md, "One flow hash for the shard and the slot").
 *
 *   node dist/bench/replay/probes.js [--root DIR] [--packets N] [--flows F | --mix M]
 *
 * `--root DIR`: measure that build instead (a root with dist/ and build/ whose
 * module exports ctProbeMean).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BenchError } from '../harness/errors.js';
import { benchProgram, intOption, parseBenchArgs, runBenchScript } from '../cli.js';

const here = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const MIX_NAMES = ['huawei', 'aliyun-advanced'];

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const o = parseBenchArgs<{ root?: string; packets: number; flows: number; mix?: string }>(
    benchProgram('replay-probes', "the conntrack table's mean probe lengths after one replay pass")
      .option('--root <dir>', 'the root of the build to measure (default: this one)')
      .option('--packets <n>', 'packets in the bench capture (or the least of the flows capture)', intOption(1), 1_000_000)
      .option('--flows <f>', 'the flows-scaling capture of F concurrent flows instead', intOption(0), 0)
      .option('--mix <name>', `a rich mix instead: ${MIX_NAMES.join(', ')}`),
    argv
  );
  const root = resolve(o.root ?? here);
  if (!existsSync(join(root, 'dist')) || !existsSync(join(root, 'build'))) throw new BenchError('SGF_BENCH_BAD_OPTION', `--root ${root}: expected a build root with dist/ and build/`);
  if (o.mix !== undefined && !MIX_NAMES.includes(o.mix)) throw new BenchError('SGF_BENCH_BAD_OPTION', `--mix ${o.mix}: expected one of ${MIX_NAMES.join(', ')}`);
  if (o.mix !== undefined && o.flows > 0) throw new BenchError('SGF_BENCH_BAD_OPTION', '--mix and --flows: give one of them');
  const mine = <T>(rel: string): Promise<T> => import(pathToFileURL(join(here, 'dist', rel)).href) as Promise<T>;
  const theirs = <T>(rel: string): Promise<T> => import(pathToFileURL(join(root, 'dist', rel)).href) as Promise<T>;
  const mainMod = await mine<typeof import('./main.js')>('bench/replay/main.js');
  const flowsMod = await mine<typeof import('./flows.js')>('bench/replay/flows.js');
  const mixesMod = await mine<typeof import('./mixes.js')>('bench/replay/mixes.js');
  const gen = await mine<typeof import('../../src/gen/index.js')>('src/gen/index.js');
  const set = gen.ensureGenerated(
    o.mix !== undefined ? mixesMod.RICH_MIXES[MIX_NAMES.indexOf(o.mix)]!.spec(o.packets) : o.flows > 0 ? flowsMod.flowsSpec(o.flows, o.packets) : mainMod.replaySpec(o.packets)
  );
  const capacity = o.flows > 0 ? flowsMod.flowsCapacity(o.flows) : undefined;
  const parse = await theirs<typeof import('../../src/parse/load.js')>('src/parse/load.js');
  const compile = await theirs<typeof import('../../src/compile/compile.js')>('src/compile/compile.js');
  const eng = await theirs<typeof import('../../src/replay/wasm-engine.js')>('src/replay/wasm-engine.js');
  const str = await theirs<typeof import('../../src/replay/stream.js')>('src/replay/stream.js');
  const topology = parse.loadTopologyFile(set.topologyPath).topology;
  const engine = new eng.WasmEngine(topology, compile.compileTopology(topology), { conntrackCapacity: capacity });
  const probe = (engine.inst.exports as unknown as { ctProbeMean?: (miss: number) => number }).ctProbeMean;
  if (probe === undefined) throw new BenchError('SGF_BENCH_BAD_OPTION', `--root ${root}: its module has no ctProbeMean export`);
  const stream = new str.WasmCaptureStream(engine, set.capturePath);
  let n = 0;
  for (const { batch, interfaces } of stream.batches()) {
    n += batch.count;
    engine.runPrepared(batch.count, interfaces, engine.allShards, false);
  }
  console.log(`${root}: ${n} packets (${o.mix ?? (o.flows > 0 ? `${o.flows} flows` : 'bench capture')}): conntrack mean probe length hit ${probe(0).toFixed(4)}, miss ${probe(1).toFixed(4)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) runBenchScript(() => main());
