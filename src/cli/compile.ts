/**
 * `sgfilter compile TOPOLOGY -o FILE`: compile every interface × direction of
 * a topology into one table (docs/table-format.md) and save it.
 * Exit codes: 0 written; 1 the topology has errors; 2 usage or I/O error.
 */
import type { Command } from 'commander';
import { compileTopology } from '../compile/compile.js';
import { checkOutputPath, OutputError, writeOutput } from '../replay/output.js';
import { die, formatOption, groupTypeOption, loadForCommand, tfDirOption, type TopologyCliOptions } from './common.js';

export function registerCompile(program: Command): void {
  program
    .command('compile')
    .description('compile a topology into a flat rule table for the WASM matchers (exit 1 on topology errors)')
    .argument('<topology>', 'topology file (native JSON, Alibaba or Huawei export, ClassBench filters)')
    .requiredOption('-o, --output <file>', 'where to write the table')
    .addOption(formatOption())
    .addOption(groupTypeOption())
    .addOption(tfDirOption())
    .option('--json', 'print the table statistics as JSON on stdout')
    .action((file: string, opts: TopologyCliOptions & { output: string; json?: boolean }) => {
      try {
        checkOutputPath(opts.output, { label: '-o', inputs: [file] });
      } catch (e) {
        if (e instanceof OutputError) die(e.message);
        throw e;
      }
      const { topology } = loadForCommand(file, opts);
      let compiled;
      try {
        compiled = compileTopology(topology);
      } catch (e) {
        die(`${file}: ${(e as Error).message}`, 1);
      }
      try {
        writeOutput(opts.output, compiled.bytes, '-o');
      } catch (e) {
        die(`cannot write the table: ${(e as Error).message}`);
      }
      const rules = compiled.meta.lists.reduce((n, l) => n + l.rules.length, 0);
      if (opts.json) {
        process.stdout.write(JSON.stringify({ file: opts.output, bytes: compiled.bytes.length, lists: compiled.meta.lists.length, rules, classifiers: compiled.stats }) + '\n');
      }
      process.stderr.write(
        `${opts.output}: ${compiled.bytes.length} bytes, ${compiled.meta.lists.length} rule list(s) (${rules} rules) for ` +
          `${compiled.meta.interfaces.length} interface(s), ${compiled.stats.length} classifier(s)\n`,
      );
    });
}
