/**
 * Validation issues: every problem found in an input, with the JSON path (or
 * byte offset) where it is and what was expected. Builders collect them all
 * and load nothing when any is an error.
 */

export type Severity = 'error' | 'warning';

export interface Issue {
  severity: Severity;
  /** JSON path like `securityGroups[2].rules[5].ports`, or '' for the whole document. */
  path: string;
  message: string;
  /** A stable code for programs (e.g. `port-range`, `unknown-group`, `limit-rules-per-group`). */
  code: string;
  /** Terraform imports: the resource address the issue is about (`module.net.alicloud_security_group_rule.ssh[0]`). */
  address?: string;
  /** Terraform imports with `tfDir`: the file and line (1-based) of the resource block. */
  source?: { file: string; line: number };
}

export type PathSegment = string | number;

/** `['securityGroups', 2, 'rules', 5, 'ports']` -> `securityGroups[2].rules[5].ports`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export function formatIssue(issue: Issue, file?: string): string {
  const where = [file, issue.path].filter((s) => s).join(': ');
  const tag = issue.severity === 'warning' ? 'warning: ' : '';
  return `${where ? where + ': ' : ''}${tag}${issue.message}`;
}

/** Collects issues under a base path. */
export class IssueList {
  readonly issues: Issue[] = [];

  error(path: readonly PathSegment[] | string, code: string, message: string): void {
    this.issues.push({ severity: 'error', path: typeof path === 'string' ? path : formatPath(path), code, message });
  }

  warn(path: readonly PathSegment[] | string, code: string, message: string): void {
    this.issues.push({ severity: 'warning', path: typeof path === 'string' ? path : formatPath(path), code, message });
  }

  get errors(): Issue[] {
    return this.issues.filter((i) => i.severity === 'error');
  }

  get warnings(): Issue[] {
    return this.issues.filter((i) => i.severity === 'warning');
  }

  hasErrors(): boolean {
    return this.issues.some((i) => i.severity === 'error');
  }
}

/** Thrown by loaders when a document has errors; carries every issue. */
export class TopologyError extends Error {
  readonly code = 'SGF_ERR_TOPOLOGY';
  constructor(readonly file: string | undefined, readonly issues: Issue[]) {
    super(
      `${file ?? 'topology'}: ${issues.filter((i) => i.severity === 'error').length} error(s)\n` +
        issues.map((i) => '  ' + formatIssue(i)).join('\n'),
    );
    this.name = 'TopologyError';
  }
}

/** Short JSON rendering of a bad value for messages. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const s = JSON.stringify(value);
  if (s === undefined) return String(value);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}
