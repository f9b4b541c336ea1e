/**
 * Fuzzing the topology loader (native, Alibaba and Huawei JSON, through the
 * file path that the CLI takes): documents from the fixtures with values
 * replaced by random JSON (deep nesting, huge and non-finite numbers, odd
 * strings), keys duplicated, bytes flipped and texts cut. The loader must
 * either return a topology or throw a TopologyError whose issues each have a
 * path and a short message — never another exception, never a stack overflow.
 *
 * Budget: SGFILTER_FUZZ_SECONDS (default 2; `npm run fuzz` gives 120).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTopologyFile } from '../../src/parse/load.js';
import { TopologyError } from '../../src/parse/issues.js';
import { fixturesDir } from '../helpers/corpus.js';
import { fuzzBudgetMs } from '../helpers/fuzz.js';

const budgetMs = fuzzBudgetMs(2);
const tmp = mkdtempSync(join(tmpdir(), 'sgf-topofuzz-'));
const path = join(tmp, 'doc.json');
const seeds = ['aliyun-basic-3tier.json', 'aliyun-export.json', 'huawei-app.json', 'huawei-export.json'].map((f) => readFileSync(join(fixturesDir(), f), 'utf8'));

function check(text: string): void {
  writeFileSync(path, text);
  try {
    loadTopologyFile(path);
  } catch (e) {
    if (!(e instanceof TopologyError)) throw e;
    assert.ok(e.issues.length > 0);
    for (const i of e.issues) {
      assert.type(i.path, 'string');
      assert.ok(i.message.length > 0 && i.message.length < 600, i.message.slice(0, 200));
    }
  }
}

/** Every [parent, key] of a JSON value, iteratively. */
function slots(doc: unknown): [Record<string, unknown> | unknown[], string | number][] {
  const out: [Record<string, unknown> | unknown[], string | number][] = [];
  const stack: unknown[] = [doc];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) v.forEach((x, i) => { out.push([v, i]); stack.push(x); });
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { out.push([v as Record<string, unknown>, k]); stack.push(x); }
  }
  return out;
}

const nasty = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('1e400', '-1e400', '1e-400', '-0', '99999999999999999999', '" 22"', '"10.0.0.0/08"', '"\\u0000"', '""', 'null', '[]', '{}'),
  fc.integer({ min: 100, max: 8000 }).map((d) => '['.repeat(d) + '0' + ']'.repeat(d)),
  fc.integer({ min: 100, max: 8000 }).map((d) => '{"a":'.repeat(d) + '0' + '}'.repeat(d)),
).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));

test('values replaced by hostile JSON: TopologyError or a topology, nothing else', () => {
  const docs = seeds.map((s) => JSON.parse(s) as unknown);
  const deadline = Date.now() + budgetMs / 2;
  let runs = 0;
  do {
    fc.assert(fc.property(fc.nat(docs.length - 1), fc.array(fc.tuple(fc.nat(), nasty), { minLength: 1, maxLength: 4 }), (d, edits) => {
      const doc = structuredClone(docs[d]);
      const marks: string[] = [];
      const all = slots(doc);
      for (const [at, value] of edits) {
        if (all.length === 0) break;
        const [parent, key] = all[at % all.length]!;
        const mark = `@@SGF${marks.length}@@`;
        (parent as Record<string | number, unknown>)[key] = mark;
        marks.push(value);
      }
      let text = JSON.stringify(doc, null, 1);
      marks.forEach((v, i) => (text = text.replace(`"@@SGF${i}@@"`, () => v)));
      check(text);
    }), { numRuns: 50 });
    runs += 50;
  } while (Date.now() < deadline);
  assert.ok(runs >= 50);
});

test('texts with duplicated keys, flipped bytes and cuts: TopologyError or a topology', () => {
  const deadline = Date.now() + budgetMs / 2;
  let runs = 0;
  do {
    fc.assert(fc.property(fc.nat(seeds.length - 1), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 127 })), { maxLength: 4 }), fc.option(fc.nat(), { nil: undefined }),
      (d, dupAt, flips, cut) => {
        let text = seeds[d]!;
        // Duplicate one "key": value pair in place.
        const keys = [...text.matchAll(/"(\w+)": ("[^"]*"|\d+)/g)];
        if (keys.length) {
          const m = keys[dupAt % keys.length]!;
          text = text.slice(0, m.index) + `${m[0]}, ` + text.slice(m.index);
        }
        const chars = [...text];
        for (const [p, c] of flips) chars[p % chars.length] = String.fromCharCode(c === 0 ? 32 : c);
        text = chars.join('');
        if (cut !== undefined) text = text.slice(0, cut % (text.length + 1));
        check(text);
      }), { numRuns: 100 });
    runs += 100;
  } while (Date.now() < deadline);
  assert.ok(runs >= 100);
});

test.run();
