/**
 * Lanes on one shared memory (docs/replay.md, "One shared memory, per-lane
 * record lists"): a batch's frames are decoded once, into records every lane
 * reads in place, and their indices split by lane; each lane's engine (its
 * own instance of the threads build on the same memory, its own conntrack)
 * judges only its list and writes each decision at its packet's place in
 * the batch, so the batch's decision records come out in capture order.
 *
 * The pieces here are the host side of it: a batch slot (records, lane
 * lists, decisions) and the splitter that fills one; replay()'s shared
 * split (shared-replay.ts) runs them, bench/replay/shared-proto.ts measures
 * them with worker threads, test/replay/shared-memory.test.ts holds them to
 * the reference engine.
 */
import { InternalError } from '../model/errors.js';
import type { CaptureInterface } from '../pcap/scanner.js';
import { DECISION, REC } from '../wasm/layout.js';
import type { WasmInstance } from '../wasm/loader.js';
import type { WasmEngine } from './wasm-engine.js';

/** One batch's regions in the shared memory. */
export interface LaneSlot {
  /** `capacity` decoded records (REC.SIZE each). */
  recs: number;
  /** Per lane, `capacity` u32 record indices (lane l's at lists + l * capacity * 4). */
  lists: number;
  /** Per lane, the u32 count of its list. */
  counts: number;
  /** `capacity` decision records (DECISION.SIZE each), record i's at out + i * DECISION.SIZE. */
  out: number;
  capacity: number;
  lanes: number;
}

/** A slot for batches of up to `capacity` packets split `lanes` ways, allocated in `inst`'s (shared) memory. */
export function allocLaneSlot(inst: WasmInstance, capacity: number, lanes: number): LaneSlot {
  return {
    recs: inst.alloc(capacity * REC.SIZE, 64),
    lists: inst.alloc(lanes * capacity * 4, 64),
    counts: inst.alloc(lanes * 4, 64),
    out: inst.alloc(capacity * DECISION.SIZE, 64),
    capacity,
    lanes,
  };
}

/** The lane of each shard: shard s to lane s mod lanes (replay.ts's split of a worker's shards). */
export function laneOfShards(shards: number, lanes: number): number[] {
  return Array.from({ length: shards }, (_, s) => s % lanes);
}

/** The owned-shards mask of `lane` under `laneOf`. */
export function laneMask(laneOf: readonly number[], lane: number): number {
  let m = 0;
  laneOf.forEach((l, s) => {
    if (l === lane) m |= 1 << s;
  });
  return m >>> 0;
}

/**
 * Decodes batches once into lane slots: the frames in `engine`'s staging and
 * descriptor regions (a capture stream's batch, or `engine.decoder.stage`)
 * become the slot's records, and their indices the lanes' lists.
 */
export class LaneSplitter {
  private readonly laneOfPtr: number;

  constructor(readonly engine: WasmEngine, readonly laneOf: readonly number[]) {
    if (!engine.inst.shared) throw new InternalError('a lane splitter works on a shared memory');
    if (laneOf.length !== engine.shards) throw new InternalError(`a lane per shard: ${laneOf.length} for ${engine.shards} shards`);
    this.laneOfPtr = engine.inst.alloc(32, 16);
    const u8 = engine.inst.u8();
    laneOf.forEach((l, s) => (u8[this.laneOfPtr + s] = l));
  }

  /**
   * Decode the `n` frames into `slot` only, for lanes that pick their own
   * records (judgeClaimed): the batch's size goes to the slot's first count
   * word, the lists stay unused.
   */
  decode(slot: LaneSlot, n: number, interfaces: readonly CaptureInterface[]): void {
    if (n > slot.capacity) throw new InternalError(`a batch of ${n} packets for a slot of ${slot.capacity}`);
    const d = this.engine.decoder;
    d.useInterfaces(interfaces);
    this.engine.inst.exports.decodeBatch(d.windowPtr, d.descPtr, n, d.ifacePtr, slot.recs);
    Atomics.store(new Uint32Array(this.engine.inst.memory.buffer, slot.counts, 1), 0, n);
  }

  /** Decode the `n` frames into `slot` and split them by lane. */
  split(slot: LaneSlot, n: number, interfaces: readonly CaptureInterface[]): void {
    if (n > slot.capacity) throw new InternalError(`a batch of ${n} packets for a slot of ${slot.capacity}`);
    const d = this.engine.decoder;
    const e = this.engine.inst.exports;
    d.useInterfaces(interfaces);
    e.decodeBatch(d.windowPtr, d.descPtr, n, d.ifacePtr, slot.recs);
    e.engineSplit(slot.recs, n, this.engine.shards, this.laneOfPtr, slot.lanes, slot.lists, slot.capacity, slot.counts);
  }
}

/**
 * The shards each lane claims when lanes pick their own records (judgeClaimed):
 * its own (`masks`), and for lane 0 also every shard no lane judges (another
 * part's), whose decisions it writes as another instance's.
 */
export function laneClaims(masks: readonly number[], shards: number): number[] {
  const all = shards >= 32 ? 0xffffffff : (1 << shards) - 1;
  const none = (all & ~masks.reduce((u, m) => u | m, 0)) >>> 0;
  return masks.map((m, l) => (l === 0 ? (m | none) >>> 0 : m >>> 0));
}

/** Lane `lane`'s engine judges the records of `slot` (decoded by LaneSplitter.decode) whose shards it claims; returns the number judged. */
export function judgeClaimed(engine: WasmEngine, slot: LaneSlot, owned: number, claim: number): number {
  const n = new Uint32Array(engine.inst.memory.buffer, slot.counts, 1)[0]!;
  return engine.runClaimed(slot.recs, n, slot.out, owned, claim);
}

/** Lane `lane`'s engine judges its list of `slot` (engineRunList); returns the number judged. */
export function judgeLane(engine: WasmEngine, slot: LaneSlot, lane: number, owned: number): number {
  const n = new Uint32Array(engine.inst.memory.buffer, slot.counts, slot.lanes)[lane]!;
  return engine.runList(slot.recs, slot.lists + lane * slot.capacity * 4, n, slot.out, owned);
}
