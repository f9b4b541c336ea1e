/**
 * `sgfilter decisions FILE [--out OUT.jsonl]`: a binary decisions file
 * (`replay --decisions-format binary`, docs/decisions.md) as JSON lines,
 * byte-identical to what `replay --decisions OUT.jsonl` writes; on stdout
 * unless --out names a file.
 *
 * Exit codes: 0 converted; 1 the file is damaged (every record before the
 * damage was written, then the error names the byte offset and what was
 * expected there); 2 the file cannot be read, or the output cannot be written.
 */
import type { Command } from 'commander';
import { convertDecisions, DECISIONS_ERROR, DecisionsFileError } from '../replay/decision-file.js';
import { checkOutputPath, OutputError, OutputFile } from '../replay/output.js';
import { die } from './common.js';

export function registerDecisions(program: Command): void {
  program
    .command('decisions')
    .description('print a binary decisions file (replay --decisions-format binary) as SEMANTICS §9 JSON lines')
    .argument('<file>', 'binary decisions file')
    .option('--out <out.jsonl>', 'write the JSON lines here (default: stdout)')
    .action((file: string, opts: { out?: string }) => {
      const path = opts.out ?? '/dev/stdout';
      let out: OutputFile;
      try {
        checkOutputPath(path, { label: '--out', inputs: [file] });
        out = opts.out === undefined ? new OutputFile(path, 1, '--out') : new OutputFile(path, undefined, '--out');
      } catch (e) {
        if (e instanceof OutputError) die(e.message);
        throw e;
      }
      let code = 0;
      try {
        convertDecisions(file, out);
      } catch (e) {
        if (!(e instanceof DecisionsFileError)) throw e;
        process.stderr.write(`sgfilter: ${e.message}\n`);
        code = e.code === DECISIONS_ERROR.IO ? 2 : 1;
      } finally {
        out.close();
      }
      const st = out.status();
      if (st.error !== undefined) {
        // A reader that went away (`| head`) is not an error.
        if (!/EPIPE/.test(st.error)) {
          process.stderr.write(`sgfilter: ${st.error}\n  the output is PARTIAL: ${st.lines} decision(s) were written\n`);
          code = 2;
        }
      }
      process.exitCode = code;
    });
}
