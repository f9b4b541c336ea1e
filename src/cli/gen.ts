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
import { GEN_CLOUDS, generateTopology, TOPOLOGY_DEFAULTS, type TopologyGenOptions } from '../gen/topology.js';
import { DEFAULT_MIX, MIX_KINDS, resolveTrafficOptions, TRAFFIC_DEFAULTS, type MixKind, type TrafficGenOptions } from '../gen/traffic/index.js';
import { checkOutputPath, OutputError, writeOutput } from '../replay/output.js';
import { CAPTURE_FORMATS, formatTopologyJson, writeTraffic, type GenCaptureFormat, type WrittenCapture } from '../gen/write.js';
import type { Topology } from '../model/topology.js';
import type { NativeTopology } from '../parse/native.js';
import { intOption, loadForCommand, positiveOption, shareOption } from './common.js';

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

// ---------------------------------------------------------------------------
// The knob table: each generator knob once — its flag, help (defaults read
// from TOPOLOGY_DEFAULTS / TRAFFIC_DEFAULTS, never retyped), value parser and
// which generator takes it (`api`: its name there when it differs). The
// options, the help text, the --topology clash check and the option objects
// handed to the generators all come from it.

const T = TOPOLOGY_DEFAULTS;
const R = TRAFFIC_DEFAULTS;

interface KnobSpec {
  key: string;
  flag: string;
  help: string;
  /** topology: generateTopology only (refused with --topology); traffic: the traffic generator; both. */
  side: 'topology' | 'traffic' | 'both';
  parse?: (value: string) => unknown;
  choices?: readonly string[];
  default?: string;
  api?: string;
}

export const GEN_KNOBS = [
  { key: 'nanos', flag: '--nanos', help: 'nanosecond timestamps (default microseconds)', side: 'traffic' },
  // (--name, --topology... are registered between these: see registerGen.)
  { key: 'cloud', flag: '--cloud <cloud>', help: 'cloud of the generated topology', side: 'topology', choices: GEN_CLOUDS, default: T.cloud },
  { key: 'interfaces', flag: '--interfaces <n>', help: `interfaces (default ${T.interfaces})`, side: 'topology', parse: intOption(1) },
  { key: 'groups', flag: '--groups <n>', help: 'security groups in all (default max(groups-per-interface + 1, interfaces / 3))', side: 'topology', parse: intOption(1) },
  { key: 'groupsPerInterface', flag: '--groups-per-interface <n>', help: `groups bound to each interface (default ${T.groupsPerInterface})`, side: 'topology', parse: intOption(1) },
  { key: 'rulesPerGroup', flag: '--rules-per-group <n>', help: `rules per group (default ${T.rulesPerGroup})`, side: 'topology', parse: intOption(0) },
  { key: 'groupRefShare', flag: '--group-ref-share <f>', help: `share of rules whose remote is a security group (default ${T.groupRefShare}; 0 for aliyun-advanced)`, side: 'topology', parse: shareOption() },
  { key: 'addressGroups', flag: '--address-groups <n>', help: `address groups (default ${T.addressGroups})`, side: 'topology', parse: intOption(0) },
  { key: 'addressGroupSize', flag: '--address-group-size <n>', help: `CIDR blocks per address group (default ${T.addressGroupSize})`, side: 'topology', parse: intOption(1) },
  { key: 'addressGroupShare', flag: '--address-group-share <f>', help: `share of rules whose remote is an address group (default ${T.addressGroupShare})`, side: 'topology', parse: shareOption() },
  { key: 'denyRuleShare', flag: '--deny-rule-share <f>', help: `share of deny rules (default ${T.denyShare})`, side: 'topology', parse: shareOption(), api: 'denyShare' },
  { key: 'stress', flag: '--stress', help: "generate past the clouds' limits (rules per group, groups per interface...) instead of refusing", side: 'topology' },
  { key: 'flows', flag: '--flows <n>', help: `flows (default ${R.flows}; unlimited with --packets alone)`, side: 'traffic', parse: intOption(0) },
  { key: 'packets', flag: '--packets <n>', help: 'stop after exactly this many packets', side: 'traffic', parse: intOption(0) },
  { key: 'packetsPerFlow', flag: '--packets-per-flow <n>', help: `mean packets per flow (default ${R.packetsPerFlow})`, side: 'traffic', parse: positiveOption() },
  { key: 'mix', flag: '--mix <weights>', help: `weights of the ordinary kinds, e.g. ${MIX_KINDS.map((k) => `${k}=${DEFAULT_MIX[k]}`).join(',')}`, side: 'traffic', parse: parseMix },
  { key: 'ipv6Share', flag: '--ipv6-share <f>', help: `share of IPv6 flows (and of IPv6 interfaces and rules in a generated topology; default ${R.ipv6Share} / ${T.ipv6Share})`, side: 'both', parse: shareOption() },
  { key: 'vlanShare', flag: '--vlan-share <f>', help: `share of flows with 802.1Q tags, a third of them QinQ (default ${R.vlanShare})`, side: 'traffic', parse: shareOption() },
  { key: 'fragmentShare', flag: '--fragment-share <f>', help: `share of fragmented UDP / echo flows (default ${R.fragmentShare})`, side: 'traffic', parse: shareOption() },
  { key: 'deniedShare', flag: '--denied-share <f>', help: `share of SYN / UDP flows to closed ports from outside (default ${R.deniedShare})`, side: 'traffic', parse: shareOption() },
  { key: 'scanShare', flag: '--scan-share <f>', help: `share of port scans from outside (default ${R.scanShare})`, side: 'traffic', parse: shareOption() },
  { key: 'idleShare', flag: '--idle-share <f>', help: `share of TCP/UDP flows pausing past their conntrack timeout (default ${R.idleShare})`, side: 'traffic', parse: shareOption() },
  { key: 'arpShare', flag: '--arp-share <f>', help: `share of ARP exchanges (non-IP frames; default ${R.arpShare})`, side: 'traffic', parse: shareOption() },
  { key: 'backwardsShare', flag: '--backwards-share <f>', help: `share of packets whose timestamp goes back a little (default ${R.backwardsShare})`, side: 'traffic', parse: shareOption() },
  { key: 'flowGapUs', flag: '--flow-gap-us <n>', help: `mean gap between flow starts, µs (default ${R.flowGapUs})`, side: 'traffic', parse: positiveOption() },
  { key: 'rttUs', flag: '--rtt-us <n>', help: `mean round-trip time, µs (default ${R.rttUs})`, side: 'traffic', parse: positiveOption() },
  { key: 'maxIdleSeconds', flag: '--max-idle-seconds <n>', help: `longest idle pause; longer timeouts are not waited out (default ${R.maxIdleSeconds})`, side: 'traffic', parse: positiveOption() },
  { key: 'payloadMax', flag: '--payload-max <n>', help: `largest TCP/UDP payload, bytes (default ${R.payloadMax})`, side: 'traffic', parse: intOption(0, 9000) },
  { key: 'routers', flag: '--routers <n>', help: `ICMP errors from routers come from a pool of n addresses per family (default ${R.routers}: a new one per flow)`, side: 'traffic', parse: intOption(0, 256) },
  { key: 'start', flag: '--start <sec>', help: `capture start, Unix seconds (default ${R.start})`, side: 'traffic', parse: intOption(0) },
] as const satisfies readonly KnobSpec[];

