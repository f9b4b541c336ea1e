/**
 * The report's tables, built once from a report and rendered three ways
 * (terminal text, Markdown, HTML). Rates are in millions per second (M),
 * medians of their samples; "e2e" is a whole replay() call, "loop" the
 * slowest worker's streaming-and-judging time without start-up.
 */
import { kib, mega, mib, ms, percent, ratio, relSpread } from './format.js';
import type { BenchReport, Figure } from './schema.js';

export interface Table {
  id: string;
  title: string;
  head: string[];
  rows: string[][];
  notes: string[];
}

export function figureIndex(r: BenchReport): Map<string, Figure> {
  return new Map(r.figures.map((f) => [f.id, f] as const));
}

const dash = '-';

/** The replay table's lines on the native C baseline: the ratios, or why it did not run. */
function nativeNotes(replay: NonNullable<BenchReport['replay']>, div: (a: string, b: string) => string): string[] {
  const n = replay.native;
  if (!n) return [];
  if ('skipped' in n) return [`Native C baseline not run: ${n.skipped}.`];
  const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, b)).toFixed(1)}%`;
  return [
    `sgfilter / native C (same capture, same passes, one run): WASM 1 worker loop / native read() ${div('replay/big/wasm-1w/loop', 'replay/big/native-read/loop')}, end-to-end / native read() ${div('replay/big/wasm-1w/e2e', 'replay/big/native-read/loop')}, loop / native in memory ${div('replay/big/wasm-1w/loop', 'replay/big/native-mem/loop')}; 2 workers end-to-end / native read() ${div('replay/big/wasm-2w/e2e', 'replay/big/native-read/loop')}.`,
    `The native baseline (bench/native/replay.c, ${n.compiler} -O3 -march=native, one thread) does the essential work only: parse, address map, per-interface conntrack on the canonical tuple aged by packet time, linear first match on misses; no TCP state machine, related ICMP, fragment memory, intra-group rule or decision records. Its allow/deny counts ${n.verdicts.allow}/${n.verdicts.deny} against sgfilter's ${n.sgfilterVerdicts.allow}/${n.sgfilterVerdicts.deny} (${pct(Math.abs(n.verdicts.deny - n.sgfilterVerdicts.deny), replay.capture.packets)} of packets apart).`,
    ...nativeWasmNotes(replay, div),
  ];
}

/** The replay table's lines on the baseline's WebAssembly build: the runtime's share of the gap, or why it did not run. */
function nativeWasmNotes(replay: NonNullable<BenchReport['replay']>, div: (a: string, b: string) => string): string[] {
  const w = replay.nativeWasm;
  if (!w) return [];
  if ('skipped' in w) return [`The native baseline's WebAssembly build not run: ${w.skipped}.`];
  return [
    `The same C source compiled to WebAssembly (${w.compiler} --target=wasm32-wasi -O3) and run by this Node's V8 (node:wasi), same capture, same counts: its own / native ${div('replay/big/native-wasm-mem/loop', 'replay/big/native-mem/loop')} in memory, ${div('replay/big/native-wasm-read/loop', 'replay/big/native-read/loop')} with read() (the runtime's cost on the peer's algorithm); sgfilter WASM 1 worker loop / it ${div('replay/big/wasm-1w/loop', 'replay/big/native-wasm-read/loop')} with read(), ${div('replay/big/wasm-1w/loop', 'replay/big/native-wasm-mem/loop')} in memory.`,
  ];
}

