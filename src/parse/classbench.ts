/**
 * ClassBench filter files and header traces (SEMANTICS.md §8, last item).
 *
 * Rule lines: `@SA/len DA/len splo : sphi dplo : dphi proto/mask [flags/mask]`.
 * The whole file is one generic security group bound to one interface, read
 * as ingress: the packet's source (SA) is the remote side, its destination
 * (DA) the interface side (`local`). Rule i (1-based, counting rule lines,
 * not blank or `#` comment lines) gets priority i, id "i" and index i-1, so
 * SEMANTICS §4's generic order is the file order and "the first matching rule"
 * is ClassBench's. Every rule is `allow` (ClassBench has no actions).
 *
 * Values: proto/mask 0x00/0x00 is every protocol, mask 0xFF an exact protocol,
 * any other mask is refused. A port range 0 : 65535 means "no port
 * constraint" (null), any other range constrains the port. The flags column
 * (some generators write it) is checked for syntax and ignored. Host bits set
 * in a prefix are masked (ClassBench does write such prefixes) and counted.
 *
 * The importer builds the model Topology directly instead of a native JSON
 * document: ClassBench rules may constrain ports on any protocol and use port
 * 0, which the native format (deliberately) refuses.
 *
 * Trace lines: `SA DA SP DP PROTO [MATCH]`, decimal; MATCH is the oracle, the
 * 1-based index of the first matching rule (the corpus has no "no match" value:
 * every trace line matches some rule; a 0 is read as "no match").
 *
 * Errors name the file and the 1-based line and say what was expected; all
 * errors of a file are collected (the first 20 are shown).
 */
import { readFileSync } from 'node:fs';
import { parseCidr, type Cidr } from '../model/address.js';
import { DEFAULT_TIMEOUTS, type PortRange, type Rule, type Topology } from '../model/topology.js';
import type { Issue } from './issues.js';
import type { ParseResult } from './native.js';
import { SgfError } from '../model/errors.js';

/** The group and interface a ClassBench file becomes. */
export const CLASSBENCH_GROUP = 'classbench';
export const CLASSBENCH_INTERFACE = 'classbench';

/** One bad line: its 1-based number (0 = the whole file) and what was expected. */
export interface Problem {
  line: number;
  message: string;
}

export class ClassBenchError extends SgfError {
  readonly code = 'SGF_CLASSBENCH_INVALID';
  constructor(readonly file: string, readonly problems: Problem[]) {
    super(
      `${file}: ${problems.length} error(s)\n` +
        problems.slice(0, 20).map((p) => `  ${file}${p.line ? `:${p.line}` : ''}: ${p.message}`).join('\n') +
        (problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ''),
    );
    this.name = 'ClassBenchError';
  }
}

export interface ClassBenchRules {
  topology: Topology;
  /** The rules in file order (rule i is rules[i-1]). */
  rules: Rule[];
  /** 1-based line of each rule. */
  lines: number[];
  /** Prefixes whose host bits were set and have been masked. */
  hostBitsMasked: number;
}

const RULE_EXPECTED = '@SA/len DA/len splo : sphi dplo : dphi proto/mask [flags/mask]';

function parsePrefix(text: string, what: string, where: number, problems: Problem[]): { cidr: Cidr; masked: boolean } | null {
  if (!text.includes('/')) {
    problems.push({ line: where, message: `${what} ${JSON.stringify(text)} is not a prefix (expected address/len, e.g. 10.0.0.0/8)` });
    return null;
  }
  const r = parseCidr(text);
  if (!r.ok) {
    problems.push({ line: where, message: `${what} ${JSON.stringify(text)} is not ${r.expected}` });
    return null;
  }
  return { cidr: r.cidr, masked: r.hostBitsSet };
}

function parsePortRange(text: string, what: string, where: number, problems: Problem[]): PortRange[] | null | undefined {
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(text);
  if (!m) {
    problems.push({ line: where, message: `${what} ${JSON.stringify(text)} is not a port range (expected "lo : hi", two decimal ports 0-65535)` });
    return undefined;
  }
  const from = Number(m[1]);
  const to = Number(m[2]);
  if (from > 65535 || to > 65535) {
    problems.push({ line: where, message: `${what} ${JSON.stringify(text)}: ports are 0-65535` });
    return undefined;
  }
  if (from > to) {
    problems.push({ line: where, message: `${what} ${JSON.stringify(text)}: range start ${from} is above its end ${to}` });
    return undefined;
  }
  if (from === 0 && to === 65535) return null;
  return [{ from, to }];
}

