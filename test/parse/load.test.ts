/**
 * loadTopologyFile / loadTopology: reading, JSON syntax errors with
 * line:column and byte offset, format detection, TopologyError with every
 * issue; and every fixture loads with no error.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectJsonFormat, loadTopology, loadTopologyFile, locateJsonError, type LoadResult } from '../../src/parse/load.js';
import { TopologyError, type Issue } from '../../src/parse/issues.js';
import { formatCidr } from '../../src/model/address.js';
import { fixturesDir } from '../helpers/corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'sgfilter-load-'));
let n = 0;
function file(content: string | Uint8Array, name = `t${++n}.json`): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** The TopologyError a call throws (fails the test if it does not throw one). */
function thrown(fn: () => unknown): TopologyError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, TopologyError);
    return e as TopologyError;
  }
  assert.unreachable('expected a TopologyError');
  throw new Error('unreachable');
}
const onlyError = (e: TopologyError): Issue => {
  const errs = e.issues.filter((i) => i.severity === 'error');
  assert.is(errs.length, 1, e.message);
  return errs[0]!;
};

const native = { cloud: 'generic', securityGroups: [{ id: 'g', rules: [{ direction: 'ingress', action: 'allow', priority: 0, protocol: 'all' }] }] };

// ---------------------------------------------------------------------------
const read = suite('load: reading files');

read('a file that does not exist, a directory: errors naming the file', () => {
  const missing = join(dir, 'nope.json');
  const e = thrown(() => loadTopologyFile(missing));
  assert.is(e.file, missing);
  assert.ok(e.message.startsWith(missing + ':'));
  assert.is(onlyError(e).message, 'cannot read the topology file: no such file (ENOENT)');
  assert.is(onlyError(thrown(() => loadTopologyFile(dir))).message, 'cannot read the topology file: it is a directory (EISDIR)');
});

read('JSON syntax errors give line, column and byte offset', () => {
  const p = file('{\n  "cloud": "aliyun",\n  "securityGroups": [,]\n}\n');
  const e = thrown(() => loadTopologyFile(p));
  const i = onlyError(e);
  assert.is(i.code, 'json-syntax');
  // The "," is on line 3 at column 22; everything before it is ASCII, so its byte offset is its index.
  const offset = '{\n  "cloud": "aliyun",\n  "securityGroups": ['.length;
  assert.is(i.message, `JSON syntax error at line 3 column 22 (byte offset ${offset}): unexpected "," (expected a value: object, array, string, number, true, false or null)`);
  assert.ok(e.message.includes(p));
});

read('byte offsets count UTF-8 bytes and a BOM', () => {
  // BOM (3 bytes) + `{"a": "é", }`: the "}" is character 11 after the BOM, byte 3 + 12.
  const p = file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a": "é", }', 'utf8')]));
  assert.is(onlyError(thrown(() => loadTopologyFile(p))).message,
    'JSON syntax error at line 1 column 12 (byte offset 15): unexpected "}" (expected a "quoted" key)');
});

read('a BOM before valid JSON is fine', () => {
  const p = file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(native))]));
  assert.is(loadTopologyFile(p).format, 'native');
});

read('truncated input, trailing garbage, bad escapes, control characters', () => {
  const msg = (text: string) => onlyError(thrown(() => loadTopologyFile(file(text)))).message;
  assert.is(msg('[1,2'), 'JSON syntax error at line 1 column 5 (byte offset 4): unexpected end of input (expected "," or "]")');
  assert.is(msg('{} x'), 'JSON syntax error at line 1 column 4 (byte offset 3): unexpected "x" after the end of the document');
  assert.is(msg('{"a\\q": 1}'), 'JSON syntax error at line 1 column 4 (byte offset 3): bad escape "\\\\q" (expected one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)');
  assert.is(msg('{"a": "x\ty"}'), 'JSON syntax error at line 1 column 9 (byte offset 8): control character in a string (expected it escaped, e.g. \\n)');
  assert.is(msg('{"a": "open'), 'JSON syntax error at line 1 column 7 (byte offset 6): unterminated string (expected a closing ")');
  assert.is(msg('{"a" 1}'), 'JSON syntax error at line 1 column 6 (byte offset 5): unexpected "1" (expected ":" after a key)');
  assert.is(msg('[01]'), 'JSON syntax error at line 1 column 3 (byte offset 2): unexpected "1" (expected "," or "]")');
});

