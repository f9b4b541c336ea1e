/**
 * Terraform importer (src/parse/terraform.ts): `terraform show -json` plans
 * and state for both clouds. Each fixture under fixtures/terraform/ has a twin
 * written by hand in the native format (`*.native.json`); both go through the
 * reference evaluator with the packets below, listed by hand with the verdict
 * each must get (worked out from the fixtures' rules and SEMANTICS §2-§4), and
 * the two must decide identically, hop by hop (interface, rule, reason).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePacketSpec } from '../../src/model/packet-spec.js';
import type { Topology } from '../../src/model/topology.js';
import { formatIssue, TopologyError, type Issue } from '../../src/parse/issues.js';
import { detectJsonFormat, loadTopology, loadTopologyFile } from '../../src/parse/load.js';
import { importTerraform, scanTerraformSources } from '../../src/parse/terraform.js';
import { ReferenceEngine } from '../../src/reference/engine.js';
import { checkTopologyFile } from '../../src/cli/check.js';
import { cli } from '../helpers/cli.js';
import { fixturesDir, repoRoot } from '../helpers/corpus.js';
import { errors, noErrors, one } from './helpers.js';

const TF = () => join(fixturesDir(), 'terraform');
const read = (name: string): any => JSON.parse(readFileSync(join(TF(), name), 'utf8'));
const show = (issues: Issue[]) => issues.map((i) => `  ${i.severity} ${i.code} ${formatIssue(i)}`).join('\n');

/** [packet, verdict] pairs; judged in order on one engine (conntrack carries over). */
type Traffic = [string, 'allow' | 'deny'][];

function sameDecisions(imported: Topology, native: Topology, traffic: Traffic): void {
  const a = new ReferenceEngine(imported);
  const b = new ReferenceEngine(native);
  for (const [spec, verdict] of traffic) {
    const da = a.judge(parsePacketSpec(spec));
    const db = b.judge(parsePacketSpec(spec));
    assert.equal(da, db, `${spec}: imported and hand-written topologies decide differently`);
    assert.is(db.verdict, verdict, `${spec}: ${JSON.stringify(db)}`);
  }
}

function twins(name: string): { imported: Topology; native: Topology; issues: Issue[] } {
  const r = loadTopologyFile(join(TF(), `${name}.json`));
  assert.is(r.format, 'terraform');
  const n = loadTopologyFile(join(TF(), `${name}.native.json`));
  assert.is(n.format, 'native');
  assert.equal(n.issues, []);
  return { imported: r.topology, native: n.topology, issues: r.issues };
}

/** The issues as "severity code path" lines, for exact comparison. */
const APP_GROUP = '6f0e4a52-1c1e-4b7b-9a1e-0000000000a1';
const codes = (issues: Issue[]) => issues.map((i) => `${i.severity} ${i.code} ${i.path}`).sort();

// ---------------------------------------------------------------------------
const equivalence = suite('terraform: imported topologies decide as their hand-written twins');

const ALIYUN_PLAN: Traffic = [
  ['tcp 203.0.113.5:40000 -> 10.0.2.20:22', 'allow'], // module.net ssh[0]
  ['tcp 198.51.100.5:40000 -> 10.0.2.20:22', 'allow'], // ssh[1]
  ['tcp 192.0.2.9:40000 -> 10.0.2.20:22', 'deny'], // no rule: ingress default
  ['tcp 10.0.1.10:40001 -> 10.0.2.20:3306', 'allow'], // mysql: source group web (through var.web_sg_id)
  ['tcp 10.0.2.20:40002 -> 10.0.1.10:3306', 'deny'], // web has no 3306 rule
  ['tcp 198.51.100.7:5000 -> 10.0.1.10:443', 'allow'], // http["443"]
  ['tcp 198.51.100.7:5001 -> 10.0.1.10:80', 'allow'], // http["80"]
  ['tcp 198.51.100.7:5002 -> 10.0.1.10:23', 'deny'], // deny_telnet
  ['tcp 198.51.100.7:5003 -> 10.0.1.10:8080', 'deny'], // from_nat is left out (its CIDR is unknown)
  ['udp 198.51.100.7:5004 -> 10.0.1.10:80', 'deny'], // http is tcp only
  ['tcp 10.0.1.10:5005 -> 192.0.2.1:80', 'deny'], // egress_drop
  ['tcp 10.0.1.10:5006 -> 203.0.113.1:80', 'allow'], // basic group: egress default allow
  ['tcp 10.0.2.20:5007 -> 10.0.1.10:80', 'allow'], // db egress default, web http["80"]
];