type Knob = (typeof GEN_KNOBS)[number];
type KnobValue<K> = K extends { parse: (v: string) => infer V } ? V : K extends { choices: readonly (infer C)[] } ? C : boolean;
/** The knobs' values as commander hands them over (the table's keys and parsers' types). */
type KnobOptions = { [K in Knob as K['key']]?: KnobValue<K> };

interface GenCliOptions extends KnobOptions {
  outDir: string;
  seed: number;
  format: GenCaptureFormat;
  name: string;
  topology?: string;
  topologyFormat?: 'native' | 'aliyun' | 'huawei' | 'classbench';
  groupType?: 'basic' | 'advanced';
  topologyOnly?: boolean;
  quiet?: boolean;
  json?: boolean;
}

function knobsOf(o: GenCliOptions, sides: readonly Knob['side'][], except: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of GEN_KNOBS as readonly KnobSpec[]) {
    if (!sides.includes(k.side) || except.includes(k.key)) continue;
    const v = (o as unknown as Record<string, unknown>)[k.key];
    if (v !== undefined) out[k.api ?? k.key] = v;
  }
  return out;
}

export function topologyOptionsFromCli(o: GenCliOptions): TopologyGenOptions {
  return { seed: o.seed, cloud: o.cloud ?? T.cloud, ...knobsOf(o, ['topology', 'both'], ['cloud']) };
}

export function trafficOptionsFromCli(o: GenCliOptions): TrafficGenOptions {
  return { seed: o.seed, ...knobsOf(o, ['traffic', 'both']) };
}

function knobOption(k: KnobSpec): Option {
  const opt = new Option(k.flag, k.help);
  if (k.parse) opt.argParser(k.parse);
  if (k.choices) opt.choices([...k.choices]);
  if (k.default !== undefined) opt.default(k.default);
  return opt;
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
    const clash = GEN_KNOBS.filter((k) => k.side === 'topology').map((k) => k.key).find((k) => cmd.getOptionValueSource(k) === 'cli');
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
  const gen = program
    .command('gen')
    .description('generate a seeded topology and traffic for it: DIR/topology.json and DIR/trace.pcap(ng); same options and seed, same bytes')
    .requiredOption('--out-dir <dir>', 'output directory (created if missing)')
    .option('--seed <n>', 'seed (integer)', intOption(Number.MIN_SAFE_INTEGER), 1)
    .addOption(new Option('--format <format>', 'capture format').choices([...CAPTURE_FORMATS]).default('pcap'))
    .addOption(knobOption(GEN_KNOBS.find((k) => k.key === 'nanos')!))
    .option('--name <name>', 'file name stem: DIR/NAME.pcap and DIR/NAME.topology.json (default: trace.pcap and topology.json)', 'trace')
    .option('--topology <file>', 'generate traffic for this topology instead of generating one (copied into the output directory)')
    .addOption(new Option('--topology-format <format>', 'format of --topology (default: detected)').choices(['native', 'aliyun', 'huawei', 'classbench']))
    .addOption(new Option('--group-type <type>', 'Alibaba imports: type of groups the export does not describe').choices(['basic', 'advanced']))
    .option('--topology-only', 'write the topology and no traffic');
  // The other knobs, in the table's order.
  for (const k of GEN_KNOBS) if (k.key !== 'nanos') gen.addOption(knobOption(k));
  gen
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
