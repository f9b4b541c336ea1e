/**
 * Classifier benchmark: lookups per second on one core for the reference
 * evaluator (TS), the WASM linear scan and the WASM optimized matcher, on the
 * ClassBench sets acl1, fw1 and ipc1 at 1K and 10K rules with their traces,
 * plus table build time and table size. Every matcher's answers are checked
 * against the trace's oracle column before it is timed.
 *
 *   node dist/bench/classify/main.js [--sets acl1_1K,fw1_10K,…] [--time MS] [--no-json]
 *       [--binth N] [--cut balance|weighted] [--partition auto|split|none] [--prefix-bits N]   (ablations; JSON then
 *       goes to classify-ablation.json)
 *
 * Timings are tinybench medians after warm-up. The optimized matcher runs
 * over the whole trace per sample; the linear scan over the first 10,000
 * packets (1K rules) or 2,000 (10K rules); the reference over the first
 * 2,000 / 200 packets (it is the readable spec, thousands of times slower).
 * Writes bench/results/classify.json. `npm run bench` calls runClassifyBench
 * (bench/harness/classbench.ts).
 */
import { Bench } from 'tinybench';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileTopology, type CompileOptions } from '../../src/compile/compile.js';
import { TupleBatch, WasmTable, type MatcherKind } from '../../src/compile/matcher.js';
import { Table } from '../../src/compile/table.js';
import { indexTopology } from '../../src/model/topology.js';
import { Option } from 'commander';
import { benchProgram, intOption, listOption, parseBenchArgs, runBenchScript } from '../cli.js';
import { CLASSBENCH_INTERFACE, loadClassBenchRules, loadClassBenchTrace, type ClassBenchTrace } from '../../src/parse/classbench.js';
import { firstMatch, orderedRules, type MatchInput } from '../../src/reference/match.js';
import { WasmInstance } from '../../src/wasm/loader.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

export const DEFAULT_SETS = ['acl1_1K', 'fw1_1K', 'ipc1_1K', 'acl1_10K', 'fw1_10K', 'ipc1_10K'];

/** Millions of lookups per second the issue quotes for C++ classifiers on this kind of machine, one core. */
export const PEERS: Record<string, { tupleMerge?: number; hyperSplit?: number }> = {
  acl1_1K: { tupleMerge: 11.3, hyperSplit: 12.6 },
  fw1_1K: { tupleMerge: 6.3 },
  ipc1_1K: { tupleMerge: 9.8 },
  acl1_10K: { tupleMerge: 7.6, hyperSplit: 6.1 },
  fw1_10K: { tupleMerge: 9.1 },
  ipc1_10K: { tupleMerge: 3.7 },
};

export interface MatcherResult {
  packets: number;
  lookupsPerSec: number;
  medianMs: number;
  samples: number;
  /** Every latency sample in ms (one sample = `packets` lookups). */
  samplesMs: number[];
}

export interface SetResult {
  set: string;
  rules: number;
  tracePackets: number;
  buildMsMedian: number;
  /** Every build time measured, ms. */
  buildSamplesMs: number[];
  tableBytes: number;
  reference: MatcherResult;
  linear: MatcherResult;
  optimized: MatcherResult;
  peerBest: number | null;
  optimizedOverPeer: number | null;
}

export interface ClassifyBenchReport {
  node: string;
  cpu: string;
  compile: CompileOptions;
  sets: SetResult[];
}