equivalence('Alibaba plan: module, count, for_each, ids known after apply', () => {
  const { imported, native } = twins('aliyun-plan');
  sameDecisions(imported, native, ALIYUN_PLAN);
});

equivalence('Alibaba plan read from planned_values only (no resource_changes): the same decisions', () => {
  const doc = read('aliyun-plan.json');
  delete doc.resource_changes;
  const r = loadTopology(doc, { file: 'planned-only.json' });
  const n = loadTopologyFile(join(TF(), 'aliyun-plan.native.json'));
  sameDecisions(r.topology, n.topology, ALIYUN_PLAN);
  assert.equal(codes(r.issues), [
    'warning unknown-address planned_values.root_module.resources[8].values.private_ip',
    'warning unknown-value planned_values.root_module.resources[6].values.cidr_ip',
  ], show(r.issues));
});

equivalence('Alibaba state: advanced group, prefix list, ENI with secondary and IPv6 addresses, a module with count, an unmanaged group', () => {
  const { imported, native } = twins('aliyun-state');
  sameDecisions(imported, native, [
    ['tcp 203.0.113.7:4000 -> 10.0.1.5:443', 'deny'], // app_deny: drop before accept at priority 1
    ['tcp 192.0.2.7:4000 -> 10.0.1.6:443', 'allow'], // app_https, the ENI's secondary address
    ['tcp 10.0.0.5:4001 -> 10.0.1.5:22', 'allow'], // bastion egress default (basic), app_ssh from sg-bastion
    ['tcp 198.51.100.9:4002 -> 10.0.0.5:22', 'allow'], // bastion_office: prefix list pl-office
    ['tcp 192.0.2.9:4003 -> 10.0.0.5:22', 'deny'],
    ['udp 10.0.1.5:5000 -> 8.8.8.8:53', 'allow'], // app_egress_dns
    ['tcp 10.0.1.5:5001 -> 8.8.8.8:443', 'deny'], // advanced group: egress default deny
    ['tcp [2001:db8::5]:5002 -> [2001:db8:1::1]:443', 'allow'], // app_egress_v6
    ['icmp 10.9.9.9 -> 10.0.1.5 type 8 code 0 id 7', 'allow'], // module.extra[0] icmp
    ['tcp 10.0.3.3:4004 -> 10.0.0.5:22', 'deny'], // legacy (sg-external, no rules) -> bastion: no rule
  ]);
});

equivalence('Huawei plan: default rules (delete_default_rules false) and none (true), address group, remote group through a module variable', () => {
  const { imported, native } = twins('huawei-plan');
  sameDecisions(imported, native, [
    ['tcp 203.0.113.5:40000 -> 10.0.1.10:443', 'allow'], // https
    ['tcp 192.0.2.10:40001 -> 10.0.1.10:22', 'allow'], // ssh_admin: address group, single address
    ['tcp 198.51.100.15:40002 -> 10.0.1.10:22', 'allow'], // ssh_admin: range end
    ['tcp 198.51.100.16:40003 -> 10.0.1.10:22', 'deny'], // past the range
    ['tcp 10.0.1.10:40004 -> 10.0.2.20:5432', 'allow'], // web default egress (priority 100), db pg[0] from web
    ['tcp 10.0.1.10:40005 -> 203.0.113.9:25', 'deny'], // deny_smtp (priority 1) before the default egress allow
    ['tcp 10.0.2.20:40006 -> 10.0.1.10:8080', 'deny'], // db egress_v4 allows; web: db is not in web's default self rule
    ['tcp 10.0.2.20:40007 -> 198.51.100.1:80', 'deny'], // db deleted its default rules: egress only to 10/8
    ['udp 203.0.113.5:53 -> 10.0.2.20:53', 'deny'],
    ['icmpv6 2001:db8::1 -> 2001:db8::2 type 128 code 0', 'allow'], // unmanaged
  ]);
});

