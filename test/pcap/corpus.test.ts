/**
 * Every corpus capture read and decoded, compared with what tshark 4.0 decoded
 * from it (../shared/corpus/tshark). Broken captures: the error code, its
 * offset and the good packets before it come from our own reading of the
 * bytes (hex dumps, recorded below) and from tshark's .err messages.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { corpusDir, skipNoCorpus } from '../helpers/corpus.js';
import { decodeCapture, type CapturedPacket } from '../../src/pcap/packets.js';
import { CaptureFileReader } from '../../src/pcap/reader.js';
import { PcapError } from '../../src/pcap/errors.js';
import { addr, afterOuterIp, first, ipv6UpperFromChain, num, packetRows, readErr, readTsv, WTAP_TO_LINKTYPE, type TsharkRow } from './tshark.js';

const corpus = corpusDir();

/**
 * Damaged captures. Offsets from the files' bytes:
 * - truncated_dns_2: 24-byte header + one 16+200-byte record end at 240; 7 bytes of a record header follow.
 * - linktype-reserved: linktype word 0x00300000 at offset 20 (tshark: "reserved field not zero").
 * - pcap-invalid-version-1: major version 1 at offset 4 (tshark: "major version 1 unsupported").
 * - pcapng-invalid-vers-1: SHB version 0.1 at offset 12 (tshark: "unknown SHB version 0.1").
 * - shb-option-too-long: SHB option 0x3030 of length 12336 at offset 24 (tshark: "option of length 12336").
 * - modified-format: magic a1b2cd34 (the issue: reject; tshark accepts it).
 * - tls_DER: six records (74,74,66,361,66,4274 bytes), the 7th at 5035 claims 4325376 bytes (tshark: same size).
 * - fuzz: record 1 (188 bytes) ends at 228, where caplen is 1409179648. tshark reads 2 packets because
 *   Wireshark guesses among pcap variants with 24-byte record headers (its 2nd frame header is at 236);
 *   libpcap, like us, reads the standard layout.
 */
const BROKEN: Record<string, { code: string; offset: number; packets: number; unread: number }> = {
  'dpkt__examples__data__truncated_dns_2.pcap': { code: 'SGF_PCAP_TRUNCATED_RECORD', offset: 240, packets: 1, unread: 7 },
  'libpcap__tests__linktype-reserved-field-not-zero.pcap': { code: 'SGF_PCAP_LINKTYPE_RESERVED', offset: 20, packets: 0, unread: 24 },
  'libpcap__tests__pcap-invalid-version-1.pcap': { code: 'SGF_PCAP_BAD_VERSION', offset: 4, packets: 0, unread: 530 },
  'libpcap__tests__pcapng-invalid-vers-1.pcapng': { code: 'SGF_PCAPNG_BAD_VERSION', offset: 12, packets: 0, unread: 260 },
  'libpcap__tests__shb-option-too-long.pcapng': { code: 'SGF_PCAPNG_BAD_OPTION_LENGTH', offset: 24, packets: 0, unread: 180 },
  'rusticata__modified-format.pcap': { code: 'SGF_PCAP_MODIFIED_FORMAT', offset: 0, packets: 0, unread: 146 },
  'suricata-verify__tests__bug-1450-04__tls_DER-incomplete-header.pcap': { code: 'SGF_PCAP_CAPLEN_TOO_LARGE', offset: 5035, packets: 6, unread: 661 },
  'suricata-verify__tests__bug-6875-01__fuzz.pcap': { code: 'SGF_PCAP_CAPLEN_TOO_LARGE', offset: 228, packets: 1, unread: 157 },
};
/** Files whose tshark rows do not describe our packets (see BROKEN). */
const TSHARK_DIFFERS = new Set(['rusticata__modified-format.pcap', 'suricata-verify__tests__bug-6875-01__fuzz.pcap']);

function captures(): string[] {
  return readdirSync(join(corpus!, 'pcap')).filter((f) => f !== 'MANIFEST.tsv').sort();
}

