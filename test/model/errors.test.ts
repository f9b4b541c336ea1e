/**
 * One error base and one code scheme: every error class of src/ and bench/
 * extends SgfError, and every code it can carry is SGF_<AREA>_<CONDITION>.
 * The list of classes is checked against the sources, so a new error class
 * that forgets the base fails here.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiUsageError, ERROR_AREAS, ERROR_CODE_PATTERN, hasErrorCode, InternalError, LEGACY_CODES, SgfError } from '../../src/model/errors.js';
import { PacketSpecError, parsePacketSpec } from '../../src/model/packet-spec.js';
import { EngineOptionError } from '../../src/model/shard.js';
import { PCAP_ERROR, PCAP_WARNING, PcapError } from '../../src/pcap/errors.js';
import { GEN_ERROR, GenError } from '../../src/gen/errors.js';
import { OutputError } from '../../src/replay/output.js';
import { MergeError } from '../../src/replay/merge.js';
import { DECISIONS_ERROR, DecisionsFileError } from '../../src/replay/decision-file.js';
import { TopologyError } from '../../src/parse/issues.js';
import { ClassBenchError } from '../../src/parse/classbench.js';
import { ScopeError, parseScope } from '../../src/analysis/diff.js';
import { CasesError, parseCases } from '../../src/analysis/assert.js';
import { SplitBudgetExceeded } from '../../src/analysis/space.js';
import { BenchError, type BenchErrorCode } from '../../bench/harness/errors.js';
import { ReportError } from '../../bench/report/schema.js';
import { Prng } from '../../src/gen/prng.js';
import { PcapWriter } from '../../src/pcap/writer.js';
import { secondsToNs } from '../../src/model/packet.js';
import { replay } from '../../src/replay/replay.js';
import { ReferenceEngine } from '../../src/reference/engine.js';
import { fixturesDir } from '../helpers/corpus.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { TABLE_ERROR, TableError } from '../../src/compile/format.js';
import { TreeBudgetExceeded } from '../../src/compile/tree.js';
import { WasmLoadError } from '../../src/wasm/loader.js';
import { TupleError } from '../../src/replay/tuple.js';
import { boxesOf, compileTopology } from '../../src/compile/compile.js';
import { loadTable } from '../../src/compile/table.js';
import { TupleBatch } from '../../src/compile/matcher.js';
import { WasmInstance } from '../../src/wasm/loader.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** One instance of each error class, with every code it can carry. */
const INSTANCES: [string, SgfError[]][] = [
  ['PcapError', Object.values(PCAP_ERROR).map((c) => new PcapError(c, 'x.pcap', 0, 'detail'))],
  ['GenError', Object.values(GEN_ERROR).map((c) => new GenError(c, 'm'))],
  ['EngineOptionError', [new EngineOptionError('SGF_ENGINE_BAD_OPTION', 'shards', 'm'), new EngineOptionError('SGF_ENGINE_BAD_TIMESTAMP', 'tsNs', 'm')]],
  ['PacketSpecError', [new PacketSpecError('x', 'm')]],
  ['OutputError', [new OutputError('out', 'm')]],
  ['MergeError', [new MergeError('SGF_MERGE_MISSING_PART', 'm'), new MergeError('SGF_MERGE_BAD_DECISIONS', 'm')]],
  ['DecisionsFileError', Object.values(DECISIONS_ERROR).map((c) => new DecisionsFileError(c, 'f', 0, 'm'))],
  ['TopologyError', [new TopologyError('t.json', [])]],
  ['ClassBenchError', [new ClassBenchError('acl1', [])]],
  ['ScopeError', [new ScopeError('x', 'm')]],
  ['CasesError', [new CasesError('c.json', [])]],
  ['SplitBudgetExceeded', [new SplitBudgetExceeded(1)]],
  ['ApiUsageError', [new ApiUsageError('m')]],
  ['InternalError', [new InternalError('m')]],
  ['BenchError', (['SGF_BENCH_MISMATCH', 'SGF_BENCH_BAD_OPTION', 'SGF_BENCH_NO_FIXTURES', 'SGF_BENCH_REPLAY', 'SGF_BENCH_BAD_REPORT'] satisfies BenchErrorCode[]).map((c) => new BenchError(c, 'm'))],
  ['ReportError', [new ReportError('r.json', [])]],
  ['TableError', Object.values(TABLE_ERROR).map((c) => new TableError(c, 'm'))],
  ['TreeBudgetExceeded', [new TreeBudgetExceeded(1)]],
  ['WasmLoadError', [new WasmLoadError('m')]],
  ['TupleError', [new TupleError('sport', 'm')]],
];


