/**
 * Instructions per packet of the replay loop (the capture stream and
 * `runPrepared`, as ab.ts's loop pass), counted by valgrind's callgrind:
 * load-independent, unlike any timing on a shared machine. Two child runs
 * under `valgrind --tool=callgrind` (`node --no-liftoff`: the WASM compiled
 * by TurboFan only), one of `lo` passes and one of `hi` passes over the same
 * capture (a fresh engine a pass); (Ir(hi) - Ir(lo)) / ((hi - lo) × packets)
 * leaves out start-up and compilation. The JIT varies by about ±10 a packet
 * from run to run.
 *
 *   node dist/bench/replay/instr.js [--root DIR] [--records] [--packets N] [--flows F | --mix M] [--lo 1] [--hi 2]
 *
 * `--root DIR`: count that build instead (another checkout's root with its
 * dist/ and build/, as ab.ts's `--against`); `--records`: the loop writes the
 * decision records (runPrepared's 4th argument true; a build without the
 * argument always writes them). Needs valgrind; takes a few minutes.
 *
 * `--functions`: instead, one run of `lo` passes with callgrind's
 * per-instruction counts (`--dump-instr=yes`) and V8's listing of the
 * module's machine code (`--print-wasm-code`, which gives each WebAssembly
 * function's instruction addresses), and the instructions a packet of each
 * WebAssembly function (inlined callees in their caller) and of all of them.
 * These are exact: the same module gives the same counts run after run (the
 * whole-loop figure above moves with the JIT's work on the JavaScript side).
 * Functions are named when the module has a name section (a copy of the build
 * whose build/sgfilter.wasm is `asc assembly/index.ts --target release
 * --debug -o DIR/build/sgfilter.wasm`: the same code, with names), else
 * `wasm-function[N]`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BenchError } from '../harness/errors.js';
import { benchProgram, intOption, parseBenchArgs, runBenchScript } from '../cli.js';

const here = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const MIX_NAMES = ['huawei', 'aliyun-advanced'];

/** The child: `passes` loop passes of the build at `root` over `capture` (topology `topo`). */
async function child(root: string, topo: string, capture: string, passes: number, records: boolean, capacity: number | undefined): Promise<void> {
  const imp = <T>(rel: string): Promise<T> => import(pathToFileURL(join(root, 'dist', rel)).href) as Promise<T>;
  const parse = await imp<typeof import('../../src/parse/load.js')>('src/parse/load.js');
  const compile = await imp<typeof import('../../src/compile/compile.js')>('src/compile/compile.js');
  const eng = await imp<typeof import('../../src/replay/wasm-engine.js')>('src/replay/wasm-engine.js');
  const str = await imp<typeof import('../../src/replay/stream.js')>('src/replay/stream.js');
  const topology = parse.loadTopologyFile(topo).topology;
  const compiled = compile.compileTopology(topology);
  let n = 0;
  for (let p = 0; p < passes; p++) {
    const engine = new eng.WasmEngine(topology, compiled, { conntrackCapacity: capacity });
    const stream = new str.WasmCaptureStream(engine, capture);
    n = 0;
    for (const { batch, interfaces } of stream.batches()) {
      n += batch.count;
      engine.runPrepared(batch.count, interfaces, engine.allShards, records);
    }
  }
  console.log(`packets ${n}`);
}

function counted(args: string[]): { ir: number; packets: number } {
  const r = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--no-liftoff', ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const ir = /Collected : (\d+)/.exec(r.stderr ?? '');
  const pk = /packets (\d+)/.exec(r.stdout ?? '');
  if (r.status !== 0 || !ir || !pk) throw new BenchError('SGF_BENCH_REPLAY', `valgrind run failed (status ${r.status}): ${(r.stderr ?? '').slice(-2000)}`);
  return { ir: Number(ir[1]), packets: Number(pk[1]) };
}

