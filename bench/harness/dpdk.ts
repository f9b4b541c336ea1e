/**
 * The DPDK section: sgfilter's WASM matcher against DPDK's rte_acl
 * on the same ClassBench sets and their IPv6 variants, the same statistic on
 * both sides (bench/classify/dpdk.ts does the work and checks every packet of
 * both against the oracle first). Figures per set and family: lookups/s of
 * sgfilter and of every DPDK algorithm the CPU has (samples: ms per warm
 * pass), their cold first passes, table and DPDK memory sizes, build times.
 * Without DPDK (libdpdk, a C compiler) the section records status "not-installed" and says
 * how to install it; the sgfilter side is not run then (the classbench
 * section has it).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dpdkInstalled, INSTALL_HINT, runDpdkSideBySide } from '../classify/dpdk.js';
import type { DpdkInfo } from '../report/schema.js';
import type { RunContext } from './context.js';
import { durationFigure, sizeFigure, throughputFigure } from './stats.js';

function sets(ctx: Pick<RunContext, 'params' | 'classbenchDir'>): string[] {
  const dir = ctx.classbenchDir;
  if (!dir) return [];
  return ctx.params.dpdk.sets.filter((s) => existsSync(join(dir, `${s}.rules`)) && existsSync(join(dir, `${s}.trace`)));
}

export function dpdkSteps(ctx: Pick<RunContext, 'params' | 'classbenchDir'>): number {
  return Math.max(1, sets(ctx).length * ctx.params.dpdk.families.length);
}

export async function runDpdkSection(ctx: RunContext): Promise<DpdkInfo> {
  const p = ctx.params.dpdk;
  const base = { note: '', passesMin: p.passes, warmup: p.warmup, repeats: p.repeats, algorithms: p.algs, unavailable: [], sets: [], geomean: {} };
  if (!ctx.classbenchDir) {
    const note = 'dpdk: skipped, the ClassBench corpus (../shared/corpus/classbench) is not there';
    ctx.notes.push(note);
    ctx.progress.note(note);
    return { ...base, status: 'absent', note };
  }
  if (!dpdkInstalled()) {
    const note = `dpdk: skipped, ${INSTALL_HINT}`;
    ctx.notes.push(note);
    ctx.progress.note(note);
    return { ...base, status: 'not-installed', note: INSTALL_HINT };
  }
  const rep = await runDpdkSideBySide({
    sets: sets(ctx), dir: ctx.classbenchDir, algs: p.algs, families: p.families.map((f) => (f === 6 ? 6 : 4)),
    passes: p.passes, minLookups: p.minLookups, warmup: p.warmup, repeats: p.repeats, onStep: (s) => ctx.progress.step(s),
    ...(p.system === false ? { pin: false, huge: false } : {}),
  });
  if (rep.note) {
    ctx.notes.push(`dpdk: ${rep.note}`);
    ctx.progress.note(`dpdk: ${rep.note}`);
  }
  const unavailable = new Set<string>();
  const info: DpdkInfo = { ...base, status: 'ran', note: rep.note, unavailable: [], geomean: rep.geomean, sets: [] };
  for (const r of rep.results) {
    const subject = `${r.set} IPv${r.family}`;
    const id = (k: string) => `dpdk/${r.set}/v${r.family}/${k}`;
    info.sets.push({ set: r.set, family: r.family, rules: r.rules, packets: r.packets, passes: rep.passesBySet[`${r.set}/IPv${r.family}`]! });
    const push = (who: string, label: string, t: { warmSamplesMs: number[]; coldSamplesMs: number[]; buildMs: number }, bytes: number) => {
      ctx.figures.push(throughputFigure({ id: id(who), section: 'dpdk', subject, label: `${label}, warm pass`, method: 'repeated-runs', unit: 'lookups/s' }, r.packets, t.warmSamplesMs));
      ctx.figures.push(durationFigure({ id: id(`${who}/cold`), section: 'dpdk', subject, label: `${label}, cold first pass`, method: 'repeated-runs' }, t.coldSamplesMs));
      ctx.figures.push(durationFigure({ id: id(`${who}/build`), section: 'dpdk', subject, label: `${label}, build`, method: 'repeated-runs' }, [t.buildMs]));
      ctx.figures.push(sizeFigure({ id: id(`${who}/bytes`), section: 'dpdk', subject, label: `${label}, table memory` }, bytes));
    };
    push('sgfilter', 'sgfilter', r.sgfilter, r.sgfilter.tableBytes);
    for (const [alg, d] of Object.entries(r.dpdk)) {
      if (!d) continue;
      if ('unavailable' in d) { unavailable.add(`${alg}: ${d.unavailable}`); continue; }
      push(alg, `DPDK ${alg}`, d, Math.max(1, d.memoryBytes));
    }
  }
  info.unavailable = [...unavailable];
  return info;
}
