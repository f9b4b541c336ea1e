/**
 * Replaying a capture against a topology, packet by packet.
 *
 * WASM engine, 2+ workers, split 'shared' (shared-replay.ts; the default for a
 * pipe, FIFO or device): this thread reads, scans and decodes the capture
 * once into one shared WebAssembly.Memory, and each worker's engine judges
 * the packets of its shards there; the decisions come out of the shared
 * slots in capture order and this thread writes them.
 *
 * WASM engine, split 'lanes' (the default for a regular file, measured the
 * faster there: docs/replay.md, "Wired into replay()"; and 1 worker on a
 * thread kept from an earlier call): the topology is compiled once; each of N worker threads (one
 * single-thread piscina pool each, so that a worker keeps its state for the
 * whole replay) streams the capture itself, decodes every packet and judges
 * those whose shard it owns (shard s belongs to worker s mod N). Shards are a
 * symmetric flow hash over a fixed number of shards (src/model/shard.ts), so a
 * flow, its replies, its fragments and the ICMP errors about it meet in one
 * worker, order within a flow is kept, and decisions do not depend on N or on
 * the batch size. Workers tally their packets and, when asked, put their
 * decision records into a shared ring of batches (decision-writer.ts) that
 * this thread encodes and writes in packet order while they judge. Decisions are written as JSON lines or in the binary format
 * (docs/decisions.md), never as an object per packet.
 *
 * Reference engine: the TypeScript reader, decoder and ReferenceEngine in the
 * calling thread — the oracle, slow by design.
 *
 * A damaged capture: everything before the damage is judged and written, and
 * the summary carries the reader's error (code, byte offset).
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { Piscina } from 'piscina';
import { compileTopology, type CompiledTable } from '../compile/compile.js';
import { checkEngineOptions, DEFAULT_CONNTRACK_CAPACITY, DEFAULT_SHARDS, EngineOptionError } from '../model/shard.js';
import type { Topology } from '../model/topology.js';
import { decodeFrame } from '../pcap/decode.js';
import { ApiUsageError } from '../model/errors.js';
import { PCAP_ERROR, PcapError } from '../pcap/errors.js';
import { CaptureFileReader, frameTime } from '../pcap/reader.js';
import { decisionLine } from '../model/decision.js';
import { ReferenceEngine } from '../reference/engine.js';
import { checkOutputPath, OutputFile, type OutputStatus } from './output.js';
import { STREAM_READ_BYTES } from './stream.js';
import { releaseKeptMemory, runShards, type CaptureInfo, type ShardResult, type ShardTask } from './run-shards.js';
import { decisionIndex, mergeTallies, newTally, tallyDecision } from './decision-record.js';
import { summarize, type ReplaySummary } from './summary.js';
import { captureFingerprint, checkShardSet, laneMasks, leadLaneMasks, PART_MANIFEST_VERSION, partShards, sgfilterVersion, topologyHash, type PartManifest, type ShardSet } from './parts.js';
import { DREC, fillRecordFromDecision, recordTables } from './decision-format.js';
import { abortDecisionRing, consumeDecisionRing, DecisionWriter, makeDecisionRing, truncateForRing, type DecisionRing, type DecisionsFormat, type RingWriterResult, type RingWriterTask } from './decision-writer.js';
import { isPipeLike, openPipeCapture, stoppedEmpty, unblockOnAbort } from './pipe.js';
import { releaseSharedMemory, runSharedReplay, sharedMemoryKept, sharedTuning } from './shared-replay.js';

export interface ReplayOptions {
  /** 'wasm' (default) or 'reference'. */
  engine?: 'wasm' | 'reference';
  /**
   * Worker threads for the WASM engine (default 1). 0 = judge in the calling thread. 1 with no
   * thread kept from an earlier call: judged in the calling thread too, yielding to its event loop
   * after every batch, while a thread started at the call writes the decisions (docs/replay.md, Cold start).
   */
  workers?: number;
  /** Write the decisions (SEMANTICS §9 JSON lines) to this file. */
  decisionsPath?: string;
  /** 'jsonl' (default): §9 JSON lines; 'binary': the binary decisions format (docs/decisions.md). */
  decisionsFormat?: DecisionsFormat;
  /** Conntrack entries per interface (default 262144). */
  conntrackCapacity?: number;
  /** State shards (default 16; at least the number of workers). */
  shards?: number;
  /** Frames per batch (default 8192). */
  batchSize?: number;
  /** Read chunk in bytes (the WASM engine's stream: default 256 KiB, STREAM_READ_BYTES; the reference engine's reader: 4 MiB). */
  chunkSize?: number;
  /** Called now and then with the fraction of the file read (0-1). */
  onProgress?: (fraction: number) => void;
  /** A table compiled before (else compiled here). */
  compiled?: CompiledTable;
  /**
   * Stop early: when aborted, reading stops, every packet up to some N (the
   * same for every worker) is judged and written, and the result says
   * `interrupted` with N.
   */
  signal?: AbortSignal;
  /**
   * Judge only the shards of part `index` (0-based) of `count` (WASM engine;
   * see parts.ts): the result's `part` is the manifest `mergeParts` checks.
   */
  shardSet?: ShardSet;
  /**
   * How 2 or more workers share the work (docs/replay.md, "One shared memory"):
   * 'shared' — this thread reads and decodes the capture once into a shared
   * memory and each worker judges its lanes' packets there (the default when
   * the capture is a pipe, FIFO or device, which only one thread can read);
   * 'lanes' — every worker reads and decodes the whole capture itself and
   * judges its shards' packets (the default for a regular file: on this
   * project's 2-core machine it measured faster, docs/replay.md "Wired into
   * replay(); also on warm pools: docs/replay.md, "Lane 0 in the calling
   * thread"). With 'shared', lane 0 is judged by this thread, the producer,
   * when no decisions file is written. Decisions never depend on it. Ignored
   * for 0 or 1 worker.
   */
  split?: ReplaySplit;
}

