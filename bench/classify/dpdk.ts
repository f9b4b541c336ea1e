/**
 * sgfilter's WASM matcher against DPDK's rte_acl, side by side on the same
 * ClassBench sets and their IPv6 variants (src/parse/classbench.ts
 * classBenchToIpv6: addresses mapped into 2001:db8::/32, /L -> /(32+L), so
 * the oracle still holds).
 *
 *   node dist/bench/classify/dpdk.js [--dir DIR] [--sets a,b] [--algs avx2,sse,...] [--families 4,6]
 *        [--passes M] [--min-lookups N] [--warmup W] [--repeats R] [--no-pin] [--no-huge] [--no-json]
 *        [--processes P]
 *
 * --dir DIR takes the sets from DIR instead of the shared corpus: every
 * NAME.rules with a NAME.trace beside it (sorted by name; --sets picks some),
 * in the corpus's formats (src/parse/classbench.ts; the trace's last column
 * the oracle, the 1-based first matching rule — ClassBench's trace_generator
 * writes the 0-based rule it generated the header from instead, which is not
 * the first match: docs/classifier.md, "Sets it has not seen", says how the
 * sets there were made).
 *
 * DPDK's side is bench/classify/acl.c, built here against the installed
 * libdpdk (Debian package dpdk-dev): rte_acl set up exactly as dpdk-test-acl
 * sets it up (same field layout, priorities, categories, 256 packets per
 * call), but timing every pass on its own and serving passes on request, so
 * that both sides take the SAME statistic and run under the same load:
 *
 *   warm pass time = the median of R × M timed passes (M: at least --passes
 *                    and enough passes for --min-lookups lookups), after one
 *                    cold pass and W warm-up passes; the passes run in small
 *                    rounds (about 0.2 M lookups), one round of sgfilter, then
 *                    one of every DPDK algorithm, and again — so a burst of
 *                    another job's load falls on all sides alike
 *   cold pass      = the first pass after the table is built, reported apart
 *   fast pass      = the 10th percentile of the same passes (less sensitive
 *                    to other jobs on a shared machine), reported beside it
 *
 * --processes P runs all of that in P separate processes, one after another,
 * and reports per row and side the median process's figures (both sides
 * alike), with sgfilter over DPDK's best within each process beside them:
 * the same build's WASM has run up to 1.8x apart from one process to the
 * next while DPDK's stayed within ~10% (docs/classifier.md), so one process
 * is one sample.
 *
 * dpdk-test-acl itself prints only a mean over all its passes, the cold one
 * included; why its figures on this machine swung 3× between identical runs
 * is in docs/classifier.md ("Measuring against DPDK").
 *
 * Both sides are pinned to the same CPU (`taskset` for this process, EAL
 * `-l` for DPDK's; --no-pin leaves both free), and DPDK's memory comes from
 * 2 MiB huge pages when they can be had: an existing hugetlbfs mount with
 * enough free pages, else (as root) nr_hugepages raised and a hugetlbfs
 * mounted for the run, both restored at the end; otherwise --no-huge (4 KiB
 * pages). The report says what was used and why.
 *
 * Correctness before timing: the harness checks its cold pass against the
 * trace's oracle column (every packet, every algorithm and family) and
 * sgfilter's first pass is checked the same way. Memory: DPDK's "runtime
 * memory footprint" total (rte_acl debug log) against sgfilter's table bytes.
 * Build: rte_acl_build's time against sgfilter's compile, the same statistic:
 * one untimed build, then the median of R (the harness rebuilds its context).
 *
 * When DPDK is not installed (no libdpdk for pkg-config, or no C compiler),
 * the report says so and how to install it; algorithms the CPU lacks
 * (avx512x16, avx512x32 without AVX-512) are reported as unavailable.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
import { Option } from 'commander';
import { benchProgram, intOption, listOption, parseBenchArgs, runBenchScript } from '../cli.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const HARNESS_SOURCE = join(root, 'bench', 'classify', 'acl.c');

export const DPDK_ALGS = ['scalar', 'sse', 'avx2', 'avx512x16', 'avx512x32'] as const;
export const SHARED_SETS = ['acl1_100', 'fw1_100', 'ipc1_100', 'acl1_1K', 'fw1_1K', 'ipc1_1K', 'acl1_10K', 'fw1_10K', 'ipc1_10K'];
export const INSTALL_HINT = 'DPDK is not installed (the bench builds bench/classify/acl.c against libdpdk with pkg-config and a C compiler); on Debian/Ubuntu: `apt-get install dpdk-dev gcc pkg-config`';

export interface Timing {
  /** Median warm pass, ms (the statistic above). */
  warmMs: number;
  /** 10th percentile of the same passes, ms. */
  fastMs: number;
  /** Cold (first) pass, ms. */
  coldMs: number;
  /** Median pass of each of the R samples, ms. */
  warmSamplesMs: number[];
  coldSamplesMs: number[];
  lookupsPerSec: number;
  /** With --processes P: this side's lookups/s in each of the P processes, in run order; the fields above are those of the process with the median rate (the lower median for an even P). */
  processRates?: number[];
}

