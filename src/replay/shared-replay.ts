/**
 * replay()'s path for 2 or more workers with ReplayOptions.split 'shared'
 * (the default for a pipe, FIFO or device; a regular file defaults to
 * 'lanes', measured faster: docs/replay.md "One shared memory, per-lane
 * record lists" and "Wired into replay()"): the
 * calling thread reads, scans and decodes the capture once, into a ring of
 * batch slots in one shared WebAssembly.Memory (the threads build), and
 * splits each batch's records by lane (engineSplit); each worker thread's
 * engine (its own instance on that memory, its own conntrack) judges its
 * lane's list (engineRunList), writing every decision at its packet's place
 * in the slot. Once every lane is past a slot, the calling thread turns the
 * slot's decisions (already in capture order) into records and writes them.
 *
 * The shared memory is kept for the next shared replay (keptArena, reset and
 * zeroed region by region as the next call's instances take it), and the
 * shard each record's split chose goes with the record to its lane's
 * pre-pass (docs/replay.md, "The kept shared memory and the lanes' own split").
 *
 * The calling thread's loop yields to its event loop after every batch and
 * waits for lanes with Atomics.waitAsync, so an abort signal, onProgress
 * and the caller's other work go on; a damaged capture ends the producer
 * after the batches before the damage, which are judged and written.
 */
import type { Piscina } from 'piscina';
import type { CompiledTable, TableMeta } from '../compile/compile.js';
import type { Topology } from '../model/topology.js';
import { PcapError } from '../pcap/errors.js';
import { FrameBatch, type CaptureInterface } from '../pcap/scanner.js';
import { DESC, DECISION } from '../wasm/layout.js';
import { createSharedArena, resetSharedArena, type SharedArena } from '../wasm/loader.js';
import type { Tally } from './decision-record.js';
import { DREC, RecordFiller, recordTables } from './decision-format.js';
import type { DecisionWriter } from './decision-writer.js';
import type { CaptureInfo, ShardResult } from './run-shards.js';
import { allocLaneSlot, judgeClaimed, judgeLane, laneClaims, LaneSplitter, type LaneSlot } from './shared-lanes.js';
import { WasmCaptureStream } from './stream.js';
import { waitChange } from './atomics.js';
import type { PipeFeed } from './pipe.js';
import { WasmEngine, type EngineCounters } from './wasm-engine.js';

/** Packets per slot (at most; the replay's batch size if smaller) and slots in the ring: sm21's measured best (2,048 in 8 beat 8,192 in 4). */
export const SHARED_SLOT_PACKETS = 2048;
export const SHARED_RING = 8;

/** Control words (i32 indices into the control region). */
const C_PUBLISHED = 0; // batches published
const C_TOTAL = 1; // -1 while producing; then the number of batches there are
const C_DONE = 16; // + lane: batches that lane has judged
const CTL_WORDS = 64;

export interface SharedLaneTask {
  topology: Topology;
  compiled: { bytes: Uint8Array; meta: TableMeta };
  arena: SharedArena;
  ctl: number;
  slots: LaneSlot[];
  lane: number;
  owned: number;
  /** Non-zero: the lane picks its own records of each batch, the shards of this mask (LaneSplitter.decode, judgeClaimed); 0: it judges the list the producer made for it. */
  claim: number;
  shards: number;
  conntrackCapacity: number;
}

/**
 * Who splits a batch by lane: 'lanes' — every lane walks the batch's records
 * and picks its own (engineRunClaimed), the producer only decodes; 'producer'
 * — the producer lists each lane's records (engineSplit), each lane judges
 * its list (engineRunList). Measured: docs/replay.md, "The kept shared
 * memory and the lanes' own split". A setting for the benchmarks' A/B.
 */
export const sharedTuning: { split: 'lanes' | 'producer'; producerLane: boolean; producerShare: number; ring: number; producerRing: number } = {
  split: 'producer',
  producerLane: true,
  producerShare: 0.15,
  ring: SHARED_RING,
  producerRing: 64,
};

export interface SharedLaneResult {
  tally: Tally;
  counters: EngineCounters;
  conntrackPeak: Record<string, number>;
}

