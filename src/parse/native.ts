/**
 * The native topology format (SEMANTICS.md §1): JSON -> validated model.
 *
 * Two passes, both collecting every issue with its JSON path:
 *  1. shape, with zod: types, required and unknown keys, enumerations, and
 *     the syntax of each value (ports, protocols, addresses, CIDRs);
 *  2. meaning, by hand over the shaped document: per-cloud priority ranges,
 *     ports only on tcp/udp, families of CIDRs vs ethertype, unique ids,
 *     references to groups and address groups, addresses owned twice.
 * Nothing is returned unless both passes find no error.
 */
import { z } from 'zod';
import { parseAddress, parseCidr, type Cidr, type ParsedAddress } from '../model/address.js';
import type { Family } from '../model/packet.js';
import {
  DEFAULT_TIMEOUTS,
  MAX_TIMEOUT_SECONDS,
  TIMEOUT_KEYS,
  type Cloud,
  type ConntrackTimeouts,
  type NetworkInterface,
  type Remote,
  type Rule,
  type SecurityGroup,
  type Topology,
} from '../model/topology.js';
import { IssueList, formatPath, show, type Issue, type PathSegment } from './issues.js';
import { parseEthertype, parsePorts, parseProtocol, protocolHasPorts, protocolName } from './values.js';

// ---------------------------------------------------------------------------
// Pass 1: shape (zod)

function valueCheck<T>(parse: (v: T) => { ok: boolean; message?: string }) {
  return (v: T, ctx: z.RefinementCtx) => {
    const r = parse(v);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: r.message!, params: { sgf: 'value' } });
  };
}

const cidrText = z.string().superRefine(
  valueCheck((s: string) => {
    const r = parseCidr(s);
    return r.ok ? { ok: true } : { ok: false, message: `${show(s)} is not ${r.expected}` };
  }),
);

const addressText = z.string().superRefine(
  valueCheck((s: string) =>
    parseAddress(s) ? { ok: true } : { ok: false, message: `${show(s)} is not an IPv4 or IPv6 address (a bare address, no prefix length)` },
  ),
);

const portsValue = z.union([z.string(), z.number()]).superRefine(valueCheck(parsePorts));
const protocolValue = z.union([z.string(), z.number()]).superRefine(valueCheck(parseProtocol));
const idText = z.string().min(1);

const timeoutsShape = z.strictObject(
  Object.fromEntries(TIMEOUT_KEYS.map((k) => [k, z.number().nonnegative().max(MAX_TIMEOUT_SECONDS).optional()])) as Record<
    (typeof TIMEOUT_KEYS)[number],
    z.ZodOptional<z.ZodNumber>
  >,
);

const ruleShape = z.strictObject({
  id: idText.optional(),
  description: z.string().optional(),
  direction: z.enum(['ingress', 'egress']),
  action: z.enum(['allow', 'deny']),
  priority: z.number().int().nonnegative(),
  protocol: protocolValue,
  ethertype: z.string().superRefine(valueCheck(parseEthertype)).optional(),
  ports: portsValue.optional(),
  sourcePorts: portsValue.optional(),
  remote: z.union([cidrText, z.strictObject({ group: idText }), z.strictObject({ addressGroup: idText })]).optional(),
  local: cidrText.optional(),
});

const groupShape = z.strictObject({
  id: idText,
  description: z.string().optional(),
  type: z.enum(['basic', 'advanced']).optional(),
  innerAccessPolicy: z.enum(['accept', 'drop']).optional(),
  rules: z.array(ruleShape),
});

const addressGroupShape = z.strictObject({
  id: idText,
  description: z.string().optional(),
  cidrs: z.array(cidrText),
});

const interfaceShape = z.strictObject({
  id: idText,
  description: z.string().optional(),
  ips: z.array(addressText).min(1),
  groups: z.array(idText).min(1),
  conntrack: timeoutsShape.optional(),
});

export const nativeTopologySchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  cloud: z.enum(['aliyun', 'huawei', 'generic']),
  flavor: z.string().optional(),
  conntrack: timeoutsShape.optional(),
  defaults: z.strictObject({ ingress: z.enum(['allow', 'deny']).optional(), egress: z.enum(['allow', 'deny']).optional() }).optional(),
  addressGroups: z.array(addressGroupShape).optional(),
  securityGroups: z.array(groupShape),
  interfaces: z.array(interfaceShape).optional(),
});

