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
import { checkOutputPath, OutputError } from '../replay/output.js';
import type { ReplayResult } from '../replay/replay.js';
import { die } from './common.js';
import { reportResult } from './replay.js';

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
      process.exitCode = reportResult(result, opts, 'judged (by every part alike)');
    });
}
