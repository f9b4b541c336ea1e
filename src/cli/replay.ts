/**
 * The end of `replay` and `merge`: the summary file (exit 2 when it cannot be
 * written), the summary on stdout (stderr when the decisions go to stdout),
 * the capture's damage (exit 1) and a partial decisions file (exit 2).
 * Returns the exit code.
 */
export function reportResult(result: ReplayResult, opts: { summary?: string; decisions?: string; json?: boolean }, judged: string): number {
  let code = 0;
  if (opts.summary) {
    try {
      writeOutput(opts.summary, JSON.stringify(result, null, 2) + '\n', '--summary');
    } catch (e) {
      if (!(e instanceof OutputError)) throw e;
      process.stderr.write(`sgfilter: ${e.message}\n`);
      code = 2;
    }
  }
  const text = opts.json ? JSON.stringify(result, null, 2) : formatSummary(result);
  if (opts.decisions !== undefined && isStdout(opts.decisions)) process.stderr.write(text + '\n');
  else process.stdout.write(text + '\n');
  if (result.error) {
    process.stderr.write(`sgfilter: ${result.error.message}\n  ${result.packets} packet(s) before the damage were ${judged}; ${result.capture.bytesUnread} byte(s) left unread\n`);
    code ||= 1;
  }
  if (result.decisions && !result.decisions.complete) {
    process.stderr.write(`sgfilter: ${result.decisions.error}\n  the decisions file is PARTIAL: it holds the decisions of packets 1..${result.decisions.packets} of ${result.packets}\n`);
    code = 2;
  }
  return code;
}

/**
 * `sgfilter replay --topology T --pcap FILE [--workers N] [--engine wasm|reference]
 *  [--decisions OUT.jsonl [--decisions-format jsonl|binary]] [--summary OUT.json]
 *  [--shard-set K/N] [--quiet]`
 *
 * `--shard-set K/N` judges the shards of part K (0-based) of N only; its
 * summary is the part's manifest for `sgfilter merge` (src/cli/merge.ts).
 *
 * Output paths are checked before any work. The first SIGINT/SIGTERM stops
 * reading; what was judged is written (decisions of packets 1..N, a summary
 * marked `interrupted`), then the exit is 130/143; a second signal kills the
 * process with that signal at once (the shell's status 130/143 too), whatever
 * its threads are blocked in. A FIFO with no writer yet stops at the first
 * signal too (src/replay/pipe.ts).
 *
 * Exit codes: 0 replayed; 1 damaged capture (packets before the damage are
 * judged) or a topology with errors; 2 usage error, unreadable capture or an
 * output that cannot be written (a decisions file cut short is reported as
 * partial); 130 / 143 interrupted by SIGINT / SIGTERM.
 */
