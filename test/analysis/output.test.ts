// `check --output sarif|github|junit|json` and `--fail-on`: the SARIF log is
// valid against the published SARIF 2.1.0 JSON schema (the copy shipped by the
// npm package @microsoft/jest-sarif, lib/schemas/sarif-2.1.0-rtm.5.json, which
// is the OASIS schema as published on schemastore), results sit at the rule's
// line and column in the input file, exit codes follow --fail-on.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import { cli } from '../helpers/cli.js';

const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8')) as object;
// The schema's language pattern `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$` is not a valid
// unicode-mode regular expression, hence unicodeRegExp false; formats (uri) are not checked.
const Ajv = ((AjvDraft04 as unknown as { default?: unknown }).default ?? AjvDraft04) as new (o: object) => { compile(s: object): ((d: unknown) => boolean) & { errors?: unknown } };
const validate = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false, validateFormats: false, logger: false }).compile(schema);

const out = suite('check --output and --fail-on');

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

function file(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sgf-out-'));
  const f = join(dir, 'topology.json');
  writeFileSync(f, DOC);
  return f;
}

out('sarif: schema-valid, stable rule ids, located at the rules (lines 6 and 7, column 7)', () => {
  const f = file();
  const r = cli(['check', f, '--output', 'sarif']);
  assert.is(r.status, 0, r.stderr);
  const log = JSON.parse(r.stdout) as { version: string; runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; level: string; locations: { physicalLocation: { region: { startLine: number; startColumn: number } } }[] }[] }[] };
  const ok = validate(log);
  assert.ok(ok, JSON.stringify(validate.errors, null, 2));
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
  const dir = mkdtempSync(join(tmpdir(), 'sgf-out-'));
  const f = join(dir, 'bad.json');
  writeFileSync(f, JSON.stringify({ cloud: 'aliyun', securityGroups: [{ id: 'sg', rules: [{ direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '70000' }] }], interfaces: [] }));
  const r = cli(['check', f, '--output', 'sarif']);
  assert.is(r.status, 1);
  const log = JSON.parse(r.stdout) as object;
  assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
});

out('the schema check is not vacuous: a broken log is refused', () => {
  assert.not.ok(validate({ version: '2.1.0', runs: [{ results: [] }] }), 'a run without a tool must be refused');
  assert.not.ok(validate({ version: '2.0.0', runs: [] }));
});

out('github annotations and --fail-on exit codes', () => {
  const f = file();
  const g = cli(['check', f, '--output', 'github']);
  assert.is(g.status, 0);
  const lines = g.stdout.trim().split('\n');
  assert.is(lines.length, 2);
  assert.match(lines[0]!, /^::warning file=.*topology\.json,line=6,col=7,title=sgfilter rule-redundant::rule "web" of group "g"/);
  assert.match(lines[1]!, /^::warning file=.*topology\.json,line=7,col=7,title=sgfilter rule-shadowed::rule "web2" of group "g"/);
  assert.is(cli(['check', f, '--fail-on', 'warning']).status, 1);
  assert.is(cli(['check', f, '--fail-on', 'never']).status, 0);
});

out('junit: one failing case per finding at or above --fail-on', () => {
  const f = file();
  const j = cli(['check', f, '--output', 'junit', '--fail-on', 'warning']);
  assert.is(j.status, 1);
  assert.match(j.stdout, '<testsuite name="sgfilter check" tests="2" failures="2"');
  assert.match(j.stdout, '<failure message="rule &quot;web2&quot; of group &quot;g&quot;');
});

out('json: every rule with its status; the witness of web is decided by web', () => {
  const f = file();
  const r = cli(['check', f, '--output', 'json']);
  const rep = JSON.parse(r.stdout) as { analysis: { iface: string; direction: string; rules: { rule: string; status: string; witness?: { packet: string } }[] }[] };
  const ing = rep.analysis.find((h) => h.iface === 'h' && h.direction === 'ingress')!;
  assert.equal(ing.rules.map((x) => `${x.rule}:${x.status}`), ['web:reachable', 'web2:shadowed']);
  const e = cli(['explain', '--topology', f, '--packet', ing.rules[0]!.witness!.packet, '--json']);
  assert.match(e.stdout, '"rule":"web"');
});

out('exposure and diff: SARIF valid too; diff --fail-on warning fails on a change outside the scope', () => {
  const e = cli(['exposure', 'fixtures/huawei-app.json', '--output', 'sarif']);
  assert.is(e.status, 0, e.stderr);
  const elog = JSON.parse(e.stdout) as { runs: { results: { ruleId: string }[] }[] };
  assert.ok(validate(elog), JSON.stringify(validate.errors, null, 2));
  // huawei-app.json exposes SSH (tcp/22) on port-web1, port-web2 (IPv4 and IPv6) and port-app1 (IPv4): five warnings.
  assert.is(elog.runs[0]!.results.filter((x) => x.ruleId === 'exposure-sensitive').length, 5);
  const d = cli(['diff', 'fixtures/huawei-app.json', 'fixtures/diff/huawei-app-https-only.json', '--output', 'sarif', '--fail-on', 'warning',
    '--scope', 'iface=port-web1,dir=ingress,proto=tcp,ports=80']);
  // The change also hits port-web2 (same group), outside the scope: a warning, exit 1.
  assert.is(d.status, 1, d.stderr);
  const dlog = JSON.parse(d.stdout) as { runs: { results: { ruleId: string; level: string }[] }[] };
  assert.ok(validate(dlog), JSON.stringify(validate.errors, null, 2));
  assert.equal(dlog.runs[0]!.results.map((x) => `${x.ruleId}:${x.level}`), ['diff-newly-denied:note', 'diff-newly-denied:warning']);
});

out.run();