export function buildTables(r: BenchReport): Table[] {
  const fig = figureIndex(r);
  const v = (id: string) => fig.get(id)?.value;
  const M = (id: string) => {
    const x = v(id);
    return x === undefined ? dash : mega(x);
  };
  const pm = (id: string) => {
    const f = fig.get(id);
    if (!f) return dash;
    return f.samples.length < 2 ? mega(f.value) : `${mega(f.value)} ±${percent(relSpread(f), false)}`;
  };
  const div = (a: string, b: string) => {
    const x = v(a);
    const y = v(b);
    return x !== undefined && y !== undefined && y > 0 ? ratio(x / y) : dash;
  };
  const tables: Table[] = [];

  if (r.fixtures) {
    tables.push({
      id: 'fixtures',
      title: 'Fixtures: verified, then timed (M packets/s, M lookups/s)',
      head: ['fixture', 'packets', 'verified', 'decode TS', 'decode WASM', 'lookups', 'classify ref', 'classify WASM', 'build ms', 'table KiB', 'WASM mem MiB'],
      rows: r.fixtures.map((x) => {
        const id = (s: string) => `fixtures/${x.name}/${s}`;
        return [
          x.name,
          x.packets.toLocaleString('en-US'),
          `${x.verify.packets.toLocaleString('en-US')} ok`,
          M(id('decode/ts')),
          M(id('decode/wasm')),
          x.lookups.toLocaleString('en-US'),
          M(id('classify/reference')),
          M(id('classify/wasm')),
          v(id('build')) !== undefined ? ms(v(id('build'))!) : dash,
          kib(x.tableBytes),
          mib(x.wasmMemoryBytes),
        ];
      }),
      notes: ['verified: every packet\'s WASM decision equals the reference engine\'s; every lookup\'s WASM rule equals the reference first match; every replay\'s counts equal the reference engine\'s.'],
    });
    tables.push({
      id: 'fixtures-replay',
      title: 'Fixtures: whole replays (M packets/s, medians; e2e / loop)',
      head: ['fixture', 'WASM 1 worker', 'WASM 2 workers', 'WASM in-thread', 'reference', 'WASM/ref e2e', 'WASM/ref loop'],
      rows: r.fixtures.map((x) => {
        const id = (s: string) => `fixtures/${x.name}/replay/${s}`;
        const both = (k: string) => `${M(id(`${k}/e2e`))} / ${M(id(`${k}/loop`))}`;
        return [x.name, both('wasm-1w'), both('wasm-2w'), both('wasm-0w'), M(id('reference/e2e')), div(id('wasm-0w/e2e'), id('reference/e2e')), div(id('wasm-0w/loop'), id('reference/e2e'))];
      }),
      notes: [`The fixtures are small (${Math.min(...r.fixtures.map((x) => x.packets)).toLocaleString('en-US')}-${Math.max(...r.fixtures.map((x) => x.packets)).toLocaleString('en-US')} packets): end-to-end figures with workers are dominated by thread start-up; the loop figures and the in-thread replay show the engine. WASM/ref compares the in-thread WASM replay with the reference engine, which also runs in the calling thread.`],
    });
  }

  if (r.classbench) {
    if (r.classbench.status === 'absent') {
      tables.push({ id: 'classbench', title: 'ClassBench', head: ['status'], rows: [['skipped: the ClassBench corpus (../shared/corpus/classbench) is not there']], notes: [] });
    } else {
      tables.push({
        id: 'classbench',
        title: 'ClassBench: lookups on one core (M lookups/s; native peers as quoted in the classifier issue)',
        head: ['set', 'rules', 'reference', 'WASM linear', 'WASM matcher', 'TupleMerge', 'HyperSplit', 'vs best peer', 'build ms', 'table KiB'],
        rows: r.classbench.sets.map((s) => {
          const id = (k: string) => `classbench/${s.set}/${k}`;
          const best = Math.max(s.peers.tupleMerge ?? 0, s.peers.hyperSplit ?? 0);
          const opt = v(id('optimized'));
          return [
            s.set,
            s.rules.toLocaleString('en-US'),
            M(id('reference')),
            M(id('linear')),
            pm(id('optimized')),
            s.peers.tupleMerge?.toFixed(1) ?? dash,
            s.peers.hyperSplit?.toFixed(1) ?? dash,
            best > 0 && opt !== undefined ? ratio(opt / 1e6 / best) : dash,
            v(id('build')) !== undefined ? ms(v(id('build'))!) : dash,
            kib(s.tableBytes),
          ];
        }),
        notes: ['Peers are C++ figures quoted, not measured here (TupleMerge, HyperSplit; one core). The reference and linear scan time a prefix of each trace.'],
      });
    }
  }

  if (r.dpdk) {
    if (r.dpdk.status !== 'ran') {
      tables.push({ id: 'dpdk', title: 'sgfilter against DPDK rte_acl', head: ['status'], rows: [[`skipped: ${r.dpdk.note}`]], notes: [] });
    } else {
      const algs = r.dpdk.algorithms.filter((a) => r.dpdk!.sets.some((x) => fig.has(`dpdk/${x.set}/v${x.family}/${a}`)));
      tables.push({
        id: 'dpdk',
        title: 'sgfilter against DPDK rte_acl, same packets and statistic (M lookups/s, warm pass; ratio = sgfilter / DPDK)',
        head: ['set', 'IP', 'rules', 'passes', 'sgfilter', 'cold ms', ...algs.flatMap((a) => [a, `÷${a}`]), 'table KiB', 'DPDK KiB', 'build ms', 'DPDK build ms'],
        rows: r.dpdk.sets.map((x) => {
          const id = (k: string) => `dpdk/${x.set}/v${x.family}/${k}`;
          const sg = v(id('sgfilter'));
          const lastAlg = [...algs].reverse().find((a) => fig.has(id(a)));
          return [
            x.set, `v${x.family}`, x.rules.toLocaleString('en-US'), String(x.passes), M(id('sgfilter')),
            v(id('sgfilter/cold')) !== undefined ? v(id('sgfilter/cold'))!.toFixed(2) : dash,
            ...algs.flatMap((a) => {
              const d = v(id(a));
              return [M(id(a)), d !== undefined && sg !== undefined ? ratio(sg / d) : dash];
            }),
            v(id('sgfilter/bytes')) !== undefined ? kib(v(id('sgfilter/bytes'))!) : dash,
            lastAlg && v(id(`${lastAlg}/bytes`)) !== undefined ? kib(v(id(`${lastAlg}/bytes`))!) : dash,
            v(id('sgfilter/build')) !== undefined ? ms(v(id('sgfilter/build'))!) : dash,
            lastAlg && v(id(`${lastAlg}/build`)) !== undefined ? ms(v(id(`${lastAlg}/build`))!) : dash,
          ];
        }),
        notes: [
          `Warm pass: median of the passes of ${r.dpdk.repeats} samples after 1 cold + ${r.dpdk.warmup} warm-up passes, on both sides (DPDK: bench/classify/acl.c, every pass timed; the sides alternate in rounds). Every packet of both sides checked against the oracle first.`,
          ...Object.entries(r.dpdk.geomean).map(([fam, g]) => `Geometric mean sgfilter / DPDK, ${fam}: ${Object.entries(g).map(([a, x]) => `${a} ${x.toFixed(2)}`).join(', ')}.`),
          ...(r.dpdk.unavailable.length ? [`Not available on this CPU: ${r.dpdk.unavailable.join('; ')}.`] : []),
        ],
      });
    }
  }

  if (r.replay) {
    const big = r.replay.capture;
    // (native rows have no end-to-end figure: the loop column is the baseline's whole pass)
    const small = r.replay.refCapture;
    const row = (label: string, packets: number, key: string) => [label, packets.toLocaleString('en-US'), pm(`replay/${key}/e2e`), fig.has(`replay/${key}/loop`) ? pm(`replay/${key}/loop`) : dash];
    tables.push({
      id: 'replay',
      title: `Replay of a generated capture (M packets/s, medians ± half the spread)`,
      head: ['configuration', 'packets', 'end-to-end', 'loop'],
      rows: [
        row('WASM, 1 worker', big.packets, 'big/wasm-1w'),
        row('WASM, 2 workers', big.packets, 'big/wasm-2w'),
        ...[1, 2].filter((w) => fig.has(`replay/big/wasm-${w}w-pool/e2e`)).map((w) => row(`WASM, ${w} worker${w > 1 ? 's' : ''}, warm pool`, big.packets, `big/wasm-${w}w-pool`)),
        row('WASM, 1 worker', small.packets, 'small/wasm-1w'),
        row('reference engine', small.packets, 'small/reference'),
        ...(['jsonl', 'binary'] as const).flatMap((f) => [1, 2].filter((w) => fig.has(`replay/big/wasm-${w}w-decisions-${f}/e2e`)).map((w) => row(`WASM, ${w} worker${w > 1 ? 's' : ''}, --decisions (${f})`, big.packets, `big/wasm-${w}w-decisions-${f}`))),
        ...(fig.has('replay/big/native-mem/loop')
          ? [
              row('native C, capture in memory', big.packets, 'big/native-mem'),
              row('native C, read()', big.packets, 'big/native-read'),
              ...(fig.has('replay/big/native-mem-2t-lane/loop') ? [row('native C, 2 threads, each walks every packet', big.packets, 'big/native-mem-2t-lane')] : []),
              ...(fig.has('replay/big/native-mem-2t-pre/loop') ? [row('native C, 2 threads, packets handed out first', big.packets, 'big/native-mem-2t-pre')] : []),
            ]
          : []),
        ...(fig.has('replay/big/native-wasm-mem/loop')
          ? [row('native C compiled to WebAssembly (V8), capture in memory', big.packets, 'big/native-wasm-mem'), row('native C compiled to WebAssembly (V8), read()', big.packets, 'big/native-wasm-read')]
          : []),
        ...(['lane1', 'lane2', 'shared1', 'shared2'] as const)
          .filter((m) => fig.has(`replay/big/driver-${m}/loop`))
          .map((m) => row(`WASM driver, ${m.endsWith('1') ? '1 worker' : '2 workers'}, ${m.startsWith('shared') ? 'decoded once, shared memory' : 'each worker decodes all'}`, big.packets, `big/driver-${m}`)),
      ],
      notes: [
        ...nativeNotes(r.replay, div),
        `2 workers / 1 worker: ${div('replay/big/wasm-2w/e2e', 'replay/big/wasm-1w/e2e')} end-to-end, ${div('replay/big/wasm-2w/loop', 'replay/big/wasm-1w/loop')} loop (each worker reads the whole capture and judges its shards).`,
        ...(fig.has('replay/big/native-mem-2t-lane/loop')
          ? [`Native C, 2 threads / 1 thread in memory, same run: ${div('replay/big/native-mem-2t-lane/loop', 'replay/big/native-mem/loop')} split as sgfilter's workers split, ${div('replay/big/native-mem-2t-pre/loop', 'replay/big/native-mem/loop')} with the packets handed out before the pass (the ceiling of decoding once): what two cores give native code on this machine.`]
          : []),
        ...(fig.has('replay/big/driver-shared2/loop')
          ? [`The driver (bench/replay/shared-proto.ts; replay()'s split 'shared', the default only for a pipe, docs/replay.md "Wired into replay()"), loop only, modes alternated: 2 workers on one shared memory / 1 worker today ${div('replay/big/driver-shared2/loop', 'replay/big/driver-lane1/loop')}, / 2 workers today ${div('replay/big/driver-shared2/loop', 'replay/big/driver-lane2/loop')}; 2 workers today / 1 ${div('replay/big/driver-lane2/loop', 'replay/big/driver-lane1/loop')} (the calling thread reads, scans and decodes once; docs/replay.md "One shared memory").`]
          : []),
        ...(fig.has('replay/big/wasm-2w-pool/e2e') ? [`On warm pools (createReplayPool, the two alternated run by run): ${div('replay/big/wasm-2w-pool/e2e', 'replay/big/wasm-1w-pool/e2e')} end-to-end, ${div('replay/big/wasm-2w-pool/loop', 'replay/big/wasm-1w-pool/loop')} loop.`] : []),
        ...(fig.has('replay/big/wasm-1w/outside')
          ? [`Outside the judging loop (start-up and tail, ms, medians): ${[['1 worker', 'big/wasm-1w'], ['2 workers', 'big/wasm-2w'], ['1 worker, warm pool', 'big/wasm-1w-pool'], ['1 worker, --decisions jsonl', 'big/wasm-1w-decisions-jsonl'], ['1 worker, --decisions jsonl, warm pool', 'big/wasm-1w-pool-decisions-jsonl']].filter(([, k]) => fig.has(`replay/${k}/outside`)).map(([l, k]) => `${l} ${v(`replay/${k}/outside`)!.toFixed(0)}`).join('; ')} (a cold replay of 1 worker judges in the calling thread: docs/replay.md, Cold start).`]
          : []),
        `WASM / reference on the same ${small.packets.toLocaleString('en-US')} packets: ${div('replay/small/wasm-1w/e2e', 'replay/small/reference/e2e')} end-to-end, ${div('replay/small/wasm-1w/loop', 'replay/small/reference/e2e')} loop.`,
        ...(r.replay.verify ? [`Decisions verified first: ${r.replay.verify.packets.toLocaleString('en-US')} packets byte-identical for ${r.replay.verify.configs.join(', ')}${r.replay.verifyShards ? `, and ${r.replay.verifyShards.packets.toLocaleString('en-US')} packets of a capture made to cross state shards` : ''}.`] : []),
        `Capture: ${(big.bytes / 1e6).toFixed(0)} MB generated (${Object.entries(r.replay.topology).map(([k, x]) => `${k} ${String(x)}`).join(', ')}).`,
      ],
    });
  }

  if (r.figures.some((f) => f.id.startsWith('library/'))) {
    const calls = r.figures.filter((f) => f.id.startsWith('library/'));
    tables.push({
      id: 'library',
      title: 'Library calls, capture in memory (M per second, medians ± half the spread; one sample = one pass over the whole capture: of a warm filter, or the first pass of a fresh one)',
      head: ['call', 'work', 'M/s', '/ reference'],
      rows: calls.map((f) => [f.label, f.subject, pm(f.id), f.id === 'library/reference' ? '1' : div(f.id, 'library/reference')]),
      notes: [
        'Every call was checked first: against the reference evaluator on a prefix, and against judgeFrames on the whole capture (bench/harness/library.ts).',
        'Warm: one filter judges the capture pass after pass, each pass with its timestamps moved on by the capture\'s span (the timeline goes on: the flows are found established in conntrack, as a long-running filter finds them; the second pass checked against the reference over the same two passes); the first measured pass follows one unmeasured pass. Cold: the first pass of a fresh filter (its conntrack tables grow as the flows arrive).',
      ],
    });
  }

  if (r.scaling) {
    tables.push({
      id: 'scaling',
      title: 'Rule-count scaling (generated aliyun-basic topologies, 12 interfaces; M packets/s, M lookups/s)',
      head: ['rules/interface', 'table KiB', 'build ms', 'replay e2e', 'replay loop', 'classify WASM', 'classify ref', 'WASM/ref'],
      rows: r.scaling.map((s) => {
        const id = (k: string) => `scaling/${s.target}/${k}`;
        return [
          `${s.target.toLocaleString('en-US')} (${s.rulesPerInterface.toFixed(0)})`,
          kib(s.tableBytes),
          v(id('build')) !== undefined ? ms(v(id('build'))!) : dash,
          M(id('replay-1w/e2e')),
          M(id('replay-1w/loop')),
          M(id('classify/wasm')),
          M(id('classify/reference')),
          div(id('classify/wasm'), id('classify/reference')),
        ];
      }),
      notes: ['Rules/interface: the target, then (in brackets) the mean number of rules in an interface\'s ingress and egress lists. Replay: the WASM engine, 1 worker, on generated traffic with 10 packets per flow; classify: every hop of every IP packet looked up, as if conntrack never answered.'],
    });
  }

  if (r.decode) {
    const ids = r.figures.filter((f) => f.section === 'decode');
    tables.push({
      id: 'decode',
      title: `Decode, ${r.decode.packets.toLocaleString('en-US')} small packets in memory (M packets/s)`,
      head: ['task', 'M packets/s', 'MB/s'],
      rows: ids.map((f) => [f.label, pm(f.id), f.id === 'decode/wasm-decode-only' ? dash : ((f.value * r.decode!.bytes) / r.decode!.packets / 1e6).toFixed(0)]),
      notes: [],
    });
  }

  if (r.analysis) {
    const d = (id: string) => {
      const f = fig.get(id);
      return f ? `${f.value.toFixed(0)}${f.samples.length > 1 ? ` (${f.spread.lo.toFixed(0)}-${f.spread.hi.toFixed(0)})` : ''}` : dash;
    };
    tables.push({
      id: 'analysis',
      title: 'Rule analysis (ms, median of repeated runs)',
      head: ['topology', 'interfaces', 'max rules/interface', 'hops', 'flagged rules', 'anomaly lint ms', 'exposure ms'],
      rows: r.analysis.map((a) => [a.subject, String(a.interfaces), String(a.maxRulesPerInterface), String(a.hops), String(a.flaggedRules), d(`analysis/${a.id}/lint`), d(`analysis/${a.id}/exposure`)]),
      notes: ['Anomaly lint: analyzeTopology, every interface and direction (what `check` adds). Exposure: `sgfilter exposure`\'s computation, the anomaly lint included (for the all-shadowed groups). Flagged: shadowed, redundant, empty or not analysed, summed over hops. Goal: under 1 s each.'],
    });
  }

  const mem = r.memory;
  tables.push({
    id: 'memory',
    title: 'Memory',
    head: ['when', 'peak RSS MiB', 'RSS MiB', 'heap MiB', 'external MiB'],
    rows: [
      ...mem.afterSection.map((m) => [`after ${m.section}`, mib(m.maxRssBytes), mib(m.rssBytes), mib(m.heapUsedBytes), mib(m.externalBytes)]),
      ['whole run', mib(mem.maxRssBytes), dash, dash, dash],
    ],
    notes: ['Peak RSS is the process\'s (worker threads included) so far. Table sizes are in the fixtures, ClassBench and scaling tables.'],
  });
  return tables;
}

