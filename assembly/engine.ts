// The replay engine's hot path: decoded records -> decisions (SEMANTICS §2-§6),
// the same rules as src/reference/engine.ts, over flat memory, with no
// allocation per packet.
//
//   engineRun(recs, n, out, owned): u32
//     recs   n decoded records (REC_*, REC_SIZE bytes each)
//     out    n decision records (D_*, D_SIZE bytes each)
//     owned  bit s set: this instance judges the packets of shard s; the
//            others get verdict NOT_MINE and are left to the instance that
//            owns their shard (src/replay/ merges)
//     returns the number of packets judged here
//
//   engineDecodeRun(frames, desc, n, ifaces, recs, out, owned): u32
//     decodeBatch and engineRun fused, sub-batch by sub-batch (the replay's
//     path: the records are judged while still cached)
//
// Layouts (assembly/layout.ts, generated from layout/layouts.json, where they
// are drawn): the decision record D_* with its hops H_*, verdicts VERDICT_*,
// packet reasons PKT_*, hop reasons HOP_*, the tally TL_*, the decoded record
// REC_* (whose scratch bytes REC_X_* the pre-pass fills), the interface record
// IF_*, the cloud codes CLOUD_*.

import { classifyTuple } from './classify';
import { decodeBatch, decodePrepassBatch, decodePrepassRest } from './decode';
import { T_NO_PORT as NO_PORT, T_DPORT, T_FAMILY, T_LIST, T_LOCAL, T_PROTO, T_REMOTE, T_SPORT } from './layout';
import {
  ADDR_W0,
  ADDR_W1,
  ADDR_W2,
  ADDR_W3,
  CLOUD_ALIYUN,
  DESC_SIZE,
  DIR_EGRESS,
  DIR_INGRESS,
  D_HOP0,
  D_NHOPS,
  D_REASON,
  D_SHARD,
  D_SIZE,
  D_VERDICT,
  CT_HASH,
  CT_SIZE,
  CT_TAG,
  FS_HASH,
  FS_HI_PORT,
  FS_LO_PORT,
  FS_SIZE,
  FS_SRC_IS_LO,
  SLOT_EMPTY,
  SLOT_TOMB,
  F_FRAG,
  F_ICMP,
  F_ICMP_ID,
  F_MF,
  F_PORTS,
  F_QUOTED,
  F_TCP,
  HOP_CONNTRACK_FULL,
  HOP_DEFAULT,
  HOP_ESTABLISHED,
  HOP_FRAGMENT,
  HOP_INTRA_GROUP,
  HOP_RELATED,
  HOP_RULE,
  H_DIR,
  H_IFACE,
  H_REASON,
  H_RULE,
  H_SIZE,
  H_VERDICT,
  IF_ACCEPT,
  IF_DEFAULT_IN,
  IF_DEFAULT_OUT,
  IF_LIST_IN,
  IF_LIST_OUT,
  IF_N_ACCEPT,
  PKT_HOPS,
  PKT_LOCAL,
  PKT_MALFORMED,
  PKT_NON_IP,
  PKT_UNMANAGED,
  Q_ECHO,
  Q_PORTS,
  Q_PRESENT,
  Q_V6,
  REASON_NON_IP,
  REASON_OK,
  REC_DPORT,
  REC_DST,
  REC_FAMILY,
  REC_FLAGS,
  REC_FRAG_ID,
  REC_FRAG_OFFSET,
  REC_ICMP_ID,
  REC_ICMP_TYPE,
  REC_PROTO,
  REC_QDPORT,
  REC_QDST,
  REC_QFLAGS,
  REC_QICMP_ID,
  REC_QICMP_TYPE,
  REC_QPROTO,
  REC_QSPORT,
  REC_QSRC,
  REC_REASON,
  REC_SIZE,
  REC_SPORT,
  REC_SRC,
  REC_TCP_FLAGS,
  REC_TS,
  REC_X_OWNER_A,
  REC_X_OWNER_B,
  REC_X_HIT,
  REC_X_SHARD,
  TL_ALLOW,
  TL_DENY,
  TL_HOP_BASE,
  TL_IFACES,
  TL_IFACE_COUNTERS,
  TL_PACKETS,
  TL_REASONS,
  VERDICT_ALLOW,
  VERDICT_DENY,
  VERDICT_NOT_MINE,
} from './layout';
import { addrOwner4, addrOwnerOf } from './addrmap';
import { arenaAllocate } from './arena';
import { ctAt, ctCreate, ctFlow, ctFlow4, ctFlow4Save, ctFlowLoad, ctFlowSaveOf, ctHit, ctHitOf, ctKey, ctLive, ctLiveHit, ctLookup, ctMask, ctMatchesSaved, ctPair, ctResume, ctResumePaired, ctSlots, ctTagHashWord } from './conntrack';
import { frRecall, frRemember } from './fragments';
import { flowHash4, flowHashOf, flowPortsWord, isEcho, shardOfHashIn } from './hash';
import { ifaceRecord } from './state';

// Classifier tuple: assembly/layout.ts (T_*, from layout/layouts.json).

// Tally (engineTally, layout TL_*): counters the engine keeps as it judges,
// so that the host needs no pass over the decisions when it wants only the summary.
let tally: usize = 0; // 0 = no tally
let tallyHits: usize = 0; // per list: u32 offset (bytes, from tally) of its u64 hit counters

/** Keep counters at `ptr` (zeroed by the host); `hits`: per list, the u32 byte offset of its counters. */
export function engineTally(ptr: usize, hits: usize): void {
  tally = ptr;
  tallyHits = hits;
}

@inline function bump(at: usize): void {
  store<u64>(at, load<u64>(at) + 1);
}

// Configuration (engineConfigure).
let cfgTable: usize = 0; // the compiled classifier table
let cfgActions: usize = 0; // per list: u32 offset into the action bytes (1 allow, 0 deny per position)
let cfgCloud: u32 = 0; // CLOUD_*
let cfgShards: u32 = 16;
let tuple: usize = 0; // 64-byte scratch tuple

/**
 * Configure the engine (after stateInit and the address map). `actions`:
 * nLists u32 offsets (relative to `actions`) of each list's action bytes.
 * `scratch`: 64 host bytes for the classifier tuple.
 */
export function engineConfigure(table: usize, actions: usize, cloud: u32, shards: u32, scratch: usize): void {
  flowScratch = arenaAllocate(<usize>SUB_BATCH * FS_SIZE);
  touchScratch = arenaAllocate(<usize>SUB_BATCH * sizeof<u32>());
  restScratch = arenaAllocate(<usize>SUB_BATCH * sizeof<u32>());
  cfgTable = table;
  cfgActions = actions;
  cfgCloud = cloud;
  cfgShards = shards;
  tuple = scratch;
}

/** Allow (1) or deny (0) of rule position `pos` in list `list`. */
@inline function actionOf(list: u32, pos: i32): u8 {
  return load<u8>(cfgActions + <usize>load<u32>(cfgActions + (<usize>list << 2)) + <usize>pos);
}

/** Tuple address word `k` (T_REMOTE / T_LOCAL are u32[4], word 0 the most significant). */
@inline function tupleWord(dst: usize, k: usize): usize {
  return dst + (k << 2);
}

