// The decoded packet record (128 bytes): field offsets and flag bits, shared
// by the decoder (decode.ts, which writes records) and the replay engine
// (engine.ts, which reads them). Drawn in decode.ts's header; mirrored on the
// host in src/pcap/record-layout.ts (REC, REC_FLAG, REC_QFLAG). Not exported
// from the module (index.ts does not re-export this file).

export const REC_TS: usize = 0;
export const REC_SRC: usize = 8;
export const REC_DST: usize = 24;
export const REC_FAMILY: usize = 40;
export const REC_PROTO: usize = 41;
export const REC_REASON: usize = 42;
export const REC_FLAGS: usize = 43;
export const REC_SPORT: usize = 44;
export const REC_DPORT: usize = 46;
export const REC_TCP_FLAGS: usize = 48;
export const REC_ICMP_TYPE: usize = 49;
export const REC_ICMP_CODE: usize = 50;
export const REC_QFLAGS: usize = 51;
export const REC_ICMP_ID: usize = 52;
export const REC_FRAG_OFFSET: usize = 54;
export const REC_FRAG_ID: usize = 56;
export const REC_QPROTO: usize = 60;
export const REC_QICMP_TYPE: usize = 61;
export const REC_QICMP_ID: usize = 62;
export const REC_QSPORT: usize = 64;
export const REC_QDPORT: usize = 66;
export const REC_LINKTYPE: usize = 68;
export const REC_IFACE: usize = 70;
export const REC_QSRC: usize = 72;
export const REC_QDST: usize = 88;
export const REC_CAPLEN: usize = 104;
export const REC_LEN: usize = 108;

export const F_ADDR: u32 = 0x01;
export const F_PORTS: u32 = 0x02;
export const F_TCP: u32 = 0x04;
export const F_ICMP: u32 = 0x08;
export const F_ICMP_ID: u32 = 0x10;
export const F_FRAG: u32 = 0x20;
export const F_MF: u32 = 0x40;
export const F_QUOTED: u32 = 0x80;

export const Q_PRESENT: u32 = 0x01;
export const Q_V6: u32 = 0x02;
export const Q_PORTS: u32 = 0x04;
export const Q_ECHO: u32 = 0x08;

export const REASON_NON_IP: u8 = 1;
export const REASON_MALFORMED: u8 = 2;
