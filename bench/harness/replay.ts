/**
 * The generated replay (bench/replay/main.ts does the work): a capture of
 * ≥ 1 M packets (default mode) replayed by the WASM engine with 1 and 2
 * worker threads (cold, and on warm pools), and a smaller one by the WASM
 * engine and the reference engine; generated once into the cache. Repeated whole runs, medians;
 * end-to-end and loop figures. First, the big capture's decisions files
 * (reference, WASM 1 and 2 workers) must be byte-identical (verifyDecisions);
 * then the verdict and reason counts must agree
 * between 1 and 2 workers, and between the WASM and reference engines.
 */
import { defaultCacheDir, ensureGenerated } from '../../src/gen/index.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { replaySpec, runReplayBench } from '../replay/main.js';
import type { ReplayInfo } from '../report/schema.js';
import type { RunContext } from './context.js';
import { BenchError } from './errors.js';
import { buildNative, buildNativeWasm, runNative, runNativeWasm, writeNativeRules } from './native.js';
import { durationFigure, throughputFigure } from './stats.js';
import { runStages } from '../replay/stages.js';
import { FLOW_POINTS, runFlowsScaling } from '../replay/flows.js';
import { compileTopology } from '../../src/compile/compile.js';
import { measureShared } from '../replay/shared-proto.js';

/** Steps in the progress plan: the verification, one per configuration (decisions ones included; one per warm pools run: without decisions, with each format), the native baseline (and its WebAssembly build), the stages and the flows scaling. */
export const REPLAY_STEPS = 16;

