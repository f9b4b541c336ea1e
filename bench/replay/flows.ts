/**
 * Flow-count scaling of the replay engine: generated captures whose flows
 * are long (10,000 packets each on average) and all start within the first
 * milliseconds (flow starts 1 ns apart on average), so that every flow is in
 * the conntrack table at once and the capture, cut at `packets`, is far
 * shorter than any timeout (no port scans: a scan's every port is a flow).
 * From 1,000 to 1,000,000 flows; each capture has max(packets, 4 × flows)
 * packets, so at most a quarter of a capture's packets open a flow (at
 * 1,000,000 flows; 0.05% at 1,000, 0.5% at 10,000, 5% at 100,000): the
 * largest point also pays for classifying and creating its flows. The WASM engine
 * replays each with 1 worker, the points round-robin (one warm-up round);
 * the figures are ns per packet of the judging loop, end-to-end, and the
 * process's CPU time (every thread) over the call, medians of `repeat` runs.
 * Goal (issue: flat cost): every point within 1.5x of the cheapest (reported
 * as costliest / cheapest, on the loop and on CPU time; and the largest
 * point over the smallest).
 *
 * The native C baseline (bench/native/replay.c, when a C compiler is present)
 * runs on every point's capture too, capture in memory, its conntrack table
 * sized for the point's peak entries (at most half full), `repeat` counted
 * passes after one warm-up: its ns per packet and its own costliest /
 * cheapest, beside sgfilter's loop — how much of the growth a plain C hash
 * table of that many flows shows on this machine too.
 *
 *   node dist/bench/replay/main.js --flows [--flows-packets N] [--repeat K]
 */
import { ensureGeneratedWithHeap } from './gen-child.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { endIdleReplayWorkers, replay } from '../../src/replay/replay.js';
import { compileTopology } from '../../src/compile/compile.js';
import { BenchError } from '../harness/errors.js';
import { median } from '../stats.js';
import { DEFAULT_CONNTRACK_CAPACITY } from '../../src/model/shard.js';
import { defaultCacheDir } from '../../src/gen/index.js';
import { buildNative, runNative, writeNativeRules } from '../harness/native.js';

/** Flow counts of the scaling points. */
export const FLOW_POINTS = [1_000, 10_000, 100_000, 1_000_000] as const;

/**
 * The conntrack capacity (per interface) a point is replayed with: room for
 * every flow's entry on one interface, twice over, and never below the
 * default. With the default alone the 1,000,000-flow point filled some
 * interface shards (93,826 packets judged conntrack-full), so it measured
 * refusals instead of a table of a million flows.
 */
export function flowsCapacity(flows: number): number {
  return Math.max(DEFAULT_CONNTRACK_CAPACITY, 2 * flows);
}

/** The capture of one scaling point: `flows` interleaved long flows, cut at max(packets, 4 × flows) packets (the replay bench's topology). */
export function flowsSpec(flows: number, packets: number) {
  return {
    topology: { seed: 42, cloud: 'aliyun-basic' as const, interfaces: 12, rulesPerGroup: 20 },
    traffic: { seed: 44, packets: Math.max(packets, 4 * flows), flows, packetsPerFlow: 10_000, flowGapUs: 0.001, deniedShare: 0.05, scanShare: 0, idleShare: 0, payloadMax: 64 },
    format: 'pcap' as const,
  };
}

export interface FlowsPoint {
  flows: number;
  packets: number;
  /** Conntrack entries at their peak, summed over the interfaces (each flow has one per managed endpoint). */
  conntrackPeak: number;
  /** The per-interface conntrack capacity it was replayed with (flowsCapacity). */
  conntrackCapacity: number;
  /** Median ns per packet: the judging loop, and the whole replay() call. */
  loopNsPerPacket: number;
  e2eNsPerPacket: number;
  /** Median CPU time of the whole process (every thread, user + system) per packet over the replay() call: leaves out waits for a CPU other processes held. */
  cpuNsPerPacket: number;
  loopSamples: number[];
  e2eSamples: number[];
  cpuSamples: number[];
  /** The native C baseline on the same capture (capture in memory): median ns per packet of its counted passes, absent without a compiler. */
  nativeNsPerPacket?: number;
  nativeSamples?: number[];
}

