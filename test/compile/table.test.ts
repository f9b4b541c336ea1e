/**
 * The table format at its edges: header, version refusal (host and WASM),
 * checksum, truncation, save/load, the directory of lists and bindings, and
 * group / address-group references compiled without a members × rules product.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileTopology } from '../../src/compile/compile.js';
import { HEADER, TABLE_MAGIC, TABLE_VERSION, TableError, TUPLE, fnv1a, validateTable } from '../../src/compile/format.js';
import { TupleBatch, WasmTable } from '../../src/compile/matcher.js';
import { Table, loadTable, saveTable } from '../../src/compile/table.js';
import { parseNativeTopology } from '../../src/parse/native.js';
import { DEFAULT_TIMEOUTS, type Rule, type Topology } from '../../src/model/topology.js';
import { WasmInstance } from '../../src/wasm/loader.js';
import type { Cidr, ParsedAddress } from '../../src/model/address.js';
import { Harness, referencePositions, type Probe } from './helpers.js';

function small(): Topology {
  const r = parseNativeTopology({
    cloud: 'huawei',
    securityGroups: [
      { id: 'sg-1', rules: [
        { direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '22', remote: '10.0.0.0/8' },
        { direction: 'egress', action: 'allow', priority: 1, protocol: 'all', ethertype: 'ipv6' },
      ] },
      { id: 'sg-2', rules: [{ direction: 'ingress', action: 'deny', priority: 1, protocol: 'udp', remote: '::/0' }] },
    ],
    interfaces: [
      { id: 'a', ips: ['10.1.0.1'], groups: ['sg-1'] },
      { id: 'b', ips: ['10.1.0.2'], groups: ['sg-1'] },
      { id: 'c', ips: ['10.1.0.3'], groups: ['sg-2', 'sg-1'] },
    ],
  });
  assert.ok(r.topology, JSON.stringify(r.issues));
  return r.topology!;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.instance(e, TableError);
    return `${(e as TableError).code}: ${(e as Error).message}`;
  }
  throw new Error('expected a TableError');
}

/** Rewrite the checksum after tampering (to get past the host check). */
function reseal(bytes: Uint8Array): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(HEADER.CHECKSUM, fnv1a(bytes, 16, bytes.length), true);
  return bytes;
}

test('header: magic, version, length, checksum; the host and the WASM module agree on the version', () => {
  const c = compileTopology(small());
  const dv = new DataView(c.bytes.buffer);
  assert.is(dv.getUint32(HEADER.MAGIC, true), TABLE_MAGIC);
  assert.is(new TextDecoder().decode(c.bytes.subarray(0, 4)), 'SGFT');
  assert.is(dv.getUint32(HEADER.VERSION, true), TABLE_VERSION);
  assert.is(dv.getUint32(HEADER.LENGTH, true), c.bytes.length);
  validateTable(c.bytes);
  const wasm = new WasmInstance();
  assert.is(wasm.exports.classifierTableVersion(), TABLE_VERSION);
  assert.is(compileTopology(small()).bytes.join(','), c.bytes.join(','), 'deterministic');
});

test('lists are shared by interfaces with the same groups; bindings map each interface and direction', () => {
  const table = Table.fromCompiled(compileTopology(small()));
  assert.is(table.listCount, 4, 'sg-1 in/out, sg-2+sg-1 in/out');
  assert.is(table.listFor('a', 'ingress'), table.listFor('b', 'ingress'));
  assert.is.not(table.listFor('a', 'ingress'), table.listFor('c', 'ingress'));
  assert.is.not(table.listFor('a', 'ingress'), table.listFor('a', 'egress'));
  const c = table.listFor('c', 'ingress')!;
  assert.is(table.ruleCount(c), 2);
  assert.equal(table.ruleAt(c, 0), ['sg-2', 'sg-2/1'], 'huawei: binding order first');
  assert.equal(table.ruleAt(c, 1), ['sg-1', 'sg-1/1']);
  assert.match(codeOf(() => table.listFor('zz', 'ingress')), 'SGF_TABLE_NO_LIST');
});

test('damaged tables are refused with the byte offset and what was expected', () => {
  const good = compileTopology(small()).bytes;
  const bad = (mutate: (b: Uint8Array) => Uint8Array) => codeOf(() => new Table(mutate(good.slice()), 'x.sgft'));
  assert.match(bad((b) => { b[0] = 0x41; return b; }), 'SGF_TABLE_BAD_MAGIC: x.sgft: byte 0: magic');
  assert.match(bad((b) => { b[4] = 9; return reseal(b); }), 'SGF_TABLE_BAD_VERSION: x.sgft: byte 4: table format version 9 does not match');
  assert.match(bad((b) => b.subarray(0, b.length - 16)), 'SGF_TABLE_BAD_LENGTH: x.sgft: byte 8:');
  assert.match(bad((b) => { b[b.length - 100]! ^= 1; return b; }), 'SGF_TABLE_BAD_CHECKSUM: x.sgft: byte 12:');
  assert.match(bad((b) => b.subarray(0, 10)), 'SGF_TABLE_BAD_LENGTH: x.sgft: 10 bytes is too short');
  assert.match(bad((b) => { new DataView(b.buffer).setUint32(HEADER.SIZE + 4, b.length, true); return reseal(b); }), 'SGF_TABLE_BAD_SECTION');
});

