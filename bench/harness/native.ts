/**
 * The native C baseline of the replay benchmark (bench/native/replay.c):
 * built with the machine's C compiler (`cc`, else `gcc` or `clang`, `-O3
 * -march=native`) into the bench cache when one is present, fed the same
 * capture and the interfaces' ordered rule lists (the reference evaluator's
 * order, group and address-group references expanded to member addresses),
 * and run in its two modes: the capture in memory, and read() in 1 MiB
 * chunks (what sgfilter's replay does). When no compiler is present the
 * report says so; nothing else depends on it.
 *
 * The same source is also built for WebAssembly (`buildNativeWasm`: clang
 * --target=wasm32-wasi -O3 with a WASI libc, e.g. Debian's `clang lld
 * wasi-libc libclang-rt-14-dev-wasm32`) and run in this Node's V8 through
 * node:wasi (`runNativeWasm`, bench/native/wasi-run.ts): the peer's own
 * algorithm in the runtime sgfilter's engine runs in, so the report can say
 * how much of the gap to native is the runtime's and how much the engine's.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cidr } from '../../src/model/address.js';
import { indexTopology, type Topology } from '../../src/model/topology.js';
import { orderedRules } from '../../src/reference/match.js';
import { ReferenceEngine } from '../../src/reference/engine.js';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bench', 'native', 'replay.c');
/** The node:wasi runner of the WebAssembly build (dist/bench/native/wasi-run.js). */
const WASI_RUNNER = join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'wasi-run.js');

export interface NativeBuild {
  /** The binary, or null with `why`. */
  binary: string | null;
  compiler: string | null;
  why?: string;
}

