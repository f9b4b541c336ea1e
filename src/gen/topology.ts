/**
 * Seeded topology generator: options + seed -> a native topology document
 * (src/parse/native.ts) that passes `parseNativeTopology` and, unless
 * `stress` is set, `sgfilter check` without errors (SEMANTICS §7 limits).
 * With `stress`, the requested sizes are generated even past the clouds'
 * limits (the lint then reports them; the evaluators still judge).
 *
 * Address plan (fixed, so traffic and docs can name it):
 * ```
 *  interface i (0-based)      subnet s = floor(i / 200), host h = 10 + i % 200
 *   primary IPv4              10.(1 + s>>8).(s & 255).h          in 10.0.0.0/8 ("the VPC")
 *   secondary IPv4 (10%)      10.(129 + s>>8).(s & 255).h
 *   IPv6 (ipv6Share)          2001:db8:100:s::h                  in 2001:db8:100::/48
 *  outside (never owned)      198.51.100.0/24, 203.0.113.0/24, 192.0.2.0/24, 172.16.0.0/12,
 *                             100.64.0.0/10, 2001:db8:ffff::/48, 2001:db8:eeee::/48
 * ```
 * Everything is drawn from one Prng stream forked from the seed with the
 * label "topology"; the same options give the same document, byte for byte
 * once serialised.
 */
import { formatAddress } from '../model/address.js';
import type { NativeAddressGroup, NativeGroup, NativeInterface, NativeRule, NativeTopology } from '../parse/native.js';
import { ALIYUN, HUAWEI } from '../lint/limits.js';
import { GEN_ERROR, GenError, checkInt, checkShare } from './errors.js';
import { Prng } from './prng.js';

export const GEN_CLOUDS = ['aliyun-basic', 'aliyun-advanced', 'huawei', 'generic'] as const;
export type GenCloud = (typeof GEN_CLOUDS)[number];

export interface TopologyGenOptions {
  seed: number;
  /** Default `aliyun-basic`. */
  cloud?: GenCloud;
  /** Number of interfaces (default 12). */
  interfaces?: number;
  /** Security groups bound to each interface (default 2). */
  groupsPerInterface?: number;
  /** Security groups in all (default max(groupsPerInterface + 1, ceil(interfaces / 3))). */
  groups?: number;
  /** Rules in each group (default 20). */
  rulesPerGroup?: number;
  /** Share of rules whose remote is a security group (default 0.1; 0 for aliyun advanced). */
  groupRefShare?: number;
  /** Number of address groups (default 2). */
  addressGroups?: number;
  /** CIDR blocks in each address group (default 4). */
  addressGroupSize?: number;
  /** Share of rules whose remote is an address group (default 0.05 when there are address groups). */
  addressGroupShare?: number;
  /** Share of interfaces with an IPv6 address, and of rules written for IPv6 (default 0.3). */
  ipv6Share?: number;
  /** Share of deny rules (default 0.15). */
  denyShare?: number;
  /** Generate past the clouds' limits instead of refusing (default false). */
  stress?: boolean;
}

/** The resolved options (every default applied), as recorded in the topology's description. */
export type ResolvedTopologyGenOptions = Required<TopologyGenOptions>;

// ---------------------------------------------------------------------------
// Address plan

/** Interfaces per /24 subnet. */
const HOSTS_PER_SUBNET = 200;
/** Largest interface count the address plan holds. */
export const MAX_INTERFACES = HOSTS_PER_SUBNET * 256 * 100;

function subnetOf(i: number): { s: number; h: number } {
  return { s: Math.floor(i / HOSTS_PER_SUBNET), h: 10 + (i % HOSTS_PER_SUBNET) };
}

function v4(a: number, b: number, c: number, d: number): bigint {
  return BigInt(((a << 24) >>> 0) + (b << 16) + (c << 8) + d);
}

export function interfaceIpv4(i: number): bigint {
  const { s, h } = subnetOf(i);
  return v4(10, 1 + (s >> 8), s & 255, h);
}
export function interfaceSecondaryIpv4(i: number): bigint {
  const { s, h } = subnetOf(i);
  return v4(10, 129 + (s >> 8), s & 255, h);
}
const V6_VPC = 0x20010db80100n << 80n; // 2001:db8:100::/48
export function interfaceIpv6(i: number): bigint {
  const { s, h } = subnetOf(i);
  return V6_VPC | (BigInt(s) << 64n) | BigInt(h);
}

