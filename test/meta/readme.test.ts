// The README's library examples run as written and print what the README
// says they print (expected output worked out from fixtures/huawei-app.json's
// rules: web-http admits tcp/443 from anywhere at port-web1; the SYN-ACK is
// the reply of that flow; web-deny-blocklist denies 203.0.113.0/24 at the same
// priority, web-deny-smtp tcp/25 out, default-egress-v4 the rest out and the
// DNS reply is established; the capture has 2505 packets, per
// fixtures/README.md, 2209 of them allowed by `replay --engine reference`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../helpers/corpus.js';

function block(readme: string, marker: string): string {
  const start = readme.indexOf(`<!-- ${marker} -->`);
  const end = readme.indexOf(`<!-- /${marker} -->`);
  assert.ok(start >= 0 && end > start, `the file has the ${marker} block`);
  const body = readme.slice(start, end);
  return body.slice(body.indexOf('\n```') + 1).replace(/^```\w*\n/, '').replace(/```\s*$/, '');
}

// [file, example]: the README's, and docs/replay.md's in-place batch example (the same fixture: the first
// three frames are the README batch example's, judged by the same rules; the fourth is the SYN-ACK reply of
// the first flow, egress at port-web1, found established).
for (const [doc, name] of [['README.md', 'library'], ['README.md', 'library-batch'], ['docs/replay.md', 'library-inplace']] as const) {
  test(`the ${doc} ${name} example prints what it says`, () => {
    const readme = readFileSync(join(repoRoot, doc), 'utf8');
    const code = block(readme, `example:${name}`);
    const expected = block(readme, `example:${name}:output`);
    // Inside the package, so that `import 'sgfilter'` resolves to this package (self-reference).
    const dir = join(repoRoot, '.cache', 'readme');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `example-${name}.mjs`);
    writeFileSync(file, code);
    const r = spawnSync(process.execPath, [file], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, expected);
  });
}

test.run();
