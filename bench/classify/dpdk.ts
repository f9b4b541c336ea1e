/**
 * sgfilter's WASM matcher against DPDK's rte_acl (`dpdk-test-acl`, Debian
 * package dpdk-dev), side by side on the same ClassBench sets and their IPv6
 * variants (src/parse/classbench.ts classBenchToIpv6: addresses mapped into
 * 2001:db8::/32, /L -> /(32+L), so the oracle still holds).
 *
 *   node dist/bench/classify/dpdk.js [--sets a,b] [--algs avx2,sse,...] [--families 4,6]
 *        [--passes M] [--min-lookups N] [--warmup W] [--repeats R] [--no-json]
 *
 * Same packets (both sides read the same rule and trace files), same pass
 * count, the SAME statistic on both sides:
 *
 *   warm pass time = median over R samples of the mean time of M passes that
 *                    follow one cold pass and W warm-up passes (M: at least
 *                    --passes and enough passes for --min-lookups lookups)
 *   cold pass      = the first pass after the table is built, reported apart
 *                    (median over the R samples)
 *
 * dpdk-test-acl prints only the mean over all its passes (cold one included),
 * so each DPDK sample is two processes: --iter=1+W and --iter=1+W+M; the
 * sample is their difference / M (the cold pass, the warm-up and the build
 * cancel out), and the --iter=1 time is the cold pass. sgfilter: one table per
 * sample (a fresh WASM instance), cold pass, W warm-up passes, then M timed
 * passes. DPDK classifies `--tracestep` 256 packets per call (its default),
 * sgfilter the whole trace per call.
 *
 * Correctness before timing: every packet's DPDK result (--verbose=2,
 * result+1 = the 1-based rule) and sgfilter's are checked against the trace's
 * oracle column, for every algorithm and family. Memory: DPDK's "runtime
 * memory footprint" total (rte_acl debug log) against sgfilter's table bytes.
 * Build: DPDK's process wall time at --iter=1 minus its cold pass minus the
 * same for a one-rule, one-packet set (EAL start-up); sgfilter's compile time
 * (median of R).
 *
 * When dpdk-test-acl is not on PATH, the report says so and how to install
 * it (`apt-get install dpdk-dev`); algorithms the CPU lacks (avx512x16,
 * avx512x32 without AVX-512) are reported as unavailable.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileTopology } from '../../src/compile/compile.js';
import { TupleBatch, WasmTable } from '../../src/compile/matcher.js';
import { Table } from '../../src/compile/table.js';
import { writeTrace } from '../../src/cli/classify.js';
import { CLASSBENCH_INTERFACE, classBenchToIpv6, parseClassBenchRules, parseClassBenchTrace } from '../../src/parse/classbench.js';
import { WasmInstance } from '../../src/wasm/loader.js';
import { classbenchDir } from './main.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

export const DPDK_ALGS = ['scalar', 'sse', 'avx2', 'avx512x16', 'avx512x32'] as const;
export const SHARED_SETS = ['acl1_100', 'fw1_100', 'ipc1_100', 'acl1_1K', 'fw1_1K', 'ipc1_1K', 'acl1_10K', 'fw1_10K', 'ipc1_10K'];
export const INSTALL_HINT = 'dpdk-test-acl is not installed; on Debian/Ubuntu: `apt-get install dpdk-dev` (it provides /usr/bin/dpdk-test-acl)';

export interface Timing {
  /** Median warm pass, ms (the statistic above). */
  warmMs: number;
  /** Median cold (first) pass, ms. */
  coldMs: number;
  /** Every warm sample, ms per pass. */
  warmSamplesMs: number[];
  coldSamplesMs: number[];
  lookupsPerSec: number;
}

export interface SideResult {
  set: string;
  family: 4 | 6;
  rules: number;
  packets: number;
  sgfilter: Timing & { buildMs: number; tableBytes: number };
  dpdk: Partial<Record<(typeof DPDK_ALGS)[number], (Timing & { buildMs: number; memoryBytes: number }) | { unavailable: string }>>;
}

