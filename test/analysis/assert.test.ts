// `sgfilter assert`: the fixture cases (fixtures/cases/aliyun-basic-3tier.cases.json,
// each expectation worked out from fixtures/aliyun-basic-3tier.json's rules and
// SEMANTICS §2-§4) pass; a wrong expectation fails with exit 1 and a JUnit
// failure; a malformed cases file is refused with its JSON path (exit 2).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CasesError, parseCases, runCases } from '../../src/analysis/assert.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { cli } from '../helpers/cli.js';
import { fixturesDir } from '../helpers/corpus.js';

const a = suite('assert');
const TOPO = join('fixtures', 'aliyun-basic-3tier.json');
const CASES = join('fixtures', 'cases', 'aliyun-basic-3tier.cases.json');

a('the fixture cases pass (in process)', () => {
  const t = loadTopologyFile(join(fixturesDir(), 'aliyun-basic-3tier.json')).topology;
  const cases = parseCases(JSON.parse(readFileSync(join(fixturesDir(), 'cases', 'aliyun-basic-3tier.cases.json'), 'utf8')), 'cases');
  const r = runCases(t, cases);
  assert.is(r.length, 6);
  assert.equal(r.filter((x) => !x.pass).map((x) => `${x.name}: ${x.got}`), []);
});

a('a wrong expectation fails: exit 1, JUnit failure', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgf-assert-'));
  const cases = join(dir, 'c.json');
  const junit = join(dir, 'r.xml');
  writeFileSync(cases, JSON.stringify([
    // web-http allows https from anywhere but 203.0.113.0/24: "denied" is wrong.
    { name: 'https is denied (wrong)', packet: 'tcp 198.51.100.7:40000 -> 10.0.1.10:443', expect: 'deny' },
    { name: 'ssh from the internet is denied', packet: 'tcp 203.0.113.7:40000 -> 10.0.1.10:22', expect: 'deny' },
    // right verdict, wrong rule: web-block-abuse decides, not web-http
    { name: 'abuse range by the wrong rule', packet: 'tcp 203.0.113.9:40000 -> 10.0.1.10:80', expect: 'deny', rule: 'sg-web/web-http' },
  ]));
  const r = cli(['assert', '--topology', TOPO, cases, '--junit', junit]);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stdout, 'FAIL  https is denied (wrong): tcp 198.51.100.7:40000 -> 10.0.1.10:443: expected deny, got allow (eni-web1 ingress rule sg-web/web-http)');
  assert.match(r.stdout, 'PASS  ssh from the internet is denied');
  assert.match(r.stdout, 'FAIL  abuse range by the wrong rule');
  assert.match(r.stdout, '1 passed, 2 failed');
  const xml = readFileSync(junit, 'utf8');
  assert.match(xml, 'tests="3" failures="2"');
  assert.match(xml, '<testcase name="ssh from the internet is denied" classname="sgfilter.assert"/>');
});

a('the fixture cases pass through the CLI (exit 0)', () => {
  const r = cli(['assert', '--topology', TOPO, CASES]);
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, '6 passed, 0 failed');
});

a('a malformed cases file: every problem with its JSON path', () => {
  assert.throws(() => parseCases({ cases: [{ name: 'x', packet: 'tcp 1.2.3.4 -> 5.6.7.8', expect: 'deny' }, { name: 'y', packet: 'udp 1.2.3.4:1 -> 5.6.7.8:2', expect: 'maybe' }] }, 'f.json'), (e: unknown) => {
    const m = (e as CasesError).message;
    return e instanceof CasesError && m.includes('cases[1].expect') && !m.includes('cases[0].expect');
  });
  assert.throws(() => parseCases({ cases: [{ name: 'x', packet: 'tcp 1.2.3.4 -> 5.6.7.8', expect: 'deny' }] }, 'f.json'), /cases\[0\]\.packet: malformed packet/);
});

a.run();