function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

test('every error class of src/ and bench/ extends SgfError (the list is checked against the sources)', () => {
  const declared = new Map<string, string>();
  for (const file of [...sources(join(root, 'src')), ...sources(join(root, 'bench'))]) {
    for (const m of readFileSync(file, 'utf8').matchAll(/class (\w+) extends (\w+)/g)) {
      if (/Error$|Exceeded$/.test(m[2]!) || /Error$|Exceeded$/.test(m[1]!)) declared.set(m[1]!, `${relative(root, file)} extends ${m[2]}`);
    }
  }
  const tested = new Set(INSTANCES.map(([name]) => name));
  for (const [name, where] of declared) {
    if (name === 'SgfError') continue;
    assert.ok(tested.has(name), `${name} (${where}) is not in this test's list`);
    assert.ok(/extends (SgfError|\w+Error)$/.test(where) && !/extends (Error|RangeError|TypeError)$/.test(where), `${name}: ${where}; expected extends SgfError`);
  }
  for (const [name, list] of INSTANCES) {
    assert.ok(list.length > 0, name);
    for (const e of list) {
      assert.instance(e, SgfError, name);
      assert.instance(e, Error, name);
      assert.is(e.constructor.name, name);
    }
  }
});

test('every code follows SGF_<AREA>_<CONDITION> with a known area', () => {
  assert.ok(ERROR_CODE_PATTERN.test('SGF_PCAP_TRUNCATED_RECORD'));
  // The old spellings do not.
  for (const old of ['SGF_ERR_TOPOLOGY', 'SGF_BAD_OPTION', 'SGF_ERR_TABLE_MAGIC', 'SGF_PCAP', 'sgf_pcap_io', 'SGF_NOWHERE_X']) assert.not.ok(ERROR_CODE_PATTERN.test(old), old);
  const codes = [...INSTANCES.flatMap(([, list]) => list.map((e) => e.code)), ...Object.values(PCAP_WARNING)];
  for (const code of codes) assert.ok(ERROR_CODE_PATTERN.test(code), `${code} breaks the scheme`);
  assert.is(new Set(ERROR_AREAS).size, ERROR_AREAS.length);
});

test('old codes stay matchable: legacyCode and hasErrorCode accept the spelling users matched before', () => {
  for (const [old, code] of Object.entries(LEGACY_CODES)) {
    assert.ok(ERROR_CODE_PATTERN.test(code), code);
    assert.not.ok(ERROR_CODE_PATTERN.test(old), old);
  }
  const topo = new TopologyError('t.json', []);
  assert.is(topo.code, 'SGF_TOPOLOGY_INVALID');
  assert.is(topo.legacyCode, 'SGF_ERR_TOPOLOGY');
  assert.ok(hasErrorCode(topo, 'SGF_ERR_TOPOLOGY'));
  assert.ok(hasErrorCode(topo, 'SGF_TOPOLOGY_INVALID'));
  assert.not.ok(hasErrorCode(topo, 'SGF_ERR_OUTPUT'));
  assert.not.ok(hasErrorCode(new Error('x'), 'SGF_ERR_TOPOLOGY'));
  // The table and WASM codes of before the scheme (SGF_ERR_TABLE_*, SGF_ERR_WASM).
  const old: Record<string, TableError | WasmLoadError> = {
    SGF_ERR_TABLE_MAGIC: new TableError(TABLE_ERROR.MAGIC, 'm'),
    SGF_ERR_TABLE_VERSION: new TableError(TABLE_ERROR.VERSION, 'm'),
    SGF_ERR_TABLE_LENGTH: new TableError(TABLE_ERROR.LENGTH, 'm'),
    SGF_ERR_TABLE_CHECKSUM: new TableError(TABLE_ERROR.CHECKSUM, 'm'),
    SGF_ERR_TABLE_SECTION: new TableError(TABLE_ERROR.SECTION, 'm'),
    SGF_ERR_TABLE_TOO_BIG: new TableError(TABLE_ERROR.TOO_BIG, 'm'),
    SGF_ERR_TABLE_LIST: new TableError(TABLE_ERROR.LIST, 'm'),
    SGF_ERR_WASM: new WasmLoadError('m'),
  };
  for (const [spelling, e] of Object.entries(old)) {
    assert.is(e.legacyCode, spelling);
    assert.ok(hasErrorCode(e, spelling), spelling);
    assert.ok(hasErrorCode(e, e.code), e.code);
  }
  assert.is(new WasmLoadError('m').code, 'SGF_WASM_LOAD_FAILED');
  assert.is(new TableError(TABLE_ERROR.TOO_BIG, 'm').code, 'SGF_TABLE_TOO_BIG');
  // New conditions have no old spelling.
  assert.is(new TableError(TABLE_ERROR.READ, 'm').legacyCode, undefined);
  // A code that was already in the scheme has no legacy spelling.
  assert.is(new PcapError(PCAP_ERROR.IO, 'x', 0, 'd').legacyCode, undefined);
});