/** The first C compiler that answers `--version`. */
function findCompiler(): string | null {
  for (const cc of [process.env.CC, 'cc', 'gcc', 'clang']) {
    if (!cc) continue;
    const r = spawnSync(cc, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return cc;
  }
  return null;
}

/** Builds (or reuses) the baseline binary in `cacheDir/native/`. */
export function buildNative(cacheDir: string): NativeBuild {
  if (!existsSync(SOURCE)) return { binary: null, compiler: null, why: `the baseline source ${SOURCE} is missing` };
  const cc = findCompiler();
  if (!cc) return { binary: null, compiler: null, why: 'no C compiler found (cc, gcc or clang; e.g. apt-get install gcc)' };
  const src = readFileSync(SOURCE);
  const flags = ['-O3', '-march=native', '-std=c11', '-Wall', '-pthread'];
  const key = createHash('sha256').update(src).update(cc).update(flags.join(' ')).digest('hex').slice(0, 16);
  const dir = join(cacheDir, 'native');
  const binary = join(dir, `sgfilter-native-${key}`);
  if (existsSync(binary)) return { binary, compiler: cc };
  mkdirSync(dir, { recursive: true });
  const r = spawnSync(cc, [...flags, '-o', binary, SOURCE], { encoding: 'utf8' });
  if (r.status !== 0) return { binary: null, compiler: cc, why: `${cc} failed: ${(r.stderr || r.error?.message || '').trim().slice(0, 500)}` };
  return { binary, compiler: cc };
}

export interface NativeWasmBuild {
  /** The module, or null with `why`. */
  wasm: string | null;
  /** The compiler and its version line, e.g. "clang 14.0.6". */
  compiler: string | null;
  why?: string;
}

/** The flags that point clang at a WASI libc: $WASI_SYSROOT (a wasi-sdk's share/wasi-sysroot), else Debian's wasi-libc layout; null when neither is there. */
function wasiSysroot(): string[] | null {
  const env = process.env.WASI_SYSROOT;
  if (env) return existsSync(join(env, 'lib', 'wasm32-wasi')) ? [`--sysroot=${env}`] : null;
  if (existsSync('/usr/lib/wasm32-wasi/crt1.o') && existsSync('/usr/include/wasm32-wasi/stdio.h')) return ['--sysroot=/usr', '-isystem', '/usr/include/wasm32-wasi', '-L/usr/lib/wasm32-wasi'];
  return null;
}

/** What the WebAssembly build may use without growing its memory (its 2 GiB less room for the runtime's own allocations). */
const WASM_ROOM = 1792 * 2 ** 20;

const WASI_PACKAGES = 'e.g. apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32';

/** Builds (or reuses) the baseline's WebAssembly module in `cacheDir/native/` ($WASI_CC, else clang). */
export function buildNativeWasm(cacheDir: string): NativeWasmBuild {
  if (!existsSync(SOURCE)) return { wasm: null, compiler: null, why: `the baseline source ${SOURCE} is missing` };
  const cc = process.env.WASI_CC ?? 'clang';
  const v = spawnSync(cc, ['--version'], { encoding: 'utf8' });
  if (v.status !== 0) return { wasm: null, compiler: null, why: `no ${cc} for wasm32-wasi (${WASI_PACKAGES})` };
  const version = /version (\d+[.\d]*)/.exec(v.stdout)?.[1];
  const compiler = version ? `${cc} ${version}` : cc;
  const sysroot = wasiSysroot();
  if (!sysroot) return { wasm: null, compiler, why: `no WASI libc (set WASI_SYSROOT to a wasi-sdk's share/wasi-sysroot, or ${WASI_PACKAGES})` };
  // 2 GiB of initial memory (reserved, not committed: the resident set is what the run touches), so that a
  // capture held in memory never grows it: on Node 20, a WASI module whose memory grew during the run
  // crashed the process after its last output (SIGSEGV or SIGABRT in V8's property lookup at exit, 5 of 6
  // runs on the 1M-packet capture), and never when it did not grow — node:wasi keeps the memory's first
  // backing store and does not follow memory.grow (nodejs/node#51303; Nimblesite/osprey#202 reduces it
  // to a write, a grow and a write). runNativeWasm refuses a capture in memory that would need to grow it.
  const flags = ['--target=wasm32-wasi', '-O3', '-std=c11', '-Wall', '-Wl,--initial-memory=2147483648,--max-memory=4294967296', ...sysroot];
  const key = createHash('sha256').update(readFileSync(SOURCE)).update(compiler).update(flags.join(' ')).digest('hex').slice(0, 16);
  const dir = join(cacheDir, 'native');
  const wasm = join(dir, `sgfilter-native-${key}.wasm`);
  if (existsSync(wasm)) return { wasm, compiler };
  mkdirSync(dir, { recursive: true });
  const r = spawnSync(cc, [...flags, '-o', wasm, SOURCE], { encoding: 'utf8' });
  if (r.status !== 0) return { wasm: null, compiler, why: `${cc} --target=wasm32-wasi failed (${WASI_PACKAGES}): ${(r.stderr || r.error?.message || '').trim().slice(0, 500)}` };
  return { wasm, compiler };
}

/** Runs the WebAssembly build in this Node (one thread: the WASI build has none), as runNative runs the binary (`extra`: more of its options); throws with its message when it fails. */
export function runNativeWasm(wasm: string, rulesFile: string, capture: string, mode: 'mem' | 'read', passes: number, warmup = 1, capacity?: number, extra: string[] = []): NativeRun {
  // The module's 2 GiB hold the capture (mem), the conntrack table (64 bytes a slot) and the rules; beyond, its memory would grow (see buildNativeWasm).
  const need = (mode === 'mem' ? statSync(capture).size : 0) + 64 * Math.max(capacity ?? 1 << 18, 1024) * 2;
  if (need > WASM_ROOM) throw new Error(`${capture}: the native baseline's WebAssembly build holds at most ${WASM_ROOM >> 20} MiB (capture in memory and conntrack table: ${Math.ceil(need / 2 ** 20)} MiB here); use --mode read or a smaller capture`);
  const args = [rulesFile, capture, '--mode', mode, '--passes', String(passes), '--warmup', String(warmup), ...extra];
  if (capacity !== undefined) args.push('--capacity', String(capacity));
  const out = execFileSync(process.execPath, ['--no-warnings', WASI_RUNNER, wasm, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out) as NativeRun;
}

/** An address as the 32 hex digits of its 128-bit form (IPv4 as ::ffff:a.b.c.d). */
function hex128(family: 4 | 6, value: bigint): string {
  const v = family === 4 ? (0xffffn << 32n) | value : value;
  return v.toString(16).padStart(32, '0');
}

function cidrField(c: Cidr): string {
  return `${hex128(c.family, c.network)} ${c.family === 4 ? 96 + c.prefix : c.prefix}`;
}

const ANY = `${'0'.repeat(32)} 0`;

/**
 * The rule file the baseline reads (format in bench/native/replay.c): per
 * interface its timeouts, addresses and, per direction, its ordered rules,
 * one line per concrete remote block.
 */
export function nativeRules(topology: Topology): string {
  const index = indexTopology(topology);
  const ref = new ReferenceEngine(topology);
  const lines = ['sgfilter-native 1', `ifaces ${topology.interfaces.length}`];
  topology.interfaces.forEach((iface, i) => {
    const t = iface.conntrack;
    lines.push(`timeouts ${i} ${t.tcpEstablished} ${t.udp} ${t.icmp} ${t.other}`);
    for (const ip of iface.ips) lines.push(`addr ${i} ${hex128(ip.family, ip.value)}`);
    (['ingress', 'egress'] as const).forEach((dir, d) => {
      const out: string[] = [];
      for (const { rule } of orderedRules(index, iface, dir)) {
        const remotes: string[] = [];
        const r = rule.remote;
        if (r.kind === 'any') remotes.push(ANY);
        else if (r.kind === 'cidr') remotes.push(cidrField(r.cidr));
        else if (r.kind === 'addressGroup') for (const c of index.addressGroups.get(r.addressGroup)?.cidrs ?? []) remotes.push(cidrField(c));
        else for (const m of index.members.get(r.group) ?? []) for (const ip of m.ips) remotes.push(`${hex128(ip.family, ip.value)} 128`);
        const proto = rule.protocol === 'all' ? -1 : rule.protocol;
        const fam = rule.ethertype === 'any' ? 0 : rule.ethertype;
        const local = rule.local ? cidrField(rule.local) : ANY;
        const ranges = (x: typeof rule.ports) => x ?? [{ from: 0, to: 65535 }];
        for (const dp of ranges(rule.ports))
          for (const sp of ranges(rule.sourcePorts))
            for (const rem of remotes) out.push(`r ${rule.action === 'allow' ? 1 : 0} ${proto} ${fam} ${dp.from} ${dp.to} ${sp.from} ${sp.to} ${rem} ${local}`);
      }
      lines.push(`list ${i} ${d} ${ref.defaultVerdict(iface, dir) === 'allow' ? 1 : 0} ${out.length}`, ...out);
    });
  });
  return lines.join('\n') + '\n';
}

/**
 * How the baseline's threads split the work (bench/native/replay.c): `lane`,
 * every thread walks and parses every packet and judges its own shards' (what
 * sgfilter's workers do); `pre`, the packets are handed out by shard before
 * the clock starts (the capture in memory only): the ceiling of a split that
 * decodes once.
 */
export type NativeSplit = 'lane' | 'pre';

export interface NativeRun {
  mode: 'mem' | 'read';
  threads: number;
  split: NativeSplit;
  packets: number;
  allow: number;
  deny: number;
  /** Allowed flows refused because the baseline's table was full (should be 0). */
  full: number;
  /** The first, uncounted pass (seconds). */
  cold: number;
  /** The counted passes (seconds). */
  passes: number[];
}

/** Runs the baseline (1 thread unless `threads` says otherwise; `capacity`: conntrack slots per thread, rounded up to a power of two, default 2^18); throws with its message when it fails. */
export function runNative(binary: string, rulesFile: string, capture: string, mode: 'mem' | 'read', passes: number, warmup = 1, threads = 1, split: NativeSplit = 'lane', capacity?: number): NativeRun {
  const args = [rulesFile, capture, '--mode', mode, '--passes', String(passes), '--warmup', String(warmup), '--threads', String(threads), '--split', split];
  if (capacity !== undefined) args.push('--capacity', String(capacity));
  const out = execFileSync(binary, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out) as NativeRun;
}

/** Writes the rule file for `topology` next to the cache and returns its path. */
export function writeNativeRules(topology: Topology, cacheDir: string, name: string): string {
  const dir = join(cacheDir, 'native');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.rules`);
  writeFileSync(path, nativeRules(topology));
  return path;
}