equivalence('Huawei state: default rules when delete_default_rules is not set, multi-range ports, ip_extra_set ranges, ports, two NICs bound in order', () => {
  const { imported, native } = twins('huawei-state');
  sameDecisions(imported, native, [
    ['tcp 192.0.2.1:4000 -> 10.1.0.10:8003', 'allow'], // app_multi "80,8000-8010"
    ['tcp 192.0.2.1:4001 -> 10.1.0.10:8005', 'deny'], // app_deny_8005: deny first at priority 5
    ['tcp 192.0.2.1:4002 -> 10.1.0.10:8011', 'deny'],
    ['udp 203.0.113.7:4003 -> 10.1.0.10:5000', 'allow'], // app_partner: 203.0.113.0/25
    ['udp 192.0.2.103:4004 -> 10.1.0.10:5000', 'allow'], // range 192.0.2.100-103
    ['udp 192.0.2.104:4005 -> 10.1.0.10:5000', 'deny'],
    ['icmpv6 2001:db8:9::1 -> 2001:db8:1::10 type 128 code 0', 'allow'], // app_v6 on the port's IPv6 address
    ['tcp 10.1.0.20:4006 -> 10.1.0.10:22', 'allow'], // default egress; default ingress from the group itself
    ['tcp 10.9.0.1:4007 -> 10.2.0.20:22', 'deny'], // worker NIC 1: no rule (the unmanaged group is empty)
    ['tcp [2001:db8:2::20]:4008 -> [2001:db8:1::10]:9999', 'allow'], // default IPv6 rules, self group
    ['tcp 10.1.0.10:4009 -> 198.51.100.1:443', 'allow'], // default egress to anywhere
  ]);
});

// ---------------------------------------------------------------------------
const warnings = suite('terraform: warnings name the resource, the attribute and what is uncertain');

warnings('Alibaba plan: an address and a CIDR known only after apply', () => {
  const { issues } = twins('aliyun-plan');
  assert.equal(codes(issues), [
    'warning unknown-address resource_changes[8].change.after.private_ip',
    'warning unknown-value resource_changes[6].change.after.cidr_ip',
  ], show(issues));
  const w = one(issues, 'resource_changes[8].change.after.private_ip', 'warning');
  assert.is(w.address, 'alicloud_instance.web[1]');
  assert.is(w.message,
    'alicloud_instance.web[1] private_ip: the address is known only after apply (the cloud assigns it): the interface is left out; ' +
    'traffic to and from it is not judged, and rules with remote groups "alicloud_security_group.web" do not see it');
  assert.is(one(issues, 'resource_changes[6].change.after.cidr_ip', 'warning').message,
    'alicloud_security_group_rule.from_nat cidr_ip: known only after apply: the rule is left out; decisions on ingress traffic of interfaces in its group are uncertain');
});

warnings('Huawei plan: default rules added (one group only), a missing priority, an unknown address, a computed action', () => {
  const { issues } = twins('huawei-plan');
  assert.equal(codes(issues), [
    'warning action-default resource_changes[3].change.after.action',
    'warning default-rules resource_changes[0].change.after.delete_default_rules',
    'warning priority-default resource_changes[3].change.after.priority',
    'warning unknown-address resource_changes[6].change.after.network[0].fixed_ip_v4',
  ], show(issues));
  const p = one(issues, 'resource_changes[3].change.after.priority', 'warning');
  assert.is(p.address, 'huaweicloud_networking_secgroup_rule.ssh_admin');
  assert.match(p.message, /read as 1, the default the huaweicloud provider documents; the VPC v3 API documents 100/);
  assert.match(p.message, /set priority explicitly$/);
  assert.is(one(issues, 'resource_changes[3].change.after.action', 'warning').message,
    'huaweicloud_networking_secgroup_rule.ssh_admin action: known only after apply: read as "allow" (the API default); decisions that this rule takes are uncertain');
  assert.match(one(issues, 'resource_changes[0].change.after.delete_default_rules', 'warning').message,
    /^huaweicloud_networking_secgroup\.web delete_default_rules: false: Huawei Cloud adds 4 rules/);
});

