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
      assert.is((g!.value as number) >>> 0, value, name);
    }
    assert.is(inst.exports.layoutHash() >>> 0, LAYOUT_HASH);
  });
}

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
