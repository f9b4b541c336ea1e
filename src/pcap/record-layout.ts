/**
 * The flat packet record that the WASM decoder (assembly/decode.ts) writes,
 * REC.SIZE (128) bytes per packet, little-endian, no pointers. Its layout (REC,
 * REC_FLAG, REC_QFLAG, REC_REASON) and the capture interface entry
 * (IFACE_ENTRY) are declared once, in layout/layouts.json, and generated into
 * src/wasm/layout.ts (drawn there) and assembly/layout.ts; this file re-exports
 * them and converts records back to PacketRecords. The replay engine feeds
 * these records to conntrack and the classifier as they are; its pre-pass
 * writes scratch into the REC.X_* bytes (zero as decoded).
 */
import type { Family, PacketRecord, QuotedHeader } from '../model/packet.js';
import { IFACE_ENTRY, REC, REC_FLAG, REC_QFLAG, REC_REASON } from '../wasm/layout.js';

export { IFACE_ENTRY, REC, REC_FLAG, REC_QFLAG, REC_REASON };

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