/** Outside address pools (never owned by a generated interface), as [network, prefix]. */
export const OUTSIDE_V4: readonly [bigint, number][] = [
  [v4(198, 51, 100, 0), 24],
  [v4(203, 0, 113, 0), 24],
  [v4(192, 0, 2, 0), 24],
  [v4(172, 16, 0, 0), 12],
  [v4(100, 64, 0, 0), 10],
];
export const OUTSIDE_V6: readonly [bigint, number][] = [
  [0x20010db8ffffn << 80n, 48],
  [0x20010db8eeeen << 80n, 48],
];

function cidrText(family: 4 | 6, network: bigint, prefix: number): string {
  return `${formatAddress(family, network)}/${prefix}`;
}

// ---------------------------------------------------------------------------
// Pools

const TCP_PORTS = ['22', '80', '443', '80,443', '3306', '5432', '6379', '8080', '8000-8999', '9100', '1-1024', '30000-32767', '25', '3389', '27017'];
const UDP_PORTS = ['53', '123', '161', '500,4500', '514', '1194', '5353', '33434-33534', '10000-20000'];

function contiguous(ports: string): boolean {
  return !ports.includes(',');
}

// ---------------------------------------------------------------------------

/** The defaults of the knobs: the one place they are written (the CLI's help reads them). */
export const TOPOLOGY_DEFAULTS = {
  cloud: 'aliyun-basic',
  interfaces: 12,
  groupsPerInterface: 2,
  rulesPerGroup: 20,
  /** 0 for aliyun-advanced. */
  groupRefShare: 0.1,
  addressGroups: 2,
  addressGroupSize: 4,
  /** 0 without address groups. */
  addressGroupShare: 0.05,
  ipv6Share: 0.3,
  denyShare: 0.15,
} as const satisfies Partial<Record<keyof TopologyGenOptions, unknown>>;

export function resolveTopologyOptions(o: TopologyGenOptions): ResolvedTopologyGenOptions {
  if (typeof o !== 'object' || o === null) throw new GenError(GEN_ERROR.BAD_OPTION, 'topology options must be an object');
  if (typeof o.seed !== 'number' || !Number.isSafeInteger(o.seed)) {
    throw new GenError(GEN_ERROR.BAD_OPTION, `seed must be a safe integer, got ${JSON.stringify(o.seed)}`, 'seed');
  }
  const cloud = o.cloud ?? TOPOLOGY_DEFAULTS.cloud;
  if (!(GEN_CLOUDS as readonly string[]).includes(cloud)) {
    throw new GenError(GEN_ERROR.BAD_OPTION, `cloud must be one of ${GEN_CLOUDS.join(', ')}, got ${JSON.stringify(cloud)}`, 'cloud');
  }
  const interfaces = checkInt('interfaces', o.interfaces ?? TOPOLOGY_DEFAULTS.interfaces, 1, MAX_INTERFACES);
  const groupsPerInterface = checkInt('groupsPerInterface', o.groupsPerInterface ?? TOPOLOGY_DEFAULTS.groupsPerInterface, 1, 1000);
  const groups = checkInt('groups', o.groups ?? Math.max(groupsPerInterface + 1, Math.ceil(interfaces / 3)), 1, 1_000_000);
  if (groups < groupsPerInterface) {
    throw new GenError(GEN_ERROR.BAD_OPTION, `groups (${groups}) must be at least groupsPerInterface (${groupsPerInterface})`, 'groups');
  }
  const rulesPerGroup = checkInt('rulesPerGroup', o.rulesPerGroup ?? TOPOLOGY_DEFAULTS.rulesPerGroup, 0, 1_000_000);
  const addressGroups = checkInt('addressGroups', o.addressGroups ?? TOPOLOGY_DEFAULTS.addressGroups, 0, 100_000);
  const addressGroupSize = checkInt('addressGroupSize', o.addressGroupSize ?? TOPOLOGY_DEFAULTS.addressGroupSize, 1, 100_000);
  const r: ResolvedTopologyGenOptions = {
    seed: o.seed,
    cloud,
    interfaces,
    groupsPerInterface,
    groups,
    rulesPerGroup,
    groupRefShare: checkShare('groupRefShare', o.groupRefShare ?? (cloud === 'aliyun-advanced' ? 0 : TOPOLOGY_DEFAULTS.groupRefShare)),
    addressGroups,
    addressGroupSize,
    addressGroupShare: checkShare('addressGroupShare', o.addressGroupShare ?? (addressGroups > 0 ? TOPOLOGY_DEFAULTS.addressGroupShare : 0)),
    ipv6Share: checkShare('ipv6Share', o.ipv6Share ?? TOPOLOGY_DEFAULTS.ipv6Share),
    denyShare: checkShare('denyShare', o.denyShare ?? TOPOLOGY_DEFAULTS.denyShare),
    stress: o.stress ?? false,
  };
  if (typeof r.stress !== 'boolean') throw new GenError(GEN_ERROR.BAD_OPTION, `stress must be a boolean, got ${JSON.stringify(r.stress)}`, 'stress');
  if (cloud === 'aliyun-advanced' && r.groupRefShare > 0) {
    throw new GenError(GEN_ERROR.BAD_OPTION, 'groupRefShare must be 0 for aliyun-advanced: advanced groups can neither reference a group nor be referenced (SEMANTICS §7)', 'groupRefShare');
  }
  if (r.addressGroupShare > 0 && addressGroups === 0) {
    throw new GenError(GEN_ERROR.BAD_OPTION, 'addressGroupShare is above 0 but addressGroups is 0', 'addressGroupShare');
  }
  if (r.groupRefShare + r.addressGroupShare > 1) {
    throw new GenError(GEN_ERROR.BAD_OPTION, `groupRefShare + addressGroupShare must not exceed 1 (got ${r.groupRefShare + r.addressGroupShare})`, 'groupRefShare');
  }
  if (!r.stress) checkLimits(r);
  return r;
}

