/**
 * Writing generated traffic: a capture file streamed through the project's
 * capture writers (src/pcap/writer.ts, 1 MiB buffer, so memory does not grow
 * with the packet count), the topology as readable JSON, and an on-demand
 * cache of large generated captures for the benchmark (`ensureGenerated`).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Topology } from '../model/topology.js';
import type { NativeTopology } from '../parse/native.js';
import { LINKTYPE } from '../pcap/format.js';
import { PcapWriter, PcapngWriter } from '../pcap/writer.js';
import { GEN_ERROR, GenError } from './errors.js';
import { generateTopology, type TopologyGenOptions } from './topology.js';
import { TrafficGenerator, type TrafficGenOptions, type TrafficSummary } from './traffic/index.js';

/** Bumped whenever a change to the generator changes its output for the same options. */
export const GENERATOR_VERSION = 1;

export const CAPTURE_FORMATS = ['pcap', 'pcapng'] as const;
export type GenCaptureFormat = (typeof CAPTURE_FORMATS)[number];

export interface WriteTrafficOptions {
  format?: GenCaptureFormat;
  /** Called every `progressEvery` packets (default 65536) and once at the end. */
  onProgress?: (packets: number) => void;
  progressEvery?: number;
}

export interface WrittenCapture extends TrafficSummary {
  file: string;
  format: GenCaptureFormat;
  nanos: boolean;
  /** Size of the capture file. */
  fileBytes: number;
}

/** Stream the traffic for `topology` into a capture file at `path`. */
export function writeTraffic(topology: Topology | NativeTopology, traffic: TrafficGenOptions, path: string, options: WriteTrafficOptions = {}): WrittenCapture {
  const format = options.format ?? 'pcap';
  if (!(CAPTURE_FORMATS as readonly string[]).includes(format)) {
    throw new GenError(GEN_ERROR.BAD_OPTION, `format must be one of ${CAPTURE_FORMATS.join(', ')}, got ${JSON.stringify(format)}`, 'format');
  }
  const gen = new TrafficGenerator(topology, traffic);
  const nanos = gen.options.nanos;
  const every = Math.max(1, options.progressEvery ?? 65536);
  if (format === 'pcap') {
    const w = PcapWriter.toFile(path, { nanos, linktype: LINKTYPE.ETHERNET });
    try {
      for (const f of gen.frames()) {
        w.addParts(f.sec, f.nsec, f.data);
        if (options.onProgress && w.packets % every === 0) options.onProgress(w.packets);
      }
    } finally {
      w.finish();
    }
  } else {
    const w = PcapngWriter.toFile(path, { interfaces: [{ linktype: LINKTYPE.ETHERNET, nanos, name: 'sgfilter-gen' }] });
    try {
      for (const f of gen.frames()) {
        w.addParts(f.sec, f.nsec, f.data);
        if (options.onProgress && w.packets % every === 0) options.onProgress(w.packets);
      }
    } finally {
      w.finish();
    }
  }
  const summary = gen.stats();
  const fileBytes = statSync(path).size;
  options.onProgress?.(summary.packets);
  return { file: path, format, nanos, fileBytes, ...summary };
}

/**
 * A topology as JSON that people can read and diff: the document and its
 * groups spread over lines, each rule, interface and address group on one line.
 */
