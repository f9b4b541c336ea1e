/**
 * Huawei Cloud importer (SEMANTICS §8): VPC v3 security-group-rule JSON ->
 * native topology -> model.
 *
 * Accepted documents (docs/formats.md):
 *  - the list response `{ "security_group_rules": [ … ] }`;
 *  - the single response `{ "security_group_rule": { … } }`;
 *  - a bare array of rule objects;
 *  - a ShowSecurityGroup response `{ "security_group": { "id", "security_group_rules": [ … ] }, "request_id" }`
 *    (v3, v1 or Neutron v2.0: the group id comes from it), or an array of them;
 *  - a bundle: the list response plus any of
 *      `"security_groups": [ { "id", "name"?, "description"? } ]` (v3 list: group order and names),
 *      `"address_groups": [ { "id", "ip_set": [ … ] } ]` (v3 address groups),
 *      `"ports": [ { "id", "fixed_ips": [ { "ip_address" } ], "security_groups": [ ids in binding order ] } ]`,
 *      `"description": string`.
 *
 * Groups are formed from each rule's `security_group_id`, in order of first
 * appearance (groups listed in `security_groups` come first, in their order).
 * Each rule keeps its position within its group. Every error carries its path
 * in the ORIGINAL document.
 *
 * A missing `priority` gets the default of the API the object is shaped like
 * (see `defaultPriority`); v1/Neutron-style ICMP rules, whose
 * `port_range_min`/`port_range_max` are the ICMP type and code, are refused:
 * rules carry no ICMP type/code here (a known limitation, docs/formats.md).
 */
import { IssueList, show, type PathSegment } from './issues.js';
import type { NativeAddressGroup, NativeGroup, NativeInterface, NativeRule, NativeTopology } from './native.js';
import { parsePorts } from './values.js';
import {
  Origins,
  finishImport,
  isBlank,
  isObject,
  needArray,
  needId,
  needObject,
  optString,
  rangeToCidrs,
  typeName,
  word,
  type ImportResult,
} from './convert.js';

export interface HuaweiImportOptions {
  /** File name for messages. */
  file?: string;
}

const TOP_KEYS = ['security_group_rules', 'security_group_rule', 'security_groups', 'address_groups', 'ports', 'description', 'request_id', 'page_info'];
/** Keys of a ShowSecurityGroup document (the response, plus the bundle parts that still make sense). */
const SHOW_KEYS = ['security_group', 'address_groups', 'ports', 'description', 'request_id'];

/** A ShowSecurityGroup response: `{"security_group": {..., "security_group_rules": [...]}}`. */
function isShowResponse(v: unknown): v is Record<string, unknown> & { security_group: Record<string, unknown> } {
  return isObject(v) && isObject(v.security_group) && 'security_group_rules' in v.security_group;
}

/** Does this JSON value look like Huawei input (for format detection)? */
export function looksLikeHuawei(doc: unknown): boolean {
  if (Array.isArray(doc)) return isShowResponse(doc[0]) || (isObject(doc[0]) && 'security_group_id' in doc[0] && 'direction' in doc[0]);
  return isObject(doc) && ('security_group_rules' in doc || 'security_group_rule' in doc || isShowResponse(doc));
}

const DIRECTIONS = { ingress: 'ingress', egress: 'egress' } as const;
const ETHERTYPES = { IPv4: 'ipv4', IPv6: 'ipv6' } as const;
const ACTIONS = { allow: 'allow', deny: 'deny' } as const;
const PROTOCOL_NAMES: Record<string, string> = { tcp: 'tcp', udp: 'udp', icmp: 'icmp', icmpv6: 'icmpv6', gre: 'gre' };
const PROTOCOL_EXPECTED = 'a protocol (tcp, udp, icmp, icmpv6, gre, an IP protocol number 0-255, or empty/null for all)';

/**
 * ICMP and ICMPv6 given by number are read as their names, so that the API's
 * constraint ("protocol icmp: ethertype IPv4; icmpv6: IPv6") applies to them too.
 */