test('the WASM matchers refuse a table of another version (even past the host checks)', () => {
  const bytes = compileTopology(small()).bytes.slice();
  new DataView(bytes.buffer).setUint32(HEADER.VERSION, TABLE_VERSION + 1, true);
  const wasm = new WasmInstance();
  const ptr = wasm.copyIn(bytes, 64);
  assert.is(wasm.exports.tableStatus(ptr, bytes.length), -2);
  const tuples = wasm.alloc(TUPLE.SIZE, 64);
  const out = wasm.alloc(4);
  assert.is(wasm.exports.classify(ptr, tuples, 1, out), -2);
  assert.is(wasm.exports.classifyLinear(ptr, tuples, 1, out), -2);
  new DataView(wasm.memory.buffer).setUint32(ptr, 0, true);
  assert.is(wasm.exports.classify(ptr, tuples, 1, out), -1, 'bad magic');
  assert.is(wasm.exports.tableStatus(ptr, bytes.length), -1);
});

test('save and load give the same bytes and the same answers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgf-table-'));
  try {
    const c = compileTopology(small());
    const path = join(dir, 't.sgft');
    saveTable(path, c);
    assert.equal(new Uint8Array(readFileSync(path)), c.bytes);
    const loaded = loadTable(path);
    assert.equal(loaded.meta, c.meta);
    writeFileSync(join(dir, 'cut.sgft'), c.bytes.subarray(0, 40));
    assert.match(codeOf(() => loadTable(join(dir, 'cut.sgft'))), 'cut.sgft: byte 8');
    assert.match(codeOf(() => loadTable(join(dir, 'none.sgft'))), 'cannot read the table');
    const wasm = new WasmInstance();
    const wt = new WasmTable(wasm, loaded);
    const batch = new TupleBatch(wasm, 2);
    batch.set(0, loaded.listFor('a', 'ingress')!, { family: 4, proto: 6, sport: 1000, dport: 22, remote: 0x0a000001n, local: 0x0a010001n });
    batch.set(1, loaded.listFor('a', 'ingress')!, { family: 4, proto: 6, sport: 1000, dport: 23, remote: 0x0a000001n, local: 0x0a010001n });
    batch.run(wt, 'optimized', 2);
    assert.equal(Array.from(batch.results(2)), [0, -1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** 65,536 member addresses in one group, 2,000 prefixes in an address group, 200 rules using them. */
function bigSets(): Topology {
  const ips: ParsedAddress[] = Array.from({ length: 65536 }, (_, i) => ({ family: 4 as const, value: 0x0a000000n + BigInt(i * 3) }));
  ips.push({ family: 6, value: 0x20010db8000000000000000000000001n });
  const cidrs: Cidr[] = Array.from({ length: 2000 }, (_, i) => ({ family: 4 as const, network: 0xac100000n + BigInt(i * 64), prefix: 27 }));
  cidrs.push({ family: 6, network: 0x20010db8000100000000000000000000n, prefix: 48 });
  const rules: Rule[] = [];
  for (let i = 0; i < 200; i++) {
    rules.push({
      id: `r${i}`, direction: 'ingress', action: i % 3 === 0 ? 'deny' : 'allow', priority: i,
      protocol: 6, ethertype: 'any', ports: [{ from: 1000 + i, to: 1000 + i }], sourcePorts: null,
      remote: i % 2 === 0 ? { kind: 'group', group: 'sg-big' } : { kind: 'addressGroup', addressGroup: 'ag-big' },
      local: null, index: i,
    });
  }
  return {
    cloud: 'generic',
    securityGroups: [{ id: 'sg-big', type: 'basic', innerAccessPolicy: 'accept', rules }],
    addressGroups: [{ id: 'ag-big', cidrs }],
    interfaces: [
      { id: 'members', ips, groups: ['sg-big'], conntrack: { ...DEFAULT_TIMEOUTS.generic } },
      { id: 'server', ips: [{ family: 4, value: 0xc0a80001n }], groups: ['sg-big'], conntrack: { ...DEFAULT_TIMEOUTS.generic } },
    ],
    defaults: { ingress: 'deny', egress: 'deny' },
  };
}

test('65,536-member groups and 2,000-prefix address groups: no members × rules product, reference answers', () => {
  const t = bigSets();
  const c = compileTopology(t);
  // 65,536 members alone take ~0.5 MB of interval starts; a product with 200 rules would be > 100 MB.
  assert.ok(c.bytes.length < 4 * 1024 * 1024, `table is ${c.bytes.length} bytes`);
  for (const s of c.stats) assert.is(s.sets, 2, 'each classifier has the two sets once');
  const probes: Probe[] = [];
  for (let i = 0; i < 3000; i++) {
    const fam = i % 10 === 9 ? 6 : 4;
    const remote = fam === 6
      ? (i % 20 === 9 ? 0x20010db8000000000000000000000001n : 0x20010db8000100000000000000000000n + BigInt(i))
      : i % 3 === 0 ? 0x0a000000n + BigInt(i * 7) // members when i*7 % 3 == 0
        : i % 3 === 1 ? 0xac100000n + BigInt(i * 41) : BigInt(i * 977);
    probes.push({ iface: 'server', direction: 'ingress', input: { family: fam, proto: 6, sport: 40000, dport: 1000 + (i % 210), remote, local: 0xc0a80001n } });
  }
  const expected = referencePositions(t, probes);
  assert.ok(expected.filter((p) => p >= 0 && p % 2 === 0).length > 100, 'group rules match');
  assert.ok(expected.filter((p) => p % 2 === 1).length > 100, 'address-group rules match');
  const h = new Harness(t);
  assert.equal(h.run('optimized', probes), expected);
  assert.equal(h.run('linear', probes), expected);
});

test.run();
