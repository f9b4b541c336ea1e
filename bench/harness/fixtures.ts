/**
 * The bundled fixture captures (fixtures/captures/NAME.pcap|pcapng next to
 * NAME.topology.json). For each, in order:
 *
 *  1. verify   the WASM engine's decision equals the reference engine's for
 *              every packet (in-thread replays of the capture in memory,
 *              compared as §9 decision lines); the first difference stops the
 *              run with the packet number and both decisions.
 *  2. classify the capture's rule lookups (lookups.ts), checked WASM against
 *              the reference, then timed: WASM optimized matcher (all lookups
 *              per sample) and the reference first match (a prefix); plus the
 *              table's build time and size.
 *  3. decode   read + decode the capture held in memory: the TS decoder
 *              (PacketRecord objects) and the WASM decoder (flat records).
 *  4. replay   whole replay() calls from the file: WASM with 1 and 2 worker
 *              threads and in the calling thread, and the reference engine;
 *              repeated, medians; end-to-end and loop (streaming + judging,
 *              without worker start-up) figures. Each run's verdict, reason
 *              and rule-hit counts must equal the reference engine's.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { compileTopology, type CompiledTable } from '../../src/compile/compile.js';
import { decisionLine } from '../../src/model/decision.js';
import type { Topology } from '../../src/model/topology.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { decodeFrame } from '../../src/pcap/decode.js';
import { CaptureReader, frameTime } from '../../src/pcap/reader.js';
import { REC } from '../../src/pcap/record-layout.js';
import { WasmDecoder } from '../../src/pcap/wasm.js';
import { replayReference, replayWasm, type JudgedPacket } from '../../src/replay/local.js';
import { replay, type ReplayResult } from '../../src/replay/replay.js';
import { WasmEngine } from '../../src/replay/wasm-engine.js';
import type { FixtureInfo } from '../report/schema.js';
import type { RunContext } from './context.js';
import { BenchError } from './errors.js';
import { captureLookups, checkLookups, referenceLookups } from './lookups.js';
import { durationFigure, repeatRuns, sizeFigure, throughputFigure } from './stats.js';
import { runMicro } from './tb.js';

export interface FixtureFile {
  name: string;
  capture: string;
  topology: string;
}

/** The fixture captures with their topologies, by name. */
export function listFixtures(root: string): FixtureFile[] {
  const dir = join(root, 'fixtures', 'captures');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.pcap(ng)?$/.test(f))
    .sort()
    .map((f) => {
      const name = f.replace(/\.pcap(ng)?$/, '');
      return { name, capture: join(dir, f), topology: join(dir, `${name}.topology.json`) };
    })
    .filter((f) => existsSync(f.topology));
}

/**
 * Items per tinybench sample, at least: fast tasks (the WASM matcher and
 * decoder, tens of millions per second) and slow ones (TS decode, reference
 * matcher). Below about a millisecond, timer resolution and call overhead
 * show in the samples.
 */
const MIN_FAST_ITEMS = 100_000;
const MIN_SLOW_ITEMS = 20_000;

function repsFor(items: number, min: number): number {
  return items > 0 ? Math.max(1, Math.ceil(min / items)) : 1;
}

/** Steps per fixture in the progress plan. */
export const FIXTURE_STEPS = 4;

/**
 * Compare two decision streams packet by packet; throws on the first
 * difference (or a length difference), naming the packet. Returns the count.
 */
export function assertSameDecisions(reference: Iterable<string>, wasm: Iterable<string>, label: string): number {
  const a = reference[Symbol.iterator]();
  const b = wasm[Symbol.iterator]();
  for (let i = 1; ; i++) {
    const x = a.next();
    const y = b.next();
    if (x.done && y.done) return i - 1;
    if (x.done || y.done) {
      throw new BenchError('SGF_BENCH_MISMATCH', `${label}: the ${x.done ? 'reference' : 'WASM'} engine stops after ${i - 1} packets, the other goes on`);
    }
    if (x.value !== y.value) {
      throw new BenchError('SGF_BENCH_MISMATCH', `${label}: packet ${i}: WASM and reference decisions differ\n  reference: ${x.value}\n  wasm:      ${y.value}`);
    }
  }
}