/** Copy a record address (ADDR_*, 128-bit LE) into tuple address words (word 0 most significant). */
@inline function toWords(dst: usize, a: usize, family: u32): void {
  if (family == 4) {
    store<u32>(tupleWord(dst, 0), load<u32>(a, ADDR_W0));
    store<u32>(tupleWord(dst, 1), 0);
    store<u64>(tupleWord(dst, 2), 0);
  } else {
    store<u32>(tupleWord(dst, 0), load<u32>(a, ADDR_W3));
    store<u32>(tupleWord(dst, 1), load<u32>(a, ADDR_W2));
    store<u32>(tupleWord(dst, 2), load<u32>(a, ADDR_W1));
    store<u32>(tupleWord(dst, 3), load<u32>(a, ADDR_W0));
  }
}

/** Do interfaces `a` and `b` share a basic group whose inner access policy is accept? */
function sharesAcceptingGroup(a: u32, b: u32): bool {
  const ra = ifaceRecord(a);
  const rb = ifaceRecord(b);
  const na = <usize>load<u8>(ra, IF_N_ACCEPT);
  const nb = <usize>load<u8>(rb, IF_N_ACCEPT);
  for (let i: usize = 0; i < na; i++) {
    const g = load<u16>(ra + IF_ACCEPT + (i << 1));
    for (let j: usize = 0; j < nb; j++) if (load<u16>(rb + IF_ACCEPT + (j << 1)) == g) return true;
  }
  return false;
}

// The result of the last hop (set by the hop functions).
let hVerdict: u8 = 0;
let hReason: u8 = 0;
let hRule: i32 = -1;

@inline function setHop(verdict: u8, reason: u8, rule: i32): void {
  hVerdict = verdict;
  hReason = reason;
  hRule = rule;
}

/** §4 at one interface. `withPorts` false for non-first fragments; `r` prepared (REC_X_OWNER_A set). */
function byRules(iface: u32, dir: u32, r: usize, withPorts: bool): void {
  const family = <u32>load<u8>(r, REC_FAMILY);
  const proto = <u32>load<u8>(r, REC_PROTO);
  const src = r + REC_SRC;
  const dst = r + REC_DST;
  const rec = ifaceRecord(iface);
  // aliyun 1: ingress from another interface sharing an accepting basic group.
  if (cfgCloud == CLOUD_ALIYUN && dir == DIR_INGRESS && load<u8>(rec + IF_N_ACCEPT) != 0) {
    // The source's owner: the pre-pass's (every record that reaches a hop
    // went through prepareRecord or prepareClaimed, which store it).
    const peer = load<i32>(r, REC_X_OWNER_A);
    if (peer >= 0 && <u32>peer != iface && sharesAcceptingGroup(iface, <u32>peer)) {
      setHop(VERDICT_ALLOW, HOP_INTRA_GROUP, -1);
      return;
    }
  }
  const list = load<u32>(rec + (dir == DIR_INGRESS ? IF_LIST_IN : IF_LIST_OUT));
  toWords(tuple + T_REMOTE, dir == DIR_INGRESS ? src : dst, family);
  toWords(tuple + T_LOCAL, dir == DIR_INGRESS ? dst : src, family);
  const flags = <u32>load<u8>(r, REC_FLAGS);
  if (withPorts && (proto == 6 || proto == 17) && (flags & F_PORTS) != 0) {
    store<u32>(tuple + T_SPORT, <u32>load<u16>(r, REC_SPORT));
    store<u32>(tuple + T_DPORT, <u32>load<u16>(r, REC_DPORT));
  } else {
    store<u32>(tuple + T_SPORT, NO_PORT);
    store<u32>(tuple + T_DPORT, NO_PORT);
  }
  store<u32>(tuple + T_PROTO, proto);
  store<u32>(tuple + T_FAMILY, family);
  store<u32>(tuple + T_LIST, list);
  const pos = classifyTuple(cfgTable, tuple);
  if (pos >= 0) {
    setHop(actionOf(list, pos), HOP_RULE, pos);
    return;
  }
  setHop(load<u8>(rec + (dir == DIR_INGRESS ? IF_DEFAULT_IN : IF_DEFAULT_OUT)), HOP_DEFAULT, -1);
}

@inline function isIcmpError(family: u32, proto: u32, type: u32): bool {
  if (family == 4 && proto == 1) return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
  if (family == 6 && proto == 58) return type >= 1 && type <= 4;
  return false;
}

/** Is the record an ICMP error that carries a quoted header (its shard and the related check use it)? */
@inline function quotesAFlow(r: usize): bool {
  const flags = <u32>load<u8>(r, REC_FLAGS);
  return (flags & F_ICMP) != 0 && (flags & F_QUOTED) != 0 && (<u32>load<u8>(r, REC_QFLAGS) & Q_PRESENT) != 0 &&
    isIcmpError(<u32>load<u8>(r, REC_FAMILY), <u32>load<u8>(r, REC_PROTO), <u32>load<u8>(r, REC_ICMP_TYPE));
}

/**
 * The packet's own flow's ports as the conntrack key takes them: TCP/UDP
 * ports, an echo's identifier on both sides (an echo and its reply share
 * it), else 0; (source port << 16) | destination port.
 */
@inline function flowPorts(r: usize, family: u32, proto: u32, flags: u32): u32 {
  if (proto == 6 || proto == 17) {
    return flags & F_PORTS ? (<u32>load<u16>(r, REC_SPORT) << 16) | <u32>load<u16>(r, REC_DPORT) : 0;
  }
  if ((flags & F_ICMP) != 0 && isEcho(family, proto, <u32>load<u8>(r, REC_ICMP_TYPE))) {
    const id: u32 = flags & F_ICMP_ID ? <u32>load<u16>(r, REC_ICMP_ID) : 0;
    return (id << 16) | id;
  }
  return 0;
}

/** Prepare the conntrack key's flow part from the packet's own flow. */
@inline function flowPacket(r: usize): void {
  const family = <u32>load<u8>(r, REC_FAMILY);
  const proto = <u32>load<u8>(r, REC_PROTO);
  const ports = flowPorts(r, family, proto, <u32>load<u8>(r, REC_FLAGS));
  ctFlow(family, proto, r + REC_SRC, ports >> 16, r + REC_DST, ports & 0xffff);
}

/** §3: conntrack, related ICMP errors, then the rules (creating an entry on allow). */
@inline function statefulHop(iface: u32, dir: u32, r: usize, shard: u32, now: i64): void {
  ctAt(iface, shard); // the packet's flow was prepared by engineRun
  const e = ctLookup(now);
  const tcpFlags: u32 = (<u32>load<u8>(r, REC_FLAGS) & F_TCP) != 0 ? <u32>load<u8>(r, REC_TCP_FLAGS) : 0;
  if (e != 0) {
    ctHit(e, now, tcpFlags, shard);
    setHop(VERDICT_ALLOW, HOP_ESTABLISHED, -1);
    return;
  }
  statefulMiss(iface, dir, r, shard, now, tcpFlags);
}

/**
 * statefulHop after a lookup that found no live entry (a flow's first
 * packets, related ICMP errors, denials): not inlined, so that the hit path
 * it leaves stays small where it is inlined.
 */
