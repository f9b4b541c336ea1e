/**
 * Replaying a capture against a topology, packet by packet.
 *
 * WASM engine: the topology is compiled once; each of N worker threads (one
 * single-thread piscina pool each, so that a worker keeps its state for the
 * whole replay) streams the capture itself, decodes every packet and judges
 * those whose shard it owns (shard s belongs to worker s mod N). Shards are a
 * symmetric flow hash over a fixed number of shards (src/model/shard.ts), so a
 * flow, its replies, its fragments and the ICMP errors about it meet in one
 * worker, order within a flow is kept, and decisions do not depend on N or on
 * the batch size. Workers tally their packets and, when asked, write their
 * decisions to a temporary file; the files are merged by packet number.
 *
 * Reference engine: the TypeScript reader, decoder and ReferenceEngine in the
 * calling thread — the oracle, slow by design.
 *
 * A damaged capture: everything before the damage is judged and written, and
 * the summary carries the reader's error (code, byte offset).
 */
import { once } from 'node:events';
import { copyFileSync, createReadStream, createWriteStream, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Piscina } from 'piscina';
import { compileTopology, type CompiledTable } from '../compile/compile.js';
import { decisionLine } from '../model/decision.js';
import { checkEngineOptions, DEFAULT_SHARDS } from '../model/shard.js';
import type { Topology } from '../model/topology.js';
import { decodeFrame } from '../pcap/decode.js';
import { PcapError } from '../pcap/errors.js';
import { CaptureFileReader, frameTime } from '../pcap/reader.js';
import { DEFAULT_CONNTRACK_CAPACITY, ReferenceEngine } from '../reference/engine.js';
import { runShards, type CaptureInfo, type ShardResult, type ShardTask } from './run-shards.js';
import { hopLists, mergeTallies, newTally, summarize, tallyDecision, type ReplaySummary } from './summary.js';

export interface ReplayOptions {
  /** 'wasm' (default) or 'reference'. */
  engine?: 'wasm' | 'reference';
  /** Worker threads for the WASM engine (default 1). 0 = judge in the calling thread. */
  workers?: number;
  /** Write the decisions (SEMANTICS §9 JSON lines) to this file. */
  decisionsPath?: string;
  /** Conntrack entries per interface (default 262144). */
  conntrackCapacity?: number;
  /** State shards (default 16; at least the number of workers). */
  shards?: number;
  /** Frames per batch (default 8192). */
  batchSize?: number;
  /** Read chunk in bytes (default 4 MiB). */
  chunkSize?: number;
  /** Called now and then with the fraction of the file read (0-1). */
  onProgress?: (fraction: number) => void;
  /** A table compiled before (else compiled here). */
  compiled?: CompiledTable;
}

export interface ReplayResult extends ReplaySummary {
  /** The capture's damage, if any (also in capture.error). */
  error?: { code: string; offset: number; message: string };
}

const workerUrl = new URL('./worker.js', import.meta.url).href;

export async function replay(topology: Topology, file: string, options: ReplayOptions = {}): Promise<ReplayResult> {
  checkEngineOptions(options);
  return options.engine === 'reference' ? replayWithReference(topology, file, options) : replayWithWasm(topology, file, options);
}

