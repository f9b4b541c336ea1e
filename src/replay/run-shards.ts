/**
 * One shard set of a replay, start to finish: stream the capture, decode and
 * judge every batch with the WASM engine (packets of other shards are
 * skipped), tally, and optionally hand this set's decisions on as DREC
 * records (decision-format.ts RecordFiller, in the engine's WASM instance,
 * packed: only this set's packets): written to the output by the only lane,
 * or copied in one piece into this lane's array of the shared ring
 * (decision-writer.ts) that the calling thread merges and writes.
 * Runs inside a worker thread (worker.ts) or in the calling thread.
 */
import type { CompiledTable, TableMeta } from '../compile/compile.js';
import type { Topology } from '../model/topology.js';
import { PcapError } from '../pcap/errors.js';
import { OutputFile, type OutputStatus } from './output.js';
import { WasmCaptureStream } from './stream.js';
import type { PipeFeed } from './pipe.js';
import type { Tally } from './decision-record.js';
import { DREC, RecordFiller, recordTables } from './decision-format.js';
import { DecisionWriter, RingProducer, type DecisionRing, type DecisionsFormat } from './decision-writer.js';
import { WasmEngine, type EngineCounters } from './wasm-engine.js';
import type { ReusableMemory } from '../wasm/loader.js';
import { waitChange } from './atomics.js';

export interface ShardTask {
  topology: Topology;
  compiled: { bytes: Uint8Array; meta: TableMeta };
  file: string;
  /** Bit mask of the shards this task judges. */
  owned: number;
  shards: number;
  conntrackCapacity: number;
  batchSize: number;
  chunkSize: number;
  /** Write this set's decisions (capture order) here. */
  decisionsPath?: string;
  /** With decisionsPath: JSON lines (default) or the binary format. */
  decisionsFormat?: DecisionsFormat;
  /** Put this set's decision records into this ring (several lanes; the calling thread writes them). */
  ring?: DecisionRing;
  /** With ring: this lane's number in it. */
  ringLane?: number;
  /** With decisionsPath: write to this open descriptor (the final output) instead of opening the path. */
  decisionsFd?: number;
  /** The capture's descriptor, opened by replay() (a FIFO or pipe: pipe.ts); the lane reads it and leaves it open. */
  captureFd?: number;
  /** In the calling thread only (not posted): the pipe read by its event loop instead of `captureFd` (pipe.ts). */
  captureFeed?: PipeFeed;
  /**
   * Interrupt control (Int32Array): [0] stop requested, [1] stop target + 1
   * (the last packet every lane judges), [2 + slot] packets this lane had
   * judged when it saw the request (or at its end) + 1. See replay.ts.
   */
  control?: SharedArrayBuffer;
  /** The only lane: it sets the stop target itself. */
  solo?: boolean;
  /** Running in the calling thread: yield to the event loop between batches (so a signal can be seen), and wait for the ring asynchronously. */
  yieldEachBatch?: boolean;
  /** Progress: Int32Array slot `slot` gets the KiB read so far. */
  progress?: SharedArrayBuffer;
  slot?: number;
  /**
   * A warm pool's worker (ReplayPool, replay.ts): build the engine on the memory the last
   * task in this thread left (zeroed, as fresh), and leave this one's for the
   * next — no memory growth or page faults of fresh memory in the loop.
   */
  warm?: boolean;
}

export interface CaptureInfo {
  format: string;
  bytes: number;
  bytesRead: number;
  bytesUnread: number;
  packets: number;
  error?: { code: string; offset: number; message: string };
}

export interface ShardResult {
  /** Seconds spent streaming and judging (after setup), for reports only. */
  loopSeconds: number;
  tally: Tally;
  counters: EngineCounters;
  conntrackPeak: Record<string, number>;
  capture: CaptureInfo;
  /** The decisions output of this lane. */
  decisions?: OutputStatus & { lastN: number; goodThrough: number };
  /** Set when the lane stopped at an interrupt's target packet. */
  stoppedAt?: number;
}

const CTL = { STOP: 0, TARGET: 1, LANES: 2 } as const;

/** The memory the last warm task of this thread left (each worker thread has its own module state; in the calling thread, the local lane's: replay.ts). */
let kept: ReusableMemory | undefined;

/** Let go of the memory kept in this thread (replay.ts: the local lane's, once idle). */
export function releaseKeptMemory(): void {
  kept = undefined;
}

export async function runShards(task: ShardTask): Promise<ShardResult> {
  const compiled: CompiledTable = { bytes: task.compiled.bytes, meta: task.compiled.meta, stats: [] };
  const reuse = task.warm ? kept : undefined;
  kept = undefined;
  const engine = new WasmEngine(task.topology, compiled, {
    shards: task.shards,
    conntrackCapacity: task.conntrackCapacity,
    batchCapacity: task.batchSize,
    stagingBytes: Math.max(task.chunkSize, 1 << 20) + (1 << 20),
    ...(reuse ? { memory: reuse } : {}),
  });
  // Kept only after a task that ended normally (a damaged capture included).
  const result = await judgeShards(task, engine, compiled);
  if (task.warm) kept = engine.release();
  return result;
}

const idleCell = new Int32Array(new SharedArrayBuffer(4));