function statefulMiss(iface: u32, dir: u32, r: usize, shard: u32, now: i64, tcpFlags: u32): void {
  if (quotesAFlow(r)) {
    const qf = <u32>load<u8>(r, REC_QFLAGS);
    const qfam: u32 = qf & Q_V6 ? 6 : 4;
    const qproto = <u32>load<u8>(r, REC_QPROTO);
    let qs: u32 = 0;
    let qd: u32 = 0;
    if (qproto == 6 || qproto == 17) {
      if (qf & Q_PORTS) {
        qs = <u32>load<u16>(r, REC_QSPORT);
        qd = <u32>load<u16>(r, REC_QDPORT);
      }
    } else if ((qf & Q_ECHO) != 0 && isEcho(qfam, qproto, <u32>load<u8>(r, REC_QICMP_TYPE))) {
      qs = <u32>load<u16>(r, REC_QICMP_ID);
      qd = qs;
    }
    ctKey(iface, shard, qfam, qproto, r + REC_QSRC, qs, r + REC_QDST, qd);
    const related = ctLookup(now) != 0;
    flowPacket(r); // back to the packet's own flow
    ctAt(iface, shard);
    if (related) {
      setHop(VERDICT_ALLOW, HOP_RELATED, -1);
      return;
    }
  }
  byRules(iface, dir, r, true);
  if (hVerdict == VERDICT_ALLOW) {
    if (!ctCreate(now, tcpFlags, shard)) setHop(VERDICT_DENY, HOP_CONNTRACK_FULL, -1);
  }
}

/** One judgement at one interface (§3, §6). */
function hop(iface: u32, dir: u32, r: usize, shard: u32): void {
  const now = load<i64>(r, REC_TS);
  const flags = <u32>load<u8>(r, REC_FLAGS);
  const isFrag = (flags & F_FRAG) != 0;
  const offset = isFrag ? <u32>load<u16>(r, REC_FRAG_OFFSET) : 0;
  const family = <u32>load<u8>(r, REC_FAMILY);
  const proto = <u32>load<u8>(r, REC_PROTO);
  if (offset > 0) {
    const v = frRecall(iface, shard, family, proto, r + REC_SRC, r + REC_DST, load<u32>(r, REC_FRAG_ID), now);
    if (v >= 0) {
      setHop(<u8>v, HOP_FRAGMENT, -1);
      return;
    }
    byRules(iface, dir, r, false);
    return;
  }
  statefulHop(iface, dir, r, shard, now);
  if (isFrag && (flags & F_MF) != 0) frRemember(iface, family, proto, r + REC_SRC, r + REC_DST, load<u32>(r, REC_FRAG_ID), hVerdict, now, shard);
}

@inline function writeHop(out: usize, k: u32, iface: u32, dir: u32): void {
  writeHopOf(out, k, iface, dir, hVerdict, hReason, hRule, true, tally);
}

/**
 * writeHop of a hop whose result is given (not the last hop's globals).
 * `rec`: write the hop into the decision record (a literal at each call
 * site; false on the tally-only path's inlined hits, which keep the tally only).
 */
@inline function writeHopOf(out: usize, k: u32, iface: u32, dir: u32, verdict: u8, reason: u8, rule: i32, rec: bool, tl: usize): void {
  if (rec) {
    const h = out + D_HOP0 + <usize>k * H_SIZE;
    store<u32>(h + H_IFACE, iface);
    store<u8>(h + H_DIR, <u8>dir);
    store<u8>(h + H_VERDICT, verdict);
    store<u8>(h + H_REASON, reason);
    store<i32>(h + H_RULE, rule);
  }
  if (tl != 0) {
    // ingress allow/deny, egress allow/deny
    bump(tl + TL_IFACES + ((<usize>iface * TL_IFACE_COUNTERS + <usize>dir * 2 + (verdict == VERDICT_ALLOW ? 0 : 1)) << 3));
    if (reason == HOP_RULE) {
      const list = load<u32>(ifaceRecord(iface) + (dir == DIR_INGRESS ? IF_LIST_IN : IF_LIST_OUT));
      bump(tl + <usize>load<u32>(tallyHits + (<usize>list << 2)) + (<usize>rule << 3));
    }
  }
}

/** The shard of flow hash `h` among the engine's shards (shardOfHashIn). */
@inline function shardOfHash(h: u32): u32 {
  return shardOfHashIn(h, cfgShards);
}

/**
 * The shard of a record (src/model/shard.ts); 0 without an IP header. One
 * inlined flow hash for both cases (an ICMP error's quoted flow, the
 * packet's own).
 */
@inline function shardOfRecord(r: usize): u32 {
  if (cfgShards <= 1) return 0;
  let family = <u32>load<u8>(r, REC_FAMILY);
  let proto = <u32>load<u8>(r, REC_PROTO);
  let src = r + REC_SRC;
  let dst = r + REC_DST;
  if (quotesAFlow(r)) {
    family = (<u32>load<u8>(r, REC_QFLAGS) & Q_V6) != 0 ? 6 : 4;
    proto = <u32>load<u8>(r, REC_QPROTO);
    src = r + REC_QSRC;
    dst = r + REC_QDST;
  }
  return shardOfHash(flowHashOf(family, proto, src, dst));
}

// Per-record scratch (the decoded record's REC_X_* bytes), written by
// engineRun's pre-pass: the shard and the two owners.

/** Packets per pre-pass: small enough that the touched lines are still cached when judged. */
const SUB_BATCH: u32 = 64;

/** The pre-pass's touch loop: load the first word of each of the `touches` slots listed in touchScratch (their lines come in before the hops need them); the sum, so the loads are kept. */
@inline function touchSlots(touches: usize): u32 {
  let sink: u32 = 0;
  for (let k: usize = 0; k < touches; k++) sink += load<u32>(<usize>load<u32>(touchScratch + (k << 2)));
  return sink;
}

/**
 * Pre-pass over a sub-batch: shard and owners of every record, its saved
 * flow, and the conntrack slot its hops will probe first; then one
 * tight loop loads those slots, so that the memory latency of the whole
 * sub-batch overlaps (independent loads, no arithmetic between them).
 * Returns a value depending on the loads (kept in a global, so that they are
 * not optimized away).
 */
function prepass(recs: usize, n: u32, owned: u32): u32 {
  let touches: usize = 0;
  let r = recs;
  for (let i: u32 = 0; i < n; i++, r += REC_SIZE) {
    const saved = flowScratch + <usize>i * FS_SIZE;
    // Both hops probe from the same slot (the hash leaves the interface out).
    const slot = prepareRecord(r, owned, saved);
    if (slot == 0) continue;
    store<u32>(touchScratch + (touches << 2), <u32>slot);
    touches++;
  }
  return touchSlots(touches);
}

/**
 * The pre-pass of one record: its shard and owners (REC_X_*); when its hops
 * will look its flow up in conntrack (an IP packet of an owned shard between
 * two different owners, at least one managed, not a non-first fragment),
 * the flow's first conntrack slot (else 0), and the flow saved at `saved`
 * (ctFlowSave) or, when `saved` is 0, prepared (ctFlow).
 */
@inline function prepareRecord(r: usize, owned: u32, saved: usize): usize {
  if (load<u8>(r, REC_REASON) != REASON_OK) {
    store<u32>(r, 0, REC_X_SHARD);
    return 0;
  }
  // IPv4 and no quoted flow (the common case): every step by the two address words.
  if (isPlain4(r)) return prepareRecord4(r, owned, saved);
  return prepareRecordAny(r, owned, saved);
}

