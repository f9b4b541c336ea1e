/**
 * The benchmark report (bench/results/<date>-<host>.json), as a zod schema:
 * the writer validates what it is about to write, `--compare` validates the
 * old report it reads, and the smoke test validates the file on disk.
 *
 * Layout:
 *   schema        "sgfilter-bench/1" (bump when a field changes meaning)
 *   startedAt, finishedAt, durationSeconds
 *   env           node, v8, platform, CPU model and count, memory, load average at start
 *   git           commit (null outside a checkout), branch, dirty
 *   options       mode, sections run, compare file, and every resolved parameter
 *   notes         what was skipped and why (e.g. the ClassBench corpus is absent)
 *   fixtures, classbench, dpdk, replay, scaling, decode, analysis, memory   what each section measured on
 *   figures       every figure with its raw samples (harness/stats.ts)
 */
import { z } from 'zod';
import { median } from '../stats.js';
import { SgfError } from '../../src/model/errors.js';

export const REPORT_SCHEMA = 'sgfilter-bench/1';

/** Sections `--only` can name, in run order. */
export const SECTIONS = ['fixtures', 'classbench', 'dpdk', 'replay', 'library', 'scaling', 'decode', 'analysis'] as const;
export type RunSection = (typeof SECTIONS)[number];
/** Figures also belong to `memory` (collected whatever runs). */
export const FIGURE_SECTIONS = [...SECTIONS, 'memory'] as const;
export type SectionName = (typeof FIGURE_SECTIONS)[number];

export const MODES = ['tiny', 'default', 'full'] as const;
export type Mode = (typeof MODES)[number];

const finite = z.number().finite();
const nonneg = finite.nonnegative();
const count = z.number().int().nonnegative();
const positiveCount = z.number().int().positive();
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, 'an ISO 8601 UTC date');

export const figureSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_.+/-]*$/i, 'a figure id (letters, digits, _ . + / -)'),
    section: z.enum(FIGURE_SECTIONS),
    subject: z.string().min(1),
    label: z.string().min(1),
    kind: z.enum(['throughput', 'duration', 'size', 'memory']),
    unit: z.enum(['packets/s', 'lookups/s', 'ms', 'bytes']),
    better: z.enum(['higher', 'lower']),
    method: z.enum(['tinybench', 'repeated-runs', 'measured']),
    value: nonneg,
    work: positiveCount.optional(),
    samples: z.array(nonneg).min(1),
    spread: z.object({ lo: nonneg, hi: nonneg }).strict(),
  })
  .strict()
  .superRefine((f, ctx) => {
    const issue = (message: string, path: (string | number)[] = []) => ctx.addIssue({ code: 'custom', message, path });
    const near = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b), 1e-300);
    if (!Array.isArray(f.samples) || f.samples.length === 0 || !f.spread) return; // already reported by the shape checks
    switch (f.kind) {
      case 'throughput':
        if (f.unit !== 'packets/s' && f.unit !== 'lookups/s') issue(`a throughput is in packets/s or lookups/s, not ${f.unit}`, ['unit']);
        if (f.better !== 'higher') issue('a throughput is better higher', ['better']);
        if (f.work === undefined) {
          issue('a throughput needs `work` (items per sample)', ['work']);
          break;
        }
        if (f.samples.some((s) => s <= 0)) issue('throughput samples (ms) must be positive', ['samples']);
        else if (!near(f.value, (f.work * 1000) / median(f.samples))) issue(`value ${f.value} is not work * 1000 / median(samples) = ${(f.work * 1000) / median(f.samples)}`, ['value']);
        break;
      case 'duration':
        if (f.unit !== 'ms') issue('a duration is in ms', ['unit']);
        if (!near(f.value, median(f.samples))) issue(`value ${f.value} is not the median of the samples (${median(f.samples)})`, ['value']);
        break;
      case 'size':
      case 'memory':
        if (f.unit !== 'bytes') issue(`a ${f.kind} is in bytes`, ['unit']);
        if (f.samples.length !== 1 || f.samples[0] !== f.value) issue('a size has its value as its only sample', ['samples']);
        break;
    }
    if (f.spread.lo > f.spread.hi) issue('spread.lo > spread.hi', ['spread']);
    if (f.value < f.spread.lo * (1 - 1e-9) || f.value > f.spread.hi * (1 + 1e-9)) issue(`value ${f.value} lies outside its spread ${f.spread.lo}..${f.spread.hi}`, ['value']);
  });

