/**
 * Reader + decoders under damage (fast-check): mutated and truncated corpus
 * captures, random bytes behind valid magics. Only PcapErrors escape, every
 * packet decodes without throwing, the reader finishes (no hang), and the
 * whole-buffer and small-chunk streaming readers agree packet for packet.
 * Budget: SGFILTER_FUZZ_SECONDS (default 3; `npm run fuzz` gives 120).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { corpusDir } from '../helpers/corpus.js';
import { decodeCapture } from '../../src/pcap/packets.js';
import { CaptureFileReader } from '../../src/pcap/reader.js';
import { PcapError } from '../../src/pcap/errors.js';
import { PcapWriter, PcapngWriter } from '../../src/pcap/writer.js';
import { CASES } from '../pcap/cases.js';
import { fuzzBudgetMs, propertyRuns } from '../helpers/fuzz.js';

const budgetMs = fuzzBudgetMs(3);

function seeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const corpus = corpusDir();
  if (corpus) {
    const dir = join(corpus, 'pcap');
    for (const f of readdirSync(dir).filter((x) => x !== 'MANIFEST.tsv')) {
      const b = readFileSync(join(dir, f));
      if (b.byteLength <= 8192) out.push(new Uint8Array(b));
    }
  }
  const w = new PcapWriter({ nanos: true });
  const g = new PcapngWriter({ interfaces: [{ linktype: 1 }, { linktype: 101, nanos: true }] });
  CASES.forEach((c, i) => {
    w.addParts(i, i, c.frame);
    g.addParts(i, i, c.frame, c.frame.length, i & 1);
  });
  out.push(w.finish(), g.finish());
  return out;
}

function check(bytes: Uint8Array): void {
  let res;
  try {
    res = decodeCapture(bytes, 'fuzz');
  } catch (e) {
    assert.unreachable(`non-PcapError escaped: ${(e as Error).stack}`);
    return;
  }
  const s = res.summary;
  assert.is(res.packets.length, s.packets);
  assert.ok(s.bytesRead >= 0 && s.bytesRead <= bytes.byteLength);
  assert.is(s.bytesUnread, bytes.byteLength - s.bytesRead);
  if (s.error) {
    assert.ok(s.error instanceof PcapError);
    assert.match(s.error.code, /^SGF_PCAP(NG)?_/);
    assert.ok(s.error.offset >= 0 && s.error.offset <= bytes.byteLength, `offset ${s.error.offset} of ${bytes.byteLength}`);
  } else {
    assert.is(s.bytesUnread, 0);
  }
}

test('mutated, truncated and spliced captures: typed errors only, consistent summaries', () => {
  const base = seeds();
  const mutation = fc.record({
    seed: fc.nat(base.length - 1),
    muts: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
    tail: fc.uint8Array({ maxLength: 64 }),
  });
  const deadline = Date.now() + budgetMs;
  let runs = 0;
  while (Date.now() < deadline) {
    fc.assert(fc.property(mutation, ({ seed, muts, cut, tail }) => {
      const b = base[seed]!.slice();
      for (const [p, v] of muts) if (b.length) b[p % b.length] = v;
      const cutAt = cut === undefined ? b.length : cut % (b.length + 1);
      const bytes = new Uint8Array(cutAt + tail.length);
      bytes.set(b.subarray(0, cutAt));
      bytes.set(tail, cutAt);
      check(bytes);
    }), { numRuns: 200 });
    runs += 200;
  }
  assert.ok(runs >= 200);
});

test('random bytes behind each magic', () => {
  const magics = [[0xd4, 0xc3, 0xb2, 0xa1], [0xa1, 0xb2, 0xc3, 0xd4], [0x4d, 0x3c, 0xb2, 0xa1], [0x0a, 0x0d, 0x0d, 0x0a], [0x34, 0xcd, 0xb2, 0xa1], []];
  fc.assert(fc.property(fc.nat(magics.length - 1), fc.uint8Array({ maxLength: 600 }), (m, rest) => {
    const bytes = new Uint8Array(magics[m]!.length + rest.length);
    bytes.set(magics[m]!);
    bytes.set(rest, magics[m]!.length);
    check(bytes);
  }), propertyRuns(2000));
});

test('huge claimed lengths do not allocate: a 2 GiB pcapng block and a 4 GiB caplen fail at once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgf-fuzz-'));
  try {
    const ng = new PcapngWriter().finish();
    const big = new Uint8Array(ng.length + 12);
    big.set(ng);
    new DataView(big.buffer).setUint32(ng.length, 0x00000bad, true);
    new DataView(big.buffer).setUint32(ng.length + 4, 0x80000000, true);
    const p = join(dir, 'big.pcapng');
    writeFileSync(p, big);
    const r = new CaptureFileReader(p, { chunkSize: 65536 });
    let err: unknown;
    try {
      for await (const _ of r) void _;
    } catch (e) {
      err = e;
    }
    assert.is((err as PcapError).code, 'SGF_PCAPNG_BLOCK_TOO_LARGE');
    assert.is((err as PcapError).offset, ng.length);
    assert.is(r.maxBufferBytes, 65536);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('streaming in 64 KiB chunks equals whole-buffer reading on fuzzed inputs', async () => {
  const base = seeds();
  const dir = mkdtempSync(join(tmpdir(), 'sgf-fuzz-'));
  try {
    const samples = fc.sample(fc.record({ seed: fc.nat(base.length - 1), muts: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), reps: fc.integer({ min: 1, max: 40 }) }), { numRuns: 25, seed: 42 });
    for (const { seed, muts, reps } of samples) {
      // Repeat the body of a capture so that it spans several chunks.
      const one = base[seed]!;
      const bytes = new Uint8Array(one.length * reps);
      for (let i = 0; i < reps; i++) bytes.set(one, i * one.length);
      for (const [p, v] of muts) if (bytes.length) bytes[p % bytes.length] = v;
      const path = join(dir, 'f.cap');
      writeFileSync(path, bytes);
      const whole = decodeCapture(bytes, path);
      const r = new CaptureFileReader(path, { chunkSize: 65536, batchSize: 13 });
      const got: number[] = [];
      let err: PcapError | undefined;
      try {
        for await (const f of r) got.push(f.caplen);
      } catch (e) {
        if (!(e instanceof PcapError)) throw e;
        err = e;
      }
      assert.equal(got, whole.packets.map((p) => p.caplen));
      assert.is(err?.code, whole.summary.error?.code);
      assert.is(err?.offset, whole.summary.error?.offset);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
