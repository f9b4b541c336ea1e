// The library's calls at scale against the reference engine: two large
// generated captures (seeds 431 and 432; huawei and aliyun-advanced; rich in
// ICMP errors, fragments, IPv6, VLANs, ARP and many flows) are judged by
// `replay(..., { engine: 'reference', decisionsPath })` (SEMANTICS §9
// decisions, JSON lines) and by a library Filter through each call —
// judgeFrame, judgeFrameVerdict, judgeFrames (array input in batches of 1, 7
// and 4096, packed input in batches of 7 and all at once), judgeTuple and
// judgeTuples (tuples of the IP packets, frames for the rest, on one filter),
// judgeInPlace (frames written into an in-place batch: parts of 7, 4096 and
// all) —
// one fresh filter per call sequence, every packet in capture order. Every
// packet's verdict, deciding reason and deciding rule must be the reference's;
// judgeFrame's and judgeTuple's whole decisions must give the reference's line.
// The captures (counted with the reference decoder): 431 huawei, 50000 frames,
// 3420 ICMP errors, 4126 fragments, 13597 IPv6, 6921 VLAN-tagged, 158 non-IP,
// 36075 allowed, 7474 decided by a rule; 432 aliyun-advanced with a 512-entry
// conntrack, 2966 ICMP errors, 4151 fragments, 13704 IPv6, 7608 VLAN, 182
// non-IP, 20205 allowed, 3103 by a rule, 8339 conntrack-full. ~10 s for both.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFilter, replay, type Decision, type PacketTuple } from '../../src/index.js';
import { decisionLine } from '../../src/model/decision.js';
import { generateTopology } from '../../src/gen/index.js';
import { decodeFrame } from '../../src/pcap/decode.js';
import { frameTime, readAll } from '../../src/pcap/reader.js';
import { tupleOfRecord } from '../../src/replay/tuple.js';
import { topology as parsed } from '../helpers/scenario.js';
import { captureFor } from './helpers.js';
import { checkBatch, expected, fillInPlace, packed } from './library-check.js';

const t = suite('library at scale: every call == replay --engine reference, packet by packet');
const dir = mkdtempSync(join(tmpdir(), 'sgf-library-scale-'));
const FRAMES = 50_000;
const RICH = {
  packets: FRAMES,
  packetsPerFlow: 6,
  ipv6Share: 0.35,
  vlanShare: 0.15,
  fragmentShare: 0.12,
  idleShare: 0.05,
  arpShare: 0.01,
  routers: 2,
  mix: { tcp: 40, udp: 20, echo: 8, 'icmp-error': 30, gre: 1, other: 1 },
};

interface Frame {
  data: Uint8Array;
  ts: bigint;
  tsText: string;
  linktype: number;
}