/** An IPv4 record that quotes no flow: prepareRecord4's case (its shard by shard4). */
@inline function isPlain4(r: usize): bool {
  return load<u8>(r, REC_FAMILY) == 4 && (<u32>load<u8>(r, REC_FLAGS) & F_QUOTED) == 0;
}

/** The shard of an IPv4 flow by its protocol and address words (shardOfRecord's value for such a record). */
@inline function shard4(proto: u32, x: u32, y: u32): u32 {
  return cfgShards <= 1 ? 0 : shardOfHash(flowHash4(proto, x, y));
}

/** The shard prepareRecord gives record `r` (0 without an IP header): what engineSplit lists lanes by. */
@inline function preShard(r: usize): u32 {
  if (load<u8>(r, REC_REASON) != REASON_OK) return 0;
  if (isPlain4(r)) return shard4(<u32>load<u8>(r, REC_PROTO), load<u32>(r, REC_SRC + ADDR_W0), load<u32>(r, REC_DST + ADDR_W0));
  return shardOfRecord(r);
}

/**
 * prepareRecord of any record of an IP packet. The packet's own flow hash
 * (flowHashOf) is its shard's unless it quotes a flow, and its conntrack
 * slot hash's start (ctFlowSaveOf) in any case.
 */
@inline function prepareRecordAny(r: usize, owned: u32, saved: usize): usize {
  const family = <u32>load<u8>(r, REC_FAMILY);
  const proto = <u32>load<u8>(r, REC_PROTO);
  const h = flowHashOf(family, proto, r + REC_SRC, r + REC_DST);
  const shard = quotesAFlow(r) ? shardOfRecord(r) : shardOfHash(h);
  store<u32>(r, shard, REC_X_SHARD);
  if (((owned >> shard) & 1) == 0) return 0;
  const a = addrOwnerOf(family, r + REC_SRC);
  const b = addrOwnerOf(family, r + REC_DST);
  store<i32>(r, a, REC_X_OWNER_A);
  store<i32>(r, b, REC_X_OWNER_B);
  if (a == b) return 0; // both unmanaged, or local: no hop
  if (isNonFirstFragmentRecord(r)) return 0;
  if (saved == 0) {
    flowPacket(r);
    return 1; // not loaded (one record)
  }
  return ctFlowSaveOf(saved, h, r + REC_SRC, r + REC_DST, flowPortsWord(r, family, proto, <u32>load<u8>(r, REC_FLAGS)));
}

/**
 * prepareRecord of an IPv4 record that quotes no flow: the same shard (the
 * packet's own flow), owners and flow, each from the addresses' words
 * loaded once (flowHash4, addrOwner4, ctFlow4Save or ctFlow4); the flow
 * hash is the shard's and the conntrack slot hash's start.
 */
@inline function prepareRecord4(r: usize, owned: u32, saved: usize): usize {
  const x = load<u32>(r, REC_SRC + ADDR_W0);
  const y = load<u32>(r, REC_DST + ADDR_W0);
  const proto = <u32>load<u8>(r, REC_PROTO);
  const h = flowHash4(proto, x, y);
  const shard = shardOfHash(h); // shard4's value: 0 with one shard or none
  store<u32>(r, shard, REC_X_SHARD);
  if (((owned >> shard) & 1) == 0) return 0;
  const a = addrOwner4(x);
  const b = addrOwner4(y);
  store<i32>(r, a, REC_X_OWNER_A);
  store<i32>(r, b, REC_X_OWNER_B);
  if (a == b) return 0; // both unmanaged, or local: no hop
  const flags = <u32>load<u8>(r, REC_FLAGS);
  if ((flags & F_FRAG) != 0 && load<u16>(r, REC_FRAG_OFFSET) != 0) return 0;
  if (saved != 0) return ctFlow4Save(saved, h, x, y, flowPortsWord(r, 4, proto, flags));
  const ports = flowPorts(r, 4, proto, flags);
  ctFlow4(proto, r + REC_SRC, x, ports >> 16, r + REC_DST, y, ports & 0xffff);
  return 1; // not loaded (one record)
}

let prepassSink: u32 = 0;
/** SUB_BATCH saved flows (FS_*): the flows the pre-pass prepared (ctFlowSave). */
let flowScratch: usize = 0;
/** Up to SUB_BATCH u32 slot addresses the pre-pass loads (each flow's first conntrack slot). */
let touchScratch: usize = 0;
/** Up to SUB_BATCH u32 record addresses decodePrepass leaves to prepareRecord (decodePrepassBatch's rest). */
let restScratch: usize = 0;

/**
 * decodeBatch and prepass of one sub-batch (`n` ≤ SUB_BATCH frames into the
 * records at `recs`) in one: decodePrepassBatch decodes and pre-passes the
 * plain IPv4 TCP/UDP records in its fast pass (the values in registers, no
 * record loaded back); the records it lists as left (any other, and those
 * the full decoder took) get prepareRecord here; then the touch loop over
 * all their slots. The records, saved flows and slots are prepass's.
 */
function decodePrepass(frames: usize, desc: usize, n: u32, ifaces: usize, recs: usize, owned: u32): u32 {
  let touches = <usize>decodePrepassBatch(frames, desc, n, ifaces, recs, owned, cfgShards, flowScratch, touchScratch, restScratch);
  const restEnd = decodePrepassRest();
  for (let p = restScratch; p < restEnd; p += 4) {
    const r = <usize>load<u32>(p);
    const slot = prepareRecord(r, owned, flowScratch + (r - recs) / REC_SIZE * FS_SIZE);
    if (slot == 0) continue;
    if ((<u32>load<u8>(r, REC_FLAGS) & F_FRAG) == 0) store<u8>(r, 1, REC_X_HIT); // as pre4
    store<u32>(touchScratch + (touches << 2), <u32>slot);
    touches++;
  }
  return touchSlots(touches);
}

@inline function isNonFirstFragmentRecord(r: usize): bool {
  return (<u32>load<u8>(r, REC_FLAGS) & F_FRAG) != 0 && load<u16>(r, REC_FRAG_OFFSET) != 0;
}

/**
 * Decode and judge `n` frames (decodeBatch's arguments; `recs` needs room for
 * SUB_BATCH records only): each sub-batch is decoded into the same few
 * records and judged while they are still in the first-level cache, instead
 * of decoding the whole batch first. Decisions as engineRun writes them.
 */
export function engineDecodeRun(frames: usize, desc: usize, n: u32, ifaces: usize, recs: usize, out: usize, owned: u32): u32 {
  return decodeAndJudge(frames, desc, n, ifaces, recs, out, owned, true);
}

/**
 * engineDecodeRun (`records`: decision records at `out`, one per frame) and
 * engineDecodeTally (not `records`: only the tally; `out` the one spare
 * record) in one loop; `records` is a constant at both call sites, so each
 * entry compiles to its own loop with no test of it.
 */
@inline function decodeAndJudge(frames: usize, desc: usize, n: u32, ifaces: usize, recs: usize, out: usize, owned: u32, records: bool): u32 {
  let judged: u32 = 0;
  for (let base: u32 = 0; base < n; base += SUB_BATCH) {
    const m = min(SUB_BATCH, n - base);
    prepassSink += decodePrepass(frames, desc + <usize>base * DESC_SIZE, m, ifaces, recs, owned);
    judged += records ? judgeDecoded(recs, m, out + <usize>base * D_SIZE, owned) : judgeTally(recs, m, out, owned);
  }
  return judged;
}