async function replayWithWasm(topology: Topology, file: string, options: ReplayOptions): Promise<ReplayResult> {
  const workers = options.workers ?? 1;
  const shards = options.shards ?? DEFAULT_SHARDS;
  if (!Number.isInteger(workers) || workers < 0 || workers > shards) {
    throw new RangeError(`workers must be an integer from 0 to the number of shards (${shards}), got ${workers}`);
  }
  const started = performance.now();
  const lanes = Math.max(1, workers);
  // Start the worker threads first: their start-up overlaps the compile below.
  const pools: Piscina[] = [];
  for (let w = 0; w < workers; w++) pools.push(new Piscina({ filename: workerUrl, minThreads: 1, maxThreads: 1, idleTimeout: 1000 }));
  const compiled = options.compiled ?? compileTopology(topology);
  const dir = options.decisionsPath ? mkdtempSync(join(tmpdir(), 'sgfilter-decisions-')) : undefined;
  const progress = new SharedArrayBuffer(4 * lanes);
  const tasks: ShardTask[] = Array.from({ length: lanes }, (_, w) => {
    let owned = 0;
    for (let s = 0; s < shards; s++) if (s % lanes === w) owned |= 1 << s;
    const task: ShardTask = {
      topology,
      compiled: { bytes: compiled.bytes, meta: compiled.meta },
      file,
      owned: owned >>> 0,
      shards,
      conntrackCapacity: options.conntrackCapacity ?? DEFAULT_CONNTRACK_CAPACITY,
      batchSize: options.batchSize ?? 8192,
      chunkSize: options.chunkSize ?? 4 * 1024 * 1024,
      progress,
      slot: w,
    };
    if (dir) task.decisionsPath = join(dir, `worker-${w}.jsonl`);
    return task;
  });

  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    // the reader reports an unreadable file with its own error
  }
  const timer = options.onProgress && size > 0
    ? setInterval(() => {
      const p = new Int32Array(progress);
      let least = Infinity;
      for (let w = 0; w < lanes; w++) least = Math.min(least, Atomics.load(p, w));
      options.onProgress!(Math.min(1, (least * 1024) / size));
    }, 200)
    : undefined;

  let results: ShardResult[];
  try {
    if (workers === 0) results = [await runShards(tasks[0]!)];
    else results = await Promise.all(tasks.map((t, w) => pools[w]!.run(t) as Promise<ShardResult>));
  } finally {
    if (timer) clearInterval(timer);
    await Promise.all(pools.map((p) => p.destroy()));
  }
  options.onProgress?.(1);

  if (dir && options.decisionsPath) {
    await mergeDecisionFiles(tasks.map((t) => t.decisionsPath!), options.decisionsPath);
    rmSync(dir, { recursive: true, force: true });
  }

  const tally = newTally(topology.interfaces.length, compiled);
  for (const r of results) mergeTallies(tally, r.tally);
  const peak: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.conntrackPeak)) peak[k] = (peak[k] ?? 0) + v;
  const capture = results[0]!.capture;
  const seconds = (performance.now() - started) / 1000;
  const summary = summarize(tally, topology, compiled, {
    file,
    engine: 'wasm',
    workers,
    conntrack: {
      peak,
      full: results.reduce((n, r) => n + r.counters.conntrackFull, 0),
      fragmentsNotRemembered: results.reduce((n, r) => n + r.counters.fragmentsNotRemembered, 0),
    },
    capture: captureSection(capture),
    seconds,
  });
  summary.loopSeconds = Math.max(...results.map((r) => r.loopSeconds));
  return capture.error ? { ...summary, error: capture.error } : summary;
}

function captureSection(c: CaptureInfo): ReplaySummary['capture'] {
  const out: ReplaySummary['capture'] = { format: c.format, bytes: c.bytes, bytesRead: c.bytesRead, bytesUnread: c.bytesUnread };
  if (c.error) out.error = c.error;
  return out;
}

