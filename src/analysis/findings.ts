/**
 * Findings: what `check`, `exposure` and `diff` report, in one shape that
 * every output format (report.ts) renders. A finding has a stable code (the
 * SARIF rule id), a level, a message, and where it is: the JSON path of the
 * object in the input document, resolved to a line and column by locate.ts.
 */
import type { Direction, Topology } from '../model/topology.js';
import type { Issue } from '../parse/issues.js';
import type { EntryJson, HopAnalysis, RuleAnalysis } from './anomalies.js';

export type FindingLevel = 'error' | 'warning' | 'note';

export interface Finding {
  code: string;
  level: FindingLevel;
  message: string;
  /** JSON path in the input document ('' = the whole document). */
  path: string;
  /** Terraform imports with `tfDir`: the `.tf` file and line of the resource block (SARIF and annotations point there). */
  source?: { file: string; line: number };
  /** Filled by `locateFindings`. */
  line?: number;
  column?: number;
  interfaces?: string[];
  direction?: Direction;
  /** A packet spec that demonstrates the finding. */
  witness?: string;
  related?: EntryJson[];
}

/** Anomaly codes and their one-line descriptions (SARIF rule metadata, docs). */
export const ANOMALY_RULES: Record<string, { level: FindingLevel; description: string }> = {
  'rule-shadowed': { level: 'warning', description: 'The rule is never the first match for any packet: earlier rules together cover it (SEMANTICS §7).' },
  'rule-redundant': { level: 'warning', description: 'Removing the rule changes no decision: where it decides, the next rule or the default has the same action (SEMANTICS §7).' },
  'rule-empty': { level: 'warning', description: 'The rule can match no packet at this interface (SEMANTICS §7).' },
  'rule-generalization': { level: 'note', description: 'The rule contains an earlier rule with another action (that rule is an exception to it) (SEMANTICS §7).' },
  'rule-correlation': { level: 'note', description: 'The rule partially overlaps an earlier rule with another action (SEMANTICS §7).' },
  'analysis-incomplete': { level: 'warning', description: 'The exact analysis of this rule exceeded its budget; nothing is claimed about it.' },
};

export function issueFinding(i: Issue): Finding {
  return { code: i.code, level: i.severity, message: i.message, path: i.path, ...(i.source ? { source: i.source } : {}) };
}

export function entryName(e: EntryJson): string {
  if ('invisible' in e) {
    return e.invisible === 'default' ? `the default ${e.action}` : `the invisible intra-group allow (basic group${e.groups.length > 1 ? 's' : ''} ${e.groups.join(', ')})`;
  }
  return `${e.group}/${e.rule} (${e.action}, priority ${e.priority})`;
}

function list(es: EntryJson[]): string {
  return es.map(entryName).join(', ');
}

/** Native path of a rule: securityGroups[g].rules[r]. */
export function rulePath(topology: Topology, groupId: string, ruleId: string): string {
  const gi = topology.securityGroups.findIndex((g) => g.id === groupId);
  const g = topology.securityGroups[gi];
  const rule = g?.rules.find((r) => r.id === ruleId);
  return gi < 0 || !rule ? '' : `securityGroups[${gi}].rules[${rule.index}]`;
}

function ruleFindings(a: RuleAnalysis): { code: string; body: string; witness?: string; related?: EntryJson[] }[] {
  const who = `rule "${a.rule}" of group "${a.group}" (${a.action}, priority ${a.priority})`;
  const out: { code: string; body: string; witness?: string; related?: EntryJson[] }[] = [];
  switch (a.status) {
    case 'empty':
      out.push({ code: 'rule-empty', body: `${who} matches nothing {at}: ${a.emptyReason}` });
      break;
    case 'shadowed':
      out.push({
        code: 'rule-shadowed',
        body: `${who} is shadowed {at}: every packet it matches is decided earlier by ${list(a.coveredBy!)}` +
          (a.differentAction ? ' — with another action, so the rule does not do what it says' : ''),
        related: a.coveredBy!,
      });
      break;
    case 'unknown':
      out.push({ code: 'analysis-incomplete', body: `${who} {at}: ${a.unknownReason}` });
      break;
    case 'reachable':
      if (a.redundant) {
        out.push({
          code: 'rule-redundant',
          body: `${who} is redundant {at}: removing it changes no decision (its packets would be decided by ${list(a.takenOverBy!)})`,
          witness: a.witness!.packet,
          related: a.takenOverBy!,
        });
      }
      if (a.generalizes) {
        out.push({ code: 'rule-generalization', body: `${who} generalizes the earlier ${list(a.generalizes)} {at}: it contains them, with another action`, witness: a.witness!.packet, related: a.generalizes });
      }
      if (a.correlates) {
        out.push({ code: 'rule-correlation', body: `${who} partially overlaps the earlier ${list(a.correlates)} {at}, with another action`, witness: a.witness!.packet, related: a.correlates });
      }
      break;
  }
  return out;
}

/**
 * Findings of an analysis. The same finding on several interfaces (same
 * rule, direction and text) is reported once, naming every interface; the
 * witness is the first interface's.
 */
export function anomalyFindings(topology: Topology, hops: HopAnalysis[]): Finding[] {
  const merged = new Map<string, Finding & { body: string }>();
  for (const hop of hops) {
    for (const a of hop.rules) {
      for (const f of ruleFindings(a)) {
        const key = `${f.code}|${a.group}|${a.rule}|${hop.direction}|${f.body}`;
        const seen = merged.get(key);
        if (seen) { seen.interfaces!.push(hop.iface); continue; }
        const finding: Finding & { body: string } = {
          code: f.code, level: ANOMALY_RULES[f.code]!.level, message: '', body: f.body,
          path: rulePath(topology, a.group, a.rule), interfaces: [hop.iface], direction: hop.direction,
          ...(f.witness ? { witness: f.witness } : {}), ...(f.related ? { related: f.related } : {}),
        };
        merged.set(key, finding);
      }
    }
  }
  return [...merged.values()].map(({ body, ...f }) => {
    const at = `at ${f.interfaces!.join(', ')} ${f.direction}`;
    return { ...f, message: body.replace('{at}', at) + (f.witness ? `; e.g. ${f.witness}` : '') };
  });
}
