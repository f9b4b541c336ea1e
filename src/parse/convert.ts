/**
 * Shared machinery of the cloud importers (src/parse/aliyun.ts, huawei.ts).
 *
 * An importer reads a foreign JSON document, checks each value at its path in
 * that ORIGINAL document, and builds a native topology document (SEMANTICS §1)
 * while recording, for every native field it writes, where it came from
 * (`Origins`). The native document then goes through `parseNativeTopology`,
 * so every meaning check (priority ranges, families, references, duplicate ids)
 * is shared; its issues are mapped back to original paths here.
 *
 * Leniency: importers warn (never fail) where the cloud itself normalises —
 * host bits in CIDRs (the native stage runs with `lenientHostBits`), `-1/-1`
 * port ranges, letter case, a priority given as a string, a missing priority.
 */
import { formatAddress, parseAddress } from '../model/address.js';
import { formatPath, IssueList, show, type Issue, type PathSegment } from './issues.js';
import { parseNativeTopology, type NativeTopology, type ParseResult } from './native.js';

/** Native path -> original path, for mapping native-stage issues back. */
export class Origins {
  private readonly map = new Map<string, string>();

  set(native: readonly PathSegment[], original: readonly PathSegment[]): void {
    this.map.set(formatPath(native), formatPath(original));
  }

  /**
   * The original path of a native path: exact, or of its longest recorded
   * prefix (`exact: false`), or null when nothing above it was recorded.
   */
  lookup(nativePath: string): { path: string; exact: boolean } | null {
    let p = nativePath;
    let exact = true;
    for (;;) {
      const hit = this.map.get(p);
      if (hit !== undefined) return { path: hit, exact };
      if (p === '') return null;
      const m = /(\.[A-Za-z_$][\w$]*|\[[^\]]*\])$/.exec(p);
      p = m ? p.slice(0, m.index) : '';
      exact = false;
    }
  }
}

/** The result of an importer: the model (when no error) plus the native document it built. */
export interface ImportResult extends ParseResult {
  /** The converted native document (present even when there were errors). */
  native?: NativeTopology;
}

/**
 * Run the shared native stage on a converted document and map its issues back
 * to the original document. When the importer itself found errors no model is
 * returned, but the native stage still runs so that every error is reported.
 */
export function finishImport(native: NativeTopology, origins: Origins, issues: IssueList, file?: string): ImportResult {
  const r = parseNativeTopology(native, { lenientHostBits: true, ...(file !== undefined ? { file } : {}) });
  const out: Issue[] = [...issues.issues];
  for (const issue of r.issues) {
    const o = origins.lookup(issue.path);
    if (o && o.exact) out.push({ ...issue, path: o.path });
    else if (o) out.push({ ...issue, path: o.path, message: `${issue.message} (converted native field ${issue.path})` });
    else out.push({ ...issue, path: '', message: `converted native document, ${issue.path || 'top level'}: ${issue.message}` });
  }
  const hasErrors = out.some((i) => i.severity === 'error');
  const result: ImportResult = { issues: out, native };
  if (!hasErrors && r.topology) result.topology = r.topology;
  return result;
}

// ---------------------------------------------------------------------------
// Reading foreign JSON with paths.

export type Json = unknown;
export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${show(v)}`;
}

/** Is the value "not given" in a cloud response (absent, null or "")? */
export function isBlank(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

/** Require an object at `path`; reports and returns null otherwise. */
export function needObject(v: unknown, path: PathSegment[], issues: IssueList, what = 'an object'): JsonObject | null {
  if (isObject(v)) return v;
  if (v === undefined) issues.error(path, 'missing', `required, expected ${what}`);
  else issues.error(path, 'type', `expected ${what}, got ${typeName(v)}`);
  return null;
}

export function needArray(v: unknown, path: PathSegment[], issues: IssueList, what = 'an array'): unknown[] | null {
  if (Array.isArray(v)) return v;
  if (v === undefined) issues.error(path, 'missing', `required, expected ${what}`);
  else issues.error(path, 'type', `expected ${what}, got ${typeName(v)}`);
  return null;
}

/** A non-empty string, or an error. */
export function needId(v: unknown, path: PathSegment[], issues: IssueList): string | null {
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (v === undefined) issues.error(path, 'missing', 'required, expected a non-empty id string');
  else issues.error(path, 'type', `expected a non-empty id string, got ${typeName(v)}`);
  return null;
}

/** An optional string: undefined when blank; an error when present and not a string. */
export function optString(v: unknown, path: PathSegment[], issues: IssueList): string | undefined {
  if (isBlank(v)) return undefined;
  if (typeof v === 'string') return v;
  issues.error(path, 'type', `expected a string, got ${typeName(v)}`);
  return undefined;
}

/**
 * A word from a small vocabulary. `canonical` maps the spellings the cloud's
 * API itself returns to their meaning; any other letter case of one of them is
 * read with a `letter-case` warning; anything else is an error.
 */
export function word<T>(
  v: unknown,
  path: PathSegment[],
  issues: IssueList,
  canonical: Record<string, T>,
  expected: string,
): T | undefined {
  if (typeof v === 'string') {
    const exact = Object.prototype.hasOwnProperty.call(canonical, v) ? canonical[v] : undefined;
    if (exact !== undefined) return exact;
    const lower = v.trim().toLowerCase();
    for (const [spelling, meaning] of Object.entries(canonical)) {
      if (spelling.toLowerCase() === lower) {
        issues.warn(path, 'letter-case', `${show(v)} read as ${show(spelling)} (letter case normalised as the API does)`);
        return meaning;
      }
    }
  }
  if (v === undefined) issues.error(path, 'missing', `required, expected ${expected}`);
  else issues.error(path, 'value', `${show(v)} is not ${expected}`);
  return undefined;
}

// ---------------------------------------------------------------------------
// Address ranges (Huawei address groups accept "a.b.c.d-e.f.g.h").

/**
 * An inclusive address range as the fewest CIDR blocks covering exactly it,
 * or a message saying what was expected.
 */
export function rangeToCidrs(text: string): { ok: true; cidrs: string[] } | { ok: false; message: string } {
  const dash = text.indexOf('-');
  const a = parseAddress(text.slice(0, dash).trim());
  const b = parseAddress(text.slice(dash + 1).trim());
  if (!a || !b) return { ok: false, message: `${show(text)} is not an address range (expected e.g. "192.168.3.20-192.168.3.100")` };
  if (a.family !== b.family) return { ok: false, message: `${show(text)} mixes IPv4 and IPv6` };
  if (a.value > b.value) return { ok: false, message: `${show(text)}: range start is above its end` };
  const bits = a.family === 4 ? 32 : 128;
  const cidrs: string[] = [];
  let start = a.value;
  while (start <= b.value) {
    let size = 0;
    while (size < bits) {
      const block = 1n << BigInt(size + 1);
      if (start % block !== 0n || start + block - 1n > b.value) break;
      size++;
    }
    cidrs.push(`${formatAddress(a.family, start)}/${bits - size}`);
    start += 1n << BigInt(size);
  }
  return { ok: true, cidrs };
}
