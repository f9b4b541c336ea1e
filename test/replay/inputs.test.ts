// Values that used to break the engines (issue "Trust first" §6): conntrack
// timeouts are bounded at load and exact at the bound in both engines; the
// library refuses bad options and timestamps with a typed error; timestamps
// are kept exactly over the whole signed 64-bit range (never wrapped), and
// conntrack ages by their exact difference. Expected decisions follow
// SEMANTICS §5 (an entry is live while now - lastSeen <= timeout; a
// timestamp that goes backwards counts as equal to the last one) and are
// checked against the reference engine.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineOptionError, MAX_TIMEOUT_SECONDS, createFilter, parseNativeTopology, replay, ReferenceEngine, secondsToNs, type Topology } from '../../src/index.js';
import { PROTO, TCP_FLAG } from '../../src/model/packet.js';
import { ethIp, ipv4, tcp } from '../../src/pcap/build.js';
import { decodeFrame } from '../../src/pcap/decode.js';
import type { NativeTopology } from '../../src/parse/native.js';
import { cli } from '../helpers/cli.js';
import { hops, topology as parsed } from '../helpers/scenario.js';

const t = suite('replay: bounded timeouts, typed option and timestamp errors, exact time');
const dir = mkdtempSync(join(tmpdir(), 'sgf-inputs-'));

function doc(conntrack?: NativeTopology['conntrack']): NativeTopology {
  return {
    cloud: 'generic',
    ...(conntrack ? { conntrack } : {}),
    securityGroups: [{ id: 'sg', rules: [{ id: 'out', direction: 'egress', action: 'allow', priority: 1, protocol: 'tcp' }] }],
    interfaces: [{ id: 'a', ips: ['10.0.0.1'], groups: ['sg'] }],
  };
}
const SYN = ethIp(ipv4({ src: '10.0.0.1', dst: '198.51.100.7', proto: PROTO.TCP }, tcp({ sport: 40000, dport: 443, flags: TCP_FLAG.SYN })));
const SYN_ACK = ethIp(ipv4({ src: '198.51.100.7', dst: '10.0.0.1', proto: PROTO.TCP }, tcp({ sport: 443, dport: 40000, flags: TCP_FLAG.SYN | TCP_FLAG.ACK })));

/** The reply's decision after a SYN at `t1`, by the WASM filter and by the reference engine (asserted equal). */
function reply(topology: Topology, t1: bigint, t2: bigint): string[] {
  const f = createFilter(topology);
  f.judgeFrame(SYN, t1);
  const wasm = f.judgeFrame(SYN_ACK, t2);
  const ref = new ReferenceEngine(topology);
  ref.judge(decodeFrame(1, SYN, t1));
  const r = ref.judge(decodeFrame(1, SYN_ACK, t2));
  assert.equal(hops(wasm), hops(r), `WASM vs reference at ${t1} / ${t2}`);
  return hops(wasm);
}
const ESTABLISHED = ['a/ingress:allow:established'];
const DENIED = ['a/ingress:deny:default'];

function expectTyped(fn: () => unknown, code: string, option: string, message: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, EngineOptionError, String(e));
    assert.is((e as EngineOptionError).code, code);
    // The spelling before the one code scheme still matches.
    assert.is((e as EngineOptionError).legacyCode, code.replace('SGF_ENGINE_', 'SGF_'));
    assert.is((e as EngineOptionError).option, option);
    assert.match((e as Error).message, message);
    return;
  }
  assert.unreachable(`accepted (${option})`);
}

t('conntrack timeouts above the bound are refused at load, naming the JSON path', () => {
  const r = parseNativeTopology(doc({ tcpEstablished: 1e10 }));
  assert.is(r.topology, undefined);
  assert.match(JSON.stringify(r.issues), 'conntrack.tcpEstablished');
  const path = join(dir, 'huge.json');
  const d = doc();
  d.interfaces![0]!.conntrack = { icmp: 1e300 };
  writeFileSync(path, JSON.stringify(d).replace('"icmp":1e+300', '"icmp":1e300'));
  const c = cli(['check', path]);
  assert.is(c.status, 1);
  assert.match(c.stdout + c.stderr, `interfaces[0].conntrack.icmp: 1e+300 is above the maximum ${MAX_TIMEOUT_SECONDS}`);
  assert.not.match(c.stderr, /at .*\.js:\d+/); // no stack trace
  // Exactly at the bound is accepted.
  assert.ok(parseNativeTopology(doc({ tcpOpening: MAX_TIMEOUT_SECONDS })).topology);
});

t('a hand-built topology past the bound: a clear RangeError, no BigInt crash', () => {
  assert.throws(() => secondsToNs(1e300), /a conntrack timeout must be a number of seconds from 0 to 31536000, got 1e\+300/);
  assert.throws(() => secondsToNs(Number.NaN), /got NaN/);
  const topo = parsed(doc());
  topo.interfaces[0]!.conntrack = { ...topo.interfaces[0]!.conntrack, tcpOpening: 1e300 };
  assert.throws(() => new ReferenceEngine(topo), /conntrack timeout/);
  assert.throws(() => createFilter(topo), /conntrack timeout/);
});

