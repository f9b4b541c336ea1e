/**
 * `sgfilter classify RULES TRACE [--matcher optimized|linear|reference]`:
 * the first matching rule of every line of a ClassBench trace.
 *
 * stdout: the 1-based index of the first matching rule per trace line, 0 when
 * none, one per line. stderr: the throughput (and, with --check, mismatches
 * against the trace's oracle column).
 * Exit codes: 0 done; 1 bad rules or trace file; 2 usage; 3 --check found
 * a mismatch.
 */
import { Option, type Command } from 'commander';
import { compileTopology } from '../compile/compile.js';
import { TupleBatch, WasmTable, type MatcherKind } from '../compile/matcher.js';
import { Table } from '../compile/table.js';
import { indexTopology } from '../model/topology.js';
import { ClassBenchError, loadClassBenchRules, loadClassBenchTrace, traceAddress6, CLASSBENCH_INTERFACE, type ClassBenchRules, type ClassBenchTrace } from '../parse/classbench.js';
import type { MatchInput } from '../reference/match.js';
import { firstMatch, orderedRules } from '../reference/match.js';
import { WasmInstance } from '../wasm/loader.js';
import { die, intValue } from './common.js';

export type ClassifyMatcher = MatcherKind | 'reference';

/** Results (1-based rule, 0 none) and the time spent matching, in ms. */
export interface ClassifyRun {
  results: Int32Array;
  matchMs: number;
  buildMs: number;
  tableBytes: number;
}

/** Packet i of a ClassBench trace (IPv4 or IPv6) as a reference-evaluator input. */
export function traceInput(trace: ClassBenchTrace, i: number): MatchInput {
  return {
    family: trace.family, proto: trace.proto[i]!, sport: trace.sport[i]!, dport: trace.dport[i]!,
    remote: trace.src6 ? traceAddress6(trace.src6, i) : BigInt(trace.src[i]!),
    local: trace.dst6 ? traceAddress6(trace.dst6, i) : BigInt(trace.dst[i]!),
  };
}

/** Write the first `n` packets of a trace (IPv4 or IPv6) as tuples of list `list`. */
export function writeTrace(batch: TupleBatch, list: number, trace: ClassBenchTrace, n = trace.length): void {
  if (trace.src6 && trace.dst6) {
    for (let i = 0; i < n; i++) batch.setV6(i, list, trace.src6, trace.dst6, i, trace.sport[i]!, trace.dport[i]!, trace.proto[i]!);
  } else {
    for (let i = 0; i < n; i++) batch.setV4(i, list, trace.src[i]!, trace.dst[i]!, trace.sport[i]!, trace.dport[i]!, trace.proto[i]!);
  }
}

/** Classify a whole trace with one matcher. `repeat` runs keep the fastest time. */
export function classifyTrace(rules: ClassBenchRules, trace: ClassBenchTrace, matcher: ClassifyMatcher, repeat = 1): ClassifyRun {
  const results = new Int32Array(trace.length);
  if (matcher === 'reference') {
    const index = indexTopology(rules.topology);
    const ordered = orderedRules(index, index.interfaces.get(CLASSBENCH_INTERFACE)!, 'ingress');
    let best = Infinity;
    for (let r = 0; r < repeat; r++) {
      const t0 = performance.now();
      for (let i = 0; i < trace.length; i++) {
        const o = firstMatch(ordered, traceInput(trace, i), index);
        results[i] = o ? o.rule.index + 1 : 0;
      }
      best = Math.min(best, performance.now() - t0);
    }
    return { results, matchMs: best, buildMs: 0, tableBytes: 0 };
  }
  const b0 = performance.now();
  const compiled = compileTopology(rules.topology);
  const buildMs = performance.now() - b0;
  const table = Table.fromCompiled(compiled);
  const wasm = new WasmInstance();
  const wt = new WasmTable(wasm, table);
  const list = table.listFor(CLASSBENCH_INTERFACE, 'ingress');
  const batch = new TupleBatch(wasm, trace.length);
  if (list !== null) writeTrace(batch, list, trace);
  let best = Infinity;
  for (let r = 0; r < repeat && list !== null; r++) {
    const t0 = performance.now();
    batch.run(wt, matcher, trace.length);
    best = Math.min(best, performance.now() - t0);
  }
  if (list !== null) {
    const pos = batch.results(trace.length);
    // Position -> rule: rule ids are the 1-based rule numbers.
    const ids = table.meta.lists[list]!.rules.map(([, id]) => Number(id));
    for (let i = 0; i < trace.length; i++) results[i] = pos[i]! < 0 ? 0 : ids[pos[i]!]!;
  }
  return { results, matchMs: best === Infinity ? 0 : best, buildMs, tableBytes: compiled.bytes.length };
}

export function registerClassify(program: Command): void {
  program
    .command('classify')
    .description('print the 1-based index of the first matching rule (0: none) for each line of a ClassBench trace; throughput on stderr')
    .argument('<rules>', 'ClassBench filter file (@SA/len DA/len sp : sp dp : dp proto/mask)')
    .argument('<trace>', 'ClassBench trace (SA DA SP DP PROTO [MATCH]; addresses decimal IPv4 or IPv6 text)')
    .addOption(new Option('--matcher <matcher>', 'which matcher').choices(['optimized', 'linear', 'reference']).default('optimized'))
    .option('--repeat <n>', 'classify the trace n times and report the fastest run (1-1000)', (v) => intValue('repeat', v, 1, 1000)!, 1)
    .option('--check', "compare with the trace's MATCH column; exit 3 on any difference")
    .action((rulesFile: string, traceFile: string, opts: { matcher: ClassifyMatcher; repeat: number; check?: boolean }) => {
      let rules: ClassBenchRules;
      let trace: ClassBenchTrace;
      try {
        rules = loadClassBenchRules(rulesFile);
        trace = loadClassBenchTrace(traceFile);
      } catch (e) {
        if (e instanceof ClassBenchError) die(e.message, 1);
        throw e;
      }
      const run = classifyTrace(rules, trace, opts.matcher, opts.repeat);
      const lines = new Array<string>(trace.length);
      for (let i = 0; i < trace.length; i++) lines[i] = String(run.results[i]);
      process.stdout.write(lines.length ? lines.join('\n') + '\n' : '');
      const mlps = run.matchMs > 0 ? (trace.length / run.matchMs / 1000).toFixed(2) : 'n/a';
      process.stderr.write(
        `classify: ${trace.length} packets, ${rules.rules.length} rules, matcher ${opts.matcher}: ${run.matchMs.toFixed(1)} ms, ${mlps} M lookups/s` +
          (opts.matcher === 'reference' ? '\n' : ` (table build ${run.buildMs.toFixed(0)} ms, ${run.tableBytes} bytes)\n`),
      );
      if (opts.check) {
        if (!trace.match) die(`${traceFile}: --check needs the MATCH column (the trace has 5 columns)`, 2);
        let bad = 0;
        for (let i = 0; i < trace.length; i++) {
          if (run.results[i] !== trace.match[i]) {
            if (bad < 10) process.stderr.write(`${traceFile}:${trace.lines[i]}: got rule ${run.results[i]}, the oracle says ${trace.match[i]}\n`);
            bad++;
          }
        }
        process.stderr.write(`check: ${trace.length - bad}/${trace.length} packets agree with the oracle\n`);
        if (bad > 0) process.exit(3);
      }
    });
}
