// judgeTuple's fast path (src/replay/tuple.ts fastTupleRecord: the common
// tuples read per protocol) against the full check it falls back to
// (writeTupleRecordChecked, every field read, every error named): for any
// tuple — valid or not, of any shape, addresses as text, numbers or bigints —
// writeTupleRecord writes the same record bytes as the full check, or throws
// the same TupleError (field and message). Each tuple is written twice, so
// that text addresses are cached the second time (the fast path takes only
// cached text). The judging itself is checked against the reference in
// library.test.ts (every tuple mode).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { REC } from '../../src/wasm/layout.js';
import { fastTupleRecord, TupleError, writeTupleRecord, writeTupleRecordChecked, type PacketTuple } from '../../src/replay/tuple.js';
import { propertyRuns } from '../helpers/fuzz.js';

const t = suite('judgeTuple fast path == its full check');

type Outcome = { bytes: number[] } | { field: string; message: string } | { other: string };

/** The record a writer makes of `tuple` on a zeroed record (at a non-zero offset), or its error. */
function outcome(write: (dv: DataView, at: number, t: PacketTuple) => void, tuple: unknown): Outcome {
  const buf = new Uint8Array(REC.SIZE + 64);
  const at = 32;
  try {
    write(new DataView(buf.buffer), at, tuple as PacketTuple);
  } catch (e) {
    if (e instanceof TupleError) return { field: e.field, message: e.message };
    return { other: String(e) };
  }
  assert.ok(buf.subarray(0, at).every((b) => b === 0) && buf.subarray(at + REC.SIZE).every((b) => b === 0), 'nothing written outside the record');
  return { bytes: [...buf.subarray(at, at + REC.SIZE)] };
}

const js = (v: unknown) => JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x === undefined ? '(undefined)' : x));

/** Values a field may be given: good ones of every kind, and bad ones. */
const anyValue = fc.oneof(
  fc.integer({ min: -2, max: 70000 }),
  fc.constantFrom(0, 1, 6, 17, 8, 3, 128, 255, 256, 65535, 65536, 1.5, -0, NaN, 2 ** 32, 2 ** 32 - 1, 0x80000000),
  fc.constantFrom('tcp', 'udp', 'icmp', 'icmpv6', 'TCP', 'Udp', 'sctp', '', '80'),
  fc.constantFrom(true, false, null, undefined),
  fc.constantFrom(0n, 1n, -1n, (1n << 128n) - 1n, 1n << 128n, 0x20010db8n << 96n),
);
const addr = fc.oneof(
  fc.constantFrom('10.1.1.10', '198.51.100.7', '2001:db8::10', '::1', '01.2.3.4', '1.2.3', 'nope', '::ffff:1.2.3.4'),
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.constantFrom(-1, 1.5, 2 ** 32),
  fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
  fc.constantFrom(-1n, 1n << 128n),
);
const proto = fc.oneof(fc.constantFrom<unknown>('tcp', 'udp', 'icmp', 'icmpv6', 'TCP', 6, 17, 1, 58, 47, 132, 0, 255, 256, -1, 'gre', null));
const port = fc.oneof(fc.integer({ min: 0, max: 65535 }), anyValue);
const small = fc.oneof(fc.integer({ min: 0, max: 255 }), anyValue);

const quotedArb = fc.record(
  { proto, src: addr, dst: addr, sport: port, dport: port, icmpType: small, icmpId: port, color: anyValue },
  { requiredKeys: ['proto', 'src', 'dst'] },
);

/** Tuples of every shape: mostly plausible ones (each optional field present or not), some with stray or bad fields. */
const tupleArb = fc.oneof(
  fc.record(
    { proto, src: addr, dst: addr, sport: port, dport: port, tcpFlags: small },
    { requiredKeys: ['proto', 'src', 'dst'] },
  ),
  fc.record(
    { proto, src: addr, dst: addr, icmpType: fc.oneof(fc.constantFrom(0, 8, 3, 11, 128, 129, 1, 4, 5), small), icmpCode: small, icmpId: port, quoted: fc.oneof(quotedArb, anyValue) },
    { requiredKeys: ['proto', 'src', 'dst'] },
  ),
  fc.record(
    {
      proto, src: addr, dst: addr, sport: port, dport: port, tcpFlags: small, icmpType: small, icmpCode: small, icmpId: port,
      fragOffset: fc.oneof(fc.constantFrom(0, 8, 16, 12, 65528, 65536), anyValue), moreFragments: fc.oneof(fc.boolean(), anyValue), fragId: port, quoted: quotedArb, color: anyValue,
    },
    { requiredKeys: ['proto', 'src', 'dst'] },
  ),
  anyValue,
);

t('any tuple: the same record bytes or the same TupleError as the full check, text addresses cached or not', () => {
  fc.assert(
    fc.property(tupleArb, (tuple) => {
      const want = outcome(writeTupleRecordChecked, tuple);
      assert.equal(outcome(writeTupleRecord, tuple), want, `${js(tuple)} (first: text addresses maybe not cached)`);
      assert.equal(outcome(writeTupleRecord, tuple), want, `${js(tuple)} (again: text addresses cached)`);
    }),
    propertyRuns(3000),
  );
});

t('the common tuples take the fast path (fastTupleRecord writes them), with the full check\'s bytes; a stray field it leaves', () => {
  const common: PacketTuple[] = [
    { proto: 'tcp', src: 0xc6336407, dst: 0x0a01010a, sport: 40000, dport: 443, tcpFlags: 0x02 },
    { proto: 6, src: 0xc6336407, dst: 0x0a01010a, sport: 40000, dport: 443 },
    { proto: 'tcp', src: '198.51.100.7', dst: '10.1.1.10', sport: 40000, dport: 443 },
    { proto: 'udp', src: 0x20010db8n << 96n, dst: (0x20010db8n << 96n) | 0x10n, sport: 5353, dport: 53 },
    { proto: 'icmp', src: 0xc0000201, dst: 0x0a01010a, icmpType: 8, icmpCode: 0, icmpId: 77 },
    { proto: 'icmp', src: 0xc0000201, dst: 0x0a01010a, icmpType: 3, icmpCode: 4, quoted: { proto: 'udp', src: 0x0a01010a, dst: 0x08080808, sport: 3333, dport: 53 } },
    { proto: 'icmpv6', src: 1n, dst: 2n, icmpType: 128, icmpId: 1 },
    { proto: 47, src: 0xc0000201, dst: 0x0a01010a },
    { proto: 1, src: 1n, dst: 2n }, // protocol 1 with IPv6 addresses: not ICMP there, another protocol
  ];
  for (const tuple of common) {
    const want = outcome(writeTupleRecordChecked, tuple); // (caches the text addresses)
    assert.ok('bytes' in want, js(tuple));
    const buf = new Uint8Array(REC.SIZE);
    assert.ok(fastTupleRecord(new DataView(buf.buffer), 0, tuple), `taken: ${js(tuple)}`);
    assert.equal([...buf], (want as { bytes: number[] }).bytes, js(tuple));
  }
  const stray = { ...common[0]!, color: 'red' } as unknown as PacketTuple;
  assert.not.ok(fastTupleRecord(new DataView(new ArrayBuffer(REC.SIZE)), 0, stray));
  assert.throws(() => writeTupleRecord(new DataView(new ArrayBuffer(REC.SIZE)), 0, stray), (e: unknown) => e instanceof TupleError && e.field === 'color');
});

t.run();
