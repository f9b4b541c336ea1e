/**
 * End-to-end replay throughput: a generated capture (default 1,000,000
 * packets: mostly established flows, plus new and denied ones) replayed
 * against its topology by the WASM engine with 1 and 2 worker threads, and a
 * smaller capture (default 200,000 packets) by both the WASM engine (1 worker)
 * and the reference engine, so that the WASM/reference ratio is measured on
 * the same bytes in the same run; then the big capture on warm pools
 * (createReplayPool) of 1 and 2 workers, alternated run by run. Each
 * configuration is run `repeat` times after a warm-up; medians are reported. Two figures per run: end-to-end (the
 * whole replay() call: worker start-up, compile, read, judge) and loop (the
 * slowest worker's streaming-and-judging time, without start-up).
 *
 * Before anything is timed, the big capture is verified: its decisions
 * files from the reference engine, from the WASM engine with 1 and 2
 * workers and from a warm pool of 2 (its second replay) must be
 * byte-identical; a difference stops the run
 * (SGF_BENCH_MISMATCH, naming the packet). So is a second generated capture
 * of `refPackets` packets made to cross shards (shardStressSpec: ICMP errors
 * from a small router pool, fragments, IPv6), which is not timed. The binary
 * decisions file of 2 workers, converted to JSON lines, must equal them too.
 *
 * Then, with `--decisions` (ReplayBenchOptions.decisions), the big capture
 * again with its decisions written to a file, as JSON lines and in the
 * binary format (docs/decisions.md), with 1 and 2 workers: the throughput of
 * `replay --decisions` end-to-end, file written; then the same on warm
 * pools of 1 and 2 workers. `--decisions-only` measures only those and the
 * same capture without decisions (cold and on warm pools).
 *
 * Then the native C baseline on the big capture (when a C compiler is
 * present), and sgfilter's loop figure over it; the same C source compiled
 * to WebAssembly and run by this Node's V8 (when clang and a WASI libc are
 * present: bench/harness/native.ts buildNativeWasm); and the per-stage
 * breakdown (bench/replay/stages.ts). `--flows`: only the flow-count scaling
 * instead (bench/replay/flows.ts); `--stages`: only the per-stage breakdown;
 * `--mixes`: only 1 worker on several generated mixes (bench/replay/mixes.ts).
 *
 *   node dist/bench/replay/main.js [--packets N] [--ref-packets N] [--repeat K] [--decisions | --decisions-only] [--json]
 *   node dist/bench/replay/main.js --flows [--flows-packets N] [--flow-points LIST] [--repeat K] [--json]
 *   node dist/bench/replay/main.js --mixes [--packets N] [--repeat K] [--no-verify] [--json]
 *   node dist/bench/replay/main.js --stages [--packets N] [--repeat K] [--json]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCacheDir, ensureGenerated } from '../../src/gen/index.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { createReplayPool, endIdleReplayWorkers, replay, type ReplayResult } from '../../src/replay/replay.js';
import { compileTopology } from '../../src/compile/compile.js';
import type { Topology } from '../../src/model/topology.js';
import { assertSameDecisionFiles } from '../harness/verify-files.js';
import { BenchError } from '../harness/errors.js';
import { Option } from 'commander';
import { benchProgram, intListOption, intOption, parseBenchArgs, runBenchScript } from '../cli.js';
import { convertDecisions } from '../../src/replay/decision-file.js';
import { OutputFile } from '../../src/replay/output.js';
import { buildNative, buildNativeWasm, runNative, runNativeWasm, writeNativeRules } from '../harness/native.js';
import { formatShared, measureShared } from './shared-proto.js';
import { median } from '../stats.js';
import { formatStages, runStages, type StagesReport } from './stages.js';
import { formatFlowsReport, runFlowsScaling, type FlowsReport } from './flows.js';
import { formatMixes, runMixes, RICH_MIXES, type MixesReport } from './mixes.js';

export interface ReplaySample {
  seconds: number;
  loopSeconds?: number;
  /** The cold start: worker threads the call started, and ms from the call until the first of them was online (JavaScript running in it). */
  threads?: number;
  onlineMs?: number;
}

