/**
 * `sgfilter gen`: writes the topology and the capture, prints a summary that
 * matches what the reader counts, validates its knobs with clear errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
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

test('--mix weights hold for every flow: tcp=0 makes no TCP packet (aimed flows included)', () => {
  const dir = join(tmp, 'mix');
  const r = cli(['gen', '--out-dir', dir, '--seed', '9', '--packets', '4000', '--mix', 'tcp=0,udp=1,echo=0,icmp-error=0,gre=0,other=0',
    '--denied-share', '0', '--scan-share', '0', '--idle-share', '0', '--json']);
  assert.is(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { flowsByKind: Record<string, number>; flowsByPath: Record<string, number> };
  assert.is(s.flowsByKind.tcp, 0);
  assert.ok(s.flowsByKind.udp! > 0);
  assert.ok((s.flowsByPath.rule ?? 0) > 0, 'some flows are aimed at rules');
  // Count with the decoder, not the generator's own tally: no TCP outside ICMP quotes.
  const { packets } = decodeCapture(readFileSync(join(dir, 'trace.pcap')));
  const tcp = packets.filter((p) => p.record.proto === 6);
  assert.is(tcp.length, 0);
});

test('a refused option leaves no directory behind', () => {
  const dir = join(tmp, 'refused', 'deeper');
  for (const args of [['--rules-per-group', '300'], ['--packets-per-flow', '0'], ['--mix', 'tcp=0,udp=0,echo=0,icmp-error=0,gre=0,other=0']]) {
    const r = cli(['gen', '--out-dir', dir, ...args]);
    assert.is(r.status, 1, args.join(' '));
    assert.not.ok(existsSync(join(tmp, 'refused')), `${args.join(' ')}: no out-dir`);
  }
});

test('a full disk: the file named, exit 1, no partial trace left (tmpfs; skipped without mount rights)', () => {
  const mnt = join(tmp, 'small');
  mkdirSync(mnt);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=128k', 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) {
    console.log(`  (skipped: cannot mount a small tmpfs here: ${(m.stderr || m.error?.message || '').trim()})`);
    return;
  }
  try {
    const r = cli(['gen', '--out-dir', join(mnt, 'out'), '--packets', '20000', '--quiet']);
    assert.is(r.status, 1);
    assert.match(r.stderr, `${join(mnt, 'out', 'trace.pcap')}: cannot write the capture: no space left on device (ENOSPC)`);
    assert.equal(readdirSync(mnt), [], 'nothing is left: no partial trace, no topology, no directory');
  } finally {
    spawnSync('umount', [mnt]);
  }
});

test.run();
