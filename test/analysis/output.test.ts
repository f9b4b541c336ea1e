// `--output sarif|github|junit|json` and `--fail-on`: the SARIF log is valid
// against the published SARIF 2.1.0 JSON schema (the copy shipped by the npm
// package @microsoft/jest-sarif, lib/schemas/sarif-2.1.0-rtm.5.json, which is
// the OASIS schema as published on schemastore), results sit at the rule's
// line and column in the input file, exit codes follow --fail-on. Most checks
// run in process; three CLI runs check the wiring and the exit codes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import { exposure, EXPOSURE_RULES, exposureFindings } from '../../src/analysis/exposure.js';
import { findingsJunit, githubAnnotations, sarifLog } from '../../src/analysis/report.js';
import { checkTopologyFile } from '../../src/cli/check.js';
import { locateFindings } from '../../src/cli/output.js';
import { parsePacketSpec } from '../../src/model/packet-spec.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { ReferenceEngine } from '../../src/reference/engine.js';
import { cli } from '../helpers/cli.js';

const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8')) as object;
// The schema's language pattern `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$` is not a valid
// unicode-mode regular expression, hence unicodeRegExp false; formats (uri) are not checked.
const Ajv = ((AjvDraft04 as unknown as { default?: unknown }).default ?? AjvDraft04) as new (o: object) => { compile(s: object): ((d: unknown) => boolean) & { errors?: unknown } };
const validate = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false, validateFormats: false, logger: false }).compile(schema);

const out = suite('--output and --fail-on');

// Line numbers matter: the rule "web" is on line 6, "web2" on line 7 (column 7, after 6 spaces).
const DOC = `{
  "cloud": "generic",
  "defaults": { "ingress": "deny", "egress": "allow" },
  "securityGroups": [{
    "id": "g", "rules": [
      { "id": "web", "direction": "ingress", "action": "allow", "priority": 1, "protocol": "tcp", "ports": "80" },
      { "id": "web2", "direction": "ingress", "action": "allow", "priority": 2, "protocol": "tcp", "ports": "80" }
    ]
  }],
  "interfaces": [{ "id": "h", "ips": ["192.0.2.10"], "groups": ["g"] }]
}
`;

const dir = mkdtempSync(join(tmpdir(), 'sgf-out-'));
const FILE = join(dir, 'topology.json');
writeFileSync(FILE, DOC);

type Log = { version: string; runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; level: string; locations: { physicalLocation: { region?: { startLine: number; startColumn: number } } }[] }[] }[] };

out('sarif: schema-valid, stable rule ids, located at the rules (lines 6 and 7, column 7)', () => {
  const rep = checkTopologyFile(FILE);
  const log = sarifLog(FILE, rep.findings!, '0.0.0') as Log;
  assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
  assert.is(log.version, '2.1.0');
  // web2 (tcp/80, priority 2) is covered by web: shadowed. web itself is redundant:
  // without it, web2 would allow the same packets (§7: removing it changes no decision).
  const res = log.runs[0]!.results;
  assert.equal(res.map((x) => x.ruleId), ['rule-redundant', 'rule-shadowed']);
  assert.equal(res.map((x) => x.level), ['warning', 'warning']);
  assert.equal(res[0]!.locations[0]!.physicalLocation.region, { startLine: 6, startColumn: 7 });
  assert.equal(res[1]!.locations[0]!.physicalLocation.region, { startLine: 7, startColumn: 7 });
  assert.equal(log.runs[0]!.tool.driver.rules.map((x) => x.id), ['rule-redundant', 'rule-shadowed']);
});

out('sarif of a topology with errors is valid too (issues without a position)', () => {
  const f = join(dir, 'bad.json');
  writeFileSync(f, JSON.stringify({ cloud: 'aliyun', securityGroups: [{ id: 'sg', rules: [{ direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '70000' }] }], interfaces: [] }));
  const rep = checkTopologyFile(f);
  assert.is(rep.errors, 1);
  assert.ok(validate(sarifLog(f, rep.findings!, '0.0.0')), JSON.stringify(validate.errors, null, 2));
});

out('the schema check is not vacuous: a broken log is refused', () => {
  assert.not.ok(validate({ version: '2.1.0', runs: [{ results: [] }] }), 'a run without a tool must be refused');
  assert.not.ok(validate({ version: '2.0.0', runs: [] }));
});