function overLimit(option: string, message: string): never {
  throw new GenError(GEN_ERROR.OVER_LIMIT, `${message}; pass stress (--stress) to generate past the limit on purpose`, option);
}

function checkLimits(r: ResolvedTopologyGenOptions): void {
  if (r.cloud === 'aliyun-basic' || r.cloud === 'aliyun-advanced') {
    if (r.rulesPerGroup > ALIYUN.rulesPerGroup) overLimit('rulesPerGroup', `rulesPerGroup ${r.rulesPerGroup} exceeds Alibaba's ${ALIYUN.rulesPerGroup} rules per security group`);
    if (r.groupsPerInterface > ALIYUN.groupsPerInterface) overLimit('groupsPerInterface', `groupsPerInterface ${r.groupsPerInterface} exceeds Alibaba's ${ALIYUN.groupsPerInterface} groups per interface`);
    if (r.rulesPerGroup * r.groupsPerInterface > ALIYUN.rulesPerInterface) {
      overLimit('rulesPerGroup', `rulesPerGroup × groupsPerInterface = ${r.rulesPerGroup * r.groupsPerInterface} exceeds Alibaba's ${ALIYUN.rulesPerInterface} rules per interface`);
    }
  }
  if (r.cloud === 'huawei') {
    if (r.groupsPerInterface > HUAWEI.recommendedGroupsPerInterface) {
      overLimit('groupsPerInterface', `groupsPerInterface ${r.groupsPerInterface} exceeds Huawei's recommended ${HUAWEI.recommendedGroupsPerInterface} groups per interface`);
    }
  }
}

/** Describe the options in one line (stored in the topology's description). */
export function describeTopologyOptions(r: ResolvedTopologyGenOptions): string {
  return `generated by sgfilter gen: ${Object.entries(r).map(([k, v]) => `${k}=${v}`).join(' ')}`;
}

