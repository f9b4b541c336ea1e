// The WASM capture stream's read window (src/replay/stream.ts): it reads,
// scans and judges STREAM_READ_BYTES of the staging region at a time, not the
// whole region, and widens only for a record larger than the window. Expected:
// the frames of every batch lie inside the window, and the decisions equal the
// reference engine's for any window, a record of the largest caplen (larger
// than the default window with its header) included.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTopology } from '../../src/gen/index.js';
import { compileTopology } from '../../src/compile/compile.js';
import { replay } from '../../src/replay/replay.js';
import { STREAM_READ_BYTES, WasmCaptureStream } from '../../src/replay/stream.js';
import { WasmEngine } from '../../src/replay/wasm-engine.js';
import { topology as parsed } from '../helpers/scenario.js';
import { captureFor } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sgf-read-window-'));
const doc = generateTopology({ seed: 73, cloud: 'aliyun-basic', interfaces: 4, rulesPerGroup: 8 });
const topo = parsed(doc);
const base = captureFor(doc, { seed: 73, flows: 3_000, packetsPerFlow: 4, ipv6Share: 0.2 });
const plain = join(dir, 'plain.pcap');
writeFileSync(plain, base);

/** Records of a classic little-endian pcap, counted by walking their headers. */
function countRecords(bytes: Uint8Array): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let n = 0;
  for (let pos = 24; pos < bytes.byteLength; pos += 16 + dv.getUint32(pos + 8, true)) n++;
  return n;
}
const records = countRecords(base);

/** The capture with a non-IP frame of the largest caplen (262,144 bytes) after its `k`-th record; snaplen raised to match. */
function withJumbo(bytes: Uint8Array, k: number): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 24;
  let prev = pos;
  for (let i = 0; i < k; i++) {
    prev = pos;
    pos += 16 + dv.getUint32(pos + 8, true);
  }
  const caplen = 262_144;
  const rec = new Uint8Array(16 + caplen);
  const rv = new DataView(rec.buffer);
  rec.set(bytes.subarray(prev, prev + 8), 0); // the previous record's timestamp
  rv.setUint32(8, caplen, true);
  rv.setUint32(12, caplen, true);
  rec.fill(0xaa, 16, 28); // MAC addresses
  rv.setUint16(28, 0x88b5); // a local experimental ethertype: not IP
  const out = new Uint8Array(bytes.byteLength + rec.byteLength);
  out.set(bytes.subarray(0, pos), 0);
  out.set(rec, pos);
  out.set(bytes.subarray(pos), pos + rec.byteLength);
  new DataView(out.buffer).setUint32(16, caplen, true); // snaplen
  return out;
}

const suiteW = suite('replay: the stream reads a window of the staging region');

suiteW('the capture is larger than the window, and every batch lies inside it', () => {
  assert.ok(base.byteLength > 3 * STREAM_READ_BYTES, `capture of ${base.byteLength} bytes`);
  const engine = new WasmEngine(topo, compileTopology(topo));
  assert.ok(engine.staging().size > 4 * STREAM_READ_BYTES, 'the staging region is larger than the window');
  const stream = new WasmCaptureStream(engine, plain);
  let packets = 0;
  let furthest = 0;
  for (const { batch, interfaces } of stream.batches()) {
    for (let i = 0; i < batch.count; i++) furthest = Math.max(furthest, batch.dataOff(i) + batch.caplen(i));
    packets += batch.count;
    engine.runPrepared(batch.count, interfaces, engine.allShards);
  }
  assert.ok(records > 10_000, `${records} records`);
  assert.is(packets, records);
  assert.ok(furthest <= STREAM_READ_BYTES, `a frame ends ${furthest} bytes into the staging region`);
});

const jumbo = join(dir, 'jumbo.pcap');
writeFileSync(jumbo, withJumbo(base, 5_000));

// [capture, chunkSize (the read window; undefined: the default), workers]
const cases = [
  [plain, 4096, 0],
  [jumbo, undefined, 0],
  [jumbo, undefined, 2],
  [jumbo, 100_000, 1],
] as const;

suiteW("decisions equal the reference engine's for any read window, a record larger than the window included", async () => {
  const want = new Map<string, string>();
  for (const file of [plain, jumbo]) {
    const refPath = `${file}.ref.jsonl`;
    const ref = await replay(topo, file, { engine: 'reference', decisionsPath: refPath });
    assert.is(ref.packets, file === jumbo ? records + 1 : records);
    want.set(file, readFileSync(refPath, 'utf8'));
  }
  for (const [file, chunkSize, workers] of cases) {
    const out = join(dir, `w${workers}-${chunkSize}.jsonl`);
    const r = await replay(topo, file, { workers, decisionsPath: out, ...(chunkSize !== undefined ? { chunkSize } : {}) });
    assert.is(r.packets, file === jumbo ? records + 1 : records);
    assert.ok(readFileSync(out, 'utf8') === want.get(file), `${file === jumbo ? 'jumbo' : 'plain'}, window ${chunkSize ?? 'default'}, ${workers} workers: decisions differ from the reference engine's`);
  }
});

suiteW.after(() => rmSync(dir, { recursive: true, force: true }));
suiteW.run();