function parseHexPair(text: string): [number, number] | null {
  const m = /^0x([0-9a-fA-F]{1,2})\/0x([0-9a-fA-F]{1,2})$/.exec(text);
  if (!m) return null;
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16)];
}

function parseHexPair16(text: string): boolean {
  return /^0x[0-9a-fA-F]{1,4}\/0x[0-9a-fA-F]{1,4}$/.test(text);
}

/** Parse a ClassBench filter file's text. Throws ClassBenchError listing every bad line. */
export function parseClassBenchRules(text: string, file = 'rules'): ClassBenchRules {
  const problems: Problem[] = [];
  const rules: Rule[] = [];
  const lines: number[] = [];
  let hostBitsMasked = 0;
  const all = text.split('\n');
  for (let ln = 0; ln < all.length; ln++) {
    const raw = all[ln]!.replace(/\r$/, '');
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const where = ln + 1;
    if (!trimmed.startsWith('@')) {
      problems.push({ line: where, message: `expected a rule line starting with "@" (${RULE_EXPECTED}), got ${JSON.stringify(trimmed.slice(0, 40))}` });
      continue;
    }
    // "lo : hi" -> "lo:hi", then whitespace-separated fields.
    const fields = trimmed.slice(1).replace(/\s*:\s*/g, ':').split(/\s+/);
    if (fields.length !== 5 && fields.length !== 6) {
      problems.push({ line: where, message: `expected 5 or 6 fields (${RULE_EXPECTED}), got ${fields.length}` });
      continue;
    }
    const before = problems.length;
    const sa = parsePrefix(fields[0]!, 'source prefix', where, problems);
    const da = parsePrefix(fields[1]!, 'destination prefix', where, problems);
    const sp = parsePortRange(fields[2]!, 'source port range', where, problems);
    const dp = parsePortRange(fields[3]!, 'destination port range', where, problems);
    const pm = parseHexPair(fields[4]!);
    let protocol: number | 'all' = 'all';
    if (!pm) {
      problems.push({ line: where, message: `protocol ${JSON.stringify(fields[4])} is not proto/mask (expected two hex bytes, e.g. 0x06/0xFF or 0x00/0x00)` });
    } else if (pm[1] === 0x00) {
      protocol = 'all';
    } else if (pm[1] === 0xff) {
      protocol = pm[0];
    } else {
      problems.push({ line: where, message: `protocol mask ${JSON.stringify(fields[4])} is not supported (expected mask 0x00 for any protocol or 0xFF for one protocol)` });
    }
    if (fields.length === 6 && !parseHexPair16(fields[5]!)) {
      problems.push({ line: where, message: `flags ${JSON.stringify(fields[5])} is not flags/mask (expected two hex numbers, e.g. 0x0000/0x0200)` });
    }
    if (sa && da && sa.cidr.family !== da.cidr.family) {
      problems.push({ line: where, message: `source prefix is IPv${sa.cidr.family} but destination prefix is IPv${da.cidr.family}` });
    }
    if (problems.length !== before || !sa || !da || sp === undefined || dp === undefined) continue;
    if (sa.masked) hostBitsMasked++;
    if (da.masked) hostBitsMasked++;
    const i = rules.length + 1;
    rules.push({
      id: String(i),
      direction: 'ingress',
      action: 'allow',
      priority: i,
      protocol,
      ethertype: sa.cidr.family,
      ports: dp,
      sourcePorts: sp,
      remote: { kind: 'cidr', cidr: sa.cidr },
      local: da.cidr,
      index: i - 1,
    });
    lines.push(ln + 1);
  }
  if (problems.length > 0) throw new ClassBenchError(file, problems);
  const topology: Topology = {
    cloud: 'generic',
    securityGroups: [{ id: CLASSBENCH_GROUP, type: 'basic', innerAccessPolicy: 'accept', rules }],
    addressGroups: [],
    interfaces: [{ id: CLASSBENCH_INTERFACE, ips: [], groups: [CLASSBENCH_GROUP], conntrack: { ...DEFAULT_TIMEOUTS.generic } }],
    defaults: { ingress: 'deny', egress: 'deny' },
  };
  return { topology, rules, lines, hostBitsMasked };
}

