/**
 * Helpers for scenario tests: build a topology from native JSON (it must be
 * valid), judge packets written as packet specs, read the decision.
 */
import * as assert from 'uvu/assert';
import type { Decision } from '../../src/model/decision.js';
import { parsePacketSpec } from '../../src/model/packet-spec.js';
import type { Topology } from '../../src/model/topology.js';
import { parseNativeTopology, type NativeTopology } from '../../src/parse/native.js';
import { formatIssue } from '../../src/parse/issues.js';
import { ReferenceEngine, type EngineOptions } from '../../src/reference/engine.js';

export function topology(doc: NativeTopology): Topology {
  const r = parseNativeTopology(doc);
  if (!r.topology) throw new Error('test topology is invalid:\n' + r.issues.map((i) => formatIssue(i)).join('\n'));
  return r.topology;
}

/** An engine over a fresh conntrack state, with a `judge(spec)` that takes packet specs. */
export function engine(doc: NativeTopology, options?: EngineOptions) {
  const e = new ReferenceEngine(topology(doc), options);
  return {
    engine: e,
    judge: (spec: string): Decision => e.judge(parsePacketSpec(spec)),
  };
}

/** Compact form of a decision for assertions: "allow" / "deny:default" per hop. */
export function hops(d: Decision): string[] {
  return d.hops.map((h) => `${h.iface}/${h.dir}:${h.verdict}:${h.reason}${h.rule ? ':' + h.rule : ''}`);
}

export function expectDecision(d: Decision, verdict: 'allow' | 'deny', expectedHops: string[], reason?: string): void {
  assert.is(d.verdict, verdict, `verdict (hops: ${JSON.stringify(hops(d))})`);
  assert.equal(hops(d), expectedHops);
  assert.is(d.reason, reason);
}
