/**
 * Capture read+decode throughput: the TS reference decoder, the WASM decoder
 * (JS scanner writing descriptors into WASM memory + assembly/decode.ts), the
 * WASM decoder alone on prepared descriptors, and pcap-parser's reading for
 * comparison — all on one generated capture of small packets held in memory.
 *
 *   node dist/bench/pcap/decode.js [--packets N] [--time MS] [--json]
 *
 * Prints packets/s and MB/s (capture bytes per second) from tinybench medians
 * after warm-up; --json also writes bench/results/pcap-decode.json.
 * `npm run bench` calls runPcapDecodeBench (bench/harness/decode.ts).
 */
import { Bench } from 'tinybench';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { PcapWriter } from '../../src/pcap/writer.js';
import { ethIp, icmp, ipv4, ipv6, tcp, udp } from '../../src/pcap/build.js';
import { CaptureReader, frameTime } from '../../src/pcap/reader.js';
import { decodeFrame } from '../../src/pcap/decode.js';
import { WasmDecoder } from '../../src/pcap/wasm.js';
import { REC } from '../../src/pcap/record-layout.js';
import { benchProgram, intOption, parseBenchArgs, runBenchScript } from '../cli.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

/** A capture of `n` small packets: 70% IPv4 TCP, 20% IPv4 UDP, 7% IPv6 TCP, 3% ICMP echo; 54-78 byte frames. */
export function smallPacketCapture(n: number): Uint8Array {
  const templates = [
    ...Array.from({ length: 70 }, (_, i) => ethIp(ipv4({ src: 0x0a000000n + BigInt(i), dst: 0x0a010000n + BigInt(i * 7), proto: 6 }, tcp({ sport: 1024 + i, dport: 443, flags: 0x10 })))),
    ...Array.from({ length: 20 }, (_, i) => ethIp(ipv4({ src: 0xc0a80000n + BigInt(i), dst: 0x08080808n, proto: 17 }, udp({ sport: 30000 + i, dport: 53 }, new Uint8Array(12))))),
    ...Array.from({ length: 7 }, (_, i) => ethIp(ipv6({ src: 0x20010db8n << 96n | BigInt(i), dst: 0x20010db8n << 96n | 0xffn, next: 6 }, tcp({ sport: 2000 + i, dport: 80, flags: 0x18 })))),
    ...Array.from({ length: 3 }, (_, i) => ethIp(ipv4({ src: 0x0a000001n, dst: 0x0a000002n + BigInt(i), proto: 1 }, icmp({ type: 8, id: i, seq: 1 }, new Uint8Array(8))))),
  ];
  const w = new PcapWriter({ nanos: false });
  for (let i = 0; i < n; i++) w.addParts(1_700_000_000 + (i >>> 10), (i & 1023) * 1000, templates[(i * 37) % templates.length]!);
  return w.finish();
}

export interface PcapBenchResult {
  name: string;
  packetsPerSec: number;
  mbPerSec: number;
  medianMs: number;
  samples: number;
  /** Packets handled per sample (the throughput's numerator). */
  work: number;
  /** Every latency sample in ms (sorted; tinybench retains them). */
  samplesMs: number[];
}

export interface PcapBenchReport {
  packets: number;
  bytes: number;
  node: string;
  results: PcapBenchResult[];
  wasmOverTs: number;
}