/** A worker thread's part (worker.ts `judgeSharedLane`): judge this lane's list of every published batch until the producer says the end. */
export function judgeSharedLane(task: SharedLaneTask): SharedLaneResult {
  const compiled: CompiledTable = { bytes: task.compiled.bytes, meta: task.compiled.meta, stats: [] };
  const engine = new WasmEngine(task.topology, compiled, { shards: task.shards, conntrackCapacity: task.conntrackCapacity, batchCapacity: 64, stagingBytes: 4096, shared: task.arena });
  const ctl = new Int32Array(task.arena.memory.buffer, task.ctl, CTL_WORDS);
  const ring = task.slots.length;
  for (let seq = 0; ; seq++) {
    let p: number;
    while ((p = Atomics.load(ctl, C_PUBLISHED)) <= seq) Atomics.wait(ctl, C_PUBLISHED, p);
    const total = Atomics.load(ctl, C_TOTAL);
    if (total >= 0 && seq >= total) break;
    const s = task.slots[seq % ring]!;
    if (task.claim !== 0) judgeClaimed(engine, s, task.owned, task.claim);
    else {
      const n = new Uint32Array(task.arena.memory.buffer, s.counts, s.lanes)[task.lane]!;
      engine.runList(s.recs, s.lists + task.lane * s.capacity * 4, n, s.out, task.owned);
    }
    Atomics.store(ctl, C_DONE + task.lane, seq + 1);
    Atomics.notify(ctl, C_DONE + task.lane);
  }
  // (A lane that fails never says it is past a batch: the producer sees its task's rejection while it waits.)
  return { tally: engine.tally(), counters: engine.counters(), conntrackPeak: engine.conntrackPeak() };
}

export interface SharedReplayTask {
  topology: Topology;
  compiled: CompiledTable;
  file: string;
  captureFd?: number;
  /** The pipe read by this thread's event loop instead of `captureFd` (pipe.ts). */
  captureFeed?: PipeFeed;
  /** Per lane, the mask of the shards it judges (laneMasks); shards in no mask (another part's) go to lane 0, which skips them. */
  masks: number[];
  shards: number;
  conntrackCapacity: number;
  batchSize: number;
  chunkSize: number;
  /** The lanes' threads (one single-thread pool each); with `producerLane`, lanes 1.. only. */
  pools: Piscina[];
  /** Lane 0 is judged by this thread, after it publishes each batch (docs/replay.md, "Lane 0 in the calling thread"). */
  producerLane?: boolean;
  /** Write the decisions here (capture order); the caller flushes it. */
  writer?: DecisionWriter;
  signal?: AbortSignal;
  /** Progress: every i32 of it gets the KiB read so far. */
  progress?: SharedArrayBuffer;
}

/**
 * The shared memory of the last shared replay that ended (a damaged capture
 * and an abort included), kept in this thread for the next one, as the lanes
 * path's threads keep their engine memory (run-shards.ts): the next replay's
 * instances — the producer here, every lane's in its thread — are built on
 * it after resetSharedArena (its top back to the start, every region zeroed
 * as it is taken), so they start on memory that is already grown and faulted
 * in, and see nothing of the replay before (another topology, batch size,
 * lane count). replay.ts lets go of it after 5 s unused
 * (releaseSharedMemory) and in endIdleReplayWorkers.
 */
let keptArena: SharedArena | undefined;

/** Let go of the kept shared memory (replay.ts). */
export function releaseSharedMemory(): void {
  keptArena = undefined;
}

/** For tests: whether a shared memory is kept now. */
export function sharedMemoryKept(): boolean {
  return keptArena !== undefined;
}

/** Run a shared replay: results as run-shards.ts gives them (lane 0's carries the capture and any stop). */
export async function runSharedReplay(task: SharedReplayTask): Promise<ShardResult[]> {
  // Taken, so that a replay running at the same time builds on a memory of its own.
  const arena = keptArena ? resetSharedArena(keptArena) : createSharedArena(256);
  keptArena = undefined;
  const results = await sharedReplayOn(arena, task);
  // Only after every lane's task settled (none of its instances runs any more) and none failed.
  keptArena = arena;
  return results;
}

