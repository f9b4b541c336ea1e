/**
 * Alibaba Cloud importer (SEMANTICS §8): `DescribeSecurityGroupAttribute`
 * responses -> native topology -> model.
 *
 * Accepted documents (docs/formats.md):
 *  - one response: `{ "SecurityGroupId": …, "InnerAccessPolicy": …, "Permissions": { "Permission": [ … ] } }`;
 *  - an array of responses;
 *  - a bundle: `{ "DescribeSecurityGroupAttribute": response | [responses],
 *      "DescribeSecurityGroups"?: response | [pages],       // SecurityGroupType normal/enterprise
 *      "DescribeNetworkInterfaces"?: response | [pages],    // the interfaces and their groups
 *      "DescribePrefixListAttributes"?: response | [responses],  // prefix lists used by rules
 *      "DescribePortRangeListEntries"?: { "<port list id>": response } | response | [responses],
 *                                                           // port lists used by rules (a response
 *                                                           // does not name its list: key it by id,
 *                                                           // or add "PortRangeListId" to it)
 *      "description"?: string }`.
 *
 * Each Permission becomes one native rule at the same index. Addresses: for
 * ingress the remote side is `Source*` and the local side `Dest*`; for egress
 * the other way round. As the API: a CIDR beats a group id, and a prefix list
 * is ignored when any other address is given (both with a warning). A port
 * list (`PortRangeListId`) gives the rule its ranges when `PortRange` is empty;
 * without the list's entries the rule is an error (it is never widened to all
 * ports). Group
 * type: `DescribeSecurityGroups` first, then the `groupType` option, else basic
 * with a warning. Every error carries its path in the ORIGINAL document.
 */
import { IssueList, show, type PathSegment } from './issues.js';
import type { NativeAddressGroup, NativeGroup, NativeInterface, NativeRule, NativeTopology } from './native.js';
import {
  Origins,
  finishImport,
  isBlank,
  isObject,
  needArray,
  needId,
  needObject,
  optString,
  typeName,
  word,
  type ImportResult,
  type JsonObject,
} from './convert.js';

export interface AliyunImportOptions {
  /** File name for messages. */
  file?: string;
  /** Type of groups that no `DescribeSecurityGroups` entry describes. */
  groupType?: 'basic' | 'advanced';
}

/** Bundle keys (besides `description`). */
export const ALIYUN_BUNDLE_KEYS = [
  'DescribeSecurityGroupAttribute',
  'DescribeSecurityGroups',
  'DescribeNetworkInterfaces',
  'DescribePrefixListAttributes',
  'DescribePortRangeListEntries',
] as const;

/** Does this JSON value look like Alibaba input (for format detection)? */
export function looksLikeAliyun(doc: unknown): boolean {
  const first = Array.isArray(doc) ? doc[0] : doc;
  if (!isObject(first)) return false;
  return 'DescribeSecurityGroupAttribute' in first || 'SecurityGroupId' in first || 'Permissions' in first;
}

interface Located {
  value: unknown;
  path: PathSegment[];
}

/** A response or an array of them, each with its path. */
function oneOrMany(v: unknown, path: PathSegment[]): Located[] {
  return Array.isArray(v) ? v.map((value, i) => ({ value, path: [...path, i] })) : [{ value: v, path }];
}

/**
 * Alibaba wraps lists: `{ "Permissions": { "Permission": [ … ] } }`. Also
 * accept the list directly (some SDKs flatten it).
 */
function wrappedList(outer: unknown, inner: string, path: PathSegment[], issues: IssueList): Located[] | null {
  if (Array.isArray(outer)) return outer.map((value, i) => ({ value, path: [...path, i] }));
  const o = needObject(outer, path, issues, `an object {"${inner}": [...]}`);
  if (!o) return null;
  const list = needArray(o[inner], [...path, inner], issues);
  if (!list) return null;
  return list.map((value, i) => ({ value, path: [...path, inner, i] }));
}