export type Figure = z.infer<typeof figureSchema>;
export type FigureKind = Figure['kind'];
export type FigureUnit = Figure['unit'];
export type FigureMethod = Figure['method'];

const param = z.union([finite, z.string(), z.boolean(), z.array(finite), z.array(z.string())]);

const verifySchema = z
  .object({
    packets: positiveCount,
    /** Always true in a written report: a mismatch stops the run. */
    identical: z.literal(true),
    /** Rule lookups checked: WASM matcher == reference first match. */
    lookupsChecked: count,
    /** Replay summaries (1 and 2 workers, in-thread) checked against the reference engine's counts. */
    summariesChecked: count,
  })
  .strict();

export const fixtureInfoSchema = z
  .object({
    name: z.string().min(1),
    capture: z.string().min(1),
    topology: z.string().min(1),
    format: z.string().min(1),
    packets: positiveCount,
    bytes: positiveCount,
    cloud: z.string().min(1),
    interfaces: count,
    rules: count,
    /** Rule lookups in the capture (classify only): one per hop of each IP packet. */
    lookups: count,
    tableBytes: positiveCount,
    /** WASM linear memory of the in-thread engine after judging the capture. */
    wasmMemoryBytes: positiveCount,
    verify: verifySchema,
  })
  .strict();

export const classbenchInfoSchema = z
  .object({
    status: z.enum(['ran', 'absent']),
    dir: z.string().nullable(),
    sets: z.array(
      z
        .object({
          set: z.string().min(1),
          rules: positiveCount,
          tracePackets: positiveCount,
          tableBytes: positiveCount,
          /** Millions of lookups/s quoted for native classifiers (one core), when the issue quotes them. */
          peers: z.object({ tupleMerge: finite.positive().optional(), hyperSplit: finite.positive().optional() }).strict(),
          /** Packets per sample: the reference and linear scans run over a prefix of the trace. */
          packets: z.object({ reference: positiveCount, linear: positiveCount, optimized: positiveCount }).strict(),
        })
        .strict(),
    ),
  })
  .strict();

const captureSchema = z.object({ path: z.string().min(1), packets: positiveCount, bytes: positiveCount }).strict();

/** harness/library.ts: the capture the library calls judged, and what was checked before timing. */
export const libraryInfoSchema = z
  .object({
    capture: captureSchema,
    /** The IP packets' tuples judgeTuple(s) judged. */
    tuples: positiveCount,
    /** Packets whose decisions every call matched: the reference's prefix, and judgeFrames' whole capture. */
    verified: z.object({ reference: positiveCount, packets: positiveCount }).strict(),
  })
  .strict();

