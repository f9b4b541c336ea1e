/**
 * Rule-count scaling: generated aliyun-basic topologies (12 interfaces, 2
 * groups each) with 10, 100, 1K and 10K rules per interface — rules per group
 * = target / 2, `stress` past the cloud's limits (200 per group, 1000 per
 * interface) — each with generated traffic leaning on the rules (10 packets
 * per flow, 10 % denied, 5 % scans), cached like every generated capture.
 * At each count: table build time and size, the WASM engine's replay with 1
 * worker (end-to-end and loop), and classify only (lookups.ts): the WASM
 * matcher over the capture's lookups and the reference first match over a
 * prefix sized so that a sample costs about the same at every count. The
 * WASM matcher is checked against the reference on every lookup timed by
 * the reference.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { compileTopology } from '../../src/compile/compile.js';
import { ensureGenerated, type GenSpec } from '../../src/gen/index.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { replay } from '../../src/replay/replay.js';
import type { ScalingInfo } from '../report/schema.js';
import type { RunContext } from './context.js';
import { BenchError } from './errors.js';
import { captureLookups, checkLookups, referenceLookups } from './lookups.js';
import { durationFigure, repeatRuns, sizeFigure, throughputFigure } from './stats.js';
import { runMicro } from './tb.js';

export const SCALING_STEPS_PER_COUNT = 3;
const INTERFACES = 12;
const GROUPS_PER_INTERFACE = 2;
/** The classify-only lookups taken from each capture (the first ones). */
const MAX_LOOKUPS = 200_000;

export function scalingSpec(target: number, packets: number): GenSpec {
  const rulesPerGroup = Math.max(1, Math.round(target / GROUPS_PER_INTERFACE));
  return {
    topology: { seed: 7, cloud: 'aliyun-basic', interfaces: INTERFACES, groupsPerInterface: GROUPS_PER_INTERFACE, rulesPerGroup, stress: rulesPerGroup > 200 || target > 1000 },
    traffic: { seed: 7, packets, packetsPerFlow: 10, deniedShare: 0.1, scanShare: 0.05, payloadMax: 64 },
    format: 'pcap',
  };
}

export async function runScaling(ctx: RunContext): Promise<ScalingInfo> {
  const p = ctx.params.scaling;
  const out: ScalingInfo = [];
  for (const target of p.rules) {
    const subject = `${target.toLocaleString('en-US')} rules/interface`;
    const id = (s: string) => `scaling/${target}/${s}`;
    ctx.progress.step(`scaling ${subject}: generate, build`);
    const spec = scalingSpec(target, p.packets);
    const gen = ensureGenerated(spec, ctx.cacheDir ? { cacheDir: ctx.cacheDir } : {});
    const topology = loadTopologyFile(gen.topologyPath).topology;
    const builds = await repeatRuns(p.builds, 1, () => {
      const t0 = performance.now();
      compileTopology(topology);
      return performance.now() - t0;
    });
    const compiled = compileTopology(topology);
    ctx.figures.push(durationFigure({ id: id('build'), section: 'scaling', subject, label: 'table build', method: 'repeated-runs' }, builds));
    ctx.figures.push(sizeFigure({ id: id('table-bytes'), section: 'scaling', subject, label: 'table size' }, compiled.bytes.byteLength));
    const perIface = new Map<string, number>();
    const table = compiled.meta;
    // Rules an interface's lists hold (ingress + egress), via the lists' group sequences.
    for (const iface of topology.interfaces) {
      let n = 0;
      for (const l of table.lists) if (l.groups.join('\u0000') === iface.groups.join('\u0000')) n += l.rules.length;
      perIface.set(iface.id, n);
    }
    const rulesPerInterface = [...perIface.values()].reduce((a, b) => a + b, 0) / Math.max(1, perIface.size);

    ctx.progress.step(`scaling ${subject}: replay`);
    const runs = await repeatRuns(p.repeat, p.warmup, async (i) => {
      const r = await replay(topology, gen.capturePath, { workers: 1, compiled });
      if (r.error) throw new BenchError('SGF_BENCH_REPLAY', `${gen.capturePath}: ${r.error.message}`);
      if (i >= p.warmup) ctx.progress.detail(`run ${i - p.warmup + 1}/${p.repeat}: ${(r.packets / r.seconds / 1e6).toFixed(2)} Mpps`);
      return r;
    });
    const packets = runs[0]!.packets;
    const rbase = { section: 'scaling' as const, subject, method: 'repeated-runs' as const, unit: 'packets/s' as const };
    ctx.figures.push(throughputFigure({ ...rbase, id: id('replay-1w/e2e'), label: 'replay, WASM, 1 worker, end-to-end' }, packets, runs.map((r) => r.seconds * 1000)));
    ctx.figures.push(throughputFigure({ ...rbase, id: id('replay-1w/loop'), label: 'replay, WASM, 1 worker, loop' }, packets, runs.map((r) => r.loopSeconds! * 1000)));

    ctx.progress.step(`scaling ${subject}: classify`);
    const set = captureLookups(topology, new Uint8Array(readFileSync(gen.capturePath)), { compiled, max: MAX_LOOKUPS });
    const n = set.lookups.length;
    if (n === 0) throw new BenchError('SGF_BENCH_REPLAY', `${gen.capturePath}: no rule lookups in the generated capture`);
    const nRef = Math.min(n, Math.max(100, Math.min(2000, Math.round(p.referenceBudget / Math.max(1, rulesPerInterface)))));
    checkLookups({ ...set, lookups: set.lookups.slice(0, nRef) }, `${relative(ctx.root, gen.capturePath)} (${subject})`);
    const s = await runMicro(p, [
      { name: 'wasm', fn: () => set.batch.run(set.table, 'optimized', n) },
      { name: 'reference', fn: () => referenceLookups(set, nRef) },
    ]);
    const cbase = { section: 'scaling' as const, subject, method: 'tinybench' as const, unit: 'lookups/s' as const };
    ctx.figures.push(throughputFigure({ ...cbase, id: id('classify/wasm'), label: 'classify, WASM matcher' }, n, s.get('wasm')!));
    ctx.figures.push(throughputFigure({ ...cbase, id: id('classify/reference'), label: 'classify, reference' }, nRef, s.get('reference')!));

    out.push({
      target,
      rulesPerInterface,
      interfaces: topology.interfaces.length,
      groupsPerInterface: GROUPS_PER_INTERFACE,
      rulesPerGroup: (spec.topology as { rulesPerGroup: number }).rulesPerGroup,
      lists: compiled.meta.lists.length,
      tableBytes: compiled.bytes.byteLength,
      packets,
      lookups: n,
      referenceLookups: nRef,
      capture: gen.capturePath,
    });
  }
  return out;
}