const DIRECTIONS = { ingress: 'ingress', egress: 'egress' } as const;
const POLICIES = { Accept: 'allow', accept: 'allow', Drop: 'deny', drop: 'deny' } as const;
const INNER_POLICIES = { Accept: 'accept', Drop: 'drop' } as const;
const GROUP_TYPES = { normal: 'basic', enterprise: 'advanced' } as const;
/** IpProtocol as the API returns it (upper case) and as requests write it (lower case). */
const PROTOCOLS: Record<string, string> = {
  TCP: 'tcp', UDP: 'udp', ICMP: 'icmp', ICMPv6: 'icmpv6', GRE: 'gre', ALL: 'all',
  tcp: 'tcp', udp: 'udp', icmp: 'icmp', icmpv6: 'icmpv6', gre: 'gre', all: 'all',
};

const PORT_RANGE_EXPECTED = 'expected "start/end", e.g. "22/22", "1/65535" or "-1/-1"';

/**
 * `PortRange` / `SourcePortRange`: "22/22", "80/443", "1/65535" (all),
 * "-1/-1" (all, with a warning). Returns the native port text, null for all
 * ports, or undefined on error.
 */
export function aliyunPortRange(v: unknown, path: PathSegment[], issues: IssueList): string | null | undefined {
  if (isBlank(v)) return null;
  const m = typeof v === 'string' ? /^\s*(-?\d+)\s*\/\s*(-?\d+)\s*$/.exec(v) : null;
  if (!m) {
    issues.error(path, 'port-range', `${show(v)} is not a port range (${PORT_RANGE_EXPECTED})`);
    return undefined;
  }
  const from = Number(m[1]);
  const to = Number(m[2]);
  if (from === -1 && to === -1) {
    issues.warn(path, 'port-range-any', `${show(v)} read as all ports`);
    return null;
  }
  if (!(from >= 1 && from <= 65535 && to >= 1 && to <= 65535)) {
    issues.error(path, 'port-range', `${show(v)} is not a port range (1-65535)`);
    return undefined;
  }
  if (from > to) {
    issues.error(path, 'port-range', `${show(v)} is not a port range (start ${from} is above end ${to})`);
    return undefined;
  }
  if (from === 1 && to === 65535) return null;
  return from === to ? `${from}` : `${from}-${to}`;
}

function priorityOf(v: unknown, path: PathSegment[], issues: IssueList): number | undefined {
  if (isBlank(v)) {
    issues.warn(path, 'priority-default', 'missing; read as 1 (the API default)');
    return 1;
  }
  // The API documents Priority as a string ("1"); a JSON number is read as well.
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\s*\d{1,9}\s*$/.test(v)) return Number(v);
  issues.error(path, 'priority', `${show(v)} is not a priority (expected an integer 1-100, or 110, as a string like "1")`);
  return undefined;
}

interface Side {
  cidr?: { text: string; path: PathSegment[] };
  group?: { id: string; path: PathSegment[] };
  prefixList?: { id: string; path: PathSegment[] };
}

/** Read one side (Source* or Dest*) of a permission. */
function readSide(p: JsonObject, ppath: PathSegment[], side: 'Source' | 'Dest', issues: IssueList): Side {
  const out: Side = {};
  const v4key = `${side}CidrIp`;
  const v6key = `Ipv6${side}CidrIp`;
  const v4 = optString(p[v4key], [...ppath, v4key], issues);
  const v6 = optString(p[v6key], [...ppath, v6key], issues);
  if (v4 !== undefined && v6 !== undefined) {
    issues.error([...ppath, v6key], 'two-families',
      `both ${v4key} ${show(v4)} and ${v6key} ${show(v6)} are set; a rule has one address family (expected one of them)`);
  }
  if (v4 !== undefined) out.cidr = { text: v4.trim(), path: [...ppath, v4key] };
  else if (v6 !== undefined) out.cidr = { text: v6.trim(), path: [...ppath, v6key] };
  const gkey = `${side}GroupId`;
  const g = optString(p[gkey], [...ppath, gkey], issues);
  if (g !== undefined) out.group = { id: g.trim(), path: [...ppath, gkey] };
  const lkey = `${side}PrefixListId`;
  const l = optString(p[lkey], [...ppath, lkey], issues);
  if (l !== undefined) out.prefixList = { id: l.trim(), path: [...ppath, lkey] };
  return out;
}

interface PrefixList {
  id: string;
  path: PathSegment[];
  cidrs: { text: string; path: PathSegment[] }[];
}

/** A port list from a DescribePortRangeListEntries response: its ranges in native text. */
interface PortList {
  id: string;
  path: PathSegment[];
  ranges: string[];
}