import { dirname, relative, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { PCAP_ERROR, PcapError } from '../pcap/errors.js';
import { checkOutputPath, isStdout, OutputError, writeOutput } from '../replay/output.js';
import { prestartReplayWorkers, replay, type ReplayResult } from '../replay/replay.js';
import { EngineOptionError } from '../model/shard.js';
import { partShards } from '../replay/parts.js';
import { die, intValue, parseShardSetOption, formatOption, groupTypeOption, loadForCommand, tfDirOption, type TopologyCliOptions } from './common.js';

interface ReplayCliOptions extends TopologyCliOptions {
  topology: string;
  pcap: string;
  workers: string;
  engine: 'wasm' | 'reference';
  decisions?: string;
  decisionsFormat: 'jsonl' | 'binary';
  summary?: string;
  conntrackCapacity?: string;
  shards?: string;
  batchSize?: string;
  shardSet?: string;
  split?: 'shared' | 'lanes';
  quiet?: boolean;
  json?: boolean;
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
  if (s.interrupted) lines.push(`  INTERRUPTED after packet ${s.interrupted.packets}: the packets after it were not read`);
  if (s.decisions && !s.decisions.complete) lines.push(`  PARTIAL decisions file ${s.decisions.path}: packets 1..${s.decisions.packets} only`);
  if (s.part) lines.push(`  part ${s.part.index}/${s.part.count}: shards ${s.part.ownedShards.join(',')} of ${s.part.shards} (combine the parts with sgfilter merge)`);
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
    .addOption(new Option('--decisions-format <format>', 'jsonl (§9 JSON lines) or binary (fixed-size records, docs/decisions.md; `sgfilter decisions FILE` prints it as JSON lines)').choices(['jsonl', 'binary']).default('jsonl'))
    .option('--summary <out.json>', 'write the summary as JSON')
    .option('--conntrack-capacity <n>', 'conntrack entries per interface (default 262144)')
    .option('--shards <n>', 'state shards (default 16; decisions depend on it, never on --workers)')
    .option('--batch-size <n>', 'frames per batch (default 8192; decisions never depend on it)')
    .addOption(new Option('--split <how>', 'with --workers 2 or more: shared (the capture decoded once, in this thread, into memory every worker reads; the default for a pipe, FIFO or device) or lanes (every worker reads and decodes the whole capture; the default for a regular file, measured faster there); decisions never depend on it').choices(['shared', 'lanes']))
    .option('--shard-set <K/N>', 'judge only the shards of part K of N (K = 0..N-1, e.g. $JOB_COMPLETION_INDEX); needs --summary, the part\'s manifest for sgfilter merge')
    .option('--json', 'print the summary as JSON on stdout')
    .option('-q, --quiet', 'no progress bar')
    .addOption(formatOption())
    .addOption(groupTypeOption())
    .addOption(tfDirOption())
    .action(async (opts: ReplayCliOptions) => {
      const workers = intValue('workers', opts.workers, 0, 32)!;
      const shards = intValue('shards', opts.shards, 1, 32);
      const capacity = intValue('conntrack-capacity', opts.conntrackCapacity, 1, 1 << 28);
      const batchSize = intValue('batch-size', opts.batchSize, 1, 1 << 20);
      let shardSet: { index: number; count: number } | undefined;
      if (opts.shardSet !== undefined) {
        const nShards = shards ?? 16;
        const r = parseShardSetOption(opts.shardSet, nShards);
        if (typeof r === 'string') die(`--shard-set ${r}`);
        shardSet = r;
        const mine = partShards(r, nShards).length;
        if (workers > mine) die(`--workers ${workers}: part ${r.index}/${r.count} has ${mine} of the ${nShards} shards, so at most ${mine} workers (a worker judges whole shards)`);
        if (opts.engine === 'reference') die('--shard-set needs the wasm engine (the reference engine judges every packet in one thread)');
        if (opts.summary === undefined) die('--shard-set needs --summary FILE: a part\'s summary is the manifest sgfilter merge reads');
      }
      // Outputs first: a run must not end in an output it cannot write.
      let summaryKind: 'file' | 'stream' = 'file';
      try {
        if (opts.decisions !== undefined) {
          const kind = checkOutputPath(opts.decisions, { label: '--decisions', inputs: [opts.pcap, opts.topology] });
          if (shardSet && kind !== 'file') die(`--decisions ${opts.decisions}: with --shard-set the decisions go to a regular file (sgfilter merge reads it)`);
        }
        if (opts.summary !== undefined) summaryKind = checkOutputPath(opts.summary, { label: '--summary', inputs: [opts.pcap, opts.topology, opts.decisions] });
        if (opts.summary !== undefined && opts.decisions !== undefined && resolve(opts.summary) === resolve(opts.decisions)) die(`--summary and --decisions name the same file ${opts.decisions}`);
      } catch (e) {
        if (e instanceof OutputError) die(e.message);
        throw e;
      }
      // The worker threads start while the topology loads (replay() takes them). Not the one of
      // `--workers 1`: replay() judges that in this thread (the local lane), and starts a thread only to
      // write the decisions, which also empties an existing decisions file off this thread's path.
      if (opts.engine !== 'reference' && workers !== 1) prestartReplayWorkers(workers);
      const { topology } = loadForCommand(opts.topology, opts);
      const showBar = !opts.quiet && process.stderr.isTTY === true;
      const bar = showBar ? new cliProgress.SingleBar({ format: 'replay [{bar}] {percentage}% | {eta_formatted} left', hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
      // First signal: stop reading and write what was judged; second: exit at once.
      const stop = new AbortController();
      let signalled: NodeJS.Signals | undefined;
      const onSignal = (sig: NodeJS.Signals) => {
        if (signalled) {
          bar?.stop();
          process.stderr.write(`sgfilter: ${sig} again: exiting now (outputs are incomplete)\n`);
          // Killed by the signal itself (the shell's status 130/143): process.exit() would wait
          // for a thread blocked in a read, which may never return.
          process.removeAllListeners(sig);
          process.kill(process.pid, sig);
          return;
        }
        signalled = sig;
        stop.abort();
        process.stderr.write(`sgfilter: ${sig}: stopping; writing what was judged (${sig === 'SIGINT' ? 'Ctrl-C' : 'signal'} again to quit at once)\n`);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      bar?.start(100, 0);
      let result: ReplayResult;
      try {
        result = await replay(topology, opts.pcap, {
          engine: opts.engine,
          workers,
          ...(opts.split ? { split: opts.split } : {}),
          signal: stop.signal,
          ...(opts.decisions ? { decisionsPath: opts.decisions, decisionsFormat: opts.decisionsFormat } : {}),
          ...(shards !== undefined ? { shards } : {}),
          ...(capacity !== undefined ? { conntrackCapacity: capacity } : {}),
          ...(batchSize !== undefined ? { batchSize } : {}),
          ...(shardSet ? { shardSet } : {}),
          ...(bar ? { onProgress: (f: number) => bar.update(Math.round(f * 100)) } : {}),
        });
      } catch (e) {
        bar?.stop();
        if (e instanceof PcapError && e.code === PCAP_ERROR.IO) die(e.message);
        if (e instanceof OutputError) die(e.message);
        if (e instanceof EngineOptionError) die(e.message);
        throw e;
      } finally {
        bar?.stop();
      }
      if (result.error?.code === PCAP_ERROR.IO) {
        // Nothing could be read: no summary, the same exit as decode.
        die(result.error.message);
      }
      // A part's manifest names its decisions file relative to the manifest's directory (absolute when the manifest goes to a stream).
      const d = result.part?.decisions;
      if (opts.summary && d) d.path = summaryKind === 'file' ? relative(dirname(resolve(opts.summary)), resolve(d.path)) : resolve(d.path);
      let code = reportResult(result, opts, opts.decisions ? 'judged and written' : 'judged');
      if (result.interrupted && signalled) {
        process.stderr.write(`sgfilter: interrupted by ${signalled}: packets 1..${result.interrupted.packets} were judged${opts.decisions ? ' and written' : ''}\n`);
        code = signalled === 'SIGINT' ? 130 : 143;
      }
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.exitCode = code;
    });
}
