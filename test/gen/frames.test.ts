/**
 * The generator's one-allocation frame encoder writes exactly what the
 * readable builders of src/pcap/build.ts write, for random headers of every
 * shape the generator uses (VLAN tags, IPv4/IPv6, fragments, TCP/UDP/ICMP/raw).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { ethIp, icmp, ipv4, ipv6, tcp, udp } from '../../src/pcap/build.js';
import { addressBytes, encodeFrame, type L3, type L4 } from '../../src/gen/frames.js';
import { propertyRuns } from '../helpers/fuzz.js';

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const payload = fc.uint8Array({ maxLength: 64 });

const l4Arb: fc.Arbitrary<L4> = fc.oneof(
  fc.record({ kind: fc.constant('tcp' as const), sport: u16, dport: u16, flags: fc.integer({ min: 0, max: 255 }), seq: u32, ack: u32, payload }),
  fc.record({ kind: fc.constant('udp' as const), sport: u16, dport: u16, payload }),
  fc.record({ kind: fc.constant('icmp' as const), type: fc.integer({ min: 0, max: 255 }), code: fc.integer({ min: 0, max: 255 }), id: u16, seq: u16, payload }),
  fc.record({ kind: fc.constant('raw' as const), payload }),
);

const caseArb = fc.record({
  family: fc.constantFrom(4 as const, 6 as const),
  src: fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
  dst: fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
  proto: fc.integer({ min: 0, max: 255 }),
  id: u16,
  frag: fc.option(fc.record({ offset: fc.integer({ min: 0, max: 8000 }).map((x) => x * 8), more: fc.boolean(), id: u32 }), { nil: undefined }),
  vlans: fc.option(fc.array(fc.tuple(fc.constantFrom(0x8100, 0x88a8), fc.integer({ min: 0, max: 4095 })), { minLength: 1, maxLength: 2 }), { nil: undefined }),
  l4: l4Arb,
});

test('encodeFrame equals the builders byte for byte', () => {
  fc.assert(fc.property(caseArb, (c) => {
    const mask = c.family === 4 ? 0xffffffffn : (1n << 128n) - 1n;
    const src = c.src & mask;
    const dst = c.dst & mask;
    // Offsets up to 64000 fit both headers' 13-bit fields; IPv4 ids are 16 bits.
    const frag = c.frag && c.family === 4 ? { ...c.frag, id: c.frag.id & 0xffff } : c.frag;
    const l4 = c.l4;
    const body = l4.kind === 'tcp' ? tcp({ sport: l4.sport, dport: l4.dport, flags: l4.flags, seq: l4.seq, ack: l4.ack }, l4.payload)
      : l4.kind === 'udp' ? udp({ sport: l4.sport, dport: l4.dport }, l4.payload)
      : l4.kind === 'icmp' ? icmp({ type: l4.type, code: l4.code, id: l4.id, seq: l4.seq }, l4.payload)
      : l4.payload;
    const ip = c.family === 4
      ? ipv4(frag ? { src, dst, proto: c.proto, id: frag.id, mf: frag.more, fragOffset: frag.offset } : { src, dst, proto: c.proto, id: c.id }, body)
      : ipv6(frag ? { src, dst, next: c.proto, extensions: [{ type: 'fragment', offset: frag.offset, more: frag.more, id: frag.id }] } : { src, dst, next: c.proto }, body);
    const want = ethIp(ip, c.vlans);
    const l3: L3 = { family: c.family, src: addressBytes(c.family, src), dst: addressBytes(c.family, dst), proto: c.proto, id: c.id };
    if (frag) l3.frag = frag;
    if (c.vlans) l3.vlans = c.vlans;
    assert.equal(encodeFrame(l3, l4), want);
  }), propertyRuns(400));
});

test.run();