export const replayInfoSchema = z
  .object({
    capture: captureSchema,
    refCapture: captureSchema,
    /** The generator's knobs (src/gen): topology, and traffic apart from the packet count. */
    topology: z.record(z.string(), param),
    traffic: z.record(z.string(), param),
    /** Verdict counts agreed between 1 and 2 workers, and between WASM and the reference engine. */
    countsAgree: z.literal(true),
    /**
     * The native C baseline (bench/native/replay.c) on the same capture: its
     * verdict counts beside sgfilter's (a throughput peer doing the essential
     * work, not an oracle), or why it did not run.
     */
    native: z
      .union([
        z.object({ compiler: z.string(), verdicts: z.object({ allow: count, deny: count }).strict(), sgfilterVerdicts: z.object({ allow: count, deny: count }).strict() }).strict(),
        z.object({ compiler: z.string().nullable(), skipped: z.string().min(1) }).strict(),
      ])
      .optional(),
    /**
     * The same C source compiled to WebAssembly (clang --target=wasm32-wasi)
     * and run by this Node's V8 through node:wasi, on the same capture: its
     * counts (equal to the native binary's), or why it did not run.
     */
    nativeWasm: z
      .union([
        z.object({ compiler: z.string(), verdicts: z.object({ allow: count, deny: count }).strict() }).strict(),
        z.object({ compiler: z.string().nullable(), skipped: z.string().min(1) }).strict(),
      ])
      .optional(),
    /** The big capture's decisions files were byte-identical for these configurations (reference, wasm-1w, wasm-2w). */
    verify: z.object({ packets: positiveCount, identical: z.literal(true), configs: z.array(z.string()) }).strict().optional(),
    /** The same for a capture made to cross state shards (ICMP errors from a small router pool), verified and not timed. */
    verifyShards: z.object({ path: z.string().min(1), packets: positiveCount, identical: z.literal(true), configs: z.array(z.string()) }).strict().optional(),
  })
  .strict();

/** The side-by-side section against DPDK's rte_acl (bench/classify/dpdk.ts). */
export const dpdkInfoSchema = z
  .object({
    /** ran; absent: no ClassBench corpus; not-installed: no DPDK (libdpdk and a C compiler; the note says how to install it). */
    status: z.enum(['ran', 'absent', 'not-installed']),
    note: z.string(),
    passesMin: positiveCount,
    warmup: count,
    repeats: positiveCount,
    algorithms: z.array(z.string()),
    unavailable: z.array(z.string()),
    sets: z.array(z.object({ set: z.string().min(1), family: z.union([z.literal(4), z.literal(6)]), rules: positiveCount, packets: positiveCount, passes: positiveCount }).strict()),
    /** sgfilter / DPDK geometric means, by family ("IPv4", "IPv6") then algorithm (and "best": the fastest DPDK algorithm per set). */
    geomean: z.record(z.string(), z.record(z.string(), finite.positive())),
  })
  .strict();

export const scalingInfoSchema = z.array(
  z
    .object({
      target: positiveCount,
      /** Mean over interfaces of the rules in its ingress + egress lists. */
      rulesPerInterface: nonneg,
      interfaces: positiveCount,
      groupsPerInterface: positiveCount,
      rulesPerGroup: positiveCount,
      lists: positiveCount,
      tableBytes: positiveCount,
      packets: positiveCount,
      lookups: positiveCount,
      referenceLookups: positiveCount,
      capture: z.string().min(1),
    })
    .strict(),
);

export const decodeInfoSchema = z.object({ packets: positiveCount, bytes: positiveCount }).strict();

/** Section analysis: one entry per analysed topology. */
export const analysisInfoSchema = z.array(
  z.object({
    id: z.string().min(1),
    subject: z.string().min(1),
    interfaces: positiveCount,
    maxRulesPerInterface: count,
    hops: count,
    /** Rules reported shadowed, redundant, empty or not analysed, summed over hops. */
    flaggedRules: count,
  }).strict(),
);

export const memoryInfoSchema = z
  .object({
    /** process.resourceUsage().maxRSS at the end (bytes; all threads of the process). */
    maxRssBytes: positiveCount,
    /** After each section: peak so far, and the current RSS / heap / external / array buffers. */
    afterSection: z.array(
      z
        .object({
          section: z.enum(SECTIONS),
          maxRssBytes: positiveCount,
          rssBytes: positiveCount,
          heapUsedBytes: positiveCount,
          externalBytes: count,
          arrayBuffersBytes: count,
        })
        .strict(),
    ),
  })
  .strict();