/**
 * The `DescribePortRangeListEntries` part of a bundle. The response
 * (`{"RequestId", "Entries": [{"PortRange": "80/80", "Description"}]}`) does
 * not name its list, so either the responses are keyed by port-list id, or
 * each carries `"PortRangeListId"` (the request parameter). Entries may also
 * come wrapped as `{"Entry": [...]}` like the other list fields.
 */
function readPortLists(v: unknown, base: PathSegment[], issues: IssueList): Map<string, PortList> {
  const out = new Map<string, PortList>();
  const responses: { value: unknown; path: PathSegment[]; id?: string }[] = [];
  if (Array.isArray(v)) {
    v.forEach((value, i) => responses.push({ value, path: [...base, i] }));
  } else if (isObject(v) && !('Entries' in v)) {
    for (const [id, value] of Object.entries(v)) responses.push({ value, path: [...base, id], id });
  } else {
    responses.push({ value: v, path: base });
  }
  for (const r of responses) {
    const o = needObject(r.value, r.path, issues, 'a DescribePortRangeListEntries response object {"Entries": [...]}');
    if (!o) continue;
    let id: string | null;
    if (r.id !== undefined) {
      id = r.id.trim() === '' ? null : r.id.trim();
      if (id === null) issues.error(r.path, 'type', 'expected a port list id as the key, got ""');
      else if (!isBlank(o.PortRangeListId) && o.PortRangeListId !== id) {
        issues.error([...r.path, 'PortRangeListId'], 'value', `${show(o.PortRangeListId)} differs from the key ${show(id)} it is filed under`);
      }
    } else if (o.PortRangeListId === undefined) {
      issues.error([...r.path, 'PortRangeListId'], 'missing',
        'required: a DescribePortRangeListEntries response does not name its port list; add "PortRangeListId" (the request parameter), or give the responses as an object keyed by port list id');
      id = null;
    } else {
      id = needId(o.PortRangeListId, [...r.path, 'PortRangeListId'], issues);
    }
    const entries = wrappedList(o.Entries, 'Entry', [...r.path, 'Entries'], issues);
    if (id === null || !entries) continue;
    const ranges: string[] = [];
    for (const e of entries) {
      const eo = needObject(e.value, e.path, issues, 'an entry object {"PortRange": "80/80"}');
      if (!eo) continue;
      const text = portListEntry(eo.PortRange, [...e.path, 'PortRange'], issues);
      if (text !== undefined) ranges.push(text);
    }
    if (out.has(id)) issues.error(r.path, 'duplicate-id', `port list ${show(id)} is given twice`);
    else out.set(id, { id, path: r.path, ranges });
  }
  return out;
}

/** One port-list entry: "start/end" with 1 <= start <= end <= 65535 (no "-1/-1" here). */
function portListEntry(v: unknown, path: PathSegment[], issues: IssueList): string | undefined {
  const m = typeof v === 'string' ? /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v) : null;
  const from = m ? Number(m[1]) : NaN;
  const to = m ? Number(m[2]) : NaN;
  if (v === undefined) {
    issues.error(path, 'missing', 'required, expected a port range "start/end", e.g. "80/90"');
    return undefined;
  }
  if (!m || !(from >= 1 && to <= 65535 && from <= to)) {
    issues.error(path, 'port-range', `${show(v)} is not a port-list entry (expected "start/end" with 1 <= start <= end <= 65535, e.g. "22/22" or "80/90")`);
    return undefined;
  }
  return from === to ? `${from}` : `${from}-${to}`;
}

/**
 * Convert Alibaba input to a native topology document (with the origin of
 * every field), without running the native stage.
 */