export interface SideResult {
  set: string;
  family: 4 | 6;
  rules: number;
  packets: number;
  /** buildMs: the median of R timed builds; firstBuildMs: the untimed first build of the set before them (reported apart, not compared). */
  sgfilter: Timing & { buildMs: number; firstBuildMs: number; tableBytes: number };
  dpdk: Partial<Record<(typeof DPDK_ALGS)[number], (Timing & { buildMs: number; memoryBytes: number }) | { unavailable: string }>>;
  /** With --processes P: sgfilter / the best DPDK algorithm measured in the same process, one ratio per process (paired, so the two sides of a ratio shared that process's load). */
  pairedBest?: number[];
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
  /** Separate processes the measurement ran in (1 unless --processes): each row is the median process's figures per side. */
  processes?: number;
  /** The CPU both sides ran on, or why they were not pinned. */
  pinned: string;
  /** DPDK's memory: "2 MiB huge pages (...)" or "4 KiB pages (--no-huge): why". */
  pages: string;
  results: SideResult[];
  /** Geometric mean of sgfilter / alg (lookups/s, median passes) per family and algorithm, over the sets where both ran; `best`: against the best algorithm per set. */
  geomean: Record<string, Record<string, number>>;
  /** The same on the 10th-percentile passes. */
  geomeanFast: Record<string, Record<string, number>>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

function findCompiler(): string | null {
  for (const cc of [process.env.CC, 'cc', 'gcc', 'clang']) {
    if (cc && spawnSync(cc, ['--version'], { encoding: 'utf8' }).status === 0) return cc;
  }
  return null;
}

/** The harness binary (built once per source into the temp dir), or why not. */
export function buildHarness(): { binary: string | null; why: string } {
  const pc = spawnSync('pkg-config', ['--cflags', '--libs', 'libdpdk'], { encoding: 'utf8' });
  if (pc.error || pc.status !== 0) return { binary: null, why: `pkg-config finds no libdpdk (${(pc.error?.message ?? pc.stderr ?? '').trim().slice(0, 200)})` };
  const cc = findCompiler();
  if (!cc) return { binary: null, why: 'no C compiler (cc, gcc or clang)' };
  if (!existsSync(HARNESS_SOURCE)) return { binary: null, why: `${HARNESS_SOURCE} is missing` };
  const flags = pc.stdout.trim().split(/\s+/);
  const src = readFileSync(HARNESS_SOURCE);
  const key = createHash('sha256').update(src).update(cc).update(flags.join(' ')).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'sgfilter-bench-acl');
  const binary = join(dir, `acl-harness-${key}`);
  if (existsSync(binary)) return { binary, why: '' };
  mkdirSync(dir, { recursive: true });
  const tmpBin = `${binary}.${process.pid}`;
  const r = spawnSync(cc, ['-O2', '-Wall', '-o', tmpBin, HARNESS_SOURCE, ...flags], { encoding: 'utf8' });
  if (r.status !== 0) return { binary: null, why: `${cc} failed on ${HARNESS_SOURCE}: ${(r.stderr || r.error?.message || '').trim().slice(0, 500)}` };
  renameSync(tmpBin, binary);
  return { binary, why: '' };
}

export function dpdkInstalled(): boolean {
  const r = spawnSync('pkg-config', ['--exists', 'libdpdk'], { encoding: 'utf8' });
  return !r.error && r.status === 0 && findCompiler() !== null;
}

/** Pins this process's main thread to one CPU; returns the CPU and how to undo it. */
function pinSelf(): { cpu: number | null; why: string; restore: () => void } {
  const cur = spawnSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' });
  if (cur.error || cur.status !== 0) return { cpu: null, why: `not pinned: taskset failed (${cur.error?.message ?? cur.stderr.trim()})`, restore: () => {} };
  const list = /: (.*)$/m.exec(cur.stdout)?.[1]?.trim() ?? '';
  const cpus: number[] = [];
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || !Number.isFinite(a)) continue;
    for (let c = a; c <= (b ?? a); c++) cpus.push(c);
  }
  if (!cpus.length) return { cpu: null, why: `not pinned: cannot read the affinity list "${list}"`, restore: () => {} };
  const cpu = cpus[cpus.length - 1]!;
  const set = spawnSync('taskset', ['-pc', String(cpu), String(process.pid)], { encoding: 'utf8' });
  if (set.status !== 0) return { cpu: null, why: `not pinned: taskset -pc ${cpu} failed (${set.stderr.trim()})`, restore: () => {} };
  return { cpu, why: '', restore: () => void spawnSync('taskset', ['-pc', list, String(process.pid)]) };
}

/** --no-huge: memory per process; huge pages: the pool for all harnesses of a set at once (each takes what it needs). */
const PAGES_MB = 1024;
const HUGE_POOL_MB = 2048;

