/**
 * `--output text|json|sarif|github|junit` and `--fail-on error|warning|never`
 * for the commands that report findings (check, exposure, diff). Exit codes:
 * src/analysis/report.ts.
 */
import { Option } from 'commander';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Finding } from '../analysis/findings.js';
import { Locator } from '../analysis/locate.js';
import {
  exitCodeFor,
  FAIL_ON,
  findingsJunit,
  githubAnnotations,
  OUTPUT_FORMATS,
  sarifLog,
  type FailOn,
  type OutputFormat,
  type RuleDescriptions,
} from '../analysis/report.js';
import type { TopologyFormat } from '../parse/load.js';

export function outputOption(): Option {
  return new Option('--output <format>', 'report format (--format names the input format)').choices([...OUTPUT_FORMATS]).default('text');
}

export function failOnOption(): Option {
  return new Option('--fail-on <level>', 'exit 1 when a finding is at or above this level').choices([...FAIL_ON]).default('error');
}

export interface OutputCliOptions {
  output?: OutputFormat;
  failOn?: FailOn;
}

export function toolVersion(): string {
  const pkg = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Fill line/column of findings whose path is a native model path (`native`) or an original-document path. */
export function locateFindings(file: string, format: TopologyFormat | undefined, findings: Finding[], native: (f: Finding) => boolean, groupType?: 'basic' | 'advanced'): void {
  const loc = new Locator(file, format, groupType);
  for (const f of findings) {
    if (native(f) && f.path) f.path = loc.originalPath(f.path);
    const p = loc.positionOf(f.path);
    if (p) { f.line = p.line; f.column = p.column; }
  }
}

/**
 * Print findings in a machine format (sarif, github, junit) and return the
 * exit code; text and json are the command's own.
 */
export function emitMachine(command: string, file: string, findings: readonly Finding[], opts: OutputCliOptions, extraRules: RuleDescriptions = {}): void {
  const failOn = opts.failOn ?? 'error';
  switch (opts.output) {
    case 'sarif':
      process.stdout.write(JSON.stringify(sarifLog(file, findings, toolVersion(), extraRules), null, 2) + '\n');
      break;
    case 'github':
      process.stdout.write(githubAnnotations(file, findings));
      break;
    case 'junit':
      process.stdout.write(findingsJunit(command, file, findings, failOn));
      break;
    default:
      break;
  }
  process.exitCode = exitCodeFor(findings, failOn);
}