read('the JSON locator agrees with JSON.parse on what is valid', () => {
  for (const t of ['{}', '[]', '0', '-1.5e+3', '"\\u00e9"', '{"a":[true,false,null,{"b":"c"}]}', ' \n[ 1 , 2 ]\n']) {
    assert.is(locateJsonError(t), null, t);
    JSON.parse(t);
  }
  for (const t of ['', '[1,]', '{"a":1,}', '-', '1.', '.5', 'tru', '{"a"}', '[', '"\\u12"', '\u00a0{}']) {
    assert.ok(locateJsonError(t) !== null, t);
    assert.throws(() => JSON.parse(t));
  }
  // Deep nesting is handled without recursion.
  assert.is(locateJsonError('['.repeat(200000) + ']'.repeat(200000)), null);
});

read('an empty file and invalid UTF-8', () => {
  assert.match(onlyError(thrown(() => loadTopologyFile(file('  \n')))).message, /^the file is empty/);
  assert.is(onlyError(thrown(() => loadTopologyFile(file(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]))))).message, 'not UTF-8 text (byte offset 2)');
});

// ---------------------------------------------------------------------------
const detect = suite('load: formats');

detect('detection by content', () => {
  assert.is(detectJsonFormat(native), 'native');
  assert.is(detectJsonFormat({ SecurityGroupId: 'sg', Permissions: { Permission: [] } }), 'aliyun');
  assert.is(detectJsonFormat([{ SecurityGroupId: 'sg' }]), 'aliyun');
  assert.is(detectJsonFormat({ DescribeSecurityGroupAttribute: [] }), 'aliyun');
  assert.is(detectJsonFormat({ security_group_rules: [] }), 'huawei');
  assert.is(detectJsonFormat({ security_group_rule: {} }), 'huawei');
  assert.is(detectJsonFormat([{ security_group_id: 'x', direction: 'ingress' }]), 'huawei');
  // ShowSecurityGroup responses (v3, v1, Neutron), one or a list of them.
  assert.is(detectJsonFormat({ security_group: { id: 'sg', security_group_rules: [] }, request_id: 'r' }), 'huawei');
  assert.is(detectJsonFormat([{ security_group: { id: 'sg', security_group_rules: [] } }]), 'huawei');
  assert.is(detectJsonFormat({ security_group: { id: 'sg' } }), null);
  assert.is(detectJsonFormat({ rules: [] }), null);
});

detect('an undetectable document says what is expected', () => {
  const i = onlyError(thrown(() => loadTopologyFile(file('{"rules": []}'))));
  assert.is(i.code, 'unknown-format');
  assert.match(i.message, /^cannot tell the format: expected a native topology \(an object with "cloud"\)/);
});

detect('ClassBench text is detected by its leading "@" and handed to importClassBench', () => {
  const p = file('@10.0.0.0/8\t0.0.0.0/0\t0 : 65535\t22 : 22\t0x06/0xFF\t0x0000/0x0000\n', 'rules.txt');
  const r = loadTopologyFile(p);
  assert.is(r.format, 'classbench');
  assert.is(r.topology.cloud, 'generic');
  assert.is(r.topology.securityGroups[0]!.rules.length, 1);
  const bad = thrown(() => loadTopologyFile(file('@garbage\n', 'bad.txt')));
  assert.ok(bad.issues.some((i) => i.severity === 'error'));
});

detect('an explicit format wins over detection', () => {
  const p = file(JSON.stringify({ security_group_rules: [] }));
  const e = thrown(() => loadTopologyFile(p, { format: 'native' }));
  assert.ok(e.issues.some((i) => i.path === 'cloud'));
});

detect('errors throw TopologyError with every issue; warnings come back with the model', () => {
  const bad = { security_group_rules: [
    { security_group_id: 'sg', direction: 'ingress', protocol: 'tcp', multiport: '70000', action: 'allow', priority: 1 },
    { security_group_id: 'sg', direction: 'sideways', protocol: 'tcp', action: 'allow', priority: 1 },
  ] };
  const e = thrown(() => loadTopology(bad, { file: 'x.json' }));
  assert.is(e.file, 'x.json');
  assert.equal(e.issues.filter((i) => i.severity === 'error').map((i) => i.path), ['security_group_rules[0].multiport', 'security_group_rules[1].direction']);
  const ok: LoadResult = loadTopology({ security_group_rules: [{ security_group_id: 'sg', direction: 'Ingress', protocol: 'tcp', action: 'allow', priority: 1 }] });
  assert.is(ok.format, 'huawei');
  assert.equal(ok.issues.map((i) => i.code), ['letter-case']);
});

detect('the groupType option reaches the Alibaba importer', () => {
  const doc = { SecurityGroupId: 'sg', InnerAccessPolicy: 'Drop', Permissions: { Permission: [] } };
  assert.is(loadTopology(doc, { groupType: 'advanced' }).topology.securityGroups[0]!.type, 'advanced');
  assert.is(loadTopology(doc).topology.securityGroups[0]!.type, 'basic');
});

// ---------------------------------------------------------------------------
const fixtures = suite('load: fixtures');

