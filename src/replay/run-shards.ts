/**
 * One shard set of a replay, start to finish: stream the capture, decode and
 * judge every batch with the WASM engine (packets of other shards are
 * skipped), tally, and optionally write this set's decisions as JSON lines.
 * Runs inside a worker thread (worker.ts) or in the calling thread.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { CompiledTable, TableMeta } from '../compile/compile.js';
import type { Topology } from '../model/topology.js';
import { decisionLine } from '../model/decision.js';
import { PcapError } from '../pcap/errors.js';
import { frameTime } from '../pcap/reader.js';
import { WasmCaptureStream } from './stream.js';
import type { Tally } from './summary.js';
import { decodeDecision, DECISION, VERDICT_NOT_MINE, WasmEngine, type EngineCounters } from './wasm-engine.js';

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
}

/** Writes lines through a buffer (one write per ~1 MiB). */
class LineWriter {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly fd: number) {}
  line(s: string): void {
    this.parts.push(s);
    this.size += s.length + 1;
    if (this.size >= 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length === 0) return;
    writeSync(this.fd, this.parts.join('\n') + '\n');
    this.parts = [];
    this.size = 0;
  }
}

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
  const fd = task.decisionsPath ? openSync(task.decisionsPath, 'w') : -1;
  const out = fd >= 0 ? new LineWriter(fd) : undefined;
  let error: CaptureInfo['error'];
  const loopStart = performance.now();
  try {
    for (const { batch, interfaces, bytesRead } of stream.batches()) {
      engine.runPrepared(batch.count, interfaces, task.owned);
      if (out) {
        const b = stream.current();
        const dv = engine.decisionView(b.count);
        for (let i = 0; i < b.count; i++) {
          if (dv.getUint8(i * DECISION.SIZE + DECISION.VERDICT) === VERDICT_NOT_MINE) continue;
          const { tsText } = frameTime(interfaces, b.iface(i), b.tsA(i), b.tsB(i));
          out.line(decisionLine(b.firstN + i, tsText, decodeDecision(dv, i, compiled, task.topology)!));
        }
      }
      if (progress) Atomics.store(progress, task.slot ?? 0, Math.floor(bytesRead / 1024));
    }
  } catch (e) {
    if (!(e instanceof PcapError)) throw e;
    error = { code: e.code, offset: e.offset, message: e.message };
  } finally {
    out?.flush();
    if (fd >= 0) closeSync(fd);
  }
  const s = stream.state;
  const capture: CaptureInfo = { format: s.format, bytes: s.bytes, bytesRead: s.bytesRead, bytesUnread: s.bytes - s.bytesRead, packets: s.packets };
  if (error) capture.error = error;
  if (progress) Atomics.store(progress, task.slot ?? 0, Math.floor(s.bytesRead / 1024));
  const loopSeconds = (performance.now() - loopStart) / 1000;
  return { loopSeconds, tally: engine.tally(), counters: engine.counters(), conntrackPeak: engine.conntrackPeak(), capture };
}