/** Judge `n` records; see the file header. */
export function engineRun(recs: usize, n: u32, out: usize, owned: u32): u32 {
  let judged: u32 = 0;
  for (let base: u32 = 0; base < n; base += SUB_BATCH) {
    const m = min(SUB_BATCH, n - base);
    prepassSink += prepass(recs + <usize>base * REC_SIZE, m, owned);
    judged += judge(recs + <usize>base * REC_SIZE, m, out + <usize>base * D_SIZE, owned);
  }
  return judged;
}

/**
 * Judge the one record at `r` into the decision record at `out` (the
 * library's single-frame and single-tuple calls): engineRun(r, 1, out,
 * owned) without the sub-batch's bookkeeping — no flow saved and restored,
 * no slot touched ahead (one record's loads are serial anyway). Returns 1
 * when judged here, else 0.
 */
export function engineRunOne(r: usize, out: usize, owned: u32): u32 {
  prepareRecord(r, owned, 0);
  return judgeRecord(r, out, owned, 0, false, true, tally, false);
}

/**
 * engineDecodeRun keeping the tally and the engine's state only (the
 * replay when nothing reads the decisions: no decisions file, no decision
 * ring): no decision records are written; the few paths that write their
 * hops out of line (misses, fragments) write them into the one record at
 * `spare` instead (scratch, never read). Returns the number judged.
 */
export function engineDecodeTally(frames: usize, desc: usize, n: u32, ifaces: usize, recs: usize, spare: usize, owned: u32): u32 {
  return decodeAndJudge(frames, desc, n, ifaces, recs, spare, owned, false);
}

/** judge without decision records (engineDecodeTally): every record's rare paths write into `spare`. */
function judgeTally(recs: usize, n: u32, spare: usize, owned: u32): u32 {
  const tl = tally;
  let judged: u32 = 0;
  let r = recs;
  let saved = flowScratch;
  for (let i: u32 = 0; i < n; i++, r += REC_SIZE, saved += FS_SIZE) judged += judgeRecord(r, spare, owned, saved, true, false, tl, true);
  return judgedOf(judged, tl);
}

/** judge of records decodePrepass prepared (engineDecodeRun): judgeSaved's records by their REC_X_HIT. */
function judgeDecoded(recs: usize, n: u32, out: usize, owned: u32): u32 {
  const tl = tally;
  let judged: u32 = 0;
  let r = recs;
  let o = out;
  let saved = flowScratch;
  for (let i: u32 = 0; i < n; i++, r += REC_SIZE, o += D_SIZE, saved += FS_SIZE) judged += judgeRecord(r, o, owned, saved, true, true, tl, true);
  return judgedOf(judged, tl);
}

/** The main loop over a pre-passed sub-batch. */
function judge(recs: usize, n: u32, out: usize, owned: u32): u32 {
  const tl = tally;
  let judged: u32 = 0;
  let r = recs;
  let o = out;
  let saved = flowScratch;
  for (let i: u32 = 0; i < n; i++, r += REC_SIZE, o += D_SIZE, saved += FS_SIZE) judged += judgeRecord(r, o, owned, saved, true, true, tl, false);
  return judgedOf(judged, tl);
}

/**
 * A packet's count in a sub-batch's sum of judgeRecord results (SUB_BATCH
 * packets at most, so the two fields never overflow): 1 for a packet judged
 * here, plus EST_ONE for one allowed by established hops only whose packet,
 * allow and reason counters judgedOf adds.
 */
const EST_ONE: u32 = 1 << 16;

/** The number judged in a sub-batch's sum `acc` of judgeRecord results; adds its EST_ONE packets to the tally `tl`. */
@inline function judgedOf(acc: u32, tl: usize): u32 {
  const est = <u64>(acc >> 16);
  if (tl != 0 && est != 0) {
    store<u64>(tl + TL_PACKETS, load<u64>(tl + TL_PACKETS) + est);
    store<u64>(tl + TL_ALLOW, load<u64>(tl + TL_ALLOW) + est);
    const at = tl + TL_REASONS + ((<usize>TL_HOP_BASE + <usize>HOP_ESTABLISHED) << 3);
    store<u64>(at, load<u64>(at) + est);
  }
  return acc & (EST_ONE - 1);
}

/**
 * Judge the pre-passed record `r` into the decision record `o`; returns 1
 * when judged here, 0 when its shard is another instance's. `saved`: where
 * the pre-pass saved its flow (ctFlowSave), or 0 when the prepared flow is
 * still this record's (engineRunOne). `batch`: `saved` is not 0 (a
 * literal at each call site, so that each inlined copy keeps only its own
 * paths). `tl`: the tally (the global, read once by the caller). With
 * `batch`, a packet allowed by established hops only (judgeSaved's hits)
 * returns 1 + EST_ONE, its packet, allow and reason counts left to the
 * caller (judgedOf, once a sub-batch).
 */
@inline function judgeRecord(r: usize, o: usize, owned: u32, saved: usize, batch: bool, rec: bool, tl: usize, hit: bool): u32 {
  // `hit` (judgeTally: records decodePrepass prepared): REC_X_HIT says judgeSaved's record (its shard owned,
  // decoded, owners not both unmanaged nor equal, no fragment, the flow saved), tested once; the rest as below.
  if (hit && load<u8>(r, REC_X_HIT) != 0) {
    if (rec) {
      store<u8>(o, <u8>load<u32>(r, REC_X_SHARD), D_SHARD);
      store<u8>(o, 0, D_NHOPS);
    }
    return judgeSaved(r, o, saved, rec, tl);
  }
  // Packets without an IP header (and the undecodable) belong to shard 0.
  const shard: u32 = load<u32>(r, REC_X_SHARD);
  if (rec) store<u8>(o, <u8>shard, D_SHARD);
  if (((owned >> shard) & 1) == 0) {
    if (rec) store<u8>(o, VERDICT_NOT_MINE, D_VERDICT);
    return 0;
  }
  if (rec) store<u8>(o, 0, D_NHOPS);
  if (batch) {
    // Most packets: decoded, owners not both unmanaged nor equal, no
    // fragment, the flow saved by the pre-pass: judgeSaved; the rest out of
    // line (judgeRestRecords, judgeRestTally), so that the loop holds only
    // the common path.
    if (load<u8>(r, REC_REASON) == REASON_OK) {
      const a = load<i32>(r, REC_X_OWNER_A);
      const b = load<i32>(r, REC_X_OWNER_B);
      if ((a & b) >= 0 && a != b && (<u32>load<u8>(r, REC_FLAGS) & F_FRAG) == 0) return judgeSaved(r, o, saved, rec, tl);
    }
    return rec ? judgeRestRecords(r, o, shard, saved) : judgeRestTally(r, o, shard, saved);
  }
  return judgeRest(r, o, shard, saved, false, true);
}

/** judgeRest of a batch's record, with decision records (out of line: judgeRecord's rare paths). */
function judgeRestRecords(r: usize, o: usize, shard: u32, saved: usize): u32 {
  return judgeRest(r, o, shard, saved, true, true);
}

/** judgeRest of a batch's record, the tally only. */
function judgeRestTally(r: usize, o: usize, shard: u32, saved: usize): u32 {
  return judgeRest(r, o, shard, saved, true, false);
}

/**
 * judgeRecord after the shard's test for a record judgeSaved does not take
 * (with `batch`: undecoded, no hop, or a fragment; without: any).
 */
