/**
 * Where a packet's time goes in one worker: the replay loop of
 * src/replay/run-shards.ts taken apart in this thread, on the bench capture,
 * with a timer around each stage of every batch (8,192 packets; the timer
 * costs well under 1 ns a packet):
 *
 *   read     readSync of the capture into the stream's read window alone (a pass of its own)
 *   stream   the capture stream's batches: read + scan (measured)
 *   scan     stream minus read (a difference of two medians, floored at 0)
 *   decode   decodeBatch: frames -> 128-byte records
 *   engine   engineRun over every shard: pre-pass, hops, conntrack, classification, records, tally
 *   skip     engineRun owning no shard: what a worker pays for another worker's packet after decoding
 *
 * Each figure is the median of `repeat` passes (a fresh engine each), in ns per packet;
 * with the minor page faults of a pass's decode and engine stages (the
 * process's count, a median too: faults into fresh memory cost several µs
 * each on a VM, and unlike the times they do not move with the machine's load).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { CompiledTable } from '../../src/compile/compile.js';
import type { Topology } from '../../src/model/topology.js';
import { STREAM_READ_BYTES, WasmCaptureStream } from '../../src/replay/stream.js';
import { WasmEngine, type WasmEngineOptions } from '../../src/replay/wasm-engine.js';
import { median } from '../stats.js';

export interface StagesReport {
  packets: number;
  /** ns per packet, medians. */
  read: number;
  stream: number;
  scan: number;
  decode: number;
  engine: number;
  skip: number;
  /** stream + decode + engine. */
  total: number;
  /** Conntrack table doublings in a pass. */
  conntrackGrows: number;
  /** Packets a pass judged conntrack-full (0 unless the capture holds more flows than the capacity allows). */
  conntrackFull: number;
  /** Minor page faults of a pass's decode and engine stages (median; a fresh engine's tables fill fresh memory). */
  pageFaults: number;
  /** Per stage, the passes' times (ms). */
  samplesMs: Record<'read' | 'stream' | 'decode' | 'engine' | 'skip', number[]>;
}

/** readSync of the whole capture into the stream's read window (STREAM_READ_BYTES of the staging region, as the stream reads). */
function readPass(file: string, engine: WasmEngine): number {
  const { ptr } = engine.staging();
  const size = Math.min(engine.staging().size, STREAM_READ_BYTES);
  const fd = openSync(file, 'r');
  try {
    const t0 = performance.now();
    for (;;) {
      const view = new Uint8Array(engine.inst.memory.buffer, ptr, size);
      if (readSync(fd, view, 0, size, null) === 0) break;
    }
    return performance.now() - t0;
  } finally {
    closeSync(fd);
  }
}

function pass(topology: Topology, compiled: CompiledTable, file: string, owned: 'all' | 'none', options: WasmEngineOptions) {
  const engine = new WasmEngine(topology, compiled, options);
  const mask = owned === 'all' ? engine.allShards : 0;
  const read = readPass(file, engine);
  const stream = new WasmCaptureStream(engine, file);
  let stream_ = 0;
  let decode = 0;
  let run = 0;
  let packets = 0;
  let faults = 0;
  let t = performance.now();
  for (const { batch, interfaces } of stream.batches()) {
    const t1 = performance.now();
    stream_ += t1 - t;
    const n = batch.count;
    const f0 = process.resourceUsage().minorPageFault;
    engine.decoder.decode(n, interfaces);
    const t2 = performance.now();
    decode += t2 - t1;
    engine.runDecoded(n, mask);
    const t3 = performance.now();
    faults += process.resourceUsage().minorPageFault - f0;
    run += t3 - t2;
    packets += n;
    t = performance.now();
  }
  const c = engine.counters();
  return { packets, read, stream: stream_, decode, run, grows: c.conntrackGrows, full: c.conntrackFull, faults };
}

export function runStages(topology: Topology, compiled: CompiledTable, file: string, repeat = 3, options: WasmEngineOptions = {}): StagesReport {
  const all = [];
  const none = [];
  pass(topology, compiled, file, 'all', options); // warm-up (page cache, JIT)
  for (let i = 0; i < repeat; i++) {
    all.push(pass(topology, compiled, file, 'all', options));
    none.push(pass(topology, compiled, file, 'none', options));
  }
  const packets = all[0]!.packets;
  const ns = (xs: number[]) => (median(xs) * 1e6) / packets;
  const samplesMs = {
    read: all.map((p) => p.read),
    stream: all.map((p) => p.stream),
    decode: all.map((p) => p.decode),
    engine: all.map((p) => p.run),
    skip: none.map((p) => p.run),
  };
  const read = ns(samplesMs.read);
  const stream = ns(samplesMs.stream);
  const decode = ns(samplesMs.decode);
  const engine = ns(samplesMs.engine);
  return { packets, read, stream, scan: Math.max(0, stream - read), decode, engine, skip: ns(samplesMs.skip), total: stream + decode + engine, conntrackGrows: all[0]!.grows, conntrackFull: all[0]!.full, pageFaults: median(all.map((p) => p.faults)), samplesMs };
}

export function formatStages(r: StagesReport): string {
  const row = (name: string, v: number, what: string) => `  | ${name.padEnd(7)} | ${v.toFixed(0).padStart(5)} | ${what} |`;
  return [
    `per-stage cost, 1 worker, ${r.packets.toLocaleString('en-US')} packets (ns per packet, medians)`,
    '  | stage   | ns/packet | |',
    '  |---|---|---|',
    row('read', r.read, "readSync into the stream's read window (a pass of its own)"),
    row('scan', r.scan, 'pcap record walk (WASM) and batching: stream minus read'),
    row('decode', r.decode, 'frames -> 128-byte records'),
    row('engine', r.engine, `engineRun: pre-pass, hops, conntrack, rules, decision records, tally (${r.conntrackGrows} table doublings; decode + engine: ${r.pageFaults.toLocaleString('en-US')} page faults a pass)`),
    row('total', r.total, 'stream (read + scan, measured) + decode + engine'),
    row('skip', r.skip, "engineRun owning no shard (another worker's packets, after read, scan, decode)"),
  ].join('\n');
}
