/**
 * `sgfilter gen --out-dir DIR [--seed N] [knobs...]`: a seeded topology and
 * traffic for it, written as DIR/topology.json and DIR/trace.pcap (or
 * .pcapng), then a summary on stdout (text, or JSON with --json).
 * `--topology FILE` generates traffic for an existing topology instead (any
 * format `check` reads; it is copied next to the capture).
 *
 * Same options and seed: the same bytes. A progress bar goes to stderr when
 * stderr is a terminal (`--quiet` silences it).
 *
 * Exit codes: 0 written; 1 a bad option value (named, with what was
 * expected), a topology file that does not load, or an I/O error.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { accessSync, constants, mkdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { GEN_ERROR, GenError } from '../gen/errors.js';
import { GEN_CLOUDS, generateTopology, type GenCloud, type TopologyGenOptions } from '../gen/topology.js';
import { MIX_KINDS, resolveTrafficOptions, type MixKind, type TrafficGenOptions } from '../gen/traffic/index.js';
import { checkOutputPath, OutputError, writeOutput } from '../replay/output.js';
import { CAPTURE_FORMATS, formatTopologyJson, writeTraffic, type GenCaptureFormat, type WrittenCapture } from '../gen/write.js';
import type { Topology } from '../model/topology.js';
import type { NativeTopology } from '../parse/native.js';
import { intOption, loadForCommand } from './common.js';

// ---------------------------------------------------------------------------
// Argument parsers (commander calls them; a throw becomes "error: option ... argument ... is invalid. <message>")


function shareArg(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a share within 0..1 (e.g. 0.05).');
  return n;
}

function positiveArg(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number.');
  return n;
}

/** `tcp=60,udp=20,echo=5` -> weights. */
export function parseMix(v: string): Partial<Record<MixKind, number>> {
  const out: Partial<Record<MixKind, number>> = {};
  for (const part of v.split(',')) {
    const m = /^\s*([a-z-]+)\s*[=:]\s*([0-9.]+)\s*$/.exec(part);
    if (!m) throw new InvalidArgumentError(`expected kind=weight pairs separated by commas (kinds: ${MIX_KINDS.join(', ')}), got ${JSON.stringify(part)}.`);
    if (!(MIX_KINDS as readonly string[]).includes(m[1]!)) throw new InvalidArgumentError(`unknown kind ${JSON.stringify(m[1])} (kinds: ${MIX_KINDS.join(', ')}).`);
    const w = Number(m[2]);
    if (!Number.isFinite(w) || w < 0) throw new InvalidArgumentError(`weight of ${m[1]} must be a number >= 0.`);
    out[m[1] as MixKind] = w;
  }
  return out;
}

interface GenCliOptions {
  outDir: string;
  seed: number;
  format: GenCaptureFormat;
  nanos?: boolean;
  name: string;
  topology?: string;
  topologyFormat?: 'native' | 'aliyun' | 'huawei' | 'classbench';
  groupType?: 'basic' | 'advanced';
  // topology knobs
  cloud: GenCloud;
  interfaces?: number;
  groups?: number;
  groupsPerInterface?: number;
  rulesPerGroup?: number;
  groupRefShare?: number;
  addressGroups?: number;
  addressGroupSize?: number;
  addressGroupShare?: number;
  denyRuleShare?: number;
  stress?: boolean;
  // traffic knobs
  flows?: number;
  packets?: number;
  packetsPerFlow?: number;
  mix?: Partial<Record<MixKind, number>>;
  ipv6Share?: number;
  vlanShare?: number;
  fragmentShare?: number;
  deniedShare?: number;
  scanShare?: number;
  idleShare?: number;
  arpShare?: number;
  backwardsShare?: number;
  flowGapUs?: number;
  rttUs?: number;
  maxIdleSeconds?: number;
  payloadMax?: number;
  routers?: number;
  start?: number;
  topologyOnly?: boolean;
  quiet?: boolean;
  json?: boolean;
}

const TOPOLOGY_KNOBS = ['cloud', 'interfaces', 'groups', 'groupsPerInterface', 'rulesPerGroup', 'groupRefShare', 'addressGroups', 'addressGroupSize', 'addressGroupShare', 'denyRuleShare', 'stress'] as const;

function pick<T extends object>(o: Record<string, unknown>, keys: readonly string[]): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out as Partial<T>;
}

