/**
 * `sgfilter classify` and `sgfilter compile` end to end (the built CLI).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTable } from '../../src/compile/table.js';
import { cli } from '../helpers/cli.js';
import { corpusDir, fixturesDir, skipNoCorpus } from '../helpers/corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'sgf-classify-cli-'));

// Hand-made: expectations follow from the rule text (first match, 1-based, 0 = none).
const RULES = [
  '@10.0.0.0/8 192.168.1.0/24 0 : 65535 80 : 80 0x06/0xFF', // 1: tcp 10/8 -> 192.168.1/24 port 80
  '@10.1.0.0/16 0.0.0.0/0 1024 : 65535 0 : 65535 0x00/0x00', // 2: anything from 10.1/16 with sport >= 1024
  '@0.0.0.0/0 192.168.1.7/32 0 : 65535 53 : 53 0x11/0xFF', // 3: udp to 192.168.1.7:53
].join('\n');
const ip = (a: number, b: number, c: number, d: number) => ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
const TRACE: [number, number, number, number, number, number][] = [
  [ip(10, 1, 2, 3), ip(192, 168, 1, 7), 5000, 80, 6, 1], // rule 1 (also 2)
  [ip(10, 1, 2, 3), ip(192, 168, 1, 7), 5000, 53, 17, 2], // rule 2 before 3
  [ip(10, 2, 2, 3), ip(192, 168, 1, 7), 5000, 53, 17, 3],
  [ip(10, 2, 2, 3), ip(192, 168, 2, 7), 5000, 80, 6, 0], // none
  [ip(10, 1, 0, 0), ip(1, 2, 3, 4), 1023, 80, 6, 0], // sport below 1024
];
writeFileSync(join(dir, 'hand.rules'), RULES + '\n');
writeFileSync(join(dir, 'hand.trace'), TRACE.map((r) => r.join('\t')).join('\n') + '\n');
const expected = TRACE.map((r) => String(r[5])).join('\n') + '\n';

// IPv6, hand-made the same way: "::/0" keeps its space (the old " : " rewrite
// swallowed it), traces in IPv6 text.
const RULES6 = [
  '@2001:db8::/32 2001:db8:1::/48 0 : 65535 80 : 80 0x06/0xFF', // 1
  '@::/0 ::/0 1024 : 65535 0 : 65535 0x00/0x00', // 2: anything with sport >= 1024
  '@::/0 2001:db8:1::7/128 0 : 65535 53 : 53 0x11/0xFF', // 3
].join('\n');
const TRACE6 = [
  '2001:db8::5 2001:db8:1::7 5000 80 6 1',
  '2001:db8::5 2001:db8:1::7 5000 53 17 2',
  'fe80::1 2001:db8:1::7 53 53 17 3',
  'fe80::1 2001:db8:2::7 53 80 6 0',
].join('\n');
writeFileSync(join(dir, 'hand6.rules'), RULES6 + '\n');
writeFileSync(join(dir, 'hand6.trace'), TRACE6 + '\n');

for (const matcher of ['optimized', 'linear', 'reference']) {
  test(`classify --matcher ${matcher}: IPv6 rules (::/0) and an IPv6 trace`, () => {
    const r = cli(['classify', join(dir, 'hand6.rules'), join(dir, 'hand6.trace'), '--matcher', matcher, '--check']);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, '1\n2\n3\n0\n');
    assert.match(r.stderr, 'check: 4/4 packets agree with the oracle');
  });
}

for (const matcher of ['optimized', 'linear', 'reference']) {
  test(`classify --matcher ${matcher}: one 1-based rule per trace line, 0 for none; throughput on stderr`, () => {
    const r = cli(['classify', join(dir, 'hand.rules'), join(dir, 'hand.trace'), '--matcher', matcher, '--check']);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, expected);
    assert.match(r.stderr, /5 packets, 3 rules, matcher \w+: [\d.]+ ms, ([\d.]+|n\/a) M lookups\/s/);
    assert.match(r.stderr, 'check: 5/5 packets agree with the oracle');
  });
}

test('classify --check exits 3 on a disagreement, naming the trace line', () => {
  writeFileSync(join(dir, 'wrong.trace'), '167837955 3232235783 5000 80 6 2\n');
  const r = cli(['classify', join(dir, 'hand.rules'), join(dir, 'wrong.trace'), '--check']);
  assert.is(r.status, 3);
  assert.is(r.stdout, '1\n');
  assert.match(r.stderr, 'wrong.trace:1: got rule 1, the oracle says 2');
});

test('classify: bad files exit 1 with file:line and what was expected', () => {
  writeFileSync(join(dir, 'bad.rules'), RULES + '\n@10.0.0.0/8 1.2.3.4/32 0 : 65535 80 : 80 0x06/0x0F\n');
  let r = cli(['classify', join(dir, 'bad.rules'), join(dir, 'hand.trace')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, 'bad.rules:4: protocol mask "0x06/0x0F" is not supported');
  r = cli(['classify', join(dir, 'hand.rules'), join(dir, 'missing.trace')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, 'missing.trace: cannot read');
  r = cli(['classify', join(dir, 'hand.rules'), join(dir, 'hand.trace'), '--matcher', 'fast']);
  assert.is.not(r.status, 0);
  assert.match(r.stderr, 'optimized, linear, reference');
});

test('classify on the corpus acl1_1K agrees with the oracle column', () => {
  const c = corpusDir();
  if (!c) return skipNoCorpus('classify CLI on the corpus');
  const trace = join(c, 'classbench', 'acl1_1K.trace');
  const r = cli(['classify', join(c, 'classbench', 'acl1_1K.rules'), trace]);
  assert.is(r.status, 0, r.stderr);
  const oracle = readFileSync(trace, 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/)[5]).join('\n') + '\n';
  assert.is(r.stdout, oracle);
});

test('compile TOPOLOGY -o FILE writes a loadable table; errors exit 1', () => {
  const out = join(dir, 'aliyun.sgft');
  const r = cli(['compile', join(fixturesDir(), 'aliyun-basic-3tier.json'), '-o', out]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /aliyun\.sgft: \d+ bytes, \d+ rule list\(s\)/);
  const t = loadTable(out);
  assert.is(t.meta.cloud, 'aliyun');
  assert.ok(t.meta.interfaces.length > 0);
  const cb = cli(['compile', join(dir, 'hand.rules'), '-o', join(dir, 'hand.sgft'), '--json']);
  assert.is(cb.status, 0, cb.stderr);
  assert.is(JSON.parse(cb.stdout).rules, 3);
  writeFileSync(join(dir, 'broken.json'), '{"cloud": "generic", "securityGroups": [{"id": "g", "rules": [{"direction": "in"}]}]}');
  const bad = cli(['compile', join(dir, 'broken.json'), '-o', join(dir, 'x.sgft')]);
  assert.is(bad.status, 1);
  assert.match(bad.stderr, 'securityGroups[0].rules[0].direction');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
