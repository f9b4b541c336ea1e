/**
 * Shard sets: one replay split into N parts that run anywhere (other
 * machines, pods of a Kubernetes Indexed Job, GNU parallel), each reading the
 * whole capture and judging only the packets of its shards; `sgfilter merge`
 * (merge.ts) combines their decisions and summaries into what one run writes.
 *
 * Which packets a part judges. Every packet has exactly one shard, the same
 * for any worker count and any N (src/model/shard.ts, assembly/engine.ts
 * shardOfRecord): the symmetric flow hash of its family, protocol and address
 * pair; an ICMP error that quotes a header, the hash of the QUOTED flow; a
 * non-first fragment, the hash of its addresses like its first fragment; a
 * packet owned by no interface (unmanaged), the hash of its addresses all the
 * same; a frame without an IP header (non-IP) or one that does not decode
 * (malformed), shard 0. Part K of N (K counted from 0, so a Kubernetes
 * `JOB_COMPLETION_INDEX` is K as it is) owns the shards s with s mod N = K;
 * within a part, worker w of W owns the part's i-th shard when i mod W = w.
 * So shard 0, and with it every non-IP and malformed frame, is part 0's, and
 * the parts' shard sets are disjoint and cover every shard: each packet is
 * judged by exactly one part, whatever N and the workers of each part.
 *
 * A part's result carries a manifest (`part`, PartManifest) that the merge
 * checks: the same sgfilter, topology, shard count, conntrack capacity and
 * capture for every part, K..N complete, nothing interrupted. See
 * docs/distributed.md.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineOptionError } from '../model/shard.js';
import type { Topology } from '../model/topology.js';
import { PCAP_ERROR, PcapError } from '../pcap/errors.js';

/** Part `index` (0-based) of `count`. */
export interface ShardSet {
  index: number;
  count: number;
}

/** The layout version of PartManifest. */
export const PART_MANIFEST_VERSION = 1;

/** What a part adds to its result (and summary file) for the merge. */
export interface PartManifest {
  /** PART_MANIFEST_VERSION. */
  manifest: number;
  /** The sgfilter version that judged the part. */
  sgfilter: string;
  /** K (0-based) and N. */
  index: number;
  count: number;
  /** The shard count of the replay and the shards this part judged. */
  shards: number;
  ownedShards: number[];
  conntrackCapacity: number;
  /** "sha256:…" of the topology as loaded (what the decisions depend on). */
  topology: string;
  capture: {
    /** "sha256:…" of the capture's size, first MiB and last MiB (a cheap identity, not a hash of every byte). */
    fingerprint: string;
    /** Packets read from the capture (all of them, not only this part's). */
    packets: number;
  };
  /** This part's decisions file, when it wrote one. In a manifest file, `path` is relative to the manifest's directory. */
  decisions?: { path: string; format: 'jsonl' | 'binary'; lines: number; bytes: number };
}

/** The shards of part `set` of a replay with `shards` shards (s mod N = K). */
export function partShards(set: ShardSet, shards: number): number[] {
  const out: number[] = [];
  for (let s = set.index; s < shards; s += set.count) out.push(s);
  return out;
}

/** The owned-shard bit mask of each of `lanes` workers over `shards` (the i-th shard goes to lane i mod lanes). */
export function laneMasks(shards: readonly number[], lanes: number): number[] {
  const masks = new Array<number>(lanes).fill(0);
  shards.forEach((s, i) => (masks[i % lanes]! |= 1 << s));
  return masks.map((m) => m >>> 0);
}

/**
 * Lane masks where lane 0 takes `lead` of the shards (spread over the list) and
 * lanes 1..lanes-1 share the rest round-robin: for a lane 0 that starts judging
 * at once (replay()'s local lane 0) while the others' threads start. Any split
 * gives the same decisions (a flow's packets all meet in its shard's lane).
 */
export function leadLaneMasks(shards: readonly number[], lanes: number, lead: number): number[] {
  const m = shards.length;
  const rest = Math.max(lanes - 1, Math.min(m - 1, m - lead)); // shards for lanes 1.., at least one each
  const masks = new Array<number>(lanes).fill(0);
  // The rest's positions spread evenly over the list; lane 0 gets every other position.
  const restAt = new Set(Array.from({ length: rest }, (_, j) => Math.floor(((j + 0.5) * m) / rest)));
  let r = 0;
  shards.forEach((s, i) => {
    if (lanes > 1 && restAt.has(i)) masks[1 + (r++ % (lanes - 1))]! |= 1 << s;
    else masks[0]! |= 1 << s;
  });
  return masks.map((x) => x >>> 0);
}

/** Validate a shard set against the shard count (EngineOptionError `shardSet`). */
export function checkShardSet(set: unknown, shards: number): asserts set is ShardSet {
  const s = set as Partial<ShardSet> | null;
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
  if (typeof s !== 'object' || s === null || !ok(s.index) || !ok(s.count)) {
    throw new EngineOptionError('SGF_ENGINE_BAD_OPTION', 'shardSet', `shardSet must be { index: K, count: N } with integers, got ${JSON.stringify(set) ?? String(set)}`);
  }
  if (s.count < 1 || s.count > shards) {
    throw new EngineOptionError('SGF_ENGINE_BAD_OPTION', 'shardSet', `shardSet count (N) must be from 1 to the number of shards (${shards}; raise shards, at most 32, for more parts), got ${s.count}`);
  }
  if (s.index < 0 || s.index >= s.count) {
    throw new EngineOptionError('SGF_ENGINE_BAD_OPTION', 'shardSet', `shardSet index (K) must be from 0 to N-1 (0..${s.count - 1}; K counts from 0, like a Kubernetes JOB_COMPLETION_INDEX), got ${s.index}`);
  }
}

let version: string | undefined;
/** This package's version. */
export function sgfilterVersion(): string {
  version ??= (JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

/** "sha256:…" of a topology as loaded (addresses are bigints: written in decimal). */
export function topologyHash(topology: Topology): string {
  const text = JSON.stringify(topology, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return 'sha256:' + createHash('sha256').update(text).digest('hex');
}

const FINGERPRINT_SPAN = 1 << 20;

/** "sha256:…" of a capture file's size, its first MiB and its last MiB. */
export function captureFingerprint(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new PcapError(PCAP_ERROR.IO, file, 0, `cannot read the file: ${(err as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new PcapError(PCAP_ERROR.IO, file, 0, 'not a regular file: a part of a shard set reads the capture from a file (the merge identifies the capture by its size and content)');
    const h = createHash('sha256').update(`${st.size}\n`);
    const buf = Buffer.alloc(Math.min(FINGERPRINT_SPAN, st.size));
    for (const at of st.size > FINGERPRINT_SPAN ? [0, st.size - FINGERPRINT_SPAN] : [0]) {
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, at + got);
        if (n === 0) break;
        got += n;
      }
      h.update(buf.subarray(0, got));
    }
    return 'sha256:' + h.digest('hex');
  } finally {
    closeSync(fd);
  }
}
