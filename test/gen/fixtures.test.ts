/**
 * The committed captures under fixtures/captures/ are reproducible: every
 * `sgfilter gen` command listed in fixtures/README.md, run (in this process,
 * through the same commander program) into a temporary directory, writes
 * files byte-identical to the committed ones, and `check` passes on each
 * topology written.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerGen } from '../../src/cli/gen.js';
import { checkTopologyFile } from '../../src/cli/check.js';
import { fixturesDir } from '../helpers/corpus.js';

const readme = readFileSync(join(fixturesDir(), 'README.md'), 'utf8');
const commands = [...readme.matchAll(/^- `captures\/([\w.-]+)`[^\n]*?: `sgfilter gen ([^`]+)`$/gm)].map((m) => ({ file: m[1]!, args: m[2]!.split(/\s+/) }));

test('fixtures/README.md lists a command for every committed capture', () => {
  const captures = readdirSync(join(fixturesDir(), 'captures')).filter((f) => /\.pcap(ng)?$/.test(f)).sort();
  assert.ok(captures.length >= 3);
  assert.equal(commands.map((c) => c.file).sort(), captures);
});

test('each command regenerates its capture and topology byte for byte', async () => {
  for (const { file, args } of commands) {
    const out = mkdtempSync(join(tmpdir(), 'sgf-fixture-'));
    const i = args.indexOf('--out-dir');
    assert.ok(i >= 0, file);
    const run = [...args];
    run[i + 1] = out;
    const program = new Command().exitOverride();
    registerGen(program);
    process.exitCode = undefined;
    await program.parseAsync(['gen', ...run], { from: 'user' });
    assert.is(process.exitCode ?? 0, 0, file);
    const name = run[run.indexOf('--name') + 1]!;
    for (const f of readdirSync(out)) {
      assert.ok(f.startsWith(name + '.'), f);
      assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(fixturesDir(), 'captures', f))), `${f} differs from the committed file`);
    }
    const topo = readdirSync(out).find((f) => f.endsWith('.topology.json'))!;
    const c = checkTopologyFile(join(out, topo));
    assert.is(c.errors, 0, JSON.stringify(c.issues));
    // No validation or limit warning (rule anomalies of the random rules are expected: not counted).
    assert.is(c.issues.filter((x) => x.severity === 'warning').length, 0, JSON.stringify(c.issues));
  }
});

test.run();
