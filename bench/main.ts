/**
 * `npm run bench` (node dist/bench/main.js): the benchmark harness.
 *
 *   npm run bench -- [--tiny | --full] [--only fixtures,classbench,replay,library,scaling,decode,analysis]
 *                    [--compare OLD.json [--noise-floor F]] [--out DIR] [--cache-dir DIR] [--quiet]
 *   npm run bench -- --from REPORT.json [--compare OLD.json]   (re-render, run nothing)
 *
 * Runs the sections (harness/run.ts), prints a table, writes
 * DIR/<date>-<host>.json, .md and .html (default DIR: bench/results), and
 * with --compare the change of every figure against an earlier report, with
 * the noise. Progress goes to stderr: a bar on a terminal, plain lines
 * otherwise; --quiet prints only the paths written.
 *
 * Exit codes: 0 done; 1 the run failed — a WASM/reference mismatch
 * (SGF_BENCH_MISMATCH) or another error, named on stderr; 2 a bad option or
 * an unreadable or invalid --compare report.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { listOption } from './cli.js';
import { BenchError } from './harness/errors.js';
import { progressStyle } from './harness/progress.js';
import { repoRoot, runBench } from './harness/run.js';
import { compareReports, type Comparison } from './report/compare.js';
import { SECTIONS, type BenchReport, type Mode, type RunSection } from './report/schema.js';
import { renderText } from './report/text.js';
import { readReport, writeReports, type WrittenReports } from './report/write.js';

export interface MainResult {
  report: BenchReport;
  files: WrittenReports;
  comparison?: Comparison;
}

function parseOnly(v: string): RunSection[] {
  return listOption(SECTIONS)(v) as RunSection[];
}

function parseFloor(v: string): number {
  const x = Number(v);
  if (!(x >= 0 && x < 10)) throw new InvalidArgumentError('expected a fraction such as 0.1 (10 %)');
  return x;
}

function program(): Command {
  return new Command('bench')
    .description('verify then benchmark sgfilter on the bundled fixtures, ClassBench sets, a generated 1M-packet replay and rule-count scaling; write JSON, Markdown and HTML reports')
    .addOption(new Option('--tiny', 'a few seconds of measuring (the smoke test)').conflicts('full'))
    .addOption(new Option('--full', 'measure longer (figures to publish)'))
    .option('--only <sections>', `run only these sections (${SECTIONS.join(',')})`, parseOnly)
    .option('--compare <old.json>', 'show the change of every figure against an earlier report, with the noise')
    .option('--noise-floor <fraction>', 'with --compare: the least noise assumed for a figure (e.g. 0.1 on a busy machine)', parseFloor, 0)
    .option('--out <dir>', 'where the reports go (default: bench/results in the repository)')
    .option('--cache-dir <dir>', 'generated-capture cache (default .cache/gen or $SGFILTER_CACHE_DIR)')
    .option('--quiet', 'no progress and no table; print only the paths written')
    .option('--from <report.json>', 'run nothing: print and re-render (.md, .html, next to it) an earlier report')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
}

/** Parse argv, run, write, print. Throws CommanderError (usage) or BenchError / other errors (the run). */
export async function main(argv: string[] = process.argv.slice(2)): Promise<MainResult> {
  const cmd = program();
  cmd.parse(argv, { from: 'user' });
  const o = cmd.opts<{ tiny?: boolean; full?: boolean; only?: RunSection[]; compare?: string; out?: string; cacheDir?: string; quiet?: boolean; from?: string; noiseFloor: number }>();
  const mode: Mode = o.tiny ? 'tiny' : o.full ? 'full' : 'default';
  const root = repoRoot();
  let old: BenchReport | undefined;
  if (o.compare) {
    try {
      old = readReport(resolve(o.compare));
    } catch (e) {
      throw new CommanderError(2, 'sgf.bench.compare', `error: --compare ${(e as Error).message}`);
    }
  }
  if (o.from) {
    let report: BenchReport;
    try {
      report = readReport(resolve(o.from));
    } catch (e) {
      throw new CommanderError(2, 'sgf.bench.compare', `error: --from ${(e as Error).message}`);
    }
    const comparison = old ? compareReports(old, report, o.compare!, { noiseFloor: o.noiseFloor }) : undefined;
    const files = writeReports(report, dirname(resolve(o.from)), comparison, resolve(o.from));
    if (!o.quiet) process.stdout.write(renderText(report, comparison) + '\n');
    process.stdout.write(`wrote ${files.md}\nwrote ${files.html}\n`);
    return { report, files, ...(comparison ? { comparison } : {}) };
  }
  const report = await runBench({
    mode,
    ...(o.only ? { only: o.only } : {}),
    root,
    ...(o.cacheDir ? { cacheDir: resolve(o.cacheDir) } : {}),
    progress: progressStyle({ quiet: o.quiet === true }),
    compare: o.compare ?? null,
  });
  const comparison = old ? compareReports(old, report, o.compare!, { noiseFloor: o.noiseFloor }) : undefined;
  const files = writeReports(report, o.out ? resolve(o.out) : join(root, 'bench', 'results'), comparison);
  if (!o.quiet) process.stdout.write(renderText(report, comparison) + '\n');
  process.stdout.write(`wrote ${files.json}\nwrote ${files.md}\nwrote ${files.html}\n`);
  return { report, files, ...(comparison ? { comparison } : {}) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await main();
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') process.exit(0);
      if (e.code === 'sgf.bench.compare') process.stderr.write(e.message + '\n');
      process.exit(2);
    }
    const what = e instanceof BenchError ? `${e.code}: ${e.message}` : ((e as Error).stack ?? String(e));
    process.stderr.write(`\nbench failed: ${what}\n`);
    if (e instanceof BenchError && e.code === 'SGF_BENCH_MISMATCH') process.stderr.write('The WASM engine disagrees with the reference evaluator: no figure of this run can be trusted; nothing was written.\n');
    process.exit(1);
  }
}
