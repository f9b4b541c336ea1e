/**
 * Findings for CI: SARIF 2.1.0, GitHub workflow annotations, JUnit XML, and
 * the exit code of `--fail-on`.
 *
 * Exit codes (every command that takes --fail-on): 0 nothing at or above the
 * --fail-on level; 1 some finding at or above it (or, for `assert`, a case
 * failed); 2 the command could not run (bad option, unreadable or invalid
 * input).
 */
import type { Finding, FindingLevel } from './findings.js';
import { ANOMALY_RULES } from './findings.js';

export const OUTPUT_FORMATS = ['text', 'json', 'sarif', 'github', 'junit'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
export const FAIL_ON = ['error', 'warning', 'never'] as const;
export type FailOn = (typeof FAIL_ON)[number];

const RANK: Record<FindingLevel, number> = { error: 2, warning: 1, note: 0 };

/** 1 when some finding is at or above `failOn`, else 0. */
export function exitCodeFor(findings: readonly Finding[], failOn: FailOn): 0 | 1 {
  if (failOn === 'never') return 0;
  const min = failOn === 'error' ? 2 : 1;
  return findings.some((f) => RANK[f.level] >= min) ? 1 : 0;
}

export function countLevels(findings: readonly Finding[]): Record<FindingLevel, number> {
  const out: Record<FindingLevel, number> = { error: 0, warning: 0, note: 0 };
  for (const f of findings) out[f.level]++;
  return out;
}

/** Extra rule descriptions a command contributes (exposure, diff). */
export type RuleDescriptions = Record<string, { level: FindingLevel; description: string }>;

/** A SARIF 2.1.0 log with one run. Rule ids are the findings' stable codes. */
export function sarifLog(file: string, findings: readonly Finding[], version: string, extraRules: RuleDescriptions = {}): object {
  const known: RuleDescriptions = { ...ANOMALY_RULES, ...extraRules };
  const ids = [...new Set(findings.map((f) => f.code))].sort();
  const rules = ids.map((id) => ({
    id,
    name: id.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase()),
    shortDescription: { text: known[id]?.description ?? `sgfilter check: ${id}` },
    defaultConfiguration: { level: known[id]?.level ?? findings.find((f) => f.code === id)!.level },
  }));
  const uri = file.replace(/\\/g, '/');
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'sgfilter', version, rules } },
      artifacts: [{ location: { uri } }],
      results: findings.map((f) => {
        const physicalLocation: Record<string, unknown> = f.source
          ? { artifactLocation: { uri: f.source.file.replace(/\\/g, '/') }, region: { startLine: f.source.line } }
          : { artifactLocation: { uri, index: 0 } };
        if (!f.source && f.line !== undefined) physicalLocation.region = { startLine: f.line, startColumn: f.column ?? 1 };
        const result: Record<string, unknown> = {
          ruleId: f.code,
          ruleIndex: ids.indexOf(f.code),
          level: f.level,
          message: { text: f.message },
          locations: [{ physicalLocation, ...(f.path ? { logicalLocations: [{ fullyQualifiedName: f.path, kind: 'member' }] } : {}) }],
        };
        const props: Record<string, unknown> = {};
        if (f.interfaces) props.interfaces = f.interfaces;
        if (f.direction) props.direction = f.direction;
        if (f.witness) props.witness = f.witness;
        if (Object.keys(props).length) result.properties = props;
        return result;
      }),
    }],
  };
}

function ghEscapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function ghEscapeProp(s: string): string {
  return ghEscapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** GitHub Actions workflow commands, one line per finding. */
export function githubAnnotations(file: string, findings: readonly Finding[]): string {
  return findings.map((f) => {
    const cmd = f.level === 'error' ? 'error' : f.level === 'warning' ? 'warning' : 'notice';
    const props = [`file=${ghEscapeProp(f.source ? f.source.file : file)}`];
    if (f.source) props.push(`line=${f.source.line}`);
    else if (f.line !== undefined) props.push(`line=${f.line}`, `col=${f.column ?? 1}`);
    props.push(`title=${ghEscapeProp(`sgfilter ${f.code}`)}`);
    return `::${cmd} ${props.join(',')}::${ghEscapeData(f.message)}\n`;
  }).join('');
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface JunitCase {
  name: string;
  classname: string;
  failure?: { message: string; type: string; body?: string };
}

/** A JUnit XML document with one test suite. */
export function junitXml(suite: string, cases: readonly JunitCase[]): string {
  const failures = cases.filter((c) => c.failure).length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xml(suite)}" tests="${cases.length}" failures="${failures}" errors="0">`,
    `  <testsuite name="${xml(suite)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0">`,
  ];
  for (const c of cases) {
    if (!c.failure) {
      lines.push(`    <testcase name="${xml(c.name)}" classname="${xml(c.classname)}"/>`);
      continue;
    }
    lines.push(`    <testcase name="${xml(c.name)}" classname="${xml(c.classname)}">`);
    lines.push(`      <failure message="${xml(c.failure.message)}" type="${xml(c.failure.type)}">${xml(c.failure.body ?? c.failure.message)}</failure>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>');
  return lines.join('\n') + '\n';
}

/**
 * Findings as JUnit: one test case per finding at or above `failOn` (a
 * failure), and one passing case when there is none.
 */
export function findingsJunit(command: string, file: string, findings: readonly Finding[], failOn: FailOn): string {
  const min = failOn === 'never' ? 3 : failOn === 'error' ? 2 : 1;
  const failing = findings.filter((f) => RANK[f.level] >= min);
  const cases: JunitCase[] = failing.map((f, i) => ({
    name: `${f.code} #${i + 1}${f.path ? ` ${f.path}` : ''}`,
    classname: `sgfilter.${command}`,
    failure: { message: f.message, type: f.code, body: `${file}${f.line !== undefined ? `:${f.line}:${f.column ?? 1}` : ''}: ${f.level}: ${f.message}` },
  }));
  if (cases.length === 0) cases.push({ name: `${file}: no finding at or above ${failOn}`, classname: `sgfilter.${command}` });
  return junitXml(`sgfilter ${command}`, cases);
}

/** One text line per finding: FILE:LINE:COL: LEVEL: message [code]. */
export function textLine(file: string, f: Finding): string {
  const where = `${file}${f.line !== undefined ? `:${f.line}:${f.column ?? 1}` : ''}${f.path ? ` (${f.path})` : ''}`;
  const tag = f.level === 'error' ? 'error' : f.level === 'warning' ? 'warning' : 'note';
  return `${where}: ${tag}: ${f.message} [${f.code}]`;
}