async function judgeShards(task: ShardTask, engine: WasmEngine, compiled: CompiledTable): Promise<ShardResult> {
  const stream = new WasmCaptureStream(engine, task.file, task.chunkSize, task.captureFd, task.captureFeed);
  const progress = task.progress ? new Int32Array(task.progress) : undefined;
  const ctl = task.control ? new Int32Array(task.control) : undefined;
  const slot = task.slot ?? 0;
  const file = task.decisionsPath !== undefined ? new OutputFile(task.decisionsPath, task.decisionsFd, 'decisions') : undefined;
  const rt = file || task.ring ? recordTables(task.topology, compiled) : undefined;
  const out = file ? new DecisionWriter(file, task.decisionsFormat ?? 'jsonl', rt!.tables) : undefined;
  const filler = rt ? new RecordFiller(engine, rt, task.batchSize) : undefined;
  const ring = task.ring ? new RingProducer(task.ring, task.ringLane ?? slot) : undefined;
  let acked = false;
  // While waiting for the ring: answer an interrupt request at once (the other lanes may wait for it).
  const ackStop = () => {
    if (ctl && !acked && Atomics.load(ctl, CTL.STOP) !== 0) {
      acked = true;
      Atomics.store(ctl, CTL.LANES + slot, judged + 1);
      Atomics.notify(ctl, CTL.LANES + slot);
    }
    return true;
  };
  let error: CaptureInfo['error'];
  let target = -1; // -1: no stop target; else the last packet to judge
  let judged = 0; // packets 1..judged have been judged (by the lane owning each)
  let stopOffset = -1;
  const loopStart = performance.now();
  try {
    stream.yieldIdle = true;
    for (const { batch, interfaces, bytesRead, idle } of stream.batches()) {
      if (idle) {
        // A quiet pipe: an interrupt request ends the replay after the packets judged so far (only one
        // lane reads a pipe); else wait a little, letting the calling thread's event loop run.
        if (ctl && task.solo && Atomics.load(ctl, CTL.STOP) !== 0) {
          ackStop();
          target = judged;
          stopOffset = bytesRead;
          break;
        }
        if (task.yieldEachBatch) await stream.waitIdle(idle);
        else Atomics.wait(idleCell, 0, 0, idle <= 256 ? 0.01 : 1);
        continue;
      }
      // In the calling thread (yieldEachBatch), the ring is waited on without blocking its event loop.
      const slotView = ring ? (task.yieldEachBatch ? await ring.acquireAsync(ackStop) : ring.acquire(ackStop)) : undefined;
      if (slotView === null) break; // the writer gave up (a lane died)
      if (ctl && target < 0 && Atomics.load(ctl, CTL.STOP) !== 0) {
        if (!acked) {
          acked = true;
          Atomics.store(ctl, CTL.LANES + slot, judged + 1);
          Atomics.notify(ctl, CTL.LANES + slot);
        }
        if (task.solo) target = judged;
        else {
          // In the calling thread (replay()'s local lane 0) the target is set by its event loop: wait without blocking it.
          while ((target = Atomics.load(ctl, CTL.TARGET) - 1) < 0) {
            if (!task.yieldEachBatch) Atomics.wait(ctl, CTL.TARGET, 0, 50);
            else await waitChange(ctl, CTL.TARGET, 0);
          }
        }
      }
      if (target >= 0) {
        if (batch.firstN > target || judged >= target) {
          stopOffset = batch.count > 0 ? batch.recordOffset(0) : bytesRead;
          break;
        }
        const keep = Math.min(batch.count, target - batch.firstN + 1);
        if (keep < batch.count) stopOffset = batch.recordOffset(keep);
        batch.count = keep;
      }
      // The decision records only when something reads them (a decisions file that has not failed, or the ring); else the tally-only entry.
      const toFile = out !== undefined && !out.out.failed;
      engine.runPrepared(batch.count, interfaces, task.owned, toFile || ring !== undefined);
      const b = stream.current();
      if (toFile) {
        const recs = filler!.fill(engine.decisionView(b.count), b, interfaces);
        out.records(recs, 0, recs.byteLength / DREC.SIZE);
      } else if (ring) {
        const recs = filler!.fill(engine.decisionView(b.count), b, interfaces);
        slotView!.set(new Uint8Array(recs.buffer, recs.byteOffset, recs.byteLength));
        ring.release(b.firstN, b.count, recs.byteLength / DREC.SIZE);
      }
      judged = b.firstN + b.count - 1;
      if (progress) Atomics.store(progress, slot, Math.floor(bytesRead / 1024));
      if (target >= 0 && judged >= target) {
        if (stopOffset < 0) stopOffset = bytesRead;
        break;
      }
      if (task.yieldEachBatch) await new Promise((ok) => setImmediate(ok));
    }
  } catch (e) {
    if (!(e instanceof PcapError)) throw e;
    error = { code: e.code, offset: e.offset, message: e.message };
  } finally {
    out?.flush();
    file?.close();
    ring?.finish();
    if (ctl && Atomics.load(ctl, CTL.LANES + slot) === 0) {
      Atomics.store(ctl, CTL.LANES + slot, judged + 1);
      Atomics.notify(ctl, CTL.LANES + slot);
    }
  }
  const s = stream.state;
  const stopped = target >= 0 && stopOffset >= 0;
  const bytesReadAt = stopped ? stopOffset : s.bytesRead;
  const capture: CaptureInfo = { format: s.format, bytes: s.bytes, bytesRead: bytesReadAt, bytesUnread: s.bytes - bytesReadAt, packets: stopped ? judged : s.packets };
  if (error && !stopped) capture.error = error;
  if (progress) Atomics.store(progress, slot, Math.floor(bytesReadAt / 1024));
  const loopSeconds = (performance.now() - loopStart) / 1000;
  const result: ShardResult = { loopSeconds, tally: engine.tally(), counters: engine.counters(), conntrackPeak: engine.conntrackPeak(), capture };
  if (file && out) result.decisions = { ...file.status(), lastN: out.lastN, goodThrough: out.goodThrough };
  if (stopped) result.stoppedAt = judged;
  return result;
}