/** EAL memory options: 2 MiB huge pages when they can be had, else --no-huge; and how to undo what was changed. */
function hugePages(want: boolean): { args: string[]; what: string; restore: () => void } {
  const noHuge = (why: string) => ({ args: ['--no-huge', '-m', String(PAGES_MB)], what: `4 KiB pages (--no-huge): ${why}`, restore: () => {} });
  if (!want) return noHuge('--no-huge given');
  if (!existsSync('/proc/meminfo') || !existsSync('/proc/mounts')) return noHuge('no /proc/meminfo or /proc/mounts (not Linux)');
  const meminfo = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  if (meminfo('Hugepagesize') !== 2048) return noHuge(`the default huge page size is ${meminfo('Hugepagesize')} kB, not 2048`);
  const need = HUGE_POOL_MB / 2;
  const undo: (() => void)[] = [];
  const restore = () => {
    for (const f of undo.reverse()) {
      try { f(); } catch { /* best effort: left as it is */ }
    }
  };
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')).filter((f) => f[2] === 'hugetlbfs' && !/pagesize=1G/i.test(f[3] ?? ''));
  let dir = mounts[0]?.[1] ?? null;
  const raised: string[] = [];
  const free = meminfo('HugePages_Free');
  if (free < need) {
    const file = '/proc/sys/vm/nr_hugepages';
    const before = Number(readFileSync(file, 'utf8'));
    try {
      writeFileSync(file, String(before + need - free));
    } catch (e) {
      return noHuge(`${free} free huge pages, ${need} needed, and ${file} cannot be raised (${(e as Error).message.split('\n')[0]}; as root it would be)`);
    }
    undo.push(() => { try { writeFileSync(file, String(before)); } catch { /* left raised */ } });
    if (meminfo('HugePages_Free') < need) { restore(); return noHuge(`the kernel gave ${meminfo('HugePages_Free')} of ${need} huge pages`); }
    raised.push(`nr_hugepages raised from ${before} for the run`);
  }
  if (!dir) {
    const mnt = mkdtempSync(join(tmpdir(), 'sgf-huge-'));
    const m = spawnSync('mount', ['-t', 'hugetlbfs', '-o', 'pagesize=2M', 'nodev', mnt], { encoding: 'utf8' });
    if (m.status !== 0) { rmSync(mnt, { recursive: true, force: true }); restore(); return noHuge(`no hugetlbfs mount and mount failed (${(m.stderr || m.error?.message || '').trim()})`); }
    undo.push(() => {
      // The harnesses have exited (closeAll waits), so the mount is free; retry briefly if not.
      for (let k = 0; k < 20 && spawnSync('umount', [mnt]).status !== 0; k++) spawnSync('sleep', ['0.1']);
      rmSync(mnt, { recursive: true, force: true });
    });
    raised.push('a hugetlbfs mounted for the run');
    dir = mnt;
  }
  return { args: ['--huge-dir', dir], what: `2 MiB huge pages${raised.length ? ` (${raised.join(', ')})` : ''}`, restore };
}

let runs = 0;

/** One harness process: built, checked, warm, serving passes. */
class AclServer {
  readonly buildMs: number;
  readonly coldMs: number;
  readonly memoryBytes: number;
  private constructor(private child: ChildProcessWithoutNullStreams, private lines: AsyncIterator<string>, head: Record<string, string>, log: string) {
    this.buildMs = Number(head.build_ns) / 1e6;
    this.coldMs = Number(head.cold_ns) / 1e6;
    this.memoryBytes = Number(/total: (\d+) bytes/.exec(log)?.[1] ?? 0);
  }

  /** Starts one; `unavailable` when the CPU lacks the algorithm; throws on anything else (a wrong result included). */
  static async start(binary: string, eal: string[], rulesf: string, tracef: string, alg: string, family: 4 | 6, warmup: number, builds: number, what: string): Promise<AclServer | { unavailable: string }> {
    const prefix = `sgfilter${process.pid}x${++runs}`;
    const child = spawn(binary, [`--file-prefix=${prefix}`, '--no-pci', '--log-level=lib.acl:debug', '--log-level=lib.eal:error', ...eal, '--', rulesf, tracef, alg, String(family), String(warmup), String(builds)]);
    child.on('exit', () => rmSync(join('/var/run/dpdk', prefix), { recursive: true, force: true }));
    let log = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => { log += d; });
    child.stdout.setEncoding('utf8');
    const lines = lineReader(child.stdout);
    const head: Record<string, string> = {};
    for (;;) {
      const r = await lines.next();
      if (r.done) {
        await new Promise((res) => (child.exitCode !== null ? res(null) : child.on('exit', res)));
        if (child.exitCode === 3) return { unavailable: `failed to set up ${alg} for the ACL context (the CPU lacks it)` };
        throw new Error(`${what}: the DPDK harness (${alg}) ended with ${child.exitCode}: ${log.trim().split('\n').slice(-3).join(' | ')}`);
      }
      const line = r.value;
      if (line === 'ready') break;
      log += `${line}\n`;
      const [k, ...v] = line.split(' ');
      if (k) head[k] = v.join(' ');
    }
    const s = new AclServer(child, lines, head, log);
    const [bad, first, got, want] = (head.check ?? '').split(' ').map(Number);
    if (bad !== 0) {
      await s.close();
      throw new Error(`${what}: DPDK ${alg} gives rule ${got} for trace packet ${first! + 1}, the oracle ${want} (${bad} packets differ)`);
    }
    return s;
  }

  /** K timed passes, ms each. */
  async passes(k: number): Promise<number[]> {
    this.child.stdin.write(`${k}\n`);
    const r = await this.lines.next();
    if (r.done || !r.value.startsWith('pass_ns')) throw new Error(`the DPDK harness answered "${r.done ? 'end of output' : r.value.slice(0, 80)}"`);
    return r.value.split(' ').slice(1).map((x) => Number(x) / 1e6);
  }

  /** Ends the harness; resolves when it has exited (its huge pages free again). */
  close(): Promise<void> {
    const exited = new Promise<void>((res) => (this.child.exitCode !== null || this.child.signalCode !== null ? res() : this.child.once('exit', () => res())));
    this.child.stdin.end('0\n');
    return exited;
  }
}

