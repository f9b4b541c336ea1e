/**
 * A measurement driver for issue 11's
 * two-worker design: the capture read, scanned and decoded once into one
 * shared WebAssembly.Memory (the threads build, build/sgfilter.shared.wasm),
 * each worker's engine judging only its own lane's records from a per-lane
 * index list (engineSplit, engineRunList), against today's split (every
 * worker streams and decodes the whole capture and skips the packets of the
 * others' shards: engineDecodeRun with an owned mask).
 *
 *   node dist/bench/replay/shared-proto.js [--dir DIR] [--batch 2048] [--ring 8]
 *     [--rounds 5] [--modes lane1,lane2,shared1,shared2] (also claimedN)
 *
 * Modes: laneN, today's split with N workers (the calling thread idle);
 * sharedN, the calling thread reads, scans, decodes and splits each batch
 * into a ring of RING slots in the shared memory and N workers judge their
 * lists (Atomics.wait/notify on per-batch sequence numbers, no spinning);
 * claimedN, the same with the calling thread only decoding each batch and
 * every worker picking its own records (engineRunClaimed, replay()'s way).
 * The modes alternate round by round; per mode the medians of the loop's
 * wall time and of each thread's CPU time (/proc/thread-self/schedstat),
 * ns per packet. Every run's tally (packets, allows, denies) must equal the
 * lane1 run's, else the driver fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { compileTopology } from '../../src/compile/compile.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { WasmCaptureStream } from '../../src/replay/stream.js';
import { WasmEngine } from '../../src/replay/wasm-engine.js';
import { createSharedArena, type SharedArena } from '../../src/wasm/loader.js';
import { DECISION, REC } from '../../src/wasm/layout.js';
import { ensureGenerated } from '../../src/gen/index.js';
import { benchProgram, intOption, listOption, parseBenchArgs, runBenchScript } from '../cli.js';
import { median } from '../stats.js';

/** Records per batch slot and slots in the ring (--batch, --ring; the stream's batches are cut to the slot's size). */
export const SHARED_BATCH = 2048;
export const SHARED_RING = 8;
/** Control words (i32 indices into the control region). */
const C_PUBLISHED = 0;
const C_TOTAL = 1;
const C_DONE = 16;

interface Slot {
  recs: number;
  lists: number;
  counts: number;
  out: number;
}

interface Job {
  mode: 'lane' | 'shared';
  claimed?: boolean;
  lanes: number;
  lane: number;
  file: string;
  topologyPath: string;
  arena?: SharedArena;
  ctl?: number;
  slots?: Slot[];
  cap: number;
  ring: number;
}

interface WorkerResult {
  cpuNs: number;
  packets: number;
  allow: number;
  deny: number;
}

function threadCpuNs(): number {
  if (!existsSync('/proc/thread-self/schedstat')) return NaN;
  return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
}

function ownedMask(shards: number, lanes: number, lane: number): number {
  let m = 0;
  for (let s = 0; s < shards; s++) if (s % lanes === lane) m |= 1 << s;
  return m >>> 0;
}

function load(file: string, topologyPath: string) {
  const topology = loadTopologyFile(topologyPath).topology;
  return { topology, compiled: compileTopology(topology), file, topologyPath };
}

function tallyOf(engine: WasmEngine): { packets: number; allow: number; deny: number } {
  const t = engine.tally() as unknown as { packets: number; allow: number; deny: number };
  return { packets: Number(t.packets), allow: Number(t.allow), deny: Number(t.deny) };
}

// ---------------------------------------------------------------------------
// Worker side.

function workerMain(job: Job): void {
  const { topology, compiled, file } = load(job.file, job.topologyPath);
  const CAP = job.cap;
  const RING = job.ring;
  const engine = job.mode === 'shared' ? new WasmEngine(topology, compiled, { shared: job.arena!, batchCapacity: 64 }) : new WasmEngine(topology, compiled);
  const owned = ownedMask(engine.shards, job.lanes, job.lane);
  parentPort!.postMessage({ ready: true });
  parentPort!.once('message', () => {
    const c0 = threadCpuNs();
    if (job.mode === 'lane') {
      const stream = new WasmCaptureStream(engine, file);
      for (const { batch, interfaces } of stream.batches()) engine.runPrepared(batch.count, interfaces, owned);
    } else {
      const ctl = new Int32Array(job.arena!.memory.buffer, job.ctl!, 64);
      const u32 = () => new Uint32Array(job.arena!.memory.buffer);
      for (let seq = 0; ; seq++) {
        let p: number;
        while ((p = Atomics.load(ctl, C_PUBLISHED)) <= seq) Atomics.wait(ctl, C_PUBLISHED, p);
        if (seq === Atomics.load(ctl, C_TOTAL)) break;
        const s = job.slots![seq % RING]!;
        if (job.claimed) engine.runClaimed(s.recs, u32()[s.counts >>> 2]!, s.out, owned, owned);
        else engine.runList(s.recs, s.lists + job.lane * CAP * 4, u32()[(s.counts >>> 2) + job.lane]!, s.out, owned);
        Atomics.store(ctl, C_DONE + job.lane, seq + 1);
        Atomics.notify(ctl, C_DONE + job.lane);
      }
    }
    const cpuNs = threadCpuNs() - c0;
    parentPort!.postMessage({ cpuNs, ...tallyOf(engine) } satisfies WorkerResult);
  });
}

