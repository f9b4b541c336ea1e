/**
 * Shared CLI plumbing: topology loading with printed issues, error exit.
 */
import { Option } from 'commander';
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