/** The native JSON document, as written by users and produced by the importers. */
export type NativeTopology = z.input<typeof nativeTopologySchema>;
export type NativeRule = z.input<typeof ruleShape>;
export type NativeGroup = z.input<typeof groupShape>;
export type NativeInterface = z.input<typeof interfaceShape>;
export type NativeAddressGroup = z.input<typeof addressGroupShape>;

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${show(v)}`;
}

/** zod issue -> our message (what was found, what was expected). */
function describeZodIssue(issue: z.core.$ZodIssue): { code: string; message: string } {
  const found = 'input' in issue ? issue.input : undefined;
  switch (issue.code) {
    case 'invalid_type':
      if (found === undefined) return { code: 'missing', message: `required, expected ${article(issue.expected)}` };
      if (typeof found === 'number' && !Number.isFinite(found)) {
        // JSON like 1e400 parses as Infinity.
        return { code: 'too-big', message: `a number too large to represent (read as ${found}), expected ${article(issue.expected === 'int' ? 'int' : 'number')} within range` };
      }
      return { code: 'type', message: `expected ${article(issue.expected)}, got ${typeName(found)}` };
    case 'invalid_value':
      if (found === undefined) return { code: 'missing', message: `required, expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` };
      return {
        code: 'enum',
        message: `${show(found)} is not one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'unrecognized_keys':
      return { code: 'unknown-key', message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` };
    case 'too_small':
      if (issue.origin === 'array') return { code: 'too-small', message: `expected at least ${issue.minimum} item(s), got none` };
      if (issue.origin === 'string') return { code: 'empty', message: 'expected a non-empty string' };
      return { code: 'too-small', message: `${show(found)} is below the minimum ${issue.minimum}` };
    case 'too_big':
      return { code: 'too-big', message: `${show(found)} is above the maximum ${issue.maximum}` };
    case 'invalid_union': {
      const key = issue.path[issue.path.length - 1];
      if (key === 'protocol') {
        const r = parseProtocol(found);
        return { code: 'type', message: r.ok ? `${show(found)} is not a protocol` : r.message };
      }
      if (key === 'ports' || key === 'sourcePorts') {
        return { code: 'type', message: `${show(found)} is not a port list (expected e.g. "22", "80-82", "22,25,27" or "all")` };
      }
      if (key === 'remote') return { code: 'type', message: `${show(found)} is not a remote (expected a CIDR string, {"group": id} or {"addressGroup": id})` };
      return { code: 'type', message: `${show(found)} is not valid here` };
    }
    case 'custom':
      return { code: 'value', message: issue.message };
    default:
      if (issue.code === 'invalid_format' || issue.code === 'not_multiple_of') return { code: 'value', message: issue.message };
      return { code: 'value', message: issue.message };
  }
}

function article(expected: string): string {
  if (expected === 'int') return 'an integer';
  if (expected === 'array' || expected === 'object') return `an ${expected}`;
  return `a ${expected}`;
}

function zodIssues(err: z.ZodError, issues: IssueList, base: PathSegment[]): void {
  for (const issue of err.issues) {
    // Union failures on `remote`: report the most specific branch when the value was a string.
    const last = issue.path[issue.path.length - 1];
    if (issue.code === 'invalid_union' && last === 'remote' && typeof issue.input === 'string') {
      const r = parseCidr(issue.input);
      if (!r.ok) {
        issues.error([...base, ...(issue.path as PathSegment[])], 'value', `${show(issue.input)} is not ${r.expected}`);
        continue;
      }
    }
    // A number where a number-or-string was allowed but failed a value check is already custom.
    const { code, message } = describeZodIssue(issue);
    issues.error([...base, ...(issue.path as PathSegment[])], code, message);
  }
}

// ---------------------------------------------------------------------------
// Salvage: the well-shaped parts of a document that failed pass 1

type ShapedTopology = z.output<typeof nativeTopologySchema>;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The schema's output, or undefined when `x` does not have the shape. */
function shapedOr<S extends z.ZodType>(schema: S, x: unknown): z.output<S> | undefined {
  const r = schema.safeParse(x);
  return r.success ? r.data : undefined;
}

/**
 * A sparse copy of an array: the elements `parse` accepts stay at their
 * index, the others are holes, which forEach/map skip — so pass 2 reports
 * the right indices and never sees a badly shaped element.
 */
function sparse<T>(arr: unknown, parse: (x: unknown) => T | undefined): T[] {
  const out: T[] = [];
  if (!Array.isArray(arr)) return out;
  out.length = arr.length;
  arr.forEach((x, i) => {
    const v = parse(x);
    if (v !== undefined) out[i] = v;
  });
  return out;
}

function withId(x: unknown): (Record<string, unknown> & { id: string }) | undefined {
  return isRecord(x) && typeof x.id === 'string' && x.id !== '' ? (x as Record<string, unknown> & { id: string }) : undefined;
}

function salvage(raw: unknown): ShapedTopology | undefined {
  if (!isRecord(raw)) return undefined;
  const cloud = shapedOr(nativeTopologySchema.shape.cloud, raw.cloud);
  if (!cloud) return undefined;
  const doc: ShapedTopology = {
    cloud,
    securityGroups: sparse(raw.securityGroups, (x) => {
      const g = withId(x);
      if (!g) return undefined;
      return {
        id: g.id,
        type: shapedOr(groupShape.shape.type, g.type),
        innerAccessPolicy: shapedOr(groupShape.shape.innerAccessPolicy, g.innerAccessPolicy),
        rules: sparse(g.rules, (r) => shapedOr(ruleShape, r)),
      };
    }),
    addressGroups: sparse(raw.addressGroups, (x) => {
      const ag = withId(x);
      return ag ? { id: ag.id, cidrs: sparse(ag.cidrs, (c) => shapedOr(cidrText, c)) } : undefined;
    }),
    interfaces: sparse(raw.interfaces, (x) => {
      const i = withId(x);
      if (!i) return undefined;
      return {
        id: i.id,
        ips: sparse(i.ips, (a) => shapedOr(addressText, a)),
        groups: sparse(i.groups, (g) => shapedOr(idText, g)),
        conntrack: shapedOr(timeoutsShape, i.conntrack),
      };
    }),
  };
  const conntrack = shapedOr(timeoutsShape, raw.conntrack);
  if (conntrack) doc.conntrack = conntrack;
  const defaults = shapedOr(nativeTopologySchema.shape.defaults, raw.defaults);
  if (defaults) doc.defaults = defaults;
  return doc;
}

// ---------------------------------------------------------------------------
// Pass 2: meaning

export interface ParseOptions {
  /** File name for messages. */
  file?: string;
  /**
   * Importers' leniency: host bits in CIDRs are masked with a warning instead
   * of being an error (SEMANTICS.md §1).
   */
  lenientHostBits?: boolean;
}

export interface ParseResult {
  topology?: Topology;
  issues: Issue[];
}

function cidrOf(text: string, path: PathSegment[], issues: IssueList, lenient: boolean): Cidr | null {
  const r = parseCidr(text);
  if (!r.ok) return null; // reported by pass 1
  if (r.hostBitsSet) {
    const canonical = `${formatAddressOf(r.cidr)}/${r.cidr.prefix}`;
    if (lenient) issues.warn(path, 'host-bits', `${show(text)} has host bits set; read as ${canonical}`);
    else issues.error(path, 'host-bits', `${show(text)} has host bits set (expected the network address, ${canonical})`);
  }
  return r.cidr;
}

import { formatAddress } from '../model/address.js';
function formatAddressOf(c: Cidr): string {
  return formatAddress(c.family, c.network);
}

function priorityRange(cloud: Cloud): { ok: (p: number) => boolean; expected: string } {
  switch (cloud) {
    case 'aliyun':
      return { ok: (p) => (p >= 1 && p <= 100) || p === 110, expected: '1-100, or 110 for legacy default-group rules (Alibaba)' };
    case 'huawei':
      return { ok: (p) => p >= 1 && p <= 100, expected: '1-100 (Huawei)' };
    case 'generic':
      return { ok: (p) => p >= 0, expected: 'an integer >= 0' };
  }
}

function resolveTimeouts(cloud: Cloud, ...layers: (Partial<ConntrackTimeouts> | undefined)[]): ConntrackTimeouts {
  const t: ConntrackTimeouts = { ...DEFAULT_TIMEOUTS[cloud] };
  for (const layer of layers) {
    if (!layer) continue;
    for (const k of TIMEOUT_KEYS) if (layer[k] !== undefined) t[k] = layer[k]!;
  }
  return t;
}

/**
 * Validate a native topology document and build the model. Never throws on
 * bad input: every problem is an issue.
 */
export function parseNativeTopology(input: unknown, options: ParseOptions = {}): ParseResult {
  const issues = new IssueList();
  const shaped = nativeTopologySchema.safeParse(input, { reportInput: true });
  let doc: ShapedTopology;
  if (shaped.success) {
    doc = shaped.data;
  } else {
    zodIssues(shaped.error, issues, []);
    // Pass 2 still runs over every part whose shape is right, so that one
    // report lists the meaning errors too (no model is built).
    const partial = salvage(input);
    if (!partial) return { issues: issues.issues };
    doc = partial;
  }
  const cloud = doc.cloud;
  const lenient = options.lenientHostBits === true;

  if (doc.defaults && cloud !== 'generic') {
    issues.error(['defaults'], 'defaults-not-generic', `"defaults" applies to cloud "generic" only; ${cloud} has its own default rules (SEMANTICS §4)`);
  }

  // Unique ids.
  const seen = (kind: string, ids: { id: string }[], base: string) => {
    const first = new Map<string, number>();
    ids.forEach((x, i) => {
      const prev = first.get(x.id);
      if (prev !== undefined) issues.error([base, i, 'id'], 'duplicate-id', `duplicate ${kind} id ${show(x.id)} (first at ${base}[${prev}])`);
      else first.set(x.id, i);
    });
    return first;
  };
  const groupIds = seen('security group', doc.securityGroups, 'securityGroups');
  const addressGroupIds = seen('address group', doc.addressGroups ?? [], 'addressGroups');
  seen('interface', doc.interfaces ?? [], 'interfaces');

  // Address groups.
  const addressGroups = (doc.addressGroups ?? []).map((ag, i) => ({
    id: ag.id,
    cidrs: ag.cidrs.map((c, j) => cidrOf(c, ['addressGroups', i, 'cidrs', j], issues, lenient)).filter((c): c is Cidr => c !== null),
  }));

  // Security groups and rules.
  const range = priorityRange(cloud);
  const securityGroups: SecurityGroup[] = doc.securityGroups.map((g, gi) => {
    const gpath: PathSegment[] = ['securityGroups', gi];
    if (cloud !== 'aliyun' && g.type === 'advanced') {
      issues.error([...gpath, 'type'], 'advanced-not-aliyun', `type "advanced" exists on Alibaba Cloud only (this topology's cloud is ${cloud})`);
    }
    if (cloud !== 'aliyun' && g.innerAccessPolicy !== undefined) {
      issues.error([...gpath, 'innerAccessPolicy'], 'inner-policy-not-aliyun',
        `innerAccessPolicy exists on Alibaba Cloud basic groups only; on ${cloud} write an explicit rule with remote {"group": ${show(g.id)}}`);
    }
    const type = g.type ?? 'basic';
    if (type === 'advanced' && g.innerAccessPolicy === 'accept') {
      issues.error([...gpath, 'innerAccessPolicy'], 'inner-policy-advanced',
        'advanced groups are always internally isolated (seed 001); innerAccessPolicy "accept" is not possible');
    }
    const ruleIds = new Map<string, number>();
    const rules: Rule[] = g.rules.map((r, ri) => {
      const rpath: PathSegment[] = [...gpath, 'rules', ri];
      const id = r.id ?? `${g.id}/${ri + 1}`;
      if (r.id !== undefined) {
        const prev = ruleIds.get(r.id);
        if (prev !== undefined) issues.error([...rpath, 'id'], 'duplicate-id', `duplicate rule id ${show(r.id)} in group ${show(g.id)} (first at rules[${prev}])`);
        else ruleIds.set(r.id, ri);
      }
      if (!range.ok(r.priority)) issues.error([...rpath, 'priority'], 'priority-range', `${r.priority} is not a priority (expected ${range.expected})`);
      const proto = parseProtocol(r.protocol);
      const protocol = proto.ok ? proto.value.protocol : 'all';
      const ports = parsePorts(r.ports);
      const sourcePorts = parsePorts(r.sourcePorts);
      for (const [key, val] of [['ports', r.ports], ['sourcePorts', r.sourcePorts]] as const) {
        if (val !== undefined && !(typeof val === 'string' && val.trim().toLowerCase() === 'all') && !protocolHasPorts(protocol)) {
          issues.error([...rpath, key], 'ports-not-tcp-udp', `ports apply to tcp and udp rules only; this rule's protocol is ${protocolName(protocol)}`);
        }
      }
      // Families: protocol name, explicit ethertype, remote CIDR, local CIDR must agree.
      const families: { family: Family; why: string; path: PathSegment[] }[] = [];
      if (proto.ok && proto.value.impliedFamily) families.push({ family: proto.value.impliedFamily, why: `protocol ${protocolName(protocol)}`, path: [...rpath, 'protocol'] });
      if (r.ethertype !== undefined) {
        const e = parseEthertype(r.ethertype);
        if (e.ok) families.push({ family: e.value, why: `ethertype ${r.ethertype}`, path: [...rpath, 'ethertype'] });
      }
      let remote: Remote = { kind: 'any' };
      if (typeof r.remote === 'string') {
        const c = cidrOf(r.remote, [...rpath, 'remote'], issues, lenient);
        if (c) {
          remote = { kind: 'cidr', cidr: c };
          families.push({ family: c.family, why: `remote ${r.remote}`, path: [...rpath, 'remote'] });
        }
      } else if (r.remote && 'group' in r.remote) {
        remote = { kind: 'group', group: r.remote.group };
        if (!groupIds.has(r.remote.group)) {
          issues.error([...rpath, 'remote', 'group'], 'unknown-group', `${show(r.remote.group)} is not a security group of this topology (expected one of ${listIds(groupIds)})`);
        }
      } else if (r.remote && 'addressGroup' in r.remote) {
        remote = { kind: 'addressGroup', addressGroup: r.remote.addressGroup };
        if (!addressGroupIds.has(r.remote.addressGroup)) {
          issues.error([...rpath, 'remote', 'addressGroup'], 'unknown-address-group',
            `${show(r.remote.addressGroup)} is not an address group of this topology (expected one of ${listIds(addressGroupIds)})`);
        }
      }
      let local: Cidr | null = null;
      if (r.local !== undefined) {
        local = cidrOf(r.local, [...rpath, 'local'], issues, lenient);
        if (local) families.push({ family: local.family, why: `local ${r.local}`, path: [...rpath, 'local'] });
      }
      let ethertype: Family | 'any' = cloud === 'huawei' ? 4 : 'any';
      if (families.length > 0) {
        ethertype = families[0]!.family;
        const clash = families.find((f) => f.family !== ethertype);
        if (clash) {
          issues.error(clash.path, 'family-mismatch', `${clash.why} is IPv${clash.family} but ${families[0]!.why} is IPv${ethertype}`);
        }
      }
      const rule: Rule = {
        id,
        direction: r.direction,
        action: r.action,
        priority: r.priority,
        protocol,
        ethertype,
        ports: ports.ok ? ports.value : null,
        sourcePorts: sourcePorts.ok ? sourcePorts.value : null,
        remote,
        local,
        index: ri,
      };
      if (r.description !== undefined) rule.description = r.description;
      return rule;
    });
    return { id: g.id, type, innerAccessPolicy: type === 'advanced' ? 'drop' : (g.innerAccessPolicy ?? 'accept'), rules };
  });

  // Interfaces.
  const owners = new Map<string, string>();
  const interfaces: NetworkInterface[] = (doc.interfaces ?? []).map((iface, ii) => {
    const ipath: PathSegment[] = ['interfaces', ii];
    const ips: ParsedAddress[] = [];
    iface.ips.forEach((text, k) => {
      const a = parseAddress(text);
      if (!a) return; // reported by pass 1
      const key = `${a.family}:${a.value}`;
      const prev = owners.get(key);
      if (prev !== undefined) issues.error([...ipath, 'ips', k], 'address-owned-twice', `${show(text)} is already owned by ${prev}`);
      else owners.set(key, formatPath([...ipath, 'ips', k]) + ` (interface ${show(iface.id)})`);
      ips.push(a);
    });
    const seenGroups = new Set<string>();
    iface.groups.forEach((gid, k) => {
      if (!groupIds.has(gid)) {
        issues.error([...ipath, 'groups', k], 'unknown-group', `${show(gid)} is not a security group of this topology (expected one of ${listIds(groupIds)})`);
      }
      if (seenGroups.has(gid)) issues.error([...ipath, 'groups', k], 'duplicate-group', `group ${show(gid)} is bound twice`);
      seenGroups.add(gid);
    });
    return { id: iface.id, ips, groups: [...iface.groups], conntrack: resolveTimeouts(cloud, doc.conntrack, iface.conntrack) };
  });

  if (issues.hasErrors()) return { issues: issues.issues };
  const topology: Topology = {
    cloud,
    securityGroups,
    addressGroups,
    interfaces,
    defaults: { ingress: doc.defaults?.ingress ?? 'deny', egress: doc.defaults?.egress ?? 'deny' },
  };
  if (doc.flavor !== undefined) topology.flavor = doc.flavor;
  return { topology, issues: issues.issues };
}

function listIds(ids: Map<string, number>): string {
  const all = [...ids.keys()];
  if (all.length === 0) return 'none: there are none';
  const shown = all.slice(0, 8).map((s) => JSON.stringify(s)).join(', ');
  return all.length > 8 ? `${shown}, … (${all.length} in all)` : shown;
}