// ---------------------------------------------------------------------------
// Calling thread.

interface RunResult {
  packets: number;
  wallNs: number;
  mainCpuNs: number;
  workerCpuNs: number[];
  tally: { packets: number; allow: number; deny: number };
}

const self = fileURLToPath(import.meta.url);

async function start(jobs: Job[]): Promise<Worker[]> {
  const ws = jobs.map((j) => new Worker(self, { workerData: j }));
  await Promise.all(ws.map((w) => new Promise<void>((res, rej) => {
    w.once('message', () => res());
    w.once('error', rej);
  })));
  return ws;
}

function results(ws: Worker[]): Promise<WorkerResult[]> {
  return Promise.all(ws.map((w) => new Promise<WorkerResult>((res, rej) => {
    w.once('message', (m: WorkerResult) => res(m));
    w.once('error', rej);
  })));
}

async function runLane(ctx: ReturnType<typeof load>, lanes: number): Promise<RunResult> {
  const ws = await start(Array.from({ length: lanes }, (_, lane) => ({ mode: 'lane' as const, lanes, lane, file: ctx.file, topologyPath: ctx.topologyPath, cap: 0, ring: 0 })));
  const done = results(ws);
  const t0 = performance.now();
  ws.forEach((w) => w.postMessage('go'));
  const rs = await done;
  const wallNs = (performance.now() - t0) * 1e6;
  await Promise.all(ws.map((w) => w.terminate()));
  return summarise(rs, wallNs, 0);
}

async function runShared(ctx: ReturnType<typeof load>, lanes: number, CAP: number, RING: number, claimed = false): Promise<RunResult> {
  const arena = createSharedArena(256);
  const producer = new WasmEngine(ctx.topology, ctx.compiled, { shared: arena, batchCapacity: CAP });
  const inst = producer.inst;
  const slots: Slot[] = Array.from({ length: RING }, () => ({
    recs: inst.alloc(CAP * REC.SIZE, 64),
    lists: inst.alloc(lanes * CAP * 4, 64),
    counts: inst.alloc(lanes * 4, 64),
    out: inst.alloc(CAP * DECISION.SIZE, 64),
  }));
  const ctl = inst.alloc(64 * 4, 64);
  const laneOf = inst.alloc(32, 16);
  for (let s = 0; s < 32; s++) inst.u8()[laneOf + s] = s % lanes;
  const c = new Int32Array(arena.memory.buffer, ctl, 64);
  Atomics.store(c, C_TOTAL, -1);
  const ws = await start(Array.from({ length: lanes }, (_, lane) => ({ mode: 'shared' as const, claimed, lanes, lane, file: ctx.file, topologyPath: ctx.topologyPath, arena, ctl, slots, cap: CAP, ring: RING })));
  const done = results(ws);
  const e = inst.exports;
  const d = producer.decoder;
  ws.forEach((w) => w.postMessage('go'));
  const t0 = performance.now();
  const c0 = threadCpuNs();
  const stream = new WasmCaptureStream(producer, ctx.file);
  let seq = 0;
  for (const { batch, interfaces } of stream.batches()) {
    const s = slots[seq % RING]!;
    // The slot is free once every lane judged the batch RING before.
    for (let l = 0; l < lanes; l++) {
      let v: number;
      while ((v = Atomics.load(c, C_DONE + l)) < seq - RING + 1) Atomics.wait(c, C_DONE + l, v);
    }
    d.useInterfaces(interfaces);
    e.decodeBatch(d.windowPtr, d.descPtr, batch.count, d.ifacePtr, s.recs);
    if (claimed) Atomics.store(new Uint32Array(arena.memory.buffer), s.counts >>> 2, batch.count);
    else e.engineSplit(s.recs, batch.count, producer.shards, laneOf, lanes, s.lists, CAP, s.counts);
    Atomics.store(c, C_PUBLISHED, ++seq);
    Atomics.notify(c, C_PUBLISHED);
  }
  const mainCpuNs = threadCpuNs() - c0;
  Atomics.store(c, C_TOTAL, seq);
  Atomics.store(c, C_PUBLISHED, seq + 1);
  Atomics.notify(c, C_PUBLISHED);
  const rs = await done;
  const wallNs = (performance.now() - t0) * 1e6;
  await Promise.all(ws.map((w) => w.terminate()));
  return summarise(rs, wallNs, mainCpuNs);
}

