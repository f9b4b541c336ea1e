/**
 * `sgfilter check TOPOLOGY`: validation errors and the clouds' limits
 * (SEMANTICS §7). Exit 1 when there is any error, 0 with warnings only.
 */
import type { Command } from 'commander';
import { lintLimits } from '../lint/limits.js';
import { formatIssue, TopologyError, type Issue } from '../parse/issues.js';
import { loadTopologyFile } from '../parse/load.js';
import { formatOption, groupTypeOption, loadOptionsOf, tfDirOption, type TopologyCliOptions } from './common.js';

export interface CheckReport {
  file: string;
  format?: string;
  cloud?: string;
  counts?: { securityGroups: number; rules: number; addressGroups: number; interfaces: number };
  errors: number;
  warnings: number;
  issues: Issue[];
}

export function checkTopologyFile(file: string, options: TopologyCliOptions = {}): CheckReport {
  try {
    const r = loadTopologyFile(file, loadOptionsOf(options));
    const t = r.topology;
    const issues = [...r.issues, ...lintLimits(t).map((i) => (r.relocate ? r.relocate(i) : i))];
    return {
      file,
      format: r.format,
      cloud: t.cloud,
      counts: {
        securityGroups: t.securityGroups.length,
        rules: t.securityGroups.reduce((n, g) => n + g.rules.length, 0),
        addressGroups: t.addressGroups.length,
        interfaces: t.interfaces.length,
      },
      errors: issues.filter((i) => i.severity === 'error').length,
      warnings: issues.filter((i) => i.severity === 'warning').length,
      issues,
    };
  } catch (e) {
    if (!(e instanceof TopologyError)) throw e;
    return {
      file,
      errors: e.issues.filter((i) => i.severity === 'error').length,
      warnings: e.issues.filter((i) => i.severity === 'warning').length,
      issues: e.issues,
    };
  }
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('validate a topology and lint it against the clouds\' limits; exit 1 on errors, 0 with warnings only')
    .argument('<topology>', 'topology file (native JSON, Alibaba or Huawei export, ClassBench filters, terraform show -json output; - for stdin)')
    .addOption(formatOption())
    .addOption(groupTypeOption())
    .addOption(tfDirOption())
    .option('--json', 'print the report as JSON')
    .action((file: string, opts: TopologyCliOptions & { json?: boolean }) => {
      const report = checkTopologyFile(file, opts);
      if (opts.json) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      } else {
        for (const issue of report.issues) process.stdout.write(formatIssue(issue, file) + '\n');
        const c = report.counts;
        const summary = c
          ? `${file}: ${report.format} (${report.cloud}), ${c.securityGroups} security group(s), ${c.rules} rule(s), ${c.addressGroups} address group(s), ${c.interfaces} interface(s)`
          : `${file}: not loaded`;
        process.stdout.write(`${summary}: ${report.errors} error(s), ${report.warnings} warning(s)\n`);
      }
      process.exitCode = report.errors > 0 ? 1 : 0;
    });
}