/** A header trace in columns (IPv4 only, as ClassBench). */
export interface ClassBenchTrace {
  length: number;
  src: Uint32Array;
  dst: Uint32Array;
  sport: Uint32Array;
  dport: Uint32Array;
  proto: Uint32Array;
  /** The oracle column (1-based rule, 0 = none), or null when the file has 5 columns. */
  match: Int32Array | null;
  /** 1-based line of each packet. */
  lines: Uint32Array;
}

const TRACE_EXPECTED = 'SA DA SP DP PROTO [MATCH] in decimal';
const COLUMN_NAMES = ['source address', 'destination address', 'source port', 'destination port', 'protocol', 'match'];
const COLUMN_MAX = [0xffffffff, 0xffffffff, 65535, 65535, 255, 0x7fffffff];

/** Parse a ClassBench trace. Throws ClassBenchError listing every bad line. */
export function parseClassBenchTrace(text: string, file = 'trace'): ClassBenchTrace {
  const problems: Problem[] = [];
  const all = text.split('\n');
  const cols: number[][] = [[], [], [], [], [], []];
  const lines: number[] = [];
  let width = -1;
  for (let ln = 0; ln < all.length; ln++) {
    const trimmed = all[ln]!.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const where = ln + 1;
    const fields = trimmed.split(/\s+/);
    if (fields.length !== 5 && fields.length !== 6) {
      problems.push({ line: where, message: `expected 5 or 6 columns (${TRACE_EXPECTED}), got ${fields.length}` });
      continue;
    }
    if (width === -1) width = fields.length;
    else if (fields.length !== width) {
      problems.push({ line: where, message: `expected ${width} columns like the lines before (${TRACE_EXPECTED}), got ${fields.length}` });
      continue;
    }
    const values: number[] = [];
    for (let c = 0; c < fields.length; c++) {
      const f = fields[c]!;
      const v = /^\d{1,10}$/.test(f) ? Number(f) : NaN;
      if (!(v <= COLUMN_MAX[c]!)) {
        problems.push({ line: where, message: `column ${c + 1} (${COLUMN_NAMES[c]}) ${JSON.stringify(f)} is not a decimal number 0-${COLUMN_MAX[c]}` });
        break;
      }
      values.push(v);
    }
    if (values.length !== fields.length) continue;
    for (let c = 0; c < values.length; c++) cols[c]!.push(values[c]!);
    lines.push(ln + 1);
  }
  if (problems.length > 0) throw new ClassBenchError(file, problems);
  return {
    length: lines.length,
    src: Uint32Array.from(cols[0]!),
    dst: Uint32Array.from(cols[1]!),
    sport: Uint32Array.from(cols[2]!),
    dport: Uint32Array.from(cols[3]!),
    proto: Uint32Array.from(cols[4]!),
    match: width === 6 ? Int32Array.from(cols[5]!) : null,
    lines: Uint32Array.from(lines),
  };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ClassBenchError(path, [{ line: 0, message: `cannot read (${(err as Error).message})` }]);
  }
}

export function loadClassBenchRules(path: string): ClassBenchRules {
  return parseClassBenchRules(readText(path), path);
}

export function loadClassBenchTrace(path: string): ClassBenchTrace {
  return parseClassBenchTrace(readText(path), path);
}

/**
 * The importer entry point for src/parse/load.ts: never throws on bad input;
 * every bad line is an error issue at path `line N`.
 */
export function importClassBench(text: string, file = 'rules'): ParseResult {
  try {
    const r = parseClassBenchRules(text, file);
    const issues: Issue[] = [];
    if (r.rules.length === 0) {
      issues.push({ severity: 'error', path: '', code: 'classbench-empty', message: `no rule lines (expected lines like ${RULE_EXPECTED})` });
      return { issues };
    }
    if (r.hostBitsMasked > 0) {
      issues.push({ severity: 'warning', path: '', code: 'host-bits', message: `${r.hostBitsMasked} prefix(es) had host bits set; read as their network address` });
    }
    return { topology: r.topology, issues };
  } catch (err) {
    if (!(err instanceof ClassBenchError)) throw err;
    return { issues: err.problems.map((p) => ({ severity: 'error' as const, path: p.line ? `line ${p.line}` : '', code: 'classbench-syntax', message: p.message })) };
  }
}
