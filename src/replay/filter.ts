/**
 * The library's hot-path filter: build once from a topology, then judge
 * packets — one frame's bytes, or every frame of a capture held in memory —
 * with the conntrack state kept by the filter between calls. Runs the WASM
 * engine in the calling thread (all shards); for files and worker threads use
 * `replay()`.
 */
import { compileTopology } from '../compile/compile.js';
import type { Decision } from '../model/decision.js';
import { checkEngineOptions, timestampNs } from '../model/shard.js';
import type { Topology } from '../model/topology.js';
import { LINKTYPE, TS_KIND } from '../pcap/format.js';
import { CaptureReader, frameTime } from '../pcap/reader.js';
import { DESC, FrameBatch, type CaptureInterface } from '../pcap/scanner.js';
import { DECISION, decodeDecision } from './decision-record.js';
import { WasmEngine, type WasmEngineOptions } from './wasm-engine.js';

export type FilterOptions = Pick<WasmEngineOptions, 'conntrackCapacity' | 'shards' | 'batchCapacity'>;

export interface JudgedFrame {
  /** 1-based packet number in the capture. */
  n: number;
  /** Timestamp text with the capture's precision. */
  ts: string;
  decision: Decision;
}

/** Linktypes by name for `judgeFrame` (numbers work too): the one table, pcap/format.ts. */
export { LINKTYPE };

export class Filter {
  private readonly engine: WasmEngine;
  private readonly single: FrameBatch;
  private readonly singleIfaces = new Map<number, CaptureInterface[]>();

  constructor(readonly topology: Topology, options: FilterOptions = {}) {
    checkEngineOptions(options);
    this.engine = new WasmEngine(topology, compileTopology(topology), options);
    this.single = new FrameBatch(1);
  }

  /**
   * Judge one frame (an Ethernet frame by default) captured at `tsNs`
   * (nanoseconds since the epoch; conntrack ages by it): a bigint, or an
   * integer number of nanoseconds (exact up to 2^53; pass a bigint for
   * present-day times to the nanosecond). Any signed 64-bit value is kept
   * exactly (never wrapped); anything else is an EngineOptionError
   * (SGF_ENGINE_BAD_TIMESTAMP).
   */
  judgeFrame(frame: Uint8Array, tsNs: bigint | number, linktype: number = LINKTYPE.ETHERNET): Decision {
    const ts = BigInt.asUintN(64, timestampNs(tsNs));
    let ifaces = this.singleIfaces.get(linktype);
    if (!ifaces) {
      // A 64-bit count of nanoseconds (pcapng if_tsresol 9): the whole i64 range, exactly.
      ifaces = [{ index: 0, id: 0, section: 0, linktype, snaplen: 0, clock: { kind: TS_KIND.DEC, exp: 9, offset: 0n } }];
      this.singleIfaces.set(linktype, ifaces);
    }
    const b = this.single;
    b.count = 1;
    b.firstN = 1;
    const d = b.desc;
    d[DESC.DATA_OFF] = 0;
    d[DESC.CAPLEN] = frame.byteLength;
    d[DESC.LEN] = frame.byteLength;
    d[DESC.IFACE] = 0;
    d[DESC.TS_A] = Number(ts >> 32n);
    d[DESC.TS_B] = Number(ts & 0xffffffffn);
    this.engine.newCapture();
    this.engine.runBatch(frame, b, ifaces, this.engine.allShards);
    return decodeDecision(this.engine.decisionView(1), 0, this.engine.compiled, this.topology)!;
  }

  /**
   * Judge every frame of a pcap/pcapng capture held in memory, in order.
   * Throws the capture's PcapError after yielding the packets before the damage.
   */
  *judgeCapture(capture: Uint8Array): Generator<JudgedFrame> {
    this.engine.newCapture();
    const reader = new CaptureReader(capture, { batchSize: this.engine.capacity });
    for (const { buf, batch, interfaces } of reader.batches()) {
      this.engine.runBatch(buf, batch, interfaces, this.engine.allShards);
      const dv = this.engine.decisionView(batch.count);
      for (let i = 0; i < batch.count; i++) {
        yield {
          n: batch.firstN + i,
          ts: frameTime(interfaces, batch.iface(i), batch.tsA(i), batch.tsB(i)).tsText,
          decision: decodeDecision(dv, i, this.engine.compiled, this.topology)!,
        };
      }
    }
  }

  /**
   * The hot path for a capture in memory: only verdicts, one byte per packet
   * (1 allow, 0 deny), no object per packet. Throws the capture's PcapError
   * after judging the packets before the damage.
   */
  verdicts(capture: Uint8Array): Uint8Array {
    this.engine.newCapture();
    const reader = new CaptureReader(capture, { batchSize: this.engine.capacity });
    let out = new Uint8Array(1024);
    let n = 0;
    for (const { buf, batch, interfaces } of reader.batches()) {
      this.engine.runBatch(buf, batch, interfaces, this.engine.allShards);
      if (n + batch.count > out.length) {
        const bigger = new Uint8Array(Math.max(out.length * 2, n + batch.count));
        bigger.set(out.subarray(0, n));
        out = bigger;
      }
      const u8 = new Uint8Array(this.engine.inst.memory.buffer, this.engine.decisionView(batch.count).byteOffset, batch.count * DECISION.SIZE);
      for (let i = 0; i < batch.count; i++) out[n + i] = u8[i * DECISION.SIZE + DECISION.VERDICT]!;
      n += batch.count;
    }
    return out.subarray(0, n);
  }

  /** Conntrack drops and peaks so far. */
  stats(): { conntrackFull: number; fragmentsNotRemembered: number; conntrackPeak: Record<string, number> } {
    const c = this.engine.counters();
    return { conntrackFull: c.conntrackFull, fragmentsNotRemembered: c.fragmentsNotRemembered, conntrackPeak: this.engine.conntrackPeak() };
  }
}

/** Build a filter once; judge packets many times. */
export function createFilter(topology: Topology, options: FilterOptions = {}): Filter {
  return new Filter(topology, options);
}
