/**
 * Terraform importer: the JSON that `terraform show -json` prints, for a plan
 * file or for state (docs/formats.md "Terraform"), for Alibaba Cloud
 * (`alicloud_*`) or Huawei Cloud (`huaweicloud_*`) resources.
 *
 * The resources are first rewritten into the cloud's own API documents (an
 * Alibaba DescribeSecurityGroupAttribute bundle, a Huawei security-group-rule
 * bundle), which then go through the existing importers (aliyun.ts, huawei.ts)
 * so that every rule normalisation is shared. Their issues are mapped back to
 * the Terraform document: the JSON path of the attribute, the resource address
 * (`module.net.alicloud_security_group_rule.ssh[0]`) and, when the `.tf`
 * sources are given (`tfDir`), the file and line of the resource block.
 *
 * Where the resources come from: a plan's `resource_changes[].change.after`
 * (with `after_unknown`), else its `planned_values`; a state's `values`; each
 * `root_module` with its `child_modules`. Values known only after apply (ids
 * of resources not yet created) are resolved through the configuration's
 * `expressions[…].references` (a rule's `security_group_id` referring to
 * `alicloud_security_group.web.id` binds it to that group; `var.x` in a module
 * follows the module call's argument; `module.m.out` the module's output).
 * A group whose id is unknown is named by its address. Whatever cannot be
 * resolved is left out with a warning naming the resource and the results it
 * makes uncertain; nothing is guessed silently.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatPath, IssueList, show, type Issue, type PathSegment } from './issues.js';
import { aliyunToNative } from './aliyun.js';
import { huaweiToNative } from './huawei.js';
import { finishImport, isBlank, isObject, typeName, type ImportResult, type JsonObject } from './convert.js';

export interface TerraformImportOptions {
  /** File name for messages. */
  file?: string;
  /** Directory of the root module's `.tf` files: issues then name the file and line of each resource block. */
  tfDir?: string;
}

/** Does this JSON value look like `terraform show -json` output (for format detection)? */
export function looksLikeTerraform(doc: unknown): boolean {
  return isObject(doc) && typeof doc.format_version === 'string' &&
    ('planned_values' in doc || 'values' in doc || 'resource_changes' in doc || 'prior_state' in doc || 'terraform_version' in doc);
}

// ---------------------------------------------------------------------------
// Resource instances

interface Instance {
  address: string;
  /** Module instance address ('' for the root), e.g. `module.net` or `module.app["a"]`. */
  module: string;
  /** Module call names from the root, e.g. ['net'] (for the configuration). */
  calls: string[];
  type: string;
  name: string;
  index?: number | string;
  values: JsonObject;
  /** `after_unknown` of the instance (plans), else undefined. */
  unknown: unknown;
  /** JSON path of `values` in the document. */
  path: PathSegment[];
  /** From a plan's `planned_values` (no `after_unknown`): unknown values are simply absent. */
  plannedOnly?: boolean;
}

/** `module.a[0].module.b` -> ['a', 'b']. */
function callNames(moduleAddress: string): string[] {
  const out: string[] = [];
  const re = /module\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?/g;
  for (let m = re.exec(moduleAddress); m; m = re.exec(moduleAddress)) out.push(m[1]!);
  return out;
}