@inline function judgeRest(r: usize, o: usize, shard: u32, saved: usize, batch: bool, rec: bool): u32 {
  const reason = load<u8>(r, REC_REASON);
  // §2: non-ip allow; malformed deny.
  if (reason == REASON_NON_IP) {
    packetOnly(o, VERDICT_ALLOW, PKT_NON_IP, rec);
    return 1;
  }
  if (reason != REASON_OK) {
    packetOnly(o, VERDICT_DENY, PKT_MALFORMED, rec);
    return 1;
  }
  const a = load<i32>(r, REC_X_OWNER_A);
  const b = load<i32>(r, REC_X_OWNER_B);
  if (a < 0 && b < 0) {
    packetOnly(o, VERDICT_ALLOW, PKT_UNMANAGED, rec);
    return 1;
  }
  if (a == b) {
    packetOnly(o, VERDICT_ALLOW, PKT_LOCAL, rec);
    return 1;
  }
  const flags = <u32>load<u8>(r, REC_FLAGS);
  // (With `batch`, a packet that is no fragment took judgeSaved.)
  if (isNonFirstFragmentRecord(r)) flowPacket(r);
  else {
    if (batch) ctFlowLoad(saved, <u32>load<u8>(r, REC_FAMILY), <u32>load<u8>(r, REC_PROTO), r + REC_SRC, r + REC_DST);
    // Two hops: the egress hop's lookup walks the probe path for the ingress hop's too.
    if (a >= 0 && b >= 0) ctPair(<u32>b);
  }
  store<u8>(o, PKT_HOPS, D_REASON);
  if (!batch && a >= 0 && b >= 0 && (flags & F_FRAG) == 0) {
    // Two hops of a packet that is no fragment (engineRunOne; the batch paths
    // take judgeSaved): hop() inlined for both (its fragment steps skipped),
    // their lookups sharing one walk.
    const now = load<i64>(r, REC_TS);
    statefulHop(<u32>a, DIR_EGRESS, r, shard, now);
    writeHop(o, 0, <u32>a, DIR_EGRESS);
    let nh2: u32 = 1;
    if (hVerdict != VERDICT_DENY) {
      statefulHop(<u32>b, DIR_INGRESS, r, shard, now);
      writeHop(o, 1, <u32>b, DIR_INGRESS);
      nh2 = 2;
    }
    return hopsDone(o, nh2, hVerdict == VERDICT_DENY ? VERDICT_DENY : VERDICT_ALLOW);
  }
  let nh: u32 = 0;
  let verdict: u8 = VERDICT_ALLOW;
  if (a >= 0) {
    hop(<u32>a, DIR_EGRESS, r, shard);
    writeHop(o, nh++, <u32>a, DIR_EGRESS);
    if (hVerdict == VERDICT_DENY) verdict = VERDICT_DENY;
  }
  if (b >= 0 && verdict == VERDICT_ALLOW) {
    hop(<u32>b, DIR_INGRESS, r, shard);
    writeHop(o, nh++, <u32>b, DIR_INGRESS);
    if (hVerdict == VERDICT_DENY) verdict = VERDICT_DENY;
  }
  return hopsDone(o, nh, verdict);
}

/**
 * judgeRecord's hops for a record that is no fragment, its flow saved at
 * `saved` by the pre-pass (at least one of its owners, REC_X_OWNER_A and
 * REC_X_OWNER_B, an interface): the conntrack lookups of both hops (or of
 * the one) in one walk of the probe path, like ctFindPair, and the hits, in
 * locals instead of the key's and the hop's globals. A lookup that finds no
 * live entry hands what the walk found to the stateful path (savedMissFirst,
 * savedMissSecond: ctResume, ctResumePaired leave the globals as ctFlowLoad,
 * ctAt and ctLookup would have), which goes on as before: the same decisions.
 *
 * The walk keeps only the slot, the key's first word per hop (tag and hash)
 * and what it found live: the rest of the key is compared where a first word
 * matches (ctMatchesSaved, from the record and the saved flow), and the hop's
 * parts (owners, shard, time, flags) are loaded again after it — the values
 * the judging loop would otherwise keep on the stack across the walk.
 */
@inline function judgeSaved(r: usize, o: usize, saved: usize, rec: bool, tl: usize): u32 {
  if (rec) store<u8>(o, PKT_HOPS, D_REASON);
  const h = load<u32>(saved, FS_HASH);
  const a = load<i32>(r, REC_X_OWNER_A);
  const b = load<i32>(r, REC_X_OWNER_B);
  if ((a | b) < 0) {
    // One hop (egress at a, or ingress at b; the other owner is negative).
    const found = walkTag(ctTagHashWord(<u32>max(a, b) + 1, h), h, saved, r);
    const a1 = load<i32>(r, REC_X_OWNER_A);
    const first = <u32>max(a1, load<i32>(r, REC_X_OWNER_B));
    if (found == 0 || !ctLiveHit(found, first, load<i64>(r, REC_TS), recTcpFlags(r), load<u32>(r, REC_X_SHARD), saved)) return savedMissFirst(r, o, saved);
    writeHopOf(o, 0, first, a1 >= 0 ? DIR_EGRESS : DIR_INGRESS, VERDICT_ALLOW, HOP_ESTABLISHED, -1, rec, tl);
    return establishedDone(o, 1, rec);
  }
  // Two hops: egress at a, then ingress at b.
  const found = walkTag(ctTagHashWord(<u32>a + 1, h), h, saved, r);
  const now = load<i64>(r, REC_TS);
  if (found == 0 || !ctLiveHit(found, load<u32>(r, REC_X_OWNER_A), now, recTcpFlags(r), load<u32>(r, REC_X_SHARD), saved)) return savedMissFirst(r, o, saved);
  writeHopOf(o, 0, load<u32>(r, REC_X_OWNER_A), DIR_EGRESS, VERDICT_ALLOW, HOP_ESTABLISHED, -1, rec, tl);
  const second = load<u32>(r, REC_X_OWNER_B);
  const other = walkTag(ctTagHashWord(second + 1, load<u32>(saved, FS_HASH)), load<u32>(saved, FS_HASH), saved, r);
  if (other == 0 || !ctLiveHit(other, second, load<i64>(r, REC_TS), recTcpFlags(r), load<u32>(r, REC_X_SHARD), saved)) return savedMissSecond(r, o, saved);
  writeHopOf(o, 1, second, DIR_INGRESS, VERDICT_ALLOW, HOP_ESTABLISHED, -1, rec, tl);
  return establishedDone(o, 2, rec);
}

/**
 * The entry of the saved flow `saved` (record `r`) whose first word (tag and
 * hash `h`) is `w0`, or 0: the probe path from the hash's slot to the first
 * empty slot. judgeSaved's walk, one per hop: it carries only the slot; a
 * miss path walks again for what else it needs (savedWalk).
 */
@inline function walkTag(w0: u64, h: u32, saved: usize, r: usize): usize {
  const slots = ctSlots();
  const mask = ctMask();
  let i = h & mask;
  while (true) {
    const e = slots + <usize>i * CT_SIZE;
    const w = load<u64>(e, CT_TAG);
    if (w == w0) {
      if (ctMatchesSaved(e, saved, r)) return e;
    } else if (<u32>w == SLOT_EMPTY) return 0;
    i = (i + 1) & mask;
  }
}

