/**
 * One benchmark run: the sections asked for, in order (fixtures, classbench,
 * replay, library, scaling, decode), then the memory figures, into one report that
 * passes the schema (report/schema.ts). Fixtures are verified before they
 * are timed, and every section checks WASM against the reference before it
 * times it: a disagreement throws BenchError('SGF_BENCH_MISMATCH') and no
 * report is produced.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPORT_SCHEMA, SECTIONS, validateReport, type BenchReport, type Figure, type Mode, type RunSection } from '../report/schema.js';
import { classbenchSets, runClassbench } from './classbench.js';
import { dpdkSteps, runDpdkSection } from './dpdk.js';
import type { RunContext } from './context.js';
import { ANALYSIS_STEPS, runAnalysis } from './analysis.js';
import { runDecode } from './decode.js';
import { environment, gitInfo } from './env.js';
import { FIXTURE_STEPS, listFixtures, runFixtures } from './fixtures.js';
import { MODE_PARAMS, type ModeParams } from './modes.js';
import { createProgress, type ProgressStyle } from './progress.js';
import { REPLAY_STEPS, runReplay } from './replay.js';
import { librarySteps, runLibrary } from './library.js';
import { SCALING_STEPS_PER_COUNT, runScaling } from './scaling.js';
import { sizeFigure } from './stats.js';

export interface BenchOptions {
  mode?: Mode;
  /** Sections to run (default all). */
  only?: RunSection[];
  /** The repository root (default: found from this file). */
  root?: string;
  /** Generated-capture cache (default .cache/gen or $SGFILTER_CACHE_DIR). */
  cacheDir?: string;
  /** The ClassBench directory; null: treat as absent; undefined: ../shared/corpus/classbench or $SGFILTER_CORPUS/classbench. */
  classbenchDir?: string | null;
  progress?: ProgressStyle;
  /** Recorded in the report's options. */
  compare?: string | null;
  /** Override mode parameters (tests). */
  params?: Partial<ModeParams>;
}

/** The repository root: dist/bench/harness -> ../../.. ; bench/harness (ts-node) -> ../.. */
export function repoRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../..', '../..']) {
    const r = join(here, up);
    if (existsSync(join(r, 'package.json')) && existsSync(join(r, 'fixtures'))) return r;
  }
  return join(here, '../../..');
}

export function defaultClassbenchDir(root: string): string | null {
  const corpus = process.env.SGFILTER_CORPUS ?? join(root, '..', 'shared', 'corpus');
  const dir = join(corpus, 'classbench');
  return existsSync(dir) ? dir : null;
}

function memoryNow(section: RunSection): NonNullable<BenchReport['memory']>['afterSection'][number] {
  const m = process.memoryUsage();
  return {
    section,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
    externalBytes: m.external,
    arrayBuffersBytes: m.arrayBuffers,
  };
}

export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const mode = options.mode ?? 'default';
  const sections = SECTIONS.filter((s) => !options.only || options.only.includes(s));
  const root = options.root ?? repoRoot();
  const params: ModeParams = { ...MODE_PARAMS[mode], ...options.params };
  const classbenchDir = options.classbenchDir === undefined ? defaultClassbenchDir(root) : options.classbenchDir;
  const started = new Date();
  const env = environment();
  const git = gitInfo(root);

  // The plan, for the progress display.
  const steps: Record<RunSection, number> = {
    fixtures: listFixtures(root).length * FIXTURE_STEPS,
    classbench: classbenchSets({ params, classbenchDir }).length,
    dpdk: dpdkSteps({ params, classbenchDir }),
    replay: REPLAY_STEPS,
    library: librarySteps(params.library),
    scaling: params.scaling.rules.length * SCALING_STEPS_PER_COUNT,
    decode: 1,
    analysis: ANALYSIS_STEPS,
  };
  const total = Math.max(1, sections.reduce((n, s) => n + steps[s], 0));
  const progress = createProgress(total, options.progress ?? 'lines');
  const figures: Figure[] = [];
  const ctx: RunContext = { params, progress, figures, notes: [], root, classbenchDir, ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}) };
  const report: Partial<BenchReport> = {};
  const afterSection: BenchReport['memory']['afterSection'] = [];
  try {
    for (const s of sections) {
      switch (s) {
        case 'fixtures':
          report.fixtures = await runFixtures(ctx);
          break;
        case 'classbench':
          report.classbench = await runClassbench(ctx);
          break;
        case 'dpdk':
          report.dpdk = await runDpdkSection(ctx);
          break;
        case 'replay':
          report.replay = await runReplay(ctx);
          break;
        case 'library':
          report.library = await runLibrary(ctx);
          break;
        case 'scaling':
          report.scaling = await runScaling(ctx);
          break;
        case 'decode':
          report.decode = await runDecode(ctx);
          break;
        case 'analysis':
          report.analysis = await runAnalysis(ctx);
          break;
      }
      const mem = memoryNow(s);
      afterSection.push(mem);
      figures.push(sizeFigure({ id: `memory/after-${s}/rss`, section: 'memory', subject: `after ${s}`, label: 'RSS' }, mem.rssBytes, 'memory'));
    }
  } finally {
    progress.done();
  }
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  figures.push(sizeFigure({ id: 'memory/max-rss', section: 'memory', subject: 'whole run', label: 'peak RSS' }, maxRssBytes, 'memory'));
  const finished = new Date();
  const parameters: Record<string, Record<string, number | string | boolean | number[] | string[]>> = {};
  for (const s of sections) parameters[s] = { ...params[s] };
  const full: BenchReport = {
    schema: REPORT_SCHEMA,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationSeconds: Math.round((finished.getTime() - started.getTime()) / 10) / 100,
    env,
    git,
    options: { mode, sections: [...sections], compare: options.compare ?? null, parameters },
    notes: ctx.notes,
    ...report,
    memory: { maxRssBytes, afterSection },
    figures,
  };
  return validateReport(JSON.parse(JSON.stringify(full)), 'the report of this run');
}
