// The native C baseline of the replay bench (bench/native/replay.c, driven by
// bench/harness/native.ts): built with the machine's C compiler, fed a small
// hand-made capture whose verdicts are worked out by hand below from the rules
// and SEMANTICS §3-§5, and cross-checked against the reference evaluator on the
// same bytes. Skips, saying so, when no C compiler is present.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNative, buildNativeWasm, nativeRules, runNative, runNativeWasm } from '../../bench/harness/native.js';
import { loadTopology } from '../../src/parse/load.js';
import { ethIp, ipv4, ipv6, tcp, udp } from '../../src/pcap/build.js';
import { PcapWriter } from '../../src/pcap/writer.js';
import { replay } from '../../src/replay/replay.js';

const test = suite('bench: native C baseline');

const SYN = 0x02;
const ACK = 0x10;

// One Alibaba basic interface (defaults: ingress deny, egress allow; UDP 30 s,
// TCP at most 910 s idle), two addresses.
const topologyDoc = {
  cloud: 'aliyun',
  securityGroups: [
    {
      id: 'sg-web',
      type: 'basic',
      rules: [
        { id: 'ssh-lan', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '22', remote: '10.1.0.0/16' },
        { id: 'ssh-bad', direction: 'ingress', action: 'deny', priority: 1, protocol: 'tcp', ports: '22', remote: '10.1.2.0/24' },
        { id: 'dns', direction: 'ingress', action: 'allow', priority: 5, protocol: 'udp', ports: '53' },
        { id: 'https6', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '443', remote: '2001:db8:1::/48' },
      ],
    },
  ],
  interfaces: [{ id: 'eni-web', ips: ['10.0.0.10', '2001:db8::10'], groups: ['sg-web'] }],
};

// [seconds, frame, expected verdict, why]
const t4 = (src: string, dst: string, sport: number, dport: number, flags: number) => ethIp(ipv4({ src, dst, proto: 6 }, tcp({ sport, dport, flags })));
const u4 = (src: string, dst: string, sport: number, dport: number) => ethIp(ipv4({ src, dst, proto: 17 }, udp({ sport, dport })));
const t6 = (src: string, dst: string, sport: number, dport: number) => ethIp(ipv6({ src, dst, next: 6 }, tcp({ sport, dport, flags: SYN })));
const packets: [number, Uint8Array, 'allow' | 'deny', string][] = [
  [0.0, t4('10.1.1.1', '10.0.0.10', 1000, 22, SYN), 'allow', 'ssh-lan (the deny covers 10.1.2.0/24 only)'],
  [0.1, t4('10.0.0.10', '10.1.1.1', 22, 1000, SYN | ACK), 'allow', 'reply of a tracked flow'],
  [0.2, t4('10.1.2.5', '10.0.0.10', 1000, 22, SYN), 'deny', 'ssh-bad: deny before allow at equal priority'],
  [0.3, u4('192.0.2.8', '10.0.0.10', 53000, 53), 'allow', 'dns'],
  [0.4, u4('192.0.2.8', '10.0.0.10', 53000, 54), 'deny', 'no rule: ingress default deny'],
  [0.5, t6('2001:db8:1::5', '2001:db8::10', 999, 443), 'allow', 'https6'],
  [0.6, t6('2001:db8:2::5', '2001:db8::10', 999, 443), 'deny', 'outside 2001:db8:1::/48'],
  [1.0, t4('10.0.0.10', '203.0.113.9', 40000, 80, SYN), 'allow', 'egress default allow (basic), tracked'],
  [1.5, t4('203.0.113.9', '10.0.0.10', 80, 40000, SYN | ACK), 'allow', 'reply of a tracked flow'],
  [2000, t4('203.0.113.9', '10.0.0.10', 80, 40000, ACK), 'deny', 'entry idle past every TCP timeout; no ingress rule'],
];

/** The rule file and the capture above, written into `dir`; `want`: the hand-worked counts. */
function writeFixture(dir: string) {
  const loaded = loadTopology(topologyDoc);
  assert.ok(loaded.topology, JSON.stringify(loaded.issues));
  const topology = loaded.topology!;
  const rules = join(dir, 'web.rules');
  writeFileSync(rules, nativeRules(topology));
  const w = new PcapWriter();
  for (const [s, frame] of packets) w.addParts(Math.floor(s), Math.round((s % 1) * 1e9), frame);
  const capture = join(dir, 'web.pcap');
  writeFileSync(capture, w.finish());
  const want = { allow: packets.filter((p) => p[2] === 'allow').length, deny: packets.filter((p) => p[2] === 'deny').length };
  assert.equal(want, { allow: 6, deny: 4 });
  return { topology, rules, capture, want };
}

