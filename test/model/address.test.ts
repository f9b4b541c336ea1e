import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cidrContains, formatAddress, parseAddress, parseCidr } from '../../src/model/address.js';

test('IPv4 CIDR parse and containment', () => {
  const r = parseCidr('10.0.1.0/24');
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.is(r.hostBitsSet, false);
  assert.ok(cidrContains(r.cidr, 4, parseAddress('10.0.1.200')!.value));
  assert.not.ok(cidrContains(r.cidr, 4, parseAddress('10.0.2.1')!.value));
  assert.not.ok(cidrContains(r.cidr, 6, parseAddress('::a00:101')!.value));
});

test('host bits are reported, not silently masked', () => {
  const r = parseCidr('10.0.1.7/24');
  assert.ok(r.ok && r.hostBitsSet);
});

test('bare address means /32 and /128', () => {
  const a = parseCidr('192.0.2.1');
  const b = parseCidr('2001:db8::1');
  assert.ok(a.ok && a.cidr.prefix === 32);
  assert.ok(b.ok && b.cidr.prefix === 128 && b.cidr.family === 6);
});

test('legacy IPv4 forms are not addresses', () => {
  assert.is(parseAddress('10.1'), null);
  assert.is(parseAddress('0x0a000001'), null);
  assert.is(parseAddress('10.0.0.256'), null);
});

test('IPv6 formatting is RFC 5952', () => {
  assert.is(formatAddress(6, parseAddress('2001:0db8:0000:0000:0000:0000:0000:0001')!.value), '2001:db8::1');
  assert.is(formatAddress(4, parseAddress('203.0.113.7')!.value), '203.0.113.7');
});

test('prefix length out of range', () => {
  const r = parseCidr('10.0.0.0/33');
  assert.ok(!r.ok && r.expected === 'an IPv4 CIDR block (prefix length 0-32)');
});

test.run();