// savedWalk's results.
let walkFound: usize = 0;
let walkOther: usize = 0;
let walkFree: usize = 0;

/**
 * The walk of ctFindPair (of ctFind for one hop) for the record `r` judgeSaved
 * took, its flow saved at `saved`, as the stateful path takes it over
 * (ctResume): the first hop's entry (walkFound, 0: none), the second's
 * (walkOther) and the first free slot on the way (walkFree: a tombstone or
 * the empty slot that ends the path) — the walk stops at the first empty
 * slot, or once it has found each hop's entry. Out of line: only the miss
 * paths need more than walkTag's entry, and the table has not changed since
 * judgeSaved's walks but for the last-seen time and state of a hit.
 */
function savedWalk(r: usize, saved: usize): void {
  const a = load<i32>(r, REC_X_OWNER_A);
  const b = load<i32>(r, REC_X_OWNER_B);
  const h = load<u32>(saved, FS_HASH);
  const first: u32 = a >= 0 ? <u32>a : <u32>b;
  const tagB: u32 = (a | b) >= 0 ? <u32>b + 1 : 0;
  const wA = ctTagHashWord(first + 1, h);
  // Without a second hop, wB == wA: the second branch is never taken (the first is, while nothing is found; then the walk stops).
  const wB = tagB != 0 ? ctTagHashWord(tagB, h) : wA;
  const slots = ctSlots();
  const mask = ctMask();
  let free: usize = 0;
  let found: usize = 0;
  let other: usize = 0;
  let i = h & mask;
  while (true) {
    const e = slots + <usize>i * CT_SIZE;
    const w = load<u64>(e, CT_TAG);
    if (w == wA) {
      if (found == 0 && ctMatchesSaved(e, saved, r)) {
        found = e;
        if (other != 0 || tagB == 0) break;
      }
    } else if (w == wB) {
      if (other == 0 && ctMatchesSaved(e, saved, r)) {
        other = e;
        if (found != 0) break;
      }
    } else {
      const t = <u32>w;
      if (t == SLOT_EMPTY) {
        if (free == 0) free = e;
        break;
      }
      if (t == SLOT_TOMB && free == 0) free = e;
    }
    i = (i + 1) & mask;
  }
  walkFound = found;
  walkOther = other;
  walkFree = free;
}

/** The record's TCP flags (0 for a packet that is no TCP segment). */
@inline function recTcpFlags(r: usize): u32 {
  return (<u32>load<u8>(r, REC_FLAGS) & F_TCP) != 0 ? <u32>load<u8>(r, REC_TCP_FLAGS) : 0;
}

/**
 * judgeSaved after the first hop's lookup found no live entry (its entry
 * expired, or none): the general path from there, the walk's results
 * (savedWalk) and the hop's parts taken again (out of line, so that
 * judgeSaved's hit path stays small).
 */
function savedMissFirst(r: usize, o: usize, saved: usize): u32 {
  savedWalk(r, saved);
  const a = load<i32>(r, REC_X_OWNER_A);
  const b = load<i32>(r, REC_X_OWNER_B);
  const shard = load<u32>(r, REC_X_SHARD);
  const now = load<i64>(r, REC_TS);
  const first: u32 = a >= 0 ? <u32>a : <u32>b;
  const dir: u32 = a >= 0 ? DIR_EGRESS : DIR_INGRESS;
  const tagB: u32 = (a | b) >= 0 ? <u32>b + 1 : 0;
  ctResume(saved, <u32>load<u8>(r, REC_FAMILY), <u32>load<u8>(r, REC_PROTO), r + REC_SRC, r + REC_DST, first, shard, walkFound, walkFree, tagB, walkOther);
  statefulMiss(first, dir, r, shard, now, recTcpFlags(r));
  writeHop(o, 0, first, dir);
  if (tagB == 0 || hVerdict == VERDICT_DENY) return hopsDone(o, 1, hVerdict == VERDICT_DENY ? VERDICT_DENY : VERDICT_ALLOW);
  statefulHop(<u32>b, DIR_INGRESS, r, shard, now);
  writeHop(o, 1, <u32>b, DIR_INGRESS);
  return hopsDone(o, 2, hVerdict == VERDICT_DENY ? VERDICT_DENY : VERDICT_ALLOW);
}

/** judgeSaved after an egress hit when the ingress hop's lookup found no live entry (out of line, as savedMissFirst). */
function savedMissSecond(r: usize, o: usize, saved: usize): u32 {
  savedWalk(r, saved);
  const second = load<u32>(r, REC_X_OWNER_B);
  const shard = load<u32>(r, REC_X_SHARD);
  const now = load<i64>(r, REC_TS);
  ctResumePaired(saved, <u32>load<u8>(r, REC_FAMILY), <u32>load<u8>(r, REC_PROTO), r + REC_SRC, r + REC_DST, second, walkOther, walkFree);
  statefulHop(second, DIR_INGRESS, r, shard, now);
  writeHop(o, 1, second, DIR_INGRESS);
  return hopsDone(o, 2, hVerdict == VERDICT_DENY ? VERDICT_DENY : VERDICT_ALLOW);
}

/** The decision record's hop count and verdict, and the tally, after a packet's hops (the last hop's reason is hReason). */
@inline function hopsDone(o: usize, nh: u32, verdict: u8): u32 {
  store<u8>(o, <u8>nh, D_NHOPS);
  store<u8>(o, verdict, D_VERDICT);
  if (tally != 0) {
    bump(tally + TL_PACKETS);
    bump(tally + (verdict == VERDICT_ALLOW ? TL_ALLOW : TL_DENY));
    bump(tally + TL_REASONS + ((<usize>TL_HOP_BASE + <usize>hReason) << 3));
  }
  return 1;
}

/**
 * hopsDone for a packet allowed by `nh` established hops (judgeSaved's
 * hits; `rec` as writeHopOf's): its decision record as hopsDone writes it;
 * its packet, allow and reason counts left to judgedOf (the result counts
 * EST_ONE).
 */
@inline function establishedDone(o: usize, nh: u32, rec: bool): u32 {
  if (rec) {
    store<u8>(o, <u8>nh, D_NHOPS);
    store<u8>(o, VERDICT_ALLOW, D_VERDICT);
  }
  return 1 + EST_ONE;
}

/** A packet decided without hops (§2); `rec` as writeHopOf's. */
@inline function packetOnly(o: usize, verdict: u8, reason: u8, rec: bool): void {
  if (rec) {
    store<u8>(o, verdict, D_VERDICT);
    store<u8>(o, reason, D_REASON);
  }
  if (tally != 0) {
    bump(tally + TL_PACKETS);
    bump(tally + (verdict == VERDICT_ALLOW ? TL_ALLOW : TL_DENY));
    bump(tally + TL_REASONS + (<usize>reason << 3));
  }
}

// ---------------------------------------------------------------------------
// The shared-memory replay (threads build, docs/replay.md "One shared memory"):
// one thread decodes a batch once into records every lane reads, splits
// their indices by lane (engineSplit), and each lane's engine judges only its
// own (engineRunList), writing each decision at its packet's place in the
// batch, so the batch's decisions are in capture order with no merge.

/**
 * The shard of every record (as the pre-pass computes it: shard 0 without an
 * IP header), stored in the record (REC_X_SHARD, for engineRunList) and, by `laneOf` (u8 per shard: its lane), its index appended to
 * its lane's list: lane l's n_l u32 indices at `lists + l * stride * 4`, n_l
 * written at `counts + l * 4`. `shards` is the engine's shard count.
 */
