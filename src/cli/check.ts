/**
 * `sgfilter check TOPOLOGY`: validation errors, the clouds' limits and the
 * rule anomalies (SEMANTICS §7). Exit 1 when there is a finding at or above
 * --fail-on (default: error; a file that does not load is an error finding),
 * 0 otherwise (docs/analysis.md).
 */
import type { Command } from 'commander';
import { analyzeTopology, type HopAnalysis } from '../analysis/anomalies.js';
import { anomalyFindings, issueFinding, type Finding } from '../analysis/findings.js';
import { countLevels } from '../analysis/report.js';
import { lintLimits } from '../lint/limits.js';
import { formatIssue, TopologyError, type Issue } from '../parse/issues.js';
import { loadTopologyFile } from '../parse/load.js';
import { formatOption, groupTypeOption, loadOptionsOf, tfDirOption, type TopologyCliOptions } from './common.js';
import { emitMachine, failOnOption, locateFindings, outputOption, type OutputCliOptions } from './output.js';

export interface CheckReport {
  file: string;
  format?: string;
  cloud?: string;
  counts?: { securityGroups: number; rules: number; addressGroups: number; interfaces: number };
  errors: number;
  warnings: number;
  notes?: number;
  issues: Issue[];
  /** Every issue and anomaly, located in the file (SEMANTICS §7). */
  findings?: Finding[];
  /** Per interface and direction, every rule's status with its witness or covering rules. */
  analysis?: HopAnalysis[];
}

export function checkTopologyFile(file: string, options: TopologyCliOptions & { analysis?: boolean } = {}): CheckReport {
  try {
    const r = loadTopologyFile(file, loadOptionsOf(options));
    const t = r.topology;
    const issues = [...r.issues, ...lintLimits(t).map((i) => (r.relocate ? r.relocate(i) : i))];
    const analysis = options.analysis === false ? [] : analyzeTopology(t);
    const anomalies = anomalyFindings(t, analysis);
    if (r.relocate) {
      // Terraform: point each anomaly at its resource (address, attribute path, .tf line).
      for (const f of anomalies) {
        const m = r.relocate({ severity: f.level === 'error' ? 'error' : 'warning', path: f.path, message: f.message, code: f.code });
        f.path = m.path;
        f.message = m.message;
        if (m.source) f.source = m.source;
      }
    }
    const findings = [...issues.map(issueFinding), ...anomalies];
    locateFindings(file, r.format, findings, (f) => anomalies.includes(f), options.groupType);
    const levels = countLevels(findings);
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
      errors: levels.error,
      warnings: levels.warning,
      notes: levels.note,
      issues,
      findings,
      analysis,
    };
  } catch (e) {
    if (!(e instanceof TopologyError)) throw e;
    return {
      file,
      errors: e.issues.filter((i) => i.severity === 'error').length,
      warnings: e.issues.filter((i) => i.severity === 'warning').length,
      issues: e.issues,
      findings: e.issues.map(issueFinding),
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
    .option('--json', 'print the report as JSON (= --output json)')
    .addOption(outputOption())
    .addOption(failOnOption())
    .option('--no-analysis', 'skip the rule anomaly analysis (shadowed, redundant, … rules)')
    .action((file: string, opts: TopologyCliOptions & OutputCliOptions & { json?: boolean; analysis?: boolean }) => {
      const report = checkTopologyFile(file, opts);
      const findings = report.findings ?? [];
      if (opts.json) opts.output = 'json';
      if (opts.output !== 'text' && opts.output !== 'json') {
        emitMachine('check', file, findings, opts);
        return;
      }
      if (opts.output === 'json') {
        process.stdout.write(JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
      } else {
        for (const issue of report.issues) process.stdout.write(formatIssue(issue, file) + '\n');
        for (const f of findings.slice(report.issues.length)) {
          process.stdout.write(`${file}${f.line !== undefined ? `:${f.line}:${f.column ?? 1}` : ''}: ${f.path}: ${f.level}: ${f.message} [${f.code}]\n`);
        }
        const c = report.counts;
        const summary = c
          ? `${file}: ${report.format} (${report.cloud}), ${c.securityGroups} security group(s), ${c.rules} rule(s), ${c.addressGroups} address group(s), ${c.interfaces} interface(s)`
          : `${file}: not loaded`;
        process.stdout.write(`${summary}: ${report.errors} error(s), ${report.warnings} warning(s)${report.notes ? `, ${report.notes} note(s)` : ''}\n`);
      }
      emitMachine('check', file, findings, opts);
    });
}
