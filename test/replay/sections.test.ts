// pcapng files of many sections (valid: sections may be concatenated) name
// more interfaces than the interface tables hold (4096). The scanner forgets
// finished sections when its table is full and renumbers the rest; the WASM
// decoder and engine rewrite their tables then. Every packet is judged, each
// with its own section's linktype and clock, and memory stays bounded.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileTopology } from '../../src/compile/compile.js';
import { decisionLine } from '../../src/model/decision.js';
import { PROTO } from '../../src/model/packet.js';
import { ethIp, ipv4, udp } from '../../src/pcap/build.js';
import { decodeCapture } from '../../src/pcap/packets.js';
import { CaptureReader } from '../../src/pcap/reader.js';
import { MAX_CAPTURE_INTERFACES } from '../../src/pcap/scanner.js';
import { WasmDecoder } from '../../src/pcap/wasm.js';
import { PcapngWriter } from '../../src/pcap/writer.js';
import { REC } from '../../src/pcap/record-layout.js';
import { replayReference, replayWasm } from '../../src/replay/local.js';
import { replay } from '../../src/replay/replay.js';
import { WasmEngine } from '../../src/replay/wasm-engine.js';
import { topology as parsed } from '../helpers/scenario.js';

const t = suite('replay: pcapng with more sections than the interface table holds');
const dir = mkdtempSync(join(tmpdir(), 'sgf-sections-'));

const topology = parsed({
  cloud: 'generic',
  securityGroups: [{ id: 'sg', rules: [
    { id: 'out-udp', direction: 'egress', action: 'allow', priority: 1, protocol: 'udp' },
    { id: 'in-53', direction: 'ingress', action: 'allow', priority: 1, protocol: 'udp', ports: '53' },
  ] }],
  interfaces: [{ id: 'a', ips: ['10.0.0.1'], groups: ['sg'] }, { id: 'b', ips: ['10.0.0.2'], groups: ['sg'] }],
});

const SECTIONS = 5000;
const T0 = 1_700_000_000_000_000_000n;
/** Section s: one interface (Ethernet µs when s is even, raw IPv4 ns when odd), one UDP packet at T0 + s µs + s ns (odd). */
function sections(): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let s = 0; s < SECTIONS; s++) {
    const raw = s % 2 === 1;
    const w = new PcapngWriter({ interfaces: [{ linktype: raw ? 101 : 1, nanos: raw }] });
    const ip = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: PROTO.UDP }, udp({ sport: 1000 + s, dport: s % 3 === 0 ? 53 : 54 }));
    w.add(T0 + BigInt(s) * 1000n + (raw ? BigInt(s % 1000) : 0n), raw ? ip : ethIp(ip));
    parts.push(w.finish());
  }
  return Buffer.concat(parts);
}
const bytes = sections();
const file = join(dir, 'sections.pcapng');
writeFileSync(file, bytes);

t('the reader: every packet with its own section\'s linktype and clock; the table stays bounded', () => {
  const { packets, summary } = decodeCapture(bytes);
  assert.is(summary.error, undefined);
  assert.is(packets.length, SECTIONS);
  packets.forEach((p, s) => {
    assert.is(p.section, s);
    assert.is(p.linktype, s % 2 === 1 ? 101 : 1);
    assert.is(p.record.ts, T0 + BigInt(s) * 1000n + (s % 2 === 1 ? BigInt(s % 1000) : 0n), `packet ${s + 1} timestamp`);
    assert.is(p.record.dport, s % 3 === 0 ? 53 : 54);
  });
  assert.ok(summary.interfaces.length <= MAX_CAPTURE_INTERFACES, `interface table of ${summary.interfaces.length}`);
});

t('replay judges every packet: WASM (in-thread, workers 0 and 2, batch 7) == reference', async () => {
  const ref = [...replayReference(topology, bytes)].map((j) => decisionLine(j.n, j.tsText, j.decision));
  assert.is(ref.length, SECTIONS);
  // Allowed to port 53 only (every third packet); the others are denied at b's ingress.
  assert.is(ref.filter((l) => l.includes('"in-53"')).length, Math.ceil(SECTIONS / 3));
  const wasm = [...replayWasm(new WasmEngine(topology, compileTopology(topology), { batchCapacity: 7 }), bytes)].map((j) => decisionLine(j.n, j.tsText, j.decision));
  assert.ok(wasm.join('\n') === ref.join('\n'), 'in-thread engine, batch 7');
  for (const workers of [0, 2]) {
    const out = join(dir, `w${workers}.jsonl`);
    const r = await replay(topology, file, { workers, decisionsPath: out });
    assert.is(r.error, undefined);
    assert.is(r.packets, SECTIONS);
    assert.ok(readFileSync(out, 'utf8') === ref.join('\n') + '\n', `workers ${workers}`);
  }
});

t('the WASM decoder: the timestamp of every record across the renumbering', () => {
  const dec = new WasmDecoder(undefined, 64);
  const ts: bigint[] = [];
  dec.decodeBuffer(bytes, (dv, count) => {
    for (let i = 0; i < count; i++) ts.push(dv.getBigInt64(i * REC.SIZE + REC.TS, true));
  });
  assert.is(ts.length, SECTIONS);
  ts.forEach((x, s) => assert.is(x, T0 + BigInt(s) * 1000n + (s % 2 === 1 ? BigInt(s % 1000) : 0n), `record ${s + 1}`));
});

t('many sections without packets (IDBs only) keep the table bounded', () => {
  const one = new PcapngWriter({ interfaces: [{ linktype: 1 }] }).finish(); // SHB + IDB
  const n = 20_000;
  const many = new Uint8Array(one.byteLength * n);
  for (let i = 0; i < n; i++) many.set(one, i * one.byteLength);
  const r = new CaptureReader(many);
  let frames = 0;
  for (const _ of r) frames++;
  assert.is(frames, 0);
  assert.is(r.summary.error, undefined);
  assert.ok(r.interfaces.length <= MAX_CAPTURE_INTERFACES, `${r.interfaces.length} interfaces held`);
});

t('one section describing more than the table holds: a clear error at the IDB, packets before it kept', () => {
  const w = new PcapngWriter({ interfaces: Array.from({ length: MAX_CAPTURE_INTERFACES + 1 }, () => ({ linktype: 1 })) });
  const capture = w.finish();
  const { summary } = decodeCapture(capture);
  assert.is(summary.error?.code, 'SGF_PCAPNG_TOO_MANY_INTERFACES');
  assert.match(summary.error!.message, `describes more than ${MAX_CAPTURE_INTERFACES} interfaces`);
  assert.ok(summary.error!.offset > 0);
});

t.run();