test('hand-worked verdicts, both modes, equal to the reference engine', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgf-native-'));
  const build = buildNative(dir);
  if (!build.binary) {
    console.log(`\n  [skip] native baseline: ${build.why}`);
    return;
  }
  const { topology, rules, capture, want } = writeFixture(dir);
  for (const mode of ['mem', 'read'] as const) {
    const r = runNative(build.binary, rules, capture, mode, 2);
    assert.is(r.packets, packets.length, mode);
    assert.equal({ allow: r.allow, deny: r.deny }, want, mode);
    assert.is(r.full, 0);
    assert.is(r.passes.length, 2);
  }
  // Two and three threads: each thread holds the conntrack of its shards only, so the replies
  // above are allowed only if a flow's both directions land in one thread's table.
  for (const [mode, threads, split] of [['mem', 2, 'lane'], ['read', 2, 'lane'], ['mem', 3, 'lane'], ['mem', 2, 'pre'], ['mem', 3, 'pre']] as const) {
    const r = runNative(build.binary, rules, capture, mode, 2, 1, threads, split);
    const what = `${mode}, ${threads} threads, ${split}`;
    assert.is(r.threads, threads, what);
    assert.is(r.split, split, what);
    assert.is(r.packets, packets.length, what);
    assert.equal({ allow: r.allow, deny: r.deny }, want, what);
  }
  const ref = await replay(topology, capture, { engine: 'reference' });
  assert.equal(ref.verdicts, want, 'the reference evaluator on the same capture');
  assert.throws(() => runNative(build.binary!, rules, capture, 'read', 1, 0, 2, 'pre'), /--split pre .*--mode mem/s, 'pre-split needs the capture in memory');
});

test('the WebAssembly build of the same source (wasm32-wasi, run by node:wasi): the same hand-worked verdicts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgf-native-wasm-'));
  const build = buildNativeWasm(dir);
  if (!build.wasm) {
    console.log(`\n  [skip] native baseline's WebAssembly build: ${build.why}`);
    return;
  }
  const { rules, capture, want } = writeFixture(dir);
  for (const mode of ['mem', 'read'] as const) {
    const r = runNativeWasm(build.wasm, rules, capture, mode, 2);
    assert.is(r.packets, packets.length, mode);
    assert.equal({ allow: r.allow, deny: r.deny }, want, mode);
    assert.is(r.full, 0);
    assert.is(r.threads, 1);
    assert.is(r.passes.length, 2);
    assert.ok(r.passes.every((s) => s > 0), `passes timed by the module's clock: ${r.passes}`);
  }
  // Bad input is the module's own error (exit 2, its message), not a crash of the runner.
  assert.throws(() => runNativeWasm(build.wasm!, rules, capture, 'mem', 1, 0, undefined, ['--threads', '2']), /needs pthreads/);
  writeFileSync(join(dir, 'bad.rules'), 'not a rule file\n');
  assert.throws(() => runNativeWasm(build.wasm!, join(dir, 'bad.rules'), capture, 'mem', 1, 0), /not a sgfilter-native rule file/);
});

test('the rule file expands references and keeps the evaluation order', () => {
  const loaded = loadTopology({
    cloud: 'aliyun',
    securityGroups: [
      { id: 'sg-a', type: 'basic', rules: [
        { id: 'from-b', direction: 'ingress', action: 'allow', priority: 2, protocol: 'tcp', ports: '80-81', remote: { group: 'sg-b' } },
        { id: 'deny-all', direction: 'ingress', action: 'deny', priority: 2, protocol: 'all', remote: '0.0.0.0/0' },
      ] },
      { id: 'sg-b', type: 'basic', rules: [] },
    ],
    interfaces: [
      { id: 'a', ips: ['10.0.0.1'], groups: ['sg-a'] },
      { id: 'b1', ips: ['10.0.0.2'], groups: ['sg-b'] },
      { id: 'b2', ips: ['10.0.0.3', '2001:db8::3'], groups: ['sg-b'] },
    ],
  });
  assert.ok(loaded.topology, JSON.stringify(loaded.issues));
  const text = nativeRules(loaded.topology!);
  const lines = text.trim().split('\n');
  const list = lines.indexOf('list 0 0 0 4');
  assert.ok(list > 0, text);
  // deny before allow at equal priority; 0.0.0.0/0 is ::ffff:0:0/96; sg-b's three addresses, one line each
  assert.is(lines[list + 1], `r 0 -1 4 0 65535 0 65535 ${'0'.repeat(20)}ffff00000000 96 ${'0'.repeat(32)} 0`);
  assert.is(lines[list + 2], `r 1 6 0 80 81 0 65535 ${'0'.repeat(20)}ffff0a000002 128 ${'0'.repeat(32)} 0`);
  assert.is(lines[list + 3], `r 1 6 0 80 81 0 65535 ${'0'.repeat(20)}ffff0a000003 128 ${'0'.repeat(32)} 0`);
  assert.is(lines[list + 4], `r 1 6 0 80 81 0 65535 20010db8000000000000000000000003 128 ${'0'.repeat(32)} 0`);
  assert.ok(lines.includes('list 0 1 1 0'), 'egress: no rules, basic default allow');
});

test.run();
