/**
 * One definition per constant: the library index exports the table the
 * decoders use (not a copy), and constants are imported from where they
 * belong.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as index from '../../src/index.js';
import { LINKTYPE } from '../../src/pcap/format.js';
import { LINKTYPE as FILTER_LINKTYPE } from '../../src/replay/filter.js';
import { DEFAULT_CONNTRACK_CAPACITY } from '../../src/model/shard.js';
import * as referenceEngine from '../../src/reference/engine.js';
import { SgfError } from '../../src/model/errors.js';

test('LINKTYPE is defined once (pcap/format.ts); the index and the Filter API export that one', () => {
  assert.is(index.LINKTYPE, LINKTYPE);
  assert.is(FILTER_LINKTYPE, LINKTYPE);
});

test('DEFAULT_CONNTRACK_CAPACITY comes from model/shard.ts, not through the reference engine', () => {
  assert.is(index.DEFAULT_CONNTRACK_CAPACITY, DEFAULT_CONNTRACK_CAPACITY);
  assert.not.ok('DEFAULT_CONNTRACK_CAPACITY' in referenceEngine);
});

test('the index exports the error base and its helpers', () => {
  assert.is(index.SgfError, SgfError);
  assert.instance(new index.TopologyError('t', []), index.SgfError);
  assert.instance(new index.PcapError('SGF_PCAP_IO', 'f', 0, 'd'), index.SgfError);
  assert.ok(index.hasErrorCode(new index.OutputError('p', 'm'), 'SGF_ERR_OUTPUT'));
});

test.run();