export type ReplaySplit = 'shared' | 'lanes';
export const REPLAY_SPLITS: readonly ReplaySplit[] = ['shared', 'lanes'];

export interface ReplayResult extends ReplaySummary {
  /** The capture's damage, if any (also in capture.error). */
  error?: { code: string; offset: number; message: string };
  /** Set when `signal` stopped the replay: packets 1..packets were judged (and written). */
  interrupted?: { packets: number };
  /**
   * The decisions file: `complete` false when a write failed (`error` names
   * the path); then it holds exactly the decisions of packets 1..`packets`.
   */
  decisions?: { path: string; complete: boolean; lines: number; packets: number; error?: string };
  /** With `shardSet`: what the merge needs to know about this part (parts.ts). */
  part?: PartManifest;
}

/**
 * The worker lanes run `worker.bundle.js`: worker.js and its 26 modules in
 * one file (esbuild, `npm run build:bundle`, part of every build), because a
 * fresh thread resolves and reads an ES module graph file by file: importing
 * the graph took 91-124 ms in a new thread here, the bundle 21-31 ms (five
 * fresh processes each, alternated), on every cold lane. A tree built by
 * `tsc` alone (no bundle) runs worker.js itself: the same code.
 */
export const REPLAY_WORKER_FILE = (() => {
  // From dist/src/replay/ or from the CLI's bundle in dist/src/clib/ (src/cli/main.ts).
  const bundle = new URL('../replay/worker.bundle.js', import.meta.url);
  return existsSync(bundle) ? bundle.href : new URL('../replay/worker.js', import.meta.url).href;
})();
const workerUrl = REPLAY_WORKER_FILE;

/**
 * A cold replay() of 2+ workers (split 'lanes', no decisions file) whose lanes
 * are not all kept judges lane 0 in the calling thread (the local lane 0)
 * while the other lanes' threads start, and gives lane 0 the larger share of
 * the shards: (1 + leadBias) / (workers + leadBias) of them when a thread has
 * to be started, an even share when every other lane is a kept thread.
 * With a decisions file only when `leadWithDecisions` (this thread then judges
 * lane 0 and writes every lane's decisions: tests and the A/B). `warmShared`
 * (off: the lanes split measured faster on warm pools of 2 on a quiet machine):
 * with no decisions file and no thread to start (a pool, kept lanes), the
 * default split of a regular file would be 'shared' (with sharedTuning.producerLane).
 * docs/replay.md, "Lane 0 in the calling thread". Settings for the benchmarks' A/B.
 */
export const replayTuning: { leadLane: boolean; leadBias: number; leadWithDecisions: boolean; warmShared: boolean } = { leadLane: true, leadBias: 2, leadWithDecisions: false, warmShared: false };

export async function replay(topology: Topology, file: string, options: ReplayOptions = {}): Promise<ReplayResult> {
  checkEngineOptions(options);
  if (options.shardSet !== undefined && options.engine === 'reference') {
    throw new EngineOptionError('SGF_ENGINE_BAD_OPTION', 'shardSet', 'shardSet needs the WASM engine (the reference engine judges every packet in one thread)');
  }
  return options.engine === 'reference' ? replayWithReference(topology, file, options) : replayWithWasm(topology, file, options);
}

/**
 * Refuse, before any work, a capture that cannot be read, one that can be
 * read only once (a pipe) when several workers each need to read it, and a
 * decisions path that cannot be written.
 */
