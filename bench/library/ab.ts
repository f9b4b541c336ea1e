/**
 * A/B of two builds of the library's per-call paths in one process, on the
 * library bench's capture (bench/harness/library.ts load): this build (B)
 * against the build under `--against DIR` (A: a copy of another checkout's
 * root with its dist/ and build/, e.g. `cp -r dist build package.json
 * /tmp/base` before a change; link node_modules into it).
 *
 * Per call, one warm filter of each build judges the traffic pass after
 * pass, each pass's timestamps moved on by the capture's span (passShift:
 * the timeline goes on, the flows are found established, as a long-running
 * filter finds them); within a pass the two builds alternate chunk by
 * chunk (`--chunk` calls), so that a
 * swing of the machine's load moves both alike. The first pass is not
 * counted. Reported per call: ns per call on a CPU (this thread's time,
 * /proc/thread-self/schedstat: it leaves out the waits for a CPU that other
 * processes held; the process's CPU time where that file is missing) and
 * wall, for A and B, and A/B (> 1: B is faster); then "min": per chunk the
 * wall time of its fastest counted pass, summed over the chunks, and its
 * A/B — every counted pass judges the same traffic in the same state (the
 * steady state after the first), so a chunk's fastest pass is the one
 * least disturbed by other jobs: on the shared 2-core machine this ratio
 * read 0.97–1.03 for a build against itself (judgeFrames, judgeFrame,
 * judgeFrameVerdict, two runs) where the CPU-time ratio read 0.85–1.07. Which build goes first alternates chunk by chunk and pass by pass. Calls the other build lacks
 * (judgeTupleVerdict, parsed tuple addresses) are measured for B alone.
 * judgeInPlace (B alone where A lacks it) judges the frames written once
 * into one in-place batch per chunk, its timestamps written each pass.
 * judgeStreamBatches reads the capture's file: whole passes, a fresh filter
 * of each build per pass (as the bench's figure), the builds alternating
 * pass by pass.
 *
 * With `--versus CALL` instead of `--against`, A is this build running CALL
 * and B this build running each of `--calls` (e.g. `--versus
 * judgeFrames-packed --calls judgeInPlace`: the same frames, the same
 * state, two calls), alternating as above.
 *
 *   node dist/bench/library/ab.js --against DIR [--passes N] [--chunk N] [--packets N] [--calls a,b,…]
 *   node dist/bench/library/ab.js --versus CALL --calls a,b,… [--passes N] [--chunk N]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { BenchError } from '../harness/errors.js';
import { load, passShift, shifted, type Input } from '../harness/library.js';
import { benchProgram, intOption, listOption, parseBenchArgs, runBenchScript } from '../cli.js';
import type { Filter, InPlaceBatch, PacketTuple } from '../../src/replay/filter.js';

type FilterModule = typeof import('../../src/replay/filter.js');

/** This thread's time on a CPU so far, ns (Linux); else the process's CPU time. */
function cpuNs(): number {
  if (existsSync('/proc/thread-self/schedstat')) return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

interface Pass {
  ts: BigInt64Array;
  tupleTs: BigInt64Array;
}

/** A call over items [a, b) of a pass; returns a value that depends on the results (kept, so that nothing is optimized away). */
type Run = (f: Filter, q: Pass, a: number, b: number) => number;

function calls(input: Input): Record<string, { tuples: boolean; run: Run; needs?: (f: Filter) => boolean }> {
  const { frames, tuples, parsedTuples, linktype } = input;
  const inPlace = new WeakMap<Filter, Map<number, InPlaceBatch>>();
  return {
    judgeFrame: { tuples: false, run: (f, q, a, b) => { let s = 0; for (let i = a; i < b; i++) s += f.judgeFrame(frames[i]!, q.ts[i]!, linktype).hops.length; return s; } },
    judgeFrameVerdict: { tuples: false, run: (f, q, a, b) => { let s = 0; for (let i = a; i < b; i++) s += f.judgeFrameVerdict(frames[i]!, q.ts[i]!, linktype); return s; } },
    'judgeFrames-packed': { tuples: false, run: (f, q, a, b) => f.judgeFrames({ data: input.packed.data, offsets: input.packed.offsets.subarray(a, b + 1) }, q.ts.subarray(a, b), { linktype }).count },
    'judgeFrames-array': { tuples: false, run: (f, q, a, b) => f.judgeFrames(frames.slice(a, b), q.ts.subarray(a, b), { linktype }).count },
    // The frames written into an in-place batch once per chunk (a producer that writes them there), the timestamps each pass.
    judgeInPlace: {
      tuples: false,
      run: (f, q, a, b) => {
        let byChunk = inPlace.get(f);
        if (!byChunk) inPlace.set(f, (byChunk = new Map()));
        let batch = byChunk.get(a);
        if (!batch) {
          const { data, offsets } = input.packed;
          batch = f.createInPlaceBatch({ frames: b - a, bytes: Math.max(1, offsets[b]! - offsets[a]!) });
          const v = batch.views();
          v.data.set(data.subarray(offsets[a]!, offsets[b]!));
          for (let i = a; i <= b; i++) v.offsets[i - a] = offsets[i]! - offsets[a]!;
          byChunk.set(a, batch);
        }
        batch.views().timestamps.set(q.ts.subarray(a, b));
        return f.judgeInPlace(batch, b - a, { linktype }).count;
      },
      needs: (f) => typeof (f as Partial<Filter>).createInPlaceBatch === 'function',
    },
    judgeTuple: { tuples: true, run: (f, q, a, b) => { let s = 0; for (let i = a; i < b; i++) s += f.judgeTuple(tuples[i]!, q.tupleTs[i]!).hops.length; return s; } },
    'judgeTuple-parsed': {
      tuples: true,
      run: (f, q, a, b) => { let s = 0; for (let i = a; i < b; i++) s += f.judgeTuple(parsedTuples[i]!, q.tupleTs[i]!).hops.length; return s; },
      needs: (f) => {
        try {
          f.judgeTuple({ proto: 'udp', src: 1, dst: 2, sport: 1, dport: 2 } as unknown as PacketTuple, 1n);
          return true;
        } catch {
          return false;
        }
      },
    },
    judgeTupleVerdict: {
      tuples: true,
      run: (f, q, a, b) => { let s = 0; for (let i = a; i < b; i++) s += f.judgeTupleVerdict(parsedTuples[i]!, q.tupleTs[i]!); return s; },
      needs: (f) => typeof (f as Partial<Filter>).judgeTupleVerdict === 'function',
    },
    judgeTuples: { tuples: true, run: (f, q, a, b) => f.judgeTuples(tuples.slice(a, b), q.tupleTs.subarray(a, b)).count },
  };
}

/** The calls over a whole capture file (no timestamps to move): a fresh filter of each build per pass, the two alternating pass by pass. */
function fileCalls(input: Input): Record<string, (f: Filter) => Promise<number>> {
  return {
    judgeStreamBatches: async (f) => {
      let s = 0;
      for await (const b of f.judgeStreamBatches(input.path)) s += b.count;
      return s;
    },
  };
}

async function main(argv: string[]): Promise<void> {
  const o = parseBenchArgs<{ against?: string; versus?: string; passes: number; chunk: number; packets: number; calls?: string[] }>(
    benchProgram('library-ab', "A/B of two builds of the library's per-call paths in one process, alternating chunk by chunk")
      .option('--against <dir>', 'a copy of another build: its dist/, build/, package.json, node_modules linked')
      .option('--versus <call>', 'instead of another build: A is this build running <call> (e.g. judgeFrames-packed), B this build running each of --calls')
      .option('--passes <n>', 'passes over the traffic (the first not counted)', intOption(2), 6)
      .option('--chunk <n>', 'calls per chunk, the two builds alternating', intOption(1), 10_000)
      .option('--packets <n>', "packets in the library bench's capture", intOption(1), 200_000)
      .option('--calls <a,b,...>', 'only these calls', listOption()),
    argv
  );
  if ((o.against === undefined) === (o.versus === undefined)) throw new BenchError('SGF_BENCH_BAD_OPTION', 'give one of --against DIR and --versus CALL');
  const other = o.against !== undefined ? resolve(o.against) : undefined;
  const otherFilter = other !== undefined ? join(other, 'dist', 'src', 'replay', 'filter.js') : undefined;
  if (otherFilter !== undefined && !existsSync(otherFilter)) throw new BenchError('SGF_BENCH_BAD_OPTION', `--against ${other}: no dist/src/replay/filter.js there`);
  const { passes, chunk, packets } = o;
  const input = load({}, packets);
  const all = calls(input);
  const files = fileCalls(input);
  const names = o.calls ?? [...Object.keys(all), ...Object.keys(files)];
  if (o.versus !== undefined && !all[o.versus]) throw new BenchError('SGF_BENCH_BAD_OPTION', `--versus: unknown call ${o.versus} (${Object.keys(all).join(', ')})`);
  for (const n of names) if (!all[n] && !files[n]) throw new BenchError('SGF_BENCH_BAD_OPTION', `--calls: unknown call ${n} (${[...Object.keys(all), ...Object.keys(files)].join(', ')})`);
  const B = (await import('../../src/replay/filter.js')) as FilterModule;
  const A = otherFilter !== undefined ? ((await import(pathToFileURL(otherFilter).href)) as FilterModule) : B;
  const versus = o.versus !== undefined ? all[o.versus]! : undefined;
  const shiftNs = BigInt(passShift(input)) * 1_000_000_000n;
  let sink = 0;
  console.log(`A = ${versus ? `this build, ${o.versus}` : other}, B = this build; ${input.frames.length.toLocaleString('en-US')} frames, ${input.tuples.length.toLocaleString('en-US')} tuples; ${passes} passes (the first not counted), chunks of ${chunk}`);
  console.log('call                  A cpu ns   B cpu ns    A/B   A wall ns  B wall ns   A min ns   B min ns  A/B min');
  const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(1)).padStart(9);
  for (const name of names) {
    const file = files[name];
    if (file) {
      // Whole passes over the file, each on fresh filters (as the bench's figure), which build goes first swapped every pass.
      const t = { A: { cpu: 0, wall: 0 }, B: { cpu: 0, wall: 0 } };
      let work = 0;
      for (let k = 0; k < passes; k++) {
        for (const [tag, M] of k % 2 ? ([['B', B], ['A', A]] as const) : ([['A', A], ['B', B]] as const)) {
          const f = M.createFilter(input.topology);
          const c0 = cpuNs();
          const t0 = performance.now();
          const n = await file(f);
          const wall = (performance.now() - t0) * 1e6;
          const cpu = cpuNs() - c0;
          sink += n;
          if (k > 0) {
            t[tag].cpu += cpu;
            t[tag].wall += wall;
            if (tag === 'A') work += n;
          }
        }
      }
      console.log(`${name.padEnd(20)} ${fmt(t.A.cpu / work)}  ${fmt(t.B.cpu / work)}  ${(t.A.cpu / t.B.cpu).toFixed(2).padStart(5)}  ${fmt(t.A.wall / work)}  ${fmt(t.B.wall / work)}`);
      continue;
    }
    const c = all[name]!;
    const builds = [{ tag: 'A', f: A.createFilter(input.topology) }, { tag: 'B', f: B.createFilter(input.topology) }].filter((b) => !c.needs || c.needs(b.f));
    // The probe above judged a packet: start again on fresh filters.
    const filters = builds.map((b) => ({ tag: b.tag, f: (b.tag === 'A' ? A : B).createFilter(input.topology), cpu: 0, wall: 0, mins: [] as number[] }));
    const items = c.tuples ? input.tuples.length : input.frames.length;
    let work = 0;
    for (let k = 0; k < passes; k++) {
      const q: Pass = {
        ts: c.tuples ? input.ts : shifted(input.ts, BigInt(k) * shiftNs),
        tupleTs: c.tuples ? shifted(input.tupleTs, BigInt(k) * shiftNs) : input.tupleTs,
      };
      for (let a = 0, j = 0; a < items; a += chunk, j++) {
        const b = Math.min(items, a + chunk);
        const order = (j + k) % 2 ? [...filters].reverse() : filters;
        for (const x of order) {
          const c0 = cpuNs();
          const t0 = performance.now();
          sink += (versus && x.tag === 'A' ? versus : c).run(x.f, q, a, b);
          const wall = (performance.now() - t0) * 1e6;
          const cpu = cpuNs() - c0;
          if (k > 0) {
            x.cpu += cpu;
            x.wall += wall;
            x.mins[j] = Math.min(x.mins[j] ?? Infinity, wall);
          }
        }
        if (k > 0) work += b - a;
      }
    }
    const get = (tag: string) => filters.find((x) => x.tag === tag);
    const a = get('A');
    const b = get('B');
    const per = (x: typeof a, key: 'cpu' | 'wall') => (x ? x[key] / work : undefined);
    const ratio = a && b ? (a.cpu / b.cpu).toFixed(2) : '-';
    // Each counted pass judges the same (the steady state), so a chunk's fastest pass is its least disturbed one.
    const least = (x: typeof a) => (x ? x.mins.reduce((s, v) => s + v, 0) / items : undefined);
    const minRatio = a && b ? (least(a)! / least(b)!).toFixed(2) : '-';
    console.log(`${name.padEnd(20)} ${fmt(per(a, 'cpu'))}  ${fmt(per(b, 'cpu'))}  ${ratio.padStart(5)}  ${fmt(per(a, 'wall'))}  ${fmt(per(b, 'wall'))}  ${fmt(least(a))}  ${fmt(least(b))}  ${minRatio.padStart(5)}`);
  }
  if (sink === -1) console.log('');
}

runBenchScript(() => main(process.argv.slice(2)));