export interface FlowsReport {
  points: FlowsPoint[];
  /** Largest point's loop ns/packet over the smallest's. */
  spread: number;
  /** The costliest point's loop ns/packet over the cheapest's (the goal: ≤ 1.5 across the range). */
  spreadMaxMin: number;
  /** The same on CPU time per packet. */
  cpuSpreadMaxMin: number;
  /** The native C baseline's costliest / cheapest point, or why it did not run. */
  native: { spreadMaxMin: number; compiler: string } | { skipped: string };
}

export interface FlowsOptions {
  packets?: number;
  repeat?: number;
  flows?: readonly number[];
  cacheDir?: string;
  log?: (s: string) => void;
  onPoint?: (flows: number) => void;
}

export async function runFlowsScaling(opts: FlowsOptions = {}): Promise<FlowsReport> {
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const packets = opts.packets ?? 2_000_000;
  const repeat = opts.repeat ?? 3;
  const gen = opts.cacheDir ? { cacheDir: opts.cacheDir } : {};
  const setups = (opts.flows ?? FLOW_POINTS).map((flows) => {
    opts.onPoint?.(flows);
    const spec = flowsSpec(flows, packets);
    log(`  flows scaling: generating (or reusing) ${spec.traffic.packets} packets over ${flows} flows`);
    const set = ensureGeneratedWithHeap(spec, flows, gen);
    const topology = loadTopologyFile(set.topologyPath).topology;
    return { flows, set, topology, compiled: compileTopology(topology), capacity: flowsCapacity(flows), loops: [] as number[], e2e: [] as number[], cpu: [] as number[], n: 0, peak: 0 };
  });
  // Round-robin: each round replays every point once (round 0 unmeasured: the
  // warm-up), the order rotated every round, so that a swing of the machine's
  // load falls on all points alike rather than on whichever ran last.
  for (let i = 0; i <= repeat; i++) {
    for (let k = 0; k < setups.length; k++) {
      const p = setups[(k + i) % setups.length]!;
      await endIdleReplayWorkers(); // a cold replay(): fresh threads, not the lanes the last call kept
      const cpu0 = process.cpuUsage();
      const r = await replay(p.topology, p.set.capturePath, { engine: 'wasm', workers: 1, compiled: p.compiled, conntrackCapacity: p.capacity });
      const cpu = process.cpuUsage(cpu0);
      if (r.error) throw new BenchError('SGF_BENCH_REPLAY', `${p.set.capturePath}: ${r.error.message}`);
      // A point whose table filled up times refusals, not lookups in a table of that many flows.
      if (r.conntrack.full > 0) throw new BenchError('SGF_BENCH_REPLAY', `${p.set.capturePath}: ${r.conntrack.full} packets judged conntrack-full at capacity ${p.capacity} per interface: the point would not measure ${p.flows} flows in the table`);
      if (i === 0) continue; // warm-up
      p.n = r.packets;
      p.peak = Object.values(r.conntrack.peak).reduce((a, b) => a + b, 0);
      p.loops.push(((r.loopSeconds ?? r.seconds) * 1e9) / p.n);
      p.e2e.push((r.seconds * 1e9) / p.n);
      p.cpu.push(((cpu.user + cpu.system) * 1e3) / p.n);
      log(`  flows scaling: ${p.flows} flows, run ${i}/${repeat}: ${p.loops.at(-1)!.toFixed(0)} ns/packet loop, ${p.e2e.at(-1)!.toFixed(0)} end-to-end, ${p.cpu.at(-1)!.toFixed(0)} CPU`);
    }
  }
  // The native C baseline on every point's capture, its table sized for the point's entries.
  const build = buildNative(opts.cacheDir ?? defaultCacheDir());
  const native = new Map<number, number[]>();
  if (build.binary) {
    for (const p of setups) {
      const rules = writeNativeRules(p.topology, opts.cacheDir ?? defaultCacheDir(), `flows-${p.flows}`);
      const capacity = 2 * Math.max(p.peak, 1024);
      const r = runNative(build.binary, rules, p.set.capturePath, 'mem', repeat, 1, 1, 'lane', capacity);
      if (r.full > 0) throw new BenchError('SGF_BENCH_REPLAY', `${p.set.capturePath}: the native baseline's table (${capacity} entries) refused ${r.full} flows`);
      if (r.packets !== p.n) throw new BenchError('SGF_BENCH_REPLAY', `${p.set.capturePath}: the native baseline read ${r.packets} packets, sgfilter ${p.n}`);
      native.set(p.flows, r.passes.map((sec) => (sec * 1e9) / r.packets));
      log(`  flows scaling: ${p.flows} flows, native C: ${median(native.get(p.flows)!).toFixed(0)} ns/packet`);
    }
  }
  const points: FlowsPoint[] = setups.map((p) => ({
    flows: p.flows,
    packets: p.n,
    conntrackPeak: p.peak,
    conntrackCapacity: p.capacity,
    loopNsPerPacket: median(p.loops),
    e2eNsPerPacket: median(p.e2e),
    cpuNsPerPacket: median(p.cpu),
    loopSamples: p.loops,
    e2eSamples: p.e2e,
    cpuSamples: p.cpu,
    ...(native.has(p.flows) ? { nativeNsPerPacket: median(native.get(p.flows)!), nativeSamples: native.get(p.flows)! } : {}),
  }));
  const first = points[0]!;
  const last = points.at(-1)!;
  const loops = points.map((p) => p.loopNsPerPacket);
  const cpus = points.map((p) => p.cpuNsPerPacket);
  return {
    points,
    spread: last.loopNsPerPacket / first.loopNsPerPacket,
    spreadMaxMin: Math.max(...loops) / Math.min(...loops),
    cpuSpreadMaxMin: Math.max(...cpus) / Math.min(...cpus),
    native: build.binary
      ? { spreadMaxMin: Math.max(...points.map((p) => p.nativeNsPerPacket!)) / Math.min(...points.map((p) => p.nativeNsPerPacket!)), compiler: build.compiler! }
      : { skipped: build.why ?? 'not built' },
  };
}

