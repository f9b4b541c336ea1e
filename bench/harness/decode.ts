/**
 * Decode micro benchmark (bench/pcap/decode.ts does the work): one generated
 * capture of small packets in memory; the TS decoder, the WASM decoder with
 * the capture scan, the WASM decoder alone on prepared descriptors, and
 * pcap-parser's reading for comparison.
 */
import { runPcapDecodeBench } from '../pcap/decode.js';
import type { DecodeInfo } from '../report/schema.js';
import type { RunContext } from './context.js';
import { throughputFigure } from './stats.js';

const KEYS: [RegExp, string][] = [
  [/^ts:/, 'ts'],
  [/^wasm: read/, 'wasm'],
  [/^wasm: decode only/, 'wasm-decode-only'],
  [/^pcap-parser/, 'pcap-parser'],
];

export async function runDecode(ctx: RunContext): Promise<DecodeInfo> {
  const p = ctx.params.decode;
  ctx.progress.step(`decode: ${p.packets.toLocaleString('en-US')} small packets in memory`);
  const rep = await runPcapDecodeBench({ packets: p.packets, timeMs: p.timeMs, warmupMs: p.warmupMs, iterations: p.iterations });
  for (const r of rep.results) {
    const key = KEYS.find(([re]) => re.test(r.name))?.[1] ?? r.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    ctx.figures.push(throughputFigure({ id: `decode/${key}`, section: 'decode', subject: 'small packets', label: r.name, method: 'tinybench', unit: 'packets/s' }, r.work, r.samplesMs));
  }
  return { packets: rep.packets, bytes: rep.bytes };
}
