/**
 * The TS decoder on hand-made frames whose expected records follow
 * SEMANTICS.md §2 (cases.ts), plus frames cut at every length: never an
 * exception, and any cut IP frame is malformed or still well-formed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeFrame } from '../../src/pcap/decode.js';
import { CASES } from './cases.js';

for (const c of CASES) {
  test(c.name, () => {
    const r = decodeFrame(c.linktype, c.frame, 5n);
    assert.equal(r, { ts: 5n, ...c.want });
  });
}

test('every prefix of every case decodes without throwing', () => {
  for (const c of CASES) {
    for (let n = 0; n <= c.frame.length; n++) {
      const r = decodeFrame(c.linktype, c.frame.subarray(0, n), 0n);
      if (r.reason === undefined) assert.ok(r.family === 4 || r.family === 6, c.name);
      else assert.ok(r.reason === 'non-ip' || r.reason === 'malformed', c.name);
    }
  }
});

test('tsText is kept when given', () => {
  assert.equal(decodeFrame(999, new Uint8Array(0), 1_000_000_000n, '1.000000'), { ts: 1_000_000_000n, tsText: '1.000000', reason: 'non-ip' });
});

test.run();