warnings('Huawei state: default rules when delete_default_rules is not set; an unmanaged group', () => {
  const { issues } = twins('huawei-state');
  assert.equal(codes(issues), [
    'warning default-rules values.root_module.resources[0].values.delete_default_rules',
    'warning external-group values.root_module.resources[7].values.security_group_ids',
  ], show(issues));
  assert.match(issues.find((i) => i.code === 'default-rules')!.message, /not set \(default false\)/);
});

warnings('Alibaba state: an unmanaged group', () => {
  const { issues } = twins('aliyun-state');
  assert.equal(codes(issues), ['warning external-group values.root_module.resources[11].values.security_groups'], show(issues));
});

warnings('Huawei groups bound by name (deprecated security_groups): read as the managed group of that name, with a warning', () => {
  const doc = read('huawei-state.json');
  const worker = doc.values.root_module.resources[7].values;
  worker.security_group_ids = null;
  worker.security_groups = ['app'];
  const r = importTerraform(doc);
  noErrors(r.issues);
  assert.match(one(r.issues, 'values.root_module.resources[7].values.security_groups', 'warning').message,
    /^huaweicloud_compute_instance\.worker security_groups: groups given by name \("app"\) read as the managed groups of those names/);
  assert.equal(r.topology!.interfaces.filter((i) => i.id.startsWith('port-w')).map((i) => i.groups), [[APP_GROUP], [APP_GROUP]]);
  worker.security_groups = ['default'];
  const r2 = importTerraform(doc);
  assert.match(one(r2.issues, 'values.root_module.resources[7].values.security_groups', 'warning').message, /group name "default" names no group managed in this document: the interface is left out/);
});

warnings('Alibaba remotes: a prefix list beside a CIDR is ignored (as the API), two families are an error — both at the Terraform attribute', () => {
  const doc = read('aliyun-state.json');
  doc.values.root_module.resources[3].values.prefix_list_id = 'pl-office'; // app_https also has cidr_ip 0.0.0.0/0
  const r = importTerraform(doc);
  noErrors(r.issues);
  const w = one(r.issues, 'values.root_module.resources[3].values.prefix_list_id', 'warning');
  assert.is(w.code, 'prefix-list-ignored');
  assert.is(w.message, 'alicloud_security_group_rule.app_https prefix_list_id: prefix list "pl-office" is ignored because another address is given (as the API)');
  const doc2 = read('aliyun-state.json');
  doc2.values.root_module.resources[3].values.ipv6_cidr_ip = '::/0';
  const r2 = importTerraform(doc2);
  assert.is(one(r2.issues, 'values.root_module.resources[3].values.ipv6_cidr_ip').code, 'two-families');
  assert.is(r2.topology, undefined);
});

warnings('a priority missing from state is reported as not set', () => {
  const doc = read('huawei-state.json');
  doc.values.root_module.resources[2].values.priority = null;
  const r = importTerraform(doc);
  noErrors(r.issues);
  assert.match(one(r.issues, 'values.root_module.resources[2].values.priority', 'warning').message,
    /^huaweicloud_networking_secgroup_rule\.app_multi priority: not set: read as 1/);
});

// ---------------------------------------------------------------------------
const refs = suite('terraform: references in the configuration');

