/**
 * `sgfilter assert --topology T CASES [--junit FILE] [--output text|json|junit]`:
 * judge every case of a cases file (src/analysis/assert.ts); exit 1 when a
 * case fails, 2 when the cases file or the topology cannot be read.
 */
import { Option, type Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { CasesError, parseCases, runCases } from '../analysis/assert.js';
import { junitXml } from '../analysis/report.js';
import { decisionJson } from '../model/decision.js';
import { die, formatOption, groupTypeOption, loadForCommand, type TopologyCliOptions } from './common.js';

export function registerAssert(program: Command): void {
  program
    .command('assert')
    .description('check that packets get the verdicts a cases file expects (e.g. "ssh from the internet to web servers is denied"); exit 1 on any failure')
    .requiredOption('--topology <file>', 'topology file')
    .argument('<cases>', 'cases file (JSON: {"cases": [{"name", "packet", "expect": "allow"|"deny", "rule"?, "reason"?}]})')
    .addOption(formatOption())
    .addOption(groupTypeOption())
    .addOption(new Option('--output <format>', 'report format').choices(['text', 'json', 'junit']).default('text'))
    .option('--junit <file>', 'also write the results as JUnit XML to this file')
    .action((casesFile: string, opts: TopologyCliOptions & { topology: string; output: 'text' | 'json' | 'junit'; junit?: string }) => {
      let cases;
      try {
        let text: string;
        try {
          text = readFileSync(casesFile, 'utf8');
        } catch (e) {
          die(`${casesFile}: cannot read the cases file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        }
        let doc: unknown;
        try {
          doc = JSON.parse(text);
        } catch (e) {
          die(`${casesFile}: not JSON: ${(e as Error).message}`);
        }
        cases = parseCases(doc, casesFile);
      } catch (e) {
        if (e instanceof CasesError) die(e.message);
        throw e;
      }
      const { topology } = loadForCommand(opts.topology, opts, opts.output !== 'text');
      const results = runCases(topology, cases);
      const failed = results.filter((r) => !r.pass).length;
      const xml = () => junitXml(`sgfilter assert ${casesFile}`, results.map((r) => ({
        name: r.name,
        classname: 'sgfilter.assert',
        ...(r.pass ? {} : { failure: { message: `expected ${r.expected}, got ${r.got}`, type: 'verdict', body: `${r.packet}: expected ${r.expected}, got ${r.got}` } }),
      })));
      if (opts.junit) writeFileSync(opts.junit, xml());
      if (opts.output === 'junit') process.stdout.write(xml());
      else if (opts.output === 'json') {
        process.stdout.write(JSON.stringify({ topology: opts.topology, cases: casesFile, passed: results.length - failed, failed, results: results.map((r) => ({ ...r, decision: decisionJson(r.decision) })) }, null, 2) + '\n');
      } else {
        for (const r of results) process.stdout.write(`${r.pass ? 'PASS' : 'FAIL'}  ${r.name}: ${r.packet}${r.pass ? ` -> ${r.got}` : `: expected ${r.expected}, got ${r.got}`}\n`);
        process.stdout.write(`${results.length - failed} passed, ${failed} failed\n`);
      }
      process.exitCode = failed > 0 ? 1 : 0;
    });
}