export interface DpdkReport {
  installed: boolean;
  note: string;
  cpu: string;
  node: string;
  /** Least passes per sample, and the passes used per set (the same on both sides). */
  passes: number;
  passesBySet: Record<string, number>;
  warmup: number;
  repeats: number;
  results: SideResult[];
  /** Geometric mean of sgfilter / alg (lookups/s) per family and algorithm, over the sets where both ran. */
  geomean: Record<string, Record<string, number>>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function dpdkInstalled(): boolean {
  const r = spawnSync('dpdk-test-acl', ['--version'], { encoding: 'utf8' });
  return !r.error;
}

interface DpdkRun {
  ok: boolean;
  error: string;
  passMs: number;
  wallMs: number;
  memoryBytes: number;
  results: Int32Array | null;
}

let runs = 0;

/** One dpdk-test-acl process. `passMs`: the mean pass it reports × iterations = the total search time. */
function runDpdk(rulesf: string, tracef: string, alg: string, iter: number, ipv6: boolean, verbose = 0): DpdkRun {
  // A file prefix of our own: two DPDK primaries with the same prefix (another
  // run, a test) refuse to start.
  const prefix = `sgfilter${process.pid}x${++runs}`;
  const args = [`--file-prefix=${prefix}`, '--no-huge', '--no-pci', '-l', '0', '-m', '1024', '--log-level=lib.acl:debug', '--force-max-simd-bitwidth=512', '--',
    `--rulesf=${rulesf}`, `--tracef=${tracef}`, `--iter=${iter}`, '--tracenum=1000000', `--alg=${alg}`, `--verbose=${verbose}`, ...(ipv6 ? ['--ipv6'] : [])];
  const t0 = performance.now();
  const r = spawnSync('dpdk-test-acl', args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  const wallMs = performance.now() - t0;
  rmSync(join('/var/run/dpdk', prefix), { recursive: true, force: true });
  const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  const m = /@lcore \d+: (\d+) iterations, (\d+) pkts, \d+ categories, \d+ cycles \([\d.]+ sec\), [\d.]+ cycles\/pkt, ([\d.]+) pkt\/sec/.exec(out);
  if (r.status !== 0 || !m) {
    const cause = /Cause: (.*)/.exec(out)?.[1] ?? (r.error ? r.error.message : `exit ${r.status}`);
    return { ok: false, error: cause.trim(), passMs: 0, wallMs, memoryBytes: 0, results: null };
  }
  const pkts = Number(m[2]);
  const totalMs = (pkts / Number(m[3])) * 1000;
  const mem = /total: (\d+) bytes/.exec(out);
  let results: Int32Array | null = null;
  if (verbose >= 2) {
    const re = /ipv[46]_5tuple: (\d+), category: 0, result: (\d+)/g;
    const list: number[] = [];
    for (let x = re.exec(out); x; x = re.exec(out)) list[Number(x[1]) - 1] = Number(x[2]);
    results = Int32Array.from(list);
  }
  return { ok: true, error: '', passMs: totalMs / iter, wallMs, memoryBytes: mem ? Number(mem[1]) : 0, results };
}

export interface DpdkOptions {
  sets?: string[];
  algs?: string[];
  families?: (4 | 6)[];
  /** Least passes per sample (default 10). */
  passes?: number;
  /** Least lookups per sample (default 2,000,000): short traces get more passes. */
  minLookups?: number;
  warmup?: number;
  repeats?: number;
  dir?: string;
  onStep?: (what: string) => void;
}

export async function runDpdkSideBySide(opts: DpdkOptions = {}): Promise<DpdkReport> {
  const dir = opts.dir ?? classbenchDir();
  if (!dir) throw new Error('the ClassBench corpus (../shared/corpus/classbench) is not there; set SGFILTER_CORPUS');
  const minPasses = opts.passes ?? 10;
  const minLookups = opts.minLookups ?? 2_000_000;
  const W = opts.warmup ?? 3;
  const R = opts.repeats ?? 3;
  const installed = dpdkInstalled();
  const algs = (opts.algs ?? [...DPDK_ALGS]).filter((a) => (DPDK_ALGS as readonly string[]).includes(a)) as (typeof DPDK_ALGS)[number][];
  const tmp = mkdtempSync(join(tmpdir(), 'sgf-dpdk-'));
  const results: SideResult[] = [];
  const passesBySet: Record<string, number> = {};
  const { cpus } = await import('node:os');
  try {
    // EAL start-up and file reading of a trivial set (subtracted from DPDK's build time).
    let baseWall = 0;
    if (installed) {
      writeFileSync(join(tmp, 'one.rules'), '@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00\n');
      writeFileSync(join(tmp, 'one.trace'), '1 2 3 4 6\n');
      const walls: number[] = [];
      for (let k = 0; k < 3; k++) { const r = runDpdk(join(tmp, 'one.rules'), join(tmp, 'one.trace'), 'scalar', 1, false); if (r.ok) walls.push(r.wallMs - r.passMs); }
      baseWall = walls.length ? median(walls) : 0;
    }
    for (const set of opts.sets ?? SHARED_SETS) {
      const rulesText = readFileSync(join(dir, `${set}.rules`), 'utf8');
      const traceText = readFileSync(join(dir, `${set}.trace`), 'utf8');
      for (const family of opts.families ?? [4, 6]) {
        opts.onStep?.(`dpdk ${set} IPv${family}`);
        let rulesf = join(dir, `${set}.rules`);
        let tracef = join(dir, `${set}.trace`);
        let rText = rulesText;
        let tText = traceText;
        if (family === 6) {
          const v6 = classBenchToIpv6(rulesText, traceText, `${set}.rules`);
          rText = v6.rules;
          tText = v6.trace;
          rulesf = join(tmp, `${set}.v6.rules`);
          tracef = join(tmp, `${set}.v6.trace`);
          writeFileSync(rulesf, rText);
          writeFileSync(tracef, tText);
        }
        const rules = parseClassBenchRules(rText, rulesf);
        const trace = parseClassBenchTrace(tText, tracef);
        if (!trace.match) throw new Error(`${set}: the trace has no MATCH column`);
        const n = trace.length;
        // Passes per sample: at least minPasses and minLookups lookups (the same on both sides).
        const M = Math.max(minPasses, Math.ceil(minLookups / n));
        passesBySet[`${set}/IPv${family}`] = M;

        // Correctness first (and DPDK's memory footprint): one --verbose=2 run per algorithm.
        const dpdkAlgs: (typeof DPDK_ALGS)[number][] = [];
        const res: SideResult = { set, family, rules: rules.rules.length, packets: n, sgfilter: undefined as unknown as SideResult['sgfilter'], dpdk: {} };
        const mem: Record<string, number> = {};
        if (installed) {
          for (const alg of algs) {
            const check = runDpdk(rulesf, tracef, alg, 1, family === 6, 2);
            if (!check.ok) {
              // An algorithm this CPU lacks fails to set up; anything else is an error.
              if (!/failed to setup/.test(check.error)) throw new Error(`${set} IPv${family}: dpdk-test-acl ${alg} failed: ${check.error}`);
              res.dpdk[alg] = { unavailable: check.error };
              continue;
            }
            const got = check.results!;
            if (got.length !== n) throw new Error(`${set} IPv${family}: dpdk-test-acl ${alg} classified ${got.length} of ${n} packets`);
            for (let i = 0; i < n; i++) {
              if (got[i]! + 1 !== trace.match[i]) throw new Error(`${set} IPv${family}: dpdk-test-acl ${alg} gives rule ${got[i]! + 1} for trace line ${trace.lines[i]}, the oracle ${trace.match[i]}`);
            }
            mem[alg] = check.memoryBytes;
            dpdkAlgs.push(alg);
          }
        }
        // R rounds; in each, one sgfilter sample then one sample of every DPDK
        // algorithm, so both sides see the same machine load.
        const warm: number[] = [];
        const cold: number[] = [];
        const builds: number[] = [];
        const dWarm: Record<string, number[]> = {};
        const dCold: Record<string, number[]> = {};
        const dBuild: Record<string, number[]> = {};
        for (const alg of dpdkAlgs) { dWarm[alg] = []; dCold[alg] = []; dBuild[alg] = []; }
        let tableBytes = 0;
        for (let r = 0; r < R; r++) {
          // sgfilter: a fresh table in a fresh instance per sample.
          const b0 = performance.now();
          const compiled = compileTopology(rules.topology);
          builds.push(performance.now() - b0);
          tableBytes = compiled.bytes.length;
          const table = Table.fromCompiled(compiled);
          const wasm = new WasmInstance();
          const wt = new WasmTable(wasm, table);
          const list = table.listFor(CLASSBENCH_INTERFACE, 'ingress')!;
          const batch = new TupleBatch(wasm, n);
          writeTrace(batch, list, trace);
          let t0 = performance.now();
          batch.run(wt, 'optimized', n);
          cold.push(performance.now() - t0);
          if (r === 0) {
            const pos = batch.results(n);
            const ids = table.meta.lists[list]!.rules.map(([, id]) => Number(id));
            for (let i = 0; i < n; i++) {
              const got = pos[i]! < 0 ? 0 : ids[pos[i]!]!;
              if (got !== trace.match[i]) throw new Error(`${set} IPv${family}: sgfilter gives rule ${got} for trace line ${trace.lines[i]}, the oracle ${trace.match[i]}`);
            }
          }
          for (let k = 0; k < W; k++) batch.run(wt, 'optimized', n);
          t0 = performance.now();
          for (let k = 0; k < M; k++) batch.run(wt, 'optimized', n);
          warm.push((performance.now() - t0) / M);
          for (const alg of dpdkAlgs) {
            const a = runDpdk(rulesf, tracef, alg, 1 + W, family === 6);
            const b = runDpdk(rulesf, tracef, alg, 1 + W + M, family === 6);
            const c = runDpdk(rulesf, tracef, alg, 1, family === 6);
            if (!a.ok || !b.ok || !c.ok) throw new Error(`${set} IPv${family}: dpdk-test-acl ${alg} failed: ${a.error || b.error || c.error}`);
            dWarm[alg]!.push(Math.max(1e-6, (b.passMs * (1 + W + M) - a.passMs * (1 + W)) / M));
            dCold[alg]!.push(c.passMs);
            dBuild[alg]!.push(Math.max(0, c.wallMs - c.passMs - baseWall));
          }
        }
        const sgWarm = median(warm);
        res.sgfilter = { warmMs: sgWarm, coldMs: median(cold), warmSamplesMs: warm, coldSamplesMs: cold, lookupsPerSec: n / (sgWarm / 1000), buildMs: median(builds), tableBytes };
        for (const alg of dpdkAlgs) {
          const w = median(dWarm[alg]!);
          res.dpdk[alg] = { warmMs: w, coldMs: median(dCold[alg]!), warmSamplesMs: dWarm[alg]!, coldSamplesMs: dCold[alg]!, lookupsPerSec: n / (w / 1000), buildMs: median(dBuild[alg]!), memoryBytes: mem[alg]! };
        }
        results.push(res);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const geomean: DpdkReport['geomean'] = {};
  for (const fam of [4, 6]) {
    const g: Record<string, number> = {};
    for (const alg of algs) {
      const ratios = results.filter((r) => r.family === fam).map((r) => {
        const d = r.dpdk[alg];
        return d && 'warmMs' in d ? r.sgfilter.lookupsPerSec / d.lookupsPerSec : NaN;
      }).filter((x) => Number.isFinite(x));
      if (ratios.length) g[alg] = Math.exp(ratios.reduce((s, x) => s + Math.log(x), 0) / ratios.length);
    }
    // Against the best DPDK algorithm per set.
    const best = results.filter((r) => r.family === fam).map((r) => {
      const rates = Object.values(r.dpdk).filter((d): d is Timing & { buildMs: number; memoryBytes: number } => !!d && 'warmMs' in d).map((d) => d.lookupsPerSec);
      return rates.length ? r.sgfilter.lookupsPerSec / Math.max(...rates) : NaN;
    }).filter((x) => Number.isFinite(x));
    if (best.length) g.best = Math.exp(best.reduce((s, x) => s + Math.log(x), 0) / best.length);
    if (Object.keys(g).length) geomean[`IPv${fam}`] = g;
  }
  const unavailable = [...new Set(results.flatMap((r) => Object.entries(r.dpdk).filter(([, d]) => d && 'unavailable' in d).map(([a, d]) => `${a} (${(d as { unavailable: string }).unavailable})`)))];
  const note = !installed ? INSTALL_HINT
    : unavailable.length ? `DPDK algorithms unavailable on this CPU: ${unavailable.join(', ')}` : '';
  return { installed, note, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, passes: minPasses, passesBySet, warmup: W, repeats: R, results, geomean };
}

const mlps = (x: number) => (x / 1e6).toFixed(1);

/** The side-by-side table as Markdown lines (also printed). */
export function dpdkTable(rep: DpdkReport): string[] {
  const algs = DPDK_ALGS.filter((a) => rep.results.some((r) => r.dpdk[a] && 'warmMs' in r.dpdk[a]!));
  const out: string[] = [];
  out.push(`M lookups/s, one core; warm = median of ${rep.repeats} samples of M passes (M ≥ ${rep.passes}, ≥ 2M lookups per sample, the same M on both sides) after 1 cold + ${rep.warmup} warm-up passes (both sides); ratio = sgfilter / DPDK. ${rep.cpu}, node ${rep.node}.`);
  if (rep.note) out.push('', `Note: ${rep.note}`);
  out.push('');
  const head = ['set', 'IP', 'rules', 'sgfilter', 'cold ms', ...algs.flatMap((a) => [a, `÷${a}`]), 'table KB', 'DPDK KB', 'build ms', 'DPDK build ms'];
  out.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  for (const r of rep.results) {
    const cells = [r.set, `v${r.family}`, String(r.rules), mlps(r.sgfilter.lookupsPerSec), r.sgfilter.coldMs.toFixed(1)];
    let mem = '-';
    let build = '-';
    for (const a of algs) {
      const d = r.dpdk[a];
      if (d && 'warmMs' in d) {
        cells.push(mlps(d.lookupsPerSec), (r.sgfilter.lookupsPerSec / d.lookupsPerSec).toFixed(2));
        mem = (d.memoryBytes / 1024).toFixed(0);
        build = d.buildMs.toFixed(0);
      } else cells.push('-', '-');
    }
    cells.push((r.sgfilter.tableBytes / 1024).toFixed(0), mem, r.sgfilter.buildMs.toFixed(0), build);
    out.push(`| ${cells.join(' | ')} |`);
  }
  out.push('');
  for (const [fam, g] of Object.entries(rep.geomean)) {
    out.push(`Geometric mean sgfilter / DPDK, ${fam}: ${Object.entries(g).map(([a, x]) => `${a} ${x.toFixed(2)}`).join(', ')}`);
  }
  return out;
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<DpdkReport | null> {
  if (!classbenchDir()) {
    console.log('[dpdk] skipped: ../shared/corpus/classbench not found (set SGFILTER_CORPUS)');
    return null;
  }
  const num = (name: string) => (arg(argv, name) ? Number(arg(argv, name)) : undefined);
  const rep = await runDpdkSideBySide({
    ...(arg(argv, '--sets') ? { sets: arg(argv, '--sets')!.split(',') } : {}),
    ...(arg(argv, '--algs') ? { algs: arg(argv, '--algs')!.split(',') } : {}),
    ...(arg(argv, '--families') ? { families: arg(argv, '--families')!.split(',').map((x) => (x === '6' ? 6 : 4)) } : {}),
    ...(num('--passes') ? { passes: num('--passes')! } : {}),
    ...(num('--min-lookups') ? { minLookups: num('--min-lookups')! } : {}),
    ...(num('--warmup') !== undefined ? { warmup: num('--warmup')! } : {}),
    ...(num('--repeats') ? { repeats: num('--repeats')! } : {}),
    onStep: (s) => process.stderr.write(`${s}\n`),
  });
  for (const l of dpdkTable(rep)) console.log(l);
  if (!argv.includes('--no-json')) {
    const dir = join(root, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'classify-dpdk.json');
    writeFileSync(file, JSON.stringify(rep, null, 2) + '\n');
    console.log(`wrote ${file}`);
  }
  return rep;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
