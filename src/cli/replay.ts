/**
 * `sgfilter replay --topology T --pcap FILE [--workers N] [--engine wasm|reference]
 *  [--decisions OUT.jsonl] [--summary OUT.json] [--quiet]`
 */
import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { replay, type ReplayResult } from '../replay/replay.js';
import { die, formatOption, groupTypeOption, loadForCommand, tfDirOption, type TopologyCliOptions } from './common.js';

interface ReplayCliOptions extends TopologyCliOptions {
  topology: string;
  pcap: string;
  workers: string;
  engine: 'wasm' | 'reference';
  decisions?: string;
  summary?: string;
  conntrackCapacity?: string;
  shards?: string;
  batchSize?: string;
  quiet?: boolean;
  json?: boolean;
}

function intOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) die(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return Number(value);
}

export function formatSummary(s: ReplayResult): string {
  const lines: string[] = [];
  const pct = (n: number) => (s.packets ? ((100 * n) / s.packets).toFixed(1) : '0.0') + '%';
  lines.push(`${s.file}: ${s.packets} packets, ${s.engine} engine${s.engine === 'wasm' ? `, ${s.workers} worker(s)` : ''}, ${s.seconds.toFixed(3)} s, ${Math.round(s.packetsPerSecond).toLocaleString('en-US')} packets/s`);
  lines.push(`  allow ${s.verdicts.allow} (${pct(s.verdicts.allow)}), deny ${s.verdicts.deny} (${pct(s.verdicts.deny)})`);
  lines.push(`  decided by: ${Object.entries(s.reasons).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  for (const [id, c] of Object.entries(s.interfaces)) {
    lines.push(`  ${id}: ingress allow ${c.ingress.allow} deny ${c.ingress.deny}; egress allow ${c.egress.allow} deny ${c.egress.deny}; conntrack peak ${s.conntrack.peak[id] ?? 0}`);
  }
  const hit = s.rules.filter((r) => r.hits > 0).sort((a, b) => b.hits - a.hits);
  lines.push(`  rules hit: ${hit.length} of ${s.rules.length}${hit.length ? '; top: ' + hit.slice(0, 5).map((r) => `${r.group}/${r.rule} ${r.hits}`).join(', ') : ''}`);
  if (s.rulesNeverHit.length) {
    const shown = s.rulesNeverHit.slice(0, 10).join(', ');
    lines.push(`  rules never hit (${s.rulesNeverHit.length}): ${shown}${s.rulesNeverHit.length > 10 ? ', …' : ''}`);
  }
  if (s.conntrack.full > 0) lines.push(`  WARNING: ${s.conntrack.full} packet(s) dropped because the conntrack table was full (conntrack-full); raise --conntrack-capacity`);
  if (s.conntrack.fragmentsNotRemembered > 0) lines.push(`  WARNING: ${s.conntrack.fragmentsNotRemembered} first fragment verdict(s) could not be remembered (fragment memory full)`);
  return lines.join('\n');
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('replay a pcap/pcapng capture against a topology, packet by packet, with per-interface conntrack')
    .requiredOption('--topology <file>', 'topology file')
    .requiredOption('--pcap <file>', 'capture (pcap or pcapng)')
    .option('--workers <n>', 'worker threads for the WASM engine (0 = this thread)', '1')
    .addOption(new Option('--engine <engine>', 'wasm (fast) or reference (the readable oracle)').choices(['wasm', 'reference']).default('wasm'))
    .option('--decisions <out.jsonl>', 'write one SEMANTICS §9 decision per packet')
    .option('--summary <out.json>', 'write the summary as JSON')
    .option('--conntrack-capacity <n>', 'conntrack entries per interface (default 262144)')
    .option('--shards <n>', 'state shards (default 16; decisions depend on it, never on --workers)')
    .option('--batch-size <n>', 'frames per batch (default 8192; decisions never depend on it)')
    .option('--json', 'print the summary as JSON on stdout')
    .option('-q, --quiet', 'no progress bar')
    .addOption(formatOption())
    .addOption(groupTypeOption())
    .addOption(tfDirOption())
    .action(async (opts: ReplayCliOptions) => {
      const workers = intOption('workers', opts.workers, 0, 32)!;
      const shards = intOption('shards', opts.shards, 1, 32);
      const capacity = intOption('conntrack-capacity', opts.conntrackCapacity, 1, 1 << 28);
      const batchSize = intOption('batch-size', opts.batchSize, 1, 1 << 20);
      const { topology } = loadForCommand(opts.topology, opts);
      const showBar = !opts.quiet && process.stderr.isTTY === true;
      const bar = showBar ? new cliProgress.SingleBar({ format: 'replay [{bar}] {percentage}% | {eta_formatted} left', hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
      bar?.start(100, 0);
      let result: ReplayResult;
      try {
        result = await replay(topology, opts.pcap, {
          engine: opts.engine,
          workers,
          ...(opts.decisions ? { decisionsPath: opts.decisions } : {}),
          ...(shards !== undefined ? { shards } : {}),
          ...(capacity !== undefined ? { conntrackCapacity: capacity } : {}),
          ...(batchSize !== undefined ? { batchSize } : {}),
          ...(bar ? { onProgress: (f: number) => bar.update(Math.round(f * 100)) } : {}),
        });
      } finally {
        bar?.stop();
      }
      if (opts.summary) writeFileSync(opts.summary, JSON.stringify(result, null, 2) + '\n');
      if (opts.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      else process.stdout.write(formatSummary(result) + '\n');
      if (result.error) {
        process.stderr.write(`sgfilter: ${result.error.message}\n  ${result.packets} packet(s) before the damage were judged${opts.decisions ? ' and written' : ''}; ${result.capture.bytesUnread} byte(s) left unread\n`);
        process.exitCode = 1;
      }
    });
}
