// State shards inside one engine instance must not see each other's state
// (issue: decisions depended on the worker count). An ICMP error belongs to
// the shard of the flow it quotes (src/model/shard.ts), which is not the shard
// of its own addresses; when several shards live in one WASM instance (one
// worker, or workers 0), a lookup of the error's own flow, or of a fragment
// of it, must not find a same-key entry of another shard. The expected
// decisions follow from SEMANTICS §3/§6 with one table per shard (the
// reference engine's model); they are also compared with the reference.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileTopology } from '../../src/compile/compile.js';
import { generateTopology, generateTraffic } from '../../src/gen/index.js';
import { decisionLine, type Decision } from '../../src/model/decision.js';
import { parseAddress } from '../../src/model/address.js';
import { flowHash, shardOfHash } from '../../src/model/shard.js';
import { PROTO } from '../../src/model/packet.js';
import { concat, ethIp, icmp, ipv4, udp } from '../../src/pcap/build.js';
import { PcapWriter } from '../../src/pcap/writer.js';
import { replayReference, replayWasm } from '../../src/replay/local.js';
import { replay } from '../../src/replay/replay.js';
import { createFilter } from '../../src/replay/filter.js';
import { WasmEngine } from '../../src/replay/wasm-engine.js';
import type { NativeTopology } from '../../src/parse/native.js';
import { corpusDir, skipNoCorpus } from '../helpers/corpus.js';
import { hops, topology as parsed } from '../helpers/scenario.js';

const shards = suite('replay: shards in one instance are isolated');
const dir = mkdtempSync(join(tmpdir(), 'sgf-shards-'));

const HOST = '10.0.0.10';
const ROUTER = '203.0.113.1';
const v4 = (s: string) => parseAddress(s)!.value;
const shardOf = (a: string, b: string, proto: number) => shardOfHash(flowHash(4, proto, v4(a), v4(b)), 16);

// The host accepts ICMP from anywhere and sends anything.
const doc: NativeTopology = {
  cloud: 'generic',
  securityGroups: [{ id: 'sg-host', rules: [
    { id: 'out-all', direction: 'egress', action: 'allow', priority: 1, protocol: 'all' },
    { id: 'in-icmp', direction: 'ingress', action: 'allow', priority: 1, protocol: 'icmp' },
  ] }],
  interfaces: [{ id: 'host', ips: [HOST], groups: ['sg-host'] }],
};

/** Two outside destinations whose UDP flows with HOST hash to different shards, both unlike the error's own shard. */
function destinations(): [string, string] {
  const own = shardOf(ROUTER, HOST, PROTO.ICMP);
  const found: string[] = [];
  const used = new Set<number>([own]);
  for (let i = 1; i < 250 && found.length < 2; i++) {
    const d = `198.51.100.${i}`;
    const s = shardOf(HOST, d, PROTO.UDP);
    if (!used.has(s)) {
      used.add(s);
      found.push(d);
    }
  }
  return [found[0]!, found[1]!];
}

/** The IPv4 header + 8 bytes a router quotes: a UDP datagram HOST -> dst. */
function quoted(dst: string, sport: number): Uint8Array {
  return ipv4({ src: HOST, dst, proto: PROTO.UDP, id: sport }, udp({ sport, dport: 33434 }, new Uint8Array(0)));
}

function capture(frames: Uint8Array[]): Uint8Array {
  const w = new PcapWriter({ nanos: true });
  frames.forEach((f, i) => w.add(1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n, f));
  return w.finish();
}

function judgeAll(bytes: Uint8Array): { wasm: Decision[]; ref: Decision[] } {
  const t = parsed(doc);
  const wasm = [...replayWasm(new WasmEngine(t, compileTopology(t)), bytes)].map((j) => j.decision);
  const ref = [...replayReference(t, bytes)].map((j) => j.decision);
  return { wasm, ref };
}

shards('an ICMP error does not find a same-key conntrack entry of another shard', () => {
  const [d1, d2] = destinations();
  // Two "time exceeded" errors from the router to the host, quoting flows the
  // host's capture does not hold (so not related): each goes to its quoted
  // flow's shard. The first is allowed by in-icmp and creates the entry
  // (icmp, router, host) in shard(d1); the second, in shard(d2), has no entry
  // there: §3 gives it the rules again, not "established".
  const bytes = capture([
    ethIp(ipv4({ src: ROUTER, dst: HOST, proto: PROTO.ICMP }, icmp({ type: 11, code: 0 }, quoted(d1, 40001)))),
    ethIp(ipv4({ src: ROUTER, dst: HOST, proto: PROTO.ICMP }, icmp({ type: 11, code: 0 }, quoted(d2, 40002)))),
  ]);
  const { wasm, ref } = judgeAll(bytes);
  assert.equal(hops(ref[0]!), ['host/ingress:allow:rule:in-icmp']);
  assert.equal(hops(ref[1]!), ['host/ingress:allow:rule:in-icmp']);
  assert.equal(hops(wasm[0]!), hops(ref[0]!));
  assert.equal(hops(wasm[1]!), ['host/ingress:allow:rule:in-icmp'], 'the second error must not see the first one\'s entry (another shard)');
});