out('github annotations and junit', () => {
  const f = checkTopologyFile(FILE).findings!;
  const lines = githubAnnotations(FILE, f).trim().split('\n');
  assert.is(lines.length, 2);
  assert.match(lines[0]!, /^::warning file=.*topology\.json,line=6,col=7,title=sgfilter rule-redundant::rule "web" of group "g"/);
  assert.match(lines[1]!, /^::warning file=.*topology\.json,line=7,col=7,title=sgfilter rule-shadowed::rule "web2" of group "g"/);
  const j = findingsJunit('check', FILE, f, 'warning');
  assert.match(j, '<testsuite name="sgfilter check" tests="2" failures="2"');
  assert.match(j, '<failure message="rule &quot;web2&quot; of group &quot;g&quot;');
  assert.match(findingsJunit('check', FILE, f, 'error'), 'tests="1" failures="0"');
});

out('json: every rule with its status; the witness of web is decided by web', () => {
  const rep = checkTopologyFile(FILE);
  const ing = rep.analysis!.find((h) => h.iface === 'h' && h.direction === 'ingress')!;
  assert.equal(ing.rules.map((x) => `${x.rule}:${x.status}`), ['web:reachable', 'web2:shadowed']);
  const t = loadTopologyFile(FILE).topology;
  const d = new ReferenceEngine(t).judge(parsePacketSpec(ing.rules[0]!.witness!.packet));
  assert.is(d.hops[0]!.rule, 'web');
});

out('exposure: SARIF valid, sensitive services located at the allowing rules', () => {
  const file = join('fixtures', 'huawei-app.json');
  const loaded = loadTopologyFile(file);
  const f = exposureFindings(loaded.topology, exposure(loaded.topology));
  locateFindings(file, loaded.format, f, () => true);
  const log = sarifLog(file, f, '0.0.0', EXPOSURE_RULES) as Log;
  assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
  // huawei-app.json exposes SSH (tcp/22) on port-web1, port-web2 (IPv4 and IPv6) and port-app1 (IPv4): five warnings.
  const s = log.runs[0]!.results.filter((x) => x.ruleId === 'exposure-sensitive');
  assert.is(s.length, 5);
  assert.ok(s.every((x) => x.locations[0]!.physicalLocation.region !== undefined));
});

out('CLI: exit codes of --fail-on; --output sarif through the command; diff outside its scope', () => {
  const w = cli(['check', FILE, '--fail-on', 'warning', '--output', 'sarif']);
  assert.is(w.status, 1, w.stderr);
  assert.ok(validate(JSON.parse(w.stdout)), JSON.stringify(validate.errors, null, 2));
  assert.is(cli(['check', FILE, '--fail-on', 'never']).status, 0);
  const d = cli(['diff', 'fixtures/huawei-app.json', 'fixtures/diff/huawei-app-https-only.json', '--output', 'sarif', '--fail-on', 'warning',
    '--scope', 'iface=port-web1,dir=ingress,proto=tcp,ports=80']);
  // The change also hits port-web2 (same group), outside the scope: a warning, exit 1.
  assert.is(d.status, 1, d.stderr);
  const dlog = JSON.parse(d.stdout) as Log;
  assert.ok(validate(dlog), JSON.stringify(validate.errors, null, 2));
  assert.equal(dlog.runs[0]!.results.map((x) => `${x.ruleId}:${x.level}`), ['diff-newly-denied:note', 'diff-newly-denied:warning']);
});

out('terraform: anomalies point at the resource address and the .tf line of its block (SARIF, github)', () => {
  // deny_telnet (deny tcp/23 at priority 1) adds nothing to the ingress default deny: redundant.
  // Its block starts at the line found by reading the .tf file itself.
  const tf = 'fixtures/terraform/aliyun/main.tf';
  const line = readFileSync(tf, 'utf8').split('\n').findIndex((l) => l.startsWith('resource "alicloud_security_group_rule" "deny_telnet"')) + 1;
  assert.ok(line > 0);
  const r = cli(['check', 'fixtures/terraform/aliyun-plan.json', '--tf-dir', 'fixtures/terraform/aliyun', '--output', 'sarif']);
  assert.is(r.status, 0, r.stderr);
  type TfLog = { runs: { results: { ruleId: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region?: object } }[] }[] }[] };
  const log = JSON.parse(r.stdout) as TfLog;
  assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
  const red = log.runs[0]!.results.filter((x) => x.ruleId === 'rule-redundant');
  assert.is(red.length, 1);
  assert.ok(red[0]!.message.text.startsWith('alicloud_security_group_rule.deny_telnet: '), red[0]!.message.text);
  assert.is(red[0]!.locations[0]!.physicalLocation.artifactLocation.uri, tf);
  assert.equal(red[0]!.locations[0]!.physicalLocation.region, { startLine: line });
  const gh = cli(['check', 'fixtures/terraform/aliyun-plan.json', '--tf-dir', 'fixtures/terraform/aliyun', '--output', 'github']);
  assert.ok(gh.stdout.includes(`::warning file=${tf},line=${line},title=sgfilter rule-redundant::alicloud_security_group_rule.deny_telnet: `), gh.stdout);
});

out.run();
