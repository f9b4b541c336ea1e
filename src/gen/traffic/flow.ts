/**
 * A flow of the traffic generator (its endpoints, ports and packet count),
 * one packet of its script (a Step), and the constants scripts draw from.
 */
import type { Family, PacketRecord } from '../../model/packet.js';
import type { FlowKind, FlowPath } from './options.js';

// ---------------------------------------------------------------------------
// Flows

export interface Flow {
  id: number;
  kind: FlowKind;
  path: FlowPath;
  family: Family;
  /** Client (initiator) and server addresses. */
  c: bigint;
  s: bigint;
  /** The same, as bytes (set once the endpoints are chosen). */
  cb: Uint8Array;
  sb: Uint8Array;
  sport: number;
  dport: number;
  /** IP protocol for `other` flows. */
  proto: number;
  vlans?: [number, number][];
  /** IPv4 identification counter. */
  ipId: number;
  /** Pause once (ns) longer than the conntrack timeout, or 0. */
  idleNs: number;
  /** Packets the script aims for. */
  n: number;
}

/** One packet of a script: delay before it (ns, before rounding) and the frame. */
export interface Step {
  dt: number;
  data: Uint8Array;
  intent?: PacketRecord;
  /** Counters for the summary. */
  frag?: boolean;
  orphan?: boolean;
  icmpError?: boolean;
  idle?: boolean;
}

export const PAYLOAD = (() => {
  const b = new Uint8Array(65536);
  for (let i = 0; i < b.length; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
})();

export const SERVICE_TCP = [22, 80, 443, 3306, 5432, 6379, 8080, 8443, 9100, 25, 3389, 27017];
export const SERVICE_UDP = [53, 123, 161, 500, 514, 1194, 4500, 5353];
export const OTHER_PROTOS_V4 = [132, 50, 4, 41];
export const OTHER_PROTOS_V6 = [132, 50, 4, 41];
export const EMPTY = new Uint8Array(0);
export const BROADCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
export const ETHERTYPE_ARP = 0x0806;

export function mac(a: bigint): Uint8Array {
  const v = Number(a & 0xffffffffn);
  return new Uint8Array([0x02, 0x00, (v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
}

/** Router `k` of the `routers` pool: 203.0.113.(1 + k) / 2001:db8:eeee::ff:(1 + k) (documentation ranges, outside every generated topology). */
export function routerAddress(family: Family, k: number): bigint {
  return family === 4 ? 0xcb007101n + BigInt(k) : 0x20010db8eeee00000000000000ff0001n + BigInt(k);
}