/** A minimal Huawei plan: a group, a rule whose group id is unknown, with the given configuration. */
function huaweiPlan(rules: { address: string; module?: string; name: string; index?: number; after?: object }[], groups: { address: string; module?: string; name: string; index?: number }[], configuration: object) {
  const change = (type: string, x: { address: string; module?: string; name: string; index?: number }, after: object, unknown: object) => ({
    address: x.address, ...(x.module ? { module_address: x.module } : {}), mode: 'managed', type, name: x.name,
    ...(x.index !== undefined ? { index: x.index } : {}), provider_name: 'registry.terraform.io/huaweicloud/huaweicloud',
    change: { actions: ['create'], before: null, after, after_unknown: unknown },
  });
  return {
    format_version: '1.2',
    resource_changes: [
      ...groups.map((g) => change('huaweicloud_networking_secgroup', g, { name: g.name, delete_default_rules: true }, { id: true })),
      ...rules.map((r) => change('huaweicloud_networking_secgroup_rule', r,
        { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', ports: '22', remote_ip_prefix: '0.0.0.0/0', action: 'allow', priority: 1, ...r.after },
        { id: true, security_group_id: true })),
    ],
    configuration,
  };
}

refs('a module output (module.m.out) is followed to the resource inside the module', () => {
  const doc = huaweiPlan([{ address: 'huaweicloud_networking_secgroup_rule.ssh', name: 'ssh' }],
    [{ address: 'module.sg.huaweicloud_networking_secgroup.this', module: 'module.sg', name: 'this' }], {
      root_module: {
        resources: [{ address: 'huaweicloud_networking_secgroup_rule.ssh', mode: 'managed', type: 'huaweicloud_networking_secgroup_rule', name: 'ssh',
          expressions: { security_group_id: { references: ['module.sg.id', 'module.sg'] } } }],
        module_calls: { sg: { source: './sg', module: {
          outputs: { id: { expression: { references: ['huaweicloud_networking_secgroup.this.id', 'huaweicloud_networking_secgroup.this'] } } },
          resources: [{ address: 'huaweicloud_networking_secgroup.this', mode: 'managed', type: 'huaweicloud_networking_secgroup', name: 'this', expressions: {} }],
        } } },
      },
    });
  const r = importTerraform(doc);
  noErrors(r.issues);
  const g = r.topology!.securityGroups.find((x) => x.id === 'module.sg.huaweicloud_networking_secgroup.this')!;
  assert.equal(g.rules.map((x) => x.id), ['huaweicloud_networking_secgroup_rule.ssh']);
});

refs('a reference to a resource with several instances and no static index is not guessed', () => {
  const doc = huaweiPlan([{ address: 'huaweicloud_networking_secgroup_rule.ssh[0]', name: 'ssh', index: 0 }],
    [{ address: 'huaweicloud_networking_secgroup.g[0]', name: 'g', index: 0 }, { address: 'huaweicloud_networking_secgroup.g[1]', name: 'g', index: 1 }], {
      root_module: { resources: [{ address: 'huaweicloud_networking_secgroup_rule.ssh', mode: 'managed', type: 'huaweicloud_networking_secgroup_rule', name: 'ssh',
        expressions: { security_group_id: { references: ['huaweicloud_networking_secgroup.g', 'count.index'] } } }] },
    });
  const r = importTerraform(doc);
  noErrors(r.issues);
  const w = one(r.issues, 'resource_changes[2].change.after.security_group_id', 'warning');
  assert.is(w.code, 'unresolved-group');
  assert.match(w.message, /name several resources|cannot be followed/);
  assert.match(w.message, /the rule is left out; decisions at the interfaces of the group it belongs to are uncertain$/);
  assert.ok(r.topology!.securityGroups.every((g) => g.rules.length === 0));
});

refs('a static index (g[1].id) picks that instance', () => {
  const doc = huaweiPlan([{ address: 'huaweicloud_networking_secgroup_rule.ssh', name: 'ssh' }],
    [{ address: 'huaweicloud_networking_secgroup.g[0]', name: 'g', index: 0 }, { address: 'huaweicloud_networking_secgroup.g[1]', name: 'g', index: 1 }], {
      root_module: { resources: [{ address: 'huaweicloud_networking_secgroup_rule.ssh', mode: 'managed', type: 'huaweicloud_networking_secgroup_rule', name: 'ssh',
        expressions: { security_group_id: { references: ['huaweicloud_networking_secgroup.g[1].id', 'huaweicloud_networking_secgroup.g[1]', 'huaweicloud_networking_secgroup.g'] } } }] },
    });
  const r = importTerraform(doc);
  noErrors(r.issues);
  assert.equal(r.topology!.securityGroups.map((g) => [g.id, g.rules.length]), [['huaweicloud_networking_secgroup.g[0]', 0], ['huaweicloud_networking_secgroup.g[1]', 1]]);
});

refs('a list from a module variable and a resource keeps the order of its references; the binding order is warned about', () => {
  const doc: any = huaweiPlan([], [{ address: 'module.app.huaweicloud_networking_secgroup.own', module: 'module.app', name: 'own' }], {
    root_module: { module_calls: { app: { source: './app', expressions: { shared: { constant_value: 'sg-shared' } }, module: {
      resources: [{ address: 'huaweicloud_compute_instance.vm', mode: 'managed', type: 'huaweicloud_compute_instance', name: 'vm',
        expressions: { security_group_ids: { references: ['huaweicloud_networking_secgroup.own.id', 'huaweicloud_networking_secgroup.own', 'var.shared'] } } }],
    } } } },
  });
  doc.resource_changes.push({ address: 'module.app.huaweicloud_compute_instance.vm', module_address: 'module.app', mode: 'managed', type: 'huaweicloud_compute_instance', name: 'vm',
    change: { actions: ['create'], before: null, after: { network: [{ fixed_ip_v4: '10.0.0.4', uuid: 'subnet-1' }] }, after_unknown: { id: true, security_group_ids: true, network: [{ port: true }] } } });
  const r = importTerraform(doc);
  noErrors(r.issues);
  assert.equal(r.topology!.interfaces.map((i) => [i.id, i.groups]), [['module.app.huaweicloud_compute_instance.vm', ['module.app.huaweicloud_networking_secgroup.own', 'sg-shared']]]);
  assert.equal(codes(r.issues), [
    'warning binding-order resource_changes[1].change.after.security_group_ids',
    'warning external-group resource_changes[1].change.after.security_group_ids',
  ], show(r.issues));
  assert.match(r.issues.find((i) => i.code === 'binding-order')!.message, /their binding order, which decides between groups on Huawei Cloud, is taken from the order of the references/);
});

refs('a root variable cannot be followed (its value is not in the configuration): warned, not guessed', () => {
  const doc = huaweiPlan([{ address: 'huaweicloud_networking_secgroup_rule.ssh', name: 'ssh' }], [{ address: 'huaweicloud_networking_secgroup.g', name: 'g' }], {
    root_module: { resources: [{ address: 'huaweicloud_networking_secgroup_rule.ssh', mode: 'managed', type: 'huaweicloud_networking_secgroup_rule', name: 'ssh',
      expressions: { security_group_id: { references: ['var.sg'] } } }] },
  });
  const r = importTerraform(doc);
  assert.is(one(r.issues, 'resource_changes[1].change.after.security_group_id', 'warning').code, 'unresolved-group');
});

// ---------------------------------------------------------------------------
const locations = suite('terraform: errors point at the resource address and, with --tf-dir, the .tf file and line');

locations('an error in a count instance inside a module: path, address, file and line of the block', () => {
  const doc = read('aliyun-plan.json');
  const i = doc.resource_changes.findIndex((r: any) => r.address === 'module.net.alicloud_security_group_rule.ssh[1]');
  doc.resource_changes[i].change.after.port_range = '22/70000';
  const tfDir = join(TF(), 'aliyun');
  let err: TopologyError | undefined;
  try {
    loadTopology(doc, { file: 'plan.json', tfDir });
  } catch (e) {
    err = e as TopologyError;
  }
  assert.ok(err instanceof TopologyError, 'the plan has an error');
  const e = one(err!.issues, `resource_changes[${i}].change.after.port_range`);
  assert.is(e.address, 'module.net.alicloud_security_group_rule.ssh[1]');
  assert.equal(e.source, { file: join(tfDir, 'modules', 'net', 'main.tf'), line: 13 });
  assert.is(e.message, `module.net.alicloud_security_group_rule.ssh[1] port_range: "22/70000" is not a port range (1-65535) (${join(tfDir, 'modules', 'net', 'main.tf')}:13)`);
  assert.is(errors(err!.issues).length, 1, show(err!.issues));
});

locations('warnings in the root module carry the line of the resource block; for_each instances map to their block', () => {
  const tfDir = join(TF(), 'aliyun');
  const r = loadTopologyFile(join(TF(), 'aliyun-plan.json'), { tfDir });
  assert.equal(one(r.issues, 'resource_changes[6].change.after.cidr_ip', 'warning').source, { file: join(tfDir, 'main.tf'), line: 42 });
  assert.equal(one(r.issues, 'resource_changes[8].change.after.private_ip', 'warning').source, { file: join(tfDir, 'main.tf'), line: 50 });
  const blocks = scanTerraformSources(tfDir, read('aliyun-plan.json').configuration);
  assert.equal(blocks.get('')!.get('alicloud_security_group_rule.http'), { file: join(tfDir, 'main.tf'), line: 9 });
  assert.equal(blocks.get('net')!.get('alicloud_ecs_network_interface.db'), { file: join(tfDir, 'modules', 'net', 'main.tf'), line: 31 });
});

locations('check findings (the limits lint, run on the model) point at the resource too', () => {
  const doc = read('aliyun-state.json');
  doc.values.root_module.resources[10].values.security_groups = ['sg-bastion', 'sg-app1']; // basic and advanced on one instance
  const dir = mkdtempSync(join(tmpdir(), 'sgf-tf-'));
  writeFileSync(join(dir, 'state.json'), JSON.stringify(doc));
  const report = checkTopologyFile(join(dir, 'state.json'));
  const e = one(report.issues, 'values.root_module.resources[10].values.security_groups');
  assert.is(e.code, 'mixed-group-types');
  assert.is(e.address, 'alicloud_instance.bastion');
  assert.match(e.message, /^alicloud_instance\.bastion security_groups: /);
});

locations('--tf-dir that is not a directory is an error', () => {
  const r = importTerraform(read('aliyun-plan.json'), { tfDir: join(TF(), 'aliyun-plan.json') });
  assert.is(one(r.issues, '').code, 'tf-dir');
  assert.is(r.topology, undefined);
});

// ---------------------------------------------------------------------------
const bad = suite('terraform: documents that cannot be read');

bad('detection: format_version with planned_values or values', () => {
  assert.is(detectJsonFormat(read('aliyun-plan.json')), 'terraform');
  assert.is(detectJsonFormat(read('huawei-state.json')), 'terraform');
  assert.is(detectJsonFormat({ format_version: '1.0' }), null);
});

bad('an unsupported major format version', () => {
  const r = importTerraform({ format_version: '2.0', values: {} });
  assert.is(formatIssue(one(r.issues, 'format_version')), 'format_version: "2.0" is not a supported JSON format version (expected 0.x or 1.x)');
});

bad('resource_changes or configuration of the wrong type', () => {
  const doc = read('aliyun-plan.json');
  doc.resource_changes = 7;
  assert.is(formatIssue(one(importTerraform(doc).issues, 'resource_changes')), 'resource_changes: expected an array of resource changes, got number 7');
  const doc2 = read('aliyun-plan.json');
  doc2.configuration = [];
  assert.is(formatIssue(one(importTerraform(doc2).issues, 'configuration')), 'configuration: expected an object {"root_module": ...}, got an array');
});

bad('both clouds in one document', () => {
  const a = read('aliyun-state.json');
  const h = read('huawei-state.json');
  a.values.root_module.resources.push(...h.values.root_module.resources);
  const r = importTerraform(a);
  assert.is(one(r.issues, '').code, 'two-clouds');
});

bad('no security-group resources', () => {
  const r = importTerraform({ format_version: '1.0', values: { root_module: { resources: [
    { address: 'alicloud_vpc.main', mode: 'managed', type: 'alicloud_vpc', name: 'main', values: { id: 'vpc-1' } }] } } });
  assert.is(one(r.issues, '').code, 'no-security-groups');
});

bad('a resource without values, and a rule without a group: paths and addresses', () => {
  const r = importTerraform({ format_version: '1.0', values: { root_module: { resources: [
    { address: 'alicloud_security_group.a', mode: 'managed', type: 'alicloud_security_group', name: 'a', values: 7 }] } } });
  assert.is(formatIssue(one(r.issues, 'values.root_module.resources[0].values')), "values.root_module.resources[0].values: expected the resource's attribute values (an object), got number 7");
  const doc = read('aliyun-state.json');
  doc.values.root_module.resources[3].values.security_group_id = null;
  const r2 = importTerraform(doc);
  assert.is(one(r2.issues, 'values.root_module.resources[3].values.security_group_id').message,
    'alicloud_security_group_rule.app_https security_group_id: required, expected the id of the group the rule belongs to');
  assert.is(r2.topology, undefined);
});

// ---------------------------------------------------------------------------
const cmd = suite('sgfilter check on Terraform JSON');

cmd('terraform show -json plan.out | sgfilter check -  (stdin)', () => {
  // --no-analysis: the import's own warnings (the anomaly lint of the same topology is tested in test/analysis)
  const r = cli(['check', '-', '--no-analysis'], { input: readFileSync(join(TF(), 'huawei-plan.json'), 'utf8') });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /terraform \(huawei\), 2 security group\(s\), 9 rule\(s\), 1 address group\(s\), 2 interface\(s\): 0 error\(s\), 4 warning\(s\)/);
  assert.match(r.stdout, /huaweicloud_networking_secgroup_rule\.ssh_admin priority: known only after apply: read as 1/);
});