export function formatTopologyJson(doc: NativeTopology): string {
  const out: string[] = [];
  const fmt = (v: unknown, depth: number, key: string | null, indent: string): string => {
    const inline = v === null || typeof v !== 'object' || depth >= 4 ||
      (depth === 2 && (key === 'interfaces' || key === 'addressGroups')) || (depth === 2 && key === 'conntrack');
    if (inline) return JSON.stringify(v);
    const inner = indent + '  ';
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return '[\n' + v.map((x) => inner + fmt(x, depth + 1, key, inner)).join(',\n') + '\n' + indent + ']';
    }
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return '{}';
    return '{\n' + entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${fmt(x, depth + 1, depth === 0 ? k : key, inner)}`).join(',\n') + '\n' + indent + '}';
  };
  out.push(fmt(doc, 0, null, ''));
  return out.join('') + '\n';
}

// ---------------------------------------------------------------------------
// On-demand generation into a cache

/** What to generate: a topology (generated, or an existing native file) and its traffic. */
export interface GenSpec {
  /** Options of the generated topology, or `{ file }`: an existing native topology JSON. */
  topology: TopologyGenOptions | { file: string };
  /** Traffic options; `seed` defaults to the topology's seed (or 1). */
  traffic: Omit<TrafficGenOptions, 'seed' | 'intents'> & { seed?: number };
  format?: GenCaptureFormat;
}

export interface GeneratedSet {
  dir: string;
  topologyPath: string;
  capturePath: string;
  summary: WrittenCapture;
  /** True when the files were already in the cache. */
  cached: boolean;
}

/** The package root (this file is dist/src/gen/write.js or src/gen/write.ts). */
function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

/** Default cache: $SGFILTER_CACHE_DIR, else <package>/.cache/gen (ignored by git). */
export function defaultCacheDir(): string {
  return process.env.SGFILTER_CACHE_DIR ? resolve(process.env.SGFILTER_CACHE_DIR) : join(packageRoot(), '.cache', 'gen');
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v as object).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/** The cache key of a spec: a hash of its canonical JSON, the generator version and (for files) the file's bytes. */
export function specKey(spec: GenSpec): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(canonical({ v: GENERATOR_VERSION, spec })));
  if ('file' in spec.topology) h.update(readFileSync(spec.topology.file));
  return h.digest('hex').slice(0, 20);
}

/** The set `spec` generated into `<cacheDir>/<key>/` before, or undefined when it is not (all) there. */
export function findGenerated(spec: GenSpec, options: { cacheDir?: string } = {}): GeneratedSet | undefined {
  const dir = join(options.cacheDir ?? defaultCacheDir(), specKey(spec));
  const topologyPath = join(dir, 'topology.json');
  const capturePath = join(dir, `trace.${spec.format ?? 'pcap'}`);
  const summaryPath = join(dir, 'summary.json');
  if (!existsSync(summaryPath) || !existsSync(capturePath) || !existsSync(topologyPath)) return undefined;
  return { dir, topologyPath, capturePath, summary: JSON.parse(readFileSync(summaryPath, 'utf8')) as WrittenCapture, cached: true };
}

/**
 * Generate `spec` into `<cacheDir>/<key>/` unless it is there already, and
 * return the paths. Files are written into a temporary directory and renamed,
 * so an interrupted run never leaves a half-written set behind.
 */
export function ensureGenerated(spec: GenSpec, options: { cacheDir?: string; onProgress?: (packets: number) => void } = {}): GeneratedSet {
  const found = findGenerated(spec, options);
  if (found) return found;
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const format = spec.format ?? 'pcap';
  const key = specKey(spec);
  const dir = join(cacheDir, key);
  const topologyPath = join(dir, 'topology.json');
  const capturePath = join(dir, `trace.${format}`);
  mkdirSync(cacheDir, { recursive: true });
  const tmp = join(cacheDir, `${key}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    let doc: NativeTopology;
    let seed = spec.traffic.seed;
    if ('file' in spec.topology) {
      const text = readFileSync(spec.topology.file, 'utf8');
      doc = JSON.parse(text) as NativeTopology;
      writeFileSync(join(tmp, 'topology.json'), text);
    } else {
      doc = generateTopology(spec.topology);
      seed ??= spec.topology.seed;
      writeFileSync(join(tmp, 'topology.json'), formatTopologyJson(doc));
    }
    const summary = writeTraffic(doc, { ...spec.traffic, seed: seed ?? 1 }, join(tmp, `trace.${format}`), {
      format,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    summary.file = capturePath;
    writeFileSync(join(tmp, 'summary.json'), JSON.stringify({ ...summary, spec: canonical(spec) }, null, 2) + '\n');
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return { dir, topologyPath, capturePath, summary, cached: false };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