export function topologyOptionsFromCli(o: GenCliOptions): TopologyGenOptions {
  const t: TopologyGenOptions = { seed: o.seed, cloud: o.cloud, ...pick<TopologyGenOptions>(o as unknown as Record<string, unknown>, ['interfaces', 'groups', 'groupsPerInterface', 'rulesPerGroup', 'groupRefShare', 'addressGroups', 'addressGroupSize', 'addressGroupShare', 'ipv6Share', 'stress']) };
  if (o.denyRuleShare !== undefined) t.denyShare = o.denyRuleShare;
  return t;
}

export function trafficOptionsFromCli(o: GenCliOptions): TrafficGenOptions {
  return {
    seed: o.seed,
    ...pick<TrafficGenOptions>(o as unknown as Record<string, unknown>, [
      'flows', 'packets', 'packetsPerFlow', 'mix', 'ipv6Share', 'vlanShare', 'fragmentShare', 'deniedShare', 'scanShare', 'idleShare',
      'arpShare', 'backwardsShare', 'flowGapUs', 'rttUs', 'maxIdleSeconds', 'payloadMax', 'routers', 'start', 'nanos',
    ]),
  };
}

function summaryText(s: WrittenCapture, topologyPath: string): string[] {
  const kinds = (r: Record<string, number>) => Object.entries(r).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
  return [
    `topology: ${topologyPath}`,
    `capture:  ${s.file} (${s.format}, ${s.nanos ? 'ns' : 'µs'} timestamps, ${s.fileBytes} bytes)`,
    `packets:  ${s.packets} (${s.bytes} bytes of frames), ${s.firstTs ?? '-'} .. ${s.lastTs ?? '-'}`,
    `flows:    ${s.flows}: ${kinds(s.flowsByKind)}`,
    `paths:    ${kinds(s.flowsByPath)}`,
    `packets by kind: ${kinds(s.packetsByKind)}`,
    `special:  ipv6 ${s.ipv6Packets}, vlan ${s.vlanPackets} (qinq ${s.qinqPackets}), fragments ${s.fragmentPackets} (without first ${s.orphanFragments}), ` +
      `icmp errors ${s.icmpErrorPackets}, non-ip ${s.nonIpPackets}, idle gaps ${s.idleGaps} (skipped ${s.idleSkipped}), backwards ts ${s.backwardsTimestamps}, ` +
      `peak active flows ${s.peakActiveFlows}`,
  ];
}