function preflight(file: string, readers: number, options: ReplayOptions): void {
  // stat and access, not open: opening a FIFO and closing it would break the writer's pipe.
  let regular: boolean;
  try {
    regular = statSync(file).isFile();
    accessSync(file, constants.R_OK);
  } catch (err) {
    throw new PcapError(PCAP_ERROR.IO, file, 0, `cannot read the file: ${(err as Error).message}`);
  }
  if (readers > 1 && !regular) {
    throw new PcapError(PCAP_ERROR.IO, file, 0, `not a regular file (a pipe or a device can be read only once, and each of the ${readers} workers reads the capture): use --workers 0 or 1, --split shared, the reference engine, or save the capture to a file first`);
  }
  if (options.decisionsPath !== undefined) checkOutputPath(options.decisionsPath, { label: 'decisions', inputs: [file] });
}

function decisionsResult(status: OutputStatus, packets: number): NonNullable<ReplayResult['decisions']> {
  return { path: status.path, complete: status.error === undefined, lines: status.lines, packets, ...(status.error !== undefined ? { error: status.error } : {}) };
}

/** Interrupt coordination (see run-shards.ts): on abort, wait until every lane has said how far it got, then set the common target. */
function coordinateStop(control: SharedArrayBuffer, lanes: number, signal: AbortSignal | undefined): () => void {
  if (!signal) return () => {};
  const ctl = new Int32Array(control);
  let timer: ReturnType<typeof setInterval> | undefined;
  const onAbort = () => {
    Atomics.store(ctl, 0, 1);
    timer = setInterval(() => {
      let target = 0;
      for (let w = 0; w < lanes; w++) {
        const p = Atomics.load(ctl, 2 + w);
        if (p === 0) return;
        target = Math.max(target, p - 1);
      }
      Atomics.store(ctl, 1, target + 1);
      Atomics.notify(ctl, 1);
      clearInterval(timer);
      timer = undefined;
    }, 5);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return () => {
    signal.removeEventListener('abort', onAbort);
    if (timer) clearInterval(timer);
  };
}

/** One single-thread piscina pool per lane, so that a lane keeps its thread (and its state) for a whole replay. */
function newLane(): Piscina {
  return new Piscina({ filename: workerUrl, minThreads: 1, maxThreads: 1, idleTimeout: 1000 });
}

/**
 * The lanes of `replay()` calls that ended, kept for the next call in this
 * process (docs/replay.md, Two workers): starting a thread and loading the
 * worker's modules costs more than a 1M-packet loop on two busy cores. A
 * kept lane is a warm pool's lane (its memory zeroed before reuse), so a
 * replay on it gives what a fresh one does; piscina unrefs idle threads, so
 * they never keep the process alive, and they end after LANE_IDLE_MS unused.
 */
const idleLanes: Piscina[] = [];
const IDLE_LANES_MAX = 8;
const LANE_IDLE_MS = 5000;
let idleTimer: ReturnType<typeof setTimeout> | undefined;

function takeLanes(n: number): Piscina[] {
  const lanes = idleLanes.splice(0, n);
  while (lanes.length < n) lanes.push(newLane());
  if (idleLanes.length === 0 && idleTimer) {
    clearTimeout(idleTimer);
    idleTimer = undefined;
  }
  return lanes;
}

function keepLanes(lanes: Piscina[]): void {
  const room = Math.max(0, IDLE_LANES_MAX - idleLanes.length);
  for (const p of lanes.slice(room)) void p.destroy();
  idleLanes.push(...lanes.slice(0, room));
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    idleTimer = undefined;
    void endIdleReplayWorkers();
  }, LANE_IDLE_MS).unref();
}

/**
 * Start `workers` replay worker threads now, for a `replay()` about to come
 * (a caller with other work first — loading a topology — overlaps their
 * start-up with it). They are kept as above.
 */
export function prestartReplayWorkers(workers: number): void {
  if (!Number.isInteger(workers) || workers < 1 || workers > 32) return;
  keepLanes(Array.from({ length: Math.max(0, workers - idleLanes.length) }, newLane));
}

/**
 * The local lane's engine memory is kept the same way, in this thread, for
 * the next local lane: released after LANE_IDLE_MS unused, or by
 * endIdleReplayWorkers().
 */
let localTimer: ReturnType<typeof setTimeout> | undefined;

function keepLocalMemory(): void {
  if (localTimer) clearTimeout(localTimer);
  localTimer = setTimeout(() => {
    localTimer = undefined;
    releaseKeptMemory();
  }, LANE_IDLE_MS).unref();
}

/**
 * The shared memory of a shared replay (split 'shared') is kept the same way
 * (shared-replay.ts), in this thread, for the next shared replay: released
 * after LANE_IDLE_MS unused, or by endIdleReplayWorkers().
 */
let sharedTimer: ReturnType<typeof setTimeout> | undefined;

function keepSharedMemory(): void {
  if (sharedTimer) clearTimeout(sharedTimer);
  sharedTimer = setTimeout(() => {
    sharedTimer = undefined;
    releaseSharedMemory();
  }, LANE_IDLE_MS).unref();
}

