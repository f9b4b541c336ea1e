// The symmetric flow hash (src/model/shard.ts). Expected values were computed
// with an independent FNV-1a implementation (Python) over the documented
// 34-byte input: family, protocol, smaller address, larger address (16 bytes each).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { flowHash, shardOf } from '../../src/model/shard.js';
import { parseAddress } from '../../src/model/address.js';
import { parsePacketSpec } from '../../src/model/packet-spec.js';

const A = (s: string) => parseAddress(s)!.value;

test('FNV-1a over the documented bytes', () => {
  assert.is(flowHash(4, 17, A('10.0.0.1'), A('192.0.2.9')), 0x126d6362);
  assert.is(flowHash(4, 17, A('10.0.0.1'), A('192.0.2.10')), 0x116d61cf);
  assert.is(flowHash(6, 6, A('2001:db8::1'), A('2001:db8::2')), 0x931fc0b4);
});

test('symmetric: both directions hash alike', () => {
  assert.is(flowHash(4, 17, A('192.0.2.9'), A('10.0.0.1')), flowHash(4, 17, A('10.0.0.1'), A('192.0.2.9')));
});

test("an ICMP error goes to the shard of the flow it quotes; fragments to their datagram's first fragment", () => {
  const flow = parsePacketSpec('udp 10.0.0.1:4000 -> 192.0.2.9:53');
  const error = parsePacketSpec('icmp 198.51.100.1 -> 10.0.0.1 type 3 code 3 quoting udp 10.0.0.1:4000 -> 192.0.2.9:53');
  const frag = parsePacketSpec('udp 192.0.2.9:53 -> 10.0.0.1:4000 fragoffset 1480 fragid 3');
  assert.is(shardOf(flow, 16), 2);
  assert.is(shardOf(error, 16), 2);
  assert.is(shardOf(frag, 16), 2);
  assert.is(shardOf(parsePacketSpec('icmp 10.0.0.1 -> 192.0.2.9 type 8 code 0'), 16), 0x1924c12 % 16);
});

test.run();