async function* lineReaderGen(stream: NodeJS.ReadableStream): AsyncGenerator<string> {
  let buf = '';
  for await (const chunk of stream) {
    buf += chunk as string;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
  if (buf) yield buf;
}

function lineReader(stream: NodeJS.ReadableStream): AsyncIterator<string> {
  return lineReaderGen(stream)[Symbol.asyncIterator]();
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
  /** Pin both sides to one CPU (default true). */
  pin?: boolean;
  /** Let DPDK use huge pages when they can be had (default true). */
  huge?: boolean;
  onStep?: (what: string) => void;
}

/**
 * JIT warm-up of the table builder, untimed: synthetic ClassBench lists (a
 * fixed LCG, nothing random; none of them one of the sets), each compiled 10
 * times per family. Besides the first 300-rule list, five lists of mixed
 * shapes — prefixes of every length, address wildcards, exact ports, port
 * ranges and wildcards in both port fields, several protocols, repeated
 * rules, 100 and 600 rules — so that the builder's branches have been taken
 * (and V8 has their type feedback) before the first set is timed: without
 * them, fw1_100 IPv4, the first set to reach some branches, built in 7-13 ms
 * against 0.9 ms warm (docs/classifier.md, "Build time").
 */
function warmBuilder(): void {
  let x = 12345;
  const next = (m: number) => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x % m; };
  const addr = () => `${next(256)}.${next(256)}.${next(256)}.${next(256)}`;
  const lines: string[] = [];
  for (let i = 0; i < 300; i++) {
    const lo = next(60000);
    lines.push(`@${addr()}/${8 + next(25)}\t${addr()}/${next(33)}\t0 : 65535\t${lo} : ${lo + next(5000)}\t${next(2) ? '0x06/0xFF' : '0x00/0x00'}`);
  }
  lines.push('@0.0.0.0/0\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x00/0x00');
  const texts = [lines.join('\n') + '\n'];
  const port = () => {
    const k = next(4);
    if (k === 0) return '0 : 65535';
    if (k === 1) { const p = next(65536); return `${p} : ${p}`; }
    if (k === 2) return `${1024 + next(10)} : 65535`;
    const lo = next(60000);
    return `${lo} : ${lo + next(3000)}`;
  };
  // w: how many of 4 address fields are wildcards.
  const prefix = (w: number) => (next(4) < w ? '0.0.0.0/0' : `${addr()}/${[8, 16, 24, 32, next(33)][next(5)]}`);
  const proto = () => ['0x06/0xFF', '0x11/0xFF', '0x01/0xFF', '0x00/0x00', '0x00/0x00'][next(5)];
  for (const [n, w] of [[100, 0], [100, 2], [100, 3], [600, 1], [600, 2]] as const) {
    const l: string[] = [];
    for (let i = 0; i < n; i++) {
      const line = `@${prefix(w)}\t${prefix(w)}\t${port()}\t${port()}\t${proto()}`;
      l.push(line);
      if (next(10) === 0) l.push(line);
    }
    if (next(2)) l.push('@0.0.0.0/0\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x00/0x00');
    texts.push(l.join('\n') + '\n');
  }
  for (const text of texts) {
    const v6 = classBenchToIpv6(text, '', 'warm-up.rules').rules;
    for (const t of [text, v6]) {
      const rules = parseClassBenchRules(t, 'warm-up.rules');
      for (let k = 0; k < 10; k++) compileTopology(rules.topology);
    }
  }
}

/** Lookups per round of passes (each side, in turn). */
const ROUND_LOOKUPS = 200_000;

