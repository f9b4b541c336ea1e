/**
 * The flat packet record that the WASM decoder (assembly/decode.ts) writes,
 * 128 bytes per packet, little-endian, no pointers — the mirror of
 * assembly/decode.ts's REC_* constants (a test checks they agree). The replay
 * engine feeds these records to conntrack and the classifier as they are.
 *
 * ```
 *  off  size  field       meaning
 *    0     8  ts          i64 nanoseconds since the epoch (timestamp.ts formulas)
 *    8    16  src         address as a 128-bit little-endian integer: bytes 0-7 the
 *   24    16  dst         low 64 bits, 8-15 the high 64; IPv4 is its 32-bit value in
 *                         the low 4 bytes (u32 at +0), the other 12 bytes zero
 *   40     1  family      0 (not decoded), 4, 6
 *   41     1  proto       IP protocol (IPv6: after the extension chain)
 *   42     1  reason      0 decoded, 1 non-ip, 2 malformed
 *   43     1  flags       F_* bits: which optional fields are present
 *   44     2  sport       TCP/UDP source port        (F_PORTS)
 *   46     2  dport       TCP/UDP destination port   (F_PORTS)
 *   48     1  tcpFlags    TCP flags byte             (F_TCP)
 *   49     1  icmpType                               (F_ICMP)
 *   50     1  icmpCode                               (F_ICMP)
 *   51     1  qflags      Q_* bits of the quoted header
 *   52     2  icmpId      echo identifier            (F_ICMP_ID)
 *   54     2  fragOffset  bytes                      (F_FRAG)
 *   56     4  fragId      IPv4 ID / IPv6 frag id     (F_FRAG)
 *   60     1  qproto      quoted header's protocol   (Q_PRESENT)
 *   61     1  qicmpType   quoted echo type           (Q_ECHO)
 *   62     2  qicmpId     quoted echo id             (Q_ECHO)
 *   64     2  qsport                                 (Q_PORTS)
 *   66     2  qdport                                 (Q_PORTS)
 *   68     2  linktype    the frame's link type
 *   70     2  iface       interface table index (CaptureInterface.index; pcap: 0)
 *   72    16  qsrc        quoted source, as src      (Q_PRESENT)
 *   88    16  qdst        quoted destination         (Q_PRESENT)
 *  104     4  caplen
 *  108     4  len         original length
 *  112    16  reserved    zero
 * ```
 * flags: F_ADDR 0x01 (family/src/dst valid) | F_PORTS 0x02 | F_TCP 0x04 |
 * F_ICMP 0x08 | F_ICMP_ID 0x10 | F_FRAG 0x20 | F_MF 0x40 (more fragments) |
 * F_QUOTED 0x80. qflags: Q_PRESENT 0x01 | Q_V6 0x02 | Q_PORTS 0x04 | Q_ECHO 0x08.
 * Absent fields are zero, so records compare bytewise.
 */
import type { Family, PacketRecord, QuotedHeader } from '../model/packet.js';

export const REC = {
  TS: 0,
  SRC: 8,
  DST: 24,
  FAMILY: 40,
  PROTO: 41,
  REASON: 42,
  FLAGS: 43,
  SPORT: 44,
  DPORT: 46,
  TCP_FLAGS: 48,
  ICMP_TYPE: 49,
  ICMP_CODE: 50,
  QFLAGS: 51,
  ICMP_ID: 52,
  FRAG_OFFSET: 54,
  FRAG_ID: 56,
  QPROTO: 60,
  QICMP_TYPE: 61,
  QICMP_ID: 62,
  QSPORT: 64,
  QDPORT: 66,
  LINKTYPE: 68,
  IFACE: 70,
  QSRC: 72,
  QDST: 88,
  CAPLEN: 104,
  LEN: 108,
  SIZE: 128,
} as const;