/** k-way merge of JSON-line files each sorted by their leading `{"n":N`. */
async function mergeDecisionFiles(inputs: string[], output: string): Promise<void> {
  if (inputs.length === 1) {
    renameOrCopy(inputs[0]!, output);
    return;
  }
  const its = inputs.map((f) => createInterface({ input: createReadStream(f), crlfDelay: Infinity })[Symbol.asyncIterator]());
  const heads: (string | null)[] = await Promise.all(its.map(async (it) => ((await it.next()).value as string | undefined) ?? null));
  const keyOf = (line: string) => Number(line.slice(5, line.indexOf(',', 5)));
  const keys = heads.map((h) => (h === null ? Infinity : keyOf(h)));
  const out = createWriteStream(output);
  const buf: string[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < keys.length; i++) if (keys[i]! !== Infinity && (best < 0 || keys[i]! < keys[best]!)) best = i;
    if (best < 0) break;
    buf.push(heads[best]!);
    if (buf.length >= 4096) {
      if (!out.write(buf.join('\n') + '\n')) await once(out, 'drain');
      buf.length = 0;
    }
    const next = await its[best]!.next();
    heads[best] = next.done ? null : (next.value as string);
    keys[best] = heads[best] === null ? Infinity : keyOf(heads[best]!);
  }
  if (buf.length) out.write(buf.join('\n') + '\n');
  out.end();
  await once(out, 'finish');
}

function renameOrCopy(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    copyFileSync(from, to); // across file systems
  }
}

async function replayWithReference(topology: Topology, file: string, options: ReplayOptions): Promise<ReplayResult> {
  const started = performance.now();
  const engine = new ReferenceEngine(topology, {
    ...(options.conntrackCapacity !== undefined ? { conntrackCapacity: options.conntrackCapacity } : {}),
    ...(options.shards !== undefined ? { shards: options.shards } : {}),
  });
  const compiled = options.compiled ?? compileTopology(topology);
  const tally = newTally(topology.interfaces.length, compiled);
  const lists = hopLists(topology, compiled);
  const ifaceIndex = new Map(topology.interfaces.map((x, i) => [x.id, i] as const));
  const positions = compiled.meta.lists.map((l) => new Map(l.rules.map(([g, r], pos) => [`${g}\u0000${r}`, pos] as const)));
  const rulePos = (list: number, g: string, r: string) => positions[list]!.get(`${g}\u0000${r}`)!;
  const reader = new CaptureFileReader(file, { chunkSize: options.chunkSize ?? 4 * 1024 * 1024 });
  const out = options.decisionsPath ? createWriteStream(options.decisionsPath) : undefined;
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    // reported by the reader
  }
  let error: ReplayResult['error'];
  let lines: string[] = [];
  let sinceProgress = 0;
  try {
    for await (const frame of reader) {
      const { ts, tsText } = frameTime(reader.interfaces, frame.ifaceIndex, frame.tsA, frame.tsB);
      const d = engine.judge(decodeFrame(frame.linktype, frame.data, ts, tsText));
      tallyDecision(tally, d, ifaceIndex, lists, rulePos);
      if (out) {
        lines.push(decisionLine(frame.n, tsText, d));
        if (lines.length >= 4096) {
          if (!out.write(lines.join('\n') + '\n')) await once(out, 'drain');
          lines = [];
        }
      }
      if (options.onProgress && size > 0 && ++sinceProgress >= 65536) {
        sinceProgress = 0;
        options.onProgress(Math.min(1, frame.offset / size));
      }
    }
  } catch (e) {
    if (!(e instanceof PcapError)) throw e;
    error = { code: e.code, offset: e.offset, message: e.message };
  } finally {
    if (out) {
      if (lines.length) out.write(lines.join('\n') + '\n');
      out.end();
      await once(out, 'finish');
    }
  }
  options.onProgress?.(1);
  const s = reader.summary;
  const stats = engine.stats();
  const capture: CaptureInfo = { format: s.format, bytes: s.bytes, bytesRead: s.bytesRead, bytesUnread: s.bytesUnread, packets: s.packets };
  if (error) capture.error = error;
  const summary = summarize(tally, topology, compiled, {
    file,
    engine: 'reference',
    workers: 0,
    conntrack: { peak: stats.conntrackPeak, full: stats.conntrackFull, fragmentsNotRemembered: stats.fragmentsNotRemembered },
    capture: captureSection(capture),
    seconds: (performance.now() - started) / 1000,
  });
  return error ? { ...summary, error } : summary;
}
