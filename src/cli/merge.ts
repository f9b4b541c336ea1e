/**
 * `sgfilter merge PART.json... [--decisions OUT.jsonl] [--summary OUT.json] [--json]`
 *
 * Combines the parts of a shard set (`replay --shard-set K/N --decisions
 * part-K.jsonl --summary part-K.json`) into the decisions file and summary one
 * replay of the whole capture writes (src/replay/merge.ts). The summary is
 * printed like replay's (or as JSON with --json; to stderr when the decisions
 * go to stdout).
 *
 * Exit codes: 0 merged; 1 merged, and the capture is damaged (as replay: the
 * packets before the damage are judged); 2 parts that do not fit together
 * (missing, duplicate, of another capture, topology, N or shard count,
 * interrupted or incomplete), an output that cannot be written.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { MergeError, mergeParts, readPart } from '../replay/merge.js';
import { checkOutputPath, isStdout, OutputError, writeOutput } from '../replay/output.js';
import type { ReplayResult } from '../replay/replay.js';
import { die } from './common.js';
import { formatSummary } from './replay.js';

interface MergeCliOptions {
  decisions?: string;
  summary?: string;
  json?: boolean;
}

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description("combine the parts of replay --shard-set K/N (their summaries, each naming its decisions file) into one replay's decisions and summary")
    .argument('<parts...>', "every part's summary file (replay --shard-set K/N --summary FILE), in any order")
    .option('--decisions <out.jsonl>', 'write the merged decisions (capture order)')
    .option('--summary <out.json>', 'write the merged summary as JSON')
    .option('--json', 'print the summary as JSON on stdout')
    .action((files: string[], opts: MergeCliOptions) => {
      try {
        if (opts.decisions !== undefined) checkOutputPath(opts.decisions, { label: '--decisions', inputs: files });
        if (opts.summary !== undefined) checkOutputPath(opts.summary, { label: '--summary', inputs: [...files, opts.decisions] });
        if (opts.summary !== undefined && opts.decisions !== undefined && resolve(opts.summary) === resolve(opts.decisions)) die(`--summary and --decisions name the same file ${opts.decisions}`);
      } catch (e) {
        if (e instanceof OutputError) die(e.message);
        throw e;
      }
      let result: ReplayResult;
      try {
        result = mergeParts(files.map(readPart), opts.decisions !== undefined ? { decisionsPath: opts.decisions } : {});
      } catch (e) {
        if (e instanceof MergeError || e instanceof OutputError) die(e.message);
        throw e;
      }
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
        process.stderr.write(`sgfilter: ${result.error.message}\n  ${result.packets} packet(s) before the damage were judged (by every part alike); ${result.capture.bytesUnread} byte(s) left unread\n`);
        code ||= 1;
      }
      if (result.decisions && !result.decisions.complete) {
        process.stderr.write(`sgfilter: ${result.decisions.error}\n  the decisions file is PARTIAL: it holds the decisions of packets 1..${result.decisions.packets} of ${result.packets}\n`);
        code = 2;
      }
      process.exitCode = code;
    });
}
