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
import { parseAddress, parseCidr, type Cidr } from '../model/address.js';
import { DEFAULT_TIMEOUTS, type PortRange, type Rule, type Topology } from '../model/topology.js';
import type { Issue } from './issues.js';
import type { ParseResult } from './native.js';
import { ApiUsageError, SgfError } from '../model/errors.js';

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

/** Join the tokens of "lo : hi", "lo: hi" and "lo :hi" into "lo:hi". */
function joinPortRanges(tokens: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const prev = out[out.length - 1];
    if (t === ':' && prev !== undefined && /^\d+$/.test(prev) && i + 1 < tokens.length && /^\d+$/.test(tokens[i + 1]!)) {
      out[out.length - 1] = `${prev}:${tokens[++i]}`;
    } else if (/^\d+:$/.test(t) && i + 1 < tokens.length && /^\d+$/.test(tokens[i + 1]!)) {
      out.push(`${t}${tokens[++i]}`);
    } else if (/^:\d+$/.test(t) && prev !== undefined && /^\d+$/.test(prev)) {
      out[out.length - 1] = `${prev}${t}`;
    } else {
      out.push(t);
    }
  }
  return out;
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
    // Whitespace-separated tokens, then "lo : hi" (also "lo: hi", "lo :hi")
    // joined into one port-range field. Joining on tokens, not on the text,
    // keeps IPv6 prefixes ("::/0 ::/0", "2001:db8::/32") intact.
    const fields = joinPortRanges(trimmed.slice(1).trim().split(/\s+/));
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

/**
 * A header trace in columns. IPv4 traces (ClassBench's own) have decimal
 * addresses; IPv6 traces (as dpdk-test-acl reads them) have IPv6 text
 * addresses, e.g. `2001:db8:a00:1:: 2001:db8:c0a8:1:: 1024 80 6 1`. One
 * trace is one family (a mixed trace is refused).
 */
export interface ClassBenchTrace {
  length: number;
  family: 4 | 6;
  /** IPv4: the addresses. IPv6: word 0 (the most significant 32 bits) of each. */
  src: Uint32Array;
  dst: Uint32Array;
  /** IPv6 only: 4 u32 per packet, word 0 most significant; null for IPv4. */
  src6: Uint32Array | null;
  dst6: Uint32Array | null;
  sport: Uint32Array;
  dport: Uint32Array;
  proto: Uint32Array;
  /** The oracle column (1-based rule, 0 = none), or null when the file has 5 columns. */
  match: Int32Array | null;
  /** 1-based line of each packet. */
  lines: Uint32Array;
}

const TRACE_EXPECTED = 'SA DA SP DP PROTO [MATCH], addresses decimal (IPv4) or IPv6 text, the rest decimal';
const COLUMN_NAMES = ['source address', 'destination address', 'source port', 'destination port', 'protocol', 'match'];
const COLUMN_MAX = [0xffffffff, 0xffffffff, 65535, 65535, 255, 0x7fffffff];

/** The 4 u32 words of an IPv6 address text, or null. */
function v6Words(text: string): [number, number, number, number] | null {
  // Fast path: hex groups with at most one "::" (what traces hold); anything
  // else (an embedded dotted quad, a zone) goes through parseAddress.
  if (/^[0-9a-fA-F:]{2,39}$/.test(text)) {
    const halves = text.split('::');
    if (halves.length <= 2) {
      const head = halves[0] === '' ? [] : halves[0]!.split(':');
      const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
      const groups = halves.length === 2 ? head.length + tail.length < 8 : head.length === 8;
      if (groups && [...head, ...tail].every((g) => g.length >= 1 && g.length <= 4)) {
        const g = [...head, ...new Array<string>(8 - head.length - tail.length).fill('0'), ...tail].map((x) => parseInt(x, 16));
        return [((g[0]! << 16) | g[1]!) >>> 0, ((g[2]! << 16) | g[3]!) >>> 0, ((g[4]! << 16) | g[5]!) >>> 0, ((g[6]! << 16) | g[7]!) >>> 0];
      }
    }
    return null;
  }
  const a = parseAddress(text);
  if (!a || a.family !== 6) return null;
  const v = a.value;
  return [Number((v >> 96n) & 0xffffffffn), Number((v >> 64n) & 0xffffffffn), Number((v >> 32n) & 0xffffffffn), Number(v & 0xffffffffn)];
}

/** The IPv6 address of packet i of an IPv6 trace, as a bigint (src: true) . */
export function traceAddress6(words: Uint32Array, i: number): bigint {
  return (BigInt(words[i * 4]!) << 96n) | (BigInt(words[i * 4 + 1]!) << 64n) | (BigInt(words[i * 4 + 2]!) << 32n) | BigInt(words[i * 4 + 3]!);
}

