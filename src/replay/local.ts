/**
 * In-thread replays of a capture held in memory, one per engine: the
 * reference (TypeScript reader + decoder + ReferenceEngine) and the WASM
 * engine. They yield one decision per packet in capture order; the
 * differential tests compare the two streams, and the library uses them for
 * small captures.
 */
import type { Decision } from '../model/decision.js';
import type { Topology } from '../model/topology.js';
import { decodeFrame } from '../pcap/decode.js';
import { CaptureReader, frameTime } from '../pcap/reader.js';
import { ReferenceEngine, type EngineOptions } from '../reference/engine.js';
import { decodeDecision } from './decision-record.js';
import { WasmEngine } from './wasm-engine.js';

export interface JudgedPacket {
  n: number;
  tsText: string;
  decision: Decision;
}

/** The reference engine over a capture buffer. Throws the capture's PcapError after the last good packet. */
export function* replayReference(topology: Topology, bytes: Uint8Array, options: EngineOptions & { file?: string } = {}): Generator<JudgedPacket> {
  const engine = new ReferenceEngine(topology, options);
  const reader = new CaptureReader(bytes, options.file !== undefined ? { file: options.file } : {});
  for (const frame of reader) {
    const { ts, tsText } = frameTime(reader.interfaces, frame.ifaceIndex, frame.tsA, frame.tsB);
    const p = decodeFrame(frame.linktype, frame.data, ts, tsText);
    yield { n: frame.n, tsText, decision: engine.judge(p) };
  }
}

/** The WASM engine (all shards in this thread) over a capture buffer. */
export function* replayWasm(engine: WasmEngine, bytes: Uint8Array, options: { file?: string } = {}): Generator<JudgedPacket> {
  engine.newCapture();
  const reader = new CaptureReader(bytes, { ...(options.file !== undefined ? { file: options.file } : {}), batchSize: engine.capacity });
  for (const { buf, batch, interfaces } of reader.batches()) {
    engine.runBatch(buf, batch, interfaces, engine.allShards);
    const dv = engine.decisionView(batch.count);
    for (let i = 0; i < batch.count; i++) {
      const { tsText } = frameTime(interfaces, batch.iface(i), batch.tsA(i), batch.tsB(i));
      yield { n: batch.firstN + i, tsText, decision: decodeDecision(dv, i, engine.compiled, engine.topology)! };
    }
  }
}
