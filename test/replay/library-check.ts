// The library's batch results checked against reference decisions: shared by
// library.test.ts and library-scale.test.ts.
import * as assert from 'uvu/assert';
import { DECIDING_REASONS, type BatchTimestamps, type Decision, type Filter, type InPlaceBatch, type Topology } from '../../src/index.js';

/** The deciding reason word and rule of a §9 decision: its packet reason, or its last hop's reason and rule. */
export function deciding(d: Decision): { reason: string; rule: { group: string; rule: string } | null } {
  if (d.reason) return { reason: d.reason, rule: null };
  const last = d.hops[d.hops.length - 1]!;
  return { reason: last.reason, rule: last.reason === 'rule' ? { group: last.group!, rule: last.rule! } : null };
}

export interface Expected {
  decisions: Decision[];
  verdicts: Uint8Array;
  reasons: string[];
  /** Index into the topology's rules in order (groups, then their rules), -1: no rule decided. */
  rules: Int32Array;
}

/** What the batch calls must give for each reference decision. */
export function expected(topology: Topology, decisions: Decision[]): Expected {
  const ruleNo = new Map(topology.securityGroups.flatMap((g) => g.rules.map((r) => `${g.id}/${r.id}`)).map((k, i) => [k, i] as const));
  const verdicts = new Uint8Array(decisions.length);
  const rules = new Int32Array(decisions.length);
  const reasons = decisions.map((d, i) => {
    verdicts[i] = d.verdict === 'allow' ? 1 : 0;
    const w = deciding(d);
    rules[i] = w.rule ? ruleNo.get(`${w.rule.group}/${w.rule.rule}`)! : -1;
    return w.reason;
  });
  return { decisions, verdicts, reasons, rules };
}

export function checkBatch(f: Filter, out: { count: number; verdicts: Uint8Array; reasons: Uint8Array; rules: Int32Array }, want: Expected, from: number, label: string): void {
  for (let i = 0; i < out.count; i++) {
    const k = from + i;
    if (out.verdicts[i] === want.verdicts[k] && DECIDING_REASONS[out.reasons[i]!] === want.reasons[k] && out.rules[i] === want.rules[k]) continue;
    const d = want.decisions[k]!;
    const got = { verdict: out.verdicts[i] === 1 ? 'allow' : out.verdicts[i] === 0 ? 'deny' : `?${out.verdicts[i]}`, reason: DECIDING_REASONS[out.reasons[i]!], rule: out.rules[i] === -1 ? null : f.rules[out.rules[i]!] ?? `?${out.rules[i]}` };
    assert.equal(got, { verdict: d.verdict, ...deciding(d) }, `${label}: packet ${k + 1} (${JSON.stringify(d)})`);
    assert.unreachable(`${label}: packet ${k + 1}: rule index ${out.rules[i]}, expected ${want.rules[k]}`);
  }
}

export function packed(frames: Uint8Array[]): { data: Uint8Array; offsets: Uint32Array } {
  const offsets = new Uint32Array(frames.length + 1);
  frames.forEach((fr, i) => (offsets[i + 1] = offsets[i]! + fr.byteLength));
  const data = new Uint8Array(offsets[frames.length]!);
  frames.forEach((fr, i) => data.set(fr, offsets[i]!));
  return { data, offsets };
}

/** Frames written into an in-place batch through fresh views (judging may have grown the memory): frame i at offsets[i], its time at timestamps[i]. */
export function fillInPlace(batch: InPlaceBatch<BatchTimestamps>, part: readonly { data: Uint8Array; ts: bigint }[]): number {
  const v = batch.views();
  let pos = 0;
  part.forEach((p, i) => {
    v.offsets[i] = pos;
    v.data.set(p.data, pos);
    pos += p.data.length;
    if (v.timestamps instanceof Float64Array) v.timestamps[i] = Number(p.ts);
    else v.timestamps[i] = p.ts;
  });
  v.offsets[part.length] = pos;
  return part.length;
}
