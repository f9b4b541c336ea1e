/**
 * Loading a topology from a file or an in-memory document, in any supported
 * format: native JSON (SEMANTICS §1), Alibaba DescribeSecurityGroupAttribute
 * JSON, Huawei VPC v3 security-group-rule JSON, ClassBench filter files.
 *
 * Contract: either a validated `Topology` (plus its warnings and the format
 * that was read) is returned, or a `TopologyError` carrying every issue is
 * thrown. Unreadable files, bad UTF-8 and JSON syntax errors are issues too
 * (JSON errors with line:column and byte offset). Nothing here reads a clock.
 *
 * Format detection (when no format is given): text whose first non-blank
 * character is `@` is ClassBench; otherwise JSON with `cloud` is native, with
 * `SecurityGroupId` / `Permissions` / `DescribeSecurityGroupAttribute` is
 * Alibaba, with `security_group_rules` / `security_group_rule` / a
 * `security_group` holding rules (ShowSecurityGroup) is Huawei, with
 * `format_version` and `planned_values` / `values` / `resource_changes` is
 * Terraform (`terraform show -json`). The path `-` reads standard input.
 */
import { readFileSync } from 'node:fs';
import type { Topology } from '../model/topology.js';
import { looksLikeAliyun, importAliyun } from './aliyun.js';
import { looksLikeHuawei, importHuawei } from './huawei.js';
import { importClassBench } from './classbench.js';
import { looksLikeTerraform, importTerraform } from './terraform.js';
import { isObject } from './convert.js';
import { TopologyError, type Issue } from './issues.js';
import { parseNativeTopology, type ParseResult } from './native.js';

export const TOPOLOGY_FORMATS = ['native', 'aliyun', 'huawei', 'classbench', 'terraform'] as const;
export type TopologyFormat = (typeof TOPOLOGY_FORMATS)[number];

export interface LoadOptions {
  /** Skip detection. */
  format?: TopologyFormat;
  /** Alibaba: type of groups no DescribeSecurityGroups entry describes. */
  groupType?: 'basic' | 'advanced';
  /** Name for messages (loadTopology only; loadTopologyFile uses the path). */
  file?: string;
  /** Terraform: directory of the root module's .tf files, so issues name the file and line of each resource block. */
  tfDir?: string;
}

export interface LoadResult {
  topology: Topology;
  /** Warnings (never errors: those throw). */
  issues: Issue[];
  format: TopologyFormat;
  /** Terraform: point an issue found on the model (a lint finding) at the resource it came from. */
  relocate?: (issue: Issue) => Issue;
}

function fail(file: string | undefined, code: string, message: string): never {
  throw new TopologyError(file, [{ severity: 'error', path: '', code, message }]);
}

function finish(file: string | undefined, r: ParseResult & { relocate?: (issue: Issue) => Issue }, format: TopologyFormat): LoadResult {
  if (!r.topology || r.issues.some((i) => i.severity === 'error')) {
    const issues = r.issues.some((i) => i.severity === 'error')
      ? r.issues
      : [...r.issues, { severity: 'error' as const, path: '', code: 'no-topology', message: 'no topology was produced' }];
    throw new TopologyError(file, issues);
  }
  return { topology: r.topology, issues: r.issues, format, ...(r.relocate ? { relocate: r.relocate } : {}) };
}

const FORMAT_HELP =
  'expected a native topology (an object with "cloud"), an Alibaba DescribeSecurityGroupAttribute response or bundle ' +
  '("SecurityGroupId", "Permissions"), a Huawei security-group-rule or ShowSecurityGroup response ("security_group_rules", ' +
  '"security_group"), a ClassBench filter file (lines starting with "@"), or "terraform show -json" output ' +
  '("format_version" with "planned_values" or "values"); or pass the format explicitly';

/** Which JSON format a parsed document is, or null. */
export function detectJsonFormat(doc: unknown): Exclude<TopologyFormat, 'classbench'> | null {
  if (isObject(doc) && 'cloud' in doc) return 'native';
  if (looksLikeTerraform(doc)) return 'terraform';
  if (looksLikeHuawei(doc)) return 'huawei';
  if (looksLikeAliyun(doc)) return 'aliyun';
  return null;
}

/**
 * Validate an in-memory JSON document (native, aliyun or huawei). Throws
 * `TopologyError` with every issue when anything is wrong.
 */
export function loadTopology(doc: unknown, options: LoadOptions = {}): LoadResult {
  const file = options.file;
  let format = options.format;
  if (format === 'classbench') {
    if (typeof doc !== 'string') fail(file, 'type', 'a ClassBench filter set is text, not a JSON document');
    return finish(file, runClassBench(doc, file), 'classbench');
  }
  if (format === undefined) {
    const detected = detectJsonFormat(doc);
    if (detected === null) fail(file, 'unknown-format', `cannot tell the format: ${FORMAT_HELP}`);
    format = detected;
  }
  switch (format) {
    case 'native':
      return finish(file, parseNativeTopology(doc, file !== undefined ? { file } : {}), 'native');
    case 'aliyun':
      return finish(file, importAliyun(doc, { ...(file !== undefined ? { file } : {}), ...(options.groupType ? { groupType: options.groupType } : {}) }), 'aliyun');
    case 'huawei':
      return finish(file, importHuawei(doc, file !== undefined ? { file } : {}), 'huawei');
    case 'terraform':
      return finish(file, importTerraform(doc, { ...(file !== undefined ? { file } : {}), ...(options.tfDir !== undefined ? { tfDir: options.tfDir } : {}) }), 'terraform');
    default:
      return fail(file, 'unknown-format', `unknown format ${JSON.stringify(format)} (expected ${TOPOLOGY_FORMATS.join(', ')})`);
  }
}

