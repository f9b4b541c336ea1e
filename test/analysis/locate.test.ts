// Findings are located in the input file: native paths map to the original
// document of an import (through the importer's origins) and then to the line
// and column where that object starts. Expected positions are found here by
// scanning the file text independently (the n-th "{" after "Permission": [).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonValueOffsets, Locator } from '../../src/analysis/locate.js';
import { lineColumn } from '../../src/parse/load.js';
import { fixturesDir } from '../helpers/corpus.js';

const loc = suite('locate');

loc('JSON value offsets by path', () => {
  const text = '{\n  "a": [1, {"b": "x,]"}],\n  "c": {"d": null}\n}';
  const m = jsonValueOffsets(text)!;
  assert.is(m.get('a[1].b'), text.indexOf('"x,]"'));
  assert.is(m.get('c.d'), text.indexOf('null'));
  assert.is(m.get(''), 0);
  assert.is(jsonValueOffsets('{"a": }'), null);
});

loc('an Alibaba export: rule i of the first group is Permission[i] of the first response', () => {
  const file = join(fixturesDir(), 'aliyun-export.json');
  const text = readFileSync(file, 'utf8');
  const l = new Locator(file, 'aliyun');
  const original = l.originalPath('securityGroups[0].rules[1]');
  assert.is(original, 'DescribeSecurityGroupAttribute[0].Permissions.Permission[1]');
  // Independently: the second object after the first "Permission": [.
  const list = text.indexOf('"Permission"');
  const first = text.indexOf('{', list);
  let depth = 0;
  let i = first;
  for (; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) break;
  }
  const second = text.indexOf('{', i + 1);
  assert.equal(l.positionOf(original), lineColumn(text, second));
});

loc.run();
