/**
 * Writer -> reader round trips: every frame, length and timestamp reads back
 * exactly; the file streamed to disk equals the one made in memory.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { PcapWriter, PcapngWriter } from '../../src/pcap/writer.js';
import { CaptureReader, CaptureFileReader, frameTime, readAll } from '../../src/pcap/reader.js';
import { propertyRuns } from '../helpers/fuzz.js';

const frameArb = fc.record({
  sec: fc.integer({ min: 0, max: 0xffffffff }),
  nsec: fc.integer({ min: 0, max: 999_999_999 }),
  data: fc.uint8Array({ minLength: 0, maxLength: 200 }),
  extra: fc.integer({ min: 0, max: 1000 }),
});

function readBack(bytes: Uint8Array) {
  const r = new CaptureReader(bytes);
  const out = [];
  for (const f of r) out.push({ ...frameTime(r.interfaces, f.ifaceIndex, f.tsA, f.tsB), data: f.data.slice(), len: f.len, iface: f.iface, linktype: f.linktype });
  assert.is(r.summary.error, undefined);
  assert.is(r.summary.bytesUnread, 0);
  return out;
}

for (const nanos of [false, true]) {
  test(`pcap ${nanos ? 'ns' : 'µs'}: frames, lengths and timestamps read back`, () => {
    fc.assert(fc.property(fc.array(frameArb, { maxLength: 20 }), (frames) => {
      const w = new PcapWriter({ nanos, linktype: 101 });
      for (const f of frames) w.addParts(f.sec, f.nsec, f.data, f.data.length + f.extra);
      const back = readBack(w.finish());
      assert.is(back.length, frames.length);
      back.forEach((b, i) => {
        const f = frames[i]!;
        const nsec = nanos ? f.nsec : Math.floor(f.nsec / 1000) * 1000;
        assert.is(b.ts, BigInt(f.sec) * 1_000_000_000n + BigInt(nsec));
        assert.is(b.tsText, `${f.sec}.${String(nanos ? nsec : nsec / 1000).padStart(nanos ? 9 : 6, '0')}`);
        assert.equal(b.data, f.data);
        assert.is(b.len, f.data.length + f.extra);
        assert.is(b.linktype, 101);
      });
    }), propertyRuns(60));
  });

  test(`pcapng ${nanos ? 'ns' : 'µs'}: frames, interfaces and timestamps read back`, () => {
    fc.assert(fc.property(fc.array(fc.tuple(frameArb, fc.integer({ min: 0, max: 1 })), { maxLength: 20 }), (frames) => {
      const w = new PcapngWriter({ interfaces: [{ linktype: 1, nanos }, { linktype: 113, nanos, name: 'any' }] });
      for (const [f, i] of frames) w.addParts(f.sec, f.nsec, f.data, f.data.length + f.extra, i);
      const back = readBack(w.finish());
      assert.is(back.length, frames.length);
      back.forEach((b, k) => {
        const [f, i] = frames[k]!;
        const nsec = nanos ? f.nsec : Math.floor(f.nsec / 1000) * 1000;
        assert.is(b.ts, BigInt(f.sec) * 1_000_000_000n + BigInt(nsec));
        assert.equal(b.data, f.data);
        assert.is(b.len, f.data.length + f.extra);
        assert.is(b.iface, i);
        assert.is(b.linktype, i === 0 ? 1 : 113);
      });
    }), propertyRuns(60));
  });
}

test('add(tsNs) equals addParts; bad inputs are refused', () => {
  const a = new PcapWriter({ nanos: true }).add(1_700_000_000_123_456_789n, new Uint8Array([1, 2, 3])).finish();
  const b = new PcapWriter({ nanos: true }).addParts(1_700_000_000, 123_456_789, new Uint8Array([1, 2, 3])).finish();
  assert.equal(a, b);
  assert.throws(() => new PcapWriter().add(-1n, new Uint8Array(1)), /negative/);
  assert.throws(() => new PcapWriter().add(0n, new Uint8Array(262145)), /exceeds/);
  assert.throws(() => new PcapngWriter().add(0n, new Uint8Array(1), 1, 3), /no interface/);
});

test('file writers stream the same bytes; the file reader reads them in small chunks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgf-pcap-'));
  try {
    for (const kind of ['pcap', 'pcapng'] as const) {
      const path = join(dir, 'x.' + kind);
      const mem = kind === 'pcap' ? new PcapWriter({ nanos: true }) : new PcapngWriter();
      const file = kind === 'pcap' ? PcapWriter.toFile(path, { nanos: true }) : PcapngWriter.toFile(path);
      // About 3 MiB so that the 1 MiB file buffer flushes several times.
      for (let i = 0; i < 3000; i++) {
        const data = new Uint8Array(1000 + (i % 50)).fill(i & 255);
        mem.addParts(1_000_000 + i, i * 1000, data);
        file.addParts(1_000_000 + i, i * 1000, data);
      }
      const bytes = mem.finish();
      file.finish();
      assert.equal(new Uint8Array(readFileSync(path)), bytes, kind);
      const r = new CaptureFileReader(path, { chunkSize: 65536 });
      let n = 0;
      for await (const f of r) {
        assert.is(f.data.length, 1000 + (n % 50));
        assert.is(f.data[0], n & 255);
        n++;
      }
      assert.is(n, 3000);
      assert.is(r.maxBufferBytes, 65536, 'memory bounded by the chunk size');
      assert.is(readAll(bytes).frames.length, 3000);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