const byNumber = (n: number): string | number => (n === 1 ? 'icmp' : n === 58 ? 'icmpv6' : n);

function protocolOf(v: unknown, path: PathSegment[], issues: IssueList): string | number | undefined {
  if (isBlank(v)) return 'all';
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0 && v <= 255) return byNumber(v);
    issues.error(path, 'value', `${show(v)} is not ${PROTOCOL_EXPECTED}`);
    return undefined;
  }
  if (typeof v === 'string' && /^\s*\d{1,3}\s*$/.test(v)) {
    const n = Number(v);
    if (n <= 255) return byNumber(n);
  }
  if (typeof v === 'string' && v.trim().toLowerCase() === 'all') return 'all';
  return word(v, path, issues, PROTOCOL_NAMES, PROTOCOL_EXPECTED);
}

/** Which Huawei API a document (and so a rule without priority) is shaped like. */
type DocShape = 'list' | 'single' | 'show';

/**
 * The priority a Huawei API gives a rule created without one, chosen by the
 * shape of the rule object and of its document (sources in docs/formats.md):
 *  - v1 (`/v1/{project_id}/security-group-rules`) and Neutron v2.0 rule
 *    objects carry `port_range_min`/`port_range_max` and have no priority
 *    parameter at all; read as 1, the default of Huawei's console, of the v3
 *    batch API and of the Terraform provider;
 *  - a lone v3 `security_group_rule` (CreateSecurityGroupRule /
 *    ShowSecurityGroupRule shape): 100, the documented default of v3
 *    CreateSecurityGroupRule;
 *  - v3 rule lists (ListSecurityGroupRules, BatchCreateSecurityGroupRules,
 *    ShowSecurityGroup): 1, the documented default of v3
 *    BatchCreateSecurityGroupRules (list responses always carry a priority).
 */
function defaultPriority(o: Record<string, unknown>, shape: DocShape): { value: number; why: string } {
  const v1Style = ('port_range_min' in o || 'port_range_max' in o) && isBlank(o.multiport);
  if (v1Style) {
    return { value: 1, why: 'a v1/Neutron-style rule (port_range_min/port_range_max): those APIs take no priority, and 1 is the default of the console, the v3 batch API and the Terraform provider' };
  }
  if (shape === 'single') {
    return { value: 100, why: 'a lone v3 "security_group_rule" object: the default of v3 CreateSecurityGroupRule' };
  }
  return { value: 1, why: 'a v3 rule list: the default of v3 BatchCreateSecurityGroupRules (list responses always carry a priority)' };
}

function priorityOf(v: unknown, path: PathSegment[], issues: IssueList, fallback: { value: number; why: string }): number | undefined {
  if (isBlank(v)) {
    issues.warn(path, 'priority-default', `missing; read as ${fallback.value}, the API default for ${fallback.why}`);
    return fallback.value;
  }
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\s*\d{1,9}\s*$/.test(v)) {
    issues.warn(path, 'priority-string', `${show(v)} read as the integer ${Number(v)}`);
    return Number(v);
  }
  issues.error(path, 'priority', `${show(v)} is not a priority (expected an integer 1-100)`);
  return undefined;
}

/** ICMP (1) and ICMPv6 (58), by name or number. */
function isIcmp(p: string | number | undefined): boolean {
  return p === 'icmp' || p === 'icmpv6';
}

/**
 * Convert Huawei input to a native topology document (with the origin of
 * every field), without running the native stage.
 */
