/**
 * `sgfilter gen`: writes the topology and the capture, prints a summary that
 * matches what the reader counts, validates its knobs with clear errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { decodeCapture } from '../../src/pcap/packets.js';

const tmp = mkdtempSync(join(tmpdir(), 'sgf-gen-cli-'));

test('writes DIR/topology.json and DIR/trace.pcapng; the JSON summary matches the reader', () => {
  const dir = join(tmp, 'a');
  const r = cli(['gen', '--out-dir', dir, '--seed', '12', '--cloud', 'generic', '--flows', '120', '--format', 'pcapng', '--nanos', '--json']);
  assert.is(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { packets: number; flows: number; format: string; nanos: boolean; topology: string; file: string };
  assert.is(s.flows, 120);
  assert.is(s.format, 'pcapng');
  assert.ok(existsSync(join(dir, 'topology.json')));
  const { packets, summary } = decodeCapture(readFileSync(join(dir, 'trace.pcapng')));
  assert.is(summary.error, undefined);
  assert.is(packets.length, s.packets);
  assert.ok(packets.some((p) => p.record.ts % 1000n !== 0n), '--nanos: some timestamps have sub-microsecond digits');
  assert.match(packets[0]!.record.tsText!, /^\d+\.\d{9}$/);
  const c = cli(['check', join(dir, 'topology.json')]);
  assert.is(c.status, 0, c.stdout);
  // Same command, same bytes.
  const again = cli(['gen', '--out-dir', join(tmp, 'b'), '--seed', '12', '--cloud', 'generic', '--flows', '120', '--format', 'pcapng', '--nanos', '--quiet']);
  assert.is(again.status, 0);
  assert.is(again.stdout, '');
  assert.ok(readFileSync(join(tmp, 'b', 'trace.pcapng')).equals(readFileSync(join(dir, 'trace.pcapng'))));
});

test('text summary names the kinds and the files', () => {
  const r = cli(['gen', '--out-dir', join(tmp, 'c'), '--seed', '1', '--flows', '50', '--name', 'small']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /capture: +\S+small\.pcap \(pcap, µs timestamps/);
  assert.match(r.stdout, /flows: +50: tcp \d+/);
  assert.ok(existsSync(join(tmp, 'c', 'small.topology.json')));
});

test('knob errors: exit 1 with the option and what was expected', () => {
  const cases: [string[], RegExp][] = [
    [['--vlan-share', '1.5'], /--vlan-share.*within 0\.\.1/],
    [['--rules-per-group', '300'], /200 rules per security group; pass stress \(--stress\)/],
    [['--cloud', 'gcp'], /--cloud.*Allowed choices are aliyun-basic, aliyun-advanced, huawei, generic/],
    [['--topology', 'fixtures/aliyun-basic-3tier.json', '--interfaces', '3'], /--interfaces generates a topology; it cannot be combined with --topology/],
    [['--topology', 'fixtures/nope.json'], /nope\.json/],
  ];
  for (const [args, message] of cases) {
    const r = cli(['gen', '--out-dir', join(tmp, 'err'), ...args]);
    assert.is(r.status, 1, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, message, args.join(' '));
  }
});

test('--stress generates past the limits; check then reports them', () => {
  const dir = join(tmp, 'stress');
  const r = cli(['gen', '--out-dir', dir, '--rules-per-group', '300', '--stress', '--interfaces', '3', '--topology-only']);
  assert.is(r.status, 0, r.stderr);
  assert.not.ok(existsSync(join(dir, 'trace.pcap')));
  const c = cli(['check', join(dir, 'topology.json')]);
  assert.is(c.status, 1);
  assert.match(c.stdout, /has 300 rules; Alibaba allows at most 200/);
});

test.run();
