/**
 * The WASM replay engine on the host side: one WasmInstance holding the
 * compiled rule table, the interface records, the address map and the
 * per-shard state (assembly/init.ts stateInit and its rooms), plus fixed
 * batch regions: capture bytes (staging), frame descriptors, decoded
 * records, decisions.
 *
 * Memory layout is fixed at construction: every host region is allocated
 * first, then `stateInit` hands the rest of memory to the WASM arena, where
 * the conntrack and fragment tables grow. Nothing is allocated per packet.
 *
 * One engine judges the packets of the shards in `owned` (a bit mask); the
 * replay (replay.ts) runs one engine per worker thread with disjoint masks.
 */
import type { CompiledTable } from '../compile/compile.js';
import { indexTopology, type Topology, type TopologyIndex } from '../model/topology.js';
import { DEFAULT_CONNTRACK_CAPACITY, DEFAULT_SHARDS, EngineOptionError, FRAGMENT_MEMORY_PER_SHARD } from '../model/shard.js';
import { ApiUsageError } from '../model/errors.js';
import { TABLE_ERROR, TableError } from '../compile/format.js';
import { loadTableInto } from '../compile/matcher.js';
import { secondsToNs } from '../model/packet.js';
import type { TIMEOUT_KEYS } from '../model/topology.js';
import { ADDRESS, CLOUD, DECISION, DIR, FLOW_STATE, IF, REC, STATS } from '../wasm/layout.js';
import { MAX_CAPTURE_INTERFACES, type CaptureInterface, type FrameBatch } from '../pcap/scanner.js';
import { WasmInstance, type ReusableMemory, type SgfExports, type SharedArena, type WasmFlavour } from '../wasm/loader.js';
import { WasmDecoder } from '../pcap/wasm.js';
import { decisionIndex, readTally, tallyRegion, type Tally } from './decision-record.js';

type TimeoutKey = (typeof TIMEOUT_KEYS)[number];

/** The cloud code the engine is configured with. */
const CLOUD_CODE = { aliyun: CLOUD.ALIYUN, huawei: CLOUD.HUAWEI, generic: CLOUD.GENERIC } as const;
/** The flow state (IF.TIMEOUTS index) each topology timeout applies to. */
const TIMEOUT_STATE: Record<TimeoutKey, number> = {
  tcpOpening: FLOW_STATE.TCP_OPENING,
  tcpEstablished: FLOW_STATE.TCP_ESTABLISHED,
  tcpClosing: FLOW_STATE.TCP_CLOSING,
  udp: FLOW_STATE.UDP_UNREPLIED,
  udpReplied: FLOW_STATE.UDP_REPLIED,
  icmp: FLOW_STATE.ICMP,
  other: FLOW_STATE.OTHER,
};

export interface WasmEngineOptions {
  conntrackCapacity?: number;
  shards?: number;
  /** Frames per batch (default 8192). */
  batchCapacity?: number;
  /** Staging bytes for capture data (default 4 MiB; grows if a batch needs more). */
  stagingBytes?: number;
  /** Interfaces of a capture the table holds at once (default MAX_CAPTURE_INTERFACES, the scanner's bound). */
  maxCaptureInterfaces?: number;
  flavour?: WasmFlavour;
  /** Build on the memory of an engine no longer used (its `release()`), as on a fresh one: no growth, no page faults (a warm pool). */
  memory?: ReusableMemory;
  /** Build on a shared memory other engines use too (the threads build; docs/replay.md "One shared memory"): its regions from the arena's top cell. */
  shared?: SharedArena;
}

export interface EngineCounters {
  conntrackFull: number;
  fragmentsNotRemembered: number;
  conntrackGrows: number;
}

export class WasmEngine {
  readonly inst: WasmInstance;
  readonly index: TopologyIndex;
  readonly compiled: CompiledTable;
  readonly shards: number;
  readonly capacity: number;
  /** The decoder over this engine's instance: descriptors, records, capture interfaces; its window is the staging region. */
  readonly decoder: WasmDecoder;
  private readonly decPtr: number;
  /** One decision record the tally-only path writes its rare paths into (engineDecodeTally), outside the decisions region. */
  private readonly sparePtr: number;
  private stagingSize: number;
  private readonly tallyPtr: number;
  private readonly tallyHitOffsets: number[];
  private readonly x: Pick<SgfExports, 'engineRun' | 'engineRunOne' | 'engineDecodeRun' | 'engineDecodeTally' | 'engineRunList' | 'engineRunClaimed' | 'arenaAllocate' | 'arenaEnd' | 'statsPtr' | 'ctPeak'>;