/** Generate a native topology document. Throws GenError on bad options. */
export function generateTopology(options: TopologyGenOptions): NativeTopology {
  const o = resolveTopologyOptions(options);
  const rng = new Prng(o.seed).fork('topology');
  const aliyun = o.cloud === 'aliyun-basic' || o.cloud === 'aliyun-advanced';
  const huawei = o.cloud === 'huawei';
  const cloud = aliyun ? 'aliyun' : o.cloud === 'huawei' ? 'huawei' : 'generic';
  const prefix = aliyun ? 'eni' : huawei ? 'nic' : 'if';
  const groupIds = Array.from({ length: o.groups }, (_, g) => `sg-${g + 1}`);
  const subnets = Math.floor((o.interfaces - 1) / HOSTS_PER_SUBNET) + 1;

  // Interfaces first: rules name the subnets in use.
  const interfaces: NativeInterface[] = [];
  for (let i = 0; i < o.interfaces; i++) {
    const ips = [formatAddress(4, interfaceIpv4(i))];
    if (rng.chance(0.1)) ips.push(formatAddress(4, interfaceSecondaryIpv4(i)));
    const v6 = rng.chance(o.ipv6Share);
    if (v6) ips.push(formatAddress(6, interfaceIpv6(i)));
    const groups = [groupIds[i % o.groups]!];
    while (groups.length < o.groupsPerInterface) {
      const g = groupIds[rng.int(o.groups)]!;
      if (!groups.includes(g)) groups.push(g);
    }
    const iface: NativeInterface = { id: `${prefix}-${i + 1}`, ips, groups };
    // Alibaba's per-ENI ConnectionTrackingConfiguration (SEMANTICS §5), now and then.
    if (aliyun && rng.chance(0.1)) iface.conntrack = { tcpEstablished: rng.pick([300, 600, 910]), udp: rng.pick([10, 20, 60, 100]) };
    interfaces.push(iface);
  }

  // Address groups.
  const addressGroups: NativeAddressGroup[] = [];
  for (let a = 0; a < o.addressGroups; a++) {
    const cidrs = new Set<string>();
    for (let k = 0; k < o.addressGroupSize * 4 && cidrs.size < o.addressGroupSize; k++) cidrs.add(randomCidr(rng, rng.chance(o.ipv6Share) ? 6 : 4, subnets, true));
    addressGroups.push({ id: `ag-${a + 1}`, cidrs: [...cidrs] });
  }

  // Security groups and rules.
  const securityGroups: NativeGroup[] = groupIds.map((id) => {
    const g: NativeGroup = { id, rules: [] };
    if (aliyun) {
      const type = o.cloud === 'aliyun-basic' ? 'basic' : 'advanced';
      const inner = type === 'basic' ? (rng.chance(0.25) ? 'drop' : 'accept') : undefined;
      // Key order as people write it: id, type, innerAccessPolicy, rules.
      delete (g as { rules?: unknown }).rules;
      g.type = type;
      if (inner) g.innerAccessPolicy = inner;
      g.rules = [];
    }
    let groupRefs = 0;
    const special = new Map<string, number>(); // huawei: `${dir}|${family}` -> counted rules
    const countSpecial = (r: NativeRule, family: 4 | 6) => {
      const k = `${r.direction}|${family}`;
      special.set(k, (special.get(k) ?? 0) + 1);
    };
    const canSpecial = (dir: string, family: 4 | 6) => o.stress || (special.get(`${dir}|${family}`) ?? 0) < HUAWEI.specialRulesPerDirectionFamily;
    // Huawei default groups carry an explicit intra-group rule (SEMANTICS §4).
    if (huawei && o.rulesPerGroup > 0 && rng.chance(0.5)) {
      const r: NativeRule = { id: `${id}-self`, direction: 'ingress', action: 'allow', priority: 1, protocol: 'all', remote: { group: id } };
      g.rules.push(r);
      countSpecial(r, 4);
    }
    while (g.rules.length < o.rulesPerGroup) {
      const k = g.rules.length + 1;
      const direction = rng.chance(0.7) ? 'ingress' : 'egress';
      const action = rng.chance(o.denyShare) ? 'deny' : 'allow';
      const priority = cloud === 'generic' ? rng.int(1000) : rng.range(1, 100);
      const family: 4 | 6 = rng.chance(o.ipv6Share) ? 6 : 4;
      const pw = rng.weighted([55, 18, 10, 10, 4, huawei ? 3 : 0]);
      const protocol: string | number = ['tcp', 'udp', family === 4 ? 'icmp' : 'icmpv6', 'all', 'gre', 132][pw]!;
      const r: NativeRule = { id: `${id}-r${k}`, direction, action, priority, protocol };
      if ((protocol === 'tcp' || protocol === 'udp') && rng.chance(0.8)) r.ports = rng.pick(protocol === 'tcp' ? TCP_PORTS : UDP_PORTS);
      if (aliyun && (protocol === 'tcp' || protocol === 'udp') && rng.chance(0.05)) r.sourcePorts = '1024-65535';
      const rk = rng.weighted([60, o.groupRefShare * 100, o.addressGroupShare * 100, 10]);
      let remoteIsCidr = false;
      if (rk === 1 && (!(o.cloud === 'aliyun-basic') || o.stress || groupRefs < ALIYUN.groupReferenceRulesPerBasicGroup) && (!huawei || canSpecial(direction, family))) {
        r.remote = { group: rng.pick(groupIds) };
        groupRefs++;
      } else if (rk === 2 && addressGroups.length > 0 && (!huawei || canSpecial(direction, family))) {
        r.remote = { addressGroup: rng.pick(addressGroups).id };
      } else if (rk === 3) {
        // any address: no remote
      } else {
        r.remote = randomCidr(rng, family, subnets, false);
        remoteIsCidr = true;
      }
      if (aliyun && rng.chance(0.03)) {
        const s = rng.int(subnets);
        r.local = family === 4 ? cidrText(4, v4(10, 1 + (s >> 8), s & 255, 0), 24) : cidrText(6, V6_VPC | (BigInt(s) << 64n), 64);
      }
      if (!remoteIsCidr && r.local === undefined && protocol !== 'icmp' && protocol !== 'icmpv6') {
        // Without a CIDR the family comes from ethertype: huawei defaults to ipv4, the others match both.
        if (huawei ? family === 6 : rng.chance(0.5)) r.ethertype = family === 4 ? 'ipv4' : 'ipv6';
      }
      if (huawei) {
        const isSpecial = r.remote !== undefined && typeof r.remote === 'object' || (r.ports !== undefined && !contiguous(String(r.ports)));
        if (isSpecial) {
          if (!canSpecial(direction, family)) r.ports = rng.pick((protocol === 'tcp' ? TCP_PORTS : UDP_PORTS).filter(contiguous));
          else countSpecial(r, family);
        }
      }
      g.rules.push(r);
    }
    return g;
  });

  const doc: NativeTopology = {
    description: describeTopologyOptions(o),
    cloud,
    ...(addressGroups.length > 0 ? { addressGroups } : {}),
    securityGroups,
    interfaces,
  };
  if (!o.stress) checkMembership(o, interfaces);
  return doc;
}

