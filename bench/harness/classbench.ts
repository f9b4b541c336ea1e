/**
 * The ClassBench sets of ../shared/corpus/classbench (bench/classify/main.ts
 * does the work: every matcher is checked against the trace's oracle column
 * before it is timed). Figures: lookups/s of the reference, the WASM linear
 * scan and the WASM optimized matcher, build time and table size; the native
 * peers' quoted figures go into the section's description, not into figures
 * (they were not measured here).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PEERS, runClassifyBench } from '../classify/main.js';
import type { ClassbenchInfo } from '../report/schema.js';
import type { RunContext } from './context.js';
import { durationFigure, sizeFigure, throughputFigure } from './stats.js';

/** The sets of this mode that exist in the corpus. */
export function classbenchSets(ctx: Pick<RunContext, 'params' | 'classbenchDir'>): string[] {
  const dir = ctx.classbenchDir;
  if (!dir) return [];
  return ctx.params.classbench.sets.filter((s) => existsSync(join(dir, `${s}.rules`)) && existsSync(join(dir, `${s}.trace`)));
}

export async function runClassbench(ctx: RunContext): Promise<ClassbenchInfo> {
  const dir = ctx.classbenchDir;
  if (!dir) {
    const note = 'classbench: skipped, the ClassBench corpus (../shared/corpus/classbench) is not there; set SGFILTER_CORPUS to the corpus directory to include it';
    ctx.notes.push(note);
    ctx.progress.note(note);
    return { status: 'absent', dir: null, sets: [] };
  }
  const sets = classbenchSets(ctx);
  const missing = ctx.params.classbench.sets.filter((s) => !sets.includes(s));
  if (missing.length) {
    const note = `classbench: ${missing.join(', ')} not in ${dir}; skipped`;
    ctx.notes.push(note);
    ctx.progress.note(note);
  }
  const p = ctx.params.classbench;
  const rep = sets.length
    ? await runClassifyBench({ sets, dir, timeMs: p.timeMs, warmupMs: p.warmupMs, iterations: p.iterations, builds: p.builds, minOptimizedLookups: 100_000, onSet: (s) => ctx.progress.step(`classbench ${s}`) })
    : { sets: [] };
  const info: ClassbenchInfo = { status: 'ran', dir, sets: [] };
  for (const s of rep.sets) {
    const base = (key: string, label: string) => ({ id: `classbench/${s.set}/${key}`, section: 'classbench' as const, subject: s.set, label, method: 'tinybench' as const, unit: 'lookups/s' as const });
    ctx.figures.push(throughputFigure(base('reference', 'classify, reference'), s.reference.packets, s.reference.samplesMs));
    ctx.figures.push(throughputFigure(base('linear', 'classify, WASM linear scan'), s.linear.packets, s.linear.samplesMs));
    ctx.figures.push(throughputFigure(base('optimized', 'classify, WASM matcher'), s.optimized.packets, s.optimized.samplesMs));
    ctx.figures.push(durationFigure({ id: `classbench/${s.set}/build`, section: 'classbench', subject: s.set, label: 'table build', method: 'repeated-runs' }, s.buildSamplesMs));
    ctx.figures.push(sizeFigure({ id: `classbench/${s.set}/table-bytes`, section: 'classbench', subject: s.set, label: 'table size' }, s.tableBytes));
    const peer = PEERS[s.set] ?? {};
    info.sets.push({
      set: s.set,
      rules: s.rules,
      tracePackets: s.tracePackets,
      tableBytes: s.tableBytes,
      peers: { ...(peer.tupleMerge !== undefined ? { tupleMerge: peer.tupleMerge } : {}), ...(peer.hyperSplit !== undefined ? { hyperSplit: peer.hyperSplit } : {}) },
      packets: { reference: s.reference.packets, linear: s.linear.packets, optimized: s.optimized.packets },
    });
  }
  return info;
}