export function huaweiToNative(doc: unknown): { native: NativeTopology; origins: Origins; issues: IssueList } {
  const issues = new IssueList();
  const origins = new Origins();
  const native: NativeTopology = { cloud: 'huawei', securityGroups: [] };

  let rules: { value: unknown; path: PathSegment[]; group?: string }[] = [];
  let bundle: Record<string, unknown> = {};
  let shape: DocShape = 'list';
  /** ShowSecurityGroup responses: their groups, in order. */
  const shown: { value: unknown; path: PathSegment[] }[] = [];
  if (Array.isArray(doc) && isShowResponse(doc[0])) {
    shape = 'show';
    doc.forEach((r, i) => {
      if (!isShowResponse(r)) {
        issues.error([i], 'type', `expected a ShowSecurityGroup response {"security_group": {"id": ..., "security_group_rules": [...]}} like element 0, got ${typeName(r)}`);
        return;
      }
      for (const key of Object.keys(r)) {
        if (key !== 'security_group' && key !== 'request_id') issues.error([i, key], 'unknown-key', `unknown key ${show(key)} (expected "security_group" or "request_id")`);
      }
      shown.push({ value: r.security_group, path: [i, 'security_group'] });
    });
  } else if (isShowResponse(doc)) {
    shape = 'show';
    bundle = doc;
    for (const key of Object.keys(doc)) {
      if (!SHOW_KEYS.includes(key)) {
        issues.error([key], 'unknown-key', `unknown key ${show(key)} next to "security_group" (expected ${SHOW_KEYS.map((k) => JSON.stringify(k)).join(', ')})`);
      }
    }
    if (typeof doc.description === 'string') native.description = doc.description;
    shown.push({ value: doc.security_group, path: ['security_group'] });
  } else if (Array.isArray(doc)) {
    rules = doc.map((value, i) => ({ value, path: [i] }));
  } else if (isObject(doc) && ('security_group_rules' in doc || 'security_group_rule' in doc)) {
    bundle = doc;
    for (const key of Object.keys(doc)) {
      if (!TOP_KEYS.includes(key)) {
        issues.error([key], 'unknown-key', `unknown key ${show(key)} (expected ${TOP_KEYS.map((k) => JSON.stringify(k)).join(', ')})`);
      }
    }
    if ('security_group_rules' in doc && 'security_group_rule' in doc) {
      issues.error(['security_group_rule'], 'ambiguous', 'give either "security_group_rules" (list) or "security_group_rule" (single), not both');
    }
    if ('security_group_rules' in doc) {
      const list = needArray(doc.security_group_rules, ['security_group_rules'], issues);
      rules = (list ?? []).map((value, i) => ({ value, path: ['security_group_rules', i] }));
    } else {
      rules = [{ value: doc.security_group_rule, path: ['security_group_rule'] }];
      shape = 'single';
    }
    if (typeof doc.description === 'string') native.description = doc.description;
  } else {
    issues.error([], 'type',
      `expected {"security_group_rules": [...]}, {"security_group_rule": {...}}, a ShowSecurityGroup response {"security_group": {...}}, or an array of rule objects or of ShowSecurityGroup responses; got ${isObject(doc) ? 'an object without any of these keys' : typeName(doc)}`);
    return { native, origins, issues };
  }

  // Groups: listed ones first, then in order of first appearance in rules.
  const groups = new Map<string, { group: NativeGroup; index: number }>();
  const addGroup = (id: string, path: PathSegment[] | null): { group: NativeGroup; index: number } => {
    let g = groups.get(id);
    if (!g) {
      g = { group: { id, rules: [] }, index: native.securityGroups.length };
      groups.set(id, g);
      native.securityGroups.push(g.group);
      if (path) {
        origins.set(['securityGroups', g.index], path);
        origins.set(['securityGroups', g.index, 'id'], [...path, 'id']);
      }
    }
    return g;
  };
  if (bundle.security_groups !== undefined) {
    const list = needArray(bundle.security_groups, ['security_groups'], issues);
    (list ?? []).forEach((v, i) => {
      const path: PathSegment[] = ['security_groups', i];
      const o = needObject(v, path, issues, 'a security group object {"id": ...}');
      if (!o) return;
      const id = needId(o.id, [...path, 'id'], issues);
      if (id === null) return;
      if (groups.has(id)) {
        issues.error([...path, 'id'], 'duplicate-id', `security group ${show(id)} is listed twice`);
        return;
      }
      const g = addGroup(id, path);
      const name = optString(o.name, [...path, 'name'], issues);
      const desc = optString(o.description, [...path, 'description'], issues);
      if (name !== undefined || desc !== undefined) g.group.description = [name, desc].filter((s) => s !== undefined).join(': ');
    });
  }

  // ShowSecurityGroup: each response is one group; its rules belong to it.
  for (const s of shown) {
    const o = s.value as Record<string, unknown>;
    const id = needId(o.id, [...s.path, 'id'], issues);
    if (id === null) continue;
    if (groups.has(id)) {
      issues.error([...s.path, 'id'], 'duplicate-id', `security group ${show(id)} is given twice`);
      continue;
    }
    const g = addGroup(id, s.path);
    const name = optString(o.name, [...s.path, 'name'], issues);
    const desc = optString(o.description, [...s.path, 'description'], issues);
    if (name !== undefined || desc !== undefined) g.group.description = [name, desc].filter((x) => x !== undefined).join(': ');
    const list = needArray(o.security_group_rules, [...s.path, 'security_group_rules'], issues);
    (list ?? []).forEach((value, i) => rules.push({ value, path: [...s.path, 'security_group_rules', i], group: id }));
  }

  for (const r of rules) {
    const o = needObject(r.value, r.path, issues, 'a security group rule object');
    if (!o) continue;
    let gid: string | null;
    if (r.group !== undefined) {
      // In a ShowSecurityGroup response the group is the enclosing one; a rule may repeat its id.
      gid = r.group;
      if (!isBlank(o.security_group_id) && o.security_group_id !== r.group) {
        issues.error([...r.path, 'security_group_id'], 'value',
          `${show(o.security_group_id)} differs from the id ${show(r.group)} of the security group this rule is listed in`);
        continue;
      }
    } else {
      gid = needId(o.security_group_id, [...r.path, 'security_group_id'], issues);
    }
    if (gid === null) continue;
    const g = addGroup(gid, null);
    const ri = g.group.rules.length;
    const rpath: PathSegment[] = ['securityGroups', g.index, 'rules', ri];
    g.group.rules.push(convertRule(o, r.path, rpath, issues, origins, shape));
  }

  // Address groups.
  if (bundle.address_groups !== undefined) {
    const list = needArray(bundle.address_groups, ['address_groups'], issues);
    const out: NativeAddressGroup[] = [];
    (list ?? []).forEach((v, i) => {
      const path: PathSegment[] = ['address_groups', i];
      const o = needObject(v, path, issues, 'an address group object {"id": ..., "ip_set": [...]}');
      if (!o) return;
      const id = needId(o.id, [...path, 'id'], issues);
      if (id === null) return;
      const k = out.length;
      origins.set(['addressGroups', k], path);
      origins.set(['addressGroups', k, 'id'], [...path, 'id']);
      const ag: NativeAddressGroup = { id, cidrs: [] };
      const add = (text: unknown, p: PathSegment[]) => {
        if (typeof text !== 'string' || text.trim() === '') {
          issues.error(p, 'type', `expected an address, CIDR block or address range string, got ${typeName(text)}`);
          return;
        }
        const t = text.trim();
        if (t.includes('-')) {
          const r = rangeToCidrs(t);
          if (!r.ok) {
            issues.error(p, 'value', r.message);
            return;
          }
          for (const c of r.cidrs) {
            origins.set(['addressGroups', k, 'cidrs', ag.cidrs.length], p);
            ag.cidrs.push(c);
          }
          return;
        }
        origins.set(['addressGroups', k, 'cidrs', ag.cidrs.length], p);
        ag.cidrs.push(t);
      };
      if (o.ip_set !== undefined && o.ip_set !== null) {
        (needArray(o.ip_set, [...path, 'ip_set'], issues) ?? []).forEach((t, j) => add(t, [...path, 'ip_set', j]));
      } else if (o.ip_extra_set !== undefined && o.ip_extra_set !== null) {
        (needArray(o.ip_extra_set, [...path, 'ip_extra_set'], issues) ?? []).forEach((e, j) => {
          const eo = needObject(e, [...path, 'ip_extra_set', j], issues, 'an object {"ip": ...}');
          if (eo) add(eo.ip, [...path, 'ip_extra_set', j, 'ip']);
        });
      } else {
        issues.error([...path, 'ip_set'], 'missing', 'required, expected an array of addresses, CIDR blocks or ranges');
      }
      out.push(ag);
    });
    if (out.length > 0) native.addressGroups = out;
  }

  // Ports -> interfaces.
  if (bundle.ports !== undefined) {
    const list = needArray(bundle.ports, ['ports'], issues);
    const out: NativeInterface[] = [];
    (list ?? []).forEach((v, i) => {
      const path: PathSegment[] = ['ports', i];
      const o = needObject(v, path, issues, 'a port object {"id", "fixed_ips", "security_groups"}');
      if (!o) return;
      const k = out.length;
      const ipath: PathSegment[] = ['interfaces', k];
      origins.set(ipath, path);
      origins.set([...ipath, 'id'], [...path, 'id']);
      const id = needId(o.id, [...path, 'id'], issues);
      const iface: NativeInterface = { id: id ?? `#port${i}`, ips: [], groups: [] };
      origins.set([...ipath, 'ips'], [...path, 'fixed_ips']);
      (needArray(o.fixed_ips, [...path, 'fixed_ips'], issues) ?? []).forEach((f, j) => {
        const fo = needObject(f, [...path, 'fixed_ips', j], issues, 'an object {"ip_address": ...}');
        if (!fo) return;
        const ip = fo.ip_address;
        if (typeof ip !== 'string' || ip.trim() === '') {
          issues.error([...path, 'fixed_ips', j, 'ip_address'], ip === undefined ? 'missing' : 'type', `expected an IP address string, got ${typeName(ip)}`);
          return;
        }
        origins.set([...ipath, 'ips', iface.ips.length], [...path, 'fixed_ips', j, 'ip_address']);
        iface.ips.push(ip.trim());
      });
      origins.set([...ipath, 'groups'], [...path, 'security_groups']);
      (needArray(o.security_groups, [...path, 'security_groups'], issues) ?? []).forEach((g, j) => {
        const gid = needId(g, [...path, 'security_groups', j], issues);
        if (gid === null) return;
        origins.set([...ipath, 'groups', iface.groups.length], [...path, 'security_groups', j]);
        iface.groups.push(gid);
      });
      out.push(iface);
    });
    if (out.length > 0) native.interfaces = out;
  }
  return { native, origins, issues };
}

