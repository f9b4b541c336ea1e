/**
 * The clouds' limits (SEMANTICS.md §7) as lint issues. Each message states
 * the limit's number and where it comes from: a seed document (../shared/seeds,
 * by number) or the cloud's published limits page quoted by SEMANTICS §7.
 *
 * Severity follows the clouds: what the API refuses or what "will not take
 * effect" is an error; recommendations and flavour caveats are warnings.
 */
import type { Topology } from '../model/topology.js';
import { indexTopology } from '../model/topology.js';
import { IssueList, type Issue } from '../parse/issues.js';
import { isNonContiguous } from '../parse/values.js';

/** Alibaba Cloud limits. */
export const ALIYUN = {
  rulesPerGroup: 200, // Alibaba ECS limits page (SEMANTICS §7)
  rulesPerInterface: 1000, // Alibaba ECS limits page (SEMANTICS §7)
  groupsPerInterface: 10, // Alibaba ECS limits page (SEMANTICS §7)
  groupReferenceRulesPerBasicGroup: 20, // seed 001, "Security groups as authorization objects"
  privateIpsPerBasicGroup: 6000, // seed 001, "Private IP address capacity" (newer than seed 000's 2,000)
  interfacesPerAdvancedGroup: 65536, // seed 001, "Private IP address capacity"
  sessionTimeoutSeconds: 910, // seed 002, "The maximum session timeout for a security group is 910s"
} as const;

/** Huawei Cloud limits (seed 003, "Constraints on Using Security Groups"). */
export const HUAWEI = {
  specialRulesPerDirectionFamily: 120,
  recommendedGroupsPerInterface: 5,
  interfacesPerGroup: 6000,
  /** Seed 003, Table 4: no address groups, no non-consecutive ports (and, per SEMANTICS §7, no deny rules). */
  legacyFlavours: ['S1', 'C1', 'C2', 'M1', 'H1', 'D1', 'G1', 'G2', 'E1', 'E2', 'ET2'],
  /** Seed 003, Table 4: Kai1 Kunpeng ECSs do not support inconsecutive ports. */
  noNonContiguousPortFlavours: ['KAI1'],
} as const;

