// The address map's probe past the first slot (assembly/addrmap.ts): with
// 1,500 managed addresses the map (sized 4x, linear probing) has addresses
// that do not sit in their first slot, so an owner lookup that stopped there
// would call them unmanaged (SEMANTICS §2: allowed without a hop) where the
// reference evaluator judges them at their interface (here, Alibaba basic's
// ingress default deny). Both lookups are covered: the IPv4 one of the
// pre-pass (addrOwner4) and the general one (IPv6, addrOwnerOf).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTopology } from '../../src/parse/load.js';
import { ethIp, ipv4, ipv6, tcp } from '../../src/pcap/build.js';
import { PcapWriter } from '../../src/pcap/writer.js';
import { replay } from '../../src/replay/replay.js';

const test = suite('replay: address map probes past the first slot');

const N = 500;
// Addresses spread over 10.0.0.0/8 and 2001:db8::/64 by a fixed LCG: sequential ones fill a
// multiplicative hash's slots without a single collision, and then no lookup probes past its first slot.
const spread: number[] = [];
{
  let x = 12345;
  const seen = new Set<number>();
  while (spread.length < 3 * N) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const v = (x >>> 8) & 0xffffff;
    if (v !== 0 && !seen.has(v)) {
      seen.add(v);
      spread.push(v);
    }
  }
}
const v4 = (i: number, k: number) => {
  const v = spread[2 * i + k - 1]!;
  return `10.${v >> 16}.${(v >> 8) & 255}.${v & 255}`;
};
const v6 = (i: number) => `2001:db8::${(spread[2 * N + i]! >> 12).toString(16)}:${(spread[2 * N + i]! & 0xfff).toString(16)}`;

test('1,500 managed addresses: every one owned, as the reference evaluator decides', async () => {
  const loaded = loadTopology({
    cloud: 'aliyun',
    securityGroups: [{ id: 'sg-a', type: 'basic', rules: [{ id: 'ssh', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '22', remote: '192.0.2.0/24' }] }],
    interfaces: Array.from({ length: N }, (_, i) => ({ id: `eni-${i}`, ips: [v4(i, 1), v4(i, 2), v6(i)], groups: ['sg-a'] })),
  });
  assert.ok(loaded.topology, JSON.stringify(loaded.issues?.slice(0, 3)));
  const w = new PcapWriter();
  let t = 0;
  // From outside to every address: port 80 has no rule (ingress default deny), port 22 is allowed.
  for (let i = 0; i < N; i++) {
    for (const dst of [v4(i, 1), v4(i, 2)]) {
      w.addParts(1, t++, ethIp(ipv4({ src: '192.0.2.7', dst, proto: 6 }, tcp({ sport: 40000, dport: 80, flags: 0x02 }))));
      w.addParts(1, t++, ethIp(ipv4({ src: '192.0.2.7', dst, proto: 6 }, tcp({ sport: 40001, dport: 22, flags: 0x02 }))));
    }
    w.addParts(1, t++, ethIp(ipv6({ src: '2001:db8:ffff::7', dst: v6(i), next: 6 }, tcp({ sport: 40000, dport: 80, flags: 0x02 }))));
  }
  const dir = mkdtempSync(join(tmpdir(), 'sgf-addrmap-'));
  const pcap = join(dir, 'many.pcap');
  writeFileSync(pcap, w.finish());
  // Worked out from the rules: 2N IPv4 port-80 and N IPv6 packets denied, 2N port-22 allowed; none unmanaged.
  const want = { allow: 2 * N, deny: 3 * N };
  const ref = await replay(loaded.topology!, pcap, { engine: 'reference' });
  assert.equal(ref.verdicts, want, 'reference');
  for (const workers of [0, 1]) {
    const r = await replay(loaded.topology!, pcap, { workers });
    assert.equal(r.verdicts, want, `wasm, ${workers} workers`);
    assert.equal(r.reasons, ref.reasons, `wasm, ${workers} workers: reasons`);
  }
});

test.run();