/** Parse a ClassBench trace. Throws ClassBenchError listing every bad line. */
export function parseClassBenchTrace(text: string, file = 'trace'): ClassBenchTrace {
  const problems: Problem[] = [];
  const all = text.split('\n');
  const cols: number[][] = [[], [], [], [], [], []];
  const a6: number[][] = [[], []];
  const lines: number[] = [];
  let width = -1;
  let family: 4 | 6 | 0 = 0;
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
    const lineFamily = fields[0]!.includes(':') ? 6 : 4;
    if (family === 0) family = lineFamily;
    else if (lineFamily !== family) {
      problems.push({ line: where, message: `column 1 (source address) ${JSON.stringify(fields[0])} is IPv${lineFamily}, but the lines before are IPv${family} (one trace is one family)` });
      continue;
    }
    const values: number[] = [];
    const words: [number, number, number, number][] = [];
    for (let c = 0; c < fields.length; c++) {
      const f = fields[c]!;
      if (c < 2 && family === 6) {
        const w = v6Words(f);
        if (!w) {
          problems.push({ line: where, message: `column ${c + 1} (${COLUMN_NAMES[c]}) ${JSON.stringify(f)} is not an IPv6 address` });
          break;
        }
        words.push(w);
        values.push(w[0]);
        continue;
      }
      const v = /^\d{1,10}$/.test(f) ? Number(f) : NaN;
      if (!(v <= COLUMN_MAX[c]!)) {
        problems.push({ line: where, message: `column ${c + 1} (${COLUMN_NAMES[c]}) ${JSON.stringify(f)} is not a decimal number 0-${COLUMN_MAX[c]}` });
        break;
      }
      values.push(v);
    }
    if (values.length !== fields.length) continue;
    for (let c = 0; c < values.length; c++) cols[c]!.push(values[c]!);
    if (family === 6) { a6[0]!.push(...words[0]!); a6[1]!.push(...words[1]!); }
    lines.push(ln + 1);
  }
  if (problems.length > 0) throw new ClassBenchError(file, problems);
  return {
    length: lines.length,
    family: family === 6 ? 6 : 4,
    src: Uint32Array.from(cols[0]!),
    dst: Uint32Array.from(cols[1]!),
    src6: family === 6 ? Uint32Array.from(a6[0]!) : null,
    dst6: family === 6 ? Uint32Array.from(a6[1]!) : null,
    sport: Uint32Array.from(cols[2]!),
    dport: Uint32Array.from(cols[3]!),
    proto: Uint32Array.from(cols[4]!),
    match: width === 6 ? Int32Array.from(cols[5]!) : null,
    lines: Uint32Array.from(lines),
  };
}

/**
 * The IPv6 variant of an IPv4 ClassBench set, for benchmarks and tests: every
 * IPv4 address a becomes 2001:db8:HHHH:LLLL:0:0:0:0 (a in bits 32-63, inside
 * 2001:db8::/32) and every prefix /L becomes /(32+L), so a packet matches a
 * rule exactly when its IPv4 original did and the oracle column still holds.
 * Addresses are written in full 8-group form (no "::"), which both this
 * parser and dpdk-test-acl --ipv6 read. Takes and returns file text.
 */
export function classBenchToIpv6(rulesText: string, traceText: string, file = 'rules'): { rules: string; trace: string } {
  const r = parseClassBenchRules(rulesText, file);
  const addr = (a: number) => `2001:db8:${((a >>> 16) & 0xffff).toString(16)}:${(a & 0xffff).toString(16)}:0:0:0:0`;
  const ruleLines = r.rules.map((rule) => {
    if (rule.remote.kind !== 'cidr' || rule.remote.cidr.family !== 4 || !rule.local || rule.local.family !== 4) throw new ApiUsageError(`${file}: rule ${rule.id} is not an IPv4 rule`);
    const pr = (p: PortRange[] | null) => (p ? `${p[0]!.from} : ${p[0]!.to}` : '0 : 65535');
    const proto = rule.protocol === 'all' ? '0x00/0x00' : `0x${(rule.protocol as number).toString(16).padStart(2, '0')}/0xFF`;
    return `@${addr(Number(rule.remote.cidr.network))}/${32 + rule.remote.cidr.prefix} ${addr(Number(rule.local.network))}/${32 + rule.local.prefix} ${pr(rule.sourcePorts ?? null)} ${pr(rule.ports ?? null)} ${proto}`;
  });
  const t = parseClassBenchTrace(traceText, 'trace');
  if (t.family !== 4) throw new ApiUsageError('the trace is not an IPv4 trace');
  const traceLines: string[] = [];
  for (let i = 0; i < t.length; i++) {
    traceLines.push(`${addr(t.src[i]!)} ${addr(t.dst[i]!)} ${t.sport[i]} ${t.dport[i]} ${t.proto[i]}${t.match ? ` ${t.match[i]}` : ''}`);
  }
  return { rules: ruleLines.join('\n') + '\n', trace: traceLines.join('\n') + '\n' };
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