export function lintLimits(topology: Topology): Issue[] {
  const issues = new IssueList();
  const index = indexTopology(topology);

  if (topology.cloud === 'aliyun') {
    topology.securityGroups.forEach((g, gi) => {
      const path = ['securityGroups', gi];
      if (g.rules.length > ALIYUN.rulesPerGroup) {
        issues.error(path, 'limit-rules-per-group',
          `group "${g.id}" has ${g.rules.length} rules; Alibaba allows at most ${ALIYUN.rulesPerGroup} per security group (Alibaba ECS limits, SEMANTICS §7)`);
      }
      const refRules = g.rules.filter((r) => r.remote.kind === 'group');
      if (g.type === 'basic' && refRules.length > ALIYUN.groupReferenceRulesPerBasicGroup) {
        issues.error(path, 'limit-group-reference-rules',
          `basic group "${g.id}" has ${refRules.length} rules that reference a security group; at most ${ALIYUN.groupReferenceRulesPerBasicGroup} are allowed (seed 001)`);
      }
      if (g.type === 'advanced') {
        g.rules.forEach((r, ri) => {
          if (r.remote.kind === 'group') {
            issues.error([...path, 'rules', ri, 'remote'], 'advanced-references-group',
              `advanced group "${g.id}" cannot authorize another security group ("${r.remote.group}"); use CIDR blocks (seed 001)`);
          }
        });
      }
      // Referencing an advanced group from any group.
      g.rules.forEach((r, ri) => {
        if (r.remote.kind === 'group' && index.groups.get(r.remote.group)?.type === 'advanced' && g.type !== 'advanced') {
          issues.error([...path, 'rules', ri, 'remote'], 'advanced-referenced',
            `rule "${r.id}" references advanced group "${r.remote.group}"; an advanced group cannot be an authorization object (seed 001)`);
        }
      });
      const members = index.members.get(g.id) ?? [];
      if (g.type === 'basic') {
        const ips = members.reduce((n, m) => n + m.ips.length, 0);
        if (ips > ALIYUN.privateIpsPerBasicGroup) {
          issues.error(path, 'limit-private-ips',
            `basic group "${g.id}" holds ${ips} private IP addresses; its capacity is ${ALIYUN.privateIpsPerBasicGroup} (seed 001)`);
        }
      } else if (members.length > ALIYUN.interfacesPerAdvancedGroup) {
        issues.error(path, 'limit-interfaces-per-group',
          `advanced group "${g.id}" has ${members.length} interfaces; its capacity is ${ALIYUN.interfacesPerAdvancedGroup} (seed 001)`);
      }
    });
    topology.interfaces.forEach((iface, ii) => {
      const path = ['interfaces', ii];
      const groups = iface.groups.map((id) => index.groups.get(id)!);
      if (groups.length > ALIYUN.groupsPerInterface) {
        issues.error([...path, 'groups'], 'limit-groups-per-interface',
          `interface "${iface.id}" is in ${groups.length} security groups; Alibaba allows at most ${ALIYUN.groupsPerInterface} (Alibaba ECS limits, SEMANTICS §7)`);
      }
      const rules = groups.reduce((n, g) => n + g.rules.length, 0);
      if (rules > ALIYUN.rulesPerInterface) {
        issues.error([...path, 'groups'], 'limit-rules-per-interface',
          `interface "${iface.id}" gets ${rules} rules from its groups; Alibaba allows at most ${ALIYUN.rulesPerInterface} across the groups of one interface (Alibaba ECS limits, SEMANTICS §7)`);
      }
      if (iface.conntrack.tcpEstablished > ALIYUN.sessionTimeoutSeconds) {
        issues.warn([...path, 'conntrack', 'tcpEstablished'], 'limit-session-timeout',
          `interface "${iface.id}" keeps established TCP sessions ${iface.conntrack.tcpEstablished} s; Alibaba's maximum session timeout is ${ALIYUN.sessionTimeoutSeconds} s (seed 002); sgfilter judges with the value given`);
      }
      const types = new Set(groups.map((g) => g.type));
      if (types.size > 1) {
        issues.error([...path, 'groups'], 'mixed-group-types',
          `interface "${iface.id}" mixes basic and advanced security groups, which Alibaba does not allow (seed 001; sgfilter then judges it as advanced)`);
      }
    });
  }

  if (topology.cloud === 'huawei') {
    topology.securityGroups.forEach((g, gi) => {
      const path = ['securityGroups', gi];
      for (const dir of ['ingress', 'egress'] as const) {
        for (const family of [4, 6] as const) {
          const counted = g.rules.filter(
            (r) => r.direction === dir && (r.ethertype === family || r.ethertype === 'any') &&
              (r.remote.kind === 'group' || r.remote.kind === 'addressGroup' || isNonContiguous(r.ports) || isNonContiguous(r.sourcePorts)),
          );
          if (counted.length > HUAWEI.specialRulesPerDirectionFamily) {
            issues.error(path, 'limit-special-rules',
              `group "${g.id}" has ${counted.length} ${dir === 'ingress' ? 'inbound' : 'outbound'} IPv${family} rules that reference a security group, reference an IP address group or use non-contiguous ports; at most ${HUAWEI.specialRulesPerDirectionFamily} take effect, "excess rules will not take effect" (seed 003)`);
          }
        }
      }
      const members = index.members.get(g.id) ?? [];
      if (members.length > HUAWEI.interfacesPerGroup) {
        issues.warn(path, 'limit-interfaces-per-group',
          `group "${g.id}" has ${members.length} interfaces; Huawei advises no more than ${HUAWEI.interfacesPerGroup} instances per security group, or its performance deteriorates (seed 003)`);
      }
    });
    topology.interfaces.forEach((iface, ii) => {
      if (iface.groups.length > HUAWEI.recommendedGroupsPerInterface) {
        issues.warn(['interfaces', ii, 'groups'], 'limit-groups-per-interface',
          `interface "${iface.id}" is in ${iface.groups.length} security groups; Huawei recommends no more than ${HUAWEI.recommendedGroupsPerInterface} (seed 003)`);
      }
    });
    const flavour = topology.flavor?.trim().toUpperCase();
    if (flavour) {
      const family = flavour.replace(/\..*$/, '').replace(/[^A-Z0-9].*$/, '');
      const legacy = (HUAWEI.legacyFlavours as readonly string[]).includes(family);
      const kunpeng = (HUAWEI.noNonContiguousPortFlavours as readonly string[]).includes(family);
      topology.securityGroups.forEach((g, gi) => {
        g.rules.forEach((r, ri) => {
          const path = ['securityGroups', gi, 'rules', ri];
          if (legacy && r.action === 'deny') {
            issues.warn(path, 'flavour-deny', `rule "${r.id}" is a deny rule, which does not work on flavour ${topology.flavor} (seed 003 legacy flavours; SEMANTICS §7)`);
          }
          if (legacy && r.remote.kind === 'addressGroup') {
            issues.warn(path, 'flavour-address-group', `rule "${r.id}" uses an IP address group, which does not work on flavour ${topology.flavor} (seed 003, Table 4)`);
          }
          if ((legacy || kunpeng) && (isNonContiguous(r.ports) || isNonContiguous(r.sourcePorts))) {
            issues.warn(path, 'flavour-non-contiguous-ports',
              `rule "${r.id}" uses non-contiguous ports, which do not work on flavour ${topology.flavor}${kunpeng ? ' (on Kai1 Kunpeng, this rule and every rule configured after it do not take effect)' : ''} (seed 003, Table 4)`);
          }
        });
      });
    }
  }
  return issues.issues;
}
