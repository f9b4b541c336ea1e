/**
 * The topology loader on hostile input (issue "Trust first" §7): values
 * nested thousands of levels deep, wrong types inside unions, numbers JSON
 * cannot represent, duplicate keys, zero-padded prefix lengths and padded
 * port lists. Expected: one clear issue each, with its JSON path and what was
 * expected (SEMANTICS §1 value syntax); never a crash.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findDuplicateKeys, loadTopologyFile } from '../../src/parse/load.js';
import { show, TopologyError, type Issue } from '../../src/parse/issues.js';
import { fixturesDir } from '../helpers/corpus.js';

const tmp = mkdtempSync(join(tmpdir(), 'sgf-hostile-'));
let n = 0;
function file(text: string): string {
  const p = join(tmp, `t${++n}.json`);
  writeFileSync(p, text);
  return p;
}

function issuesOf(text: string): Issue[] {
  try {
    loadTopologyFile(file(text));
  } catch (e) {
    if (e instanceof TopologyError) return e.issues;
    throw e;
  }
  assert.unreachable('the document should not load');
  return [];
}

const rule = (fields: string) => `{"direction":"ingress","action":"allow","priority":1,${fields}}`;
const doc = (...rules: string[]) => `{"cloud":"generic","securityGroups":[{"id":"sg","rules":[${rules.join(',')}]}]}`;
const DEEP = '['.repeat(20_000) + '0' + ']'.repeat(20_000);
const DEEP_OBJ = '{"a":'.repeat(20_000) + '0' + '}'.repeat(20_000);

test('values nested 20,000 levels deep: a short message, no stack overflow', () => {
  const issues = issuesOf(doc(rule(`"protocol":"tcp","remote":${DEEP}`), rule(`"protocol":"tcp","ports":${DEEP_OBJ}`), rule(`"protocol":${DEEP}`)));
  const by = new Map(issues.map((i) => [i.path, i.message]));
  assert.match(by.get('securityGroups[0].rules[0].remote')!, /^\[\[\[\[\[…\]\]\]\]\] is not a remote \(expected a CIDR string/);
  assert.match(by.get('securityGroups[0].rules[1].ports')!, /is not a port list/);
  assert.match(by.get('securityGroups[0].rules[2].protocol')!, /is not a protocol/);
  for (const i of issues) assert.ok(i.message.length < 200, i.message);
});

test('an Alibaba PortRange and a Huawei multiport nested deep: a short message', () => {
  const ali = readFileSync(join(fixturesDir(), 'aliyun-export.json'), 'utf8').replace(/"PortRange": *"[^"]*"/, `"PortRange": ${DEEP}`);
  const a = issuesOf(ali).find((i) => i.path.endsWith('PortRange') && i.severity === 'error')!;
  assert.match(a.message, /^\[\[\[\[\[…\]\]\]\]\] is not a port range/);
  const hw = readFileSync(join(fixturesDir(), 'huawei-export.json'), 'utf8').replace(/"multiport": *"[^"]*"/, `"multiport": ${DEEP_OBJ}`);
  const h = issuesOf(hw).find((i) => i.path.endsWith('multiport'))!;
  assert.match(h.message, /is not a port list/);
});

test('union fields say what the field is: protocol and ports are not "a remote"', () => {
  const issues = issuesOf(doc(
    rule('"protocol":null'), rule('"protocol":[6]'), rule('"protocol":{}'),
    rule('"protocol":"tcp","ports":true'), rule('"protocol":"tcp","ports":{}'), rule('"protocol":"tcp","sourcePorts":[22]'),
  ));
  const msg = (i: number, key: string) => issues.find((x) => x.path === `securityGroups[0].rules[${i}].${key}`)?.message ?? '';
  assert.is(msg(0, 'protocol'), 'null is not a protocol (expected all, tcp, udp, icmp, icmpv6, gre or an IP protocol number 0-255)');
  assert.is(msg(1, 'protocol'), '[6] is not a protocol (expected all, tcp, udp, icmp, icmpv6, gre or an IP protocol number 0-255)');
  assert.is(msg(2, 'protocol'), '{} is not a protocol (expected all, tcp, udp, icmp, icmpv6, gre or an IP protocol number 0-255)');
  assert.is(msg(3, 'ports'), 'true is not a port list (expected e.g. "22", "80-82", "22,25,27" or "all")');
  assert.is(msg(4, 'ports'), '{} is not a port list (expected e.g. "22", "80-82", "22,25,27" or "all")');
  assert.is(msg(5, 'sourcePorts'), '[22] is not a port list (expected e.g. "22", "80-82", "22,25,27" or "all")');
  assert.not.ok(issues.some((i) => /remote/.test(i.message)), 'no message speaks of a remote');
});

test('"priority": 1e400 is named as a number too large, not "got number null"', () => {
  const issues = issuesOf(doc('{"direction":"ingress","action":"allow","priority":1e400,"protocol":"tcp"}'));
  const p = issues.find((i) => i.path === 'securityGroups[0].rules[0].priority')!;
  assert.match(p.message, /too large to represent/);
  assert.not.match(p.message, /null/);
  assert.is(show(Infinity), 'Infinity');
});

test('duplicate keys are errors with the path of the second one', () => {
  const issues = issuesOf('{"cloud":"generic","securityGroups":[{"id":"sg","rules":[{"direction":"ingress","action":"allow","action":"deny","priority":1,"protocol":"tcp"}]}],"cloud":"aliyun"}');
  assert.equal(issues.map((i) => [i.path, i.code]), [['securityGroups[0].rules[0].action', 'duplicate-key'], ['cloud', 'duplicate-key']]);
  assert.match(issues[0]!.message, /duplicate key "action" at line 1 column \d+/);
  // Escaped keys are compared by their value; equal texts in different objects are fine.
  assert.equal(findDuplicateKeys('{"a\\u0062":1,"ab":2}').map((d) => d.key), ['ab']);
  assert.equal(findDuplicateKeys('[{"a":1},{"a":2},{"s":"x\\"y","t":"\\\\"}]'), []);
  assert.equal(findDuplicateKeys('{"a":[{"b":{"c":1,"c":2}}]}').map((d) => d.path), [['a', 0, 'b', 'c']]);
});

test('"10.0.0.0/08" and " 22" are refused, saying what to write', () => {
  const issues = issuesOf(doc(rule('"protocol":"tcp","remote":"10.0.0.0/08"'), rule('"protocol":"tcp","ports":" 22"'), rule('"protocol":"tcp","ports":"22 "')));
  const msg = (i: number, key: string) => issues.find((x) => x.path === `securityGroups[0].rules[${i}].${key}`)?.message ?? '';
  assert.is(msg(0, 'remote'), '"10.0.0.0/08" is not an IPv4 CIDR block (prefix length 0-32 without leading zeros: /8)');
  assert.is(msg(1, 'ports'), '" 22" has spaces around it (expected e.g. "22", "80-82", "22,25,27" or "all")');
  assert.match(msg(2, 'ports'), /has spaces around it/);
});

test('show() is bounded for any value', () => {
  assert.is(show('x'.repeat(1000)).length, 60);
  assert.is(show({ a: 1, b: [1, 2] }), '{"a":1,"b":[1,2]}');
  const wide = Array.from({ length: 100_000 }, (_, i) => i);
  assert.ok(show(wide).length <= 60);
});

test.run();
