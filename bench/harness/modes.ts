/**
 * How long each part of the bench measures, per mode. `default` finishes in
 * about two minutes on a 2-core machine once the generated captures are in
 * the cache (the first run generates about 2 M packets into .cache/gen);
 * `tiny` takes seconds and exists for the smoke test; `full` measures longer
 * for figures to publish.
 *
 * tinybench tasks: `timeMs` of measuring after `warmupMs` of warm-up, and at
 * least `iterations` samples. Whole replays: `repeat` measured runs after
 * `warmup` unmeasured ones; the median is the figure.
 */
import type { Mode } from '../report/schema.js';

export interface TinyBenchParams {
  timeMs: number;
  warmupMs: number;
  iterations: number;
}

export interface ModeParams {
  fixtures: TinyBenchParams & {
    repeat: number;
    warmup: number;
    /** Compiles measured for the build time. */
    builds: number;
    /** Lookups of the reference matcher per sample (a prefix of the capture's). */
    referenceLookups: number;
  };
  classbench: TinyBenchParams & { sets: string[]; builds: number };
  /** bench/classify/dpdk.ts: sets, IP families, DPDK algorithms, least passes and lookups per sample, warm-up passes, samples. */
  dpdk: { sets: string[]; families: number[]; algs: string[]; passes: number; minLookups: number; warmup: number; repeats: number; /** false: no CPU pinning, no huge pages (tiny: tests leave the system alone) */ system?: boolean };
  replay: { packets: number; refPackets: number; repeat: number; refRepeat: number; warmup: boolean };
  /** harness/library.ts: the capture's packets, the reference's prefix, samples of each call and of the reference. */
  library: { packets: number; refPackets: number; repeat: number; refRepeat: number; warmup: boolean };
  scaling: TinyBenchParams & {
    rules: number[];
    packets: number;
    repeat: number;
    warmup: number;
    builds: number;
    /** Rule comparisons budgeted per reference sample: lookups = budget / rules (clamped 100..2000). */
    referenceBudget: number;
  };
  decode: TinyBenchParams & { packets: number };
  /** Timed runs of each analysis (after one warm-up run). */
  analysis: { repeat: number };
}

const TB_TINY: TinyBenchParams = { timeMs: 20, warmupMs: 0, iterations: 3 };

export const MODE_PARAMS: Record<Mode, ModeParams> = {
  tiny: {
    fixtures: { ...TB_TINY, repeat: 1, warmup: 0, builds: 1, referenceLookups: 300 },
    classbench: { ...TB_TINY, sets: ['acl1_100', 'fw1_100'], builds: 1 },
    dpdk: { sets: ['acl1_100'], families: [4], algs: ['scalar'], passes: 5, minLookups: 50_000, warmup: 1, repeats: 1, system: false },
    replay: { packets: 20_000, refPackets: 4_000, repeat: 1, refRepeat: 1, warmup: false },
    library: { packets: 20_000, refPackets: 4_000, repeat: 1, refRepeat: 1, warmup: false },
    scaling: { ...TB_TINY, rules: [10, 100], packets: 4_000, repeat: 1, warmup: 0, builds: 1, referenceBudget: 20_000 },
    decode: { ...TB_TINY, packets: 10_000 },
    analysis: { repeat: 1 },
  },
  default: {
    fixtures: { timeMs: 300, warmupMs: 100, iterations: 10, repeat: 5, warmup: 1, builds: 5, referenceLookups: 4000 },
    classbench: { timeMs: 500, warmupMs: 200, iterations: 5, sets: ['acl1_1K', 'fw1_1K', 'ipc1_1K', 'acl1_10K', 'fw1_10K', 'ipc1_10K'], builds: 5 },
    dpdk: { sets: ['acl1_100', 'fw1_100', 'ipc1_100', 'acl1_1K', 'fw1_1K', 'ipc1_1K', 'acl1_10K', 'fw1_10K', 'ipc1_10K'], families: [4, 6], algs: ['scalar', 'sse', 'avx2', 'avx512x16', 'avx512x32'], passes: 10, minLookups: 2_000_000, warmup: 3, repeats: 3 },
    replay: { packets: 1_000_000, refPackets: 200_000, repeat: 5, refRepeat: 3, warmup: true },
    library: { packets: 200_000, refPackets: 20_000, repeat: 5, refRepeat: 3, warmup: true },
    scaling: { timeMs: 400, warmupMs: 100, iterations: 8, rules: [10, 100, 1000, 10_000], packets: 200_000, repeat: 3, warmup: 1, builds: 5, referenceBudget: 2_000_000 },
    decode: { timeMs: 1000, warmupMs: 300, iterations: 5, packets: 1_000_000 },
    analysis: { repeat: 5 },
  },
  full: {
    fixtures: { timeMs: 1500, warmupMs: 300, iterations: 20, repeat: 11, warmup: 2, builds: 11, referenceLookups: 10_000 },
    classbench: { timeMs: 2000, warmupMs: 500, iterations: 10, sets: ['acl1_1K', 'fw1_1K', 'ipc1_1K', 'acl1_10K', 'fw1_10K', 'ipc1_10K'], builds: 11 },
    dpdk: { sets: ['acl1_100', 'fw1_100', 'ipc1_100', 'acl1_1K', 'fw1_1K', 'ipc1_1K', 'acl1_10K', 'fw1_10K', 'ipc1_10K'], families: [4, 6], algs: ['scalar', 'sse', 'avx2', 'avx512x16', 'avx512x32'], passes: 10, minLookups: 5_000_000, warmup: 3, repeats: 5 },
    replay: { packets: 1_000_000, refPackets: 200_000, repeat: 11, refRepeat: 5, warmup: true },
    library: { packets: 200_000, refPackets: 50_000, repeat: 11, refRepeat: 5, warmup: true },
    scaling: { timeMs: 1500, warmupMs: 300, iterations: 16, rules: [10, 100, 1000, 10_000], packets: 500_000, repeat: 7, warmup: 1, builds: 11, referenceBudget: 4_000_000 },
    decode: { timeMs: 3000, warmupMs: 500, iterations: 10, packets: 1_000_000 },
    analysis: { repeat: 11 },
  },
};