/** Headline figures for the top of the Markdown and HTML reports. */
export function headlines(r: BenchReport): { label: string; value: string; detail: string }[] {
  const fig = figureIndex(r);
  const out: { label: string; value: string; detail: string }[] = [];
  const one = fig.get('replay/big/wasm-1w/e2e');
  const two = fig.get('replay/big/wasm-2w/e2e');
  if (one && two && r.replay) {
    out.push({ label: 'replay, 1 / 2 workers', value: `${mega(one.value)} / ${mega(two.value)} M packets/s`, detail: `${r.replay.capture.packets.toLocaleString('en-US')} generated packets, end-to-end` });
  }
  const w = fig.get('replay/small/wasm-1w/e2e');
  const ref = fig.get('replay/small/reference/e2e');
  if (w && ref) out.push({ label: 'WASM vs reference engine', value: ratio(w.value / ref.value), detail: 'same capture, end-to-end' });
  if (r.classbench?.status === 'ran' && r.classbench.sets.length) {
    const xs = r.classbench.sets.map((s) => fig.get(`classbench/${s.set}/optimized`)?.value ?? 0);
    out.push({ label: 'ClassBench, WASM matcher', value: `${mega(Math.min(...xs))}-${mega(Math.max(...xs))} M lookups/s`, detail: `${r.classbench.sets.length} sets, one core` });
  }
  if (r.fixtures) out.push({ label: 'fixtures verified', value: `${r.fixtures.length}`, detail: `${r.fixtures.reduce((n, f) => n + f.packets, 0).toLocaleString('en-US')} packets, WASM == reference` });
  out.push({ label: 'peak RSS', value: `${mib(r.memory.maxRssBytes)} MiB`, detail: 'whole run' });
  return out;
}