  /** `compiled`: the topology's table (compileTopology), compiled once and handed to every engine. */
  constructor(readonly topology: Topology, compiled: CompiledTable, options: WasmEngineOptions = {}) {
    this.index = indexTopology(topology);
    this.shards = options.shards ?? DEFAULT_SHARDS;
    if (!Number.isInteger(this.shards) || this.shards < 1 || this.shards > 32) throw new EngineOptionError('SGF_ENGINE_BAD_OPTION', 'shards', `shards must be 1-32, got ${this.shards}`);
    this.capacity = options.batchCapacity ?? 8192;
    this.compiled = compiled;
    const inst = (this.inst = options.shared ? new WasmInstance('shared', 64, undefined, options.shared) : new WasmInstance(options.flavour ?? 'release', 64, options.memory));
    const e = inst.exports;
    this.x = {
      engineRun: e.engineRun,
      engineRunList: e.engineRunList,
      engineRunClaimed: e.engineRunClaimed,
      arenaEnd: e.arenaEnd,
      engineRunOne: e.engineRunOne,
      engineDecodeRun: e.engineDecodeRun,
      engineDecodeTally: e.engineDecodeTally,
      arenaAllocate: e.arenaAllocate,
      statsPtr: e.statsPtr,
      ctPeak: e.ctPeak,
    };
    const tablePtr = loadTableInto(inst, this.compiled.bytes, 'sgfilter: the compiled table');

    // Rule actions per list position.
    const lists = this.compiled.meta.lists;
    const actionBytes = lists.reduce((n, l) => n + l.rules.length, 0);
    const actionsPtr = inst.alloc(lists.length * 4 + actionBytes + 16, 16);
    {
      const dv = inst.view();
      const u8 = inst.u8();
      const allows = new Map<string, boolean>();
      for (const g of topology.securityGroups) for (const r of g.rules) allows.set(`${g.id}\u0000${r.id}`, r.action === 'allow');
      let off = lists.length * 4;
      lists.forEach((l, li) => {
        dv.setUint32(actionsPtr + li * 4, off, true);
        l.rules.forEach(([gid, rid], pos) => {
          u8[actionsPtr + off + pos] = allows.get(`${gid}\u0000${rid}`) ? 1 : 0;
        });
        off += l.rules.length;
      });
    }

    // Interface records.
    const bindings = this.bindings();
    const ifacePtr = inst.alloc(Math.max(1, topology.interfaces.length) * IF.SIZE, 16);
    const groupNo = new Map(topology.securityGroups.map((g, i) => [g.id, i] as const));
    {
      const dv = inst.view();
      topology.interfaces.forEach((iface, i) => {
        const at = ifacePtr + i * IF.SIZE;
        for (const [k, state] of Object.entries(TIMEOUT_STATE) as [TimeoutKey, number][]) dv.setBigInt64(at + IF.TIMEOUTS + state * 8, secondsToNs(iface.conntrack[k]), true);
        dv.setUint8(at + IF.DEFAULT_IN, this.defaultVerdict(iface.id, 'ingress'));
        dv.setUint8(at + IF.DEFAULT_OUT, this.defaultVerdict(iface.id, 'egress'));
        const accepting = topology.cloud === 'aliyun'
          ? iface.groups.filter((g) => {
            const sg = this.index.groups.get(g)!;
            return sg.type === 'basic' && sg.innerAccessPolicy === 'accept';
          })
          : [];
        if (accepting.length > IF.MAX_ACCEPT) throw new TableError(TABLE_ERROR.FORMAT_LIMIT, `interface ${iface.id}: more than ${IF.MAX_ACCEPT} accepting basic groups`);
        dv.setUint8(at + IF.N_ACCEPT, accepting.length);
        dv.setUint32(at + IF.LIST_IN, bindings[i]![0], true);
        dv.setUint32(at + IF.LIST_OUT, bindings[i]![1], true);
        accepting.forEach((g, k) => dv.setUint16(at + IF.ACCEPT + k * 2, groupNo.get(g)!, true));
      });
    }

    // Batch regions.
    this.decoder = new WasmDecoder(inst, this.capacity, options.maxCaptureInterfaces ?? MAX_CAPTURE_INTERFACES);
    this.decPtr = inst.alloc(this.capacity * DECISION.SIZE, 64);
    this.sparePtr = inst.alloc(DECISION.SIZE, 64);
    this.stagingSize = options.stagingBytes ?? 4 * 1024 * 1024;
    this.decoder.windowPtr = inst.alloc(this.stagingSize, 64);
    const scratch = inst.alloc(64, 64);
    const addrScratch = inst.alloc(16, 16);
    // Tally: counters, then per list its hit counters; and the per-list offsets.
    const { bytes: tallyBytes, hitOffsets } = tallyRegion(topology.interfaces.length, this.compiled);
    this.tallyHitOffsets = hitOffsets;
    this.tallyPtr = inst.alloc(tallyBytes, 16);
    inst.u8().fill(0, this.tallyPtr, this.tallyPtr + tallyBytes);
    const hitsPtr = inst.alloc(Math.max(1, lists.length) * 4, 16);
    this.tallyHitOffsets.forEach((off, li) => inst.view().setUint32(hitsPtr + li * 4, off, true));

    // State: everything above this point belongs to the WASM arena.
    const capacity = options.conntrackCapacity ?? DEFAULT_CONNTRACK_CAPACITY;
    e.stateInit(ifacePtr, topology.interfaces.length, this.shards, Math.ceil(capacity / this.shards), FRAGMENT_MEMORY_PER_SHARD, inst.mark());
    const nAddr = topology.interfaces.reduce((n, i) => n + i.ips.length, 0);
    e.addrMapInit(nAddr);
    topology.interfaces.forEach((iface, i) => {
      for (const ip of iface.ips) {
        writeAddress(inst.view(), addrScratch, ip.value);
        e.addrMapAdd(ip.family, addrScratch, i);
      }
    });
    e.engineConfigure(tablePtr, actionsPtr, CLOUD_CODE[topology.cloud], this.shards, scratch);
    e.engineTally(this.tallyPtr, hitsPtr);
  }