function runClassBench(text: string, file: string | undefined): ParseResult {
  return file !== undefined ? importClassBench(text, file) : importClassBench(text);
}

/**
 * Read and validate a topology file. Throws `TopologyError` (naming the file)
 * with every issue when it cannot be read or has errors.
 */
export function loadTopologyFile(path: string, options: Omit<LoadOptions, 'file'> = {}): LoadResult {
  let bytes: Buffer;
  try {
    bytes = readInput(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
    fail(path, 'file-read', `cannot read the topology file: ${why}${err.code ? ` (${err.code})` : ''}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    fail(path, 'encoding', `not UTF-8 text (byte offset ${firstBadUtf8(bytes)})`);
  }
  let bomBytes = 0;
  if (text.charCodeAt(0) === 0xfeff) {
    text = text.slice(1);
    bomBytes = 3;
  }
  const trimmed = text.trimStart();
  if (options.format === 'classbench' || (options.format === undefined && trimmed.startsWith('@'))) {
    return finish(path, runClassBench(text, path), 'classbench');
  }
  if (trimmed === '') fail(path, 'empty', `the file is empty (${FORMAT_HELP})`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const at = locateJsonError(text);
    if (!at) fail(path, 'json-syntax', `JSON syntax error: ${(e as Error).message}`);
    const { line, column } = lineColumn(text, at.index);
    const byte = Buffer.byteLength(text.slice(0, at.index), 'utf8') + bomBytes;
    fail(path, 'json-syntax', `JSON syntax error at line ${line} column ${column} (byte offset ${byte}): ${at.message}`);
  }
  return loadTopology(doc, { ...options, file: path });
}

/** The bytes of a topology file; `-` is standard input. */
function readInput(path: string): Buffer {
  return path === '-' ? readFileSync(0) : readFileSync(path);
}

function firstBadUtf8(bytes: Uint8Array): number {
  // Binary search on the longest valid prefix (stream mode: a valid prefix may end inside a sequence).
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo;
}

/** 1-based line and column (in characters) of a string index. */
export function lineColumn(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < index && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: index - lineStart + 1 };
}

/**
 * Where strict JSON (RFC 8259) first goes wrong in `text`, with what was
 * expected there; null when it is valid. Iterative (an explicit stack), so a
 * deeply nested document cannot overflow the call stack. Used only to locate
 * errors: Node 20's JSON.parse messages carry no position.
 */
export function locateJsonError(text: string): { index: number; message: string } | null {
  const n = text.length;
  let i = 0;
  const stack: number[] = []; // 0x7b '{' or 0x5b '['
  type State = 'value' | 'after' | 'keyOrEnd' | 'key' | 'valueOrEnd';
  let state: State = 'value';
  const what = () => (i >= n ? 'end of input' : JSON.stringify(text[i]));
  const skipWs = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  // Returns an error message or null; advances i past the string.
  const string = (): string | null => {
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return null;
      }
      if (c < 0x20) return 'control character in a string (expected it escaped, e.g. \\n)';
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            return 'bad \\u escape (expected 4 hex digits)';
          }
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) {
          return `bad escape ${e === undefined ? 'at end of input' : JSON.stringify('\\' + e)} (expected one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)`;
        }
        i += 2;
        continue;
      }
      i++;
    }
    return 'unterminated string (expected a closing ")';
  };
  const numberRe = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  for (;;) {
    skipWs();
    const c = i < n ? text[i] : '';
    switch (state) {
      case 'value': {
        if (c === '{') {
          stack.push(0x7b);
          i++;
          state = 'keyOrEnd';
        } else if (c === '[') {
          stack.push(0x5b);
          i++;
          state = 'valueOrEnd';
        } else if (c === '"') {
          const start = i;
          const err = string();
          if (err) return { index: err.startsWith('unterminated') ? start : i, message: err };
          state = 'after';
        } else if (c === '-' || (c >= '0' && c <= '9')) {
          numberRe.lastIndex = i;
          const m = numberRe.exec(text);
          if (!m || m[0] === '-') return { index: i, message: `unexpected ${what()} (expected a number)` };
          i += m[0].length;
          state = 'after';
        } else if (text.startsWith('true', i) || text.startsWith('null', i)) {
          i += 4;
          state = 'after';
        } else if (text.startsWith('false', i)) {
          i += 5;
          state = 'after';
        } else {
          return { index: i, message: `unexpected ${what()} (expected a value: object, array, string, number, true, false or null)` };
        }
        break;
      }
      case 'valueOrEnd':
        if (c === ']') {
          stack.pop();
          i++;
          state = 'after';
        } else state = 'value';
        break;
      case 'keyOrEnd':
      case 'key': {
        if (c === '}' && state === 'keyOrEnd') {
          stack.pop();
          i++;
          state = 'after';
          break;
        }
        if (c !== '"') return { index: i, message: `unexpected ${what()} (expected a "quoted" key${state === 'keyOrEnd' ? ' or "}"' : ''})` };
        const start = i;
        const err = string();
        if (err) return { index: err.startsWith('unterminated') ? start : i, message: err };
        skipWs();
        if (text[i] !== ':') return { index: i, message: `unexpected ${what()} (expected ":" after a key)` };
        i++;
        state = 'value';
        break;
      }
      case 'after': {
        const top = stack[stack.length - 1];
        if (top === undefined) {
          if (i < n) return { index: i, message: `unexpected ${what()} after the end of the document` };
          return null;
        }
        const close = top === 0x7b ? '}' : ']';
        if (c === ',') {
          i++;
          state = top === 0x7b ? 'key' : 'value';
        } else if (c === close) {
          stack.pop();
          i++;
        } else {
          return { index: i, message: `unexpected ${what()} (expected "," or "${close}")` };
        }
        break;
      }
    }
  }
}