export function runGen(o: GenCliOptions, cmd: Command): number {
  if (o.topology !== undefined) {
    const clash = TOPOLOGY_KNOBS.find((k) => cmd.getOptionValueSource(k) === 'cli');
    if (clash) throw new GenError(GEN_ERROR.BAD_OPTION, `--${clash.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} generates a topology; it cannot be combined with --topology`, clash);
    if (o.topologyOnly) throw new GenError(GEN_ERROR.BAD_OPTION, '--topology-only cannot be combined with --topology', 'topologyOnly');
  }
  if (!/^[\w.-]+$/.test(o.name)) throw new GenError(GEN_ERROR.BAD_OPTION, `--name must be a plain file name (letters, digits, . _ -), got ${JSON.stringify(o.name)}`, 'name');
  // Everything that can be refused is refused before anything is created:
  // the options, the topology, the output directory and files.
  const traffic = trafficOptionsFromCli(o);
  resolveTrafficOptions(traffic);
  const topoBase = o.name === 'trace' ? 'topology' : `${o.name}.topology`;
  let topology: Topology | NativeTopology;
  let topologyPath: string;
  let topologyText: string | Uint8Array;
  if (o.topology !== undefined) {
    const loaded = loadForCommand(o.topology, { ...(o.topologyFormat ? { format: o.topologyFormat } : {}), ...(o.groupType ? { groupType: o.groupType } : {}) });
    topology = loaded.topology;
    topologyPath = loaded.format === 'native' ? join(o.outDir, `${topoBase}.json`) : join(o.outDir, `${topoBase}.${loaded.format}${extname(basename(o.topology)) || '.json'}`);
    topologyText = readFileSync(o.topology);
  } else {
    const doc = generateTopology(topologyOptionsFromCli(o));
    topology = doc;
    topologyPath = join(o.outDir, `${topoBase}.json`);
    topologyText = formatTopologyJson(doc);
  }
  const capturePath = join(o.outDir, `${o.name}.${o.format}`);
  const created = makeOutDir(o.outDir);
  const temps: string[] = [];
  try {
    const outputs = o.topologyOnly ? [topologyPath] : [topologyPath, capturePath];
    const kinds = outputs.map((p) => checkOutputPath(p, { inputs: [o.topology] }));
    // Regular files are written under a temporary name and renamed when
    // complete (a failed run leaves nothing half-written); a FIFO or device
    // is written in place.
    const target = (path: string, i: number) => {
      if (kinds[i] === 'stream') return path;
      const t = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
      temps.push(t);
      return t;
    };
    const topoTarget = target(topologyPath, 0);
    try {
      writeOutput(topoTarget, topologyText);
    } catch (e) {
      if (e instanceof OutputError) throw new OutputError(topologyPath, e.message.replace(topoTarget, topologyPath));
      throw e;
    }
    let summary: WrittenCapture | undefined;
    if (!o.topologyOnly) {
      const captureTarget = target(capturePath, 1);
      const showBar = !o.quiet && process.stderr.isTTY === true;
      const total = traffic.packets ?? Math.round((traffic.flows ?? 1000) * (traffic.packetsPerFlow ?? 10));
      const bar = showBar
        ? new cliProgress.SingleBar({ stream: process.stderr, format: 'gen [{bar}] {value}/{total} packets ({percentage}%)', hideCursor: true, etaBuffer: 50 }, cliProgress.Presets.shades_classic)
        : null;
      bar?.start(total, 0);
      try {
        summary = writeTraffic(topology, traffic, captureTarget, {
          format: o.format,
          progressEvery: 16384,
          onProgress: (n) => {
            if (bar) {
              if (n > bar.getTotal()) bar.setTotal(n);
              bar.update(n);
            }
          },
        });
        summary.file = capturePath;
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code && err.syscall) throw new OutputError(capturePath, `${capturePath}: cannot write the capture: ${err.message.replace(/^[A-Z]+: /, '').replace(/, \w+$/, '')} (${err.code})`);
        throw e;
      } finally {
        bar?.stop();
      }
      if (captureTarget !== capturePath) renameSync(captureTarget, capturePath);
    }
    if (topoTarget !== topologyPath) renameSync(topoTarget, topologyPath);
    temps.length = 0;
    if (!summary) {
      if (!o.quiet) process.stdout.write(o.json ? JSON.stringify({ topology: topologyPath }) + '\n' : `topology: ${topologyPath}\n`);
      return 0;
    }
    if (o.json) process.stdout.write(JSON.stringify({ topology: topologyPath, ...summary }, null, 2) + '\n');
    else if (!o.quiet) process.stdout.write(summaryText(summary, topologyPath).join('\n') + '\n');
    return 0;
  } catch (e) {
    for (const t of temps) rmSync(t, { force: true });
    for (const d of created.reverse()) {
      try {
        rmdirSync(d);
      } catch {
        // not empty: something else is in it
      }
    }
    throw e;
  }
}

/**
 * Make the output directory: an existing directory must be writable; a
 * missing one is made level by level (never by a recursive mkdir, which spins
 * for ever under /proc) from the nearest existing ancestor, which must be a
 * writable directory. Returns the directories created, outermost first.
 */