/**
 * Watch the worker threads one `replay()` call starts (process 'worker'
 * events): how many, and when the first was online (ms after `start`).
 */
function watchThreads(start: number): () => { threads: number; onlineMs?: number } {
  let threads = 0;
  let onlineMs: number | undefined;
  const onWorker = (w: import('node:worker_threads').Worker) => {
    threads++;
    w.once('online', () => (onlineMs ??= performance.now() - start));
  };
  process.on('worker', onWorker);
  return () => {
    process.off('worker', onWorker);
    return { threads, ...(onlineMs !== undefined ? { onlineMs } : {}) };
  };
}

export interface ReplayConfigResult {
  name: string;
  engine: 'wasm' | 'reference';
  workers: number;
  /** Set when the decisions were written to a file in this format. */
  decisions?: 'jsonl' | 'binary';
  /** Set for a warm pool (createReplayPool). */
  pool?: true;
  packets: number;
  samples: ReplaySample[];
  medianSeconds: number;
  medianLoopSeconds?: number;
  packetsPerSecond: number;
  loopPacketsPerSecond?: number;
  /** The last run's verdict and reason counts (every run judges the same bytes the same way). */
  verdicts: { allow: number; deny: number };
  reasons: Record<string, number>;
}

export interface ReplayBenchReport {
  capture: { path: string; packets: number; bytes: number };
  refCapture: { path: string; packets: number; bytes: number };
  results: ReplayConfigResult[];
  ratios: {
    twoWorkersOverOne: number;
    twoWorkersOverOneLoop: number;
    /** The same on warm pools (createReplayPool), the two alternated run by run. */
    twoWorkersOverOnePool?: number;
    twoWorkersOverOnePoolLoop?: number;
    wasmOverReference: number;
    wasmOverReferenceLoop: number;
  };
  /** The big capture's decisions, byte-identical for these configurations (absent when verification was turned off). */
  verify?: { packets: number; identical: true; configs: string[] };
  /** The same for the shard-stress capture (shardStressSpec). */
  verifyShards?: { path: string; packets: number; identical: true; configs: string[] };
}

/**
 * Replay `file` with the reference engine and with the WASM engine on 1 and 2
 * workers, writing decisions files, and require them byte-identical.
 */
