/** Small assertions over parse issues, shared by the test/parse suites. */
import * as assert from 'uvu/assert';
import { formatIssue, type Issue, type Severity } from '../../src/parse/issues.js';

/** The issues at exactly `path` with `severity`. */
export function at(issues: Issue[], path: string, severity: Severity = 'error'): Issue[] {
  return issues.filter((i) => i.path === path && i.severity === severity);
}

/** Exactly one issue of `severity` at `path`; returns it. Prints every issue on failure. */
export function one(issues: Issue[], path: string, severity: Severity = 'error'): Issue {
  const hits = at(issues, path, severity);
  assert.is(hits.length, 1, `expected one ${severity} at ${JSON.stringify(path)}, got:\n${issues.map((i) => '  ' + i.severity + ' ' + formatIssue(i)).join('\n')}`);
  return hits[0]!;
}

/** Exactly one error at `path` whose formatted text is exactly `text` (path + message). */
export function errorIs(issues: Issue[], path: string, message: string, code?: string): void {
  const i = one(issues, path, 'error');
  assert.is(formatIssue(i), path ? `${path}: ${message}` : message);
  if (code !== undefined) assert.is(i.code, code);
}

/** Exactly one warning at `path` with exactly `message`. */
export function warningIs(issues: Issue[], path: string, message: string, code?: string): void {
  const i = one(issues, path, 'warning');
  assert.is(i.message, message);
  if (code !== undefined) assert.is(i.code, code);
}

export function errors(issues: Issue[]): Issue[] {
  return issues.filter((i) => i.severity === 'error');
}

export function noErrors(issues: Issue[]): void {
  const e = errors(issues);
  assert.is(e.length, 0, `unexpected errors:\n${e.map((i) => '  ' + formatIssue(i)).join('\n')}`);
}