async function scaleCase(cloud: 'huawei' | 'aliyun-advanced', seed: number, conntrackCapacity: number): Promise<void> {
  const doc = generateTopology({ seed, cloud, interfaces: 6, rulesPerGroup: 10, ipv6Share: 0.4 });
  const topology = parsed(doc);
  const bytes = captureFor(doc, { seed, ...RICH });
  const pcap = join(dir, `${cloud}-${seed}.pcap`);
  writeFileSync(pcap, bytes);
  const decisionsPath = join(dir, `${cloud}-${seed}.jsonl`);
  const ref = await replay(topology, pcap, { engine: 'reference', decisionsPath, conntrackCapacity });
  const lines = readFileSync(decisionsPath, 'utf8').trimEnd().split('\n');
  const { frames: captured, summary } = readAll(bytes);
  const frames: Frame[] = captured.map((fr) => ({ data: fr.data, linktype: fr.linktype, ...frameTime(summary.interfaces, fr.ifaceIndex, fr.tsA, fr.tsB) }));
  assert.is(ref.packets, FRAMES, `${cloud} ${seed}: the reference judged ${FRAMES} packets`);
  assert.is(lines.length, FRAMES, 'one reference line per packet');
  assert.is(frames.length, FRAMES, 'the capture has as many frames');
  assert.ok(frames.every((fr) => fr.linktype === 1), 'Ethernet frames (one linktype per batch call)');
  const want = expected(topology, lines.map((line, i) => {
    const d = JSON.parse(line) as Decision & { n: number };
    assert.is(d.n, i + 1, 'the reference lines are in packet order');
    return d;
  }));

  // The capture is rich in what it claims (counted by the reference decoder, not the library).
  const records = frames.map((fr) => decodeFrame(fr.linktype, fr.data, fr.ts));
  const count = (p: (r: (typeof records)[number]) => boolean) => records.filter(p).length;
  const icmpErrors = count((r) => r.quoted !== undefined);
  const fragments = count((r) => r.fragOffset !== undefined && (r.fragOffset > 0 || r.moreFragments === true));
  const v6 = count((r) => r.family === 6);
  const vlan = frames.filter((fr) => [0x8100, 0x88a8].includes((fr.data[12]! << 8) | fr.data[13]!)).length; // the outer Ethernet type
  const nonIp = count((r) => r.family === undefined);
  const allowed = want.verdicts.reduce((a, v) => a + v, 0);
  const byRule = want.rules.filter((r) => r >= 0).length;
  for (const [what, n, least] of [['ICMP errors', icmpErrors, 2000], ['fragments', fragments, 3000], ['IPv6', v6, 10000], ['VLAN-tagged', vlan, 5000], ['non-IP', nonIp, 100], ['allowed', allowed, 15000], ['denied', FRAMES - allowed, 10000], ['decided by a rule', byRule, 2000]] as const) {
    assert.ok(n >= least, `${cloud} ${seed}: ${what}: ${n} packets, at least ${least}`);
  }
  if (conntrackCapacity < 4096) assert.ok(ref.conntrack.full > 0, 'conntrack-full decisions among them');

  const options = { conntrackCapacity };
  const ts = BigInt64Array.from(frames, (fr) => fr.ts);

  // judgeFrame: the whole decision, as the reference's line.
  const single = createFilter(topology, options);
  frames.forEach((fr, i) => {
    const line = decisionLine(i + 1, fr.tsText, single.judgeFrame(fr.data, fr.ts, fr.linktype));
    if (line !== lines[i]) assert.is(line, lines[i], `${cloud} ${seed} judgeFrame packet ${i + 1}`);
  });

  const lean = createFilter(topology, options);
  frames.forEach((fr, i) => {
    const v = lean.judgeFrameVerdict(fr.data, fr.ts, fr.linktype);
    if (v !== want.verdicts[i]) assert.is(v, want.verdicts[i], `${cloud} ${seed} judgeFrameVerdict packet ${i + 1} (${lines[i]})`);
  });

  for (const [size, form] of [[1, 'array'], [7, 'array'], [4096, 'array'], [7, 'packed'], [FRAMES, 'packed']] as const) {
    const f = createFilter(topology, options);
    for (let at = 0; at < FRAMES; at += size) {
      const part = frames.slice(at, at + size);
      const r = f.judgeFrames(form === 'packed' ? packed(part.map((fr) => fr.data)) : part.map((fr) => fr.data), ts.subarray(at, at + part.length));
      assert.is(r.count, part.length);
      checkBatch(f, r, want, at, `${cloud} ${seed} judgeFrames ${form}, batches of ${size}, at ${at}`);
    }
  }

  // judgeInPlace: the frames written into one in-place batch, filled again for each part (its views taken
  // again after every call: judging may grow the memory), in parts of 7 and 4096, and all at once (more than
  // the 8192 frames of one WASM entry). (Number timestamps: library.test.ts; these are present-day ns, past 2^53.)
  const total = frames.reduce((n, fr) => n + fr.data.length, 0);
  for (const size of [7, 4096, FRAMES]) {
    const f = createFilter(topology, options);
    const batch = f.createInPlaceBatch({ frames: size, bytes: size === FRAMES ? total : 1 << 20 });
    for (let at = 0; at < FRAMES; at += size) {
      const part = frames.slice(at, at + size);
      const r = f.judgeInPlace(batch, fillInPlace(batch, part));
      assert.is(r.count, part.length);
      checkBatch(f, r, want, at, `${cloud} ${seed} judgeInPlace, parts of ${size}, at ${at}`);
    }
  }

  // judgeTuple / judgeTuples: the IP packets as tuples, the rest as frames, on one filter each.
  const tuples = records.map(tupleOfRecord);
  const ipPackets = tuples.filter((x) => x !== null).length;
  assert.ok(ipPackets > FRAMES - nonIp - 10 && ipPackets < FRAMES, `tuples for the IP packets (${ipPackets})`);
  const byTuple = createFilter(topology, options);
  frames.forEach((fr, i) => {
    const tu = tuples[i];
    const d = tu ? byTuple.judgeTuple(tu, fr.ts) : byTuple.judgeFrame(fr.data, fr.ts, fr.linktype);
    const line = decisionLine(i + 1, fr.tsText, d);
    if (line !== lines[i]) assert.is(line, lines[i], `${cloud} ${seed} judgeTuple packet ${i + 1} ${JSON.stringify(tu, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  });
  const batched = createFilter(topology, options);
  for (let at = 0; at < FRAMES;) {
    if (tuples[at] === null) {
      const v = batched.judgeFrameVerdict(frames[at]!.data, frames[at]!.ts);
      assert.is(v, want.verdicts[at], `${cloud} ${seed} judgeTuples run: frame ${at + 1}`);
      at++;
      continue;
    }
    let end = at;
    while (end < FRAMES && end - at < 7 && tuples[end] !== null) end++;
    checkBatch(batched, batched.judgeTuples(tuples.slice(at, end) as PacketTuple[], ts.subarray(at, end)), want, at, `${cloud} ${seed} judgeTuples of ${end - at} at ${at}`);
    at = end;
  }
}

t(`seed 431, huawei: ${FRAMES} frames, judgeFrame / judgeFrameVerdict / judgeFrames (1, 7, 4096, packed 7 and all) / judgeTuple(s) == reference`, async () => {
  await scaleCase('huawei', 431, 1 << 16);
});

t(`seed 432, aliyun-advanced with a 512-entry conntrack (conntrack-full): ${FRAMES} frames, every call == reference`, async () => {
  await scaleCase('aliyun-advanced', 432, 512);
});

t.run();