export function aliyunToNative(doc: unknown, options: AliyunImportOptions = {}): { native: NativeTopology; origins: Origins; issues: IssueList } {
  const issues = new IssueList();
  const origins = new Origins();
  const native: NativeTopology = { cloud: 'aliyun', securityGroups: [] };

  // 1. Which parts are present.
  let attributes: Located[] = [];
  let groupPages: Located[] = [];
  let nicPages: Located[] = [];
  let prefixResponses: Located[] = [];
  let portLists = new Map<string, PortList>();
  if (Array.isArray(doc)) {
    attributes = oneOrMany(doc, []);
  } else if (isObject(doc) && 'DescribeSecurityGroupAttribute' in doc) {
    for (const key of Object.keys(doc)) {
      if (key !== 'description' && !(ALIYUN_BUNDLE_KEYS as readonly string[]).includes(key)) {
        issues.error([key], 'unknown-key', `unknown bundle key ${show(key)} (expected ${ALIYUN_BUNDLE_KEYS.map((k) => JSON.stringify(k)).join(', ')} or "description")`);
      }
    }
    if (typeof doc.description === 'string') native.description = doc.description;
    attributes = oneOrMany(doc.DescribeSecurityGroupAttribute, ['DescribeSecurityGroupAttribute']);
    if (doc.DescribeSecurityGroups !== undefined) groupPages = oneOrMany(doc.DescribeSecurityGroups, ['DescribeSecurityGroups']);
    if (doc.DescribeNetworkInterfaces !== undefined) nicPages = oneOrMany(doc.DescribeNetworkInterfaces, ['DescribeNetworkInterfaces']);
    if (doc.DescribePrefixListAttributes !== undefined) prefixResponses = oneOrMany(doc.DescribePrefixListAttributes, ['DescribePrefixListAttributes']);
    if (doc.DescribePortRangeListEntries !== undefined) portLists = readPortLists(doc.DescribePortRangeListEntries, ['DescribePortRangeListEntries'], issues);
  } else if (isObject(doc)) {
    attributes = [{ value: doc, path: [] }];
  } else {
    issues.error([], 'type', `expected a DescribeSecurityGroupAttribute response object, an array of them, or a bundle {"DescribeSecurityGroupAttribute": ...}; got ${typeName(doc)}`);
    return { native, origins, issues };
  }

  // 2. Group types from DescribeSecurityGroups.
  const typeOf = new Map<string, { type: 'basic' | 'advanced'; path: PathSegment[] }>();
  for (const page of groupPages) {
    const o = needObject(page.value, page.path, issues, 'a DescribeSecurityGroups response object');
    if (!o) continue;
    const list = wrappedList(o.SecurityGroups, 'SecurityGroup', [...page.path, 'SecurityGroups'], issues);
    for (const entry of list ?? []) {
      const e = needObject(entry.value, entry.path, issues);
      if (!e) continue;
      const id = needId(e.SecurityGroupId, [...entry.path, 'SecurityGroupId'], issues);
      if (id === null || e.SecurityGroupType === undefined) continue;
      const t = word(e.SecurityGroupType, [...entry.path, 'SecurityGroupType'], issues, GROUP_TYPES, '"normal" (basic) or "enterprise" (advanced)');
      if (t) typeOf.set(id, { type: t, path: [...entry.path, 'SecurityGroupType'] });
    }
  }

  // 3. Prefix lists -> address groups.
  const prefixLists = new Map<string, PrefixList>();
  for (const r of prefixResponses) {
    const o = needObject(r.value, r.path, issues, 'a DescribePrefixListAttributes response object');
    if (!o) continue;
    const id = needId(o.PrefixListId, [...r.path, 'PrefixListId'], issues);
    const entries = wrappedList(o.Entries, 'Entry', [...r.path, 'Entries'], issues);
    if (id === null || !entries) continue;
    const cidrs: PrefixList['cidrs'] = [];
    for (const e of entries) {
      const eo = needObject(e.value, e.path, issues);
      if (!eo) continue;
      const c = eo.Cidr;
      if (typeof c !== 'string' || c.trim() === '') {
        issues.error([...e.path, 'Cidr'], c === undefined ? 'missing' : 'type', `expected a CIDR string, got ${typeName(c)}`);
        continue;
      }
      cidrs.push({ text: c.trim(), path: [...e.path, 'Cidr'] });
    }
    if (prefixLists.has(id)) issues.error([...r.path, 'PrefixListId'], 'duplicate-id', `prefix list ${show(id)} is given twice`);
    else prefixLists.set(id, { id, path: r.path, cidrs });
  }
  const usedPrefixLists = new Set<string>();

  // 4. Security groups.
  let sawUnknownType = false;
  attributes.forEach((a, gi) => {
    const o = needObject(a.value, a.path, issues, 'a DescribeSecurityGroupAttribute response object');
    const gpath: PathSegment[] = ['securityGroups', gi];
    const group: NativeGroup = { id: `#${gi}`, rules: [] };
    native.securityGroups.push(group);
    if (!o) return;
    origins.set(gpath, a.path);
    const id = needId(o.SecurityGroupId, [...a.path, 'SecurityGroupId'], issues);
    if (id !== null) group.id = id;
    origins.set([...gpath, 'id'], [...a.path, 'SecurityGroupId']);
    const name = optString(o.SecurityGroupName, [...a.path, 'SecurityGroupName'], issues);
    const desc = optString(o.Description, [...a.path, 'Description'], issues);
    if (name !== undefined || desc !== undefined) group.description = [name, desc].filter((s) => s !== undefined).join(': ');

    const known = id !== null ? typeOf.get(id) : undefined;
    if (known) {
      group.type = known.type;
      origins.set([...gpath, 'type'], known.path);
      if (options.groupType !== undefined && options.groupType !== known.type) {
        issues.warn(known.path, 'group-type-conflict',
          `group ${show(id)} is ${known.type} per DescribeSecurityGroups; the groupType option (${options.groupType}) is not applied to it`);
      }
    } else if (options.groupType !== undefined) {
      group.type = options.groupType;
    } else {
      group.type = 'basic';
      sawUnknownType = true;
    }
    if (o.InnerAccessPolicy !== undefined && o.InnerAccessPolicy !== null && o.InnerAccessPolicy !== '') {
      const p = word(o.InnerAccessPolicy, [...a.path, 'InnerAccessPolicy'], issues, INNER_POLICIES, '"Accept" or "Drop"');
      if (p) group.innerAccessPolicy = p;
      origins.set([...gpath, 'innerAccessPolicy'], [...a.path, 'InnerAccessPolicy']);
    }

    const perms = wrappedList(o.Permissions, 'Permission', [...a.path, 'Permissions'], issues);
    if (!perms) return;
    origins.set([...gpath, 'rules'], [...a.path, 'Permissions']);
    perms.forEach((perm, ri) => {
      group.rules.push(convertPermission(perm, [...gpath, 'rules', ri], issues, origins, prefixLists, usedPrefixLists, portLists));
    });
  });
  if (sawUnknownType) {
    issues.warn([], 'group-type-unknown',
      'no DescribeSecurityGroups entry and no groupType option for some groups: read as basic (pass --group-type advanced, or add DescribeSecurityGroups to a bundle)');
  }

  // 5. Address groups from the prefix lists (all given, in document order).
  const addressGroups: NativeAddressGroup[] = [];
  for (const pl of prefixLists.values()) {
    const k = addressGroups.length;
    origins.set(['addressGroups', k], pl.path);
    origins.set(['addressGroups', k, 'id'], [...pl.path, 'PrefixListId']);
    pl.cidrs.forEach((c, j) => origins.set(['addressGroups', k, 'cidrs', j], c.path));
    addressGroups.push({ id: pl.id, cidrs: pl.cidrs.map((c) => c.text) });
  }
  if (addressGroups.length > 0) native.addressGroups = addressGroups;

  // 6. Interfaces.
  const interfaces: NativeInterface[] = [];
  for (const page of nicPages) {
    const o = needObject(page.value, page.path, issues, 'a DescribeNetworkInterfaces response object');
    if (!o) continue;
    const list = wrappedList(o.NetworkInterfaceSets, 'NetworkInterfaceSet', [...page.path, 'NetworkInterfaceSets'], issues);
    for (const entry of list ?? []) {
      const n = needObject(entry.value, entry.path, issues);
      if (!n) continue;
      const k = interfaces.length;
      const ipath: PathSegment[] = ['interfaces', k];
      origins.set(ipath, entry.path);
      const id = needId(n.NetworkInterfaceId, [...entry.path, 'NetworkInterfaceId'], issues);
      origins.set([...ipath, 'id'], [...entry.path, 'NetworkInterfaceId']);
      const iface: NativeInterface = { id: id ?? `#nic${k}`, ips: [], groups: [] };
      const addIp = (v: unknown, path: PathSegment[]) => {
        if (typeof v !== 'string' || v.trim() === '') {
          issues.error(path, v === undefined ? 'missing' : 'type', `expected an IP address string, got ${typeName(v)}`);
          return;
        }
        if (iface.ips.includes(v.trim())) return; // the primary address is listed twice
        origins.set([...ipath, 'ips', iface.ips.length], path);
        iface.ips.push(v.trim());
      };
      if (n.PrivateIpSets !== undefined) {
        for (const s of wrappedList(n.PrivateIpSets, 'PrivateIpSet', [...entry.path, 'PrivateIpSets'], issues) ?? []) {
          const so = needObject(s.value, s.path, issues);
          if (so) addIp(so.PrivateIpAddress, [...s.path, 'PrivateIpAddress']);
        }
      }
      if (!isBlank(n.PrivateIpAddress)) addIp(n.PrivateIpAddress, [...entry.path, 'PrivateIpAddress']);
      if (n.Ipv6Sets !== undefined) {
        for (const s of wrappedList(n.Ipv6Sets, 'Ipv6Set', [...entry.path, 'Ipv6Sets'], issues) ?? []) {
          const so = needObject(s.value, s.path, issues);
          if (so) addIp(so.Ipv6Address, [...s.path, 'Ipv6Address']);
        }
      }
      origins.set([...ipath, 'ips'], n.PrivateIpSets !== undefined ? [...entry.path, 'PrivateIpSets'] : entry.path);
      const groups = wrappedList(n.SecurityGroupIds, 'SecurityGroupId', [...entry.path, 'SecurityGroupIds'], issues);
      origins.set([...ipath, 'groups'], [...entry.path, 'SecurityGroupIds']);
      for (const g of groups ?? []) {
        const gid = needId(g.value, g.path, issues);
        if (gid === null) continue;
        origins.set([...ipath, 'groups', iface.groups.length], g.path);
        iface.groups.push(gid);
      }
      interfaces.push(iface);
    }
  }
  if (interfaces.length > 0) native.interfaces = interfaces;
  return { native, origins, issues };
}

