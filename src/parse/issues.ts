/**
 * Validation issues: every problem found in an input, with the JSON path (or
 * byte offset) where it is and what was expected. Builders collect them all
 * and load nothing when any is an error.
 */
import { SgfError } from '../model/errors.js';

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
export class TopologyError extends SgfError {
  readonly code = 'SGF_TOPOLOGY_INVALID';
  constructor(readonly file: string | undefined, readonly issues: Issue[]) {
    super(
      `${file ?? 'topology'}: ${issues.filter((i) => i.severity === 'error').length} error(s)\n` +
        issues.map((i) => '  ' + formatIssue(i)).join('\n'),
    );
    this.name = 'TopologyError';
  }
}

/**
 * Short JSON rendering of a bad value for messages: at most 60 characters,
 * nested values past a few levels shown as `[…]` / `{…}`, so a value nested
 * thousands of levels deep costs no more than a flat one (no recursion past
 * the bound, no stack overflow). Non-finite numbers (JSON's 1e400) print as
 * themselves, not as JSON's `null`.
 */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const MAX = 60;
  let out = '';
  const put = (text: string): boolean => {
    out += text;
    return out.length <= MAX;
  };
  const walk = (v: unknown, depth: number): boolean => {
    if (v === null) return put('null');
    switch (typeof v) {
      case 'number':
        return put(Number.isFinite(v) ? JSON.stringify(v) : String(v));
      case 'string':
        return put(JSON.stringify(v.length > MAX ? v.slice(0, MAX) : v));
      case 'boolean':
        return put(String(v));
      case 'bigint':
        return put(String(v));
      case 'object': {
        const arr = Array.isArray(v);
        const entries = arr ? (v as unknown[]) : Object.entries(v as object);
        if (entries.length === 0) return put(arr ? '[]' : '{}');
        if (depth >= 4) return put(arr ? '[…]' : '{…}');
        if (!put(arr ? '[' : '{')) return false;
        for (let i = 0; i < entries.length; i++) {
          if (i > 0 && !put(',')) return false;
          if (arr) {
            if (!walk(entries[i], depth + 1)) return false;
          } else {
            const [k, x] = entries[i] as [string, unknown];
            if (!put(JSON.stringify(k.length > MAX ? k.slice(0, MAX) : k) + ':')) return false;
            if (!walk(x, depth + 1)) return false;
          }
        }
        return put(arr ? ']' : '}');
      }
      default:
        return put(String(v));
    }
  };
  walk(value, 0);
  return out.length > MAX ? out.slice(0, MAX - 3) + '...' : out;
}
