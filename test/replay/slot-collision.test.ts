// Two IPv4 flows whose conntrack entries share a slot hash, the ports and
// the lo address, and differ only in the hi address: the judging loop's walk
// (judgeSaved) finds the first flow's entry by its tag and hash, and only the
// key compare (ctMatchesSaved: ports, protocol and shard, then the IPv4
// address pair as one u64) tells it is another flow's. Generated
// traffic never makes such a pair (31 bits of hash, the same ports), so the
// compare of the hi address is tested here: a reply-looking packet of the
// second flow must be judged by the rules (denied), not as the first flow's
// established reply. Expected: the reference engine's decisions.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replay } from '../../src/replay/replay.js';
import { flowHash } from '../../src/model/shard.js';
import { PROTO, TCP_FLAG } from '../../src/model/packet.js';
import { concat, ethIp, ipv4, tcp } from '../../src/pcap/build.js';
import type { NativeTopology } from '../../src/parse/native.js';
import { topology as parsed } from '../helpers/scenario.js';

const t = suite('replay: a conntrack slot-hash collision (same lo address and ports, another hi address)');
const dir = mkdtempSync(join(tmpdir(), 'sgf-slot-collision-'));

const doc: NativeTopology = {
  cloud: 'generic',
  securityGroups: [{ id: 'sg', rules: [{ id: 'out', direction: 'egress', action: 'allow', priority: 1, protocol: 'tcp' }] }],
  interfaces: [{ id: 'a', ips: ['10.0.0.1'], groups: ['sg'] }],
};
const M = 0x0a000001n; // 10.0.0.1, the lo endpoint of every flow below (the hi addresses are above it)
const SPORT = 40000;
const DPORT = 443;

/** The murmur3 finalizer (the conntrack slot hash's mix: assembly/hash.ts fmix32). */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The conntrack slot hash of the TCP flow 10.0.0.1:40000 <-> x:443 (assembly/hash.ts flowSlotHash of the shard hash and the canonical ports word). */
function slotHash(x: bigint): number {
  return (fmix32((flowHash(4, PROTO.TCP, M, x) ^ (SPORT | (DPORT << 16))) >>> 0) & ~1) >>> 0;
}

/** Two hi addresses (in 198.18.0.0/15 and up, above M) whose flows' slot hashes are equal. */
function collidingPair(): [bigint, bigint] {
  const seen = new Map<number, bigint>();
  for (let i = 0n; i < 1n << 20n; i++) {
    const x = 0xc6120000n + i;
    const h = slotHash(x);
    const other = seen.get(h);
    if (other !== undefined) return [other, x];
    seen.set(h, x);
  }
  throw new Error('no collision in 2^20 addresses');
}

function pcap(frames: Uint8Array[]): Uint8Array {
  const head = new Uint8Array(24);
  const hv = new DataView(head.buffer);
  hv.setUint32(0, 0xa1b2c3d4, true);
  hv.setUint16(4, 2, true);
  hv.setUint16(6, 4, true);
  hv.setUint32(16, 65535, true);
  hv.setUint32(20, 1, true);
  const parts: Uint8Array[] = [head];
  frames.forEach((f, i) => {
    const r = new Uint8Array(16);
    const rv = new DataView(r.buffer);
    rv.setUint32(0, 1_700_000_000, true);
    rv.setUint32(4, i, true);
    rv.setUint32(8, f.byteLength, true);
    rv.setUint32(12, f.byteLength, true);
    parts.push(r, f);
  });
  return concat(...parts);
}

const ip = (x: bigint): string => [24n, 16n, 8n, 0n].map((s) => String((x >> s) & 0xffn)).join('.');

t('the second flow is judged by the rules, as the reference judges it', async () => {
  const [xa, xb] = collidingPair();
  assert.is(slotHash(xa), slotHash(xb));
  const syn = ethIp(ipv4({ src: '10.0.0.1', dst: ip(xa), proto: PROTO.TCP }, tcp({ sport: SPORT, dport: DPORT, flags: TCP_FLAG.SYN })));
  const replyA = ethIp(ipv4({ src: ip(xa), dst: '10.0.0.1', proto: PROTO.TCP }, tcp({ sport: DPORT, dport: SPORT, flags: TCP_FLAG.SYN | TCP_FLAG.ACK })));
  const replyB = ethIp(ipv4({ src: ip(xb), dst: '10.0.0.1', proto: PROTO.TCP }, tcp({ sport: DPORT, dport: SPORT, flags: TCP_FLAG.SYN | TCP_FLAG.ACK })));
  // Several of each, so that a batch's sub-batch holds hits of both flows after the first packet.
  const frames = [syn, replyA, replyB, replyA, replyB, syn, replyB];
  const file = join(dir, 'collision.pcap');
  writeFileSync(file, pcap(frames));
  const topo = parsed(doc);
  for (const shards of [1, 16]) {
    const refPath = join(dir, `ref-${shards}.jsonl`);
    await replay(topo, file, { engine: 'reference', decisionsPath: refPath, shards });
    const ref = readFileSync(refPath, 'utf8');
    // The reference's own view: flow B's replies are no flow's (denied by default), flow A's are established.
    const lines = ref.trim().split('\n').map((l) => JSON.parse(l) as { verdict: string });
    assert.equal(lines.map((l) => l.verdict), ['allow', 'allow', 'deny', 'allow', 'deny', 'allow', 'deny']);
    for (const workers of shards === 1 ? [0, 1] : [0, 1, 2]) {
      const out = join(dir, `wasm-${shards}-${workers}.jsonl`);
      await replay(topo, file, { workers, decisionsPath: out, shards });
      assert.is(readFileSync(out, 'utf8'), ref, `shards ${shards}, workers ${workers}`);
    }
  }
});

t.after(() => rmSync(dir, { recursive: true, force: true }));
t.run();
