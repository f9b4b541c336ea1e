/**
 * Assertions (`sgfilter assert`): a JSON file of packets with the verdict each
 * must get. Each case is judged by the reference evaluator from an empty
 * conntrack state (as `explain`), so cases are independent of their order.
 *
 *   { "cases": [
 *     { "name": "ssh from the internet to web servers is denied",
 *       "packet": "tcp 203.0.113.7:40000 -> 10.0.1.10:22", "expect": "deny" },
 *     { "name": "https is served", "packet": "tcp 198.51.100.7:40000 -> 10.0.1.10:443",
 *       "expect": "allow", "rule": "sg-web/web-http" } ] }
 *
 * `expect` is `allow` or `deny`; optional `rule` (GROUP/RULE) names the rule
 * that must decide (the denying hop's, else the last hop's) and optional
 * `reason` the reason (`rule`, `default`, `intra-group`, `unmanaged`, …).
 * A bare array of cases is accepted too.
 */
import { z } from 'zod';
import type { Decision } from '../model/decision.js';
import { parsePacketSpec, PacketSpecError } from '../model/packet-spec.js';
import type { Topology } from '../model/topology.js';
import { formatPath } from '../parse/issues.js';
import { ReferenceEngine } from '../reference/engine.js';
import { SgfError } from '../model/errors.js';

const caseSchema = z.object({
  name: z.string().min(1),
  packet: z.string().min(1),
  expect: z.enum(['allow', 'deny']),
  rule: z.string().regex(/^[^/]+\/.+$/, 'GROUP/RULE').optional(),
  reason: z.string().optional(),
}).strict();

const fileSchema = z.union([z.object({ cases: z.array(caseSchema) }).strict(), z.array(caseSchema)]);

export type AssertCase = z.infer<typeof caseSchema>;

export class CasesError extends SgfError {
  readonly code = 'SGF_CASES_INVALID';
  constructor(readonly file: string, readonly problems: string[]) {
    super(`${file}: ${problems.length} problem(s) in the cases file:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** Validate a parsed cases document; every problem is reported with its JSON path. */
export function parseCases(doc: unknown, file: string): AssertCase[] {
  const r = fileSchema.safeParse(doc);
  if (!r.success) {
    // Report against the object form when the document is an object.
    const issues = Array.isArray(doc) ? r.error.issues : (z.object({ cases: z.array(caseSchema) }).strict().safeParse(doc).error?.issues ?? r.error.issues);
    throw new CasesError(file, issues.map((i) => `${formatPath(i.path as (string | number)[]) || '(top level)'}: ${i.message}`));
  }
  const cases = Array.isArray(r.data) ? r.data : r.data.cases;
  const base = Array.isArray(r.data) ? [] : ['cases'];
  const problems: string[] = [];
  cases.forEach((c, i) => {
    try {
      parsePacketSpec(c.packet);
    } catch (e) {
      if (!(e instanceof PacketSpecError)) throw e;
      problems.push(`${formatPath([...base, i, 'packet'])}: ${e.message}`);
    }
  });
  if (problems.length) throw new CasesError(file, problems);
  return cases;
}

export interface CaseResult {
  name: string;
  packet: string;
  pass: boolean;
  expected: string;
  got: string;
  decision: Decision;
}

function decidedBy(d: Decision): { rule?: string; reason: string; where: string } {
  if (d.hops.length === 0) return { reason: d.reason ?? 'none', where: d.reason ?? '' };
  const h = d.hops.find((x) => x.verdict === 'deny') ?? d.hops[d.hops.length - 1]!;
  return { ...(h.rule ? { rule: `${h.group}/${h.rule}` } : {}), reason: h.reason, where: `${h.iface} ${h.dir} ${h.reason}${h.rule ? ` ${h.group}/${h.rule}` : ''}` };
}

export function runCases(topology: Topology, cases: readonly AssertCase[]): CaseResult[] {
  return cases.map((c) => {
    const d = new ReferenceEngine(topology).judge(parsePacketSpec(c.packet));
    const by = decidedBy(d);
    let pass = d.verdict === c.expect;
    if (c.rule !== undefined && by.rule !== c.rule) pass = false;
    if (c.reason !== undefined && by.reason !== c.reason) pass = false;
    const expected = `${c.expect}${c.rule ? ` by ${c.rule}` : ''}${c.reason ? ` (${c.reason})` : ''}`;
    const got = `${d.verdict} (${by.where || by.reason})`;
    return { name: c.name, packet: c.packet, pass, expected, got, decision: d };
  });
}
