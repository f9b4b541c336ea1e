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
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Topology } from '../model/topology.js';
import { looksLikeAliyun, importAliyun } from './aliyun.js';
import { looksLikeHuawei, importHuawei } from './huawei.js';
import { importClassBench } from './classbench.js';
import { looksLikeTerraform, importTerraform } from './terraform.js';
import { isObject } from './convert.js';
import { formatPath, show, TopologyError, type Issue, type PathSegment } from './issues.js';
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
export function loadTopologyFile(path: string, options: Omit<LoadOptions, 'file'> & { maxBytes?: number } = {}): LoadResult {
  const { maxBytes, ...rest } = options;
  options = rest;
  const bytes = readTopologyBytes(path, maxBytes ?? MAX_TOPOLOGY_BYTES);
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
  // JSON.parse keeps the last of duplicate keys; a rule set must not mean something other than it reads.
  const dups = findDuplicateKeys(text);
  if (dups.length > 0) {
    throw new TopologyError(path, dups.map((d) => {
      const { line, column } = lineColumn(text, d.index);
      return { severity: 'error' as const, path: formatPath(d.path), code: 'duplicate-key', message: `duplicate key ${show(d.key)} at line ${line} column ${column} (JSON keeps only the last value; remove one)` };
    }));
  }
  return loadTopology(doc, { ...options, file: path });
}

/**
 * Keys that occur twice in one object of a valid JSON text, with the path of
 * the second occurrence (at most `limit`). Iterative: any depth is fine.
 */
export function findDuplicateKeys(text: string, limit = 100): { path: PathSegment[]; key: string; index: number }[] {
  interface Frame { obj: boolean; keys: Set<string> | null; key: string; index: number; expectKey: boolean }
  const stack: Frame[] = [];
  const out: { path: PathSegment[]; key: string; index: number }[] = [];
  const n = text.length;
  for (let i = 0; i < n && out.length < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: find its closing quote (one preceded by an even number of backslashes).
      let j = i + 1;
      let escaped = false;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) return out; // not valid JSON: JSON.parse reports it
        let b = q - 1;
        while (b > i && text.charCodeAt(b) === 0x5c) b--;
        if ((q - 1 - b) % 2 === 0) {
          escaped ||= text.indexOf('\\', i + 1) >= 0 && text.indexOf('\\', i + 1) < q;
          j = q;
          break;
        }
        j = q + 1;
      }
      const top = stack[stack.length - 1];
      if (top && top.obj && top.expectKey) {
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        top.keys ??= new Set();
        if (top.keys.has(key)) out.push({ path: [...stack.slice(0, -1).map((f) => (f.obj ? f.key : f.index)), key], key, index: i });
        else top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = j;
    } else if (c === 0x7b) stack.push({ obj: true, keys: null, key: '', index: 0, expectKey: true });
    else if (c === 0x5b) stack.push({ obj: false, keys: null, key: '', index: 0, expectKey: false });
    else if (c === 0x7d || c === 0x5d) stack.pop();
    else if (c === 0x2c) {
      const top = stack[stack.length - 1];
      if (top) {
        if (top.obj) top.expectKey = true;
        else top.index++;
      }
    }
  }
  return out;
}

/** The largest topology file read (512 MiB): a larger one, or a stream that goes on past it, is refused. */
export const MAX_TOPOLOGY_BYTES = 512 * 1024 * 1024;

const pauseCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Read a topology file by chunks, up to `max` bytes: a regular file larger
 * than that is refused from its size, a pipe or device when it goes past it.
 * A NUL byte cannot be in a JSON or ClassBench text, so reading stops at the
 * first one (`/dev/zero` is refused at once).
 */
function readTopologyBytes(path: string, max: number): Buffer {
  const cannot = (e: unknown): never => {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
    return fail(path, 'file-read', `cannot read the topology file: ${why}${err.code ? ` (${err.code})` : ''}`);
  };
  // `-` is standard input (read like any other stream, to its end or the limit).
  const stdin = path === '-';
  let fd: number;
  try {
    fd = stdin ? 0 : openSync(path, 'r');
  } catch (e) {
    return cannot(e);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) cannot(Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
    const limit = `the limit is ${max} bytes (${(max / 1048576).toFixed(0)} MiB)`;
    if (st.isFile() && st.size > max) fail(path, 'file-size', `the file is ${st.size} bytes: too large for a topology (${limit})`);
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = 1 << 20;
    for (;;) {
      const buf = Buffer.allocUnsafe(chunk);
      let got: number;
      try {
        got = readSync(fd, buf, 0, chunk, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          Atomics.wait(pauseCell, 0, 0, 2);
          continue;
        }
        return cannot(e);
      }
      if (got === 0) break;
      const part = buf.subarray(0, got);
      const nul = part.indexOf(0);
      if (nul >= 0) fail(path, 'encoding', `a NUL byte at byte offset ${total + nul}: not a topology (expected JSON or ClassBench text)`);
      total += got;
      if (total > max) fail(path, 'file-size', `more than ${max} bytes read: too large for a topology (${limit})`);
      chunks.push(part);
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    if (!stdin) closeSync(fd);
  }
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