t('at the bound both engines agree: live at exactly the timeout, expired 1 ns later', () => {
  const topo = parsed(doc({ tcpOpening: MAX_TIMEOUT_SECONDS }));
  const T = 1_700_000_000_000_000_000n;
  const bound = BigInt(MAX_TIMEOUT_SECONDS) * 1_000_000_000n;
  assert.equal(reply(topo, T, T + bound), ESTABLISHED);
  assert.equal(reply(topo, T, T + bound + 1n), DENIED);
});

t('createFilter / ReferenceEngine / replay refuse a conntrackCapacity that is not a positive integer', async () => {
  const topo = parsed(doc());
  for (const bad of [0, -1, Number.NaN, Infinity, 1.5, 2 ** 32]) {
    expectTyped(() => createFilter(topo, { conntrackCapacity: bad }), 'SGF_ENGINE_BAD_OPTION', 'conntrackCapacity', /conntrackCapacity must be an integer from 1 to 4294967295, got /);
    expectTyped(() => new ReferenceEngine(topo, { conntrackCapacity: bad }), 'SGF_ENGINE_BAD_OPTION', 'conntrackCapacity', /conntrackCapacity must be an integer/);
  }
  expectTyped(() => createFilter(topo, { conntrackCapacity: '10' as unknown as number }), 'SGF_ENGINE_BAD_OPTION', 'conntrackCapacity', /got "10"/);
  expectTyped(() => createFilter(topo, { shards: 0 }), 'SGF_ENGINE_BAD_OPTION', 'shards', /shards must be an integer from 1 to 32, got 0/);
  let caught: unknown;
  await replay(topo, join(dir, 'none.pcap'), { conntrackCapacity: 0 }).catch((e: unknown) => { caught = e; });
  assert.instance(caught, EngineOptionError);
  // A capacity of 1 is valid: the second flow is conntrack-full.
  const f = createFilter(topo, { conntrackCapacity: 1, shards: 1 });
  assert.is(f.judgeFrame(SYN, 1n).verdict, 'allow');
  const other = ethIp(ipv4({ src: '10.0.0.1', dst: '198.51.100.8', proto: PROTO.TCP }, tcp({ sport: 40001, dport: 443, flags: TCP_FLAG.SYN })));
  assert.equal(hops(f.judgeFrame(other, 2n)), ['a/egress:deny:conntrack-full']);
});

t('judgeFrame: a number of nanoseconds works like the bigint; undefined and non-integers are typed errors', () => {
  const topo = parsed(doc());
  const f = createFilter(topo);
  assert.is(f.judgeFrame(SYN, 1_700_000_000_000_000_000).verdict, 'allow');
  assert.equal(hops(f.judgeFrame(SYN_ACK, 1_700_000_000_001_000_000)), ESTABLISHED);
  const g = createFilter(topo);
  g.judgeFrame(SYN, 5_000); // small numbers are exact
  assert.equal(hops(g.judgeFrame(SYN_ACK, 5_001)), ESTABLISHED);
  for (const bad of [undefined, 1.5, Number.NaN, '1'] as unknown[]) {
    expectTyped(() => f.judgeFrame(SYN, bad as bigint), 'SGF_ENGINE_BAD_TIMESTAMP', 'tsNs', /tsNs must be nanoseconds since the epoch, a bigint or an integer number, got /);
  }
  expectTyped(() => f.judgeFrame(SYN, 2n ** 63n), 'SGF_ENGINE_BAD_TIMESTAMP', 'tsNs', /outside the signed 64-bit range/);
});

t('seconds beyond 2^32 do not wrap: a reply 2^32 s after the SYN finds the entry expired', () => {
  const topo = parsed(doc());
  const S32 = 2n ** 32n * 1_000_000_000n;
  // Wrapped to 32-bit seconds these two would be 1 ns apart (established).
  assert.equal(reply(topo, 1n, S32 + 1n), DENIED);
  assert.equal(reply(topo, S32, S32 + 1_000_000n), ESTABLISHED); // and after 2^32 s, time still runs
  // The issue's order (SYN at 2^32 s, then the reply at 1 ns): the reply's
  // timestamp goes back 136 years, which §5 counts as equal to the last one,
  // so the entry is live — the engines agree, with exact times.
  assert.equal(reply(topo, S32, 1n), ESTABLISHED);
});

t('timestamps 2^63 ns apart: the exact difference, no i64 overflow (expired in both engines)', () => {
  const topo = parsed(doc());
  assert.equal(reply(topo, -(2n ** 62n), 2n ** 62n), DENIED);
  assert.equal(reply(topo, -(2n ** 63n), 2n ** 63n - 1n), DENIED);
  // Before the epoch, time runs as after it.
  assert.equal(reply(topo, -10_000_000_000n, -9_000_000_000n), ESTABLISHED);
});

t.run();