const fixtureFiles = readdirSync(fixturesDir()).filter((f) => f.endsWith('.json')).sort();

fixtures('the fixtures the README lists are all there', () => {
  for (const f of ['aliyun-basic-3tier.json', 'aliyun-advanced-3tier.json', 'huawei-app.json', 'aliyun-export.json', 'huawei-export.json']) {
    assert.ok(fixtureFiles.includes(f), f);
  }
});

fixtures('every fixture loads with no error', () => {
  for (const f of fixtureFiles) {
    let r: LoadResult;
    try {
      r = loadTopologyFile(join(fixturesDir(), f));
    } catch (e) {
      assert.unreachable(`${f}: ${(e as Error).message}`);
      return;
    }
    assert.ok(r.topology.securityGroups.length > 0, f);
    assert.ok(r.topology.interfaces.length > 0, f);
  }
});

fixtures('native fixtures have no warnings; cloud exports only the documented ones', () => {
  for (const f of ['aliyun-basic-3tier.json', 'aliyun-advanced-3tier.json', 'huawei-app.json']) {
    const r = loadTopologyFile(join(fixturesDir(), f));
    assert.is(r.format, 'native');
    assert.equal(r.issues, [], f);
  }
  const a = loadTopologyFile(join(fixturesDir(), 'aliyun-export.json'));
  assert.is(a.format, 'aliyun');
  // The five ALL/ICMP permissions carry "-1/-1", as the API returns them.
  assert.equal(a.issues.map((i) => i.code), ['port-range-any', 'port-range-any', 'port-range-any', 'port-range-any', 'port-range-any']);
  const h = loadTopologyFile(join(fixturesDir(), 'huawei-export.json'));
  assert.is(h.format, 'huawei');
  assert.equal(h.issues, []);
});

fixtures('what the fixtures say they contain', () => {
  const basic = loadTopologyFile(join(fixturesDir(), 'aliyun-basic-3tier.json')).topology;
  assert.ok(basic.securityGroups.every((g) => g.type === 'basic'));
  assert.is(basic.securityGroups.find((g) => g.id === 'sg-db')!.innerAccessPolicy, 'drop');
  assert.ok(basic.securityGroups.some((g) => g.rules.some((r) => r.remote.kind === 'group' && r.remote.group === 'sg-bastion')));
  assert.ok(basic.securityGroups.some((g) => g.rules.some((r) => r.sourcePorts !== null && r.local !== null)));
  assert.ok(basic.securityGroups.some((g) => g.rules.some((r) => r.action === 'deny')));
  assert.ok(basic.interfaces.some((i) => i.ips.some((a) => a.family === 6)));

  const adv = loadTopologyFile(join(fixturesDir(), 'aliyun-advanced-3tier.json')).topology;
  assert.ok(adv.securityGroups.every((g) => g.type === 'advanced' && g.innerAccessPolicy === 'drop'));
  assert.ok(adv.securityGroups.every((g) => g.rules.every((r) => r.remote.kind !== 'group')));
  assert.ok(adv.securityGroups.every((g) => g.rules.some((r) => r.direction === 'egress' && r.action === 'allow')));

  const hw = loadTopologyFile(join(fixturesDir(), 'huawei-app.json')).topology;
  assert.ok(hw.interfaces.every((i) => i.groups.length === 2));
  assert.is(hw.addressGroups.length, 1);
  const def = hw.securityGroups.find((g) => g.id === 'sg-default')!;
  assert.ok(def.rules.some((r) => r.remote.kind === 'group' && r.remote.group === 'sg-default'));

  const ae = loadTopologyFile(join(fixturesDir(), 'aliyun-export.json')).topology;
  assert.equal(ae.addressGroups.map((g) => [g.id, g.cidrs.map(formatCidr)]), [['pl-bp1office00000000001', ['198.51.100.0/24', '192.0.2.16/28']]]);
  assert.is(ae.securityGroups.find((g) => g.id === 'sg-bp1a2b3c4d5e6f7g8h90db')!.innerAccessPolicy, 'drop');

  const he = loadTopologyFile(join(fixturesDir(), 'huawei-export.json')).topology;
  assert.equal(he.addressGroups[0]!.cidrs.map(formatCidr), ['198.51.100.0/26', '198.51.100.200/32', '192.0.2.20/30', '192.0.2.24/29', '192.0.2.32/30']);
  assert.equal(he.interfaces[0]!.groups, ['0f63b6b8-1a3e-4d6c-9d5a-1b2c3d4e5f01', '0f63b6b8-1a3e-4d6c-9d5a-1b2c3d4e5f00']);
});

fixtures.after(() => rmSync(dir, { recursive: true, force: true }));

read.run();
detect.run();
fixtures.run();
