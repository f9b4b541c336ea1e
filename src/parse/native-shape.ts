/**
 * Pass 1 of the native topology format (SEMANTICS.md §1), with zod: types,
 * required and unknown keys, enumerations, and the syntax of each value
 * (ports, protocols, addresses, CIDRs). Every zod issue becomes an issue with
 * its JSON path; when the shape is wrong, `salvage` keeps the well-shaped
 * parts so that pass 2 (native-meaning.ts) can still report on them.
 */
import { z } from 'zod';
import { parseAddress, parseCidr } from '../model/address.js';
import { MAX_TIMEOUT_SECONDS, TIMEOUT_KEYS } from '../model/topology.js';
import { IssueList, show, type PathSegment } from './issues.js';
import { parseEthertype, parsePorts, parseProtocol } from './values.js';

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

export function zodIssues(err: z.ZodError, issues: IssueList, base: PathSegment[]): void {
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

export type ShapedTopology = z.output<typeof nativeTopologySchema>;

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

export function salvage(raw: unknown): ShapedTopology | undefined {
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