export async function runReplay(ctx: RunContext): Promise<ReplayInfo> {
  const p = ctx.params.replay;
  ctx.progress.detail(`generating or reusing captures of ${p.packets} and ${p.refPackets} packets`);
  const rep = await runReplayBench({
    packets: p.packets,
    refPackets: p.refPackets,
    repeat: p.repeat,
    refRepeat: p.refRepeat,
    warmup: p.warmup,
    ...(ctx.cacheDir ? { cacheDir: ctx.cacheDir } : {}),
    log: (s) => ctx.progress.detail(s.trim()),
    onConfig: (name) => ctx.progress.step(`replay ${name}`),
    decisions: true,
  });
  const [one, two, wasmSmall, refSmall] = rep.results;
  if (!one || !two || !wasmSmall || !refSmall) throw new BenchError('SGF_BENCH_REPLAY', 'the replay bench returned fewer configurations than expected');
  const counts = (r: typeof one) => JSON.stringify({ packets: r.packets, verdicts: r.verdicts, reasons: Object.entries(r.reasons).filter(([, v]) => v > 0).sort() });
  if (counts(one) !== counts(two)) throw new BenchError('SGF_BENCH_MISMATCH', `${rep.capture.path}: 1 worker counts ${counts(one)}, 2 workers ${counts(two)}`);
  if (counts(wasmSmall) !== counts(refSmall)) throw new BenchError('SGF_BENCH_MISMATCH', `${rep.refCapture.path}: the WASM engine counts ${counts(wasmSmall)}, the reference engine ${counts(refSmall)}`);

  const add = (key: string, subject: string, label: string, r: typeof one) => {
    const base = { section: 'replay' as const, subject, method: 'repeated-runs' as const, unit: 'packets/s' as const };
    ctx.figures.push(throughputFigure({ ...base, id: `replay/${key}/e2e`, label: `${label}, end-to-end` }, r.packets, r.samples.map((s) => s.seconds * 1000)));
    const loops = r.samples.map((s) => s.loopSeconds).filter((x): x is number => x !== undefined);
    if (loops.length === r.samples.length) {
      ctx.figures.push(throughputFigure({ ...base, id: `replay/${key}/loop`, label: `${label}, loop` }, r.packets, loops.map((s) => s * 1000)));
      // The cold start: the call's time outside its judging loop (bench/replay/main.ts formatColdStart).
      if (r.engine === 'wasm') ctx.figures.push(durationFigure({ section: 'replay', subject, method: 'repeated-runs', id: `replay/${key}/outside`, label: `${label}, outside the loop (ms)` }, r.samples.map((s) => (s.seconds - s.loopSeconds!) * 1000)));
    }
  };
  const big = `${rep.capture.packets.toLocaleString('en-US')} packets`;
  const small = `${rep.refCapture.packets.toLocaleString('en-US')} packets`;
  add('big/wasm-1w', big, 'replay, WASM, 1 worker', one);
  add('big/wasm-2w', big, 'replay, WASM, 2 workers', two);
  add('small/wasm-1w', small, 'replay, WASM, 1 worker', wasmSmall);
  add('small/reference', small, 'replay, reference engine', refSmall);
  for (const r of rep.results.filter((x) => x.name.endsWith('warm pool'))) add(`big/wasm-${r.workers}w-pool`, big, `replay, WASM, ${r.workers} worker${r.workers > 1 ? 's' : ''}, warm pool`, r);
  for (const r of rep.results.filter((x) => x.decisions)) add(`big/wasm-${r.workers}w${r.pool ? '-pool' : ''}-decisions-${r.decisions}`, big, `replay --decisions (${r.decisions}), WASM, ${r.workers} worker${r.workers > 1 ? 's' : ''}${r.pool ? ', warm pool' : ''}`, r);

  // The native C baseline on the same capture, the same number of counted passes.
  ctx.progress.step('replay native baseline');
  const cacheDir = ctx.cacheDir ?? defaultCacheDir();
  const build = buildNative(cacheDir);
  // The rule file both builds of the baseline read, written once; the figures' common fields.
  let rulesFile: string | undefined;
  const nativeRulesFile = () => (rulesFile ??= writeNativeRules(loadTopologyFile(ensureGenerated(replaySpec(p.packets), { cacheDir }).topologyPath).topology, cacheDir, `replay-${p.packets}`));
  const base = { section: 'replay' as const, subject: big, method: 'repeated-runs' as const, unit: 'packets/s' as const };
  let native: ReplayInfo['native'];
  if (build.binary) {
    const rules = nativeRulesFile();
    let counts = { allow: 0, deny: 0 };
    for (const mode of ['mem', 'read'] as const) {
      const r = runNative(build.binary, rules, rep.capture.path, mode, p.repeat, p.warmup ? 1 : 0);
      if (r.packets !== one.packets) throw new BenchError('SGF_BENCH_REPLAY', `the native baseline read ${r.packets} packets of ${rep.capture.path}, sgfilter ${one.packets}`);
      counts = { allow: r.allow, deny: r.deny };
      const label = mode === 'mem' ? 'native C baseline, capture in memory' : 'native C baseline, read()';
      ctx.figures.push(throughputFigure({ ...base, id: `replay/big/native-${mode}/loop`, label }, r.packets, r.passes.map((s) => s * 1000)));
    }
    // Two threads, split as sgfilter's two workers split (each walks every packet, judges its shards), and
    // split before the clock (the ceiling of a split that decodes once): what two cores give native code here.
    for (const split of ['lane', 'pre'] as const) {
      const r = runNative(build.binary, rules, rep.capture.path, 'mem', p.repeat, p.warmup ? 1 : 0, 2, split);
      if (r.packets !== one.packets || r.allow !== counts.allow || r.deny !== counts.deny) {
        throw new BenchError('SGF_BENCH_REPLAY', `the native baseline on 2 threads (${split}) counted ${r.packets} packets, ${r.allow}/${r.deny} allow/deny; on 1 thread ${one.packets}, ${counts.allow}/${counts.deny}`);
      }
      const label = `native C baseline, 2 threads, capture in memory, ${split === 'lane' ? 'each thread walks every packet' : 'packets handed out before the pass'}`;
      ctx.figures.push(throughputFigure({ ...base, id: `replay/big/native-mem-2t-${split}/loop`, label }, r.packets, r.passes.map((s) => s * 1000)));
    }
    native = { compiler: build.compiler!, verdicts: counts, sgfilterVerdicts: one.verdicts };
  } else {
    native = { compiler: build.compiler, skipped: build.why ?? 'not built' };
  }
  // The same C source compiled to WebAssembly and run by this Node's V8 (node:wasi): how much of the
  // gap to native is the runtime's. The same source gives the same counts, or the bench stops.
  const wasmBuild = buildNativeWasm(cacheDir);
  let nativeWasm: ReplayInfo['nativeWasm'];
  if (wasmBuild.wasm) {
    const rules = nativeRulesFile();
    let counts = { allow: 0, deny: 0 };
    for (const mode of ['mem', 'read'] as const) {
      const r = runNativeWasm(wasmBuild.wasm, rules, rep.capture.path, mode, p.repeat, p.warmup ? 1 : 0);
      const nat = native && 'verdicts' in native ? native.verdicts : undefined;
      if (r.packets !== one.packets || (nat && (r.allow !== nat.allow || r.deny !== nat.deny))) {
        throw new BenchError('SGF_BENCH_REPLAY', `the native baseline's WebAssembly build counted ${r.packets} packets, ${r.allow}/${r.deny} allow/deny; sgfilter ${one.packets} packets${nat ? `, the native binary ${nat.allow}/${nat.deny}` : ''}`);
      }
      counts = { allow: r.allow, deny: r.deny };
      const label = `native C baseline compiled to WebAssembly (${wasmBuild.compiler} wasm32-wasi), run by V8, ${mode === 'mem' ? 'capture in memory' : 'read()'}`;
      ctx.figures.push(throughputFigure({ ...base, id: `replay/big/native-wasm-${mode}/loop`, label }, r.packets, r.passes.map((s) => s * 1000)));
    }
    nativeWasm = { compiler: wasmBuild.compiler!, verdicts: counts };
  } else {
    nativeWasm = { compiler: wasmBuild.compiler, skipped: wasmBuild.why ?? 'not built' };
  }
  // Issue 11's design, measured by its driver (bench/replay/shared-proto.ts; in replay() it is split 'shared', the default only for a pipe): the
  // capture decoded once into one shared memory, each worker judging its lane's list; beside the driver's
  // own run of today's split (every worker reads and decodes everything), the modes alternated round by round.
  ctx.progress.step('replay shared memory (driver)');
  {
    const gen = ensureGenerated(replaySpec(p.packets), { cacheDir });
    const rows = await measureShared({ file: rep.capture.path, topologyPath: gen.topologyPath, rounds: p.repeat });
    const base = { section: 'replay' as const, subject: big, method: 'repeated-runs' as const, unit: 'packets/s' as const };
    for (const r of rows) {
      const lanes = Number(r.mode.replace(/\D+/g, ''));
      const what = r.mode.startsWith('shared') ? 'decoded once into one shared memory, per-worker record lists' : "each worker reads and decodes every packet (today's split)";
      ctx.figures.push(throughputFigure({ ...base, id: `replay/big/driver-${r.mode}/loop`, label: `replay driver, ${lanes} worker${lanes > 1 ? 's' : ''}, ${what}, loop` }, r.packets, r.wallMs));
    }
  }
  // Where the time goes, stage by stage (bench/replay/stages.ts), on the big capture.
  ctx.progress.step('replay stages');
  {
    const t = loadTopologyFile(ensureGenerated(replaySpec(p.packets), { cacheDir }).topologyPath).topology;
    const st = runStages(t, compileTopology(t), rep.capture.path, p.repeat);
    for (const [stage, ms] of Object.entries(st.samplesMs)) {
      ctx.figures.push(durationFigure({ section: 'replay', subject: big, method: 'repeated-runs', id: `replay/big/stage-${stage}`, label: `replay stage ${stage} (1 worker, in-thread; ms per pass)` }, ms));
    }
  }
  // Flow-count scaling (bench/replay/flows.ts): default and full modes only (its captures are of millions of packets).
  ctx.progress.step('replay flows scaling');
  if (p.packets >= 1_000_000) {
    const f = await runFlowsScaling({ packets: 2_000_000, repeat: p.repeat, cacheDir, log: (s) => ctx.progress.detail(s.trim()) });
    for (const pt of f.points) {
      const base = { section: 'replay' as const, subject: `${pt.packets.toLocaleString('en-US')} packets, ${pt.flows.toLocaleString('en-US')} flows`, method: 'repeated-runs' as const, unit: 'packets/s' as const };
      ctx.figures.push(throughputFigure({ ...base, id: `replay/flows-${pt.flows}/loop`, label: `replay, WASM, 1 worker, ${pt.flows.toLocaleString('en-US')} concurrent flows, loop` }, pt.packets, pt.loopSamples.map((ns) => (ns * pt.packets) / 1e6)));
    }
  } else ctx.progress.detail(`flows scaling skipped (${FLOW_POINTS.length} captures of millions of packets; default and full modes)`);

  const { packets: _, ...traffic } = replaySpec(p.packets).traffic;
  const info: ReplayInfo = { capture: rep.capture, refCapture: rep.refCapture, topology: replaySpec(p.packets).topology, traffic, countsAgree: true, native, nativeWasm };
  if (rep.verify) info.verify = rep.verify;
  if (rep.verifyShards) info.verifyShards = rep.verifyShards;
  return info;
}