function summarise(rs: WorkerResult[], wallNs: number, mainCpuNs: number): RunResult {
  const tally = rs.reduce((a, r) => ({ packets: a.packets + r.packets, allow: a.allow + r.allow, deny: a.deny + r.deny }), { packets: 0, allow: 0, deny: 0 });
  return { packets: tally.packets, wallNs, mainCpuNs, workerCpuNs: rs.map((r) => r.cpuNs), tally };
}

export interface SharedModeResult {
  mode: string;
  packets: number;
  /** Per round: the loop's wall time (ms) and per thread CPU time (ns per packet: the calling thread, then each worker). */
  wallMs: number[];
  mainCpuNs: number[];
  workerCpuNs: number[][];
}

/**
 * Run the modes alternately, one warm-up round then `rounds` measured;
 * throws when a run's tally (packets, allows, denies) differs from the first run's.
 */
export async function measureShared(opts: { file: string; topologyPath: string; rounds: number; modes?: string[]; batch?: number; ring?: number }): Promise<SharedModeResult[]> {
  const modes = opts.modes ?? ['lane1', 'lane2', 'shared1', 'shared2'];
  const ctx = load(opts.file, opts.topologyPath);
  const rows = new Map<string, RunResult[]>(modes.map((m) => [m, []]));
  let want: RunResult['tally'] | undefined;
  for (let r = -1; r < opts.rounds; r++) {
    for (const m of modes) {
      const lanes = Number(m.replace(/\D+/g, ''));
      if (!/^(lane|shared|claimed)\d+$/.test(m) || !(lanes >= 1 && lanes <= 16)) throw new Error(`unknown mode ${m}`);
      const res = m.startsWith('lane') ? await runLane(ctx, lanes) : await runShared(ctx, lanes, opts.batch ?? SHARED_BATCH, opts.ring ?? SHARED_RING, m.startsWith('claimed'));
      want ??= res.tally;
      if (JSON.stringify(res.tally) !== JSON.stringify(want)) throw new Error(`${m}: tally ${JSON.stringify(res.tally)}, expected ${JSON.stringify(want)}`);
      if (r >= 0) rows.get(m)!.push(res);
    }
  }
  return [...rows].map(([mode, rs]) => ({
    mode,
    packets: rs[0]!.packets,
    wallMs: rs.map((x) => x.wallNs / 1e6),
    mainCpuNs: rs.map((x) => x.mainCpuNs / x.packets),
    workerCpuNs: rs.map((x) => x.workerCpuNs.map((c) => c / x.packets)),
  }));
}

/** One line per mode: medians, ns per packet. */
export function formatShared(rows: SharedModeResult[]): string {
  return rows
    .map((r) => {
      const wall = median(r.wallMs) * 1e6 / r.packets;
      const mainCpu = median(r.mainCpuNs);
      const lanes = r.workerCpuNs[0]!.length;
      const wcpu = Array.from({ length: lanes }, (_, l) => median(r.workerCpuNs.map((x) => x[l]!)));
      const total = mainCpu + wcpu.reduce((a, b) => a + b, 0);
      return `${r.mode.padEnd(8)} wall ${wall.toFixed(1).padStart(6)} ns/packet (${(1e3 / wall).toFixed(2)} M/s)  calling thread cpu ${mainCpu.toFixed(1).padStart(5)}  workers cpu ${wcpu.map((x) => x.toFixed(1)).join(' / ')}  all threads ${total.toFixed(1)}`;
    })
    .join('\n');
}

async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const o = parseBenchArgs<{ dir?: string; rounds: number; batch: number; ring: number; modes: string[] }>(
    benchProgram('shared-proto', "issue 11's two-worker design (one shared memory, decoded once) against today's split, modes alternated round by round")
      .option('--dir <dir>', "a generated set's directory (trace.pcap, topology.json); default the replay bench's 1M-packet capture")
      .option('--rounds <n>', 'measured rounds after a warm-up', intOption(1), 5)
      .option('--batch <n>', 'packets per slot', intOption(1), SHARED_BATCH)
      .option('--ring <n>', 'slots in the ring', intOption(1), SHARED_RING)
      .option('--modes <list>', 'laneN (today\'s split on N workers), sharedN (N workers on one shared memory, lists made by the calling thread) and claimedN (the workers pick their own records)', listOption(), ['lane1', 'lane2', 'shared1', 'shared2']),
    argv
  );
  const set = o.dir !== undefined ? { capturePath: join(o.dir, 'trace.pcap'), topologyPath: join(o.dir, 'topology.json') } : ensureGenerated((await import('./main.js')).replaySpec(1_000_000));
  const rows = await measureShared({ file: set.capturePath, topologyPath: set.topologyPath, rounds: o.rounds, modes: o.modes, batch: o.batch, ring: o.ring });
  const psi = readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0];
  console.log(`batch ${o.batch}, ring ${o.ring}; ${rows[0]!.packets} packets, ${o.rounds} rounds (after a warm-up), medians; cpu pressure now: ${psi}`);
  console.log(formatShared(rows));
}

const invoked = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (!isMainThread) workerMain(workerData as Job);
else if (invoked) runBenchScript(() => main());