cmd('--format terraform --tf-dir: findings name the .tf line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgf-tf-'));
  const doc = read('aliyun-plan.json');
  doc.resource_changes[3].change.after.priority = 0; // deny_telnet: Alibaba priorities are 1-100
  writeFileSync(join(dir, 'plan.json'), JSON.stringify(doc));
  const r = cli(['check', join(dir, 'plan.json'), '--format', 'terraform', '--tf-dir', join('fixtures', 'terraform', 'aliyun')]);
  assert.is(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /resource_changes\[3\]\.change\.after\.priority: alicloud_security_group_rule\.deny_telnet priority: .* \(fixtures\/terraform\/aliyun\/main\.tf:19\)/);
});

equivalence.run();
warnings.run();
refs.run();
locations.run();
bad.run();
cmd.run();

const readme = suite('README: the Terraform check example');

readme('prints what the README says (huawei-plan.json on stdin, --tf-dir fixtures/terraform/huawei)', () => {
  const text = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const start = text.indexOf('<!-- example:terraform-check -->');
  const end = text.indexOf('<!-- /example:terraform-check -->');
  assert.ok(start >= 0 && end > start, 'README has the example:terraform-check block');
  const lines = text.slice(start, end).split('\n');
  const cmdAt = lines.findIndex((l) => l.startsWith('$ terraform show -json plan.out | npx sgfilter check - --tf-dir .'));
  assert.ok(cmdAt >= 0, 'the example runs sgfilter check - --tf-dir .');
  const expected = lines.slice(cmdAt + 1, lines.lastIndexOf('```')).join('\n') + '\n';
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'src', 'cli', 'main.js'), 'check', '-', '--tf-dir', '.'], {
    cwd: join(TF(), 'huawei'), input: readFileSync(join(TF(), 'huawei-plan.json')), encoding: 'utf8', timeout: 60_000,
  });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, expected);
});

