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
 * replays each with 1 worker; the figure is ns per packet of the judging loop
 * (and end-to-end), medians of `repeat` runs. Goal (issue: flat cost): the
 * largest point within 1.5x of the smallest.
 *
 *   node dist/bench/replay/main.js --flows [--flows-packets N] [--repeat K]
 */
import { ensureGenerated } from '../../src/gen/index.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { replay } from '../../src/replay/replay.js';
import { compileTopology } from '../../src/compile/compile.js';
import { BenchError } from '../harness/errors.js';
import { median } from '../stats.js';

/** Flow counts of the scaling points. */
export const FLOW_POINTS = [1_000, 10_000, 100_000, 1_000_000] as const;

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
  /** Median ns per packet: the judging loop, and the whole replay() call. */
  loopNsPerPacket: number;
  e2eNsPerPacket: number;
  loopSamples: number[];
  e2eSamples: number[];
}

export interface FlowsReport {
  points: FlowsPoint[];
  /** Largest point's loop ns/packet over the smallest's (goal ≤ 1.5). */
  spread: number;
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
  const points: FlowsPoint[] = [];
  for (const flows of opts.flows ?? FLOW_POINTS) {
    opts.onPoint?.(flows);
    const spec = flowsSpec(flows, packets);
    log(`  flows scaling: generating (or reusing) ${spec.traffic.packets} packets over ${flows} flows`);
    const set = ensureGenerated(spec, gen);
    const topology = loadTopologyFile(set.topologyPath).topology;
    const compiled = compileTopology(topology);
    const loops: number[] = [];
    const e2e: number[] = [];
    let n = 0;
    let peak = 0;
    for (let i = 0; i <= repeat; i++) {
      const r = await replay(topology, set.capturePath, { engine: 'wasm', workers: 1, compiled });
      if (r.error) throw new BenchError('SGF_BENCH_REPLAY', `${set.capturePath}: ${r.error.message}`);
      if (i === 0) continue; // warm-up
      n = r.packets;
      peak = Object.values(r.conntrack.peak).reduce((a, b) => a + b, 0);
      loops.push(((r.loopSeconds ?? r.seconds) * 1e9) / n);
      e2e.push((r.seconds * 1e9) / n);
      log(`  flows scaling: ${flows} flows, run ${i}/${repeat}: ${loops.at(-1)!.toFixed(0)} ns/packet loop, ${e2e.at(-1)!.toFixed(0)} end-to-end`);
    }
    points.push({ flows, packets: n, conntrackPeak: peak, loopNsPerPacket: median(loops), e2eNsPerPacket: median(e2e), loopSamples: loops, e2eSamples: e2e });
  }
  const first = points[0]!;
  const last = points.at(-1)!;
  return { points, spread: last.loopNsPerPacket / first.loopNsPerPacket };
}

export function formatFlowsReport(r: FlowsReport): string {
  const lines = ['flows scaling (WASM, 1 worker; ns per packet, medians)', '  flows        packets   conntrack peak   loop ns/pkt   e2e ns/pkt   loop Mpps'];
  for (const p of r.points) {
    lines.push(
      `  ${p.flows.toLocaleString('en-US').padEnd(10)} ${p.packets.toLocaleString('en-US').padStart(10)} ${p.conntrackPeak.toLocaleString('en-US').padStart(16)} ${p.loopNsPerPacket.toFixed(0).padStart(13)} ${p.e2eNsPerPacket.toFixed(0).padStart(12)} ${(1e3 / p.loopNsPerPacket).toFixed(2).padStart(11)}`,
    );
  }
  lines.push(`  largest / smallest (loop): ${r.spread.toFixed(2)}x (goal ≤ 1.5x)`);
  return lines.join('\n');
}