async function sharedReplayOn(arena: SharedArena, task: SharedReplayTask): Promise<ShardResult[]> {
  const lanes = task.masks.length;
  const cap = Math.min(task.batchSize, SHARED_SLOT_PACKETS);
  const producer = new WasmEngine(task.topology, task.compiled, {
    shards: task.shards,
    conntrackCapacity: 1,
    batchCapacity: cap,
    stagingBytes: Math.max(task.chunkSize, 1 << 20) + (1 << 20),
    shared: arena,
  });
  const inst = producer.inst;
  // With lane 0 here the producer and the one other lane take turns: a deep ring keeps either from waiting for the
  // other's wake-up (docs/replay.md, "Lane 0 in the calling thread").
  const RING = task.producerLane ? sharedTuning.producerRing : sharedTuning.ring;
  const slots = Array.from({ length: RING }, () => allocLaneSlot(inst, cap, lanes));
  // Per slot: a copy of the batch's descriptors (the records' timestamps), its first packet number and interfaces.
  // (The region first: taking it may grow the memory, and a view on the buffer from before would not reach it.)
  const descs = slots.map(() => {
    const at = inst.alloc(cap * DESC.WORDS * 4, 64);
    return new FrameBatch(cap, new Uint32Array(inst.memory.buffer, at, cap * DESC.WORDS));
  });
  const ifaces: (readonly CaptureInterface[])[] = slots.map(() => []);
  const ctlPtr = inst.alloc(CTL_WORDS * 4, 64);
  const ctl = new Int32Array(inst.memory.buffer, ctlPtr, CTL_WORDS);
  // Every word of the protocol set here, not left to the allocator's zeroing of a
  // kept memory: a stale C_PUBLISHED or C_DONE would have lanes and producer wait
  // on each other for ever instead of giving wrong decisions a test can see.
  for (let i = 0; i < CTL_WORDS; i++) Atomics.store(ctl, i, 0);
  Atomics.store(ctl, C_TOTAL, -1);
  const laneOf = Array.from({ length: task.shards }, (_, s) => Math.max(0, task.masks.findIndex((m) => (m & (1 << s)) !== 0)));
  const splitter = new LaneSplitter(producer, laneOf);
  const filler = task.writer ? new RecordFiller(producer, recordTables(task.topology, task.compiled), cap) : undefined;

  const claimed = sharedTuning.split === 'lanes';
  const claims = laneClaims(task.masks, task.shards);
  const laneTasks: SharedLaneTask[] = task.masks.map((owned, lane) => ({
    topology: task.topology,
    compiled: { bytes: task.compiled.bytes, meta: task.compiled.meta },
    arena,
    ctl: ctlPtr,
    slots,
    lane,
    owned,
    claim: claimed ? claims[lane]! : 0,
    shards: task.shards,
    conntrackCapacity: task.conntrackCapacity,
  }));
  const stream = new WasmCaptureStream(producer, task.file, task.chunkSize, task.captureFd, task.captureFeed);
  const progress = task.progress ? new Int32Array(task.progress) : undefined;
  // Lane 0 here: its own engine (instance) on the shared memory, judging its list after each publish.
  const here = task.producerLane ? new WasmEngine(task.topology, task.compiled, { shards: task.shards, conntrackCapacity: task.conntrackCapacity, batchCapacity: 64, stagingBytes: 4096, shared: arena }) : undefined;
  // From here on every way out publishes the end (the finally below), so no lane waits forever.
  const off = here ? 1 : 0;
  const runs = laneTasks.slice(off).map((t, l) => task.pools[l]!.run(t, { name: 'judgeSharedLane' }) as Promise<SharedLaneResult>);
  let crashed: unknown;
  for (const r of runs) r.catch((e) => (crashed ??= e ?? new Error('a replay lane failed')));

  let seq = 0; // batches published
  let written = 0; // batches whose decisions were written
  const lanesPast = (k: number) => {
    for (let l = 0; l < lanes; l++) if (Atomics.load(ctl, C_DONE + l) < k) return l;
    return -1;
  };
  /** Write the decisions of every batch all lanes are past, up to `upTo` batches; wait for them when `wait`. */
  const drain = async (upTo: number, wait: boolean) => {
    while (written < upTo) {
      const l = lanesPast(written + 1);
      if (crashed !== undefined) throw crashed;
      if (l >= 0) {
        if (!wait) return;
        await waitChange(ctl, C_DONE + l, Atomics.load(ctl, C_DONE + l));
        continue;
      }
      const k = written % RING;
      if (filler && !task.writer!.out.failed) {
        const b = descs[k]!;
        const recs = filler.fill(new DataView(inst.memory.buffer, slots[k]!.out, b.count * DECISION.SIZE), b, ifaces[k]!);
        task.writer!.records(recs, 0, recs.byteLength / DREC.SIZE);
      }
      written++;
    }
  };

  let error: CaptureInfo['error'];
  let judged = 0; // packets 1..judged are published
  let stopOffset = -1;
  const loopStart = performance.now();
  try {
    try {
      stream.yieldIdle = true;
      for (const { batch, interfaces, bytesRead, idle } of stream.batches()) {
        if (idle) {
          // A quiet pipe: let the event loop run (a signal ends the replay after the packets published).
          if (task.signal?.aborted) {
            stopOffset = bytesRead;
            break;
          }
          await stream.waitIdle(idle);
          continue;
        }
        if (task.signal?.aborted) {
          stopOffset = batch.recordOffset(0);
          break;
        }
        if (crashed !== undefined) throw crashed;
        // The slot is free once its last batch's decisions are written.
        await drain(seq - RING + 1, true);
        const k = seq % RING;
        const n = batch.count;
        if (claimed) splitter.decode(slots[k]!, n, interfaces);
        else splitter.split(slots[k]!, n, interfaces);
        if (filler) {
          const b = descs[k]!;
          b.desc.set(batch.desc.subarray(0, n * DESC.WORDS));
          b.count = n;
          b.firstN = batch.firstN;
          ifaces[k] = interfaces.slice();
        }
        Atomics.store(ctl, C_PUBLISHED, ++seq);
        Atomics.notify(ctl, C_PUBLISHED);
        if (here) {
          if (claimed) judgeClaimed(here, slots[k]!, task.masks[0]!, claims[0]!);
          else judgeLane(here, slots[k]!, 0, task.masks[0]!);
          Atomics.store(ctl, C_DONE, seq);
        }
        judged = batch.firstN + n - 1;
        if (progress) for (let l = 0; l < progress.length; l++) Atomics.store(progress, l, Math.floor(bytesRead / 1024));
        await drain(seq, false);
        // Let the event loop run (a signal, onProgress, the caller's work).
        await new Promise((ok) => setImmediate(ok));
      }
    } catch (e) {
      if (!(e instanceof PcapError)) throw e;
      error = { code: e.code, offset: e.offset, message: e.message };
    }
    if (task.signal?.aborted && stopOffset < 0 && error === undefined) stopOffset = stream.state.bytesRead;
  } finally {
    Atomics.store(ctl, C_TOTAL, seq);
    Atomics.store(ctl, C_PUBLISHED, seq + 1);
    Atomics.notify(ctl, C_PUBLISHED);
  }
  await drain(seq, true);
  const settled = await Promise.allSettled(runs);
  const failed = settled.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (failed) throw failed.reason;
  const s = stream.state;
  const stopped = stopOffset >= 0;
  const bytesReadAt = stopped ? stopOffset : s.bytesRead;
  const capture: CaptureInfo = { format: s.format, bytes: s.bytes, bytesRead: bytesReadAt, bytesUnread: s.bytes - bytesReadAt, packets: stopped ? judged : s.packets };
  if (error && !stopped) capture.error = error;
  if (progress) for (let l = 0; l < progress.length; l++) Atomics.store(progress, l, Math.floor(bytesReadAt / 1024));
  const loopSeconds = (performance.now() - loopStart) / 1000;
  const values = settled.map((x) => (x as PromiseFulfilledResult<SharedLaneResult>).value);
  if (here) values.unshift({ tally: here.tally(), counters: here.counters(), conntrackPeak: here.conntrackPeak() });
  return values.map((r, l) => {
    const out: ShardResult = { loopSeconds, tally: r.tally, counters: r.counters, conntrackPeak: r.conntrackPeak, capture };
    if (l === 0 && stopped) out.stoppedAt = judged;
    return out;
  });
}