readme.run();

const robust = suite('terraform: damaged documents never crash the importer');

robust('every value of every fixture replaced by null, a number, a string and {} (a sample of the paths): issues, never an exception', () => {
  const replacements: unknown[] = [null, 7, 'x', {}];
  let runs = 0;
  for (const name of ['aliyun-plan.json', 'huawei-plan.json', 'aliyun-state.json', 'huawei-state.json']) {
    const original = read(name);
    // Every JSON path (objects and arrays), in document order; a fixed sample of them.
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, p: (string | number)[]) => {
      paths.push(p);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
    };
    walk(original, []);
    const step = name.includes('plan') ? 11 : 3;
    for (let k = 0; k < paths.length; k += step) {
      const p = paths[k]!;
      for (const rep of replacements) {
        const doc = JSON.parse(JSON.stringify(original));
        if (p.length === 0) continue;
        let o: any = doc;
        for (const seg of p.slice(0, -1)) o = o[seg];
        o[p[p.length - 1]!] = rep;
        let r;
        try {
          r = importTerraform(doc);
        } catch (e) {
          assert.unreachable(`${name} with ${JSON.stringify(p)} = ${JSON.stringify(rep)}: threw ${(e as Error).stack}`);
        }
        runs++;
        assert.ok(r!.topology !== undefined || r!.issues.some((i) => i.severity === 'error'), `${name} ${JSON.stringify(p)}: no topology and no error`);
      }
    }
  }
  assert.ok(runs > 500, `${runs} runs`);
});

robust.run();