export async function runDpdkSideBySide(opts: DpdkOptions = {}): Promise<DpdkReport> {
  const dir = opts.dir ?? classbenchDir();
  if (!dir) throw new Error('the ClassBench corpus (../shared/corpus/classbench) is not there; set SGFILTER_CORPUS');
  const minPasses = opts.passes ?? 10;
  const minLookups = opts.minLookups ?? 2_000_000;
  const W = opts.warmup ?? 3;
  const R = opts.repeats ?? 3;
  let installed = dpdkInstalled();
  let note = installed ? '' : INSTALL_HINT;
  let binary: string | null = null;
  if (installed) {
    const b = buildHarness();
    binary = b.binary;
    if (!binary) { installed = false; note = `${INSTALL_HINT} — ${b.why}`; }
  }
  const algs = (opts.algs ?? [...DPDK_ALGS]).filter((a) => (DPDK_ALGS as readonly string[]).includes(a)) as (typeof DPDK_ALGS)[number][];
  const tmp = mkdtempSync(join(tmpdir(), 'sgf-dpdk-'));
  const results: SideResult[] = [];
  const passesBySet: Record<string, number> = {};
  const { cpus } = await import('node:os');
  const pin = opts.pin === false ? { cpu: null, why: 'not pinned (--no-pin)', restore: () => {} } : pinSelf();
  const pages = installed ? hugePages(opts.huge !== false) : { args: [], what: 'DPDK not run', restore: () => {} };
  const cpuArgs = pin.cpu === null ? ['-l', '0'] : ['-l', String(pin.cpu)];
  let eal = [...cpuArgs, ...pages.args];
  let pagesWhat = pages.what;
  try {
    // The builder is JavaScript: its first compiles in a process run in V8's
    // interpreter and baseline tiers (acl1_100 13.6 ms cold against 4.7 ms
    // warm), where rte_acl_build is compiled C. So that the first sets' build
    // times are not the JIT's warm-up, the builder first compiles a synthetic
    // list (seeded; not one of the sets) untimed, both families.
    warmBuilder();
    for (const set of opts.sets ?? SHARED_SETS) {
      const rulesText = readFileSync(join(dir, `${set}.rules`), 'utf8');
      const traceText = readFileSync(join(dir, `${set}.trace`), 'utf8');
      for (const family of opts.families ?? [4, 6]) {
        const what = `${set} IPv${family}`;
        opts.onStep?.(`dpdk ${what}`);
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
        const K = Math.max(1, Math.min(M, Math.ceil(ROUND_LOOKUPS / n)));
        passesBySet[`${set}/IPv${family}`] = M;
        const res: SideResult = { set, family, rules: rules.rules.length, packets: n, sgfilter: undefined as unknown as SideResult['sgfilter'], dpdk: {} };

        // sgfilter: R compiles (build time), the last table timed.
        const builds: number[] = [];
        const f0 = performance.now();
        let compiled = compileTopology(rules.topology);
        const firstBuildMs = performance.now() - f0;
        for (let r = 0; r < R; r++) {
          const b0 = performance.now();
          compiled = compileTopology(rules.topology);
          builds.push(performance.now() - b0);
        }
        const table = Table.fromCompiled(compiled);
        const wasm = new WasmInstance();
        const wt = new WasmTable(wasm, table);
        const list = table.listFor(CLASSBENCH_INTERFACE, 'ingress')!;
        const batch = new TupleBatch(wasm, n);
        writeTrace(batch, list, trace);
        // DPDK: one harness per algorithm (built, checked, warmed up), kept serving; then sgfilter's cold pass, checked.
        const servers: [(typeof DPDK_ALGS)[number], AclServer][] = [];
        try {
          if (installed && binary) {
            for (const alg of algs) {
              let s: AclServer | { unavailable: string };
              try {
                s = await AclServer.start(binary, eal, rulesf, tracef, alg, family, W, R, what);
              } catch (e) {
                // Huge pages that ran out (another run took them, or a context
                // outgrew the pool): the rest of the run on 4 KiB pages, said so.
                if (!eal.includes('--huge-dir') || !/hugepage|memory|EAL/i.test((e as Error).message)) throw e;
                await Promise.all(servers.map(([, x]) => x.close()));
                servers.length = 0;
                for (const k of Object.keys(res.dpdk)) delete res.dpdk[k as (typeof DPDK_ALGS)[number]];
                eal = [...cpuArgs, '--no-huge', '-m', String(PAGES_MB)];
                pagesWhat = `4 KiB pages (--no-huge) from ${what} on: the huge pages ran out (${(e as Error).message.slice(0, 160)})`;
                s = await AclServer.start(binary, eal, rulesf, tracef, alg, family, W, R, what);
                if (alg !== algs[0]) {
                  // Restart the algorithms already started, on the same pages.
                  for (const a2 of algs.slice(0, algs.indexOf(alg))) {
                    const s2 = await AclServer.start(binary, eal, rulesf, tracef, a2, family, W, R, what);
                    if (s2 instanceof AclServer) servers.push([a2, s2]);
                    else res.dpdk[a2] = s2;
                  }
                }
              }
              if (s instanceof AclServer) servers.push([alg, s]);
              else res.dpdk[alg] = s;
            }
          }
          let t0 = performance.now();
          batch.run(wt, 'optimized', n);
          const sgCold = performance.now() - t0;
          const pos = batch.results(n);
          const ids = table.meta.lists[list]!.rules.map(([, id]) => Number(id));
          for (let i = 0; i < n; i++) {
            const got = pos[i]! < 0 ? 0 : ids[pos[i]!]!;
            if (got !== trace.match[i]) throw new Error(`${what}: sgfilter gives rule ${got} for trace line ${trace.lines[i]}, the oracle ${trace.match[i]}`);
          }
          for (let k = 0; k < W; k++) batch.run(wt, 'optimized', n);

          // R samples of M passes, each in rounds of K passes: sgfilter, then every DPDK algorithm.
          const sgPasses: number[][] = [];
          const dPasses = servers.map((): number[][] => []);
          for (let r = 0; r < R; r++) {
            const sg: number[] = [];
            const dp = servers.map((): number[] => []);
            for (let done = 0; done < M; done += K) {
              const k = Math.min(K, M - done);
              for (let i = 0; i < k; i++) {
                t0 = performance.now();
                batch.run(wt, 'optimized', n);
                sg.push(performance.now() - t0);
              }
              for (let j = 0; j < servers.length; j++) dp[j]!.push(...(await servers[j]![1].passes(k)));
            }
            sgPasses.push(sg);
            dp.forEach((x, j) => dPasses[j]!.push(x));
          }
          const timing = (samples: number[][], cold: number): Timing => {
            const all = samples.flat();
            const w = median(all);
            return { warmMs: w, fastMs: quantile(all, 0.1), coldMs: cold, warmSamplesMs: samples.map(median), coldSamplesMs: [cold], lookupsPerSec: n / (w / 1000) };
          };
          res.sgfilter = { ...timing(sgPasses, sgCold), buildMs: median(builds), firstBuildMs, tableBytes: compiled.bytes.length };
          servers.forEach(([alg, s], j) => {
            res.dpdk[alg] = { ...timing(dPasses[j]!, s.coldMs), buildMs: s.buildMs, memoryBytes: s.memoryBytes };
          });
        } finally {
          await Promise.all(servers.map(([, s]) => s.close()));
        }
        results.push(res);
      }
    }
  } finally {
    pages.restore();
    pin.restore();
    rmSync(tmp, { recursive: true, force: true });
  }
  const unavailable = [...new Set(results.flatMap((r) => Object.entries(r.dpdk).filter(([, d]) => d && 'unavailable' in d).map(([a, d]) => `${a} (${(d as { unavailable: string }).unavailable})`)))];
  if (installed && unavailable.length) note = `DPDK algorithms unavailable on this CPU: ${unavailable.join(', ')}`;
  return {
    installed, note, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, passes: minPasses, passesBySet, warmup: W, repeats: R,
    pinned: pin.cpu === null ? pin.why : `both sides on CPU ${pin.cpu}`, pages: pagesWhat, results,
    geomean: geomeans(results, algs, (t) => t.lookupsPerSec), geomeanFast: geomeans(results, algs, (t) => 1 / t.fastMs),
  };
}