/** Compare one decoded packet with its tshark row; returns the differences. */
function compare(p: CapturedPacket, row: TsharkRow, pcapng: boolean): string[] {
  const out: string[] = [];
  const eq = (what: string, got: unknown, want: unknown) => {
    if (got !== want) out.push(`${what}: got ${String(got)}, tshark ${String(want)}`);
  };
  const r = p.record;
  eq('len', p.len, num(row, 'frame.len'));
  eq('caplen', p.caplen, num(row, 'frame.cap_len'));
  if (pcapng) eq('iface', p.iface, num(row, 'frame.interface_id'));
  const lts = WTAP_TO_LINKTYPE[row['frame.encap_type']!];
  if (!lts) out.push(`unknown encap ${row['frame.encap_type']}`);
  else if (!lts.includes(p.linktype)) out.push(`linktype ${p.linktype}, tshark encap ${row['frame.encap_type']}`);

  const { family, chain } = afterOuterIp(row);
  if (family === 0) {
    // tshark found no IP header. A raw-IP linktype with a wrong version is malformed to us.
    const want = [101, 228, 229].includes(p.linktype) ? 'malformed' : 'non-ip';
    eq('reason', r.reason, want);
    eq('family', r.family, undefined);
    return out;
  }
  eq('family', r.family, family);
  if (family === 4) {
    eq('src', r.src, addr(first(row, 'ip.src')!));
    eq('dst', r.dst, addr(first(row, 'ip.dst')!));
  } else {
    eq('src', r.src, addr(first(row, 'ipv6.src')!));
    eq('dst', r.dst, addr(first(row, 'ipv6.dst')!));
  }
  if (r.reason === 'malformed') {
    // Only acceptable where tshark itself stopped inside the IP layer (no upper protocol at all).
    const upper = family === 6 ? ipv6UpperFromChain(chain).name : chain[0];
    if (upper !== undefined) out.push(`malformed, but tshark decoded ${row['frame.protocols']}`);
    return out;
  }
  eq('reason', r.reason, undefined);
  let proto: number | undefined;
  let fragOffset = 0;
  let mf = false;
  if (family === 4) {
    proto = num(row, 'ip.proto');
    fragOffset = (num(row, 'ip.frag_offset') ?? 0) * 8;
    mf = num(row, 'ip.flags.mf') === 1;
  } else {
    const fragNext = num(row, 'ipv6.fraghdr.nxt');
    if (fragNext !== undefined && chain[0] !== 'icmpv6') {
      fragOffset = (num(row, 'ipv6.fraghdr.offset') ?? 0) * 8;
      // tshark's TSV has no ipv6 M flag column: moreFragments is checked through fragOffset only.
      mf = r.moreFragments ?? false;
    }
    const up = ipv6UpperFromChain(chain);
    proto = fragOffset > 0 ? fragNext : up.proto ?? (fragNext ?? num(row, 'ipv6.nxt'));
  }
  eq('proto', r.proto, proto);
  const isFrag = fragOffset > 0 || mf;
  eq('fragOffset', r.fragOffset, isFrag ? fragOffset : undefined);
  eq('moreFragments', r.moreFragments, isFrag ? mf : undefined);
  if (fragOffset > 0) {
    eq('sport', r.sport, undefined);
    return out;
  }
  if (proto === 6) {
    eq('sport', r.sport, num(row, 'tcp.srcport'));
    eq('dport', r.dport, num(row, 'tcp.dstport'));
    eq('tcpFlags', r.tcpFlags, num(row, 'tcp.flags'));
  } else if (proto === 17) {
    eq('sport', r.sport, num(row, 'udp.srcport'));
    eq('dport', r.dport, num(row, 'udp.dstport'));
  } else {
    eq('sport', r.sport, undefined);
  }
  if (family === 4 && proto === 1) {
    eq('icmpType', r.icmpType, num(row, 'icmp.type'));
    eq('icmpCode', r.icmpCode, num(row, 'icmp.code'));
  }
  if (family === 6 && proto === 58) {
    eq('icmpType', r.icmpType, num(row, 'icmpv6.type'));
    eq('icmpCode', r.icmpCode, num(row, 'icmpv6.code'));
  }
  // ICMP errors: the quoted header follows the outer ICMP in frame.protocols.
  const qi = chain.findIndex((x) => x === 'ip' || x === 'ipv6');
  if ((proto === 1 || proto === 58) && qi > 0) {
    const q = r.quoted;
    if (!q) out.push(`no quoted header, tshark ${row['frame.protocols']}`);
    else {
      eq('quoted.family', q.family, chain[qi] === 'ip' ? 4 : 6);
      const rest = chain.slice(qi + 1);
      const qup = chain[qi] === 'ip' ? rest[0] : ipv6UpperFromChain(rest).name;
      if (qup === 'tcp' || qup === 'udp') {
        // The quote's ports are the first tcp/udp ports in the packet (the outer has none).
        eq('quoted.sport', q.sport, num(row, `${qup}.srcport`));
        eq('quoted.dport', q.dport, num(row, `${qup}.dstport`));
      }
      if (family === 6) {
        // The quoted IPv6 addresses are the second occurrence.
        const srcs = (row['ipv6.src'] ?? '').split(',');
        if (srcs.length > 1) eq('quoted.src', q.src, addr(srcs[1]!));
      }
    }
  }
  return out;
}

