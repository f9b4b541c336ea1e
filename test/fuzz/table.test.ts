/**
 * The compiled-table loader under crafted damage (fast-check): words of real
 * compiled tables overwritten with small numbers, in-table offsets, node
 * indices or random values, and the checksum recomputed (so only the content
 * checks of src/compile/validate.ts stand between the bytes and the
 * matcher). Every table either is refused with a TableError or loads, and a
 * table that loads is safe: both WASM matchers return for a batch of random
 * tuples (no hang, no trap) with every result -2, -1 or a position of the
 * tuple's list. Budget: test/helpers/fuzz.ts (3 s under npm test, `npm run fuzz`'s
 * budget under it).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { compileTopology } from '../../src/compile/compile.js';
import { HEADER, TableError, fnv1a } from '../../src/compile/format.js';
import { TupleBatch, WasmTable } from '../../src/compile/matcher.js';
import { Table } from '../../src/compile/table.js';
import { parseNativeTopology, type NativeTopology } from '../../src/parse/native.js';
import { WasmInstance } from '../../src/wasm/loader.js';
import { topologyArb } from '../helpers/arbitraries.js';
import { fuzzBudgetMs } from '../helpers/fuzz.js';
import { treeTopology } from '../compile/helpers.js';

const budgetMs = fuzzBudgetMs(3);

function seeds(): Uint8Array[] {
  const out = [compileTopology(treeTopology()).bytes, compileTopology(treeTopology(), { tree: { binth: 1 } }).bytes];
  for (const doc of fc.sample(topologyArb({ maxGroups: 3, maxRules: 12, maxInterfaces: 3 }), { numRuns: 6, seed: 7 }) as NativeTopology[]) {
    const r = parseNativeTopology(doc);
    if (r.topology) out.push(compileTopology(r.topology, { tree: { binth: 1 + (out.length % 4) } }).bytes);
  }
  return out;
}

const wasm = new WasmInstance();
const PROBES = 24;

/** Load; when it loads, both matchers must return and every answer must name a rule of the list. */
function check(bytes: Uint8Array, probeSeed: number): boolean {
  let table: Table;
  try {
    table = new Table(bytes, 'fuzz');
  } catch (e) {
    if (!(e instanceof TableError)) assert.unreachable(`a non-TableError escaped the loader: ${(e as Error).stack}`);
    return false;
  }
  const mark = wasm.mark();
  try {
    let wt: WasmTable;
    try {
      wt = new WasmTable(wasm, table);
    } catch (e) {
      assert.instance(e, TableError);
      return false;
    }
    const batch = new TupleBatch(wasm, PROBES);
    let s = probeSeed >>> 0;
    const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
    const lists: number[] = [];
    for (let i = 0; i < PROBES; i++) {
      const list = rnd() % (table.listCount + 1); // sometimes one past the end
      const family = rnd() & 1 ? 4 : 6;
      lists.push(list);
      batch.set(i, list, {
        family, proto: [6, 17, 1, 58][rnd() & 3]!, sport: rnd() & 0xffff, dport: rnd() & 3 ? rnd() & 0xffff : undefined,
        remote: family === 4 ? BigInt(rnd()) : (BigInt(rnd()) << 96n) | BigInt(rnd()),
        local: family === 4 ? BigInt(rnd()) : (BigInt(rnd()) << 96n) | BigInt(rnd()),
      } as Parameters<TupleBatch['set']>[2]);
    }
    for (const kind of ['optimized', 'linear'] as const) {
      for (const n of [PROBES, 5]) {
        batch.run(wt, kind, n);
        const r = batch.results(n);
        for (let i = 0; i < n; i++) {
          const list = lists[i]!;
          const ok = list >= table.listCount ? r[i] === -2 : r[i]! >= -1 && r[i]! < table.ruleCount(list);
          assert.ok(ok, `${kind}: result ${r[i]} for a tuple of list ${list} (${table.listCount} lists)`);
        }
      }
    }
    return true;
  } finally {
    wasm.reset(mark);
  }
}

test('crafted tables with a recomputed checksum: refused with a TableError, or they load and the matchers return', () => {
  const base = seeds();
  assert.ok(base.length >= 5);
  for (const b of base) assert.ok(check(b.slice(), 1), 'every unmodified table loads');
  const mutation = fc.record({
    seed: fc.nat(base.length - 1),
    writes: fc.array(fc.record({
      at: fc.nat(),
      kind: fc.constantFrom('small', 'offset', 'index', 'any', 'delta'),
      v: fc.nat(),
      d: fc.integer({ min: -64, max: 64 }),
    }), { minLength: 1, maxLength: 4 }),
    probe: fc.nat(),
  });
  const deadline = Date.now() + budgetMs;
  let runs = 0;
  let loaded = 0;
  while (Date.now() < deadline || runs === 0) {
    fc.assert(fc.property(mutation, ({ seed, writes, probe }) => {
      const b = base[seed]!.slice();
      const dv = new DataView(b.buffer);
      const words = b.length >> 2;
      for (const w of writes) {
        const at = 16 + (w.at % (words - 4)) * 4; // after magic, version, length, checksum
        const old = dv.getUint32(at, true);
        const v = w.kind === 'small' ? w.v % 70
          : w.kind === 'offset' ? (w.v % b.length) & ~3
          : w.kind === 'index' ? (w.v % 512) * 64 + (old & 63)
          : w.kind === 'delta' ? old + w.d
          : w.v;
        dv.setUint32(at, v >>> 0, true);
      }
      dv.setUint32(HEADER.CHECKSUM, fnv1a(b, 16, b.length), true);
      if (check(b, probe)) loaded++;
    }), { numRuns: 200 });
    runs += 200;
  }
  assert.ok(runs >= 200);
  // Not an assertion of rates: only that both outcomes were exercised.
  assert.ok(loaded > 0, 'some mutated tables load (the property then checks the matchers)');
});

test.run();