shards('a non-first fragment does not recall a first fragment remembered in another shard', () => {
  const [d1] = destinations();
  // A fragmented ICMP error: the first fragment (quote present) belongs to the
  // quoted flow's shard; the second fragment has no quote, so it belongs to
  // the shard of its own addresses, whose fragment memory holds nothing: §6
  // judges it by the rules without ports, not by a remembered verdict.
  const whole = icmp({ type: 11, code: 0 }, concat(quoted(d1, 40003), new Uint8Array(64)));
  const bytes = capture([
    ethIp(ipv4({ src: ROUTER, dst: HOST, proto: PROTO.ICMP, id: 77, mf: true }, whole.subarray(0, 48))),
    ethIp(ipv4({ src: ROUTER, dst: HOST, proto: PROTO.ICMP, id: 77, fragOffset: 48 }, whole.subarray(48))),
  ]);
  const { wasm, ref } = judgeAll(bytes);
  assert.equal(hops(ref[0]!), ['host/ingress:allow:rule:in-icmp']);
  assert.equal(hops(ref[1]!), ['host/ingress:allow:rule:in-icmp']);
  assert.equal(hops(wasm[0]!), hops(ref[0]!));
  assert.equal(hops(wasm[1]!), ['host/ingress:allow:rule:in-icmp'], 'the fragment must not recall another shard\'s memory');
});

shards('frag-22 (suricata-verify, IPv6 malformed fragments): workers 0-3 and the reference agree', async () => {
  const root = corpusDir();
  const pcap = root && join(root, 'pcap', 'suricata-verify__tests__ipv6-evasion__ipv6-malformed-fragments-22__frag-22.pcap');
  if (!pcap || !existsSync(pcap)) return skipNoCorpus('replay: frag-22');
  // The topology.
  const t = parsed({
    cloud: 'generic',
    securityGroups: [
      { id: 'sg-host', rules: [
        { id: 'out-all', direction: 'egress', action: 'allow', priority: 1, protocol: 'all' },
        { id: 'in-icmp6', direction: 'ingress', action: 'allow', priority: 1, protocol: 'icmpv6' } ] },
      { id: 'sg-router', rules: [
        { id: 'in-icmp6', direction: 'ingress', action: 'allow', priority: 1, protocol: 'icmpv6' },
        { id: 'out-tcp', direction: 'egress', action: 'allow', priority: 1, protocol: 'tcp' } ] } ],
    interfaces: [
      { id: 'host', ips: ['2001:db8:1:0:703a:5332:47f3:1d22'], groups: ['sg-host'] },
      { id: 'router', ips: ['2001:db8:1::3'], groups: ['sg-router'] } ],
  });
  const refPath = join(dir, 'frag22-ref.jsonl');
  await replay(t, pcap, { engine: 'reference', decisionsPath: refPath });
  const expected = readFileSync(refPath, 'utf8');
  // Packet 9 (an ICMPv6 error quoting a flow of another shard): the reference says deny (default).
  const nine = JSON.parse(expected.split('\n')[8]!) as Decision;
  assert.is(nine.verdict, 'deny');
  for (const workers of [0, 1, 2, 3]) {
    const out = join(dir, `frag22-w${workers}.jsonl`);
    await replay(t, pcap, { workers, decisionsPath: out });
    assert.ok(readFileSync(out, 'utf8') === expected, `workers ${workers}: decisions differ from the reference`);
  }
  // The library's hot path (one instance, all shards) agrees too.
  const lines = [...replayWasm(new WasmEngine(t, compileTopology(t)), readFileSync(pcap))].map((j) => decisionLine(j.n, j.tsText, j.decision));
  assert.is(lines.join('\n') + '\n', expected);
  assert.is(createFilter(t).verdicts(readFileSync(pcap))[8], 0, 'createFilter().verdicts(): packet 9 denied, as the reference says');
  writeFileSync(join(dir, 'done'), '');
});

shards('gen routers: errors from a small pool, many of them in another shard than their own addresses', () => {
  const d = generateTopology({ seed: 3, cloud: 'generic', interfaces: 4 });
  const pool = new Set<string>();
  let errors = 0;
  let crossing = 0;
  for (const f of generateTraffic(d, { seed: 3, flows: 400, routers: 2, intents: true, mix: { tcp: 10, udp: 10, echo: 10, 'icmp-error': 70, gre: 0, other: 0 } })) {
    const p = f.intent;
    if (!p?.quoted || f.kind !== 'icmp-error') continue;
    errors++;
    const own = shardOfHash(flowHash(p.family!, p.proto!, p.src!, p.dst!), 16);
    const quotedShard = shardOfHash(flowHash(p.quoted.family, p.quoted.proto, p.quoted.src, p.quoted.dst), 16);
    if (own !== quotedShard) crossing++;
    if (p.src !== p.quoted.dst) pool.add(`${p.family}/${p.src!.toString(16)}`); // from a router, not the server
  }
  assert.ok(errors > 200, `${errors} errors`);
  assert.ok(pool.size <= 4, `routers: ${[...pool].join(' ')}`); // 2 per family
  assert.ok(crossing > errors / 2, `${crossing} of ${errors} errors cross shards`);
  assert.throws(() => [...generateTraffic(d, { seed: 3, routers: 257 })], /routers/);
});

shards.run();
