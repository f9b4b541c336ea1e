/**
 * The one set of CLI option parsers (src/cli/common.ts) and gen's knob table:
 * what each parser accepts and refuses, and that every default the help
 * prints is the default the generators really apply.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidArgumentError } from 'commander';
import { intOption, parseIntOption, parsePositiveOption, parseShardSetOption, parseShareOption, positiveOption, shareOption } from '../../src/cli/common.js';
import { GEN_KNOBS, topologyOptionsFromCli, trafficOptionsFromCli } from '../../src/cli/gen.js';
import { resolveTopologyOptions } from '../../src/gen/topology.js';
import { resolveTrafficOptions } from '../../src/gen/traffic/index.js';
import { cli } from '../helpers/cli.js';

test('parseIntOption: decimal digits within min..max, nothing else', () => {
  for (const [v, n] of [['0', 0], ['7', 7], ['32', 32]] as const) assert.is(parseIntOption(v, 0, 32), n);
  for (const v of ['abc', '1e3', '0x10', '1.5', ' 7', '7 ', '', '+7', '-1', '33', '99999999999999999999']) {
    assert.type(parseIntOption(v, 0, 32), 'string', v);
  }
  assert.is(parseIntOption('-5', -10, 10), -5);
  assert.is(parseIntOption('x', 1, 9), 'must be an integer from 1 to 9, got "x"');
});

test('parseShardSetOption: K/N with K from 0 to N-1 (JOB_COMPLETION_INDEX is 0-based) and N from 1 to the shard count', () => {
  assert.equal(parseShardSetOption('0/1'), { index: 0, count: 1 });
  assert.equal(parseShardSetOption('2/3'), { index: 2, count: 3 });
  assert.equal(parseShardSetOption('15/16', 16), { index: 15, count: 16 });
  assert.is(parseShardSetOption('3/3'), 'K must be from 0 to N-1 (0..2: K counts from 0, like JOB_COMPLETION_INDEX), got "3/3"');
  assert.is(parseShardSetOption('0/17', 16), 'N must be from 1 to the number of shards (16; raise --shards, at most 32, for more parts), got "0/17"');
  assert.is(parseShardSetOption('0/5', 4), 'N must be from 1 to the number of shards (4; raise --shards, at most 32, for more parts), got "0/5"');
  assert.match(parseShardSetOption('0/0') as string, /^N must be from 1/);
  assert.is(parseShardSetOption('/3'), 'expected K/N (part K of N, K from 0 to N-1), got "/3" (K is empty: is JOB_COMPLETION_INDEX set?)');
  for (const v of ['', '1', '1/', '-1/3', '1/-3', '1.0/3', ' 1/3', '1/3 ', '1-3', '0x1/3', '1/3/4', '1234567/9']) {
    assert.match(parseShardSetOption(v) as string, /^expected K\/N/, JSON.stringify(v));
  }
});

test('parseShareOption / parsePositiveOption: finite numbers in range, with what was expected', () => {
  for (const [v, n] of [['0', 0], ['1', 1], ['0.05', 0.05]] as const) assert.is(parseShareOption(v), n);
  for (const v of ['', ' ', '-0.1', '1.01', 'NaN', 'Infinity', 'abc']) assert.is(parseShareOption(v), 'expected a share within 0..1 (e.g. 0.05)', v);
  for (const [v, n] of [['1', 1], ['0.5', 0.5], ['2000', 2000]] as const) assert.is(parsePositiveOption(v), n);
  for (const v of ['', '0', '-1', 'Infinity', 'abc']) assert.is(parsePositiveOption(v), 'expected a positive number', v);
});

test('the commander forms throw InvalidArgumentError with the same text', () => {
  const refuse = (f: (v: string) => number, v: string, text: string) =>
    assert.throws(() => f(v), (e: unknown) => e instanceof InvalidArgumentError && e.message === text);
  refuse(intOption(1), '0', `must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}, got "0".`);
  refuse(shareOption(), '2', 'expected a share within 0..1 (e.g. 0.05).');
  refuse(positiveOption(), '0', 'expected a positive number.');
  assert.is(intOption(0, 9)('9'), 9);
  assert.is(shareOption()('0.25'), 0.25);
  assert.is(positiveOption()('3.5'), 3.5);
});

// Every "(default N" in a knob's help names the value the generator resolves
// when the knob is not given (the defaults are written once, in the generators).
test('gen knob table: each default shown in the help is the one the generators apply', () => {
  const topo = resolveTopologyOptions({ seed: 1 }) as unknown as Record<string, unknown>;
  const traffic = resolveTrafficOptions({ seed: 1 }) as unknown as Record<string, unknown>;
  let checked = 0;
  for (const k of GEN_KNOBS) {
    const m = /default (-?[0-9.]+)/.exec(k.help);
    if (!m) continue;
    const api = 'api' in k ? k.api : k.key;
    const resolved = k.side === 'topology' ? topo[api] : traffic[api];
    assert.is(Number(m[1]), resolved, `${k.flag}: help says ${m[1]}, the generator applies ${String(resolved)}`);
    checked++;
  }
  assert.ok(checked >= 20, `only ${checked} defaults checked`);
  // --ipv6-share names both defaults: traffic / topology.
  const v6 = GEN_KNOBS.find((k) => k.key === 'ipv6Share')!;
  assert.match(v6.help, `default ${String(traffic.ipv6Share)} / ${String(topo.ipv6Share)}`);
  const cloud = GEN_KNOBS.find((k) => k.key === 'cloud')!;
  assert.is(cloud.default, topo.cloud);
});

test('gen knob table: options reach the generator that takes them, under its name', () => {
  const o = { outDir: 'x', seed: 3, format: 'pcap', name: 'trace', cloud: 'huawei', interfaces: 5, denyRuleShare: 0.5, ipv6Share: 0.4, flows: 9, nanos: true } as const;
  const t = topologyOptionsFromCli(o);
  assert.equal(t, { seed: 3, cloud: 'huawei', interfaces: 5, denyShare: 0.5, ipv6Share: 0.4 });
  const r = trafficOptionsFromCli(o);
  assert.equal(r, { seed: 3, nanos: true, ipv6Share: 0.4, flows: 9 });
});

test('every knob is an option of `sgfilter gen`; topology knobs are refused beside --topology', () => {
  const help = cli(['gen', '--help']).stdout;
  for (const k of GEN_KNOBS) assert.ok(help.includes(k.flag), k.flag);
  const r = cli(['gen', '--out-dir', '/nonexistent-sgf/x', '--topology', 'fixtures/aliyun-basic-3tier.json', '--rules-per-group', '3']);
  assert.is(r.status, 1);
  assert.match(r.stderr, '--rules-per-group generates a topology; it cannot be combined with --topology [SGF_GEN_BAD_OPTION]');
  // --ipv6-share is a traffic knob too: accepted with --topology (refused later only for the missing directory).
  const s = cli(['gen', '--out-dir', '/proc/sgf-no/x', '--topology', 'fixtures/aliyun-basic-3tier.json', '--ipv6-share', '0.5', '--quiet']);
  assert.not.match(s.stderr, 'cannot be combined');
});

test.run();
