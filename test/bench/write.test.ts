// Reports name no machine's directories: portablePaths makes every absolute
// path relative to the repository (expected values worked out by hand).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { portablePaths } from '../../bench/report/write.js';

const t = suite('bench: portable report paths');

t('absolute paths relative to the root, everything else untouched', () => {
  const got = portablePaths(
    { capture: { path: '/repo/.cache/gen/abc/trace.pcap', packets: 3 }, corpus: '/shared/corpus/classbench', sets: ['/repo/x.rules', 'acl1_1K'], url: 'https://json.schemastore.org/x', label: 'a / b', root: '/repo' },
    '/repo',
  );
  assert.equal(got, { capture: { path: '.cache/gen/abc/trace.pcap', packets: 3 }, corpus: '../shared/corpus/classbench', sets: ['x.rules', 'acl1_1K'], url: 'https://json.schemastore.org/x', label: 'a / b', root: '.' });
});

t.run();