export const reportSchema = z
  .object({
    schema: z.literal(REPORT_SCHEMA),
    startedAt: isoDate,
    finishedAt: isoDate,
    durationSeconds: nonneg,
    env: z
      .object({
        node: z.string().regex(/^v\d+\./),
        v8: z.string(),
        platform: z.string(),
        arch: z.string(),
        hostname: z.string(),
        cpuModel: z.string(),
        cpuCount: positiveCount,
        cpuSpeedMHz: count,
        totalMemoryBytes: positiveCount,
        loadAverage: z.array(nonneg).length(3),
      })
      .strict(),
    git: z
      .object({
        commit: z.string().regex(/^[0-9a-f]{40}$/).nullable(),
        branch: z.string().nullable(),
        /** Tracked files changed since the commit; null when git could not say. */
        dirty: z.boolean().nullable(),
      })
      .strict(),
    options: z
      .object({
        mode: z.enum(MODES),
        sections: z.array(z.enum(SECTIONS)).min(1),
        compare: z.string().nullable(),
        parameters: z.record(z.string(), z.record(z.string(), param)),
      })
      .strict(),
    notes: z.array(z.string()),
    fixtures: z.array(fixtureInfoSchema).optional(),
    classbench: classbenchInfoSchema.optional(),
    dpdk: dpdkInfoSchema.optional(),
    replay: replayInfoSchema.optional(),
    library: libraryInfoSchema.optional(),
    scaling: scalingInfoSchema.optional(),
    decode: decodeInfoSchema.optional(),
    analysis: analysisInfoSchema.optional(),
    memory: memoryInfoSchema,
    figures: z.array(figureSchema).min(1),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (!Array.isArray(r.figures) || !r.options || !Array.isArray(r.options.sections)) return; // already reported
    const seen = new Set<string>();
    r.figures.forEach((f, i) => {
      if (seen.has(f.id)) ctx.addIssue({ code: 'custom', message: `duplicate figure id ${f.id}`, path: ['figures', i, 'id'] });
      seen.add(f.id);
      if (f.section !== 'memory' && !r.options.sections.includes(f.section)) {
        ctx.addIssue({ code: 'custom', message: `a figure of section ${f.section}, which did not run`, path: ['figures', i, 'section'] });
      }
    });
    for (const s of r.options.sections) {
      if (r[s] === undefined) ctx.addIssue({ code: 'custom', message: `section ${s} ran but its description is missing`, path: [s] });
    }
  });

export type BenchReport = z.infer<typeof reportSchema>;
export type FixtureInfo = z.infer<typeof fixtureInfoSchema>;
export type ClassbenchInfo = z.infer<typeof classbenchInfoSchema>;
export type ReplayInfo = z.infer<typeof replayInfoSchema>;
export type LibraryInfo = z.infer<typeof libraryInfoSchema>;
export type DpdkInfo = z.infer<typeof dpdkInfoSchema>;
export type ScalingInfo = z.infer<typeof scalingInfoSchema>;
export type DecodeInfo = z.infer<typeof decodeInfoSchema>;
export type AnalysisInfo = z.infer<typeof analysisInfoSchema>;
export type MemoryInfo = z.infer<typeof memoryInfoSchema>;

/** A report failed its schema: the issues with their JSON paths. */
export class ReportError extends SgfError {
  readonly code = 'SGF_BENCH_BAD_REPORT';
  constructor(readonly source: string, readonly issues: { path: string; message: string }[]) {
    super(`${source}: not a valid sgfilter benchmark report (${REPORT_SCHEMA}):\n` + issues.slice(0, 20).map((i) => `  at ${i.path}: ${i.message}`).join('\n') + (issues.length > 20 ? `\n  … and ${issues.length - 20} more` : ''));
  }
}

/** JSON path of a zod issue path: $.figures[3].value */
export function jsonPath(path: readonly PropertyKey[]): string {
  return '$' + path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

/** Validate a parsed report; throws ReportError naming `source` and each bad JSON path. */
export function validateReport(input: unknown, source: string): BenchReport {
  const r = reportSchema.safeParse(input);
  if (r.success) return r.data;
  throw new ReportError(source, r.error.issues.map((i) => ({ path: jsonPath(i.path), message: i.message })));
}