function makeOutDir(dir: string): string[] {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    let st;
    try {
      st = statSync(at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw new OutputError(dir, `--out-dir ${dir}: ${at} cannot be used (${code})`);
      missing.unshift(at);
      const up = dirname(at);
      if (up === at) throw new OutputError(dir, `--out-dir ${dir}: no existing ancestor`);
      at = up;
      continue;
    }
    if (!st.isDirectory()) throw new OutputError(dir, `--out-dir ${dir}: ${at} is not a directory`);
    try {
      accessSync(at, constants.W_OK);
    } catch {
      throw new OutputError(dir, `--out-dir ${dir}: cannot create files in ${at} (permission denied)`);
    }
    break;
  }
  const created: string[] = [];
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      for (const c of created.reverse()) rmdirSync(c);
      throw new OutputError(dir, `--out-dir ${dir}: cannot create ${d} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    created.push(d);
  }
  return created;
}

export function registerGen(program: Command): void {
  program
    .command('gen')
    .description('generate a seeded topology and traffic for it: DIR/topology.json and DIR/trace.pcap(ng); same options and seed, same bytes')
    .requiredOption('--out-dir <dir>', 'output directory (created if missing)')
    .option('--seed <n>', 'seed (integer)', intOption(Number.MIN_SAFE_INTEGER), 1)
    .addOption(new Option('--format <format>', 'capture format').choices([...CAPTURE_FORMATS]).default('pcap'))
    .option('--nanos', 'nanosecond timestamps (default microseconds)')
    .option('--name <name>', 'file name stem: DIR/NAME.pcap and DIR/NAME.topology.json (default: trace.pcap and topology.json)', 'trace')
    .option('--topology <file>', 'generate traffic for this topology instead of generating one (copied into the output directory)')
    .addOption(new Option('--topology-format <format>', 'format of --topology (default: detected)').choices(['native', 'aliyun', 'huawei', 'classbench']))
    .addOption(new Option('--group-type <type>', 'Alibaba imports: type of groups the export does not describe').choices(['basic', 'advanced']))
    .option('--topology-only', 'write the topology and no traffic')
    // Topology knobs.
    .addOption(new Option('--cloud <cloud>', 'cloud of the generated topology').choices([...GEN_CLOUDS]).default('aliyun-basic'))
    .option('--interfaces <n>', 'interfaces (default 12)', intOption(1))
    .option('--groups <n>', 'security groups in all (default max(groups-per-interface + 1, interfaces / 3))', intOption(1))
    .option('--groups-per-interface <n>', 'groups bound to each interface (default 2)', intOption(1))
    .option('--rules-per-group <n>', 'rules per group (default 20)', intOption(0))
    .option('--group-ref-share <f>', 'share of rules whose remote is a security group (default 0.1; 0 for aliyun-advanced)', shareArg)
    .option('--address-groups <n>', 'address groups (default 2)', intOption(0))
    .option('--address-group-size <n>', 'CIDR blocks per address group (default 4)', intOption(1))
    .option('--address-group-share <f>', 'share of rules whose remote is an address group (default 0.05)', shareArg)
    .option('--deny-rule-share <f>', 'share of deny rules (default 0.15)', shareArg)
    .option('--stress', 'generate past the clouds\' limits (rules per group, groups per interface...) instead of refusing')
    // Traffic knobs.
    .option('--flows <n>', 'flows (default 1000; unlimited with --packets alone)', intOption(0))
    .option('--packets <n>', 'stop after exactly this many packets', intOption(0))
    .option('--packets-per-flow <n>', 'mean packets per flow (default 10)', positiveArg)
    .option('--mix <weights>', `weights of the ordinary kinds, e.g. tcp=60,udp=20,echo=8,icmp-error=6,gre=3,other=3`, parseMix)
    .option('--ipv6-share <f>', 'share of IPv6 flows (and of IPv6 interfaces and rules in a generated topology; default 0.2 / 0.3)', shareArg)
    .option('--vlan-share <f>', 'share of flows with 802.1Q tags, a third of them QinQ (default 0.1)', shareArg)
    .option('--fragment-share <f>', 'share of fragmented UDP / echo flows (default 0.03)', shareArg)
    .option('--denied-share <f>', 'share of SYN / UDP flows to closed ports from outside (default 0.05)', shareArg)
    .option('--scan-share <f>', 'share of port scans from outside (default 0.02)', shareArg)
    .option('--idle-share <f>', 'share of TCP/UDP flows pausing past their conntrack timeout (default 0.02)', shareArg)
    .option('--arp-share <f>', 'share of ARP exchanges (non-IP frames; default 0.005)', shareArg)
    .option('--backwards-share <f>', 'share of packets whose timestamp goes back a little (default 0)', shareArg)
    .option('--flow-gap-us <n>', 'mean gap between flow starts, µs (default 1000)', positiveArg)
    .option('--rtt-us <n>', 'mean round-trip time, µs (default 2000)', positiveArg)
    .option('--max-idle-seconds <n>', 'longest idle pause; longer timeouts are not waited out (default 3600)', positiveArg)
    .option('--payload-max <n>', 'largest TCP/UDP payload, bytes (default 256)', intOption(0, 9000))
    .option('--routers <n>', 'ICMP errors from routers come from a pool of n addresses per family (default 0: a new one per flow)', intOption(0, 256))
    .option('--start <sec>', 'capture start, Unix seconds (default 1700000000)', intOption(0))
    .option('--quiet', 'no progress bar and no summary')
    .option('--json', 'print the summary as JSON')
    .action((opts: GenCliOptions, cmd: Command) => {
      try {
        process.exitCode = runGen(opts, cmd);
      } catch (e) {
        if (e instanceof GenError) {
          process.stderr.write(`sgfilter gen: ${e.message} [${e.code}]\n`);
          process.exitCode = 1;
          return;
        }
        if (e instanceof OutputError) {
          process.stderr.write(`sgfilter gen: ${e.message}\n`);
          process.exitCode = 1;
          return;
        }
        if ((e as NodeJS.ErrnoException).code && (e as NodeJS.ErrnoException).syscall) {
          process.stderr.write(`sgfilter gen: ${(e as Error).message}\n`);
          process.exitCode = 1;
          return;
        }
        throw e;
      }
    });
}