type DpdkTiming = Timing & { buildMs: number; memoryBytes: number };
const ran = (d: SideResult['dpdk'][keyof SideResult['dpdk']]): d is DpdkTiming => !!d && 'warmMs' in d;

/** Geometric mean of sgfilter / alg per family and algorithm over the rows where both ran, and against the best algorithm per row (`best`). */
export function geomeans(results: SideResult[], algs: readonly string[], rate: (t: Timing) => number): DpdkReport['geomean'] {
  const out: DpdkReport['geomean'] = {};
  const gm = (xs: number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
  for (const fam of [4, 6]) {
    const g: Record<string, number> = {};
    const rows = results.filter((r) => r.family === fam);
    for (const alg of algs) {
      const ratios = rows.map((r) => {
        const d = r.dpdk[alg as (typeof DPDK_ALGS)[number]];
        return ran(d) ? rate(r.sgfilter) / rate(d) : NaN;
      }).filter((x) => Number.isFinite(x));
      if (ratios.length) g[alg] = gm(ratios);
    }
    // Against the best DPDK algorithm per set.
    const best = rows.map((r) => {
      const rates = Object.values(r.dpdk).filter(ran).map(rate);
      return rates.length ? rate(r.sgfilter) / Math.max(...rates) : NaN;
    }).filter((x) => Number.isFinite(x));
    if (best.length) g.best = gm(best);
    if (Object.keys(g).length) out[`IPv${fam}`] = g;
  }
  return out;
}

/**
 * The reports of the same measurement run in P separate processes, as one:
 * per row and side, the figures of the process whose rate is the median
 * (the lower median for an even P), every process's rate kept in
 * `processRates`, and `pairedBest` — sgfilter over the best DPDK algorithm
 * within each process. Why: a process's WASM code can run consistently
 * slower or faster than another process's on the same build (seen up to
 * 1.8x, docs/classifier.md), so one process is one sample, not the figure.
 * The geometric means are taken again over the median rows. The reports
 * must hold the same rows in the same order; an error names the first that
 * differs.
 */
export function mergeProcessReports(reps: DpdkReport[]): DpdkReport {
  if (!reps.length) throw new Error('mergeProcessReports: no reports');
  const first = reps[0]!;
  const key = (r: SideResult) => `${r.set} IPv${r.family}`;
  reps.forEach((rep, p) => {
    if (rep.results.length !== first.results.length || rep.results.some((r, i) => key(r) !== key(first.results[i]!))) {
      throw new Error(`process ${p + 1}: its rows (${rep.results.map(key).join(', ')}) are not process 1's (${first.results.map(key).join(', ')})`);
    }
  });
  const pick = <T extends Timing>(xs: T[]): T => {
    const rates = xs.map((t) => t.lookupsPerSec);
    const order = xs.map((_, i) => i).sort((a, b) => rates[a]! - rates[b]! || a - b);
    return { ...xs[order[(xs.length - 1) >> 1]!]!, processRates: rates };
  };
  const algs = new Set<string>();
  const results: SideResult[] = first.results.map((r0, i) => {
    const rows = reps.map((rep) => rep.results[i]!);
    const dpdk: SideResult['dpdk'] = {};
    for (const alg of Object.keys(r0.dpdk) as (typeof DPDK_ALGS)[number][]) {
      const ds = rows.map((r) => r.dpdk[alg]);
      if (ds.every(ran)) {
        dpdk[alg] = pick(ds as DpdkTiming[]);
        algs.add(alg);
      } else {
        const why = ds.find((d): d is { unavailable: string } => !!d && 'unavailable' in d);
        dpdk[alg] = why ?? { unavailable: 'not run in every process' };
      }
    }
    const pairedBest = rows.map((r) => {
      const rates = Object.values(r.dpdk).filter(ran).map((d) => d.lookupsPerSec);
      return rates.length ? r.sgfilter.lookupsPerSec / Math.max(...rates) : NaN;
    });
    return { ...r0, sgfilter: pick(rows.map((r) => r.sgfilter)), dpdk, ...(pairedBest.every(Number.isFinite) ? { pairedBest } : {}) };
  });
  const order = DPDK_ALGS.filter((a) => algs.has(a));
  return {
    ...first,
    processes: reps.length,
    results,
    geomean: geomeans(results, order, (t) => t.lookupsPerSec),
    geomeanFast: geomeans(results, order, (t) => 1 / t.fastMs),
  };
}

/** The sets of a --dir: every NAME.rules with a NAME.trace beside it, sorted; an error naming the directory when there are none. */
export function setsIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new Error(`--dir ${dir}: cannot read it (${(e as Error).message})`);
  }
  const sets = names.filter((f) => f.endsWith('.rules') && names.includes(`${f.slice(0, -6)}.trace`)).map((f) => f.slice(0, -6)).sort();
  if (!sets.length) throw new Error(`--dir ${dir}: no NAME.rules with a NAME.trace beside it`);
  return sets;
}