/** Instructions (callgrind Ir) of each WebAssembly function in a run of `args` under callgrind with V8's code listing. */
function perFunction(args: string[]): { fns: Map<string, number>; packets: number } {
  const dir = mkdtempSync(join(tmpdir(), 'sgf-instr-'));
  try {
    const out = join(dir, 'cg.out');
    const r = spawnSync('valgrind', ['--tool=callgrind', '--dump-instr=yes', '--compress-pos=no', '--compress-strings=no', `--callgrind-out-file=${out}`, process.execPath, '--no-liftoff', '--print-wasm-code', ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const pk = /packets (\d+)/.exec(r.stdout ?? '');
    if (r.status !== 0 || !pk) throw new BenchError('SGF_BENCH_REPLAY', `valgrind run failed (status ${r.status}): ${(r.stderr ?? '').slice(-2000)}`);
    // Self cost per instruction address (a line after `calls=` is the call's inclusive cost: skipped).
    const cost = new Map<number, number>();
    let skip = false;
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      if (skip) { skip = false; continue; }
      if (line.startsWith('calls=')) { skip = true; continue; }
      if (!line.startsWith('0x')) continue;
      const f = line.split(' ');
      if (f.length >= 3) { const a = parseInt(f[0]!, 16); cost.set(a, (cost.get(a) ?? 0) + Number(f[2])); }
    }
    // V8's listing: `name: F` opens a function; its instruction lines start with their address.
    const fns = new Map<string, number>();
    let name: string | undefined;
    for (const line of r.stdout.split('\n')) {
      if (line.startsWith('name: ')) { name = line.slice(6).trim(); continue; }
      if (line.startsWith('--- End code')) { name = undefined; continue; }
      const m = name !== undefined ? /^0x([0-9a-f]+)\s/.exec(line) : null;
      if (m) fns.set(name!, (fns.get(name!) ?? 0) + (cost.get(parseInt(m[1]!, 16)) ?? 0));
    }
    return { fns, packets: Number(pk[1]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  if (argv[0] === '--child') {
    const [, root, topo, capture, passes, records, capacity] = argv;
    return child(root!, topo!, capture!, Number(passes), records === '1', capacity === '-' ? undefined : Number(capacity));
  }
  const o = parseBenchArgs<{ root?: string; records?: boolean; functions?: boolean; packets: number; flows: number; mix?: string; lo: number; hi: number }>(
    benchProgram('replay-instr', 'callgrind instructions per packet of the replay loop')
      .option('--root <dir>', 'the root of the build to count (default: this one)')
      .option('--records', 'write the decision records (runPrepared(..., true))')
      .option('--functions', 'instructions a packet of each WebAssembly function (one run of --lo passes; exact)')
      .option('--packets <n>', 'packets in the bench capture', intOption(1), 1_000_000)
      .option('--flows <f>', 'the flows-scaling capture of F concurrent flows instead', intOption(0), 0)
      .option('--mix <name>', `a rich mix instead: ${MIX_NAMES.join(', ')}`)
      .option('--lo <n>', 'passes of the first run', intOption(1), 1)
      .option('--hi <n>', 'passes of the second run', intOption(2), 2),
    argv
  );
  const root = resolve(o.root ?? here);
  if (!existsSync(join(root, 'dist')) || !existsSync(join(root, 'build'))) throw new BenchError('SGF_BENCH_BAD_OPTION', `--root ${root}: expected a build root with dist/ and build/`);
  if (o.mix !== undefined && !MIX_NAMES.includes(o.mix)) throw new BenchError('SGF_BENCH_BAD_OPTION', `--mix ${o.mix}: expected one of ${MIX_NAMES.join(', ')}`);
  if (o.hi <= o.lo) throw new BenchError('SGF_BENCH_BAD_OPTION', '--hi must exceed --lo');
  const mainMod = (await import(pathToFileURL(join(here, 'dist', 'bench', 'replay', 'main.js')).href)) as typeof import('./main.js');
  const flowsMod = (await import(pathToFileURL(join(here, 'dist', 'bench', 'replay', 'flows.js')).href)) as typeof import('./flows.js');
  const mixesMod = (await import(pathToFileURL(join(here, 'dist', 'bench', 'replay', 'mixes.js')).href)) as typeof import('./mixes.js');
  const gen = (await import(pathToFileURL(join(here, 'dist', 'src', 'gen', 'index.js')).href)) as typeof import('../../src/gen/index.js');
  const set = gen.ensureGenerated(
    o.mix !== undefined ? mixesMod.RICH_MIXES[MIX_NAMES.indexOf(o.mix)]!.spec(o.packets) : o.flows > 0 ? flowsMod.flowsSpec(o.flows, o.packets) : mainMod.replaySpec(o.packets)
  );
  const capacity = o.flows > 0 ? String(flowsMod.flowsCapacity(o.flows)) : '-';
  const script = fileURLToPath(import.meta.url);
  const run = (passes: number) => counted([script, '--child', root, set.topologyPath, set.capturePath, String(passes), o.records ? '1' : '0', capacity]);
  if (o.functions) {
    const { fns, packets } = perFunction([script, '--child', root, set.topologyPath, set.capturePath, String(o.lo), o.records ? '1' : '0', capacity]);
    const per = (ir: number) => ir / (o.lo * packets);
    const rows = [...fns].filter(([, ir]) => per(ir) >= 0.05).sort((x, y) => y[1] - x[1]);
    const total = [...fns.values()].reduce((x, y) => x + y, 0);
    console.log(`${root}${o.records ? ' (records)' : ''}: WebAssembly instructions a packet (${o.lo} pass${o.lo > 1 ? 'es' : ''}, ${packets} packets a pass)`);
    for (const [n, ir] of rows) console.log(`${per(ir).toFixed(1).padStart(9)}  ${n}`);
    console.log(`${per(total).toFixed(1).padStart(9)}  all WebAssembly functions`);
    return;
  }
  const a = run(o.lo);
  const b = run(o.hi);
  const per = (b.ir - a.ir) / ((o.hi - o.lo) * b.packets);
  console.log(`${root}${o.records ? ' (records)' : ''}: ${a.ir} Ir (${o.lo} passes), ${b.ir} Ir (${o.hi} passes), ${b.packets} packets a pass: ${per.toFixed(1)} instructions a packet`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) runBenchScript(() => main());
