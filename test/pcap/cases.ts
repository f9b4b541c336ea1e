/**
 * Hand-made frames with the record SEMANTICS.md says they decode to. Shared
 * by the TS decoder tests and the WASM differential tests.
 */
import type { PacketRecord } from '../../src/model/packet.js';
import { ethernet, ethIp, icmp, ipv4, ipv6, nullHeader, sll, sll2, tcp, udp, concat } from '../../src/pcap/build.js';

export interface Case {
  name: string;
  linktype: number;
  frame: Uint8Array;
  /** Expected record without ts. */
  want: Omit<PacketRecord, 'ts'>;
}

const A = 0x0a000001n; // 10.0.0.1
const B = 0x0a000002n; // 10.0.0.2
const A6 = 0x20010db8000000000000000000000001n;
const B6 = 0x20010db8000000000000000000000002n;
const pay = (n: number) => new Uint8Array(n).fill(0xab);

export const CASES: Case[] = [
  { name: 'eth ipv4 tcp syn', linktype: 1, frame: ethIp(ipv4({ src: A, dst: B, proto: 6 }, tcp({ sport: 1234, dport: 80, flags: 0x02 }))),
    want: { family: 4, src: A, dst: B, proto: 6, sport: 1234, dport: 80, tcpFlags: 2 } },
  { name: 'eth ipv4 options udp', linktype: 1, frame: ethIp(ipv4({ src: A, dst: B, proto: 17, options: new Uint8Array([1, 1, 1, 0]) }, udp({ sport: 53, dport: 5353 }, pay(10)))),
    want: { family: 4, src: A, dst: B, proto: 17, sport: 53, dport: 5353 } },
  { name: 'qinq + vlan ipv6 udp', linktype: 1, frame: ethIp(ipv6({ src: A6, dst: B6, next: 17 }, udp({ sport: 1, dport: 2 })), [[0x88a8, 10], [0x8100, 20], [0x9100, 30]]),
    want: { family: 6, src: A6, dst: B6, proto: 17, sport: 1, dport: 2 } },
  { name: 'arp is non-ip', linktype: 1, frame: ethernet({ type: 0x0806 }, pay(28)), want: { reason: 'non-ip' } },
  { name: '802.3 length frame is non-ip', linktype: 1, frame: ethernet({ type: 0x0026 }, pay(38)), want: { reason: 'non-ip' } },
  { name: 'short ethernet is non-ip', linktype: 1, frame: pay(13), want: { reason: 'non-ip' } },
  { name: 'vlan tag cut short is non-ip', linktype: 1, frame: ethernet({ type: 0x8100 }, new Uint8Array([0])), want: { reason: 'non-ip' } },
  { name: 'unknown linktype is non-ip', linktype: 147, frame: ipv4({ src: A, dst: B, proto: 6 }, tcp({ sport: 1, dport: 2 })), want: { reason: 'non-ip' } },
  { name: 'ethertype ipv4 carrying version 6 is malformed', linktype: 1, frame: ethernet({ type: 0x0800 }, ipv6({ src: A6, dst: B6, next: 59 })), want: { reason: 'malformed' } },
  { name: 'ipv4 header cut short', linktype: 1, frame: ethernet({ type: 0x0800 }, ipv4({ src: A, dst: B, proto: 6 }).subarray(0, 19)), want: { reason: 'malformed' } },
  { name: 'ihl 4 is malformed', linktype: 101, frame: ipv4({ src: A, dst: B, proto: 17, ihl: 4 }, udp({ sport: 1, dport: 2 })), want: { reason: 'malformed', family: 4, src: A, dst: B } },
  { name: 'ihl past the capture is malformed', linktype: 101, frame: ipv4({ src: A, dst: B, proto: 17, ihl: 15 }, pay(8)), want: { reason: 'malformed', family: 4, src: A, dst: B } },
  { name: 'total length below header is malformed', linktype: 101, frame: ipv4({ src: A, dst: B, proto: 17, totalLength: 12 }, udp({ sport: 1, dport: 2 })), want: { reason: 'malformed', family: 4, src: A, dst: B } },
  { name: 'total length 0 (TSO) is accepted', linktype: 101, frame: ipv4({ src: A, dst: B, proto: 17, totalLength: 0 }, udp({ sport: 1, dport: 2 })), want: { family: 4, src: A, dst: B, proto: 17, sport: 1, dport: 2 } },
  { name: 'tcp header cut short is malformed', linktype: 101, frame: ipv4({ src: A, dst: B, proto: 6 }, tcp({ sport: 1, dport: 2 }).subarray(0, 19)), want: { reason: 'malformed', family: 4, src: A, dst: B } },
  { name: 'tcp data offset 4 is malformed', linktype: 101, frame: ipv4({ src: A, dst: B, proto: 6 }, tcp({ sport: 1, dport: 2, dataOffset: 4 })), want: { reason: 'malformed', family: 4, src: A, dst: B } },
  { name: 'tcp data offset past the ip payload is malformed', linktype: 101, frame: ipv4({ src: A, dst: B, proto: 6 }, tcp({ sport: 1, dport: 2, dataOffset: 6 })), want: { reason: 'malformed', family: 4, src: A, dst: B } },
  { name: 'tcp header beyond ip total length (padding) is malformed', linktype: 1, frame: ethernet({ type: 0x0800 }, concat(ipv4({ src: A, dst: B, proto: 6, totalLength: 30 }), tcp({ sport: 1, dport: 2 }))), want: { reason: 'malformed', family: 4, src: A, dst: B } },
  { name: 'udp cut short is malformed', linktype: 101, frame: ipv4({ src: A, dst: B, proto: 17 }, pay(7)), want: { reason: 'malformed', family: 4, src: A, dst: B } },
  { name: 'icmp cut short is malformed', linktype: 101, frame: ipv4({ src: A, dst: B, proto: 1 }, pay(7)), want: { reason: 'malformed', family: 4, src: A, dst: B } },
  { name: 'first fragment', linktype: 101, frame: ipv4({ src: A, dst: B, proto: 17, id: 777, mf: true }, udp({ sport: 9, dport: 10 }, pay(16))),
    want: { family: 4, src: A, dst: B, proto: 17, sport: 9, dport: 10, fragOffset: 0, moreFragments: true, fragId: 777 } },
  { name: 'non-first fragment has no ports', linktype: 101, frame: ipv4({ src: A, dst: B, proto: 6, id: 777, fragOffset: 1480 }, pay(3)),
    want: { family: 4, src: A, dst: B, proto: 6, fragOffset: 1480, moreFragments: false, fragId: 777 } },
  { name: 'gre is outer only', linktype: 101, frame: ipv4({ src: A, dst: B, proto: 47 }, concat(new Uint8Array([0, 0, 8, 0]), ipv4({ src: B, dst: A, proto: 6 }, tcp({ sport: 1, dport: 2 })))),
    want: { family: 4, src: A, dst: B, proto: 47 } },
  { name: 'ip-in-ip is outer only', linktype: 101, frame: ipv4({ src: A, dst: B, proto: 4 }, ipv4({ src: B, dst: A, proto: 17 }, udp({ sport: 1, dport: 2 }))), want: { family: 4, src: A, dst: B, proto: 4 } },
  { name: '6in4 is outer only', linktype: 101, frame: ipv4({ src: A, dst: B, proto: 41 }, ipv6({ src: A6, dst: B6, next: 17 }, udp({ sport: 1, dport: 2 }))), want: { family: 4, src: A, dst: B, proto: 41 } },
  { name: 'icmp echo request', linktype: 101, frame: ipv4({ src: A, dst: B, proto: 1 }, icmp({ type: 8, id: 4242, seq: 1 }, pay(8))), want: { family: 4, src: A, dst: B, proto: 1, icmpType: 8, icmpCode: 0, icmpId: 4242 } },
  { name: 'icmp port unreachable quoting udp', linktype: 101,
    frame: ipv4({ src: B, dst: A, proto: 1 }, icmp({ type: 3, code: 3 }, ipv4({ src: A, dst: B, proto: 17 }, udp({ sport: 5000, dport: 53 })))),
    want: { family: 4, src: B, dst: A, proto: 1, icmpType: 3, icmpCode: 3, quoted: { family: 4, src: A, dst: B, proto: 17, sport: 5000, dport: 53 } } },
  { name: 'icmp time exceeded, quote too short for ports', linktype: 101,
    frame: ipv4({ src: B, dst: A, proto: 1 }, icmp({ type: 11 }, ipv4({ src: A, dst: B, proto: 6 }, tcp({ sport: 5000, dport: 80 })).subarray(0, 23))),
    want: { family: 4, src: B, dst: A, proto: 1, icmpType: 11, icmpCode: 0, quoted: { family: 4, src: A, dst: B, proto: 6 } } },
  { name: 'icmp error quoting an echo', linktype: 101,
    frame: ipv4({ src: B, dst: A, proto: 1 }, icmp({ type: 3, code: 1 }, ipv4({ src: A, dst: B, proto: 1 }, icmp({ type: 8, id: 99 })))),
    want: { family: 4, src: B, dst: A, proto: 1, icmpType: 3, icmpCode: 1, quoted: { family: 4, src: A, dst: B, proto: 1, icmpType: 8, icmpId: 99 } } },
  { name: 'icmp error with a quote cut inside the ip header', linktype: 101,
    frame: ipv4({ src: B, dst: A, proto: 1 }, icmp({ type: 3 }, ipv4({ src: A, dst: B, proto: 17 }).subarray(0, 12))),
    want: { family: 4, src: B, dst: A, proto: 1, icmpType: 3, icmpCode: 0 } },
  { name: 'icmp error quoting a non-first fragment', linktype: 101,
    frame: ipv4({ src: B, dst: A, proto: 1 }, icmp({ type: 12 }, ipv4({ src: A, dst: B, proto: 17, fragOffset: 8 }, pay(8)))),
    want: { family: 4, src: B, dst: A, proto: 1, icmpType: 12, icmpCode: 0, quoted: { family: 4, src: A, dst: B, proto: 17 } } },
  { name: 'icmp redirect (5) is an error; source quench (4) too', linktype: 101,
    frame: ipv4({ src: B, dst: A, proto: 1 }, icmp({ type: 5 }, ipv4({ src: A, dst: B, proto: 6 }, tcp({ sport: 7, dport: 8 })))),
    want: { family: 4, src: B, dst: A, proto: 1, icmpType: 5, icmpCode: 0, quoted: { family: 4, src: A, dst: B, proto: 6, sport: 7, dport: 8 } } },
  { name: 'icmp over ipv6 (proto 1) is just a protocol', linktype: 101, frame: ipv6({ src: A6, dst: B6, next: 1 }, icmp({ type: 8, id: 5 })), want: { family: 6, src: A6, dst: B6, proto: 1 } },
  { name: 'ipv6 hop-by-hop, routing, dst opts, ah then tcp', linktype: 229,
    frame: ipv6({ src: A6, dst: B6, next: 6, extensions: [{ type: 'hop' }, { type: 'routing', length: 2 }, { type: 'dst' }, { type: 'ah' }] }, tcp({ sport: 443, dport: 5555, flags: 0x12 })),
    want: { family: 6, src: A6, dst: B6, proto: 6, sport: 443, dport: 5555, tcpFlags: 0x12 } },
  { name: 'ipv6 esp ends the walk', linktype: 229, frame: ipv6({ src: A6, dst: B6, next: 50, extensions: [{ type: 'hop' }] }, pay(20)), want: { family: 6, src: A6, dst: B6, proto: 50 } },
  { name: 'ipv6 no-next-header', linktype: 229, frame: ipv6({ src: A6, dst: B6, next: 59 }), want: { family: 6, src: A6, dst: B6, proto: 59 } },
  { name: 'ipv6 extension header cut short is malformed', linktype: 229, frame: ipv6({ src: A6, dst: B6, next: 6, extensions: [{ type: 'dst', length: 3 }] }).subarray(0, 60), want: { reason: 'malformed', family: 6, src: A6, dst: B6 } },
  { name: 'ipv6 first fragment', linktype: 229, frame: ipv6({ src: A6, dst: B6, next: 17, extensions: [{ type: 'fragment', offset: 0, more: true, id: 0xdeadbeef }] }, udp({ sport: 3, dport: 4 }, pay(8))),
    want: { family: 6, src: A6, dst: B6, proto: 17, sport: 3, dport: 4, fragOffset: 0, moreFragments: true, fragId: 0xdeadbeef } },
  { name: 'ipv6 non-first fragment', linktype: 229, frame: ipv6({ src: A6, dst: B6, next: 6, extensions: [{ type: 'fragment', offset: 1232, more: false, id: 7 }] }, pay(16)),
    want: { family: 6, src: A6, dst: B6, proto: 6, fragOffset: 1232, moreFragments: false, fragId: 7 } },
  { name: 'ipv6 header cut short', linktype: 229, frame: ipv6({ src: A6, dst: B6, next: 59 }).subarray(0, 39), want: { reason: 'malformed' } },
  { name: 'linktype ipv6 carrying ipv4 is malformed', linktype: 229, frame: ipv4({ src: A, dst: B, proto: 17 }, udp({ sport: 1, dport: 2 })), want: { reason: 'malformed' } },
  { name: 'linktype ipv4 carrying ipv6 is malformed', linktype: 228, frame: ipv6({ src: A6, dst: B6, next: 59 }), want: { reason: 'malformed' } },
  { name: 'raw with version 5 is malformed', linktype: 101, frame: new Uint8Array([0x50, 0, 0, 20]), want: { reason: 'malformed' } },
  { name: 'raw empty frame is malformed', linktype: 101, frame: new Uint8Array(0), want: { reason: 'malformed' } },
  { name: 'icmpv6 echo reply', linktype: 229, frame: ipv6({ src: A6, dst: B6, next: 58 }, icmp({ type: 129, id: 31337 })), want: { family: 6, src: A6, dst: B6, proto: 58, icmpType: 129, icmpCode: 0, icmpId: 31337 } },
  { name: 'icmpv6 packet too big quoting tcp behind a fragment header', linktype: 229,
    frame: ipv6({ src: B6, dst: A6, next: 58 }, icmp({ type: 2 }, ipv6({ src: A6, dst: B6, next: 6, extensions: [{ type: 'fragment', offset: 0, more: true, id: 1 }] }, tcp({ sport: 40000, dport: 443 })))),
    want: { family: 6, src: B6, dst: A6, proto: 58, icmpType: 2, icmpCode: 0, quoted: { family: 6, src: A6, dst: B6, proto: 6, sport: 40000, dport: 443 } } },
  { name: 'icmpv6 error with quoted ipv4 has no quote', linktype: 229,
    frame: ipv6({ src: B6, dst: A6, next: 58 }, icmp({ type: 1 }, ipv4({ src: A, dst: B, proto: 17 }, udp({ sport: 1, dport: 2 })))),
    want: { family: 6, src: B6, dst: A6, proto: 58, icmpType: 1, icmpCode: 0 } },
  { name: 'icmpv6 neighbour solicitation (135) is not an error', linktype: 229, frame: ipv6({ src: A6, dst: B6, next: 58 }, icmp({ type: 135 }, pay(16))), want: { family: 6, src: A6, dst: B6, proto: 58, icmpType: 135, icmpCode: 0 } },
  { name: 'null header, little-endian AF_INET', linktype: 0, frame: nullHeader(2, ipv4({ src: A, dst: B, proto: 17 }, udp({ sport: 1, dport: 2 }))), want: { family: 4, src: A, dst: B, proto: 17, sport: 1, dport: 2 } },
  { name: 'null header, big-endian AF_INET6 (darwin 30)', linktype: 0, frame: nullHeader(30, ipv6({ src: A6, dst: B6, next: 59 }), true), want: { family: 6, src: A6, dst: B6, proto: 59 } },
  { name: 'loop header AF_INET6 (freebsd 28)', linktype: 108, frame: nullHeader(28, ipv6({ src: A6, dst: B6, next: 59 }), true), want: { family: 6, src: A6, dst: B6, proto: 59 } },
  { name: 'null header, unknown family', linktype: 0, frame: nullHeader(7, pay(20)), want: { reason: 'non-ip' } },
  { name: 'sll ipv4', linktype: 113, frame: sll(0x0800, ipv4({ src: A, dst: B, proto: 6 }, tcp({ sport: 22, dport: 50000, flags: 0x10 }))), want: { family: 4, src: A, dst: B, proto: 6, sport: 22, dport: 50000, tcpFlags: 0x10 } },
  { name: 'sll with in-band vlan', linktype: 113, frame: sll(0x8100, concat(new Uint8Array([0, 5, 0x86, 0xdd]), ipv6({ src: A6, dst: B6, next: 59 }))), want: { family: 6, src: A6, dst: B6, proto: 59 } },
  { name: 'sll2 ipv6', linktype: 276, frame: sll2(0x86dd, ipv6({ src: A6, dst: B6, next: 17 }, udp({ sport: 5, dport: 6 }))), want: { family: 6, src: A6, dst: B6, proto: 17, sport: 5, dport: 6 } },
  { name: 'sll2 arp is non-ip', linktype: 276, frame: sll2(0x0806, pay(28)), want: { reason: 'non-ip' } },
];
