// Decisions without an object per packet (issue 11): the fast JSON-lines
// writer and the binary decisions format. Expected bytes come from the
// reference engine's JSON lines (decisionLine over its §9 objects) and from
// the timestamp text of src/pcap/timestamp.ts, never from the writer itself.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTopology } from '../../src/gen/index.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { replay } from '../../src/replay/replay.js';
import { DREC, fillRecord, JsonlEncoder, NO_RULE, RecordFiller, recordTables, setRecordTs, type DecisionTables } from '../../src/replay/decision-format.js';
import { compileTopology } from '../../src/compile/compile.js';
import { WasmEngine } from '../../src/replay/wasm-engine.js';
import { WasmCaptureStream } from '../../src/replay/stream.js';
import { convertDecisions, DECISIONS_ERROR, DecisionsFileError, readDecisions, readDecisionsHeader } from '../../src/replay/decision-file.js';
import { OutputFile } from '../../src/replay/output.js';
import { DecisionWriter } from '../../src/replay/decision-writer.js';
import { encodeDecisionsHeader } from '../../src/replay/decision-file.js';
import { TS_KIND } from '../../src/pcap/format.js';
import { tsText, tsToNs, type TsClock } from '../../src/pcap/timestamp.js';
import type { CaptureInterface } from '../../src/pcap/scanner.js';
import { topology as parsed } from '../helpers/scenario.js';
import { fixturesDir } from '../helpers/corpus.js';
import { cli } from '../helpers/cli.js';
import { propertyRuns } from '../helpers/fuzz.js';
import { captureFor } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sgf-decisions-'));
const t = suite('decisions: fast JSON lines and the binary format');

/** The binary file `bin` converted to JSON lines (through convertDecisions). */
function converted(bin: string, name: string): string {
  const path = join(dir, `${name}.converted.jsonl`);
  const out = new OutputFile(path);
  try {
    convertDecisions(bin, out);
  } finally {
    out.close();
  }
  return readFileSync(path, 'utf8');
}

const caps = join(fixturesDir(), 'captures');
const fixtures = readdirSync(caps).filter((f) => /\.pcap(ng)?$/.test(f));

t('every fixture capture: JSON lines (workers 0, 2) and binary -> JSON lines equal the reference engine\'s JSON lines', async () => {
  assert.ok(fixtures.length >= 6, fixtures.join(' '));
  for (const f of fixtures) {
    const name = f.replace(/\.pcap(ng)?$/, '');
    const topo = loadTopologyFile(join(caps, `${name}.topology.json`)).topology;
    const pcap = join(caps, f);
    const refPath = join(dir, `${name}.ref.jsonl`);
    const ref = await replay(topo, pcap, { engine: 'reference', decisionsPath: refPath });
    const expected = readFileSync(refPath, 'utf8');
    assert.is(expected.split('\n').length - 1, ref.packets, name);
    // The reference engine's binary file (its own writer path) on two fixtures; every fixture through the WASM engine.
    let refBinBytes: Buffer | undefined;
    if (name === 'huawei-mixed' || name === 'aliyun-advanced-small') {
      const refBin = join(dir, `${name}.ref.bin`);
      const rb = await replay(topo, pcap, { engine: 'reference', decisionsPath: refBin, decisionsFormat: 'binary' });
      assert.equal(rb.decisions, { path: refBin, complete: true, lines: ref.packets, packets: ref.packets }, `${name}: reference, binary`);
      assert.ok(converted(refBin, `${name}.ref`) === expected, `${name}: the reference engine's binary file differs from its JSON lines`);
      refBinBytes = readFileSync(refBin);
    }
    const jsonl = join(dir, `${name}.w2.jsonl`);
    await replay(topo, pcap, { workers: 2, decisionsPath: jsonl, batchSize: 1000 });
    assert.ok(readFileSync(jsonl, 'utf8') === expected, `${name}, 2 workers: JSON lines differ from the reference engine's`);
    const bins: Buffer[] = [];
    for (const workers of [0, 2]) {
      const bin = join(dir, `${name}.w${workers}.bin`);
      const r = await replay(topo, pcap, { workers, decisionsPath: bin, decisionsFormat: 'binary', batchSize: 1000 });
      assert.is(r.decisions!.lines, ref.packets);
      assert.ok(converted(bin, `${name}.w${workers}`) === expected, `${name}, ${workers} workers: binary -> JSON lines differs`);
      bins.push(readFileSync(bin));
    }
    assert.ok(bins[0]!.equals(bins[1]!), `${name}: the binary files of 0 and 2 workers differ`);
    if (refBinBytes) assert.ok(bins[0]!.equals(refBinBytes), `${name}: the WASM engine's binary file differs from the reference engine's`);
  }
});

