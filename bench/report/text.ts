/** The terminal and Markdown renderings of the report's tables and comparison. */
import { comparisonRows, comparisonSummary, noiseNote, type Comparison } from './compare.js';
import { mib } from './format.js';
import type { BenchReport } from './schema.js';
import { buildTables, headlines, type Table } from './tables.js';

function textTable(head: string[], rows: string[][], indent = '  '): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => indent + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), indent + widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

function envLine(r: BenchReport): string {
  const commit = r.git.commit ? `${r.git.commit.slice(0, 12)}${r.git.dirty ? ' (modified)' : ''}` : 'no commit';
  return `node ${r.env.node}, ${r.env.cpuModel} x ${r.env.cpuCount}, ${mib(r.env.totalMemoryBytes)} MiB, ${r.env.hostname}, ${commit}, mode ${r.options.mode}, ${r.durationSeconds.toFixed(0)} s`;
}

export function renderText(r: BenchReport, comparison?: Comparison): string {
  const out: string[] = [`sgfilter bench: ${envLine(r)}`];
  for (const n of r.notes) out.push(`note: ${n}`);
  for (const t of buildTables(r)) {
    out.push('', t.title, ...textTable(t.head, t.rows));
    for (const n of t.notes) out.push(`  ${n}`);
  }
  if (comparison) out.push('', ...renderComparisonText(comparison));
  return out.join('\n') + '\n';
}

export function renderComparisonText(c: Comparison): string[] {
  const out = [`Compared with ${c.old.file} (${c.old.startedAt}, ${c.old.commit?.slice(0, 12) ?? 'no commit'}, mode ${c.old.mode})`];
  for (const x of c.caveats) out.push(`  caveat: ${x}`);
  out.push(...textTable(['figure', 'old', 'new', 'change', 'noise', ''], comparisonRows(c)));
  out.push(`  ${comparisonSummary(c)}`);
  out.push(`  ${noiseNote(c)}`);
  return out;
}

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function mdTable(t: { head: string[]; rows: string[][] }): string[] {
  const row = (cells: string[]) => `| ${cells.map(mdEscape).join(' | ')} |`;
  return [row(t.head), `|${t.head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...t.rows.map(row)];
}

export function renderMarkdown(r: BenchReport, files: { json: string; html: string }, comparison?: Comparison): string {
  const out: string[] = [
    `# sgfilter benchmark, ${r.startedAt.slice(0, 10)} on ${r.env.hostname}`,
    '',
    `${envLine(r)}.`,
    `Raw samples: \`${files.json}\`; charts: \`${files.html}\`.`,
    '',
  ];
  for (const h of headlines(r)) out.push(`- **${h.label}**: ${h.value} (${h.detail})`);
  for (const n of r.notes) out.push('', `> ${n}`);
  for (const t of buildTables(r) as Table[]) {
    out.push('', `## ${t.title}`, '', ...mdTable(t));
    for (const n of t.notes) out.push('', n);
  }
  if (comparison) {
    out.push('', `## Change against ${comparison.old.file}`, '', `Old run: ${comparison.old.startedAt}, commit ${comparison.old.commit?.slice(0, 12) ?? 'unknown'}, mode ${comparison.old.mode}, host ${comparison.old.host}.`);
    for (const x of comparison.caveats) out.push('', `> caveat: ${x}`);
    out.push('', comparisonSummary(comparison) + '.', '', ...mdTable({ head: ['figure', 'old', 'new', 'change', 'noise', ''], rows: comparisonRows(comparison) }));
    out.push('', noiseNote(comparison));
  }
  out.push('', `Reproduce: \`npm run build && npm run bench${r.options.mode === 'default' ? '' : ` -- --${r.options.mode}`}${r.options.sections.length < 5 ? ` --only ${r.options.sections.join(',')}` : ''}\` (docs/bench.md).`, '');
  return out.join('\n');
}
