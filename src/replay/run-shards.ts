/**
 * One shard set of a replay, start to finish: stream the capture, decode and
 * judge every batch with the WASM engine (packets of other shards are
 * skipped), tally, and optionally write this set's decisions as JSON lines.
 * Runs inside a worker thread (worker.ts) or in the calling thread.
 */
import type { CompiledTable, TableMeta } from '../compile/compile.js';
import type { Topology } from '../model/topology.js';
import { decisionLine } from '../model/decision.js';
import { PcapError } from '../pcap/errors.js';
import { frameTime } from '../pcap/reader.js';
import { OutputFile, type OutputStatus } from './output.js';
import { WasmCaptureStream } from './stream.js';
import { decisionVerdict, decodeDecision, VERDICT_NOT_MINE, type Tally } from './decision-record.js';
import { WasmEngine, type EngineCounters } from './wasm-engine.js';

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
  /** Write this set's decisions (JSON lines, capture order) here. */
  decisionsPath?: string;
  /** With decisionsPath: write to this open descriptor (the final output) instead of opening the path. */
  decisionsFd?: number;
  /**
   * Interrupt control (Int32Array): [0] stop requested, [1] stop target + 1
   * (the last packet every lane judges), [2 + slot] packets this lane had
   * judged when it saw the request (or at its end) + 1. See replay.ts.
   */
  control?: SharedArrayBuffer;
  /** The only lane: it sets the stop target itself. */
  solo?: boolean;
  /** Running in the calling thread: yield to the event loop between batches (so a signal can be seen). */
  yieldEachBatch?: boolean;
  /** Progress: Int32Array slot `slot` gets the KiB read so far. */
  progress?: SharedArrayBuffer;
  slot?: number;
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

/** Writes lines through a buffer (one write per ~1 MiB); remembers the last packet written completely. */
class LineWriter {
  private parts: string[] = [];
  private ns: number[] = [];
  private size = 0;
  lastN = 0;
  /** Infinity, or after a failed write the last packet number up to which this lane's decisions are all written. */
  goodThrough = Infinity;
  constructor(readonly out: OutputFile) {}
  line(n: number, s: string): void {
    this.parts.push(s);
    this.ns.push(n);
    this.size += s.length + 1;
    if (this.size >= 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length === 0) return;
    const written = this.out.write(this.parts.join('\n') + '\n');
    if (written > 0) this.lastN = this.ns[written - 1]!;
    // After a failure: every packet of this lane before the first line lost is in the file.
    if (this.out.failed && this.goodThrough === Infinity) this.goodThrough = (this.ns[written] ?? this.lastN + 1) - 1;
    this.parts = [];
    this.ns = [];
    this.size = 0;
  }
}

const CTL = { STOP: 0, TARGET: 1, LANES: 2 } as const;

export async function runShards(task: ShardTask): Promise<ShardResult> {
  const compiled: CompiledTable = { bytes: task.compiled.bytes, meta: task.compiled.meta, stats: [] };
  const engine = new WasmEngine(task.topology, compiled, {
    shards: task.shards,
    conntrackCapacity: task.conntrackCapacity,
    batchCapacity: task.batchSize,
    stagingBytes: Math.max(task.chunkSize, 1 << 20) + (1 << 20),
  });
  const stream = new WasmCaptureStream(engine, task.file);
  const progress = task.progress ? new Int32Array(task.progress) : undefined;
  const ctl = task.control ? new Int32Array(task.control) : undefined;
  const slot = task.slot ?? 0;
  const file = task.decisionsPath !== undefined
    ? new OutputFile(task.decisionsPath, task.decisionsFd, task.decisionsFd !== undefined ? 'decisions' : 'temporary decisions file')
    : undefined;
  const out = file ? new LineWriter(file) : undefined;
  let error: CaptureInfo['error'];
  let target = -1; // -1: no stop target; else the last packet to judge
  let judged = 0; // packets 1..judged have been judged (by the lane owning each)
  let stopOffset = -1;
  const loopStart = performance.now();
  try {
    for (const { batch, interfaces, bytesRead } of stream.batches()) {
      if (ctl && target < 0 && Atomics.load(ctl, CTL.STOP) !== 0) {
        Atomics.store(ctl, CTL.LANES + slot, judged + 1);
        Atomics.notify(ctl, CTL.LANES + slot);
        if (task.solo) target = judged;
        else while ((target = Atomics.load(ctl, CTL.TARGET) - 1) < 0) Atomics.wait(ctl, CTL.TARGET, 0, 50);
      }
      if (target >= 0) {
        if (batch.firstN > target || judged >= target) {
          stopOffset = batch.count > 0 ? batch.recOff[0]! : bytesRead;
          break;
        }
        const keep = Math.min(batch.count, target - batch.firstN + 1);
        if (keep < batch.count) stopOffset = batch.recOff[keep]!;
        batch.count = keep;
      }
      engine.runPrepared(batch.count, interfaces, task.owned);
      const b = stream.current();
      if (out) {
        const dv = engine.decisionView(b.count);
        for (let i = 0; i < b.count; i++) {
          if (decisionVerdict(dv, i) === VERDICT_NOT_MINE) continue;
          const { tsText } = frameTime(interfaces, b.iface(i), b.tsA(i), b.tsB(i));
          out.line(b.firstN + i, decisionLine(b.firstN + i, tsText, decodeDecision(dv, i, compiled, task.topology)!));
        }
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
