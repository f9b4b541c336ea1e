/**
 * Topology generator: every cloud's output passes the native parser and the
 * clouds' limits (src/lint/limits.ts) unless stress is asked for, the sizes
 * asked for are the sizes produced, and bad knobs fail with the option named.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GEN_CLOUDS, generateTopology, type TopologyGenOptions } from '../../src/gen/topology.js';
import { GEN_ERROR, GenError } from '../../src/gen/errors.js';
import { formatTopologyJson } from '../../src/gen/write.js';
import { parseNativeTopology } from '../../src/parse/native.js';
import { lintLimits } from '../../src/lint/limits.js';

function parsed(o: TopologyGenOptions) {
  const doc = generateTopology(o);
  const r = parseNativeTopology(JSON.parse(formatTopologyJson(doc)));
  assert.ok(r.topology, `${JSON.stringify(o)}: ${r.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return { doc, topology: r.topology!, issues: r.issues };
}

function throwsGen(fn: () => unknown, code: string, option: string, message: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, GenError);
    assert.is((e as GenError).code, code);
    assert.is((e as GenError).option, option);
    assert.match((e as GenError).message, message);
    return;
  }
  assert.unreachable(`expected a ${code} error for ${option}`);
}

for (const cloud of GEN_CLOUDS) {
  test(`${cloud}: parses and lints clean at several sizes and seeds`, () => {
    for (const seed of [1, 2, 3]) {
      for (const sizes of [{}, { interfaces: 40, groupsPerInterface: cloud === 'huawei' ? 5 : 4, rulesPerGroup: cloud === 'huawei' ? 100 : 200, groupRefShare: cloud === 'aliyun-advanced' ? 0 : 0.3, addressGroupShare: 0.3 }]) {
        const { topology, issues } = parsed({ seed, cloud, ...sizes });
        assert.equal(issues, [], 'no parse warnings');
        const lint = lintLimits(topology);
        assert.equal(lint.filter((i) => i.severity === 'error').map((i) => i.message), []);
        assert.equal(lint.filter((i) => i.severity === 'warning').map((i) => i.message), []);
      }
    }
  });
}

test('the sizes asked for are the sizes produced', () => {
  const o = { seed: 9, cloud: 'aliyun-basic' as const, interfaces: 30, groups: 7, groupsPerInterface: 3, rulesPerGroup: 25, addressGroups: 3, addressGroupSize: 5 };
  const { doc, topology } = parsed(o);
  assert.is(topology.cloud, 'aliyun');
  assert.is(topology.interfaces.length, 30);
  assert.is(topology.securityGroups.length, 7);
  for (const i of topology.interfaces) assert.is(i.groups.length, 3);
  for (const g of topology.securityGroups) {
    assert.is(g.rules.length, 25);
    assert.is(g.type, 'basic');
  }
  assert.is(topology.addressGroups.length, 3);
  for (const ag of topology.addressGroups) assert.is(ag.cidrs.length, 5);
  assert.match(doc.description!, /seed=9 cloud=aliyun-basic interfaces=30/);
  // Every group has a member (round-robin primaries), so group references and intra-group traffic have somewhere to go.
  for (const g of topology.securityGroups) assert.ok(topology.interfaces.some((i) => i.groups.includes(g.id)), g.id);
});

test('clouds: advanced groups never reference groups; huawei groups carry no Alibaba-only fields', () => {
  const adv = parsed({ seed: 4, cloud: 'aliyun-advanced', rulesPerGroup: 100 }).topology;
  assert.ok(adv.securityGroups.every((g) => g.type === 'advanced' && g.innerAccessPolicy === 'drop'));
  assert.ok(adv.securityGroups.every((g) => g.rules.every((r) => r.remote.kind !== 'group')));
  const hw = parsed({ seed: 4, cloud: 'huawei', rulesPerGroup: 100, groupRefShare: 0.5 });
  assert.ok(hw.doc.securityGroups.every((g) => g.type === undefined && g.innerAccessPolicy === undefined && g.rules.every((r) => r.sourcePorts === undefined && r.local === undefined)));
  assert.ok(hw.topology.securityGroups.some((g) => g.rules.some((r) => r.remote.kind === 'group')));
  assert.ok(hw.topology.securityGroups.every((g) => g.rules.every((r) => r.priority >= 1 && r.priority <= 100)));
});

test('ipv6Share: 0 gives no IPv6 anywhere, 1 gives every interface an IPv6 address', () => {
  const none = parsed({ seed: 5, ipv6Share: 0 }).topology;
  assert.ok(none.interfaces.every((i) => i.ips.every((a) => a.family === 4)));
  assert.ok(none.securityGroups.every((g) => g.rules.every((r) => r.ethertype !== 6)));
  const all = parsed({ seed: 5, ipv6Share: 1 }).topology;
  assert.ok(all.interfaces.every((i) => i.ips.some((a) => a.family === 6)));
});

test('deterministic: same options, same document; another seed, another document', () => {
  const a = formatTopologyJson(generateTopology({ seed: 11, cloud: 'huawei' }));
  const b = formatTopologyJson(generateTopology({ seed: 11, cloud: 'huawei' }));
  const c = formatTopologyJson(generateTopology({ seed: 12, cloud: 'huawei' }));
  assert.is(a, b);
  assert.is.not(a, c);
});

test('stress: past the limits on request, and the lint reports it', () => {
  throwsGen(() => generateTopology({ seed: 1, rulesPerGroup: 201 }), GEN_ERROR.OVER_LIMIT, 'rulesPerGroup', /200 rules per security group.*stress/);
  throwsGen(() => generateTopology({ seed: 1, groupsPerInterface: 11, groups: 20 }), GEN_ERROR.OVER_LIMIT, 'groupsPerInterface', /10 groups per interface/);
  throwsGen(() => generateTopology({ seed: 1, groupsPerInterface: 6, rulesPerGroup: 200 }), GEN_ERROR.OVER_LIMIT, 'rulesPerGroup', /1000 rules per interface/);
  throwsGen(() => generateTopology({ seed: 1, cloud: 'huawei', groupsPerInterface: 6 }), GEN_ERROR.OVER_LIMIT, 'groupsPerInterface', /recommended 5/);
  const { topology } = parsed({ seed: 1, rulesPerGroup: 300, stress: true, interfaces: 4 });
  const codes = lintLimits(topology).map((i) => i.code);
  assert.ok(codes.includes('limit-rules-per-group'), codes.join(','));
  const hw = parsed({ seed: 1, cloud: 'huawei', rulesPerGroup: 600, groupRefShare: 0.6, stress: true, interfaces: 4 }).topology;
  assert.ok(lintLimits(hw).some((i) => i.code === 'limit-special-rules'));
  // Without stress, Huawei's 120 special rules per direction and family are respected even when asked for many references.
  const capped = parsed({ seed: 1, cloud: 'huawei', rulesPerGroup: 400, groups: 2, groupsPerInterface: 1, interfaces: 2, groupRefShare: 0.9, addressGroupShare: 0.1 }).topology;
  assert.equal(lintLimits(capped).filter((i) => i.severity === 'error'), []);
});

test('bad knobs name the option and what was expected', () => {
  throwsGen(() => generateTopology({ seed: 1, ipv6Share: 1.5 }), GEN_ERROR.BAD_OPTION, 'ipv6Share', /within 0\.\.1, got 1\.5/);
  throwsGen(() => generateTopology({ seed: 1, interfaces: 0 }), GEN_ERROR.BAD_OPTION, 'interfaces', /integer from 1/);
  throwsGen(() => generateTopology({ seed: 1, rulesPerGroup: 2.5 }), GEN_ERROR.BAD_OPTION, 'rulesPerGroup', /integer/);
  throwsGen(() => generateTopology({ seed: 1, groups: 1, groupsPerInterface: 2 }), GEN_ERROR.BAD_OPTION, 'groups', /at least groupsPerInterface/);
  throwsGen(() => generateTopology({ seed: 1, cloud: 'aliyun-advanced', groupRefShare: 0.1 }), GEN_ERROR.BAD_OPTION, 'groupRefShare', /advanced/);
  throwsGen(() => generateTopology({ seed: 1, cloud: 'gcp' as never }), GEN_ERROR.BAD_OPTION, 'cloud', /one of aliyun-basic/);
  throwsGen(() => generateTopology({ seed: 0.5 }), GEN_ERROR.BAD_OPTION, 'seed', /safe integer/);
  throwsGen(() => generateTopology({ seed: 1, addressGroups: 0, addressGroupShare: 0.2 }), GEN_ERROR.BAD_OPTION, 'addressGroupShare', /addressGroups is 0/);
});

test.run();