t('readDecisions yields the reference engine\'s §9 objects, n and ts', async () => {
  const name = 'huawei-mixed';
  const lines = readFileSync(join(dir, `${name}.ref.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { n: number; ts: string; verdict: string });
  let i = 0;
  for await (const { n, tsText: ts, decision } of readDecisions(join(dir, `${name}.w0.bin`))) {
    const { n: en, ts: ets, ...d } = lines[i++]!;
    assert.is(n, en);
    assert.is(ts, ets);
    assert.equal(JSON.parse(JSON.stringify(decision)), d, `packet ${n}`);
  }
  assert.is(i, lines.length);
  const h = readDecisionsHeader(join(dir, `${name}.w0.bin`));
  const topo = loadTopologyFile(join(caps, `${name}.topology.json`)).topology;
  assert.equal(h.tables.interfaces, topo.interfaces.map((x) => x.id));
  assert.equal(h.tables.verdicts, ['deny', 'allow']);
});

t('a generated capture crossing shards (ICMP errors, fragments, IPv6, pcapng ns): 3 workers, binary and JSON lines equal the reference', async () => {
  const doc = generateTopology({ seed: 31, cloud: 'huawei', interfaces: 10, rulesPerGroup: 12 });
  const topo = parsed(doc);
  const pcap = join(dir, 'gen.pcapng');
  writeFileSync(pcap, captureFor(doc, { seed: 31, flows: 900, packetsPerFlow: 8, fragmentShare: 0.1, idleShare: 0.05, ipv6Share: 0.4, routers: 2, nanos: true, mix: { tcp: 40, udp: 20, echo: 8, 'icmp-error': 30, gre: 1, other: 1 } }, 'pcapng'));
  const refPath = join(dir, 'gen.ref.jsonl');
  const ref = await replay(topo, pcap, { engine: 'reference', decisionsPath: refPath });
  assert.ok(ref.packets > 6000, String(ref.packets));
  const expected = readFileSync(refPath, 'utf8');
  for (const [workers, batchSize] of [[3, 333], [1, 8192]] as const) {
    const bin = join(dir, `gen.${workers}.bin`);
    await replay(topo, pcap, { workers, batchSize, decisionsPath: bin, decisionsFormat: 'binary' });
    assert.ok(converted(bin, `gen.${workers}`) === expected, `${workers} workers, batch ${batchSize}`);
  }
});

let tsOut = '';
let tsEncoder: JsonlEncoder | undefined;
/** One record with a timestamp from (clock, a, b), encoded (by one encoder, which keeps its caches between records): its "ts" text. */
function encodedTs(clock: TsClock, a: number, b: number, tables: DecisionTables): string {
  const dv = new DataView(new ArrayBuffer(DREC.SIZE));
  dv.setUint32(DREC.N, 1, true);
  setRecordTs(dv, 0, { clock } as CaptureInterface, a, b);
  dv.setUint8(DREC.REASON, 1);
  tsOut = '';
  tsEncoder ??= new JsonlEncoder(tables, (bytes) => (tsOut += Buffer.from(bytes).toString('utf8')));
  tsEncoder.encode(dv, 0, 1);
  tsEncoder.flush();
  return (JSON.parse(tsOut) as { ts: string }).ts;
}

const tables: DecisionTables = { verdicts: ['deny', 'allow'], dirs: ['ingress', 'egress'], packetReasons: ['', 'unmanaged'], hopReasons: ['rule'], interfaces: ['eni-"1"\u00e9'], rules: [['g', 'r\n']] };

t('timestamps: the record holds the capture\'s text exactly, for every clock (property, against tsText)', () => {
  const clock = fc.oneof(
    fc.constant<TsClock>({ kind: TS_KIND.PAIR_US, exp: 6, offset: 0n }),
    fc.constant<TsClock>({ kind: TS_KIND.PAIR_NS, exp: 9, offset: 0n }),
    fc.record({ kind: fc.constant(TS_KIND.DEC), exp: fc.integer({ min: 0, max: 19 }), offset: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) }) as fc.Arbitrary<TsClock>,
    fc.record({ kind: fc.constant(TS_KIND.BIN), exp: fc.integer({ min: 0, max: 63 }), offset: fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }) }) as fc.Arbitrary<TsClock>,
  );
  const word = fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0, 999999, 1000000, 999999999, 1000000000, 0xffffffff));
  fc.assert(
    fc.property(clock, word, word, (c, a, b) => {
      assert.is(encodedTs(c, a, b, tables), tsText(c, a, b, tsToNs(c, a, b)));
    }),
    propertyRuns(500),
  );
});

t('strings that need escaping, and rule hops, encode as JSON.stringify does', () => {
  const dv = new DataView(new ArrayBuffer(DREC.SIZE * 2));
  for (let r = 0; r < 2; r++) {
    const at = r * DREC.SIZE;
    dv.setUint32(at + DREC.N, r + 7, true);
    dv.setUint8(at + DREC.TS_DIGITS, 0);
    dv.setUint8(at + DREC.VERDICT, 1);
    dv.setUint8(at + DREC.NHOPS, 2);
    for (let k = 0; k < 2; k++) {
      const h = at + DREC.HOP0 + k * 12;
      dv.setUint8(h + 4, k);
      dv.setUint32(h + 8, k === 0 ? 0 : NO_RULE, true);
    }
  }
  let out = '';
  const e = new JsonlEncoder(tables, (bytes) => (out += Buffer.from(bytes).toString('utf8')));
  e.encode(dv, 0, 2);
  e.flush();
  const hops = [{ iface: 'eni-"1"\u00e9', dir: 'ingress', verdict: 'deny', reason: 'rule', group: 'g', rule: 'r\n' }, { iface: 'eni-"1"\u00e9', dir: 'egress', verdict: 'deny', reason: 'rule' }];
  const line = (n: number) => `{"n":${n},"ts":"0","verdict":"allow","hops":${JSON.stringify(hops)}}\n`;
  assert.is(out, line(7) + line(8));
});

// Damaged files. The good file: the huawei-app fixture's decisions (binary, 2 workers).
const good = () => readFileSync(join(dir, 'huawei-app.w2.bin'));
const goodLines = () => readFileSync(join(dir, 'huawei-app.ref.jsonl'), 'utf8').split('\n').slice(0, -1);

async function damage(bytes: Uint8Array, name: string): Promise<{ error: DecisionsFileError; yielded: number; convertedLines: string[] }> {
  const path = join(dir, `${name}.bin`);
  writeFileSync(path, bytes);
  let yielded = 0;
  let error: unknown;
  try {
    for await (const _ of readDecisions(path)) yielded++;
  } catch (e) {
    error = e;
  }
  assert.instance(error, DecisionsFileError, `${name}: readDecisions throws a DecisionsFileError`);
  const outPath = join(dir, `${name}.out.jsonl`);
  const out = new OutputFile(outPath);
  let error2: unknown;
  try {
    convertDecisions(path, out);
  } catch (e) {
    error2 = e;
  } finally {
    out.close();
  }
  assert.instance(error2, DecisionsFileError, `${name}: convertDecisions throws`);
  assert.is((error2 as Error).message, (error as Error).message);
  return { error: error as DecisionsFileError, yielded, convertedLines: readFileSync(outPath, 'utf8').split('\n').slice(0, -1) };
}

t('a truncated file: every whole record before the cut is yielded and converted, then the offset of the torn record', async () => {
  const g = good();
  const h = readDecisionsHeader(join(dir, 'huawei-app.w2.bin')).headerSize;
  const k = 1234;
  const r = await damage(g.subarray(0, h + k * DREC.SIZE + 17), 'truncated');
  assert.is(r.error.code, DECISIONS_ERROR.TRUNCATED);
  assert.is(r.error.offset, h + k * DREC.SIZE);
  assert.match(r.error.message, `truncated.bin: byte ${h + k * DREC.SIZE}: the file ends 17 byte(s) into record ${k + 1} (expected 56-byte records)`);
  assert.is(r.yielded, k);
  assert.equal(r.convertedLines, goodLines().slice(0, k));
  // cut inside the header
  const inHeader = await damage(g.subarray(0, h - 3), 'header-cut');
  assert.is(inHeader.error.code, DECISIONS_ERROR.TRUNCATED);
  assert.is(inHeader.error.offset, h - 3);
  assert.is(inHeader.yielded, 0);
  // a whole number of records is not damage
  const whole = join(dir, 'whole.bin');
  writeFileSync(whole, g.subarray(0, h + k * DREC.SIZE));
  assert.equal(converted(whole, 'whole').split('\n').slice(0, -1), goodLines().slice(0, k));
});

t('not a binary file, another version, a bad header, bad records: file, byte offset and what was expected', async () => {
  const g = good();
  const h = readDecisionsHeader(join(dir, 'huawei-app.w2.bin')).headerSize;
  const jsonl = await damage(readFileSync(join(dir, 'huawei-app.ref.jsonl')), 'jsonl');
  assert.is(jsonl.error.code, DECISIONS_ERROR.BAD_MAGIC);
  assert.is(jsonl.error.offset, 0);
  assert.match(jsonl.error.message, 'expected the magic');
  const empty = await damage(new Uint8Array(0), 'empty');
  assert.is(empty.error.code, DECISIONS_ERROR.BAD_MAGIC);
  assert.match(empty.error.message, 'an empty file');
  const patch = (at: number, bytes: number[]) => {
    const b = Uint8Array.from(g);
    b.set(bytes, at);
    return b;
  };
  const v = await damage(patch(8, [2, 0]), 'version');
  assert.is(v.error.code, DECISIONS_ERROR.BAD_VERSION);
  assert.is(v.error.offset, 8);
  assert.match(v.error.message, 'version 2 (expected 1)');
  const rs = await damage(patch(10, [57, 0]), 'recsize');
  assert.is(rs.error.code, DECISIONS_ERROR.BAD_HEADER);
  assert.is(rs.error.offset, 10);
  const hs = await damage(patch(12, [0xff, 0xff, 0xff, 0x7f]), 'hdrsize');
  assert.is(hs.error.code, DECISIONS_ERROR.BAD_HEADER);
  assert.is(hs.error.offset, 12);
  // the verdicts table's first string length, made huge
  const sl = await damage(patch(24, [0xff, 0xff, 0, 0]), 'strlen');
  assert.is(sl.error.code, DECISIONS_ERROR.BAD_HEADER);
  assert.is(sl.error.offset, 24);
  assert.match(sl.error.message, 'run past the header');
  // record 10's first hop names interface 0xffff
  const at = h + 10 * DREC.SIZE;
  const rec = g.subarray(at, at + DREC.SIZE);
  const nh = rec[DREC.NHOPS]!;
  if (nh > 0) {
    const bi = await damage(patch(at + DREC.HOP0, [0xff, 0xff, 0, 0]), 'iface');
    assert.is(bi.error.code, DECISIONS_ERROR.BAD_RECORD);
    assert.is(bi.error.offset, at + DREC.HOP0);
    assert.match(bi.error.message, 'hop 0: interface index 65535 (expected below');
    assert.is(bi.yielded, 10);
    assert.equal(bi.convertedLines, goodLines().slice(0, 10));
  }
  const bv = await damage(patch(at + DREC.VERDICT, [9]), 'verdict');
  assert.is(bv.error.code, DECISIONS_ERROR.BAD_RECORD);
  assert.is(bv.error.offset, at + DREC.VERDICT);
  assert.is(bv.yielded, 10);
  // packet numbers must increase: record 10 repeats record 9's
  const prevN = g.subarray(at - DREC.SIZE, at - DREC.SIZE + 8);
  const bn = await damage(patch(at, [...prevN]), 'order');
  assert.is(bn.error.code, DECISIONS_ERROR.BAD_RECORD);
  assert.is(bn.error.offset, at);
  assert.match(bn.error.message, 'packet number 10 (expected a number above the previous record\'s 10');
});

t('sgfilter decisions: JSON lines on stdout, exit 1 with the good prefix on damage, exit 2 when unreadable', () => {
  const ok = cli(['decisions', join(dir, 'huawei-app.w2.bin')]);
  assert.is(ok.status, 0, ok.stderr);
  assert.ok(ok.stdout === readFileSync(join(dir, 'huawei-app.ref.jsonl'), 'utf8'));
  const bad = cli(['decisions', join(dir, 'truncated.bin')]);
  assert.is(bad.status, 1);
  assert.is(bad.stdout, goodLines().slice(0, 1234).join('\n') + '\n');
  assert.match(bad.stderr, /truncated\.bin: byte \d+: the file ends 17 byte\(s\) into record 1235 \(expected 56-byte records\) \[SGF_DECISIONS_TRUNCATED\]/);
  const missing = cli(['decisions', join(dir, 'missing.bin')]);
  assert.is(missing.status, 2);
  assert.match(missing.stderr, /missing\.bin: byte 0: cannot read the file/);
  const same = cli(['decisions', join(dir, 'huawei-app.w2.bin'), '--out', join(dir, 'huawei-app.w2.bin')]);
  assert.is(same.status, 2);
  assert.match(same.stderr, 'is the input');
});

/** The §9 line of a record, written out from docs/decisions.md's rule ("A JSON line is made of a record as…") with BigInt and JSON.stringify. */
function specLine(n: bigint, neg: boolean, sec: bigint, frac: bigint, digits: number, verdict: string, reason: string, hops: object[]): string {
  const ts = (neg ? '-' : '') + sec.toString() + (digits > 0 ? '.' + frac.toString().padStart(digits, '0') : '');
  return `{"n":${n},"ts":"${ts}","verdict":"${verdict}"${reason ? `,"reason":"${reason}"` : ''},"hops":${JSON.stringify(hops)}}\n`;
}

t('packet numbers and timestamps up to 2^64 - 1, any fraction digits: the lines the format defines (property)', () => {
  const u64 = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(0n, 9n, 10n, 99n, 100n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n + 1n, 10n ** 19n, 2n ** 64n - 1n));
  const rec = fc.record({ n: u64, sec: u64, neg: fc.boolean(), digits: fc.integer({ min: 0, max: 20 }), frac: u64, verdict: fc.integer({ min: 0, max: 1 }) });
  const tb: DecisionTables = { verdicts: ['deny', 'allow'], dirs: ['ingress', 'egress'], packetReasons: ['', 'unmanaged'], hopReasons: ['rule'], interfaces: ['eni-a'], rules: [] };
  fc.assert(
    fc.property(fc.array(rec, { minLength: 1, maxLength: 40 }), (recs) => {
      const dv = new DataView(new ArrayBuffer(recs.length * DREC.SIZE));
      let expected = '';
      recs.forEach((r, i) => {
        const at = i * DREC.SIZE;
        const frac = r.digits === 0 ? 0n : r.frac % 10n ** BigInt(r.digits);
        dv.setBigUint64(at + DREC.N, r.n, true);
        dv.setBigUint64(at + DREC.TS_SEC, r.sec, true);
        dv.setBigUint64(at + DREC.TS_FRAC, frac, true);
        dv.setUint8(at + DREC.TS_DIGITS, r.digits);
        dv.setUint8(at + DREC.TS_NEG, r.neg ? 1 : 0);
        dv.setUint8(at + DREC.VERDICT, r.verdict);
        dv.setUint8(at + DREC.REASON, 1);
        expected += specLine(r.n, r.neg, r.sec, frac, r.digits, tb.verdicts[r.verdict]!, 'unmanaged', []);
      });
      let out = '';
      const e = new JsonlEncoder(tb, (bytes) => (out += Buffer.from(bytes).toString('utf8')));
      e.encode(dv, 0, recs.length);
      e.flush();
      assert.is(out, expected);
    }),
    propertyRuns(100),
  );
});

t('more distinct bodies than the encoder caches, and a line longer than its buffer: every line as the format defines', () => {
  // 40,000 interfaces, one record each (a distinct body each: past the 32,768 the cache keeps), then one whose
  // interface id is 200 KB (a line longer than the 4 KiB buffer asked for), then the first ones again.
  const n = 40_000;
  const ids = Array.from({ length: n }, (_, i) => `eni-${i}`);
  ids.push('x'.repeat(200_000));
  const tb: DecisionTables = { verdicts: ['deny', 'allow'], dirs: ['ingress', 'egress'], packetReasons: [''], hopReasons: ['established', 'rule'], interfaces: ids, rules: [['sg-1', 'r-1']] };
  const order = [...ids.keys(), 0, 1, n, 2];
  const dv = new DataView(new ArrayBuffer(order.length * DREC.SIZE));
  let expected = '';
  order.forEach((iface, i) => {
    const at = i * DREC.SIZE;
    dv.setUint32(at + DREC.N, i + 1, true);
    dv.setUint32(at + DREC.TS_SEC, 1_700_000_000 + (i >> 10), true);
    dv.setUint32(at + DREC.TS_FRAC, i % 1_000_000, true);
    dv.setUint8(at + DREC.TS_DIGITS, 6);
    dv.setUint8(at + DREC.VERDICT, 1);
    dv.setUint8(at + DREC.NHOPS, 1);
    const h = at + DREC.HOP0;
    dv.setUint32(h, iface, true);
    dv.setUint8(h + 4, 1);
    dv.setUint8(h + 5, 1);
    dv.setUint8(h + 6, i % 2);
    dv.setUint32(h + 8, i % 2 ? 0 : NO_RULE, true);
    const hop = { iface: ids[iface], dir: 'egress', verdict: 'allow', reason: i % 2 ? 'rule' : 'established', ...(i % 2 ? { group: 'sg-1', rule: 'r-1' } : {}) };
    expected += specLine(BigInt(i + 1), false, BigInt(1_700_000_000 + (i >> 10)), BigInt(i % 1_000_000), 6, 'allow', '', [hop]);
  });
  const chunks: string[] = [];
  const e = new JsonlEncoder(tb, (bytes, lines) => {
    const text = Buffer.from(bytes).toString('utf8');
    assert.is(text.split('\n').length - 1, lines, 'the lines a chunk says it holds');
    chunks.push(text);
  }, 4096);
  for (let i = 0; i < order.length; i += 5000) e.encode(dv, i, Math.min(5000, order.length - i));
  e.flush();
  const out = chunks.join('');
  assert.is(out.length, expected.length);
  assert.ok(out === expected, 'the lines differ from the format\'s');
});

t('the records drecFill makes in WASM are the readable fillRecord\'s, packed, for each shard owner (pcap µs, pcapng ns, other clocks)', () => {
  const doc = generateTopology({ seed: 37, cloud: 'aliyun-basic', interfaces: 6, rulesPerGroup: 10 });
  const topo = parsed(doc);
  const compiled = compileTopology(topo);
  const rt = recordTables(topo, compiled);
  const files: string[] = [];
  for (const [format, nanos] of [['pcap', false], ['pcapng', true], ['pcapng', false]] as const) {
    const f = join(dir, `fill.${nanos ? 'ns' : 'us'}.${format}`);
    writeFileSync(f, captureFor(doc, { seed: 37, flows: 200, packetsPerFlow: 6, fragmentShare: 0.1, ipv6Share: 0.3, routers: 2, nanos, mix: { tcp: 50, udp: 20, echo: 10, 'icmp-error': 20 } }, format));
    files.push(f);
  }
  // pcapng with the interface's if_tsresol: the fixtures hold other clocks (e.g. a binary resolution) when present.
  for (const f of fixtures.filter((x) => x.endsWith('.pcapng'))) files.push(join(caps, f));
  let packets = 0;
  let host = 0;
  for (const file of files) {
    const topology = file.startsWith(caps) ? loadTopologyFile(file.replace(/\.pcapng$/, '.topology.json')).topology : topo;
    const c = topology === topo ? compiled : compileTopology(topology);
    const t2 = topology === topo ? rt : recordTables(topology, c);
    for (const owned of [0xffff, 0x00ff, 0x5555]) {
      const engine = new WasmEngine(topology, c, { shards: 16, batchCapacity: 257 });
      const filler = new RecordFiller(engine, t2, 257);
      const stream = new WasmCaptureStream(engine, file);
      const expected = new DataView(new ArrayBuffer(257 * DREC.SIZE));
      for (const { batch, interfaces } of stream.batches()) {
        engine.runPrepared(batch.count, interfaces, owned);
        const b = stream.current();
        const dv = engine.decisionView(b.count);
        let k = 0;
        for (let i = 0; i < b.count; i++) if (fillRecord(expected, k, dv, i, b.firstN + i, b, interfaces, t2)) k++;
        for (let i = 0; i < b.count; i++) if (!['PAIR_US', 'PAIR_NS'].some((kind) => interfaces[b.iface(i)]!.clock.kind === TS_KIND[kind as 'PAIR_US'])) host++;
        const got = filler.fill(engine.decisionView(b.count), b, interfaces);
        assert.is(got.byteLength, k * DREC.SIZE, `${file}, owned ${owned.toString(16)}, batch from ${b.firstN}: records`);
        const a = new Uint8Array(expected.buffer, 0, k * DREC.SIZE);
        const g = new Uint8Array(got.buffer, got.byteOffset, got.byteLength);
        if (!Buffer.from(a).equals(Buffer.from(g))) {
          const r = a.findIndex((x, j) => x !== g[j]);
          assert.unreachable(`${file}, owned ${owned.toString(16)}, batch from ${b.firstN}: record ${Math.floor(r / DREC.SIZE)}, byte ${r % DREC.SIZE} differs`);
        }
        packets += k;
      }
    }
  }
  assert.ok(packets > 5000, String(packets));
  assert.ok(host > 0, 'some packets on clocks drecFill leaves to the host');
});

t('binary writer: batches of any size (gathered small ones, large ones written at once) come out in order', () => {
  // Batch sizes as a capture's read chunks cut them: small ones gathered, then one large enough to be written at once.
  const sizes = [3, 5000, 7, 4700, 1, 6000, 2, 20000, 9];
  const total = sizes.reduce((a, b) => a + b, 0);
  const all = new DataView(new ArrayBuffer(total * DREC.SIZE));
  for (let i = 0; i < total; i++) {
    const at = i * DREC.SIZE;
    all.setUint32(at + DREC.N, i + 1, true);
    all.setUint32(at + DREC.TS_SEC, 1_700_000_000, true);
    all.setUint8(at + DREC.VERDICT, i % 2);
    all.setUint8(at + DREC.REASON, 1);
  }
  const path = join(dir, 'writer-order.bin');
  const out = new OutputFile(path);
  const w = new DecisionWriter(out, 'binary', tables);
  let first = 0;
  for (const n of sizes) {
    w.records(all, first, n);
    first += n;
  }
  w.flush();
  out.close();
  const expected = Buffer.concat([encodeDecisionsHeader(tables), new Uint8Array(all.buffer)]);
  const got = readFileSync(path);
  assert.is(got.length, expected.length);
  assert.ok(got.equals(expected), 'the records are not in the order written');
  assert.is(w.lastN, total);
});

t.run();