test('every corpus capture decodes as tshark decoded it', () => {
  if (!corpus) return skipNoCorpus('pcap corpus');
  const failures: string[] = [];
  let compared = 0;
  for (const f of captures()) {
    const { packets, summary } = decodeCapture(readFileSync(join(corpus, 'pcap', f)), f);
    const rows = readTsv(corpus, f);
    assert.ok(rows, `no tshark TSV for ${f}`);
    const broken = BROKEN[f];
    if (!broken) {
      assert.is(summary.error, undefined, `${f}: ${summary.error?.message}`);
      assert.is(readErr(corpus, f).includes('tshark:'), false, `${f}: tshark complained but the test treats it as clean`);
    }
    if (TSHARK_DIFFERS.has(f)) continue;
    const prow = packetRows(rows!);
    if (prow.length !== packets.length) {
      failures.push(`${f}: ${packets.length} packets, tshark ${prow.length}`);
      continue;
    }
    packets.forEach((p, i) => {
      const d = compare(p, prow[i]!, summary.format === 'pcapng');
      compared++;
      if (d.length) failures.push(`${f} #${p.n}: ${d.join('; ')}`);
    });
  }
  assert.ok(compared > 2200, `compared only ${compared} packets`);
  assert.equal(failures.slice(0, 20), [], failures.length + ' differences');
});

test('damaged captures: error code, offset, good packets and unread bytes', () => {
  if (!corpus) return skipNoCorpus('pcap corpus');
  for (const [f, want] of Object.entries(BROKEN)) {
    const { packets, summary } = decodeCapture(readFileSync(join(corpus, 'pcap', f)), f);
    assert.ok(summary.error instanceof PcapError, `${f}: no error`);
    assert.is(summary.error!.code, want.code, f);
    assert.is(summary.error!.offset, want.offset, f);
    assert.is(summary.error!.file, f);
    assert.ok(summary.error!.message.includes(`byte ${want.offset}`), summary.error!.message);
    assert.is(packets.length, want.packets, f);
    assert.is(summary.packets, want.packets, f);
    assert.is(summary.bytesUnread, want.unread, f);
  }
});

test('damaged captures streamed from disk in small chunks: same packets, same error', async () => {
  if (!corpus) return skipNoCorpus('pcap corpus');
  for (const f of captures()) {
    const path = join(corpus, 'pcap', f);
    const whole = decodeCapture(readFileSync(path), f);
    const r = new CaptureFileReader(path, { file: f, chunkSize: 65536, batchSize: 7 });
    const ns: number[] = [];
    const lens: number[] = [];
    let err: unknown;
    try {
      for await (const fr of r) {
        ns.push(fr.n);
        lens.push(fr.data.length);
      }
    } catch (e) {
      err = e;
    }
    assert.equal(ns, whole.packets.map((p) => p.n), f);
    assert.equal(lens, whole.packets.map((p) => p.caplen), f);
    assert.is((err as PcapError | undefined)?.code, whole.summary.error?.code, f);
    assert.is((err as PcapError | undefined)?.offset, whole.summary.error?.offset, f);
    assert.is(r.summary.bytesUnread, whole.summary.bytesUnread, f);
  }
});

test('timestamps: nanosecond pcap, invalid fractions carried and warned', () => {
  if (!corpus) return skipNoCorpus('pcap corpus');
  // Record headers (hex dump): sec 0x54872e59 ns 999999999; sec 0x54872e5a ns 1000000000; sec 0x54872e5a ns 0x80000000.
  const f = 'tcpdump__tests__timestamp_invalid_nano.pcap';
  const { packets, summary } = decodeCapture(readFileSync(join(corpus, 'pcap', f)), f);
  assert.equal(packets.map((p) => p.record.tsText), ['1418145369.999999999', '1418145371.000000000', '1418145372.147483648']);
  assert.is(packets[0]!.record.ts, 1418145369_999999999n);
  assert.equal(summary.warnings.map((w) => [w.code, w.offset, w.count]), [['SGF_PCAP_BAD_TIMESTAMP', 116, 2]]);
  assert.is(summary.error, undefined);
});

test('timestamps: pcapng default microseconds', () => {
  if (!corpus) return skipNoCorpus('pcap corpus');
  // test102's first EPB: ts high 312215, low 1690978218 -> 1340954905298858 µs.
  const f = 'pcapng-test-generator__output_be__advanced__test102.pcapng';
  const { packets } = decodeCapture(readFileSync(join(corpus, 'pcap', f)), f);
  assert.is(packets[0]!.record.tsText, '1340954905.298858');
  assert.is(packets[0]!.record.ts, 1340954905298858000n);
});

test.run();
