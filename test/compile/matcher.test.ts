/**
 * One way a table enters a WASM instance (compile/matcher.ts loadTableInto):
 * the matchers' WasmTable and the replay engine refuse a table the module
 * refuses with the same TableError naming what is wrong. Before, the replay
 * engine had its own copy of that code and said only "status -1".
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileTopology } from '../../src/compile/compile.js';
import { HEADER, TABLE_ERROR, TableError } from '../../src/compile/format.js';
import { loadTableInto, WasmTable } from '../../src/compile/matcher.js';
import { Table } from '../../src/compile/table.js';
import { WasmEngine } from '../../src/replay/wasm-engine.js';
import { WasmInstance } from '../../src/wasm/loader.js';
import { treeTopology } from './helpers.js';

const topology = treeTopology();
const compiled = compileTopology(topology);

function refusal(fn: () => unknown): TableError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, TableError);
    return e as TableError;
  }
  assert.unreachable('the table was accepted');
  throw new Error('unreachable');
}

test('a good table loads through loadTableInto, WasmTable and the replay engine', () => {
  const wasm = new WasmInstance();
  const ptr = loadTableInto(wasm, compiled.bytes, 't');
  assert.ok(ptr % 64 === 0, `64-byte aligned (${ptr})`);
  assert.equal(wasm.u8().slice(ptr, ptr + compiled.bytes.length), compiled.bytes);
  new WasmTable(new WasmInstance(), Table.fromCompiled(compiled));
  new WasmEngine(topology, compiled);
});

test('a table the module refuses (magic, length) gets the same error from the engine and the host loader', () => {
  // The module's own header check (tableStatus), reached without the host's validateTable.
  const badMagic = compiled.bytes.slice();
  badMagic[HEADER.MAGIC] ^= 0xff;
  const badLength = compiled.bytes.slice();
  new DataView(badLength.buffer).setUint32(HEADER.LENGTH, badLength.length + 16, true);
  for (const [bytes, why] of [[badMagic, 'bad magic'], [badLength, 'length mismatch']] as const) {
    const a = refusal(() => loadTableInto(new WasmInstance(), bytes, 'x.sgft'));
    assert.is(a.code, TABLE_ERROR.SECTION);
    assert.is(a.message, `x.sgft: the WASM matcher refuses the table (${why})`);
    const b = refusal(() => new WasmEngine(topology, { ...compiled, bytes }));
    assert.is(b.code, TABLE_ERROR.SECTION);
    assert.match(b.message, `the WASM matcher refuses the table (${why})`);
  }
  const badVersion = compiled.bytes.slice();
  new DataView(badVersion.buffer).setUint32(HEADER.VERSION, 99, true);
  assert.is(refusal(() => new WasmEngine(topology, { ...compiled, bytes: badVersion })).code, TABLE_ERROR.VERSION);
});

test.run();