/** Split an instance address into its module address and the resource part. */
function splitAddress(address: string): { module: string; local: string } {
  // The resource part is the last `type.name[index]` not preceded by `module.`.
  const m = /^((?:module\.[A-Za-z0-9_-]+(?:\[(?:\d+|"(?:[^"\\]|\\.)*")\])?\.)*)(.*)$/.exec(address);
  const mod = m ? m[1]!.replace(/\.$/, '') : '';
  return { module: mod, local: m ? m[2]! : address };
}

const UNSUPPORTED_MAJOR = (v: string) => !/^[01]\.\d+$/.test(v);

function collect(doc: JsonObject, issues: IssueList): { instances: Instance[]; kind: 'plan' | 'state' } {
  const instances: Instance[] = [];
  const kind: 'plan' | 'state' = 'planned_values' in doc || 'resource_changes' in doc ? 'plan' : 'state';
  if (doc.resource_changes !== undefined && doc.resource_changes !== null && !Array.isArray(doc.resource_changes)) {
    issues.error(['resource_changes'], 'type', `expected an array of resource changes, got ${typeName(doc.resource_changes)}`);
    return { instances, kind };
  }
  if (doc.configuration !== undefined && doc.configuration !== null && !isObject(doc.configuration)) {
    issues.error(['configuration'], 'type', `expected an object {"root_module": ...}, got ${typeName(doc.configuration)}`);
    return { instances, kind };
  }
  if (kind === 'plan' && Array.isArray(doc.resource_changes)) {
    doc.resource_changes.forEach((rc, i) => {
      const path: PathSegment[] = ['resource_changes', i];
      if (!isObject(rc)) return issues.error(path, 'type', `expected a resource change object, got ${typeName(rc)}`);
      if (rc.mode !== 'managed') return;
      const change = rc.change;
      if (!isObject(change)) return issues.error([...path, 'change'], 'type', `expected an object {"actions", "after", ...}, got ${typeName(change)}`);
      const actions = Array.isArray(change.actions) ? change.actions : [];
      if (actions.length === 1 && actions[0] === 'delete') return; // gone after apply
      if (change.after === null || change.after === undefined) return;
      if (!isObject(change.after)) return issues.error([...path, 'change', 'after'], 'type', `expected an object, got ${typeName(change.after)}`);
      const inst = instanceOf(rc, change.after, change.after_unknown, [...path, 'change', 'after'], path, issues);
      if (inst) instances.push(inst);
    });
    return { instances, kind };
  }
  const rootKey = kind === 'plan' ? 'planned_values' : 'values';
  const top = doc[rootKey];
  if (top === undefined || top === null) return { instances, kind }; // an empty state
  if (!isObject(top)) {
    issues.error([rootKey], 'type', `expected an object {"root_module": ...}, got ${typeName(top)}`);
    return { instances, kind };
  }
  const walk = (mod: unknown, path: PathSegment[], depth: number) => {
    if (!isObject(mod)) return issues.error(path, 'type', `expected a module object {"resources", "child_modules"}, got ${typeName(mod)}`);
    if (depth > 64) return issues.error(path, 'depth', 'modules nested deeper than 64 levels');
    if (mod.resources !== undefined) {
      if (!Array.isArray(mod.resources)) issues.error([...path, 'resources'], 'type', `expected an array, got ${typeName(mod.resources)}`);
      else mod.resources.forEach((r, i) => {
        const rpath: PathSegment[] = [...path, 'resources', i];
        if (!isObject(r)) return issues.error(rpath, 'type', `expected a resource object, got ${typeName(r)}`);
        if (r.mode !== 'managed') return;
        if (!isObject(r.values)) return issues.error([...rpath, 'values'], r.values === undefined ? 'missing' : 'type', `expected the resource's attribute values (an object), got ${typeName(r.values)}`);
        const inst = instanceOf(r, r.values, undefined, [...rpath, 'values'], rpath, issues);
        if (inst && kind === 'plan') inst.plannedOnly = true;
        if (inst) instances.push(inst);
      });
    }
    if (mod.child_modules !== undefined) {
      if (!Array.isArray(mod.child_modules)) issues.error([...path, 'child_modules'], 'type', `expected an array, got ${typeName(mod.child_modules)}`);
      else mod.child_modules.forEach((c, i) => walk(c, [...path, 'child_modules', i], depth + 1));
    }
  };
  walk(top.root_module, [rootKey, 'root_module'], 0);
  return { instances, kind };
}

function instanceOf(r: JsonObject, values: JsonObject, unknown: unknown, path: PathSegment[], rpath: PathSegment[], issues: IssueList): Instance | null {
  if (typeof r.address !== 'string' || typeof r.type !== 'string' || typeof r.name !== 'string') {
    issues.error(rpath, 'type', 'expected "address", "type" and "name" strings (the documented resource shape)');
    return null;
  }
  const { module } = splitAddress(r.address);
  const inst: Instance = { address: r.address, module, calls: callNames(module), type: r.type, name: r.name, values, unknown, path };
  if (typeof r.index === 'number' || typeof r.index === 'string') inst.index = r.index;
  return inst;
}

// ---------------------------------------------------------------------------
// Values and references

type Ref = { kind: 'instance'; inst: Instance } | { kind: 'constant'; value: string };

class Resolver {
  private readonly byResource = new Map<string, Instance[]>();

  constructor(readonly instances: Instance[], private readonly config: unknown) {
    for (const inst of instances) {
      const key = `${inst.module}|${inst.type}.${inst.name}`;
      let list = this.byResource.get(key);
      if (!list) this.byResource.set(key, (list = []));
      list.push(inst);
    }
  }

  /** The configuration module for a list of call names, or undefined. */
  private configModule(calls: string[]): JsonObject | undefined {
    let mod: unknown = isObject(this.config) ? this.config.root_module : undefined;
    for (const c of calls) {
      if (!isObject(mod) || !isObject(mod.module_calls)) return undefined;
      const call = mod.module_calls[c];
      mod = isObject(call) ? call.module : undefined;
    }
    return isObject(mod) ? mod : undefined;
  }

  private moduleCall(calls: string[]): JsonObject | undefined {
    if (calls.length === 0) return undefined;
    const parent = this.configModule(calls.slice(0, -1));
    const mc = parent && isObject(parent.module_calls) ? parent.module_calls[calls[calls.length - 1]!] : undefined;
    return isObject(mc) ? mc : undefined;
  }

  /** Per module (call names joined by '.'): 'type.name' -> the block's expressions. */
  private readonly blocks = new Map<string, Map<string, JsonObject>>();

  /** The configuration's expressions of an instance's resource block. */
  expressionsOf(inst: Instance): JsonObject | undefined {
    const key = inst.calls.join('.');
    let blocks = this.blocks.get(key);
    if (!blocks) {
      blocks = new Map();
      this.blocks.set(key, blocks);
      const mod = this.configModule(inst.calls);
      for (const r of mod && Array.isArray(mod.resources) ? mod.resources : []) {
        if (isObject(r) && typeof r.address === 'string' && r.mode !== 'data' && isObject(r.expressions) && !blocks.has(r.address)) blocks.set(r.address, r.expressions);
      }
    }
    return blocks.get(`${inst.type}.${inst.name}`);
  }

  /** The configuration's expression for an attribute of an instance's resource block. */
  expression(inst: Instance, attr: string): unknown {
    return this.expressionsOf(inst)?.[attr];
  }

  /**
   * What an expression refers to for an id-valued attribute, in order of
   * appearance: resource instances (`type.name[.id]`), constants passed in
   * through module variables. `null` when some reference cannot be followed.
   */
  targets(expr: unknown, module: string, calls: string[], depth = 0): Ref[] | null {
    if (depth > 16) return null;
    if (!isObject(expr)) return expr === undefined ? [] : null;
    if ('constant_value' in expr) {
      const v = expr.constant_value;
      if (typeof v === 'string' && v !== '') return [{ kind: 'constant', value: v }];
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.map((value) => ({ kind: 'constant', value: value as string }));
      return v === null || v === undefined ? [] : null;
    }
    if (!Array.isArray(expr.references)) return [];
    const out: Ref[] = [];
    const seen = new Set<string>();
    // Group the references by the resource they name; keep those used as `.id` (or only bare).
    const resources = new Map<string, { type: string; name: string; index?: string; attrs: Set<string> }>();
    // In order of appearance: resource keys, and what variables and module outputs resolved to.
    const order: (string | Ref[])[] = [];
    for (const ref of expr.references) {
      if (typeof ref !== 'string') return null;
      if (/^(count|each|path|terraform|self)\./.test(ref) || ref === 'count.index') continue;
      const v = /^var\.([A-Za-z0-9_-]+)$/.exec(ref);
      if (v) {
        const call = this.moduleCall(calls);
        if (!call) return null; // a root variable: its value is not in the plan's configuration
        const inner = isObject(call.expressions) ? call.expressions[v[1]!] : undefined;
        const parentModule = module.replace(/\.?module\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?$/, '');
        const t = this.targets(inner, parentModule, calls.slice(0, -1), depth + 1);
        if (t === null) return null;
        order.push(t);
        continue;
      }
      const mo = /^module\.([A-Za-z0-9_-]+)(?:\.([A-Za-z0-9_-]+))?/.exec(ref);
      if (mo) {
        if (mo[2] === undefined) continue; // the bare module; its outputs are listed as well
        const child = this.configModule([...calls, mo[1]!]);
        const output = child && isObject(child.outputs) ? child.outputs[mo[2]] : undefined;
        const childModule = `${module ? module + '.' : ''}module.${mo[1]}`;
        const t = isObject(output) ? this.targets(output.expression, childModule, [...calls, mo[1]!], depth + 1) : null;
        if (t === null) return null;
        order.push(t);
        continue;
      }
      if (/^(data|local)\./.test(ref)) return null;
      const r = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)(\[(?:\d+|"(?:[^"\\]|\\.)*")\])?(?:\.([A-Za-z0-9_-]+))?/.exec(ref);
      if (!r) return null;
      const key = `${r[1]}.${r[2]}${r[3] ?? ''}`;
      let entry = resources.get(key);
      if (!entry) {
        entry = { type: r[1]!, name: r[2]!, attrs: new Set(), ...(r[3] ? { index: r[3] } : {}) };
        resources.set(key, entry);
        order.push(key);
      }
      if (r[4]) entry.attrs.add(r[4]);
    }
    // An indexed reference (`web[0].id`) comes with its bare prefix (`web`): drop the prefix.
    for (const key of order) {
      if (typeof key !== 'string') {
        for (const x of key) add(x);
        continue;
      }
      const e = resources.get(key)!;
      if (e.index === undefined && order.some((k) => typeof k === 'string' && k !== key && k.startsWith(key + '['))) continue;
      if (e.attrs.size > 0 && !e.attrs.has('id')) continue;
      const list = this.byResource.get(`${module}|${e.type}.${e.name}`) ?? [];
      const matching = e.index === undefined ? list : list.filter((i) => instanceKey(i) === e.index);
      if (matching.length !== 1) return null; // absent (not managed here) or several instances
      add({ kind: 'instance', inst: matching[0]! });
    }
    return out;

    function add(x: Ref): void {
      const k = x.kind === 'instance' ? 'i:' + x.inst.address : 'c:' + x.value;
      if (seen.has(k)) return;
      seen.add(k);
      out.push(x);
    }
  }
}

function instanceKey(i: Instance): string | undefined {
  return i.index === undefined ? undefined : `[${typeof i.index === 'number' ? i.index : JSON.stringify(i.index)}]`;
}

/** Is attribute `key` (or part of it) known only after apply? */
function isUnknown(inst: Instance, key: string): boolean {
  if (!isObject(inst.unknown)) return false;
  const u = inst.unknown[key];
  return u === true || containsTrue(u);
}

function containsTrue(u: unknown): boolean {
  if (u === true) return true;
  if (Array.isArray(u)) return u.some(containsTrue);
  if (isObject(u)) return Object.values(u).some(containsTrue);
  return false;
}

/** The id a resource instance has or will have: its `id`, else its address. */
function idOf(inst: Instance): string {
  const id = inst.values.id;
  return typeof id === 'string' && id !== '' ? id : inst.address;
}

type IdResult = { ok: true; ids: string[]; fromReferences?: boolean } | { ok: false; why: string };

// ---------------------------------------------------------------------------
// Source locations (--tf-dir)

interface Located {
  file: string;
  line: number;
}

/**
 * `resource "TYPE" "NAME" {` lines of each module's `.tf` files: module call
 * path ('' for the root, 'a.b' for module.a.module.b) -> 'TYPE.NAME' -> location.
 * Local module sources (`./…`, `../…`) are followed; others are not scanned.
 */
export function scanTerraformSources(tfDir: string, configuration: unknown): Map<string, Map<string, Located>> {
  const out = new Map<string, Map<string, Located>>();
  const scan = (dir: string, key: string, mod: unknown, depth: number) => {
    if (depth > 16 || out.has(key)) return;
    const blocks = new Map<string, Located>();
    out.set(key, blocks);
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.tf')).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const file = join(dir, n);
      let text: string;
      try {
        if (!statSync(file).isFile()) continue;
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      const lines = text.split('\n');
      let inComment = false;
      lines.forEach((line, i) => {
        if (inComment) {
          if (line.includes('*/')) inComment = false;
          return;
        }
        if (/^\s*\/\*/.test(line) && !line.includes('*/')) {
          inComment = true;
          return;
        }
        const m = /^\s*resource\s+"([^"]+)"\s+"([^"]+)"\s*\{/.exec(line);
        if (m && !blocks.has(`${m[1]}.${m[2]}`)) blocks.set(`${m[1]}.${m[2]}`, { file, line: i + 1 });
      });
    }
    if (isObject(mod) && isObject(mod.module_calls)) {
      for (const [name, call] of Object.entries(mod.module_calls)) {
        if (!isObject(call) || typeof call.source !== 'string' || !/^\.\.?\//.test(call.source)) continue;
        scan(join(dir, call.source), key ? `${key}.${name}` : name, call.module, depth + 1);
      }
    }
  };
  scan(tfDir, '', isObject(configuration) ? configuration.root_module : undefined, 0);
  return out;
}

// ---------------------------------------------------------------------------
// The conversion

const ALIYUN_TYPES = new Set(['alicloud_security_group', 'alicloud_security_group_rule', 'alicloud_instance', 'alicloud_ecs_network_interface', 'alicloud_ecs_prefix_list']);
const HUAWEI_GROUP = /^huaweicloud_networking_secgroup(_v2)?$/;
const HUAWEI_RULE = /^huaweicloud_networking_secgroup_rule(_v2)?$/;
const HUAWEI_PORT = /^huaweicloud_networking_port(_v2)?$/;
const HUAWEI_TYPES = (t: string) =>
  HUAWEI_GROUP.test(t) || HUAWEI_RULE.test(t) || HUAWEI_PORT.test(t) ||
  t === 'huaweicloud_vpc_address_group' || t === 'huaweicloud_compute_instance' || t === 'huaweicloud_compute_interface_attach';

/** Where an object of the intermediate API document came from. */
interface Trace {
  inst: Instance;
  /** API key -> Terraform attribute. */
  keys: Record<string, string>;
  /** Attribute for the object as a whole. */
  attr?: string;
}

class Converter {
  readonly issues = new IssueList();
  private readonly traces = new Map<string, Trace>();
  private readonly resolver: Resolver;
  private readonly sources: Map<string, Map<string, Located>> | undefined;
  constructor(readonly instances: Instance[], configuration: unknown, tfDir: string | undefined) {
    this.resolver = new Resolver(instances, configuration);
    // planned_values omit unknown values: an absent attribute whose expression has references is one.
    for (const inst of instances) {
      if (!inst.plannedOnly) continue;
      const unknown: JsonObject = {};
      const mod = this.resolver.expressionsOf(inst);
      for (const [k, e] of Object.entries(mod ?? {})) {
        if (!isObject(e) || !Array.isArray(e.references) || e.references.length === 0) continue;
        const v = inst.values[k];
        if (isBlank(v)) unknown[k] = true;
        else if (Array.isArray(v) && v.some((x) => x === null)) unknown[k] = v.map((x) => x === null);
      }
      inst.unknown = unknown;
    }
    this.sources = tfDir !== undefined ? scanTerraformSources(tfDir, configuration) : undefined;
  }

  trace(apiPath: PathSegment[], t: Trace): void {
    this.traces.set(formatPath(apiPath), t);
  }

  location(inst: Instance): Located | undefined {
    return this.sources?.get(inst.calls.join('.'))?.get(`${inst.type}.${inst.name}`);
  }

  /** An issue about an instance: path of the attribute, message led by the address. */
  private push(severity: 'error' | 'warning', inst: Instance, attr: string | PathSegment[] | undefined, code: string, message: string): void {
    const loc = this.location(inst);
    const segs = attr === undefined ? [] : typeof attr === 'string' ? [attr] : attr;
    const issue: Issue = {
      severity,
      path: formatPath([...inst.path, ...segs]),
      code,
      message: `${inst.address}${segs.length ? ` ${formatPath(segs)}` : ''}: ${message}${loc ? ` (${loc.file}:${loc.line})` : ''}`,
      address: inst.address,
      ...(loc ? { source: loc } : {}),
    };
    this.issues.issues.push(issue);
  }

  warn(inst: Instance, attr: string | PathSegment[] | undefined, code: string, message: string): void {
    this.push('warning', inst, attr, code, message);
  }

  error(inst: Instance, attr: string | PathSegment[] | undefined, code: string, message: string): void {
    this.push('error', inst, attr, code, message);
  }

  /** Map an issue of the intermediate API document back to the Terraform document. */
  mapIssue(issue: Issue): Issue {
    let p = issue.path;
    let rest: string[] = [];
    for (;;) {
      const t = this.traces.get(p);
      if (t) {
        const apiKey = rest[0];
        const attr = apiKey !== undefined ? (t.keys[apiKey] ?? t.attr) : t.attr;
        const loc = this.location(t.inst);
        return {
          ...issue,
          path: formatPath(attr !== undefined ? [...t.inst.path, attr] : t.inst.path),
          message: `${t.inst.address}${attr !== undefined ? ` ${attr}` : ''}: ${issue.message}${loc ? ` (${loc.file}:${loc.line})` : ''}`,
          address: t.inst.address,
          ...(loc ? { source: loc } : {}),
        };
      }
      if (p === '') return issue;
      const m = /(\.[A-Za-z_$][\w$]*|\[[^\]]*\])$/.exec(p);
      if (!m) return issue;
      const seg = m[0].startsWith('.') ? m[0].slice(1) : m[0];
      rest = [seg.replace(/^\["?|"?\]$/g, ''), ...rest];
      p = p.slice(0, m.index);
    }
  }

  /** A known string attribute, or undefined (absent or blank); `unknown` when known only after apply. */
  str(inst: Instance, key: string): string | undefined | typeof UNKNOWN {
    const v = inst.values[key];
    if (isBlank(v)) return isUnknown(inst, key) ? UNKNOWN : undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    this.error(inst, key, 'type', `expected a string, got ${typeName(v)}`);
    return undefined;
  }

  /** A scalar id attribute: its value, or the id of the resource its expression refers to. */
  /** A rule resource's "left out" warning, naming the direction its `dirAttr` gives. */
  ruleLeftOut(r: Instance, dirAttr: string): (attr: string, why: string) => void {
    return (attr, why) => {
      const d = r.values[dirAttr];
      this.warn(r, attr, 'unknown-value', `${why}: the rule is left out; decisions on ${d === 'ingress' || d === 'egress' ? d : 'the'} traffic of interfaces in its group are uncertain`);
    };
  }

  /** The group a rule resource belongs to (its `security_group_id`), or null after reporting why not. */
  ruleGroup(r: Instance): string | null {
    const gid = this.id(r, 'security_group_id');
    if (gid === null) {
      this.error(r, 'security_group_id', 'missing', 'required, expected the id of the group the rule belongs to');
      return null;
    }
    if (!gid.ok) {
      this.warn(r, 'security_group_id', 'unresolved-group', `${gid.why}: the rule is left out; decisions at the interfaces of the group it belongs to are uncertain`);
      return null;
    }
    return gid.ids[0]!;
  }

  id(inst: Instance, key: string): IdResult | null {
    const v = inst.values[key];
    if (typeof v === 'string' && v !== '') return { ok: true, ids: [v] };
    if (!isBlank(v)) {
      this.error(inst, key, 'type', `expected an id string, got ${typeName(v)}`);
      return { ok: false, why: 'not a string' };
    }
    if (!isUnknown(inst, key)) return null;
    const t = this.resolver.targets(this.resolver.expression(inst, key), inst.module, inst.calls);
    if (t === null || t.length !== 1) {
      return { ok: false, why: `known only after apply, and the configuration's references ${t === null ? 'cannot be followed to one managed resource' : t.length === 0 ? 'name no resource' : 'name several resources'}` };
    }
    return { ok: true, ids: [t[0]!.kind === 'instance' ? idOf(t[0]!.inst) : t[0]!.value] };
  }

  /** A list of ids: known elements, unknown ones filled from the configuration's references. */
  ids(inst: Instance, key: string): IdResult | null {
    const v = inst.values[key];
    const u = isObject(inst.unknown) ? inst.unknown[key] : undefined;
    if (isBlank(v) && u !== true && !containsTrue(u)) return null;
    if (!isBlank(v) && !Array.isArray(v)) {
      this.error(inst, key, 'type', `expected a list of id strings, got ${typeName(v)}`);
      return { ok: false, why: 'not a list' };
    }
    const list = Array.isArray(v) ? v : [];
    if (u !== true && !containsTrue(u)) {
      const bad = list.findIndex((x) => typeof x !== 'string' || x === '');
      if (bad >= 0) {
        this.error(inst, `${key}`, 'type', `element ${bad}: expected an id string, got ${typeName(list[bad])}`);
        return { ok: false, why: 'not a list of strings' };
      }
      return { ok: true, ids: list as string[] };
    }
    const refs = this.resolver.targets(this.resolver.expression(inst, key), inst.module, inst.calls);
    if (refs === null) return { ok: false, why: "known only after apply, and the configuration's references cannot be followed to managed resources" };
    const resolved = refs.map((r) => (r.kind === 'instance' ? idOf(r.inst) : r.value));
    if (u === true) return resolved.length > 0 ? { ok: true, ids: resolved, fromReferences: true } : { ok: false, why: 'known only after apply, and the configuration names no resource' };
    // Some elements known, some not: the unknown ones are the referenced ids not among the known.
    const known = new Set(list.filter((x): x is string => typeof x === 'string' && x !== ''));
    const pending = resolved.filter((id) => !known.has(id));
    const holes = Array.isArray(u) ? u.map((x) => x === true) : [];
    if (pending.length !== holes.filter(Boolean).length) {
      return { ok: false, why: `${holes.filter(Boolean).length} element(s) known only after apply, and the configuration's references do not say which` };
    }
    let k = 0;
    return { ok: true, fromReferences: pending.length > 1, ids: (holes.length ? holes : list.map(() => false)).map((hole, i) => (hole ? pending[k++]! : (list[i] as string))) };
  }

  /** Addresses (strings) from a list attribute; unknown -> UNKNOWN. */
  addresses(inst: Instance, key: string): string[] | typeof UNKNOWN {
    const v = inst.values[key];
    if (isUnknown(inst, key)) return UNKNOWN;
    if (isBlank(v)) return [];
    if (!Array.isArray(v)) {
      this.error(inst, key, 'type', `expected a list of address strings, got ${typeName(v)}`);
      return [];
    }
    const out: string[] = [];
    v.forEach((x, i) => {
      if (typeof x === 'string' && x.trim() !== '') out.push(x.trim());
      else this.error(inst, key, 'type', `element ${i}: expected an address string, got ${typeName(x)}`);
    });
    return out;
  }

}

const UNKNOWN = Symbol('unknown');

// ---------------------------------------------------------------------------
// Alibaba

function convertAliyun(c: Converter, insts: Instance[]): { doc: JsonObject } {
  const attributes: JsonObject[] = [];
  const typeEntries: JsonObject[] = [];
  const nics: JsonObject[] = [];
  const prefixLists: JsonObject[] = [];
  const permsOf = new Map<string, JsonObject[]>();
  const groupIndex = new Map<string, number>();
  const A = 'DescribeSecurityGroupAttribute';

  const addGroup = (id: string, inst: Instance | null, external: Instance | null): number => {
    let gi = groupIndex.get(id);
    if (gi !== undefined) return gi;
    gi = attributes.length;
    groupIndex.set(id, gi);
    const perms: JsonObject[] = [];
    permsOf.set(id, perms);
    const resp: JsonObject = { SecurityGroupId: id, Permissions: { Permission: perms } };
    attributes.push(resp);
    if (inst) {
      const name = c.str(inst, 'security_group_name') ?? c.str(inst, 'name');
      if (typeof name === 'string') resp.SecurityGroupName = name;
      const desc = c.str(inst, 'description');
      if (typeof desc === 'string') resp.Description = desc;
      let inner = c.str(inst, 'inner_access_policy');
      if (inner === undefined && typeof inst.values.inner_access === 'boolean') inner = inst.values.inner_access ? 'Accept' : 'Drop';
      if (inner === UNKNOWN) {
        c.warn(inst, 'inner_access_policy', 'inner-access-unknown',
          'known only after apply; read as the API default ("Accept" for basic groups; advanced groups always isolate their members): intra-group decisions of this group are uncertain');
      }
      // Not given: the native default, which is the API's (accept for basic, drop for advanced).
      if (typeof inner === 'string') resp.InnerAccessPolicy = inner;
      const type = c.str(inst, 'security_group_type');
      if (type === UNKNOWN) c.warn(inst, 'security_group_type', 'group-type-unknown', 'known only after apply; read as "normal" (basic), the provider default: decisions at its interfaces are uncertain');
      typeEntries.push({ SecurityGroupId: id, SecurityGroupType: typeof type === 'string' ? type : 'normal' });
      c.trace([A, gi], { inst, keys: { SecurityGroupId: 'id', SecurityGroupName: 'security_group_name', Description: 'description', InnerAccessPolicy: 'inner_access_policy' } });
      c.trace(['DescribeSecurityGroups', 0, 'SecurityGroups', 'SecurityGroup', typeEntries.length - 1], { inst, keys: { SecurityGroupType: 'security_group_type' } });
    } else {
      typeEntries.push({ SecurityGroupId: id, SecurityGroupType: 'normal' });
      if (external) c.trace([A, gi], { inst: external, keys: {} });
    }
    return gi;
  };

  const groupsOf = (t: string) => insts.filter((i) => i.type === t);
  for (const g of groupsOf('alicloud_security_group')) addGroup(idOf(g), g, null);
  const externalWarned = new Set<string>();
  const external = (id: string, by: Instance, attr: string) => {
    if (!groupIndex.has(id) && !externalWarned.has(id)) {
      externalWarned.add(id);
      c.warn(by, attr, 'external-group', `security group ${show(id)} is not managed in this document: read as a basic group with no rules other than those given here; decisions at its interfaces, and rules that refer to it, are uncertain`);
    }
    addGroup(id, null, by);
  };

  // Prefix lists.
  const knownPrefixLists = new Set<string>();
  for (const p of groupsOf('alicloud_ecs_prefix_list')) {
    const id = idOf(p);
    const entries = Array.isArray(p.values.entry) ? p.values.entry : [];
    if (isUnknown(p, 'entry')) {
      c.warn(p, 'entry', 'unknown-value', 'known only after apply: the prefix list is left out; rules that use it are left out too');
      continue;
    }
    knownPrefixLists.add(id);
    const k = prefixLists.length;
    prefixLists.push({ PrefixListId: id, Entries: { Entry: entries.map((e) => ({ Cidr: isObject(e) ? e.cidr : e })) } });
    c.trace(['DescribePrefixListAttributes', k], { inst: p, keys: { PrefixListId: 'id', Entries: 'entry' } });
  }

  // Rules.
  for (const r of groupsOf('alicloud_security_group_rule')) {
    const leftOut = c.ruleLeftOut(r, 'type');
    const group = c.ruleGroup(r);
    if (group === null) continue;
    if (!groupIndex.has(group)) external(group, r, 'security_group_id');
    const dir = c.str(r, 'type');
    const perm: JsonObject = {};
    const keys: Record<string, string> = { Direction: 'type', IpProtocol: 'ip_protocol', PortRange: 'port_range', Policy: 'policy', Priority: 'priority', Description: 'description', SecurityGroupRuleId: 'id' };
    const fields: [string, string][] = [['type', 'Direction'], ['ip_protocol', 'IpProtocol'], ['port_range', 'PortRange'], ['policy', 'Policy'], ['priority', 'Priority'], ['description', 'Description']];
    let skip = false;
    for (const [attr, api] of fields) {
      const v = attr === 'priority' ? r.values.priority : c.str(r, attr);
      if (v === UNKNOWN || (attr === 'priority' && isBlank(v) && isUnknown(r, attr))) {
        leftOut(attr, 'known only after apply');
        skip = true;
        break;
      }
      if (v !== undefined && v !== null) perm[api] = v;
    }
    if (skip) continue;
    // "-1/-1" is how the provider writes "no ports" (its default): for protocols without ports it says nothing.
    if (perm.PortRange === '-1/-1' && typeof perm.IpProtocol === 'string' && !/^(tcp|udp)$/i.test(perm.IpProtocol)) delete perm.PortRange;
    perm.SecurityGroupRuleId = r.address;
    const side = dir === 'egress' ? 'Dest' : 'Source';
    const remote: [string, string][] = [['cidr_ip', `${side}CidrIp`], ['ipv6_cidr_ip', `Ipv6${side}CidrIp`], ['prefix_list_id', `${side}PrefixListId`]];
    for (const [attr, api] of remote) {
      keys[api] = attr;
      const v = c.str(r, attr);
      if (v === UNKNOWN) {
        leftOut(attr, 'known only after apply');
        skip = true;
        break;
      }
      if (v !== undefined) perm[api] = v;
    }
    if (skip) continue;
    keys[`${side}GroupId`] = 'source_security_group_id';
    const sg = c.id(r, 'source_security_group_id');
    if (sg && !sg.ok) {
      leftOut('source_security_group_id', sg.why);
      continue;
    }
    if (sg) {
      perm[`${side}GroupId`] = sg.ids[0]!;
      if (!groupIndex.has(sg.ids[0]!) && perm[`${side}CidrIp`] === undefined && perm[`Ipv6${side}CidrIp`] === undefined) external(sg.ids[0]!, r, 'source_security_group_id');
    }
    const pl = perm[`${side}PrefixListId`];
    if (typeof pl === 'string' && !knownPrefixLists.has(pl) && perm[`${side}CidrIp`] === undefined && perm[`Ipv6${side}CidrIp`] === undefined && perm[`${side}GroupId`] === undefined) {
      leftOut('prefix_list_id', `prefix list ${show(pl)} is not managed in this document`);
      continue;
    }
    if (perm[`${side}CidrIp`] === undefined && perm[`Ipv6${side}CidrIp`] === undefined && perm[`${side}GroupId`] === undefined && pl === undefined) {
      c.error(r, 'cidr_ip', 'missing', 'expected one of cidr_ip, ipv6_cidr_ip, source_security_group_id, prefix_list_id');
      continue;
    }
    const nic = c.str(r, 'nic_type');
    if (nic === 'internet') {
      c.warn(r, 'nic_type', 'nic-type-internet', '"internet" (classic-network public NICs) read as applying to the group\'s interfaces: in a VPC the rule applies to every NIC, and classic public NICs are not modelled');
    }
    const perms = permsOf.get(group)!;
    perms.push(perm);
    c.trace([A, groupIndex.get(group)!, 'Permissions', 'Permission', perms.length - 1], { inst: r, keys });
  }

  // Interfaces.
  const addNic = (inst: Instance, groupsAttr: string, ipAttrs: { primary: string[]; lists: string[] }) => {
    let groups: IdResult | null = null;
    let gattr = groupsAttr;
    for (const a of [groupsAttr, 'security_groups']) {
      groups = c.ids(inst, a);
      gattr = a;
      if (groups !== null) break;
    }
    if (groups === null) {
      c.warn(inst, groupsAttr, 'no-groups', 'no security groups: the interface is left out');
      return;
    }
    if (!groups.ok) {
      c.warn(inst, gattr, 'unresolved-group', `${groups.why}: the interface is left out; traffic to and from it is not judged, and rules that refer to its groups do not see its addresses`);
      return;
    }
    const ips: string[] = [];
    const ipKeys: Record<string, string> = {};
    for (const a of ipAttrs.primary) {
      const v = c.str(inst, a);
      if (v === UNKNOWN) {
        c.warn(inst, a, 'unknown-address', `the address is known only after apply (the cloud assigns it): the interface is left out; traffic to and from it is not judged, and rules with remote groups ${groups.ids.map((g) => show(g)).join(', ')} do not see it`);
        return;
      }
      if (v !== undefined) {
        ips.push(v);
        break;
      }
    }
    for (const a of ipAttrs.lists) {
      const v = c.addresses(inst, a);
      if (v === UNKNOWN) {
        c.warn(inst, a, 'unknown-address', `known only after apply: these addresses are left out of the interface; traffic to and from them is not judged`);
        continue;
      }
      ips.push(...v);
    }
    if (ips.length === 0) {
      c.warn(inst, ipAttrs.primary[0], 'no-address', 'no private address: the interface is left out');
      return;
    }
    for (const g of groups.ids) if (!groupIndex.has(g)) external(g, inst, gattr);
    const k = nics.length;
    nics.push({
      NetworkInterfaceId: idOf(inst),
      PrivateIpSets: { PrivateIpSet: ips.filter((ip) => !ip.includes(':')).map((ip) => ({ PrivateIpAddress: ip })) },
      Ipv6Sets: { Ipv6Set: ips.filter((ip) => ip.includes(':')).map((ip) => ({ Ipv6Address: ip })) },
      SecurityGroupIds: { SecurityGroupId: groups.ids },
    });
    ipKeys.SecurityGroupIds = gattr;
    ipKeys.PrivateIpSets = ipAttrs.primary[0]!;
    ipKeys.Ipv6Sets = 'ipv6_addresses';
    c.trace(['DescribeNetworkInterfaces', 0, 'NetworkInterfaceSets', 'NetworkInterfaceSet', k], { inst, keys: ipKeys });
  };
  for (const i of groupsOf('alicloud_instance')) addNic(i, 'security_groups', { primary: ['private_ip'], lists: ['secondary_private_ips', 'ipv6_addresses'] });
  for (const i of groupsOf('alicloud_ecs_network_interface')) {
    addNic(i, 'security_group_ids', { primary: ['primary_ip_address', 'private_ip'], lists: [i.values.private_ip_addresses !== undefined ? 'private_ip_addresses' : 'private_ips', 'ipv6_addresses'] });
  }

  const doc: JsonObject = {
    [A]: attributes,
    DescribeSecurityGroups: [{ SecurityGroups: { SecurityGroup: typeEntries } }],
  };
  if (nics.length > 0) doc.DescribeNetworkInterfaces = [{ NetworkInterfaceSets: { NetworkInterfaceSet: nics } }];
  if (prefixLists.length > 0) doc.DescribePrefixListAttributes = prefixLists;
  return { doc };
}

// ---------------------------------------------------------------------------
// Huawei

/** The rules Huawei Cloud adds to every new security group (VPC API, CreateSecurityGroup response). */
export const HUAWEI_DEFAULT_RULES = [
  { direction: 'ingress', ethertype: 'IPv4', self: true },
  { direction: 'ingress', ethertype: 'IPv6', self: true },
  { direction: 'egress', ethertype: 'IPv4', self: false },
  { direction: 'egress', ethertype: 'IPv6', self: false },
] as const;
export const HUAWEI_DEFAULT_RULE_PRIORITY = 100;
/** The priority the huaweicloud provider documents for rules without one. */
export const HUAWEI_PROVIDER_DEFAULT_PRIORITY = 1;

function convertHuawei(c: Converter, insts: Instance[]): { doc: JsonObject } {
  const groups: JsonObject[] = [];
  const rules: JsonObject[] = [];
  const addressGroups: JsonObject[] = [];
  const ports: JsonObject[] = [];
  const known = new Set<string>();
  const of = (re: RegExp | string) => insts.filter((i) => (typeof re === 'string' ? i.type === re : re.test(i.type)));

  const addGroup = (id: string, inst: Instance, isExternal: boolean) => {
    if (known.has(id)) return;
    known.add(id);
    const k = groups.length;
    const g: JsonObject = { id };
    if (!isExternal) {
      const name = c.str(inst, 'name');
      if (typeof name === 'string') g.name = name;
      const d = c.str(inst, 'description');
      if (typeof d === 'string') g.description = d;
    }
    groups.push(g);
    c.trace(['security_groups', k], { inst, keys: isExternal ? {} : { id: 'id', name: 'name', description: 'description' } });
  };
  const externalWarned = new Set<string>();
  const external = (id: string, by: Instance, attr: string) => {
    if (known.has(id)) return;
    if (!externalWarned.has(id)) {
      externalWarned.add(id);
      c.warn(by, attr, 'external-group', `security group ${show(id)} is not managed in this document: read with no rules other than those given here; decisions at its interfaces, and rules that refer to it, are uncertain`);
    }
    addGroup(id, by, true);
  };

  for (const g of of(HUAWEI_GROUP)) {
    const id = idOf(g);
    addGroup(id, g, false);
    const del = g.values.delete_default_rules;
    if (del === true) continue;
    if (isUnknown(g, 'delete_default_rules')) {
      c.warn(g, 'delete_default_rules', 'unknown-value', 'known only after apply: read as false (the default), so the default rules are added; decisions at its interfaces are uncertain');
    }
    if (del !== undefined && del !== null && del !== false) {
      c.error(g, 'delete_default_rules', 'type', `expected true or false, got ${typeName(del)}`);
      continue;
    }
    c.warn(g, 'delete_default_rules', 'default-rules',
      `${del === false ? 'false' : 'not set (default false)'}: Huawei Cloud adds ${HUAWEI_DEFAULT_RULES.length} rules to a new group that Terraform does not manage; they are included: ` +
      `allow ingress IPv4 and IPv6 from the group itself, allow egress IPv4 and IPv6 to anywhere, priority ${HUAWEI_DEFAULT_RULE_PRIORITY}`);
    for (const d of HUAWEI_DEFAULT_RULES) {
      const rule: JsonObject = {
        id: `${g.address}/default-${d.direction}-${d.ethertype}`,
        security_group_id: id, direction: d.direction, ethertype: d.ethertype, protocol: null,
        action: 'allow', priority: HUAWEI_DEFAULT_RULE_PRIORITY,
      };
      if (d.self) rule.remote_group_id = id;
      c.trace(['security_group_rules', rules.length], { inst: g, keys: {}, attr: 'delete_default_rules' });
      rules.push(rule);
    }
  }

  const knownAddressGroups = new Set<string>();
  for (const a of of('huaweicloud_vpc_address_group')) {
    const id = idOf(a);
    const ips: string[] = [];
    let unknown = false;
    const list = c.addresses(a, 'addresses');
    if (list === UNKNOWN) unknown = true;
    else ips.push(...list);
    // ip_extra_set is computed from addresses when addresses are given.
    if (list !== UNKNOWN && list.length > 0) { /* addresses decide */ }
    else if (isUnknown(a, 'ip_extra_set')) unknown = true;
    else if (Array.isArray(a.values.ip_extra_set)) {
      for (const e of a.values.ip_extra_set) if (isObject(e) && typeof e.ip === 'string' && !ips.includes(e.ip)) ips.push(e.ip);
    }
    if (unknown) {
      c.warn(a, 'addresses', 'unknown-value', 'known only after apply: the address group is left out; rules that use it are left out too');
      continue;
    }
    knownAddressGroups.add(id);
    c.trace(['address_groups', addressGroups.length], { inst: a, keys: { id: 'id', ip_set: 'addresses' } });
    addressGroups.push({ id, ip_set: ips });
  }

  for (const r of of(HUAWEI_RULE)) {
    const leftOut = c.ruleLeftOut(r, 'direction');
    const group = c.ruleGroup(r);
    if (group === null) continue;
    external(group, r, 'security_group_id');
    const rule: JsonObject = { id: r.address, security_group_id: group };
    const keys: Record<string, string> = Object.fromEntries(
      ['id', 'security_group_id', 'direction', 'ethertype', 'protocol', 'description', 'action', 'priority', 'remote_ip_prefix',
        'remote_group_id', 'remote_address_group_id', 'port_range_min', 'port_range_max'].map((k) => [k, k]));
    keys.multiport = 'ports';
    let skip = false;
    for (const attr of ['direction', 'ethertype', 'protocol', 'description', 'action', 'remote_ip_prefix', 'ports', 'port_range_min', 'port_range_max']) {
      const v = r.values[attr];
      // An action the provider computes is the API's default, allow (CreateSecurityGroupRule: "默认值为allow").
      if (isBlank(v) && isUnknown(r, attr) && attr === 'action') {
        c.warn(r, attr, 'action-default', 'known only after apply: read as "allow" (the API default); decisions that this rule takes are uncertain');
        rule.action = 'allow';
        continue;
      }
      if (isBlank(v) && isUnknown(r, attr)) {
        leftOut(attr, 'known only after apply');
        skip = true;
        break;
      }
      if (isBlank(v)) continue;
      if (attr === 'ports') rule.multiport = v;
      else rule[attr] = v;
    }
    if (skip) continue;
    // The provider sends 0 for unset port bounds in some versions: read 0 as not set.
    for (const k of ['port_range_min', 'port_range_max']) if (rule[k] === 0) delete rule[k];
    if (rule.multiport !== undefined) {
      delete rule.port_range_min;
      delete rule.port_range_max;
    }
    // remote_ip_prefix empty means all addresses (provider docs); the converters read a missing remote as any.
    for (const [attr, isAddressGroup] of [['remote_group_id', false], ['remote_address_group_id', true]] as const) {
      const ref = c.id(r, attr);
      if (ref === null) continue;
      if (!ref.ok) {
        leftOut(attr, ref.why);
        skip = true;
        break;
      }
      const id = ref.ids[0]!;
      if (isAddressGroup && !knownAddressGroups.has(id)) {
        leftOut(attr, `address group ${show(id)} is not managed in this document`);
        skip = true;
        break;
      }
      if (!isAddressGroup) external(id, r, attr);
      rule[attr] = id;
    }
    if (skip) continue;
    const p = r.values.priority;
    if (isBlank(p)) {
      c.warn(r, 'priority', 'priority-default',
        `${isUnknown(r, 'priority') ? 'known only after apply' : 'not set'}: read as ${HUAWEI_PROVIDER_DEFAULT_PRIORITY}, the default the huaweicloud provider documents; ` +
        `the VPC v3 API documents ${HUAWEI_DEFAULT_RULE_PRIORITY} for rules created without one — decisions where this rule competes with rules of other priorities in its group are uncertain; set priority explicitly`);
      rule.priority = HUAWEI_PROVIDER_DEFAULT_PRIORITY;
    } else rule.priority = p;
    c.trace(['security_group_rules', rules.length], { inst: r, keys });
    rules.push(rule);
  }

  // Interfaces: compute instances (one per network block), ports, interface attachments.
  // Groups per instance, resolved (and warned about) once for all its NICs.
  const resolvedGroups = new Map<Instance, { g: IdResult | null; attr: string }>();
  const groupsOf = (inst: Instance, groupsAttr: string): { g: IdResult | null; attr: string } => {
    let hit = resolvedGroups.get(inst);
    if (!hit) resolvedGroups.set(inst, (hit = resolveGroups(inst, groupsAttr)));
    return hit;
  };
  const resolveGroups = (inst: Instance, groupsAttr: string): { g: IdResult | null; attr: string } => {
    let g = c.ids(inst, groupsAttr);
    // Older configurations bind by name (`security_groups`, deprecated): the provider looks the names up.
    const names = inst.values.security_groups;
    if (g === null && Array.isArray(names) && names.length > 0) {
      groupsAttr = 'security_groups';
      const ids: string[] = [];
      for (const n of names) {
        const hits = of(HUAWEI_GROUP).filter((x) => x.values.name === n);
        if (hits.length !== 1) {
          g = { ok: false, why: `group name ${show(n)} names ${hits.length === 0 ? 'no group managed in this document' : 'several managed groups'}` };
          break;
        }
        ids.push(idOf(hits[0]!));
      }
      if (g === null) {
        g = { ok: true, ids };
        c.warn(inst, 'security_groups', 'group-by-name',
          `groups given by name (${names.map((n) => show(n)).join(', ')}) read as the managed groups of those names; a group of the same name outside this document would make its decisions uncertain`);
      }
    }
    return { g, attr: groupsAttr };
  };
  const warnedInstance = new Set<Instance>();
  const addPort = (inst: Instance, portId: string, ips: string[] | typeof UNKNOWN, ipAttr: string | PathSegment[], groupsAttrIn: string) => {
    const { g, attr: groupsAttr } = groupsOf(inst, groupsAttrIn);
    const once = !warnedInstance.has(inst);
    warnedInstance.add(inst);
    if (g === null) {
      if (!once) return;
      c.warn(inst, groupsAttr, 'no-groups', inst.type === 'huaweicloud_compute_instance'
        ? 'no security groups given: the cloud binds the default security group, which is not in this document; the interface is left out'
        : 'no security groups: the interface is left out');
      return;
    }
    if (!g.ok) {
      if (once) c.warn(inst, groupsAttr, 'unresolved-group', `${g.why}: the interface is left out; traffic to and from it is not judged, and rules that refer to its groups do not see its addresses`);
      return;
    }
    if (ips === UNKNOWN) {
      c.warn(inst, ipAttr, 'unknown-address', `the address is known only after apply (the cloud assigns it): the interface is left out; traffic to and from it is not judged, and rules with remote groups ${g.ids.map((x) => show(x)).join(', ')} do not see it`);
      return;
    }
    if (ips.length === 0) {
      c.warn(inst, ipAttr, 'no-address', 'no fixed address: the interface is left out');
      return;
    }
    if (g.fromReferences && g.ids.length > 1 && once) {
      c.warn(inst, groupsAttr, 'binding-order',
        `${g.ids.length} groups known only after apply, resolved from the configuration's references (${g.ids.map((x) => show(x)).join(', ')}): ` +
        'their binding order, which decides between groups on Huawei Cloud, is taken from the order of the references; decisions where these groups disagree are uncertain');
    }
    for (const id of g.ids) external(id, inst, groupsAttr);
    c.trace(['ports', ports.length], { inst, keys: { id: 'id', fixed_ips: typeof ipAttr === 'string' ? ipAttr : String(ipAttr[0]), security_groups: groupsAttr } });
    ports.push({ id: portId, fixed_ips: ips.map((ip_address) => ({ ip_address })), security_groups: g.ids });
  };
  for (const i of of('huaweicloud_compute_instance')) {
    const nets = Array.isArray(i.values.network) ? i.values.network : [];
    const netUnknown = isObject(i.unknown) ? i.unknown.network : undefined;
    if (nets.length === 0) {
      c.warn(i, 'network', isUnknown(i, 'network') ? 'unknown-address' : 'no-address', 'no network block with a known address: the instance is left out; traffic to and from it is not judged');
      continue;
    }
    nets.forEach((n, k) => {
      if (!isObject(n)) return;
      const u = Array.isArray(netUnknown) && isObject(netUnknown[k]) ? netUnknown[k] as JsonObject : {};
      const ips: string[] = [];
      let unknown = false;
      for (const key of ['fixed_ip_v4', 'fixed_ip_v6']) {
        const v = n[key];
        if (typeof v === 'string' && v !== '') ips.push(v);
        else if (u[key] === true && (key === 'fixed_ip_v4' || n.ipv6_enable === true)) unknown = true;
      }
      // The NIC: its port id when known, else the instance (one network) or instance.network[k].
      const id = typeof n.port === 'string' && n.port !== '' ? n.port : nets.length === 1 ? idOf(i) : `${idOf(i)}.network[${k}]`;
      addPort(i, id, unknown ? UNKNOWN : ips, ['network', k, 'fixed_ip_v4'], 'security_group_ids');
    });
  }
  for (const p of of(HUAWEI_PORT)) {
    // all_fixed_ips (computed) lists every address; fixed_ip the requested ones.
    const fixed = Array.isArray(p.values.fixed_ip) ? p.values.fixed_ip : [];
    const all = c.addresses(p, 'all_fixed_ips');
    let ips: string[] | typeof UNKNOWN = Array.isArray(all) && all.length > 0 ? all
      : fixed.filter(isObject).map((f) => f.ip_address).filter((x): x is string => typeof x === 'string' && x !== '');
    if (ips.length === 0 && (isUnknown(p, 'fixed_ip') || all === UNKNOWN)) ips = UNKNOWN;
    addPort(p, idOf(p), ips, Array.isArray(all) && all.length > 0 ? 'all_fixed_ips' : 'fixed_ip', 'security_group_ids');
  }
  for (const a of of('huaweicloud_compute_interface_attach')) {
    const ip = c.str(a, 'fixed_ip');
    const port = c.str(a, 'port_id');
    addPort(a, typeof port === 'string' ? port : a.address, ip === UNKNOWN ? UNKNOWN : ip === undefined ? [] : [ip], 'fixed_ip', 'security_group_ids');
  }

  const doc: JsonObject = { security_groups: groups, security_group_rules: rules };
  if (addressGroups.length > 0) doc.address_groups = addressGroups;
  if (ports.length > 0) doc.ports = ports;
  return { doc };
}

// ---------------------------------------------------------------------------

export interface TerraformImportResult extends ImportResult {
  /**
   * Point an issue found later on the model (e.g. a `check` lint finding at
   * `securityGroups[2]`) at the Terraform resource it came from: path, address, source.
   */
  relocate?: (issue: Issue) => Issue;
}

/** Import `terraform show -json` output (see the module comment) into the model. */
export function importTerraform(doc: unknown, options: TerraformImportOptions = {}): TerraformImportResult {
  const top = new IssueList();
  const done = (): TerraformImportResult => ({ issues: top.issues });
  if (!isObject(doc)) {
    top.error([], 'type', `expected the JSON object that "terraform show -json" prints, got ${typeName(doc)}`);
    return done();
  }
  const fv = doc.format_version;
  if (typeof fv !== 'string') {
    top.error(['format_version'], fv === undefined ? 'missing' : 'type', `required, expected a version string like "1.2" (as "terraform show -json" prints), got ${typeName(fv)}`);
    return done();
  }
  if (UNSUPPORTED_MAJOR(fv)) {
    top.error(['format_version'], 'format-version', `${show(fv)} is not a supported JSON format version (expected 0.x or 1.x)`);
    return done();
  }
  const { instances } = collect(doc, top);
  if (top.hasErrors()) return done();
  const ali = instances.filter((i) => ALIYUN_TYPES.has(i.type));
  const hw = instances.filter((i) => HUAWEI_TYPES(i.type));
  if (ali.length > 0 && hw.length > 0) {
    top.error([], 'two-clouds', `both alicloud_* (${ali[0]!.address}) and huaweicloud_* (${hw[0]!.address}) security-group resources: a topology has one cloud (split the configuration, or import one workspace at a time)`);
    return done();
  }
  if (ali.length === 0 && hw.length === 0) {
    top.error([], 'no-security-groups', 'no alicloud_security_group*, alicloud_instance, alicloud_ecs_network_interface, huaweicloud_networking_secgroup*, huaweicloud_compute_instance or network port resources in the plan or state');
    return done();
  }
  if (options.tfDir !== undefined) {
    let ok = false;
    try {
      ok = statSync(options.tfDir).isDirectory();
    } catch {
      ok = false;
    }
    if (!ok) {
      top.error([], 'tf-dir', `--tf-dir ${show(options.tfDir)} is not a directory (expected the directory of the root module's .tf files)`);
      return done();
    }
  }
  const c = new Converter(instances, doc.configuration, options.tfDir);
  const cloud = ali.length > 0 ? 'aliyun' : 'huawei';
  const { doc: apiDoc } = cloud === 'aliyun' ? convertAliyun(c, ali) : convertHuawei(c, hw);
  const { native, origins, issues } = cloud === 'aliyun' ? aliyunToNative(apiDoc) : huaweiToNative(apiDoc);
  native.description = `${typeof doc.terraform_version === 'string' ? `Terraform ${doc.terraform_version} ` : ''}${'planned_values' in doc || 'resource_changes' in doc ? 'plan' : 'state'}`;
  const r = finishImport(native, origins, issues, options.file);
  const out: Issue[] = [...c.issues.issues, ...r.issues.map((i) => c.mapIssue(i))];
  const result: TerraformImportResult = { issues: out, native };
  if (r.topology && !out.some((i) => i.severity === 'error')) result.topology = r.topology;
  result.relocate = (issue) => {
    const o = origins.lookup(issue.path);
    return o ? c.mapIssue({ ...issue, path: o.path }) : issue;
  };
  return result;
}
