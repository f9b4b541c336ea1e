// Reports name no machine's directories: portablePaths makes every absolute
// path relative to the repository (expected values worked out by hand).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { portablePaths } from '../../bench/report/write.js';

const t = suite('bench: portable report paths');

t('paths in the repository or in ../shared relative to it, everything else untouched', () => {
  const got = portablePaths(
    { capture: { path: '/w/repo/.cache/gen/abc/trace.pcap', packets: 3 }, corpus: '/w/shared/corpus/classbench', sets: ['/w/repo/x.rules', 'acl1_1K'], out: '/tmp/o/r.json', url: 'https://json.schemastore.org/x', label: 'a / b', root: '/w/repo' },
    '/w/repo',
  );
  assert.equal(got, { capture: { path: '.cache/gen/abc/trace.pcap', packets: 3 }, corpus: '../shared/corpus/classbench', sets: ['x.rules', 'acl1_1K'], out: '/tmp/o/r.json', url: 'https://json.schemastore.org/x', label: 'a / b', root: '.' });
});

t('a sibling of the repository other than ../shared is kept as given (a clone in /tmp, a report in /tmp/x)', () => {
  const got = portablePaths({ out: '/tmp/sgf-bench-x/run1/r.json', parent: '/tmp', shared: '/tmp/shared/corpus', near: '/tmp/sharedx/y' }, '/tmp/clone');
  assert.equal(got, { out: '/tmp/sgf-bench-x/run1/r.json', parent: '/tmp', shared: '../shared/corpus', near: '/tmp/sharedx/y' });
});

t.run();
