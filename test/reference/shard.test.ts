// The symmetric flow hash (src/model/shard.ts). Expected values were computed
// with an independent implementation (Python) of the documented function:
// FNV-1a over 32-bit words (family, protocol, smaller address, larger
// address; IPv4 one word, IPv6 four), then the murmur3 finalizer; the shard
// is floor(hash × shards / 2^32).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { flowHash, shardOf } from '../../src/model/shard.js';
import { parseAddress } from '../../src/model/address.js';
import { parsePacketSpec } from '../../src/model/packet-spec.js';

const A = (s: string) => parseAddress(s)!.value;

test('the documented function', () => {
  assert.is(flowHash(4, 17, A('10.0.0.1'), A('192.0.2.9')), 0xf6bf3bcf);
  assert.is(flowHash(4, 17, A('10.0.0.1'), A('192.0.2.10')), 0xddfd31cb);
  assert.is(flowHash(6, 6, A('2001:db8::1'), A('2001:db8::2')), 0xe842ee2d);
});

test('symmetric: both directions hash alike', () => {
  assert.is(flowHash(4, 17, A('192.0.2.9'), A('10.0.0.1')), flowHash(4, 17, A('10.0.0.1'), A('192.0.2.9')));
});

test("an ICMP error goes to the shard of the flow it quotes; fragments to their datagram's first fragment", () => {
  const flow = parsePacketSpec('udp 10.0.0.1:4000 -> 192.0.2.9:53');
  const error = parsePacketSpec('icmp 198.51.100.1 -> 10.0.0.1 type 3 code 3 quoting udp 10.0.0.1:4000 -> 192.0.2.9:53');
  const frag = parsePacketSpec('udp 192.0.2.9:53 -> 10.0.0.1:4000 fragoffset 1480 fragid 3');
  assert.is(shardOf(flow, 16), 15);
  assert.is(shardOf(error, 16), 15);
  assert.is(shardOf(frag, 16), 15);
  assert.is(shardOf(parsePacketSpec('icmp 10.0.0.1 -> 192.0.2.9 type 8 code 0'), 16), 3);
});

test.run();
