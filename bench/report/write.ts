/**
 * Writing a run's reports: DIR/<date>-<host>.json (validated against the
 * schema first), .md and .html next to it. The date is the run's start in
 * UTC, to the second (2025-01-31T142501Z), so that runs never overwrite each
 * other; the host name is reduced to [A-Za-z0-9.-].
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Comparison } from './compare.js';
import { renderHtml } from './html.js';
import { validateReport, type BenchReport } from './schema.js';
import { BenchError } from '../harness/errors.js';
import { renderMarkdown } from './text.js';

export interface WrittenReports {
  json: string;
  md: string;
  html: string;
}

export function reportStem(r: BenchReport): string {
  const d = r.startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '');
  const host = r.env.hostname.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'host';
  return `${d}-${host}`;
}

/** The repository (dist/bench/report/ -> ../../..). */
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * The report with every absolute path inside the repository or in the
 * shared directory beside it (captures in the cache, the corpus in
 * ../shared) made relative to the repository, so a
 * committed report names no machine's directories: `.cache/gen/…/trace.pcap`,
 * `../shared/corpus/classbench`. Paths elsewhere are kept as given.
 */
export function portablePaths<T>(value: T, root = REPO_ROOT): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (!isAbsolute(v) || !/^\/[^\s]*$/.test(v)) return v;
      const rel = relative(root, v);
      // Inside the repository, or in the shared directory beside it (../shared/corpus); elsewhere as
      // given: a --out or --cache-dir the user chose, a temporary directory that happens to be the
      // repository's sibling (a clone in /tmp and a report in /tmp/x).
      const outside = rel === '..' || rel.startsWith('../');
      const shared = rel === '../shared' || rel.startsWith('../shared/');
      return outside && !shared ? v : rel || '.';
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/**
 * Write the three reports into `dir`. With `from` (an existing report's
 * path), only the .md and .html next to it are (re)written.
 */
export function writeReports(r: BenchReport, dir: string, comparison?: Comparison, from?: string): WrittenReports {
  validateReport(r, 'the report about to be written');
  mkdirSync(dir, { recursive: true });
  const stem = from ? from.replace(/\.json$/, '') : join(dir, reportStem(r));
  const files = { json: from ?? `${stem}.json`, md: `${stem}.md`, html: `${stem}.html` };
  if (!from) {
    // Indented, with arrays of numbers (the samples) kept on one line each.
    const json = JSON.stringify(portablePaths(r), null, 1).replace(/\[\s*-?\d[^[\]{}"]*\]/g, (m) => m.replace(/\s+/g, ''));
    writeAtomic(files.json, json + '\n');
  }
  writeAtomic(files.md, renderMarkdown(r, { json: basename(files.json), html: basename(files.html) }, comparison));
  writeAtomic(files.html, renderHtml(r, { json: basename(files.json), md: basename(files.md) }, comparison));
  return files;
}

/** Read and validate an earlier report (for --compare); errors name the file and the JSON path. */
export function readReport(path: string): BenchReport {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new BenchError('SGF_BENCH_BAD_REPORT', `${path}: cannot read the report (${err.code === 'ENOENT' ? 'no such file' : err.message})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new BenchError('SGF_BENCH_BAD_REPORT', `${path}: not JSON (${(e as Error).message})`);
  }
  return validateReport(doc, path);
}