export async function verifyDecisions(topology: Topology, file: string, compiled: ReturnType<typeof compileTopology>, log: (s: string) => void): Promise<{ packets: number; identical: true; configs: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'sgfilter-bench-verify-'));
  try {
    const ref = join(dir, 'reference.jsonl');
    log(`  verify: reference engine on ${file}`);
    const r = await replay(topology, file, { engine: 'reference', compiled, decisionsPath: ref });
    if (r.error) throw new BenchError('SGF_BENCH_REPLAY', `${file}: ${r.error.message}`);
    const configs = ['reference'];
    for (const workers of [1, 2]) {
      const out = join(dir, `wasm-${workers}w.jsonl`);
      log(`  verify: WASM engine, ${workers} worker(s)`);
      await replay(topology, file, { engine: 'wasm', workers, compiled, decisionsPath: out });
      const n = assertSameDecisionFiles(ref, out, `${file} (WASM, ${workers} worker(s))`);
      if (n !== r.packets) throw new BenchError('SGF_BENCH_REPLAY', `${file}: ${n} decisions for ${r.packets} packets`);
      configs.push(`wasm-${workers}w`);
      rmSync(out, { force: true });
    }
    // A warm pool of 2 workers, on its second replay (its memory and threads reused).
    {
      const out = join(dir, 'wasm-2w-pool.jsonl');
      log('  verify: WASM engine, warm pool of 2 workers (second replay)');
      const pool = createReplayPool({ workers: 2 });
      try {
        await pool.replay(topology, file, { compiled });
        await pool.replay(topology, file, { compiled, decisionsPath: out });
      } finally {
        await pool.close();
      }
      assertSameDecisionFiles(ref, out, `${file} (WASM, warm pool of 2 workers)`);
      configs.push('wasm-2w-pool');
      rmSync(out, { force: true });
    }
    // The binary file of 2 workers, as JSON lines.
    const bin = join(dir, 'wasm-2w.bin');
    log('  verify: WASM engine, 2 workers, binary decisions -> JSON lines');
    await replay(topology, file, { engine: 'wasm', workers: 2, compiled, decisionsPath: bin, decisionsFormat: 'binary' });
    const conv = join(dir, 'wasm-2w-binary.jsonl');
    const o = new OutputFile(conv);
    try {
      convertDecisions(bin, o);
    } finally {
      o.close();
    }
    rmSync(bin, { force: true });
    if (!readFileSync(conv).equals(readFileSync(ref))) assertSameDecisionFiles(ref, conv, `${file} (WASM, 2 workers, binary -> JSON lines)`);
    rmSync(conv, { force: true });
    configs.push('wasm-2w-binary');
    log(`  verify: ${r.packets} decisions identical (${configs.join(', ')})`);
    return { packets: r.packets, identical: true, configs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(
  name: string,
  topology: Topology,
  file: string,
  engine: 'wasm' | 'reference',
  workers: number,
  repeat: number,
  compiled: ReturnType<typeof compileTopology>,
  log: (s: string) => void,
  warmup = true,
  decisions?: { format: 'jsonl' | 'binary'; path: string },
): Promise<ReplayConfigResult> {
  const samples: ReplaySample[] = [];
  let packets = 0;
  let verdicts = { allow: 0, deny: 0 };
  let reasons: Record<string, number> = {};
  for (let i = warmup ? 0 : 1; i <= repeat; i++) {
    // Cold: fresh threads every run (replay() would take the last run's, kept as a warm pool's).
    await endIdleReplayWorkers();
    const watched = watchThreads(performance.now());
    const r = await replay(topology, file, { engine, workers, compiled, ...(decisions ? { decisionsPath: decisions.path, decisionsFormat: decisions.format } : {}) });
    const threads = watched();
    if (decisions) rmSync(decisions.path, { force: true });
    packets = r.packets;
    verdicts = r.verdicts;
    reasons = r.reasons;
    if (r.error) throw new BenchError('SGF_BENCH_REPLAY', `${file}: ${r.error.message}`);
    if (i === 0) continue; // warm-up (page cache, JIT)
    const s: ReplaySample = { seconds: r.seconds, ...(engine === 'wasm' ? threads : {}) };
    if (r.loopSeconds !== undefined) s.loopSeconds = r.loopSeconds;
    samples.push(s);
    log(`  ${name}: run ${i}/${repeat}: ${(packets / r.seconds / 1e6).toFixed(2)} M packets/s end-to-end${r.loopSeconds ? `, ${(packets / r.loopSeconds / 1e6).toFixed(2)} M loop` : ''}`);
  }
  return configResult(name, engine, workers, decisions?.format, packets, samples, verdicts, reasons);
}

function configResult(name: string, engine: 'wasm' | 'reference', workers: number, decisions: 'jsonl' | 'binary' | undefined, packets: number, samples: ReplaySample[], verdicts: { allow: number; deny: number }, reasons: Record<string, number>): ReplayConfigResult {
  const medianSeconds = median(samples.map((s) => s.seconds));
  const loops = samples.map((s) => s.loopSeconds).filter((x): x is number => x !== undefined);
  const out: ReplayConfigResult = { name, engine, workers, ...(decisions ? { decisions } : {}), packets, samples, medianSeconds, packetsPerSecond: packets / medianSeconds, verdicts, reasons };
  if (loops.length) {
    out.medianLoopSeconds = median(loops);
    out.loopPacketsPerSecond = packets / out.medianLoopSeconds;
  }
  return out;
}

/**
 * 1 and 2 workers on warm pools (createReplayPool: threads, compiled module
 * and engine memory kept between replays), alternated run by run so that
 * both see the same machine; one unmeasured round first.
 */
async function measurePools(topology: Topology, file: string, repeat: number, compiled: ReturnType<typeof compileTopology>, log: (s: string) => void, warmup = true, decisions?: { format: 'jsonl' | 'binary'; path: string }): Promise<ReplayConfigResult[]> {
  const pools = [createReplayPool({ workers: 1 }), createReplayPool({ workers: 2 })];
  const names = pools.map((p) => `wasm, ${p.workers} worker${p.workers > 1 ? 's' : ''}, warm pool${decisions ? `, --decisions ${decisions.format}` : ''}`);
  const samples: ReplaySample[][] = pools.map(() => []);
  const last: ReplayResult[] = [];
  try {
    for (let i = warmup ? 0 : 1; i <= repeat; i++) {
      for (const [k, pool] of pools.entries()) {
        const r = await pool.replay(topology, file, { compiled, ...(decisions ? { decisionsPath: decisions.path, decisionsFormat: decisions.format } : {}) });
        if (decisions) rmSync(decisions.path, { force: true });
        if (r.error) throw new BenchError('SGF_BENCH_REPLAY', `${file}: ${r.error.message}`);
        last[k] = r;
        if (i === 0) continue;
        samples[k]!.push({ seconds: r.seconds, ...(r.loopSeconds !== undefined ? { loopSeconds: r.loopSeconds } : {}), threads: 0 });
        log(`  ${names[k]}: run ${i}/${repeat}: ${(r.packets / r.seconds / 1e6).toFixed(2)} M packets/s end-to-end${r.loopSeconds ? `, ${(r.packets / r.loopSeconds / 1e6).toFixed(2)} M loop` : ''}`);
      }
    }
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
  return pools.map((p, k) => ({ ...configResult(names[k]!, 'wasm', p.workers, decisions?.format, last[k]!.packets, samples[k]!, last[k]!.verdicts, last[k]!.reasons), pool: true as const }));
}

/** The generated capture of `n` packets and its topology (mostly established flows, plus new and denied ones). */
export function replaySpec(n: number) {
  return {
    topology: { seed: 42, cloud: 'aliyun-basic' as const, interfaces: 12, rulesPerGroup: 20 },
    traffic: { seed: 42, packets: n, packetsPerFlow: 40, deniedShare: 0.05, scanShare: 0.02, idleShare: 0.01, payloadMax: 64 },
    format: 'pcap' as const,
  };
}

/**
 * A capture made to cross state shards (verified, not timed): ICMP errors from
 * a pool of two routers (many quoting flows of other shards than their own),
 * fragments, IPv6 and idle gaps, on a 6-interface aliyun-basic topology.
 */
export function shardStressSpec(n: number) {
  return {
    topology: { seed: 43, cloud: 'aliyun-basic' as const, interfaces: 6, rulesPerGroup: 20 },
    traffic: { seed: 43, packets: n, routers: 2, ipv6Share: 0.4, fragmentShare: 0.1, idleShare: 0.05, mix: { tcp: 30, udp: 20, echo: 10, 'icmp-error': 35, gre: 2, other: 3 } },
    format: 'pcap' as const,
  };
}

export interface ReplayBenchOptions {
  packets?: number;
  refPackets?: number;
  repeat?: number;
  /** Runs of the reference engine (default min(repeat, 2)). */
  refRepeat?: number;
  /** One unmeasured run before each configuration (default true). */
  warmup?: boolean;
  /** Where generated captures are cached (default ensureGenerated's). */
  cacheDir?: string;
  log?: (s: string) => void;
  /** Called before each configuration is measured. */
  onConfig?: (name: string) => void;
  /** Verify the big capture's decisions first (default true). */
  verify?: boolean;
  /** Also measure the big capture with its decisions written (JSON lines and binary, 1 and 2 workers); default false. */
  decisions?: boolean;
  /** Measure only those (implies decisions). */
  decisionsOnly?: boolean;
}

export async function runReplayBench(opts: ReplayBenchOptions = {}): Promise<ReplayBenchReport> {
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const packets = opts.packets ?? 1_000_000;
  const refPackets = opts.refPackets ?? 200_000;
  const repeat = opts.repeat ?? 3;
  const spec = replaySpec;
  log(`replay bench: generating (or reusing) captures of ${packets} and ${refPackets} packets`);
  const gen = opts.cacheDir ? { cacheDir: opts.cacheDir } : {};
  const big = ensureGenerated(spec(packets), gen);
  const small = ensureGenerated(spec(refPackets), gen);
  const topology = loadTopologyFile(big.topologyPath).topology;
  const compiled = compileTopology(topology);
  const warmup = opts.warmup ?? true;
  if (opts.verify !== false) opts.onConfig?.('verify');
  const verify = opts.verify !== false ? await verifyDecisions(topology, big.capturePath, compiled, log) : undefined;
  let verifyShards: ReplayBenchReport['verifyShards'];
  if (opts.verify !== false) {
    const stress = ensureGenerated(shardStressSpec(refPackets), gen);
    const t = loadTopologyFile(stress.topologyPath).topology;
    verifyShards = { path: stress.capturePath, ...(await verifyDecisions(t, stress.capturePath, compileTopology(t), log)) };
  }
  const results: ReplayConfigResult[] = [];
  const run = (name: string, file: string, engine: 'wasm' | 'reference', workers: number, k: number) => {
    opts.onConfig?.(name);
    return measure(name, topology, file, engine, workers, k, compiled, log, warmup);
  };
  const decisionsRuns = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgfilter-bench-decisions-'));
    try {
      for (const format of ['jsonl', 'binary'] as const) {
        for (const workers of [1, 2]) {
          const name = `wasm, ${workers} worker${workers > 1 ? 's' : ''}, --decisions ${format}`;
          opts.onConfig?.(name);
          results.push(await measure(name, topology, big.capturePath, 'wasm', workers, repeat, compiled, log, warmup, { format, path: join(dir, `d.${format}`) }));
        }
      }
      // The same on warm pools of 1 and 2 workers (alternated run by run).
      for (const format of ['jsonl', 'binary'] as const) {
        opts.onConfig?.(`wasm, warm pools, --decisions ${format}`);
        results.push(...(await measurePools(topology, big.capturePath, repeat, compiled, log, warmup, { format, path: join(dir, `pool.${format}`) })));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  if (opts.decisionsOnly) {
    // The same capture without decisions, for the ratio.
    results.push(await run('wasm, 1 worker', big.capturePath, 'wasm', 1, repeat));
    results.push(await run('wasm, 2 workers', big.capturePath, 'wasm', 2, repeat));
    opts.onConfig?.('wasm, warm pools');
    results.push(...(await measurePools(topology, big.capturePath, repeat, compiled, log, warmup)));
    await decisionsRuns();
    return { ...(verify ? { verify } : {}), capture: { path: big.capturePath, packets: results[0]!.packets, bytes: big.summary.bytes }, refCapture: { path: small.capturePath, packets: 0, bytes: small.summary.bytes }, results, ratios: { twoWorkersOverOne: NaN, twoWorkersOverOneLoop: NaN, wasmOverReference: NaN, wasmOverReferenceLoop: NaN } };
  }
  results.push(await run('wasm, 1 worker', big.capturePath, 'wasm', 1, repeat));
  results.push(await run('wasm, 2 workers', big.capturePath, 'wasm', 2, repeat));
  const wasmSmall = await run('wasm, 1 worker (reference capture)', small.capturePath, 'wasm', 1, repeat);
  const refSmall = await run('reference engine (reference capture)', small.capturePath, 'reference', 0, opts.refRepeat ?? Math.min(repeat, 2));
  results.push(wasmSmall, refSmall);
  opts.onConfig?.('wasm, warm pools');
  const [pool1, pool2] = await measurePools(topology, big.capturePath, repeat, compiled, log, warmup);
  results.push(pool1!, pool2!);
  if (opts.decisions) await decisionsRuns();
  const one = results[0]!;
  const two = results[1]!;
  return {
    ...(verify ? { verify } : {}),
    ...(verifyShards ? { verifyShards } : {}),
    capture: { path: big.capturePath, packets: one.packets, bytes: big.summary.bytes },
    refCapture: { path: small.capturePath, packets: wasmSmall.packets, bytes: small.summary.bytes },
    results,
    ratios: {
      twoWorkersOverOne: two.packetsPerSecond / one.packetsPerSecond,
      twoWorkersOverOneLoop: (two.loopPacketsPerSecond ?? 0) / (one.loopPacketsPerSecond ?? 1),
      twoWorkersOverOnePool: pool2!.packetsPerSecond / pool1!.packetsPerSecond,
      twoWorkersOverOnePoolLoop: (pool2!.loopPacketsPerSecond ?? 0) / (pool1!.loopPacketsPerSecond ?? 1),
      wasmOverReference: wasmSmall.packetsPerSecond / refSmall.packetsPerSecond,
      wasmOverReferenceLoop: (wasmSmall.loopPacketsPerSecond ?? 0) / refSmall.packetsPerSecond,
    },
  };
}

export function formatReplayReport(r: ReplayBenchReport): string {
  const lines = [`replay: ${r.capture.packets.toLocaleString('en-US')} packets (${(r.capture.bytes / 1e6).toFixed(0)} MB)${r.refCapture.packets > 0 ? `; reference comparison on ${r.refCapture.packets.toLocaleString('en-US')} packets` : ''}`];
  if (r.verify) lines.push(`  decisions verified: ${r.verify.packets.toLocaleString('en-US')} packets byte-identical (${r.verify.configs.join(', ')})`);
  if (r.verifyShards) lines.push(`  shard-stress capture verified: ${r.verifyShards.packets.toLocaleString('en-US')} packets byte-identical (${r.verifyShards.configs.join(', ')})`);
  const width = Math.max(38, ...r.results.map((x) => x.name.length));
  lines.push(`  ${'configuration'.padEnd(width)} end-to-end Mpps   loop Mpps`);
  for (const x of r.results) {
    lines.push(`  ${x.name.padEnd(width)} ${(x.packetsPerSecond / 1e6).toFixed(2).padStart(15)} ${x.loopPacketsPerSecond ? (x.loopPacketsPerSecond / 1e6).toFixed(2).padStart(11) : '          -'}`);
  }
  if (Number.isFinite(r.ratios.twoWorkersOverOne)) {
    lines.push(`  2 workers / 1 worker: ${r.ratios.twoWorkersOverOne.toFixed(2)}x end-to-end, ${r.ratios.twoWorkersOverOneLoop.toFixed(2)}x loop`);
    if (r.ratios.twoWorkersOverOnePool !== undefined) lines.push(`  2 workers / 1 worker, warm pools: ${r.ratios.twoWorkersOverOnePool.toFixed(2)}x end-to-end, ${(r.ratios.twoWorkersOverOnePoolLoop ?? NaN).toFixed(2)}x loop`);
    lines.push(`  WASM / reference:     ${r.ratios.wasmOverReference.toFixed(1)}x end-to-end, ${r.ratios.wasmOverReferenceLoop.toFixed(1)}x loop`);
  }
  lines.push(...formatColdStart(r));
  const plain = (w: number, pool: boolean) => r.results.find((x) => x.engine === 'wasm' && x.workers === w && !x.decisions && !!x.pool === pool && x.packets === r.capture.packets);
  for (const x of r.results.filter((y) => y.decisions)) {
    const p = plain(x.workers, !!x.pool);
    if (p) lines.push(`  ${x.name} / without decisions: ${(x.packetsPerSecond / p.packetsPerSecond).toFixed(2)}x end-to-end`);
  }
  return lines.join('\n');
}

/**
 * The cold start, per WASM configuration of the big capture (medians, ms):
 * the call's time outside the judging loop (start-up before the first batch
 * and the tail after the last: thread start, module and engine, the writer's
 * last batches, the summary), the threads it started and when the first was
 * online.
 */
export function formatColdStart(r: ReplayBenchReport): string[] {
  const rows = r.results.filter((x) => x.engine === 'wasm' && x.packets === r.capture.packets && x.samples.every((s) => s.loopSeconds !== undefined));
  if (rows.length === 0) return [];
  const width = Math.max(38, ...rows.map((x) => x.name.length));
  const out = [`  cold start (ms, medians)${' '.repeat(Math.max(1, width - 22))}outside loop   threads   first online`];
  for (const x of rows) {
    const outside = median(x.samples.map((s) => (s.seconds - s.loopSeconds!) * 1000));
    const threads = median(x.samples.map((s) => s.threads ?? 0));
    const online = x.samples.map((s) => s.onlineMs).filter((v): v is number => v !== undefined);
    out.push(`  ${x.name.padEnd(width)} ${outside.toFixed(1).padStart(13)} ${String(threads).padStart(9)} ${online.length ? median(online).toFixed(1).padStart(14) : '             -'}`);
  }
  return out;
}

/** The native C baseline on the big capture (bench/harness/native.ts), printed beside sgfilter's loop figure; null without a compiler. */
function nativeLine(r: ReplayBenchReport, repeat: number): string {
  const cacheDir = defaultCacheDir();
  const build = buildNative(cacheDir);
  if (!build.binary) return `  native C baseline: skipped (${build.why ?? 'not built'})`;
  const rules = writeNativeRules(loadTopologyFile(ensureGenerated(replaySpec(r.capture.packets)).topologyPath).topology, cacheDir, `replay-${r.capture.packets}`);
  const one = r.results[0]!;
  const out: string[] = [];
  let memPps = NaN;
  const nativePps: number[] = [];
  for (const mode of ['mem', 'read'] as const) {
    const n = runNative(build.binary, rules, r.capture.path, mode, repeat, 1);
    const pps = n.packets / median(n.passes);
    nativePps.push(pps);
    out.push(`  native C baseline (${mode === 'mem' ? 'capture in memory' : 'read()'}): ${(pps / 1e6).toFixed(2)} M packets/s; sgfilter loop / native ${((one.loopPacketsPerSecond ?? 0) / pps).toFixed(2)}`);
    if (mode === 'mem') memPps = pps;
  }
  // Two threads: split as sgfilter's workers split, and with the packets handed out before the pass.
  const two = r.results.find((x) => x.workers === 2 && !x.pool && !x.decisions);
  const sg2 = two?.loopPacketsPerSecond && one.loopPacketsPerSecond ? ` (sgfilter 2 workers / 1, loop: ${(two.loopPacketsPerSecond / one.loopPacketsPerSecond).toFixed(2)}x)` : '';
  for (const split of ['lane', 'pre'] as const) {
    const n = runNative(build.binary, rules, r.capture.path, 'mem', repeat, 1, 2, split);
    const pps = n.packets / median(n.passes);
    out.push(`  native C baseline, 2 threads, ${split === 'lane' ? 'each walking every packet' : 'packets handed out first'}: ${(pps / 1e6).toFixed(2)} M packets/s, ${(pps / memPps).toFixed(2)}x of 1 thread${split === 'lane' ? sg2 : ''}`);
  }
  // The same source compiled to WebAssembly, run by this Node's V8: the runtime's share of the gap.
  const wb = buildNativeWasm(cacheDir);
  if (!wb.wasm) out.push(`  native C baseline compiled to WebAssembly: skipped (${wb.why ?? 'not built'})`);
  else {
    for (const [i, mode] of (['mem', 'read'] as const).entries()) {
      const n = runNativeWasm(wb.wasm, rules, r.capture.path, mode, repeat, 1);
      const pps = n.packets / median(n.passes);
      out.push(`  native C baseline compiled to WebAssembly (${wb.compiler}, V8), ${mode === 'mem' ? 'capture in memory' : 'read()'}: ${(pps / 1e6).toFixed(2)} M packets/s, ${(pps / nativePps[i]!).toFixed(2)}x of native; sgfilter loop / it ${((one.loopPacketsPerSecond ?? 0) / pps).toFixed(2)}`);
    }
  }
  return out.join('\n');
}

interface ReplayCli {
  packets: number;
  refPackets: number;
  repeat: number;
  decisions?: boolean;
  decisionsOnly?: boolean;
  verify: boolean;
  json?: boolean;
  flows?: boolean;
  flowsPackets: number;
  flowPoints?: number[];
  stages?: boolean;
  mixes?: boolean;
}

function program() {
  return benchProgram('replay-bench', 'the replay bench: verify, then 1 and 2 workers, warm pools, decisions, the native C baseline and the per-stage breakdown on a generated capture')
    .option('--packets <n>', 'packets in the big generated capture', intOption(1), 1_000_000)
    .option('--ref-packets <n>', 'packets in the capture the reference engine is timed on', intOption(1), 200_000)
    .option('--repeat <k>', 'measured runs of each configuration (medians)', intOption(1), 3)
    .addOption(new Option('--decisions', 'also replay with --decisions written (JSON lines and binary)').conflicts('decisionsOnly'))
    .option('--decisions-only', 'only the runs with and without decisions')
    .option('--no-verify', 'skip the byte-for-byte check of decisions against the reference')
    .option('--json', 'also print the report as JSON')
    .addOption(new Option('--flows', 'only the concurrent-flows scaling (bench/replay/flows.ts)').conflicts('stages'))
    .option('--flows-packets <n>', 'with --flows: packets per flows capture', intOption(1), 2_000_000)
    .option('--flow-points <list>', 'with --flows: the flow counts, e.g. 1000,10000,100000,1000000,4000000 (default: the first four; each capture has max(--flows-packets, 4 x flows) packets)', intListOption(1, 16_000_000))
    .addOption(new Option('--stages', 'only the per-stage breakdown (bench/replay/stages.ts)').conflicts('mixes'))
    .addOption(new Option('--mixes', 'only 1 worker on several generated mixes (the bench capture, Huawei and Alibaba advanced with IPv6, fragments, VLANs, ICMP errors; bench/replay/mixes.ts), --packets each').conflicts('flows'));
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<ReplayBenchReport | FlowsReport | StagesReport | MixesReport> {
  const o = parseBenchArgs<ReplayCli>(program(), argv);
  const repeat = o.repeat;
  if (o.mixes) {
    const bench = { name: 'bench capture', what: 'the bench capture: aliyun-basic, 12 interfaces, mostly established flows', spec: replaySpec };
    const m = await runMixes({ packets: o.packets, repeat, verify: o.verify, mixes: [bench, ...RICH_MIXES] });
    console.log(formatMixes(m));
    if (o.json) console.log(JSON.stringify(m, null, 2));
    return m;
  }
  if (o.flows) {
    // Only the flow-count scaling (bench/replay/flows.ts).
    const f = await runFlowsScaling({ packets: o.flowsPackets, repeat, ...(o.flowPoints ? { flows: o.flowPoints } : {}) });
    console.log(formatFlowsReport(f));
    if (o.json) console.log(JSON.stringify(f, null, 2));
    return f;
  }
  if (o.stages) {
    // Only the per-stage breakdown on the big capture (bench/replay/stages.ts).
    const big = ensureGenerated(replaySpec(o.packets));
    const t = loadTopologyFile(big.topologyPath).topology;
    const s = runStages(t, compileTopology(t), big.capturePath, repeat);
    console.log(formatStages(s));
    if (o.json) console.log(JSON.stringify(s, null, 2));
    return s;
  }
  const r = await runReplayBench({
    packets: o.packets,
    refPackets: o.refPackets,
    repeat,
    decisions: o.decisions === true,
    decisionsOnly: o.decisionsOnly === true,
    verify: o.verify,
  });
  console.log(formatReplayReport(r));
  console.log(nativeLine(r, repeat));
  {
    // Issue 11's design by its driver (bench/replay/shared-proto.ts), beside the driver's run of today's split.
    const topologyPath = ensureGenerated(replaySpec(r.capture.packets)).topologyPath;
    console.log(`  one shared memory, decoded once (driver, loop only, ns/packet; thread CPU medians):\n${formatShared(await measureShared({ file: r.capture.path, topologyPath, rounds: repeat })).replace(/^/gm, '    ')}`);
  }
  {
    const t = loadTopologyFile(ensureGenerated(replaySpec(r.capture.packets)).topologyPath).topology;
    console.log(formatStages(runStages(t, compileTopology(t), r.capture.path, repeat)));
  }
  if (o.json) console.log(JSON.stringify(r, null, 2));
  return r;
}

if (import.meta.url === `file://${process.argv[1]}`) runBenchScript(() => main());