export const REC_FLAG = {
  ADDR: 0x01,
  PORTS: 0x02,
  TCP: 0x04,
  ICMP: 0x08,
  ICMP_ID: 0x10,
  FRAG: 0x20,
  MF: 0x40,
  QUOTED: 0x80,
} as const;

export const REC_QFLAG = {
  PRESENT: 0x01,
  V6: 0x02,
  PORTS: 0x04,
  ECHO: 0x08,
} as const;

export const REC_REASON = { OK: 0, NON_IP: 1, MALFORMED: 2 } as const;

/** Interface table entry handed to decodeBatch (16 bytes per interface). */
export const IFACE_ENTRY = { LINKTYPE: 0, TS_KIND: 4, TS_EXP: 5, TS_OFFSET: 8, SIZE: 16 } as const;

function addrAt(dv: DataView, off: number, family: Family): bigint {
  if (family === 4) return BigInt(dv.getUint32(off, true));
  return (dv.getBigUint64(off + 8, true) << 64n) | dv.getBigUint64(off, true);
}

/** Convert the flat record at `off` back to a PacketRecord (for differential tests and tools). */
export function recordToPacket(dv: DataView, off: number, tsText?: string): PacketRecord {
  const rec: PacketRecord = { ts: dv.getBigInt64(off + REC.TS, true) };
  if (tsText !== undefined) rec.tsText = tsText;
  const flags = dv.getUint8(off + REC.FLAGS);
  const reason = dv.getUint8(off + REC.REASON);
  if (reason === REC_REASON.NON_IP) rec.reason = 'non-ip';
  else if (reason === REC_REASON.MALFORMED) rec.reason = 'malformed';
  if (flags & REC_FLAG.ADDR) {
    const family = dv.getUint8(off + REC.FAMILY) as Family;
    rec.family = family;
    rec.src = addrAt(dv, off + REC.SRC, family);
    rec.dst = addrAt(dv, off + REC.DST, family);
  }
  if (reason !== REC_REASON.OK) return rec;
  rec.proto = dv.getUint8(off + REC.PROTO);
  if (flags & REC_FLAG.PORTS) {
    rec.sport = dv.getUint16(off + REC.SPORT, true);
    rec.dport = dv.getUint16(off + REC.DPORT, true);
  }
  if (flags & REC_FLAG.TCP) rec.tcpFlags = dv.getUint8(off + REC.TCP_FLAGS);
  if (flags & REC_FLAG.ICMP) {
    rec.icmpType = dv.getUint8(off + REC.ICMP_TYPE);
    rec.icmpCode = dv.getUint8(off + REC.ICMP_CODE);
  }
  if (flags & REC_FLAG.ICMP_ID) rec.icmpId = dv.getUint16(off + REC.ICMP_ID, true);
  if (flags & REC_FLAG.FRAG) {
    rec.fragOffset = dv.getUint16(off + REC.FRAG_OFFSET, true);
    rec.moreFragments = (flags & REC_FLAG.MF) !== 0;
    rec.fragId = dv.getUint32(off + REC.FRAG_ID, true);
  }
  const qf = dv.getUint8(off + REC.QFLAGS);
  if (flags & REC_FLAG.QUOTED && qf & REC_QFLAG.PRESENT) {
    const family: Family = qf & REC_QFLAG.V6 ? 6 : 4;
    const q: QuotedHeader = { family, src: addrAt(dv, off + REC.QSRC, family), dst: addrAt(dv, off + REC.QDST, family), proto: dv.getUint8(off + REC.QPROTO) };
    if (qf & REC_QFLAG.PORTS) {
      q.sport = dv.getUint16(off + REC.QSPORT, true);
      q.dport = dv.getUint16(off + REC.QDPORT, true);
    }
    if (qf & REC_QFLAG.ECHO) {
      q.icmpType = dv.getUint8(off + REC.QICMP_TYPE);
      q.icmpId = dv.getUint16(off + REC.QICMP_ID, true);
    }
    rec.quoted = q;
  }
  return rec;
}
