/**
 * The WASM classic-pcap record walk (assembly/decode.ts scanPcap) called
 * directly: it must take exactly the records its contract names — the
 * longest run from `pos` of records whose 16-byte header and data are in
 * the window, with caplen ≤ 262144, caplen ≤ len, caplen ≤ snaplen (when
 * snaplen is not 0) and a timestamp fraction below the file's limit, at
 * most `cap - n` of them — and write each one's descriptor (dataOff, caplen,
 * len, interface 0, the two timestamp words), in either byte order. A walk
 * that takes less only costs time (the host scanner handles what it stops
 * at), so the end-to-end differential tests cannot see it; this one does.
 * The expectations are computed here from the contract, not by the code.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WasmInstance } from '../../src/wasm/loader.js';
import { DESC } from '../../src/pcap/scanner.js';

const inst = new WasmInstance('release');
const dbg = new WasmInstance('debug');

interface Rec { sec: number; frac: number; caplen: number; len: number }

/** A classic pcap record stream (no file header) of `recs`, in the given byte order. */
function records(recs: Rec[], big: boolean): Uint8Array {
  const size = recs.reduce((s, r) => s + 16 + r.caplen, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let at = 0;
  for (const r of recs) {
    dv.setUint32(at, r.sec, !big);
    dv.setUint32(at + 4, r.frac, !big);
    dv.setUint32(at + 8, r.caplen, !big);
    dv.setUint32(at + 12, r.len, !big);
    for (let i = 0; i < r.caplen; i++) out[at + 16 + i] = (i * 7 + r.caplen) & 0xff;
    at += 16 + r.caplen;
  }
  return out;
}

/** The contract: how many records from the start the walk takes, and the descriptors it writes. */
function expected(recs: Rec[], windowEnd: number, fracLimit: number, snaplen: number, room: number): { n: number; pos: number; desc: number[] } {
  let pos = 0;
  const desc: number[] = [];
  let n = 0;
  for (const r of recs) {
    if (n === room) break;
    if (windowEnd - pos < 16) break;
    if (r.caplen > 262144 || r.caplen > r.len || (snaplen !== 0 && r.caplen > snaplen) || r.frac >= fracLimit) break;
    if (windowEnd - pos - 16 < r.caplen) break;
    desc.push(pos + 16, r.caplen, r.len, 0, r.sec, r.frac);
    n++;
    pos += 16 + r.caplen;
  }
  return { n, pos, desc };
}

function walk(w: WasmInstance, bytes: Uint8Array, end: number, big: boolean, fracLimit: number, snaplen: number, n0: number, cap: number): { n: number; pos: number; desc: number[] } {
  const mark = w.mark();
  try {
    const base = w.copyIn(bytes.length ? bytes : new Uint8Array(1));
    const descPtr = w.alloc(cap * DESC.BYTES, 64);
    const e = w.exports;
    const n = e.scanPcap(base, 0, end, big ? 1 : 0, fracLimit, snaplen, descPtr, n0, cap);
    const pos = e.scanPcapPos();
    const words = new Uint32Array(w.memory.buffer, descPtr + n0 * DESC.BYTES, (n - n0) * DESC.WORDS);
    return { n: n - n0, pos, desc: [...words] };
  } finally {
    w.reset(mark);
  }
}

const ok = (i: number, caplen = 60 + (i % 5) * 13): Rec => ({ sec: 1_700_000_000 + i, frac: (i * 37_123) % 1_000_000, caplen, len: caplen + (i % 3) });

/** Cases: a list of records and the window/limits to walk them with. */
const CASES: { name: string; recs: Rec[]; cut?: number; fracLimit?: number; snaplen?: number; n0?: number; cap?: number }[] = [
  { name: 'all good', recs: Array.from({ length: 40 }, (_, i) => ok(i)) },
  { name: 'empty window', recs: [] },
  { name: 'caplen above snaplen stops', recs: [ok(0), ok(1), { ...ok(2), caplen: 200, len: 200 }, ok(3)], snaplen: 150 },
  { name: 'snaplen 0: no snaplen limit', recs: [ok(0), { ...ok(1), caplen: 3000, len: 3000 }, ok(2)], snaplen: 0 },
  { name: 'snaplen above 262144: the 262144 limit', recs: [ok(0), { ...ok(1), caplen: 262145, len: 262145 }, ok(2)], snaplen: 300000 },
  { name: 'caplen 262144 taken', recs: [{ ...ok(0), caplen: 262144, len: 262144 }, ok(1)], snaplen: 0 },
  { name: 'caplen equal to snaplen taken', recs: [{ ...ok(0), caplen: 150, len: 150 }, ok(1)], snaplen: 150 },
  { name: 'caplen above len stops', recs: [ok(0), { ...ok(1), caplen: 90, len: 89 }, ok(2)] },
  { name: 'fraction at the limit stops (µs)', recs: [ok(0), { ...ok(1), frac: 1_000_000 }, ok(2)], fracLimit: 1_000_000 },
  { name: 'fraction below the limit taken (ns)', recs: [ok(0), { ...ok(1), frac: 999_999_999 }, ok(2)], fracLimit: 1_000_000_000 },
  { name: 'record data cut by the window', recs: [ok(0), ok(1), ok(2)], cut: -5 },
  { name: 'record header cut by the window', recs: [ok(0), ok(1), ok(2)], cut: -(16 + ok(2).caplen) + 10 },
  { name: 'batch room: n0 and cap', recs: Array.from({ length: 20 }, (_, i) => ok(i)), n0: 3, cap: 10 },
  { name: 'batch already full', recs: [ok(0), ok(1)], n0: 8, cap: 8 },
  { name: 'zero-length records', recs: [{ ...ok(0), caplen: 0, len: 0 }, { ...ok(1), caplen: 0, len: 60 }, ok(2)] },
];

for (const w of [inst, dbg]) {
  test(`scanPcap (${w === inst ? 'release' : 'debug'}) takes exactly the records its contract names, both byte orders`, () => {
    for (const c of CASES) {
      for (const big of [false, true]) {
        const bytes = records(c.recs, big);
        const end = c.cut !== undefined ? bytes.length + c.cut : bytes.length;
        const fracLimit = c.fracLimit ?? 1_000_000;
        const snaplen = c.snaplen ?? 65535;
        const n0 = c.n0 ?? 0;
        const cap = c.cap ?? 64;
        const want = expected(c.recs, end, fracLimit, snaplen, cap - n0);
        const got = walk(w, bytes, end, big, fracLimit, snaplen, n0, cap);
        const what = `${c.name} (${big ? 'big' : 'little'}-endian)`;
        assert.is(got.n, want.n, `${what}: records taken`);
        assert.is(got.pos, want.pos, `${what}: position reached`);
        assert.equal(got.desc, want.desc, `${what}: descriptors`);
      }
    }
  });
}

test.run();