export function engineSplit(recs: usize, n: u32, shards: u32, laneOf: usize, lanes: u32, lists: usize, stride: u32, counts: usize): void {
  cfgShards = shards;
  for (let l: u32 = 0; l < lanes; l++) store<u32>(counts + (<usize>l << 2), 0);
  let r = recs;
  for (let i: u32 = 0; i < n; i++, r += REC_SIZE) {
    // The shard goes with the record: the lane's pre-pass takes it from there (prepassList), not hashing again.
    const shard = preShard(r);
    store<u32>(r, shard, REC_X_SHARD);
    const lane = <usize>load<u8>(laneOf + <usize>shard);
    const c = counts + (lane << 2);
    const k = load<u32>(c);
    store<u32>(lists + ((lane * <usize>stride + <usize>k) << 2), i);
    store<u32>(c, k + 1);
  }
}

/** prepass over the records whose indices (u32) are at `idx`, their shards engineSplit's (REC_X_SHARD). */
function prepassList(recs: usize, idx: usize, n: u32, owned: u32): u32 {
  let touches: usize = 0;
  for (let i: u32 = 0; i < n; i++) {
    const r = recs + <usize>load<u32>(idx + (<usize>i << 2)) * REC_SIZE;
    const slot = prepareClaimed(r, owned, flowScratch + <usize>i * FS_SIZE, load<u32>(r, REC_X_SHARD));
    if (slot == 0) continue;
    store<u32>(touchScratch + (touches << 2), <u32>slot);
    touches++;
  }
  return touchSlots(touches);
}

/**
 * Judge the `n` records of `recs` whose indices (u32, increasing) are at
 * `idx` (a list engineSplit made: each record's shard in REC_X_SHARD),
 * record i's decision at `out + i * D_SIZE`; returns the number judged here
 * (engineRun's judging, on a lane's list instead of a skip).
 */
export function engineRunList(recs: usize, idx: usize, n: u32, out: usize, owned: u32): u32 {
  let judged: u32 = 0;
  for (let base: u32 = 0; base < n; base += SUB_BATCH) {
    const m = min(SUB_BATCH, n - base);
    const ix = idx + (<usize>base << 2);
    prepassSink += prepassList(recs, ix, m, owned);
    const tl = tally;
    let acc: u32 = 0;
    for (let i: u32 = 0; i < m; i++) {
      const k = <usize>load<u32>(ix + (<usize>i << 2));
      acc += judgeRecord(recs + k * REC_SIZE, out + k * D_SIZE, owned, flowScratch + <usize>i * FS_SIZE, true, true, tl, false);
    }
    judged += judgedOf(acc, tl);
  }
  return judged;
}

/**
 * Judge this lane's records of a whole batch with no list made for it
 * (docs/replay.md, "The kept shared memory and the lanes' own split"): the
 * lane walks all `n` records of `recs`, takes each whose shard is in `claim`
 * (its own shards, and for one lane also the shards no lane judges, which it
 * writes as another instance's) SUB_BATCH at a time, and pre-passes and judges
 * those as engineRunList does, record i's decision at `out + i * D_SIZE`. The
 * shard is hashed once per lane (preShard, read only: a record of another
 * lane is neither written nor has its decision written here), and the
 * pre-pass takes it as given (prepareClaimed). Returns the number judged.
 */
export function engineRunClaimed(recs: usize, n: u32, out: usize, owned: u32, claim: u32): u32 {
  if (claimIdx == 0) {
    claimIdx = arenaAllocate(<usize>SUB_BATCH * sizeof<u32>());
    claimShard = arenaAllocate(<usize>SUB_BATCH * sizeof<u32>());
  }
  let judged: u32 = 0;
  let i: u32 = 0;
  while (i < n) {
    let m: u32 = 0;
    for (; i < n && m < SUB_BATCH; i++) {
      const s = preShard(recs + <usize>i * REC_SIZE);
      if (((claim >> s) & 1) == 0) continue;
      store<u32>(claimIdx + (<usize>m << 2), i);
      store<u32>(claimShard + (<usize>m << 2), s);
      m++;
    }
    let touches: usize = 0;
    for (let j: u32 = 0; j < m; j++) {
      const r = recs + <usize>load<u32>(claimIdx + (<usize>j << 2)) * REC_SIZE;
      const slot = prepareClaimed(r, owned, flowScratch + <usize>j * FS_SIZE, load<u32>(claimShard + (<usize>j << 2)));
      if (slot == 0) continue;
      store<u32>(touchScratch + (touches << 2), <u32>slot);
      touches++;
    }
    prepassSink += touchSlots(touches);
    const tl = tally;
    let acc: u32 = 0;
    for (let j: u32 = 0; j < m; j++) {
      const k = <usize>load<u32>(claimIdx + (<usize>j << 2));
      acc += judgeRecord(recs + k * REC_SIZE, out + k * D_SIZE, owned, flowScratch + <usize>j * FS_SIZE, true, true, tl, false);
    }
    judged += judgedOf(acc, tl);
  }
  return judged;
}

/** engineRunClaimed's SUB_BATCH record indices and their shards (per instance, taken on its first call). */
let claimIdx: usize = 0;
let claimShard: usize = 0;

/**
 * prepareRecord of a record whose shard preShard gave (`shard`): the same
 * stores and result (prepareRecord4's and prepareRecordAny's steps after
 * their shard), without hashing the flow again.
 */
@inline function prepareClaimed(r: usize, owned: u32, saved: usize, shard: u32): usize {
  store<u32>(r, shard, REC_X_SHARD);
  if (load<u8>(r, REC_REASON) != REASON_OK) return 0;
  if (((owned >> shard) & 1) == 0) return 0;
  if (isPlain4(r)) {
    const x = load<u32>(r, REC_SRC + ADDR_W0);
    const y = load<u32>(r, REC_DST + ADDR_W0);
    const a = addrOwner4(x);
    const b = addrOwner4(y);
    store<i32>(r, a, REC_X_OWNER_A);
    store<i32>(r, b, REC_X_OWNER_B);
    if (a == b) return 0; // both unmanaged, or local: no hop
    const proto = <u32>load<u8>(r, REC_PROTO);
    const flags = <u32>load<u8>(r, REC_FLAGS);
    if ((flags & F_FRAG) != 0 && load<u16>(r, REC_FRAG_OFFSET) != 0) return 0;
    return ctFlow4Save(saved, flowHash4(proto, x, y), x, y, flowPortsWord(r, 4, proto, flags));
  }
  const family = <u32>load<u8>(r, REC_FAMILY);
  const a = addrOwnerOf(family, r + REC_SRC);
  const b = addrOwnerOf(family, r + REC_DST);
  store<i32>(r, a, REC_X_OWNER_A);
  store<i32>(r, b, REC_X_OWNER_B);
  if (a == b) return 0; // both unmanaged, or local: no hop
  if (isNonFirstFragmentRecord(r)) return 0;
  const proto = <u32>load<u8>(r, REC_PROTO);
  const h = flowHashOf(family, proto, r + REC_SRC, r + REC_DST);
  return ctFlowSaveOf(saved, h, r + REC_SRC, r + REC_DST, flowPortsWord(r, family, proto, <u32>load<u8>(r, REC_FLAGS)));
}