const mlps = (x: number) => (x / 1e6).toFixed(1);

/** The side-by-side table as Markdown lines (also printed). */
export function dpdkTable(rep: DpdkReport): string[] {
  const algs = DPDK_ALGS.filter((a) => rep.results.some((r) => r.dpdk[a] && 'warmMs' in r.dpdk[a]!));
  const out: string[] = [];
  out.push(`M lookups/s, one core; warm = median of ${rep.repeats} × M passes (M ≥ ${rep.passes}, ≥ 2M lookups per sample, the same M on both sides, sides alternating in rounds of ~0.2 M lookups) after 1 cold + ${rep.warmup} warm-up passes; ratio = sgfilter / DPDK. ${rep.cpu}, node ${rep.node}; ${rep.pinned}; DPDK memory: ${rep.pages}.`);
  const P = rep.processes ?? 1;
  if (P > 1) out.push('', `${P} processes, one after another, each measuring every row as above; each figure is the median process's (per side), and "÷best, each process" gives sgfilter over the best DPDK algorithm within each process, lowest–highest.`);
  if (rep.note) out.push('', `Note: ${rep.note}`);
  out.push('');
  const head = ['set', 'IP', 'rules', 'sgfilter', 'cold ms', ...algs.flatMap((a) => [a, `÷${a}`]), ...(P > 1 ? ['÷best, each process'] : []), 'table KB', 'DPDK KB', 'build ms', 'DPDK build ms'];
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
    if (P > 1) cells.push(r.pairedBest?.length ? `${Math.min(...r.pairedBest).toFixed(2)}–${Math.max(...r.pairedBest).toFixed(2)}` : '-');
    cells.push((r.sgfilter.tableBytes / 1024).toFixed(0), mem, r.sgfilter.buildMs.toFixed(0), build);
    out.push(`| ${cells.join(' | ')} |`);
  }
  out.push('');
  for (const [fam, g] of Object.entries(rep.geomean)) {
    out.push(`Geometric mean sgfilter / DPDK, ${fam}: ${Object.entries(g).map(([a, x]) => `${a} ${x.toFixed(2)}`).join(', ')}`);
  }
  for (const [fam, g] of Object.entries(rep.geomeanFast)) {
    out.push(`Same on the 10th-percentile passes, ${fam}: ${Object.entries(g).map(([a, x]) => `${a} ${x.toFixed(2)}`).join(', ')}`);
  }
  return out;
}

interface DpdkCli {
  dir?: string;
  sets?: string[];
  algs?: string[];
  families?: string[];
  passes?: number;
  minLookups?: number;
  warmup?: number;
  repeats?: number;
  pin: boolean;
  huge: boolean;
  json: boolean;
  processes?: number;
  reportOut?: string;
}

