/**
 * Shared CLI plumbing: topology loading with printed issues, error exit.
 */
import { InvalidArgumentError, Option } from 'commander';
import { formatIssue, TopologyError, type Issue } from '../parse/issues.js';
import { loadTopologyFile, TOPOLOGY_FORMATS, type LoadResult, type TopologyFormat } from '../parse/load.js';

export function formatOption(): Option {
  return new Option('--format <format>', 'topology format (default: detected)').choices([...TOPOLOGY_FORMATS]);
}

export function groupTypeOption(): Option {
  return new Option('--group-type <type>', 'Alibaba imports: type of groups the export does not describe').choices(['basic', 'advanced']);
}

export function tfDirOption(): Option {
  return new Option('--tf-dir <dir>', "Terraform imports: the root module's .tf directory, so issues name the file and line of each resource block");
}

export interface TopologyCliOptions {
  format?: TopologyFormat;
  groupType?: 'basic' | 'advanced';
  tfDir?: string;
}

/** LoadOptions from the CLI options. */
export function loadOptionsOf(options: TopologyCliOptions): { format?: TopologyFormat; groupType?: 'basic' | 'advanced'; tfDir?: string } {
  return { ...(options.format ? { format: options.format } : {}), ...(options.groupType ? { groupType: options.groupType } : {}), ...(options.tfDir ? { tfDir: options.tfDir } : {}) };
}

/** Print issues to stderr, one per line, prefixed with the file. */
export function printIssues(file: string, issues: Issue[], out: (line: string) => void = (l) => process.stderr.write(l + '\n')): void {
  for (const issue of issues) out(formatIssue(issue, file));
}

/**
 * Load a topology for a command that needs one: warnings go to stderr, errors
 * end the process with exit code 1 (after printing every one).
 */
export function loadForCommand(file: string, options: TopologyCliOptions, quietWarnings = false): LoadResult {
  try {
    const r = loadTopologyFile(file, loadOptionsOf(options));
    if (!quietWarnings) printIssues(file, r.issues);
    return r;
  } catch (e) {
    if (e instanceof TopologyError) {
      printIssues(file, e.issues);
      const n = e.issues.filter((i) => i.severity === 'error').length;
      process.stderr.write(`${file}: ${n} error(s); nothing loaded\n`);
      process.exit(1);
    }
    throw e;
  }
}

/** Print a one-line error and exit with `code`. */
export function die(message: string, code = 2): never {
  process.stderr.write(`sgfilter: ${message}\n`);
  process.exit(code);
}

// ---------------------------------------------------------------------------
// Option values: the one set of parsers every command uses. Each check has a
// `parse…` form returning the value or the "expected …" text, a commander
// `argParser` form (`…Option`: a refusal becomes "error: option '--x <n>'
// argument 'v' is invalid. <expected>", exit 1) and, for integers, an
// in-action form (`intValue`: "sgfilter: --x <expected>", exit 2).

/**
 * The one integer-option parser of every command: decimal digits only (a
 * leading minus only when `min` < 0), a safe integer within `min..max`;
 * anything else ("abc", "1e12", "0x10", "1.5", " 7", "", out of range) is
 * refused with what was expected. `intOption` is its commander `argParser`
 * form (gen); `intValue` its form inside an action (exit 2, like every usage
 * error of replay, decode and classify).
 */
export function parseIntOption(value: string, min: number, max: number): number | string {
  const expected = `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`;
  if (!(min < 0 ? /^-?\d{1,20}$/ : /^\d{1,20}$/).test(value)) return expected;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) return expected;
  return n;
}

export function intOption(min: number, max: number = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return argParser((value) => parseIntOption(value, min, max));
}

/** `--name VALUE` inside an action: the integer, or exit 2 with the message. */
export function intValue(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const r = parseIntOption(value, min, max);
  if (typeof r === 'string') die(`--${name} ${r}`);
  return r;
}

/**
 * `--shard-set K/N`: part K of N, K counted from 0 (0..N-1, so a Kubernetes
 * Indexed Job's JOB_COMPLETION_INDEX is K as it is), N from 1 to `maxCount`
 * (the shard count: a part owns at least one shard).
 */
export function parseShardSetOption(value: string, maxCount = 32): { index: number; count: number } | string {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(value);
  const got = JSON.stringify(value);
  if (!m) {
    const hint = /^\/\d+$/.test(value) ? ' (K is empty: is JOB_COMPLETION_INDEX set?)' : '';
    return `expected K/N (part K of N, K from 0 to N-1), got ${got}${hint}`;
  }
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > maxCount) return `N must be from 1 to the number of shards (${maxCount}; raise --shards, at most 32, for more parts), got ${got}`;
  if (index >= count) return `K must be from 0 to N-1 (0..${count - 1}: K counts from 0, like JOB_COMPLETION_INDEX), got ${got}`;
  return { index, count };
}

/** A share (a fraction of flows, rules…): a number within 0..1. */
export function parseShareOption(value: string): number | string {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) return 'expected a share within 0..1 (e.g. 0.05)';
  return n;
}

/** A positive finite number (a mean, a gap in µs…). */
export function parsePositiveOption(value: string): number | string {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) return 'expected a positive number';
  return n;
}

function argParser(parse: (value: string) => number | string): (value: string) => number {
  return (value: string): number => {
    const r = parse(value);
    if (typeof r === 'string') throw new InvalidArgumentError(r + '.');
    return r;
  };
}

/** `parseShareOption` as a commander `argParser`. */
export const shareOption = (): ((value: string) => number) => argParser(parseShareOption);
/** `parsePositiveOption` as a commander `argParser`. */
export const positiveOption = (): ((value: string) => number) => argParser(parsePositiveOption);