  /**
   * Give up this engine: its memory, for the next engine (`memory` option),
   * with the extent it used — its host regions and its arena, which only
   * grows (arenaEnd() is its top). Do not use this engine afterwards.
   */
  release(): ReusableMemory {
    if (this.inst.shared) throw new ApiUsageError('an engine on a shared memory cannot hand its memory on');
    const used = Math.max(this.inst.mark(), this.x.arenaEnd());
    return { memory: this.inst.memory, used };
  }

  /** The counters the engine kept for the packets it judged (summary.ts Tally). */
  tally(): Tally {
    return readTally(this.inst.view(), this.tallyPtr, this.topology.interfaces.length, this.compiled, this.tallyHitOffsets);
  }

  /** [ingress list, egress list] per interface, from the table's BINDINGS (via meta order). */
  private bindings(): [number, number][] {
    const index = decisionIndex(this.topology, this.compiled);
    return this.topology.interfaces.map((_, i) => [index.listOf(i, DIR.INGRESS) >>> 0, index.listOf(i, DIR.EGRESS) >>> 0]);
  }

  private defaultVerdict(ifaceId: string, dir: 'ingress' | 'egress'): number {
    const t = this.topology;
    const iface = this.index.interfaces.get(ifaceId)!;
    switch (t.cloud) {
      case 'aliyun':
        if (dir === 'ingress') return 0;
        return iface.groups.some((g) => this.index.groups.get(g)!.type === 'advanced') ? 0 : 1;
      case 'huawei':
        return 0;
      case 'generic':
        return t.defaults[dir] === 'allow' ? 1 : 0;
    }
  }

  /** Forget the capture interfaces written so far (a new capture). */
  newCapture(): void {
    this.decoder.newCapture();
  }

  /**
   * Decode and judge one scanner batch whose frames are in `buf` (the
   * reader's window, outside WASM memory): its frames are staged first.
   * Returns the number of packets judged by this engine; the decisions are
   * then readable with `decisionView()` for `batch.count` packets.
   */
  runBatch(buf: Uint8Array, batch: FrameBatch, interfaces: readonly CaptureInterface[], owned: number): number {
    const n = batch.count;
    if (n === 0) return 0;
    if (n > this.capacity) throw new ApiUsageError(`batch of ${n} frames exceeds the engine's capacity ${this.capacity}`);
    const d = this.decoder;
    const bytes = d.stagedBytes(batch);
    if (bytes > this.stagingSize) {
      this.stagingSize = Math.max(bytes, this.stagingSize * 2);
      d.windowPtr = this.x.arenaAllocate(this.stagingSize);
    }
    d.stage(buf, batch);
    return this.decodeRun(n, interfaces, owned);
  }

  /**
   * Decode and judge `n` staged frames, sub-batch by sub-batch in one WASM
   * call: engineDecodeRun, writing the decision records; or, when `records`
   * is false, engineDecodeTally, which keeps the tally (and the state) alone
   * and leaves the decisions region as it was (nothing may read it after).
   */
  private decodeRun(n: number, interfaces: readonly CaptureInterface[], owned: number, records = true): number {
    const d = this.decoder;
    d.useInterfaces(interfaces);
    if (!records) return this.x.engineDecodeTally(d.windowPtr, d.descPtr, n, d.ifacePtr, d.recPtr, this.sparePtr, owned >>> 0);
    return this.x.engineDecodeRun(d.windowPtr, d.descPtr, n, d.ifacePtr, d.recPtr, this.decPtr, owned >>> 0);
  }