export function formatFlowsReport(r: FlowsReport): string {
  const lines = ['flows scaling (WASM, 1 worker; ns per packet, medians; points run round-robin)', '  flows        packets   conntrack peak   loop ns/pkt   e2e ns/pkt   CPU ns/pkt   loop Mpps   native C ns/pkt'];
  for (const p of r.points) {
    lines.push(
      `  ${p.flows.toLocaleString('en-US').padEnd(10)} ${p.packets.toLocaleString('en-US').padStart(10)} ${p.conntrackPeak.toLocaleString('en-US').padStart(16)} ${p.loopNsPerPacket.toFixed(0).padStart(13)} ${p.e2eNsPerPacket.toFixed(0).padStart(12)} ${p.cpuNsPerPacket.toFixed(0).padStart(12)} ${(1e3 / p.loopNsPerPacket).toFixed(2).padStart(11)} ${(p.nativeNsPerPacket !== undefined ? p.nativeNsPerPacket.toFixed(0) : '-').padStart(17)}`,
    );
  }
  lines.push(`  largest / smallest flows (loop): ${r.spread.toFixed(2)}x; costliest / cheapest point: ${r.spreadMaxMin.toFixed(2)}x loop, ${r.cpuSpreadMaxMin.toFixed(2)}x CPU (goal ≤ 1.5x)`);
  lines.push('spreadMaxMin' in r.native
    ? `  native C baseline (${r.native.compiler}, capture in memory, same captures): costliest / cheapest point ${r.native.spreadMaxMin.toFixed(2)}x`
    : `  native C baseline: skipped (${r.native.skipped})`);
  return lines.join('\n');
}
