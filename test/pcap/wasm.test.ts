/**
 * Differential: the WASM decoder (assembly/decode.ts) equals the TS decoder
 * (src/pcap/decode.ts) on every corpus packet, every hand-made case, and on
 * fuzzed frames (fast-check: mutated and truncated case frames, random bytes,
 * random linktypes and timestamp clocks). Budget: SGFILTER_FUZZ_SECONDS
 * (default 3 s here).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { corpusDir, skipNoCorpus } from '../helpers/corpus.js';
import { WasmInstance } from '../../src/wasm/loader.js';
import { WasmDecoder } from '../../src/pcap/wasm.js';
import { recordToPacket, REC, REC_FLAG, REC_QFLAG, IFACE_ENTRY } from '../../src/pcap/record-layout.js';
import { decodeCapture } from '../../src/pcap/packets.js';
import { PcapngWriter } from '../../src/pcap/writer.js';
import { DESC } from '../../src/pcap/scanner.js';
import type { PacketRecord } from '../../src/model/packet.js';
import { CASES } from './cases.js';
import { fuzzBudgetMs } from '../helpers/fuzz.js';

const inst = new WasmInstance('debug');
const dec = new WasmDecoder(inst, 64);
const fuzzMs = fuzzBudgetMs(3);

function wasmRecords(bytes: Uint8Array, file?: string): { recs: PacketRecord[]; meta: { linktype: number; iface: number; caplen: number; len: number }[] } {
  const recs: PacketRecord[] = [];
  const meta: { linktype: number; iface: number; caplen: number; len: number }[] = [];
  try {
    dec.decodeBuffer(bytes, (dv, count) => {
      for (let i = 0; i < count; i++) {
        const o = i * REC.SIZE;
        recs.push(recordToPacket(dv, o));
        meta.push({ linktype: dv.getUint16(o + REC.LINKTYPE, true), iface: dv.getUint16(o + REC.IFACE, true), caplen: dv.getUint32(o + REC.CAPLEN, true), len: dv.getUint32(o + REC.LEN, true) });
      }
    }, file);
  } catch (e) {
    if ((e as Error).name !== 'PcapError') throw e;
  }
  return { recs, meta };
}

function tsRecords(bytes: Uint8Array): PacketRecord[] {
  return decodeCapture(bytes).packets.map((p) => {
    const { tsText: _t, ...r } = p.record;
    return r;
  });
}

test('layout mirrors agree with the module', () => {
  assert.is(inst.exports.DECODE_RECORD_SIZE.value, REC.SIZE);
  assert.is(inst.exports.DECODE_DESC_SIZE.value, DESC.BYTES);
  assert.is(inst.exports.DECODE_IFACE_SIZE.value, IFACE_ENTRY.SIZE);
  // Flags are distinct bits.
  assert.is(Object.values(REC_FLAG).reduce((a, b) => a | b, 0), 0xff);
  assert.is(Object.values(REC_QFLAG).reduce((a, b) => a | b, 0), 0x0f);
});

test('hand-made cases: WASM equals TS', () => {
  const w = new PcapngWriter({ interfaces: [...new Set(CASES.map((c) => c.linktype))].map((linktype) => ({ linktype, nanos: true })) });
  const lts = [...new Set(CASES.map((c) => c.linktype))];
  CASES.forEach((c, i) => w.addParts(1_700_000_000 + i, i * 7, c.frame, c.frame.length, lts.indexOf(c.linktype)));
  const bytes = w.finish();
  const want = tsRecords(bytes);
  const got = wasmRecords(bytes).recs;
  assert.is(got.length, CASES.length);
  CASES.forEach((c, i) => assert.equal(got[i], want[i], c.name));
});

test('every corpus packet: WASM equals TS, with metadata', () => {
  const corpus = corpusDir();
  if (!corpus) return skipNoCorpus('wasm differential (corpus)');
  const dir = join(corpus, 'pcap');
  let n = 0;
  for (const f of readdirSync(dir).filter((x) => x !== 'MANIFEST.tsv')) {
    const bytes = new Uint8Array(readFileSync(join(dir, f)));
    const ts = decodeCapture(bytes, f);
    const w = wasmRecords(bytes, f);
    assert.is(w.recs.length, ts.packets.length, f);
    ts.packets.forEach((p, i) => {
      const { tsText: _t, ...want } = p.record;
      assert.equal(w.recs[i], want, `${f} #${p.n}`);
      const g = ts.summary.interfaces.find((x) => x.section === p.section && x.id === p.iface)!;
      assert.equal(w.meta[i], { linktype: p.linktype, iface: g.index, caplen: p.caplen, len: p.len }, `${f} #${p.n} meta`);
      n++;
    });
  }
  assert.ok(n > 2200, `${n} packets`);
});

test('decodeFile (streamed, staged copies) equals decodeBuffer (in place, WASM pcap walk) on the corpus', async () => {
  const corpus = corpusDir();
  if (!corpus) return skipNoCorpus('wasm decodeFile');
  const dir = join(corpus, 'pcap');
  const small = new WasmDecoder(inst, 5); // tiny batches: many staging copies
  for (const f of readdirSync(dir).filter((x) => x !== 'MANIFEST.tsv')) {
    const path = join(dir, f);
    const whole = wasmRecords(new Uint8Array(readFileSync(path)), f).recs;
    const streamed: PacketRecord[] = [];
    let code: string | undefined;
    try {
      await small.decodeFile(path, (dv, count) => {
        for (let i = 0; i < count; i++) streamed.push(recordToPacket(dv, i * REC.SIZE));
      }, { chunkSize: 65536 });
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    assert.equal(streamed, whole, f);
    assert.is(code, decodeCapture(new Uint8Array(readFileSync(path))).summary.error?.code, f);
  }
});

const LINKTYPES = [0, 1, 101, 108, 113, 228, 229, 276, 147];

test('fuzz: mutated, truncated and random frames decode identically', () => {
  const frameArb = fc.oneof(
    // a case frame with a few bytes overwritten, then cut
    fc.tuple(fc.nat(CASES.length - 1), fc.array(fc.tuple(fc.nat(200), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(300)).map(([ci, muts, cut]) => {
      const c = CASES[ci]!;
      const f = c.frame.slice();
      for (const [pos, v] of muts) if (f.length) f[pos % f.length] = v;
      return { linktype: c.linktype, data: f.subarray(0, Math.min(f.length, cut)) };
    }),
    fc.record({ linktype: fc.constantFrom(...LINKTYPES), data: fc.uint8Array({ maxLength: 120 }) }),
  );
  const clockArb = fc.record({ nanos: fc.boolean() });
  const deadline = Date.now() + fuzzMs;
  let runs = 0;
  while (Date.now() < deadline) {
    fc.assert(fc.property(fc.array(frameArb, { minLength: 1, maxLength: 40 }), clockArb, fc.array(fc.tuple(fc.nat(0xffffffff), fc.nat(999_999_999)), { minLength: 40, maxLength: 40 }), (frames, clock, times) => {
      const w = new PcapngWriter({ interfaces: LINKTYPES.map((linktype) => ({ linktype, nanos: clock.nanos })) });
      frames.forEach((f, i) => w.addParts(times[i]![0], times[i]![1], f.data, f.data.length, LINKTYPES.indexOf(f.linktype)));
      const bytes = w.finish();
      const want = tsRecords(bytes);
      const got = wasmRecords(bytes);
      assert.equal(got.recs, want);
      assert.equal(got.meta.map((m) => [m.linktype, m.caplen]), frames.map((f) => [f.linktype, f.data.length]));
    }), { numRuns: 50 });
    runs += 50;
  }
  assert.ok(runs >= 50);
});

test.run();