test('the entry points throw the typed errors (not plain Error)', () => {
  assert.throws(() => parsePacketSpec('tcp nowhere'), (e: unknown) => e instanceof PacketSpecError && e.code === 'SGF_PACKET_BAD_SPEC');
  assert.throws(() => parseScope('nokey'), (e: unknown) => e instanceof ScopeError && e.code === 'SGF_SCOPE_BAD_SPEC');
  assert.throws(() => parseCases({ cases: 3 }, 'c.json'), (e: unknown) => e instanceof CasesError && e.code === 'SGF_CASES_INVALID');
});

test('API misuse is an ApiUsageError / EngineOptionError, not a bare RangeError or Error', async () => {
  const usage = (fn: () => unknown, message: RegExp) => assert.throws(fn, (e: unknown) => e instanceof ApiUsageError && e.code === 'SGF_API_MISUSE' && message.test((e as Error).message));
  usage(() => new Prng(1.5), /prng: seed 1.5 is not a safe integer/);
  usage(() => new Prng(1).int(0), /needs a positive safe integer/);
  usage(() => new Prng(1).pick([]), /pick from an empty list/);
  usage(() => new PcapWriter().addParts(-1, 0, new Uint8Array(0)), /pcap writer|capture writer/);
  usage(() => secondsToNs(-1), /a conntrack timeout must be a number of seconds/);
  const topology = loadTopologyFile(join(fixturesDir(), 'aliyun-basic-3tier.json')).topology;
  usage(() => new ReferenceEngine(topology!).ruleHop('eni-nowhere', 'ingress', { ts: 0n, family: 4, src: 1n, dst: 2n, proto: 6 }), /no interface "eni-nowhere"/);
  let caught: unknown;
  try {
    await replay(topology!, join(fixturesDir(), 'captures', 'aliyun-basic-3tier.pcap'), { workers: 99 });
  } catch (e) {
    caught = e;
  }
  assert.instance(caught, EngineOptionError);
  assert.is((caught as EngineOptionError).option, 'workers');
});

test('compile and wasm throw typed errors: a table past maxBytes, an unreadable table file, a batch past capacity, an unknown interface', () => {
  const topology = loadTopologyFile(join(fixturesDir(), 'aliyun-basic-3tier.json')).topology!;
  assert.throws(
    () => compileTopology(topology, { maxBytes: 64 }),
    (e: unknown) => e instanceof TableError && e.code === 'SGF_TABLE_TOO_BIG' && hasErrorCode(e, 'SGF_ERR_TABLE_TOO_BIG') && /grew beyond 64 bytes/.test(e.message),
  );
  const dir = mkdtempSync(join(tmpdir(), 'sgf-errors-'));
  try {
    // A missing file and a directory: read failures, not "bad length".
    for (const path of [join(dir, 'none.sgft'), dir]) {
      assert.throws(() => loadTable(path), (e: unknown) => e instanceof TableError && e.code === 'SGF_TABLE_READ_FAILED' && e.message.startsWith(`${path}: cannot read the table`));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const wasm = new WasmInstance('debug');
  const batch = new TupleBatch(wasm, 4);
  assert.throws(() => batch.run(null as never, 'optimized', 5), (e: unknown) => e instanceof ApiUsageError && /exceeds capacity 4/.test((e as Error).message));
  assert.throws(() => boxesOf(topology, 'eni-nowhere', 'ingress', 4), (e: unknown) => e instanceof ApiUsageError && /no interface eni-nowhere/.test((e as Error).message));
});

test('src/ throws no bare Error, RangeError or TypeError (typed errors with codes only)', () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const src = join(here, '..', '..', '..', 'src');
  // locate.ts uses throw/catch internally to stop a best-effort JSON scan; nothing escapes it.
  const allowed = new Set(['analysis/locate.ts']);
  const bad: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts') && !allowed.has(relative(src, p))) {
        readFileSync(p, 'utf8').split('\n').forEach((line, i) => {
          if (/throw new (Error|RangeError|TypeError)\(/.test(line)) bad.push(`${relative(src, p)}:${i + 1}: ${line.trim()}`);
        });
      }
    }
  };
  walk(src);
  assert.equal(bad, []);
});

test.run();