  /**
   * The staging region (capture bytes), for a reader that fills it in place
   * (stream.ts; its descriptors go to `decoder.batchView()`, and the scanner
   * asks `decoder` to walk pcap records). Views must be re-made after any
   * engine call (memory may grow).
   */
  staging(): { ptr: number; size: number } {
    return { ptr: this.decoder.windowPtr, size: this.stagingSize };
  }

  /** Replace the staging region by a larger one (its first `keep` bytes are copied). */
  growStaging(size: number, keep: number): void {
    const ptr = this.x.arenaAllocate(size);
    const d = this.decoder;
    this.inst.u8().copyWithin(ptr, d.windowPtr, d.windowPtr + keep);
    d.windowPtr = ptr;
    this.stagingSize = size;
  }

  /**
   * Decode and judge `n` frames whose bytes and descriptors are already in
   * the staging and descriptor regions. `records` false: the tally and the
   * engine's state only, no decision records written (`decisionView()` is
   * then not this batch's: for a caller that reads neither decisions file
   * nor ring, docs/replay.md "The tally-only batch entry").
   */
  runPrepared(n: number, interfaces: readonly CaptureInterface[], owned: number, records = true): number {
    if (n === 0) return 0;
    return this.decodeRun(n, interfaces, owned, records);
  }

  /** Judge the `n` records the decoder holds (decoded by `decoder.decode`; benchmarks: the stages apart). */
  runDecoded(n: number, owned: number): number {
    return this.x.engineRun(this.decoder.recPtr, n, this.decPtr, owned >>> 0);
  }

  /**
   * Judge the records of `recs` (in this engine's memory: a shared one)
   * whose `n` indices (u32, increasing) are at `idx`, record i's decision at
   * `out + i * DECISION.SIZE` (engineRunList). Returns the number judged.
   */
  runList(recs: number, idx: number, n: number, out: number, owned: number): number {
    return this.x.engineRunList(recs, idx, n, out, owned >>> 0);
  }

  /**
   * Judge those of the `n` records of `recs` (a shared memory) whose shard
   * is in `claim`, with the shards of `owned` (engineRunClaimed: no list,
   * the shard hashed once), record i's decision at `out + i *
   * DECISION.SIZE`; a claimed shard outside `owned` is written as another
   * instance's. Returns the number judged.
   */
  runClaimed(recs: number, n: number, out: number, owned: number, claim: number): number {
    return this.x.engineRunClaimed(recs, n, out, owned >>> 0, claim >>> 0);
  }

  /** Judge the decoder's record `i` alone into decision record `i` (engineRunOne, the library's single-frame path). Returns 1 when judged here. */
  runDecodedOne(i: number, owned: number): number {
    return this.x.engineRunOne(this.decoder.recPtr + i * REC.SIZE, this.decPtr + i * DECISION.SIZE, owned >>> 0);
  }

  get allShards(): number {
    return this.shards >= 32 ? 0xffffffff : (2 ** this.shards - 1) >>> 0;
  }

  /** The decision records of the last batch (valid until the next call). */
  decisionView(n: number): DataView {
    return new DataView(this.inst.memory.buffer, this.decPtr, n * DECISION.SIZE);
  }

  counters(): EngineCounters {
    const dv = this.inst.view();
    const p = this.x.statsPtr();
    return {
      conntrackFull: Number(dv.getBigUint64(p + STATS.CT_FULL, true)),
      fragmentsNotRemembered: Number(dv.getBigUint64(p + STATS.FRAG_NOT_REMEMBERED, true)),
      conntrackGrows: Number(dv.getBigUint64(p + STATS.CT_GROWS, true)),
    };
  }

  /** Peak conntrack entries per interface (summed over the shards). */
  conntrackPeak(): Record<string, number> {
    const out: Record<string, number> = {};
    this.topology.interfaces.forEach((iface, i) => {
      let n = 0;
      for (let s = 0; s < this.shards; s++) n += this.x.ctPeak(i, s);
      out[iface.id] = n;
    });
    return out;
  }
}

/** A 128-bit little-endian address (the record form, ADDRESS) at `ptr`. */
export function writeAddress(dv: DataView, ptr: number, value: bigint): void {
  dv.setBigUint64(ptr + ADDRESS.W0, value & 0xffffffffffffffffn, true);
  dv.setBigUint64(ptr + ADDRESS.W2, value >> 64n, true);
}