/** Group capacity limits that depend on the drawn bindings (SEMANTICS §7). */
function checkMembership(o: ResolvedTopologyGenOptions, interfaces: NativeInterface[]): void {
  const ips = new Map<string, number>();
  const members = new Map<string, number>();
  for (const i of interfaces) {
    for (const g of i.groups) {
      ips.set(g, (ips.get(g) ?? 0) + i.ips.length);
      members.set(g, (members.get(g) ?? 0) + 1);
    }
  }
  for (const [g, n] of ips) {
    if (o.cloud === 'aliyun-basic' && n > ALIYUN.privateIpsPerBasicGroup) {
      overLimit('interfaces', `basic group ${g} would hold ${n} private IPs, above Alibaba's ${ALIYUN.privateIpsPerBasicGroup} (use more groups or fewer groupsPerInterface)`);
    }
  }
  for (const [g, n] of members) {
    if (o.cloud === 'huawei' && n > HUAWEI.interfacesPerGroup) {
      overLimit('interfaces', `group ${g} would have ${n} interfaces, above Huawei's ${HUAWEI.interfacesPerGroup} (use more groups or fewer groupsPerInterface)`);
    }
  }
}

/**
 * A CIDR block for a rule or an address group: an outside pool block, a
 * VPC subnet in use, the VPC, or (rules only) the whole family.
 */
function randomCidr(rng: Prng, family: 4 | 6, subnets: number, narrow: boolean): string {
  const pick = rng.weighted(narrow ? [50, 30, 0, 0] : [45, 25, 10, 20]);
  if (family === 4) {
    if (pick === 0) {
      const [net, len] = rng.pick(OUTSIDE_V4);
      const prefix = rng.range(Math.max(len, narrow ? 24 : len), 28);
      const host = rng.bits(32 - len) & ~((1n << BigInt(32 - prefix)) - 1n);
      return cidrText(4, net | host, prefix);
    }
    if (pick === 1) {
      const s = rng.int(subnets);
      const net = v4(10, 1 + (s >> 8), s & 255, 0);
      return rng.chance(0.7) ? cidrText(4, net, 24) : cidrText(4, net | BigInt(rng.int(8) * 32), 27);
    }
    if (pick === 2) return rng.chance(0.5) ? '10.0.0.0/8' : '10.1.0.0/16';
    return '0.0.0.0/0';
  }
  if (pick === 0) {
    const [net, len] = rng.pick(OUTSIDE_V6);
    return cidrText(6, net | (rng.bits(64 - len) << 64n), 64);
  }
  if (pick === 1) return cidrText(6, V6_VPC | (BigInt(rng.int(subnets)) << 64n), 64);
  if (pick === 2) return '2001:db8:100::/48';
  return '::/0';
}
