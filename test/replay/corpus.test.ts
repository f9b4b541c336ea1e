// Every capture of ../shared/corpus/pcap replays without error, or with the
// reader's error (the damaged ones), under a topology that owns some of its
// addresses; the WASM engine on two workers writes exactly the reference
// engine's decisions.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatAddress } from '../../src/model/address.js';
import { decodeCapture } from '../../src/pcap/packets.js';
import { replay } from '../../src/replay/replay.js';
import { corpusDir, skipNoCorpus } from '../helpers/corpus.js';
import { topology as parsed } from '../helpers/scenario.js';
import type { NativeTopology } from '../../src/parse/native.js';

const corpus = suite('replay: corpus captures');
const dir = mkdtempSync(join(tmpdir(), 'sgf-corpus-'));

/** A topology whose two interfaces own the first addresses seen in the capture (one each side). */
function topologyFor(bytes: Uint8Array): NativeTopology | null {
  const { packets } = decodeCapture(bytes);
  const seen: string[] = [];
  for (const p of packets) {
    const r = p.record;
    if (r.reason || r.family === undefined) continue;
    for (const a of [r.src!, r.dst!]) {
      const text = formatAddress(r.family, a);
      if (!seen.includes(text)) seen.push(text);
    }
    if (seen.length >= 4) break;
  }
  if (seen.length === 0) return null;
  const ifaces = [seen.filter((_, i) => i % 2 === 0), seen.filter((_, i) => i % 2 === 1)].filter((ips) => ips.length > 0);
  return {
    cloud: 'aliyun',
    securityGroups: [
      { id: 'sg-a', innerAccessPolicy: 'drop', rules: [
        { id: 'in-tcp', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '1-1024' },
        { id: 'in-icmp', direction: 'ingress', action: 'allow', priority: 2, protocol: 'icmp' },
        { id: 'out-deny-udp', direction: 'egress', action: 'deny', priority: 1, protocol: 'udp', ports: '53' },
      ] },
      { id: 'sg-b', rules: [{ id: 'in-udp', direction: 'ingress', action: 'allow', priority: 5, protocol: 'udp' }] },
    ],
    interfaces: ifaces.map((ips, i) => ({ id: `eni-${i}`, ips, groups: i === 0 ? ['sg-a'] : ['sg-b', 'sg-a'] })),
  };
}

corpus('each capture: WASM (2 workers) == reference, errors as the reader reports them', async () => {
  const root = corpusDir();
  if (!root) return skipNoCorpus('replay corpus');
  const files = readdirSync(join(root, 'pcap')).filter((f) => /\.pcap(ng)?$/.test(f)).sort();
  assert.ok(files.length >= 10);
  let judged = 0;
  for (const f of files) {
    const path = join(root, 'pcap', f);
    const bytes = readFileSync(path);
    const expectedError = decodeCapture(bytes, path).summary.error?.code;
    const doc = topologyFor(bytes) ?? { cloud: 'generic', securityGroups: [{ id: 'sg', rules: [] }], interfaces: [{ id: 'eni', ips: ['192.0.2.1'], groups: ['sg'] }] };
    const t = parsed(doc);
    const refOut = join(dir, `${f}.ref.jsonl`);
    const wasmOut = join(dir, `${f}.wasm.jsonl`);
    const ref = await replay(t, path, { engine: 'reference', decisionsPath: refOut });
    const wasm = await replay(t, path, { workers: 2, decisionsPath: wasmOut });
    assert.is(ref.error?.code, expectedError, `${f}: reference replay error`);
    assert.is(wasm.error?.code, expectedError, `${f}: WASM replay error`);
    assert.is(wasm.packets, ref.packets, f);
    assert.ok(readFileSync(wasmOut, 'utf8') === readFileSync(refOut, 'utf8'), `${f}: decisions differ`);
    judged += ref.packets;
  }
  assert.ok(judged > 1000, `judged ${judged} corpus packets`);
});

corpus.run();
