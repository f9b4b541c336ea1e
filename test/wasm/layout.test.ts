/**
 * The host <-> WASM layouts (layout/layouts.json): the generated files are
 * what the spec gives, every host constant equals the module's own exported
 * value (release and debug builds), the loader refuses a module built from
 * other layouts, and the generator refuses a spec whose fields do not tile.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WasmInstance, WasmLoadError, compileModule } from '../../src/wasm/loader.js';
import { DECISION, DESC, HOP, LAYOUT_CONSTANTS, LAYOUT_HASH, REC, TALLY } from '../../src/wasm/layout.js';
import * as format from '../../src/compile/format.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

test('the generated layout files are up to date with layout/layouts.json', () => {
  const r = spawnSync(process.execPath, [join(root, 'layout', 'generate.mjs'), '--check'], { encoding: 'utf8' });
  assert.is(r.stderr, '');
  assert.is(r.status, 0);
});

test('the typed exports (src/wasm/exports.ts) are up to date with the module asc built', () => {
  const r = spawnSync(process.execPath, [join(root, 'layout', 'exports.mjs'), '--check'], { encoding: 'utf8' });
  assert.is(r.stderr, '');
  assert.is(r.status, 0);
});

for (const flavour of ['release', 'debug'] as const) {
  test(`every host layout constant equals the ${flavour} module's export`, () => {
    const inst = new WasmInstance(flavour);
    const raw = new WebAssembly.Instance(compileModule(flavour), { env: { memory: inst.memory, abort: () => {}, seed: () => 0 } }).exports;
    assert.ok(LAYOUT_CONSTANTS.length > 150, `${LAYOUT_CONSTANTS.length} constants`);
    for (const [name, value] of LAYOUT_CONSTANTS) {
      const g = raw[name] as { value?: unknown } | undefined;
      assert.type(g?.value, 'number', `${name} is an exported global`);
      // Both read as u32: an i32 status (-1) and a u32 all-ones constant compare by their bits.
      assert.is((g!.value as number) >>> 0, value >>> 0, name);
    }
    assert.is(inst.exports.layoutHash() >>> 0, LAYOUT_HASH);
  });
}

test('the compiled table format and the classifier tuple are in the spec: format.ts names the generated numbers, the module agrees', () => {
  const names = new Set(LAYOUT_CONSTANTS.map(([n]) => n));
  // The names assembly/classify.ts reads (generated into assembly/layout.ts), checked above against the module.
  for (const n of ['TABLE_MAGIC', 'TABLE_VERSION', 'TBH_N_SECTIONS', 'TSE_KIND', 'TLE_V6', 'TC_LEAVES_OFF', 'TC_GUARD_OFF', 'TC_N_GUARDS', 'TGU_KEY_OFF', 'TGU_LO', 'TGU_SPAN', 'TGU_SIZE', 'TN_LEAF_THRESHOLD', 'TN_KEY_MASK', 'TLF_FIRST', 'TLF_COUNT', 'TG_DIM', 'TGD_LO', 'TGD_SPAN', 'TGS_SIZE', 'TR_CONS', 'TRC_KEY_OFF', 'TRC_LO', 'TRC_SPAN', 'TSET_BITMAPS_OFF', 'T_LIST', 'T_NO_PORT', 'SECTION_LISTS', 'TABLE_OK', 'TABLE_NO_LISTS', 'RESULT_BAD_LIST', 'TBE_NO_LIST']) {
    assert.ok(names.has(n), `${n} is not a layout constant`);
  }
  // The format as docs/table-format.md draws it (not read back from the generated file).
  assert.is(format.TABLE_MAGIC, 0x54464753);
  assert.is(format.TABLE_VERSION, 5);
  assert.equal({ ...format.HEADER }, { MAGIC: 0, VERSION: 4, LENGTH: 8, CHECKSUM: 12, N_SECTIONS: 16, FLAGS: 20, SIZE: 32 });
  assert.equal({ ...format.SECTION_ENTRY }, { KIND: 0, OFFSET: 4, LENGTH: 8, COUNT: 12, SIZE: 16 });
  assert.equal({ ...format.SECTION }, { LISTS: 1, BINDINGS: 2, META: 3, CLASSIFIERS: 4 });
  assert.equal({ ...format.LIST_ENTRY }, { RULE_COUNT: 0, V4: 4, V6: 8, SIZE: 16 });
  assert.is(format.NO_LIST, 0xffffffff);
  assert.equal({ ...format.CLASSIFIER }, { FAMILY: 0, RECORDS_OFF: 4, N_RECORDS: 8, SETS_OFF: 12, N_TREES: 16, TREES_OFF: 20, NODES_OFF: 24, LEAVES_OFF: 28, NODE_COUNT: 32, LEAF_BYTES: 36, LEAF_INFO_OFF: 40, WALK_STEPS: 44, GUARD_OFF: 48, N_GUARDS: 52, GROUP_FORM: 56, SIZE: 64 });
  assert.equal({ ...format.GUARD }, { KEY_OFF: 0, LO: 4, SPAN: 8, SIZE: 12 });
  assert.equal({ ...format.TREE_ENTRY }, { MIN_POS: 0, ROOT: 4, STEPS: 8, SIZE: 12 });
  assert.equal({ ...format.NODE }, { THRESHOLD: 0, META: 4, SIZE: 8, KEY_BITS: 6, KEY_MASK: 63, LEAF_THRESHOLD: 0xffffffff, MAX_CHILD: (1 << 26) - 1 });
  assert.equal({ ...format.LEAF_ENTRY }, { FIRST: 0, COUNT: 4, SIZE: 8 });
  assert.equal({ ...format.LEAF_GROUP }, { POS: 0, N_DIMS: 16, HAS_SET: 17, KEY_OFFS: 18, HEAD: 32, DIM: 32, MAX_DIMS: 14 });
  assert.equal({ ...format.LEAF_DIM }, { LO: 0, SPAN: 16, SIZE: 32 });
  assert.equal({ ...format.LEAF_SETS }, { SET1: 0, SIZE: 16 });
  assert.equal({ ...format.RECORD }, { POS: 0, META: 4, HEAD: 8, CONS: 12, MAX_CONS: 255, MAX_SET: (1 << 24) - 2 });
  assert.equal({ ...format.CONSTRAINT }, { KEY_OFF: 0, LO: 4, SPAN: 8, SIZE: 12 });
  assert.equal({ ...format.SETS }, { N_INTERVALS: 0, WORDS_PER_CLASS: 4, STARTS_OFF: 8, CLASS_OFF: 12, BITMAPS_OFF: 16, SIZE: 32 });
  assert.equal({ ...format.TUPLE }, { REMOTE: 0, LOCAL: 16, SPORT: 32, DPORT: 36, PROTO: 40, FAMILY: 44, LIST: 48, SIZE: 64, NO_PORT: 65536 });
  assert.equal({ ...format.TABLE_STATUS }, { OK: 0, BAD_MAGIC: -1, BAD_VERSION: -2, BAD_LENGTH: -3, NO_LISTS: -4 });
  // The module's own answer for the version handshake.
  assert.is(new WasmInstance('release').exports.classifierTableVersion(), format.TABLE_VERSION);
});

test('layout facts the code relies on (from the spec text: docs/replay.md, docs/pcap.md)', () => {
  assert.is(REC.SIZE, 128);
  assert.is(DESC.BYTES, DESC.WORDS * 4);
  // Two hops fit in a decision record after its 4 header bytes.
  assert.ok(DECISION.HOP0 + DECISION.MAX_HOPS * HOP.SIZE <= DECISION.SIZE);
  // The tally's reason counters: 5 packet reasons, then 7 hop reasons from HOP_BASE.
  assert.ok(TALLY.HOP_BASE >= 5 && TALLY.HOP_BASE + 7 <= TALLY.N_REASONS);
  assert.is(TALLY.IFACES, TALLY.REASONS + TALLY.N_REASONS * 8);
  // The engine's scratch lies in the record's last 16 bytes, after every decoded field.
  assert.ok(REC.X_SHARD >= REC.LEN + 4 && REC.X_OWNER_B + 4 <= REC.SIZE);
});

/** A minimal module exporting layoutHash() = `hash` (and nothing else). */
function moduleWithHash(hash: number): Uint8Array {
  const leb = (n: number) => {
    const out: number[] = [];
    let v = n | 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) return [...out, b];
      out.push(b | 0x80);
    }
  };
  const body = [0x00, 0x41, ...leb(hash), 0x0b];
  const name = [...Buffer.from('layoutHash')];
  const section = (id: number, bytes: number[]) => [id, bytes.length, ...bytes];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 0, 1, 0x7f]),
    ...section(3, [1, 0]),
    ...section(7, [1, name.length, ...name, 0, 0]),
    ...section(10, [1, body.length, ...body]),
  ]);
}

