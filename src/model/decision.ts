/**
 * The decision object (SEMANTICS.md §9): what every engine returns for a
 * packet, and what `replay --decisions` and `explain --json` print.
 */
import type { Action, Direction } from './topology.js';

/** Why one hop decided as it did. */
export type HopReason =
  | 'established' // a live conntrack entry (§3.1)
  | 'related' // an ICMP error quoting a live flow (§3.2)
  | 'intra-group' // Alibaba basic group's invisible inner-access rule (§4 aliyun 1)
  | 'rule' // a custom rule matched first (§4)
  | 'default' // no rule matched: the cloud's default (§4)
  | 'fragment' // the verdict remembered from the first fragment (§6)
  | 'conntrack-full'; // allowed, but the table had no room for the entry (§5)

/** Why a packet was not judged at any interface. */
export type PacketReason = 'unmanaged' | 'local' | 'non-ip' | 'malformed';

export interface Hop {
  iface: string;
  dir: Direction;
  verdict: Action;
  reason: HopReason;
  /** Only when a rule decided (reason `rule`). */
  group?: string;
  rule?: string;
}

export interface Decision {
  verdict: Action;
  /** Present for packets judged at no interface; then `hops` is empty. */
  reason?: PacketReason;
  hops: Hop[];
}

/** One line of a decisions file: `{"n":1,"ts":"…","verdict":…,["reason":…,]"hops":[…]}`. */
export function decisionLine(n: number, ts: string, d: Decision): string {
  const head = `{"n":${n},"ts":${JSON.stringify(ts)},"verdict":"${d.verdict}"`;
  const reason = d.reason ? `,"reason":"${d.reason}"` : '';
  return `${head}${reason},"hops":${JSON.stringify(d.hops.map(hopJson))}}`;
}

/** The §9 object without n/ts (what `explain --json` prints). */
export function decisionJson(d: Decision): object {
  const out: Record<string, unknown> = { verdict: d.verdict };
  if (d.reason) out.reason = d.reason;
  out.hops = d.hops.map(hopJson);
  return out;
}

/** A hop with its keys in the documented order and no absent keys. */
function hopJson(h: Hop): object {
  const o: Record<string, unknown> = { iface: h.iface, dir: h.dir, verdict: h.verdict, reason: h.reason };
  if (h.group !== undefined) o.group = h.group;
  if (h.rule !== undefined) o.rule = h.rule;
  return o;
}
