/**
 * `sgfilter exposure TOPOLOGY`: what the internet can reach at each
 * interface (src/analysis/exposure.ts), sensitive services flagged.
 */
import type { Command } from 'commander';
import { SplitBudgetExceeded } from '../analysis/space.js';
import { analyzeTopology } from '../analysis/anomalies.js';
import { describeItem, exposure, EXPOSURE_RULES, exposureFindings } from '../analysis/exposure.js';
import { die, formatOption, groupTypeOption, loadForCommand, type TopologyCliOptions } from './common.js';
import { emitMachine, failOnOption, locateFindings, outputOption, type OutputCliOptions } from './output.js';

export function registerExposure(program: Command): void {
  program
    .command('exposure')
    .description('per interface: the protocols and ports reachable from the internet (IPv4 and IPv6), with the allowing rule and a witness packet')
    .argument('<topology>', 'topology file')
    .addOption(formatOption())
    .addOption(groupTypeOption())
    .addOption(outputOption())
    .addOption(failOnOption())
    .action((file: string, opts: TopologyCliOptions & OutputCliOptions) => {
      const loaded = loadForCommand(file, opts, opts.output !== 'text');
      const t = loaded.topology;
      let report: ReturnType<typeof exposure>;
      try {
        report = exposure(t, analyzeTopology(t));
      } catch (e) {
        if (e instanceof SplitBudgetExceeded) die(`the exact analysis gave up: ${e.message}`);
        throw e;
      }
      const findings = exposureFindings(t, report);
      locateFindings(file, loaded.format, findings, () => true, opts.groupType);
      if (opts.output === 'json') {
        process.stdout.write(JSON.stringify({ file, ...report, findings }, null, 2) + '\n');
      } else if (opts.output === 'text') {
        const w = (s: string) => process.stdout.write(s + '\n');
        for (const i of report.interfaces) {
          w(`${i.iface}:`);
          for (const family of [4, 6] as const) {
            const items = i.exposed.filter((x) => x.family === family);
            const open = i.egressOpen.includes(family) ? ' (egress to the internet: open on every protocol and port)' : '';
            if (items.length === 0) { w(`  IPv${family}: nothing reachable from the internet${open}`); continue; }
            w(`  IPv${family}:${open}`);
            for (const x of items) {
              w(`    ${x.sensitive.length ? '! ' : '  '}${describeItem(x)}${x.sensitive.length ? ` — ${x.sensitive.join(', ')}` : ''}`);
              w(`        e.g. ${x.witness}`);
            }
          }
        }
        if (report.unattachedGroups.length) w(`groups bound to no interface: ${report.unattachedGroups.join(', ')}`);
        if (report.allShadowedGroups.length) w(`groups whose every rule is shadowed or empty: ${report.allShadowedGroups.join(', ')}`);
        const sensitive = findings.filter((f) => f.code === 'exposure-sensitive').length;
        w(`${file}: ${report.interfaces.length} interface(s), ${sensitive} sensitive service exposure(s)`);
      }
      emitMachine('exposure', file, findings, opts, EXPOSURE_RULES);
    });
}