test('the loader refuses a module built from other layouts, naming both hashes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgf-layout-'));
  const saved = process.env.SGFILTER_WASM_DIR;
  try {
    process.env.SGFILTER_WASM_DIR = dir;
    const other = (LAYOUT_HASH ^ 0x5a5a5a5a) >>> 0;
    writeFileSync(join(dir, 'sgfilter.wasm'), moduleWithHash(other));
    try {
      new WasmInstance('release');
      assert.unreachable('a module with another layout hash was accepted');
    } catch (err) {
      assert.instance(err, WasmLoadError);
      const msg = (err as Error).message;
      assert.ok(msg.includes(`layout hash 0x${other.toString(16).padStart(8, '0')}`), msg);
      assert.ok(msg.includes(`expects 0x${LAYOUT_HASH.toString(16).padStart(8, '0')}`), msg);
      assert.ok(msg.includes('npm run build'), msg);
    }
  } finally {
    if (saved === undefined) delete process.env.SGFILTER_WASM_DIR;
    else process.env.SGFILTER_WASM_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the generator refuses fields that overlap or leave a gap, naming the field', async () => {
  const gen = (await import(pathToFileURL(join(root, 'layout', 'generate.mjs')).href)) as { load: (text: string) => unknown; layoutHash: (spec: unknown) => number };
  const spec = JSON.parse(readFileSync(join(root, 'layout', 'layouts.json'), 'utf8')) as { structs: { name: string; fields: [string, number, string, string][] }[] };
  assert.is(gen.layoutHash(gen.load(JSON.stringify(spec))), LAYOUT_HASH);
  const bad = structuredClone(spec);
  const rec = bad.structs.find((s) => s.name === 'record')!;
  rec.fields[4]![1] = 42; // PROTO moved: a gap after FAMILY (40, 1 byte)
  assert.throws(() => gen.load(JSON.stringify(bad)), /record.*PROTO.*offset 42, but the previous field ends at 41/);
  const renamed = structuredClone(spec);
  renamed.structs.find((s) => s.name === 'hop')!.fields[1]![0] = 'DIRECTION';
  assert.is.not(gen.layoutHash(gen.load(JSON.stringify(renamed))), LAYOUT_HASH, 'the hash covers names');
});

test.run();