function* lines(stream: Iterable<JudgedPacket>): Generator<string> {
  for (const j of stream) yield decisionLine(j.n, j.tsText, j.decision);
}

/** What a replay decided, in counts (comparable across engines and worker counts). */
export function decisionCounts(r: ReplayResult): string {
  const reasons = Object.entries(r.reasons).filter(([, v]) => v > 0).sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify({ packets: r.packets, verdicts: r.verdicts, reasons, hits: r.rules.map((x) => x.hits) });
}

export async function runFixtures(ctx: RunContext): Promise<FixtureInfo[]> {
  const files = listFixtures(ctx.root);
  if (files.length === 0) throw new BenchError('SGF_BENCH_NO_FIXTURES', `${join(ctx.root, 'fixtures', 'captures')}: no capture with its NAME.topology.json`);
  const out: FixtureInfo[] = [];
  for (const f of files) out.push(await runFixture(ctx, f));
  return out;
}

async function runFixture(ctx: RunContext, f: FixtureFile): Promise<FixtureInfo> {
  const p = ctx.params.fixtures;
  const { progress, figures } = ctx;
  const id = (s: string) => `fixtures/${f.name}/${s}`;
  const base = (s: string, label: string, method: 'tinybench' | 'repeated-runs') => ({ id: id(s), section: 'fixtures' as const, subject: f.name, label, method });
  const topology: Topology = loadTopologyFile(f.topology).topology;
  const bytes = new Uint8Array(readFileSync(f.capture));
  const rel = relative(ctx.root, f.capture);

  // 1. verify
  progress.step(`fixtures ${f.name}: verify WASM == reference`);
  const compiled: CompiledTable = compileTopology(topology);
  const engine = new WasmEngine(topology, compiled);
  const packets = assertSameDecisions(lines(replayReference(topology, bytes, { file: rel })), lines(replayWasm(engine, bytes, { file: rel })), rel);
  if (packets === 0) throw new BenchError('SGF_BENCH_NO_FIXTURES', `${rel}: no packets`);
  const wasmMemoryBytes = engine.inst.memory.buffer.byteLength;

  // 2. classify (+ build)
  progress.step(`fixtures ${f.name}: classify`);
  const builds = await repeatRuns(p.builds, 1, () => {
    const t0 = performance.now();
    compileTopology(topology);
    return performance.now() - t0;
  });
  figures.push(durationFigure(base('build', 'table build', 'repeated-runs'), builds));
  figures.push(sizeFigure({ id: id('table-bytes'), section: 'fixtures', subject: f.name, label: 'table size' }, compiled.bytes.byteLength));
  const set = captureLookups(topology, bytes, { compiled, file: rel });
  const lookupsChecked = checkLookups(set, rel);
  const nLookups = set.lookups.length;
  const nRef = Math.min(nLookups, p.referenceLookups);
  if (nLookups > 0) {
    // Small captures are gone through several times per sample, so that a sample lasts milliseconds, not microseconds.
    const kW = repsFor(nLookups, MIN_FAST_ITEMS);
    const kR = repsFor(nRef, MIN_SLOW_ITEMS);
    const s = await runMicro(p, [
      { name: 'wasm', fn: () => { for (let k = 0; k < kW; k++) set.batch.run(set.table, 'optimized', nLookups); } },
      { name: 'reference', fn: () => { for (let k = 0; k < kR; k++) referenceLookups(set, nRef); } },
    ]);
    figures.push(throughputFigure({ ...base('classify/wasm', 'classify, WASM matcher', 'tinybench'), unit: 'lookups/s' }, nLookups * kW, s.get('wasm')!));
    figures.push(throughputFigure({ ...base('classify/reference', 'classify, reference', 'tinybench'), unit: 'lookups/s' }, nRef * kR, s.get('reference')!));
  }

  // 3. decode
  progress.step(`fixtures ${f.name}: decode`);
  const dec = new WasmDecoder(undefined, 4096);
  const framesPtr = dec.inst.copyIn(bytes, 64);
  let sink = 0;
  const kT = repsFor(packets, MIN_SLOW_ITEMS);
  const kD = repsFor(packets, MIN_FAST_ITEMS);
  const decoded = await runMicro(p, [
    {
      name: 'ts',
      fn: () => {
        for (let k = 0; k < kT; k++) {
          const r = new CaptureReader(bytes);
          for (const fr of r) {
            const t = frameTime(r.interfaces, fr.ifaceIndex, fr.tsA, fr.tsB);
            sink += decodeFrame(fr.linktype, fr.data, t.ts, t.tsText).sport ?? 0;
          }
        }
      },
    },
    {
      name: 'wasm',
      fn: () => {
        for (let k = 0; k < kD; k++) {
          dec.decodeInPlace(framesPtr, bytes.byteLength, (dv, count) => {
            sink += dv.getUint16((count - 1) * REC.SIZE + REC.SPORT, true);
          });
        }
      },
    },
  ]);
  if (sink === -1) progress.detail('');
  figures.push(throughputFigure({ ...base('decode/ts', 'read + decode, TS', 'tinybench'), unit: 'packets/s' }, packets * kT, decoded.get('ts')!));
  figures.push(throughputFigure({ ...base('decode/wasm', 'read + decode, WASM', 'tinybench'), unit: 'packets/s' }, packets * kD, decoded.get('wasm')!));

  // 4. replay
  progress.step(`fixtures ${f.name}: replay`);
  const refRuns = await timedReplays(ctx, f.name, topology, f.capture, 'reference', 0, compiled);
  const want = decisionCounts(refRuns[0]!);
  let summariesChecked = refRuns.length;
  const configs: [string, string, number][] = [['wasm-1w', 'WASM, 1 worker', 1], ['wasm-2w', 'WASM, 2 workers', 2], ['wasm-0w', 'WASM, in-thread', 0]];
  for (const [key, label, workers] of configs) {
    const runs = await timedReplays(ctx, f.name, topology, f.capture, 'wasm', workers, compiled);
    for (const r of runs) {
      if (decisionCounts(r) !== want) {
        throw new BenchError('SGF_BENCH_MISMATCH', `${rel}: replay with ${label} counts ${decisionCounts(r)}, the reference engine ${want}`);
      }
      summariesChecked++;
    }
    figures.push(throughputFigure({ ...base(`replay/${key}/e2e`, `replay, ${label}, end-to-end`, 'repeated-runs'), unit: 'packets/s' }, packets, runs.map((r) => r.seconds * 1000)));
    figures.push(throughputFigure({ ...base(`replay/${key}/loop`, `replay, ${label}, loop`, 'repeated-runs'), unit: 'packets/s' }, packets, runs.map((r) => r.loopSeconds! * 1000)));
  }
  figures.push(throughputFigure({ ...base('replay/reference/e2e', 'replay, reference engine, end-to-end', 'repeated-runs'), unit: 'packets/s' }, packets, refRuns.map((r) => r.seconds * 1000)));

  return {
    name: f.name,
    capture: rel,
    topology: relative(ctx.root, f.topology),
    format: refRuns[0]!.capture.format,
    packets,
    bytes: statSync(f.capture).size,
    cloud: topology.cloud,
    interfaces: topology.interfaces.length,
    rules: topology.securityGroups.reduce((n, g) => n + g.rules.length, 0),
    lookups: nLookups,
    tableBytes: compiled.bytes.byteLength,
    wasmMemoryBytes,
    verify: { packets, identical: true, lookupsChecked, summariesChecked },
  };
}

async function timedReplays(ctx: RunContext, name: string, topology: Topology, file: string, engine: 'wasm' | 'reference', workers: number, compiled: CompiledTable): Promise<ReplayResult[]> {
  const p = ctx.params.fixtures;
  const label = engine === 'reference' ? 'reference' : workers === 0 ? 'wasm in-thread' : `wasm ${workers}w`;
  return repeatRuns(p.repeat, p.warmup, async (i) => {
    const r = await replay(topology, file, { engine, workers, compiled });
    if (r.error) throw new BenchError('SGF_BENCH_REPLAY', `${file}: ${r.error.message}`);
    if (i >= p.warmup) ctx.progress.detail(`${name} ${label} run ${i - p.warmup + 1}/${p.repeat}: ${(r.packets / r.seconds / 1e6).toFixed(2)} Mpps`);
    return r;
  });
}