function convertRule(o: Record<string, unknown>, ppath: PathSegment[], rpath: PathSegment[], issues: IssueList, origins: Origins, shape: DocShape): NativeRule {
  // Placeholders keep the native stage quiet about what is already reported here.
  const rule: NativeRule = { direction: 'ingress', action: 'allow', priority: 1, protocol: 'all' };
  origins.set(rpath, ppath);
  const at = (native: string, original: string) => origins.set([...rpath, native], [...ppath, original]);

  const id = optString(o.id, [...ppath, 'id'], issues);
  if (id !== undefined) {
    rule.id = id.trim();
    at('id', 'id');
  }
  const description = optString(o.description, [...ppath, 'description'], issues);
  if (description !== undefined) rule.description = description;

  const direction = word(o.direction, [...ppath, 'direction'], issues, DIRECTIONS, '"ingress" or "egress"');
  if (direction) rule.direction = direction;
  at('direction', 'direction');

  if (!isBlank(o.ethertype)) {
    const e = word(o.ethertype, [...ppath, 'ethertype'], issues, ETHERTYPES, '"IPv4" or "IPv6"');
    if (e) rule.ethertype = e;
    at('ethertype', 'ethertype');
  }

  if (isBlank(o.action)) {
    issues.warn([...ppath, 'action'], 'action-default', 'missing; read as "allow" (the API default)');
  } else {
    const a = word(o.action, [...ppath, 'action'], issues, ACTIONS, '"allow" or "deny"');
    if (a) rule.action = a;
  }
  at('action', 'action');

  const priority = priorityOf(o.priority, [...ppath, 'priority'], issues, defaultPriority(o, shape));
  if (priority !== undefined) rule.priority = priority;
  at('priority', 'priority');

  const protocol = protocolOf(o.protocol, [...ppath, 'protocol'], issues);
  if (protocol !== undefined) rule.protocol = protocol;
  at('protocol', 'protocol');

  // Ports: v3 `multiport`; older (Neutron-style) objects carry port_range_min/max.
  if (!isBlank(o.multiport)) {
    const m = o.multiport;
    const parsed = typeof m === 'string' || typeof m === 'number' ? parsePorts(m) : { ok: false as const, message: `${show(m)} is not a port list` };
    if (!parsed.ok) {
      const whole = show(typeof m === 'number' ? String(m) : m);
      issues.error([...ppath, 'multiport'], 'port-range', parsed.message.startsWith(whole + ' ') || parsed.message.startsWith(whole + ':') ? parsed.message : `${whole}: ${parsed.message}`);
    }
    else if (parsed.value !== null && protocol !== undefined) rule.ports = String(m).trim();
    at('ports', 'multiport');
  } else if ((!isBlank(o.port_range_min) || !isBlank(o.port_range_max)) && isIcmp(protocol)) {
    // v1 and Neutron v2.0: on an ICMP rule these two fields are the ICMP type and code.
    const typeCode = [`type ${show(o.port_range_min ?? null)}`, `code ${show(o.port_range_max ?? null)}`].join(', ');
    issues.error([...ppath, isBlank(o.port_range_min) ? 'port_range_max' : 'port_range_min'], 'icmp-type-code',
      `on this ${String(protocol)} rule port_range_min/port_range_max are the ICMP type and code (${typeCode}), not ports; ` +
      'sgfilter rules carry no ICMP type/code (a known limitation, see docs/formats.md), and reading this rule as every ICMP message would widen it: ' +
      'the rule is refused (drop both fields if the rule is meant for every ICMP type)');
    at('ports', isBlank(o.port_range_min) ? 'port_range_max' : 'port_range_min');
  } else if (!isBlank(o.port_range_min) || !isBlank(o.port_range_max)) {
    const lo = o.port_range_min;
    const hi = isBlank(o.port_range_max) ? lo : o.port_range_max;
    const okPort = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
    if (!okPort(lo) || !okPort(hi)) {
      issues.error([...ppath, okPort(lo) ? 'port_range_max' : 'port_range_min'], 'port-range',
        `${show(okPort(lo) ? hi : lo)} is not a port (1-65535)`);
    } else if ((lo as number) > (hi as number)) {
      issues.error([...ppath, 'port_range_min'], 'port-range', `port_range_min ${lo} is above port_range_max ${hi}`);
    } else if (protocol !== undefined) {
      rule.ports = lo === hi ? `${lo}` : `${lo}-${hi}`;
    }
    at('ports', 'port_range_min');
  }

  // Remote: one of a CIDR, a group, an address group.
  const given = (['remote_ip_prefix', 'remote_group_id', 'remote_address_group_id'] as const).filter((k) => !isBlank(o[k]));
  if (given.length > 1) {
    issues.error([...ppath, given[1]!], 'remote-conflict',
      `${given.join(' and ')} are both set (expected at most one of remote_ip_prefix, remote_group_id, remote_address_group_id)`);
  } else if (given.length === 1) {
    const key = given[0]!;
    const v = optString(o[key], [...ppath, key], issues);
    if (v !== undefined) {
      const text = v.trim();
      if (key === 'remote_ip_prefix') rule.remote = text;
      else if (key === 'remote_group_id') rule.remote = { group: text };
      else rule.remote = { addressGroup: text };
      at('remote', key);
      origins.set([...rpath, 'remote', key === 'remote_group_id' ? 'group' : 'addressGroup'], [...ppath, key]);
    }
  }
  return rule;
}

/** Import Huawei input (see the module comment) into the model. */
export function importHuawei(doc: unknown, options: HuaweiImportOptions = {}): ImportResult {
  const { native, origins, issues } = huaweiToNative(doc);
  return finishImport(native, origins, issues, options.file);
}