export async function runPcapDecodeBench(opts: { packets?: number; timeMs?: number; warmupMs?: number; iterations?: number } = {}): Promise<PcapBenchReport> {
  const n = opts.packets ?? 1_000_000;
  const bytes = smallPacketCapture(n);
  const dec = new WasmDecoder(undefined, 4096);
  const framesPtr = dec.inst.copyIn(bytes, 64); // the capture, in WASM memory once (from memory)
  let sink = 0;

  // Prepared descriptors for the decoder-alone run: the first 4096 packets, decoded repeatedly.
  const pre = new CaptureReader(bytes);
  const prepared = dec.preparedBatch([{ index: 0, id: 0, section: 0, linktype: 1, snaplen: 0, clock: { kind: 0, exp: 6, offset: 0n } }]);
  const firstBatch = pre.batches().next().value!.batch;
  prepared.desc.set(firstBatch.desc.subarray(0, firstBatch.count * 6));
  const preparedCount = firstBatch.count;
  const preparedBytes = firstBatch.dataOff(preparedCount - 1) + firstBatch.caplen(preparedCount - 1) - firstBatch.dataOff(0);

  const require = createRequire(import.meta.url);
  const pcapParser = require('pcap-parser') as { parse(input: NodeJS.ReadableStream): NodeJS.EventEmitter };

  const bench = new Bench({ time: opts.timeMs ?? 3000, warmupTime: opts.warmupMs ?? 500, warmupIterations: 2, iterations: opts.iterations ?? 3, retainSamples: true });
  bench
    .add('ts: read + decode to PacketRecord', () => {
      const r = new CaptureReader(bytes);
      const ifs = r.interfaces;
      for (const f of r) {
        const t = frameTime(ifs, f.ifaceIndex, f.tsA, f.tsB);
        const rec = decodeFrame(f.linktype, f.data, t.ts, t.tsText);
        sink += rec.sport ?? 0;
      }
    })
    .add('wasm: read + decode to flat records', () => {
      dec.decodeInPlace(framesPtr, bytes.byteLength, (dv, count) => {
        sink += dv.getUint16((count - 1) * REC.SIZE + REC.SPORT, true);
      });
    })
    .add('wasm: decode only (prepared descriptors, x256)', () => {
      for (let k = 0; k < 256; k++) dec.decodePrepared(framesPtr, preparedCount);
    })
    .add('pcap-parser: read only', async () => {
      await new Promise<void>((resolve) => {
        const p = pcapParser.parse(Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]));
        p.on('packet', (pk: { header: { capturedLength: number } }) => { sink += pk.header.capturedLength; });
        p.on('end', () => resolve());
      });
    });
  await bench.run();

  const results: PcapBenchResult[] = bench.tasks.map((t) => {
    const r = t.result as unknown as { latency?: { p50?: number; samplesCount?: number; samples?: number[] }; period?: number };
    const median = r.latency?.p50 ?? r.period ?? NaN;
    const decodeOnly = t.name.startsWith('wasm: decode only');
    const pk = decodeOnly ? preparedCount * 256 : n;
    const by = decodeOnly ? preparedBytes * 256 : bytes.byteLength;
    const samples = r.latency?.samplesCount ?? 0;
    return { name: t.name, packetsPerSec: pk / (median / 1000), mbPerSec: by / 1e6 / (median / 1000), medianMs: median, samples, work: pk, samplesMs: [...(r.latency?.samples ?? [])] };
  });
  if (sink === 42) console.log(''); // keep the work observable
  const tsR = results.find((r) => r.name.startsWith('ts:'))!;
  const wR = results.find((r) => r.name.startsWith('wasm: read'))!;
  return { packets: n, bytes: bytes.byteLength, node: process.version, results, wasmOverTs: wR.packetsPerSec / tsR.packetsPerSec };
}

export function printReport(rep: PcapBenchReport): void {
  console.log(`capture: ${rep.packets} packets, ${(rep.bytes / 1e6).toFixed(1)} MB (small packets, 54-78 byte frames), node ${rep.node}, one core`);
  for (const r of rep.results) {
    console.log(`  ${r.name.padEnd(48)} ${(r.packetsPerSec / 1e6).toFixed(2).padStart(7)} M packets/s ${r.mbPerSec.toFixed(0).padStart(6)} MB/s  (median ${r.medianMs.toFixed(2)} ms, ${r.samples} samples)`);
  }
  console.log(`  wasm read+decode / ts read+decode: ${rep.wasmOverTs.toFixed(1)}x`);
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<PcapBenchReport> {
  const o = parseBenchArgs<{ packets?: number; time?: number; json?: boolean }>(
    benchProgram('decode-bench', 'capture read+decode throughput: the TS decoder, the WASM decoder and pcap-parser on one generated capture in memory')
      .option('--packets <n>', 'packets in the generated capture', intOption(1))
      .option('--time <ms>', 'measuring time per decoder', intOption(1, 3_600_000))
      .option('--json', 'also write bench/results/pcap-decode.json'),
    argv
  );
  const rep = await runPcapDecodeBench({ ...(o.packets !== undefined ? { packets: o.packets } : {}), ...(o.time !== undefined ? { timeMs: o.time } : {}) });
  printReport(rep);
  if (o.json) {
    const dir = join(root, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const out = join(dir, 'pcap-decode.json');
    writeFileSync(out, JSON.stringify(rep, (k, v: unknown) => (k === 'samplesMs' ? undefined : v), 2) + '\n');
    console.log(`  wrote ${out}`);
  }
  return rep;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runBenchScript(() => main());
