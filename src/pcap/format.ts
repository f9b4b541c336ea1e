/**
 * The on-disk formats, as named constants: pcap (libpcap "savefile") and
 * pcapng. Field offsets are relative to the start of the structure they
 * belong to; nothing in src/pcap/ reads a bare `getUint32(8)`.
 *
 * pcap file header (24 bytes) and record header (16 bytes):
 * ```
 *  0        4        6        8          12         16         20         24
 *  | magic  | major  | minor  | thiszone | sigfigs  | snaplen  | linktype |
 *  | ts_sec          | ts_frac (µs or ns)| caplen   | len      |  <- record header, then caplen bytes
 * ```
 * The linktype word: `| fcs len : 4 | R : 1 | P : 1 | reserved : 10 | linktype : 16 |`
 * (bits 31..28, 27, 26, 25..16, 15..0). As libpcap: the 10 reserved bits must be
 * zero, the FCS bits (P, fcs len, R) are ignored, the linktype is the low 16 bits.
 *
 * pcapng block (every block): `| type : 32 | total length : 32 | body ... | total length : 32 |`,
 * total length a multiple of 4, at least 12. Options inside bodies:
 * `| code : 16 | length : 16 | value, padded to 4 |`, ending with code 0 or the body.
 */
import { TS_KIND } from '../wasm/layout.js';

/** Largest caplen any record may have: libpcap's MAXIMUM_SNAPLEN. */
export const MAX_CAPLEN = 262144;
/** Largest pcapng block the reader will buffer (a bound on memory, as Wireshark's). */
export const MAX_BLOCK_BYTES = 16 * 1024 * 1024;

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
/** Alexey Kuznetzov's "modified" pcap (extra per-record fields): refused. */
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;
export const PCAPNG_SHB_TYPE = 0x0a0d0d0a;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** pcap file header fields. */
export const PCAP_HDR = {
  MAGIC: 0,
  VERSION_MAJOR: 4,
  VERSION_MINOR: 6,
  THISZONE: 8,
  SIGFIGS: 12,
  SNAPLEN: 16,
  LINKTYPE: 20,
  SIZE: 24,
} as const;

/** pcap per-record header fields. */
export const PCAP_REC = {
  TS_SEC: 0,
  TS_FRAC: 4,
  CAPLEN: 8,
  LEN: 12,
  SIZE: 16,
} as const;

/** Linktype word bits (libpcap LT_*). */
export const LT_LINKTYPE_MASK = 0x0000ffff;
export const LT_RESERVED1_MASK = 0x03ff0000;

/** pcapng block types. */
export const BLOCK = {
  SHB: 0x0a0d0d0a,
  IDB: 0x00000001,
  PB: 0x00000002, // obsolete packet block
  SPB: 0x00000003,
  NRB: 0x00000004,
  ISB: 0x00000005,
  EPB: 0x00000006,
  DSB: 0x0000000a,
  CB_COPY: 0x00000bad,
  CB_NOCOPY: 0x40000bad,
} as const;

/** Offsets common to every pcapng block. */
export const BLK = {
  TYPE: 0,
  TOTAL_LENGTH: 4,
  BODY: 8,
  /** Type + length + trailing length. */
  OVERHEAD: 12,
} as const;

/** Section header block fields (from the block start). */
export const SHB = {
  BYTE_ORDER_MAGIC: 8,
  VERSION_MAJOR: 12,
  VERSION_MINOR: 14,
  SECTION_LENGTH: 16,
  OPTIONS: 24,
  MIN_SIZE: 28,
} as const;

/** Interface description block fields. */
export const IDB = {
  LINKTYPE: 8,
  RESERVED: 10,
  SNAPLEN: 12,
  OPTIONS: 16,
  MIN_SIZE: 20,
} as const;

/** Enhanced packet block fields. */
export const EPB = {
  INTERFACE_ID: 8,
  TS_HIGH: 12,
  TS_LOW: 16,
  CAPLEN: 20,
  LEN: 24,
  DATA: 28,
  MIN_SIZE: 32,
} as const;

/** Obsolete packet block fields. */
export const PB = {
  INTERFACE_ID: 8, // 16 bits
  DROPS_COUNT: 10, // 16 bits
  TS_HIGH: 12,
  TS_LOW: 16,
  CAPLEN: 20,
  LEN: 24,
  DATA: 28,
  MIN_SIZE: 32,
} as const;

/** Simple packet block fields. */
export const SPB = {
  LEN: 8,
  DATA: 12,
  MIN_SIZE: 16,
} as const;

/** Option header fields and the option codes the reader uses. */
export const OPT = {
  CODE: 0,
  LENGTH: 2,
  VALUE: 4,
  END: 0,
  IF_NAME: 2,
  IF_TSRESOL: 9,
  IF_TSOFFSET: 14,
} as const;

/** Link-layer header types the decoders understand (others decode as non-ip). */
export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/**
 * How an interface's raw timestamp words (A, B) become nanoseconds. The same
 * numbers are used by the WASM decoder (assembly/decode.ts TS_*; declared in
 * layout/layouts.json, generated into src/wasm/layout.ts).
 * - PAIR_US / PAIR_NS (pcap): A = seconds, B = micro/nanoseconds.
 * - DEC (pcapng if_tsresol 10^-k): A:B = a 64-bit count of 10^-k s units.
 * - BIN (pcapng if_tsresol 2^-k): A:B = a 64-bit count of 2^-k s units.
 */
export { TS_KIND };
export type TsKind = (typeof TS_KIND)[keyof typeof TS_KIND];