function convertPermission(
  perm: Located,
  rpath: PathSegment[],
  issues: IssueList,
  origins: Origins,
  prefixLists: Map<string, PrefixList>,
  usedPrefixLists: Set<string>,
  portLists: Map<string, PortList>,
): NativeRule {
  const ppath = perm.path;
  // Placeholders keep the native stage quiet about what is already reported here.
  const rule: NativeRule = { direction: 'ingress', action: 'allow', priority: 1, protocol: 'all' };
  origins.set(rpath, ppath);
  const p = needObject(perm.value, ppath, issues, 'a Permission object');
  if (!p) return rule;
  const at = (native: string, original: string) => origins.set([...rpath, native], [...ppath, original]);

  const ruleId = optString(p.SecurityGroupRuleId, [...ppath, 'SecurityGroupRuleId'], issues);
  if (ruleId !== undefined) {
    rule.id = ruleId.trim();
    at('id', 'SecurityGroupRuleId');
  }
  const description = optString(p.Description, [...ppath, 'Description'], issues);
  if (description !== undefined) rule.description = description;

  const direction = word(p.Direction, [...ppath, 'Direction'], issues, DIRECTIONS, '"ingress" or "egress"');
  if (direction) rule.direction = direction;
  at('direction', 'Direction');

  if (isBlank(p.Policy)) {
    issues.warn([...ppath, 'Policy'], 'policy-default', 'missing; read as "Accept" (the API default)');
  } else {
    const action = word(p.Policy, [...ppath, 'Policy'], issues, POLICIES, '"Accept" or "Drop"');
    if (action) rule.action = action;
  }
  at('action', 'Policy');

  const priority = priorityOf(p.Priority, [...ppath, 'Priority'], issues);
  if (priority !== undefined) rule.priority = priority;
  at('priority', 'Priority');

  const protocol = word(p.IpProtocol, [...ppath, 'IpProtocol'], issues, PROTOCOLS, 'an IpProtocol (TCP, UDP, ICMP, ICMPv6, GRE or ALL)');
  if (protocol) rule.protocol = protocol;
  at('protocol', 'IpProtocol');

  // Destination ports: PortRange, or the port list (PortRangeListId) when PortRange is empty.
  const listId = optString(p.PortRangeListId, [...ppath, 'PortRangeListId'], issues)?.trim();
  const rangeIsPlaceholder = listId !== undefined && typeof p.PortRange === 'string' && /^\s*-1\s*\/\s*-1\s*$/.test(p.PortRange) &&
    (protocol === 'tcp' || protocol === 'udp');
  if (listId === undefined || listId === '' || (isBlank(p.PortRange) === false && !rangeIsPlaceholder)) {
    const ports = aliyunPortRange(p.PortRange, [...ppath, 'PortRange'], issues);
    if (typeof ports === 'string' && protocol) rule.ports = ports;
    at('ports', 'PortRange');
    if (listId) {
      issues.warn([...ppath, 'PortRangeListId'], 'port-list-ignored',
        `port list ${show(listId)} is ignored: PortRange ${show(p.PortRange)} is given and takes precedence (as the API)`);
    }
  } else {
    const list = portLists.get(listId);
    const lpath = [...ppath, 'PortRangeListId'];
    if (rangeIsPlaceholder) {
      issues.warn([...ppath, 'PortRange'], 'port-range-placeholder',
        `${show(p.PortRange)} is not a ${protocol} port range; read as a placeholder for the port list ${show(listId)}, whose ranges are used`);
    }
    if (!list) {
      issues.error(lpath, 'unknown-port-list',
        `port list ${show(listId)} is not in the document, and the rule cannot be judged without its ranges (it is not widened to all ports); expected its DescribePortRangeListEntries response under "DescribePortRangeListEntries" in a bundle, keyed by ${show(listId)}`);
    } else if (list.ranges.length === 0) {
      issues.error(lpath, 'empty-port-list', `port list ${show(listId)} has no valid entries, so the ports of this rule are unknown (expected at least one "start/end" entry)`);
    } else {
      rule.ports = list.ranges.join(',');
    }
    at('ports', 'PortRangeListId');
  }
  const sourcePorts = aliyunPortRange(p.SourcePortRange, [...ppath, 'SourcePortRange'], issues);
  if (typeof sourcePorts === 'string' && protocol) rule.sourcePorts = sourcePorts;
  at('sourcePorts', 'SourcePortRange');

  // Addresses: remote side and local side by direction.
  const source = readSide(p, ppath, 'Source', issues);
  const dest = readSide(p, ppath, 'Dest', issues);
  const [remote, local] = rule.direction === 'ingress' ? [source, dest] : [dest, source];
  if (remote.cidr) {
    rule.remote = remote.cidr.text;
    origins.set([...rpath, 'remote'], remote.cidr.path);
    if (remote.group) {
      issues.warn(remote.group.path, 'group-ignored',
        `${show(remote.group.id)} is ignored: the CIDR ${show(remote.cidr.text)} takes precedence (as the API)`);
    }
  } else if (remote.group) {
    rule.remote = { group: remote.group.id };
    origins.set([...rpath, 'remote'], remote.group.path);
    origins.set([...rpath, 'remote', 'group'], remote.group.path);
  }
  if (remote.prefixList) {
    if (remote.cidr || remote.group) {
      issues.warn(remote.prefixList.path, 'prefix-list-ignored',
        `prefix list ${show(remote.prefixList.id)} is ignored because another address is given (as the API)`);
    } else if (!prefixLists.has(remote.prefixList.id)) {
      issues.error(remote.prefixList.path, 'unknown-prefix-list',
        `prefix list ${show(remote.prefixList.id)} is not in the document, and the rule cannot be judged without its CIDRs (it is not widened to every address); expected its DescribePrefixListAttributes response under "DescribePrefixListAttributes" in a bundle`);
    } else {
      usedPrefixLists.add(remote.prefixList.id);
      rule.remote = { addressGroup: remote.prefixList.id };
      origins.set([...rpath, 'remote'], remote.prefixList.path);
      origins.set([...rpath, 'remote', 'addressGroup'], remote.prefixList.path);
    }
  }
  if (local.cidr) {
    rule.local = local.cidr.text;
    origins.set([...rpath, 'local'], local.cidr.path);
  }
  for (const ignored of [local.group, local.prefixList]) {
    if (ignored) {
      issues.warn(ignored.path, 'local-not-cidr',
        `${show(ignored.id)} is ignored: on ${rule.direction} rules only a CIDR can restrict the interface side`);
    }
  }
  return rule;
}

/** Import Alibaba input (see the module comment) into the model. */
export function importAliyun(doc: unknown, options: AliyunImportOptions = {}): ImportResult {
  const { native, origins, issues } = aliyunToNative(doc, options);
  return finishImport(native, origins, issues, options.file);
}
