/**
 * `sgfilter diff OLD NEW [--scope SPEC]... [--pcap FILE]`: what a change does
 * (src/analysis/diff.ts).
 */
import type { Command } from 'commander';
import { SplitBudgetExceeded } from '../analysis/space.js';
import { captureDiff, describeChange, DIFF_RULES, diffFindings, parseScope, ScopeError, structuralDiff, type ScopeSpec } from '../analysis/diff.js';
import type { Finding } from '../analysis/findings.js';
import { die, formatOption, groupTypeOption, loadForCommand, type TopologyCliOptions } from './common.js';
import { emitMachine, failOnOption, locateFindings, outputOption, type OutputCliOptions } from './output.js';

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('the header-space regions whose verdict differs between two topologies (and, with --pcap, the flows of a capture whose verdict changes)')
    .argument('<old>', 'the topology before the change')
    .argument('<new>', 'the topology after the change')
    .option('--scope <spec>', 'an intended change, e.g. "iface=eni-web1,dir=ingress,proto=tcp,ports=8080,remote=10.0.0.0/8" (repeatable); changes outside every scope are flagged', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--pcap <file>', 'also replay this capture against both topologies (WASM engine) and list the flows whose verdict changes')
    .addOption(formatOption())
    .addOption(groupTypeOption())
    .addOption(outputOption())
    .addOption(failOnOption())
    .action((oldFile: string, newFile: string, opts: TopologyCliOptions & OutputCliOptions & { scope: string[]; pcap?: string }) => {
      let scopes: ScopeSpec[];
      try {
        scopes = opts.scope.map(parseScope);
      } catch (e) {
        if (e instanceof ScopeError) die(e.message);
        throw e;
      }
      const quiet = opts.output !== 'text';
      const oldL = loadForCommand(oldFile, opts, quiet);
      const newL = loadForCommand(newFile, opts, quiet);
      let d: ReturnType<typeof structuralDiff>;
      try {
        d = structuralDiff(oldL.topology, newL.topology, scopes);
      } catch (e) {
        if (e instanceof SplitBudgetExceeded) die(`the exact analysis gave up: ${e.message}`);
        throw e;
      }
      const findings: Finding[] = diffFindings(newL.topology, d, scopes.length > 0);
      locateFindings(newFile, newL.format, findings, () => true, opts.groupType);
      const cap = opts.pcap ? captureDiff(oldL.topology, newL.topology, opts.pcap) : undefined;
      if (cap) {
        for (const f of cap.flows) {
          findings.push({ code: 'diff-flow-changed', level: 'warning', message: `${f.flow} (first changed packet #${f.firstPacket}, ${f.packets} packet(s)): ${f.change === 'newly-allowed' ? 'newly allowed' : 'newly denied'} — old: ${f.old}; new: ${f.new}`, path: '' });
        }
      }
      if (opts.output === 'json') {
        process.stdout.write(JSON.stringify({ old: oldFile, new: newFile, scopes: scopes.map((s) => s.text), ...d, ...(cap ? { capture: { file: opts.pcap, ...cap } } : {}), findings }, null, 2) + '\n');
      } else if (opts.output === 'text') {
        const w = (s: string) => process.stdout.write(s + '\n');
        for (const c of d.changes) {
          w(`${describeChange(c)}${scopes.length ? (c.inScope ? ' [in scope]' : ' [OUTSIDE SCOPE]') : ''}`);
          w(`    e.g. ${c.witness}`);
        }
        for (const i of d.addedInterfaces) w(`interface ${i}: only in ${newFile} (not compared)`);
        for (const i of d.removedInterfaces) w(`interface ${i}: only in ${oldFile} (not compared)`);
        const outside = d.changes.filter((c) => !c.inScope).length;
        w(`${oldFile} -> ${newFile}: ${d.changes.length} changed region group(s)${scopes.length ? `, ${outside} outside the scope` : ''}`);
        if (cap) {
          for (const f of cap.flows) w(`  #${f.firstPacket} ${f.flow}: ${f.packets} packet(s) ${f.change === 'newly-allowed' ? 'newly allowed' : 'newly denied'} — old: ${f.old}; new: ${f.new}`);
          w(`${opts.pcap}: ${cap.packets} packet(s), ${cap.changedPackets} with another verdict, in ${cap.flows.length} flow(s) (${cap.newlyAllowed} newly allowed, ${cap.newlyDenied} newly denied)${cap.error ? `; capture damaged: ${cap.error}` : ''}`);
        }
      }
      emitMachine('diff', newFile, findings, opts, DIFF_RULES);
    });
}