function program() {
  return benchProgram('dpdk-bench', "the WASM classifier side by side with DPDK's rte_acl (bench/classify/acl.c) on the ClassBench sets and their IPv6 variants")
    .option('--dir <dir>', 'the sets of this directory (NAME.rules + NAME.trace, the trace ending in the oracle column) instead of the shared corpus')
    .option('--sets <a,b,...>', 'only these sets (e.g. acl1_1K,fw1_100)', listOption())
    .option('--algs <a,b,...>', "only these DPDK algorithms", listOption(DPDK_ALGS))
    .option('--families <4,6>', 'IP families', listOption(['4', '6']))
    .option('--passes <m>', 'least passes per sample (default 10)', intOption(1))
    .option('--min-lookups <n>', 'least lookups per sample (default 2,000,000)', intOption(1))
    .option('--warmup <w>', 'untimed passes first', intOption(0))
    .option('--repeats <r>', 'samples', intOption(1))
    .option('--no-pin', 'leave both sides free instead of pinning them to one CPU')
    .option('--no-huge', 'DPDK on 4 KiB pages')
    .option('--no-json', 'do not write bench/results/classify-dpdk.json')
    .option('--processes <p>', 'run the whole measurement in P separate processes, one after another, and report per row the median process (default 1; the figure a process gives can sit apart from the next one\'s)', intOption(1, 99))
    .addOption(new Option('--report-out <file>', 'write the report as JSON to FILE (what --processes reads from each process)').hideHelp());
}

/** This script's arguments for one of the P processes: the parsed options again, without --processes and --json. */
function childArgs(o: DpdkCli, reportOut: string): string[] {
  const a: string[] = [];
  if (o.dir !== undefined) a.push('--dir', o.dir);
  if (o.sets) a.push('--sets', o.sets.join(','));
  if (o.algs) a.push('--algs', o.algs.join(','));
  if (o.families) a.push('--families', o.families.join(','));
  if (o.passes !== undefined) a.push('--passes', String(o.passes));
  if (o.minLookups !== undefined) a.push('--min-lookups', String(o.minLookups));
  if (o.warmup !== undefined) a.push('--warmup', String(o.warmup));
  if (o.repeats !== undefined) a.push('--repeats', String(o.repeats));
  if (!o.pin) a.push('--no-pin');
  if (!o.huge) a.push('--no-huge');
  a.push('--no-json', '--report-out', reportOut);
  return a;
}

/** Runs the measurement in P child processes of this script, one after another (their progress on stderr, tagged), and merges their reports. */
async function inProcesses(o: DpdkCli, P: number): Promise<DpdkReport> {
  const tmp = mkdtempSync(join(tmpdir(), 'sgf-dpdk-procs-'));
  try {
    const reps: DpdkReport[] = [];
    for (let p = 0; p < P; p++) {
      const out = join(tmp, `process-${p + 1}.json`);
      const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...childArgs(o, out)], { stdio: ['ignore', 'ignore', 'pipe'] });
      let tail = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        tail = (tail + chunk).slice(-4000);
        for (const line of chunk.split('\n')) if (line) process.stderr.write(`[process ${p + 1}/${P}] ${line}\n`);
      });
      const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
      if (code !== 0 || !existsSync(out)) throw new Error(`--processes: process ${p + 1} of ${P} failed (exit ${code}): ${tail.trim().split('\n').slice(-3).join(' | ')}`);
      const rep = JSON.parse(readFileSync(out, 'utf8')) as DpdkReport;
      reps.push(rep);
      const g = Object.entries(rep.geomean).map(([fam, x]) => `${fam} ${Object.entries(x).map(([a, v]) => `${a} ${v.toFixed(2)}`).join(' ')}`).join('; ');
      process.stderr.write(`[process ${p + 1}/${P}] geometric means: ${g}\n`);
    }
    return mergeProcessReports(reps);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<DpdkReport | null> {
  const o = parseBenchArgs<DpdkCli>(program(), argv);
  let dirSets: string[] | undefined;
  if (o.dir !== undefined) {
    dirSets = setsIn(o.dir);
    const unknown = (o.sets ?? []).filter((s) => !dirSets!.includes(s));
    if (unknown.length) throw new Error(`--sets: ${unknown.join(', ')} not in ${o.dir} (it has ${dirSets.join(', ')})`);
  } else if (!classbenchDir()) {
    console.log('[dpdk] skipped: ../shared/corpus/classbench not found (set SGFILTER_CORPUS)');
    return null;
  }
  const rep = (o.processes ?? 1) > 1 ? await inProcesses(o, o.processes!) : await runDpdkSideBySide({
    ...(o.dir !== undefined ? { dir: o.dir, sets: o.sets ?? dirSets! } : {}),
    ...(o.sets ? { sets: o.sets } : {}),
    ...(o.algs ? { algs: o.algs } : {}),
    ...(o.families ? { families: o.families.map((x) => (x === '6' ? 6 : 4)) } : {}),
    ...(o.passes !== undefined ? { passes: o.passes } : {}),
    ...(o.minLookups !== undefined ? { minLookups: o.minLookups } : {}),
    ...(o.warmup !== undefined ? { warmup: o.warmup } : {}),
    ...(o.repeats !== undefined ? { repeats: o.repeats } : {}),
    ...(o.pin ? {} : { pin: false }),
    ...(o.huge ? {} : { huge: false }),
    onStep: (s) => process.stderr.write(`${s}\n`),
  });
  if (o.reportOut !== undefined) writeFileSync(o.reportOut, JSON.stringify(rep) + '\n');
  for (const l of dpdkTable(rep)) console.log(l);
  if (o.json) {
    const dir = join(root, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'classify-dpdk.json');
    writeFileSync(file, JSON.stringify(rep, null, 2) + '\n');
    console.log(`wrote ${file}`);
  }
  return rep;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runBenchScript(() => main());
