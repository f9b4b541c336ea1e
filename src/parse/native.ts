/**
 * The native topology format (SEMANTICS.md §1): JSON -> validated model.
 *
 * Two passes, both collecting every issue with its JSON path:
 *  1. shape, with zod: types, required and unknown keys, enumerations, and
 *     the syntax of each value (ports, protocols, addresses, CIDRs);
 *  2. meaning, by hand over the shaped document: per-cloud priority ranges,
 *     ports only on tcp/udp, families of CIDRs vs ethertype, unique ids,
 *     references to groups and address groups, addresses owned twice.
 * Nothing is returned unless both passes find no error. Pass 1 lives in
 * native-shape.ts, pass 2 in native-meaning.ts; this file runs them.
 */
import type { Topology } from '../model/topology.js';
import { IssueList, type Issue } from './issues.js';
import { buildAddressGroups, buildInterfaces, buildSecurityGroup, uniqueIds, type MeaningContext } from './native-meaning.js';
import { nativeTopologySchema, salvage, zodIssues, type ShapedTopology } from './native-shape.js';

export { nativeTopologySchema } from './native-shape.js';
export type { NativeTopology, NativeRule, NativeGroup, NativeInterface, NativeAddressGroup } from './native-shape.js';

export interface ParseOptions {
  /** File name for messages. */
  file?: string;
  /**
   * Importers' leniency: host bits in CIDRs are masked with a warning instead
   * of being an error (SEMANTICS.md §1).
   */
  lenientHostBits?: boolean;
}

export interface ParseResult {
  topology?: Topology;
  issues: Issue[];
}

/**
 * Validate a native topology document and build the model. Never throws on
 * bad input: every problem is an issue.
 */
export function parseNativeTopology(input: unknown, options: ParseOptions = {}): ParseResult {
  const issues = new IssueList();
  const shaped = nativeTopologySchema.safeParse(input, { reportInput: true });
  let doc: ShapedTopology;
  if (shaped.success) {
    doc = shaped.data;
  } else {
    zodIssues(shaped.error, issues, []);
    // Pass 2 still runs over every part whose shape is right, so that one
    // report lists the meaning errors too (no model is built).
    const partial = salvage(input);
    if (!partial) return { issues: issues.issues };
    doc = partial;
  }
  const cloud = doc.cloud;

  if (doc.defaults && cloud !== 'generic') {
    issues.error(['defaults'], 'defaults-not-generic', `"defaults" applies to cloud "generic" only; ${cloud} has its own default rules (SEMANTICS §4)`);
  }
  // Unique ids, then each part in document order.
  const groupIds = uniqueIds(issues, 'security group', doc.securityGroups, 'securityGroups');
  const addressGroupIds = uniqueIds(issues, 'address group', doc.addressGroups ?? [], 'addressGroups');
  uniqueIds(issues, 'interface', doc.interfaces ?? [], 'interfaces');
  const cx: MeaningContext = { cloud, issues, lenient: options.lenientHostBits === true, groupIds, addressGroupIds };
  const addressGroups = buildAddressGroups(doc, cx);
  const securityGroups = doc.securityGroups.map((g, gi) => buildSecurityGroup(g, gi, cx));
  const interfaces = buildInterfaces(doc, cx);

  if (issues.hasErrors()) return { issues: issues.issues };
  const topology: Topology = {
    cloud,
    securityGroups,
    addressGroups,
    interfaces,
    defaults: { ingress: doc.defaults?.ingress ?? 'deny', egress: doc.defaults?.egress ?? 'deny' },
  };
  if (doc.flavor !== undefined) topology.flavor = doc.flavor;
  return { topology, issues: issues.issues };
}