/** End the worker threads kept between `replay()` calls (they also end by themselves when unused), and let go of the local lane's and the shared replay's memory. */
export async function endIdleReplayWorkers(): Promise<void> {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = undefined;
  if (localTimer) clearTimeout(localTimer);
  localTimer = undefined;
  if (sharedTimer) clearTimeout(sharedTimer);
  sharedTimer = undefined;
  releaseSharedMemory();
  releaseKeptMemory();
  await Promise.all(idleLanes.splice(0).map((p) => p.destroy()));
}

/** For tests: the lanes kept now. */
export function idleReplayWorkers(): number {
  return idleLanes.length;
}

/**
 * `warm`: the lanes of a ReplayPool (kept, not destroyed; their threads
 * reuse their engine memory); else the replay starts `workers` lanes and
 * ends them.
 */
async function replayWithWasm(topology: Topology, file: string, options: ReplayOptions, warm?: readonly Piscina[]): Promise<ReplayResult> {
  const workers = warm ? warm.length : options.workers ?? 1;
  const shards = options.shards ?? DEFAULT_SHARDS;
  const set = options.shardSet;
  if (set !== undefined) checkShardSet(set, shards);
  // The shards this run judges: all, or those of its part; lane i mod W gets the i-th.
  const mine = set ? partShards(set, shards) : Array.from({ length: shards }, (_, s) => s);
  if (!Number.isInteger(workers) || workers < 0 || workers > mine.length) {
    const of = set ? `of part ${set.index}/${set.count} (${mine.length} of ${shards})` : `(${shards})`;
    throw new EngineOptionError('SGF_ENGINE_BAD_OPTION', 'workers', `workers must be an integer from 0 to the number of shards ${of}, got ${workers}`);
  }
  if (options.split !== undefined && !REPLAY_SPLITS.includes(options.split)) {
    throw new EngineOptionError('SGF_ENGINE_BAD_OPTION', 'split', `split must be 'shared' or 'lanes', got ${String(options.split)}`);
  }
  const started = performance.now();
  const lanes = Math.max(1, workers);
  // 2+ workers on one shared memory: only this thread reads the capture (so a pipe is fine).
  // Unless asked, only for a capture that cannot be read once per worker (a pipe, FIFO or device):
  // on a regular file 'lanes' measured faster (docs/replay.md, "Wired into replay()").
  // No decisions file and every thread there (a pool, or kept lanes): under replayTuning.warmShared (off by default:
  // measured slower on warm pools) the shared split with lane 0 judged by the producer (sharedTuning.producerLane),
  // which decodes once; else the lanes split (a cold call: lane 0 here, the local lane 0, while the others' threads
  // start). docs/replay.md, "Lane 0 in the calling thread".
  const noThreadToStart = warm !== undefined || idleLanes.length >= workers - (sharedTuning.producerLane ? 1 : 0);
  // (Kept lanes of a lanes-split call have warm memory of their own: the shared split only once its memory is kept too.)
  const warmShared = replayTuning.warmShared && options.decisionsPath === undefined && noThreadToStart && (warm !== undefined || sharedMemoryKept());
  const shared = workers >= 2 && (options.split ?? (isPipeLike(file) || warmShared ? 'shared' : 'lanes')) === 'shared';
  preflight(file, shared ? 1 : lanes, options);
  const fingerprint = set ? captureFingerprint(file) : undefined;
  // Lane 0 judged here while the other lanes' threads start (replayTuning); the rest of the lanes on threads.
  const lead = replayTuning.leadLane && !warm && workers >= 2 && !shared && (options.decisionsPath === undefined || replayTuning.leadWithDecisions) && idleLanes.length < workers;
  const startedThreads = lead ? Math.max(0, workers - 1 - idleLanes.length) : 0;
  // The shared split's lane 0 judged by this thread, the producer (sharedTuning.producerLane), with a small share: it also decodes.
  const producerLane = shared && sharedTuning.producerLane && (options.decisionsPath === undefined || replayTuning.leadWithDecisions);
  const masks = producerLane
    ? leadLaneMasks(mine, lanes, Math.max(1, Math.round(mine.length * sharedTuning.producerShare)))
    : lead && startedThreads > 0 && replayTuning.leadBias > 0
    ? leadLaneMasks(mine, lanes, Math.round((mine.length * (1 + replayTuning.leadBias)) / (workers + replayTuning.leadBias)))
    : laneMasks(mine, lanes);
  // The local lane: a cold replay of 1 worker (no kept lane to take) judges in
  // this thread, yielding to its event loop after every batch, instead of
  // waiting for a thread to start (50-90 ms here, as long as judging a fifth
  // of a 1M-packet capture); its decisions, if any, go through a deep ring to
  // a worker thread started now (or kept), which writes them. Its engine
  // memory is kept for the next local lane as a kept lane's is (so that one
  // is local again). docs/replay.md, Cold start.
  const local = !warm && workers === 1 && (idleLanes.length === 0 || localTimer !== undefined);
  const format = options.decisionsFormat ?? 'jsonl';
  const pools: Piscina[] = warm ? [...warm] : [];
  let dest: OutputFile | undefined;
  let truncating = false; // the destination's old bytes are left to a thread that writes (dest.truncatePending)
  let truncation: Promise<boolean> | undefined; // ... or go in the background (truncateForRing): the descriptor stays open until then
  let stopCoordinating = () => {};
  let pipe: Awaited<ReturnType<typeof openPipeCapture>> | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let ended = false;
  try {
    // Start the worker threads first: their start-up overlaps opening the destination (truncating a
    // file there takes as long as starting a thread) and the compile below.
    if (!warm) pools.push(...takeLanes(local ? (options.decisionsPath !== undefined ? 1 : 0) : lead || producerLane ? workers - 1 : workers));
    // The destination is opened once, before any work, and written by streaming: by this thread from
    // the workers' ring, by the local lane's writer thread, or (no worker threads) by the lane.
    // An existing file's bytes go before the first write (OutputFile.truncatePending): in the background with a ring (truncateForRing),
    // not here; in-thread (no worker threads), at once.
    if (options.decisionsPath !== undefined) dest = new OutputFile(options.decisionsPath, undefined, 'decisions', { truncate: workers === 0 });
    const compiled = options.compiled ?? compileTopology(topology);
    const batchSize = options.batchSize ?? 8192;
    // A FIFO or pipe is opened here, where a signal can still stop the wait for its writer (pipe.ts).
    pipe = await openPipeCapture(file, options.signal);
    // Worker threads hand their records to this thread (which encodes and writes while they judge); in-thread, the lane writes.
    // A deep ring also when an existing file is emptied in the background first (truncateForRing): the lanes judge on meanwhile.
    const ring = dest && workers >= 1 && !shared ? makeDecisionRing(lanes, batchSize, local || lead || dest.truncatePending) : undefined;
    const progress = new SharedArrayBuffer(4 * lanes);
    const control = new SharedArrayBuffer(4 * (2 + lanes));
    const tasks: ShardTask[] = Array.from({ length: lanes }, (_, w) => {
      const task: ShardTask = {
        topology,
        compiled: { bytes: compiled.bytes, meta: compiled.meta },
        file,
        ...(pipe ? { captureFd: pipe.fd } : {}),
        owned: masks[w]!,
        shards,
        conntrackCapacity: options.conntrackCapacity ?? DEFAULT_CONNTRACK_CAPACITY,
        batchSize,
        chunkSize: options.chunkSize ?? STREAM_READ_BYTES,
        progress,
        slot: w,
        control,
        solo: lanes === 1,
        yieldEachBatch: local || (lead && w === 0) || (workers === 0 && options.signal !== undefined),
        warm: workers >= 1,
      };
      // A pipe read in this thread (no worker thread, or the local lane) is read by its event loop.
      if (pipe && (workers === 0 || local)) {
        const feed = pipe.feed();
        if (feed) task.captureFeed = feed;
      }
      if (ring) {
        task.ring = ring;
        task.ringLane = w;
      } else if (dest) {
        task.decisionsPath = dest!.path;
        task.decisionsFd = dest!.fd;
        task.decisionsFormat = format;
      }
      return task;
    });
    if (!shared) stopCoordinating = coordinateStop(control, lanes, options.signal);

    let size = 0;
    try {
      size = statSync(file).size;
    } catch {
      // the reader reports an unreadable file with its own error
    }
    timer = options.onProgress && size > 0
      ? setInterval(() => {
        const p = new Int32Array(progress);
        let least = Infinity;
        for (let w = 0; w < lanes; w++) least = Math.min(least, Atomics.load(p, w));
        options.onProgress!(Math.min(1, (least * 1024) / size));
      }, 200)
      : undefined;

    let results: ShardResult[];
    let writer: DecisionWriter | undefined;
    let written: RingWriterResult | undefined;
    // Worker lanes hand their records over the ring: an existing file is emptied in the background while they judge
    // (into a deep ring); then this thread encodes and writes until every lane is done or one crashed.
    const consumeRing = (r: DecisionRing, crashed: () => boolean): Promise<number> => {
      if (dest!.truncatePending) truncation = truncateForRing(r, dest!.fd);
      truncating = true;
      const tables = recordTables(topology, compiled).tables;
      return (truncation ?? Promise.resolve(true)).then((ok) => {
        if (!ok) dest!.truncateNow(); // reports the failure
        const w = (writer = new DecisionWriter(dest!, format, tables));
        return consumeDecisionRing(r, (dv, laneBytes, counts) => w.lanes(dv, laneBytes, counts), crashed).finally(() => w.flush());
      });
    };
    if (workers === 0) results = [await runShards(tasks[0]!)];
    else if (shared) {
      if (dest) {
        if (dest.truncatePending) dest.truncateNow();
        truncating = true;
        writer = new DecisionWriter(dest, format, recordTables(topology, compiled).tables);
      }
      // Only this thread reads the capture: a pipe is read by its event loop (pipe.ts).
      const feed = pipe?.feed();
      try {
        results = await runSharedReplay({
          topology,
          compiled,
          file,
          ...(pipe ? { captureFd: pipe.fd } : {}),
          ...(feed ? { captureFeed: feed } : {}),
          masks,
          shards,
          conntrackCapacity: options.conntrackCapacity ?? DEFAULT_CONNTRACK_CAPACITY,
          batchSize,
          chunkSize: options.chunkSize ?? STREAM_READ_BYTES,
          pools: producerLane && warm ? pools.slice(1) : pools,
          producerLane,
          ...(writer ? { writer } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          progress,
        });
      } finally {
        writer?.flush();
      }
    } else if (local) {
      let writing: Promise<RingWriterResult> | undefined;
      if (ring) {
        // An existing file is emptied in the background while the writer thread starts (it waits for that before writing).
        if (dest!.truncatePending) truncation = truncateForRing(ring, dest!.fd);
        const w: RingWriterTask = { ring, path: dest!.path, fd: dest!.fd, format, tables: recordTables(topology, compiled).tables, truncate: dest!.truncatePending };
        writing = pools[0]!.run(w, { name: 'writeDecisions' }) as Promise<RingWriterResult>;
        truncating = true;
        // A writer that died: the lane stops at its next batch (its ring gives up), and its error is the replay's.
        writing.catch(() => abortDecisionRing(ring));
      }
      try {
        results = [await runShards(tasks[0]!)];
      } catch (e) {
        if (ring) abortDecisionRing(ring);
        await writing?.catch(() => {});
        throw e;
      }
      if (writing) written = await writing;
    } else if (lead) {
      // Lane 0 here (yielding after every batch), the others on their threads.
      const runs = tasks.slice(1).map((t, w) => pools[w]!.run(t) as Promise<ShardResult>);
      let crashed = false;
      for (const r of runs) r.catch(() => (crashed = true));
      // As for worker lanes: this thread writes the ring (between lane 0's batches; a deep ring).
      const consumer = ring ? consumeRing(ring, () => crashed) : undefined;
      let first: ShardResult;
      try {
        first = await runShards(tasks[0]!);
      } catch (e) {
        if (ring) abortDecisionRing(ring);
        await Promise.allSettled(runs);
        await consumer?.catch(() => {});
        throw e;
      }
      const settled = await Promise.allSettled(runs);
      await consumer;
      const failed = settled.find((x): x is PromiseRejectedResult => x.status === 'rejected');
      if (failed) throw failed.reason;
      results = [first, ...settled.map((x) => (x as PromiseFulfilledResult<ShardResult>).value)];
    } else {
      const runs = tasks.map((t, w) => pools[w]!.run(t) as Promise<ShardResult>);
      let crashed = false;
      for (const r of runs) r.catch(() => (crashed = true));
      const consumer = ring ? consumeRing(ring, () => crashed) : undefined;
      const settled = await Promise.allSettled(runs);
      await consumer;
      const failed = settled.find((x): x is PromiseRejectedResult => x.status === 'rejected');
      if (failed) throw failed.reason;
      results = settled.map((x) => (x as PromiseFulfilledResult<ShardResult>).value);
    }
    options.onProgress?.(1);

    let stoppedAt = results.find((r) => r.stoppedAt !== undefined)?.stoppedAt;
    if (pipe && stoppedAt === undefined && stoppedEmpty(options.signal, results[0]!.capture.bytesRead)) {
      stoppedAt = 0;
      delete results[0]!.capture.error;
    }
    const judged = stoppedAt ?? results[0]!.capture.packets;
    let decisions: ReplayResult['decisions'];
    if (dest) {
      if (writer) {
        const status = dest.status();
        decisions = decisionsResult(status, status.error !== undefined ? writer.lastN : judged);
      } else if (written) {
        decisions = decisionsResult(written.status, written.status.error !== undefined ? written.lastN : judged);
      } else {
        const d = results[0]!.decisions!;
        decisions = decisionsResult(d, d.error !== undefined ? d.lastN : judged);
      }
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
    const out: ReplayResult = capture.error ? { ...summary, error: capture.error } : summary;
    if (stoppedAt !== undefined) out.interrupted = { packets: stoppedAt };
    if (decisions) out.decisions = decisions;
    if (set) out.part = partManifest(set, mine, topology, options, fingerprint!, capture.packets, decisions);
    ended = true;
    return out;
  } finally {
    stopCoordinating();
    if (timer) clearInterval(timer);
    // A replay that ended leaves its lanes for the next one (kept above); one that failed ends them.
    if ((local || lead) && ended) keepLocalMemory();
    else if (local || lead) releaseKeptMemory();
    if (shared && ended) keepSharedMemory();
    // A replay that failed before any thread wrote: its destination is emptied all the same.
    if (dest?.truncatePending && !truncating) dest.truncateNow();
    await truncation;
    if (!warm && ended) {
      if (pools.length > 0) keepLanes(pools);
    } else if (!warm) await Promise.all(pools.map((p) => p.destroy()));
    dest?.close();
    await pipe?.close();
  }
}

export interface ReplayPoolOptions {
  /** Worker threads (default 1, at most 32). */
  workers?: number;
}

/** The options of one replay on a pool: replay()'s, but the engine (WASM) and the workers (the pool's) are the pool's. */
export type PoolReplayOptions = Omit<ReplayOptions, 'engine' | 'workers'>;

/**
 * A warm pool of replay workers: the threads, their compiled WASM module,
 * their optimised code and their engine memory are kept from one replay to
 * the next, so a replay on the pool starts judging at once and its loop
 * runs on memory that is already there (no growth, no page faults). Each
 * replay builds new engines on that memory, zeroed: its decisions, summary
 * and files are those of `replay()` with the same options and
 * `workers: pool.workers` (they never depend on the pool's past). Replays on
 * one pool run one after another, in call order. A worker keeps memory as
 * large as the largest replay it ran until `close()`.
 */
export class ReplayPool {
  readonly workers: number;
  private readonly lanes: Piscina[];
  private last: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;

  constructor(options: ReplayPoolOptions = {}) {
    const workers = options.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1 || workers > 32) {
      throw new EngineOptionError('SGF_ENGINE_BAD_OPTION', 'workers', `a replay pool's workers must be an integer from 1 to 32, got ${workers}`);
    }
    this.workers = workers;
    this.lanes = Array.from({ length: workers }, newLane);
  }

  /** Replay `file` against `topology` on the pool's workers (after the replays called before have ended). */
  replay(topology: Topology, file: string, options: PoolReplayOptions = {}): Promise<ReplayResult> {
    if (this.closing) return Promise.reject(new ApiUsageError('the replay pool is closed'));
    const o = options as ReplayOptions;
    if (o.engine !== undefined && o.engine !== 'wasm') {
      return Promise.reject(new EngineOptionError('SGF_ENGINE_BAD_OPTION', 'engine', `a replay pool runs the WASM engine, got engine ${String(o.engine)}`));
    }
    if (o.workers !== undefined && o.workers !== this.workers) {
      return Promise.reject(new EngineOptionError('SGF_ENGINE_BAD_OPTION', 'workers', `this pool has ${this.workers} worker(s), got workers ${String(o.workers)}`));
    }
    const run = this.last.then(() => {
      checkEngineOptions(options);
      return replayWithWasm(topology, file, options, this.lanes);
    });
    this.last = run.catch(() => {});
    return run;
  }

  /** End the workers (after the replays already called); later replays are refused. */
  close(): Promise<void> {
    this.closing ??= this.last.then(() => Promise.all(this.lanes.map((p) => p.destroy()))).then(() => {});
    return this.closing;
  }
}

/** A warm pool of `workers` replay workers (ReplayPool); close it when done. */
export function createReplayPool(options: ReplayPoolOptions = {}): ReplayPool {
  return new ReplayPool(options);
}

function partManifest(set: ShardSet, mine: number[], topology: Topology, options: ReplayOptions, fingerprint: string, packets: number, decisions: ReplayResult['decisions']): PartManifest {
  const m: PartManifest = {
    manifest: PART_MANIFEST_VERSION,
    sgfilter: sgfilterVersion(),
    index: set.index,
    count: set.count,
    shards: options.shards ?? DEFAULT_SHARDS,
    ownedShards: mine,
    conntrackCapacity: options.conntrackCapacity ?? DEFAULT_CONNTRACK_CAPACITY,
    topology: topologyHash(topology),
    capture: { fingerprint, packets },
  };
  if (decisions) {
    let bytes = -1;
    try {
      bytes = statSync(decisions.path).size;
    } catch {
      // a stream or a file gone: the merge refuses it
    }
    m.decisions = { path: decisions.path, format: options.decisionsFormat ?? 'jsonl', lines: decisions.lines, bytes };
  }
  return m;
}

function captureSection(c: CaptureInfo): ReplaySummary['capture'] {
  const out: ReplaySummary['capture'] = { format: c.format, bytes: c.bytes, bytesRead: c.bytesRead, bytesUnread: c.bytesUnread };
  if (c.error) out.error = c.error;
  return out;
}

async function replayWithReference(topology: Topology, file: string, options: ReplayOptions): Promise<ReplayResult> {
  const started = performance.now();
  preflight(file, 1, options);
  const engine = new ReferenceEngine(topology, {
    ...(options.conntrackCapacity !== undefined ? { conntrackCapacity: options.conntrackCapacity } : {}),
    ...(options.shards !== undefined ? { shards: options.shards } : {}),
  });
  const compiled = options.compiled ?? compileTopology(topology);
  const tally = newTally(topology.interfaces.length, compiled);
  const index = decisionIndex(topology, compiled);
  const reader = new CaptureFileReader(file, { chunkSize: options.chunkSize ?? 4 * 1024 * 1024, ...(options.signal ? { signal: options.signal } : {}) });
  const out = options.decisionsPath !== undefined ? new OutputFile(options.decisionsPath, undefined, 'decisions') : undefined;
  // JSON lines by decisionLine (the oracle the fast writer is checked against); binary through the one writer.
  const rt = out && options.decisionsFormat === 'binary' ? recordTables(topology, compiled) : undefined;
  const bin = rt ? new DecisionWriter(out!, 'binary', rt.tables) : undefined;
  const REC_BATCH = 4096;
  const rec = new DataView(new ArrayBuffer(REC_BATCH * DREC.SIZE));
  let recs = 0;
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    // reported by the reader
  }
  let error: ReplayResult['error'];
  let lines: string[] = [];
  let lineNs: number[] = [];
  let written = 0; // decisions of packets 1..written are in the file
  let judged = 0;
  let stoppedAt: number | undefined;
  let stopOffset = 0;
  let sinceProgress = 0;
  const flush = () => {
    const n = out!.write(lines.join('\n') + '\n');
    if (n > 0) written = lineNs[n - 1]!;
    lines = [];
    lineNs = [];
  };
  // The reader opens on the thread pool; a signal while it waits for a FIFO's writer completes that open (pipe.ts).
  const stopUnblocking = unblockOnAbort(file, options.signal);
  try {
    for await (const frame of reader) {
      if (options.signal?.aborted) {
        stoppedAt = judged;
        stopOffset = frame.offset;
        break;
      }
      const { ts, tsText } = frameTime(reader.interfaces, frame.ifaceIndex, frame.tsA, frame.tsB);
      const d = engine.judge(decodeFrame(frame.linktype, frame.data, ts, tsText));
      tallyDecision(tally, d, index);
      judged = frame.n;
      if (bin) {
        fillRecordFromDecision(rec, recs++, frame.n, tsText, d, rt!);
        if (recs === REC_BATCH) {
          bin.records(rec, 0, recs);
          recs = 0;
        }
      } else if (out && !out.failed) {
        lines.push(decisionLine(frame.n, tsText, d));
        lineNs.push(frame.n);
        if (lines.length >= 4096) flush();
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
    stopUnblocking();
    if (out) {
      if (bin && recs > 0) bin.records(rec, 0, recs);
      bin?.flush();
      if (lines.length && !out.failed) flush();
      out.close();
    }
  }
  if (bin) written = bin.lastN;
  options.onProgress?.(1);
  const s = reader.summary;
  // Stopped while a pipe was quiet: the reader ended the stream there (at the end of the last whole packet).
  if (stoppedAt === undefined && options.signal?.aborted && error === undefined && s.bytesRead > 0 && isPipeLike(file)) {
    stoppedAt = judged;
    stopOffset = s.bytesRead;
  }
  if (stoppedAt === undefined && isPipeLike(file) && stoppedEmpty(options.signal, s.bytesRead)) {
    stoppedAt = 0;
    error = undefined;
  }
  const stats = engine.stats();
  const capture: CaptureInfo = stoppedAt !== undefined
    ? { format: s.format, bytes: s.bytes, bytesRead: stopOffset, bytesUnread: s.bytes - stopOffset, packets: stoppedAt }
    : { format: s.format, bytes: s.bytes, bytesRead: s.bytesRead, bytesUnread: s.bytesUnread, packets: s.packets };
  if (error) capture.error = error;
  const summary = summarize(tally, topology, compiled, {
    file,
    engine: 'reference',
    workers: 0,
    conntrack: { peak: stats.conntrackPeak, full: stats.conntrackFull, fragmentsNotRemembered: stats.fragmentsNotRemembered },
    capture: captureSection(capture),
    seconds: (performance.now() - started) / 1000,
  });
  const result: ReplayResult = error ? { ...summary, error } : summary;
  if (stoppedAt !== undefined) result.interrupted = { packets: stoppedAt };
  if (out) {
    const st = out.status();
    result.decisions = decisionsResult(st, st.error !== undefined ? written : judged);
  }
  return result;
}