export function classbenchDir(): string | null {
  const dir = process.env.SGFILTER_CORPUS ?? join(root, '..', 'shared', 'corpus');
  const cb = join(dir, 'classbench');
  return existsSync(cb) ? cb : null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function inputOf(trace: ClassBenchTrace, i: number): MatchInput {
  return { family: 4, proto: trace.proto[i]!, sport: trace.sport[i]!, dport: trace.dport[i]!, remote: BigInt(trace.src[i]!), local: BigInt(trace.dst[i]!) };
}

export async function runClassifyBench(opts: { sets?: string[]; timeMs?: number; warmupMs?: number; iterations?: number; builds?: number; compile?: CompileOptions; onSet?: (set: string) => void; dir?: string; minOptimizedLookups?: number } = {}): Promise<ClassifyBenchReport> {
  const dir = opts.dir ?? classbenchDir();
  if (!dir) throw new Error('the ClassBench corpus (../shared/corpus/classbench) is not there; set SGFILTER_CORPUS');
  const sets = opts.sets ?? DEFAULT_SETS;
  const timeMs = opts.timeMs ?? 1000;
  const out: SetResult[] = [];
  for (const set of sets) {
    opts.onSet?.(set);
    const rules = loadClassBenchRules(join(dir, `${set}.rules`));
    const trace = loadClassBenchTrace(join(dir, `${set}.trace`));
    if (!trace.match) throw new Error(`${set}.trace has no MATCH column`);
    const big = rules.rules.length > 2000;

    // Build time: median of several compiles (the first one warms the JIT).
    const buildTimes: number[] = [];
    let compiled = compileTopology(rules.topology, opts.compile);
    for (let k = 0; k < (opts.builds ?? 5); k++) {
      const t0 = performance.now();
      compiled = compileTopology(rules.topology, opts.compile);
      buildTimes.push(performance.now() - t0);
    }
    const table = Table.fromCompiled(compiled);
    const wasm = new WasmInstance();
    const wt = new WasmTable(wasm, table);
    const list = table.listFor(CLASSBENCH_INTERFACE, 'ingress')!;
    const batch = new TupleBatch(wasm, trace.length);
    for (let i = 0; i < trace.length; i++) batch.setV4(i, list, trace.src[i]!, trace.dst[i]!, trace.sport[i]!, trace.dport[i]!, trace.proto[i]!);
    const ids = table.meta.lists[list]!.rules.map(([, id]) => Number(id));

    const nLinear = Math.min(trace.length, big ? 2000 : 10000);
    const nRef = Math.min(trace.length, big ? 200 : 2000);
    // Correctness first: no number for a matcher that disagrees with the oracle.
    for (const [kind, n] of [['optimized', trace.length], ['linear', nLinear]] as [MatcherKind, number][]) {
      batch.run(wt, kind, n);
      const pos = batch.results(n);
      for (let i = 0; i < n; i++) {
        const got = pos[i]! < 0 ? 0 : ids[pos[i]!]!;
        if (got !== trace.match[i]) throw new Error(`${set}: ${kind} gives rule ${got} for trace line ${trace.lines[i]}, the oracle ${trace.match[i]}`);
      }
    }
    const index = indexTopology(rules.topology);
    const ordered = orderedRules(index, index.interfaces.get(CLASSBENCH_INTERFACE)!, 'ingress');
    const refInputs = Array.from({ length: nRef }, (_, i) => inputOf(trace, i));
    for (let i = 0; i < nRef; i++) {
      const o = firstMatch(ordered, refInputs[i]!, index);
      if ((o ? o.rule.index + 1 : 0) !== trace.match[i]) throw new Error(`${set}: the reference disagrees with the oracle at trace line ${trace.lines[i]}`);
    }

    let sink = 0;
    // The optimized matcher goes through the trace kOpt times per sample (opts.minOptimizedLookups).
    const kOpt = Math.max(1, Math.ceil((opts.minOptimizedLookups ?? 0) / trace.length));
    const bench = new Bench({ time: timeMs, warmupTime: opts.warmupMs ?? 200, warmupIterations: 3, iterations: opts.iterations ?? 5, retainSamples: true });
    bench
      .add('reference', () => {
        for (let i = 0; i < nRef; i++) if (firstMatch(ordered, refInputs[i]!, index)) sink++;
      })
      .add('linear', () => {
        batch.run(wt, 'linear', nLinear);
      })
      .add('optimized', () => {
        for (let k = 0; k < kOpt; k++) batch.run(wt, 'optimized', trace.length);
      });
    await bench.run();
    const result = (name: string, packets: number): MatcherResult => {
      const t = bench.tasks.find((x) => x.name === name)!;
      const r = t.result as unknown as { latency?: { p50?: number; samplesCount?: number; samples?: number[] } };
      const med = r.latency?.p50 ?? NaN;
      return { packets, lookupsPerSec: packets / (med / 1000), medianMs: med, samples: r.latency?.samplesCount ?? 0, samplesMs: [...(r.latency?.samples ?? [])] };
    };
    if (sink === -1) console.log('');
    const optimized = result('optimized', trace.length * kOpt);
    const peer = PEERS[set];
    const peerBest = peer ? Math.max(peer.tupleMerge ?? 0, peer.hyperSplit ?? 0) : null;
    out.push({
      set,
      rules: rules.rules.length,
      tracePackets: trace.length,
      buildMsMedian: median(buildTimes),
      buildSamplesMs: buildTimes,
      tableBytes: compiled.bytes.length,
      reference: result('reference', nRef),
      linear: result('linear', nLinear),
      optimized,
      peerBest,
      optimizedOverPeer: peerBest ? optimized.lookupsPerSec / 1e6 / peerBest : null,
    });
  }
  const { cpus } = await import('node:os');
  return { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', compile: opts.compile ?? {}, sets: out };
}

export function printReport(rep: ClassifyBenchReport): void {
  const m = (r: MatcherResult) => (r.lookupsPerSec / 1e6).toFixed(r.lookupsPerSec < 1e5 ? 4 : 2);
  console.log(`ClassBench, M lookups/s on one core (tinybench medians), node ${rep.node}, ${rep.cpu}`);
  const head = ['set', 'rules', 'reference', 'wasm linear', 'wasm optimized', 'peer best', 'vs peer', 'build ms', 'table KB'];
  const rows = rep.sets.map((s) => [
    s.set, String(s.rules), m(s.reference), m(s.linear), m(s.optimized),
    s.peerBest?.toFixed(1) ?? '-', s.optimizedOverPeer ? `${s.optimizedOverPeer.toFixed(2)}x` : '-',
    s.buildMsMedian.toFixed(0), (s.tableBytes / 1024).toFixed(0),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  console.log('  peer best: the faster of TupleMerge and HyperSplit as quoted in the issue (C++, one core)');
}

interface ClassifyCli {
  sets?: string[];
  time?: number;
  binth?: number;
  partition?: 'auto' | 'split' | 'none';
  prefixBits?: number;
  cut?: 'balance' | 'weighted';
  json: boolean;
}

function program() {
  return benchProgram('classify-bench', 'the ClassBench sets of ../shared/corpus/classbench: the WASM matchers against the reference and the quoted native peers')
    .option('--sets <a,b,...>', 'only these sets (e.g. acl1_1K,fw1_10K)', listOption())
    .option('--time <ms>', 'measuring time per set and matcher', intOption(1, 3_600_000))
    .option('--binth <n>', 'ablation: boxes per tree leaf', intOption(1, 1_000_000))
    .addOption(new Option('--partition <mode>', 'ablation: rule partitioning').choices(['auto', 'split', 'none']))
    .option('--prefix-bits <n>', 'ablation: the partitioner\'s prefix length', intOption(0, 128))
    .addOption(new Option('--cut <kind>', 'ablation: how the tree builder picks a cut').choices(['balance', 'weighted']))
    .option('--no-json', 'do not write bench/results/classify.json');
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<ClassifyBenchReport | null> {
  // Options are refused (exit 2, what was expected) before any set is compiled.
  const o = parseBenchArgs<ClassifyCli>(program(), argv);
  const compile: CompileOptions = {};
  if (o.binth !== undefined || o.cut !== undefined) compile.tree = { ...(o.binth !== undefined ? { binth: o.binth } : {}), ...(o.cut !== undefined ? { cut: o.cut } : {}) };
  if (o.partition !== undefined || o.prefixBits !== undefined) {
    compile.partition = { ...(o.partition !== undefined ? { mode: o.partition } : {}), ...(o.prefixBits !== undefined ? { prefixBits: o.prefixBits } : {}) };
  }
  const ablation = Object.keys(compile).length > 0;
  if (!classbenchDir()) {
    console.log('[classify] skipped: ../shared/corpus/classbench not found (set SGFILTER_CORPUS)');
    return null;
  }
  const rep = await runClassifyBench({ ...(o.sets ? { sets: o.sets } : {}), ...(o.time !== undefined ? { timeMs: o.time } : {}), compile });
  if (ablation) console.log(`compile options: ${JSON.stringify(compile)}`);
  printReport(rep);
  if (o.json) {
    const dir = join(root, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, ablation ? 'classify-ablation.json' : 'classify.json');
    // The per-sample arrays are for the harness (bench/main.ts); this file keeps its summary shape.
    writeFileSync(file, JSON.stringify(rep, (k, v: unknown) => (k === 'samplesMs' || k === 'buildSamplesMs' ? undefined : v), 2) + '\n');
    console.log(`  wrote ${file}`);
  }
  return rep;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runBenchScript(() => main());
