/**
 * Capture reading errors and warnings: one class, stable codes, made in one
 * place. Every error names the file, the byte offset of the offending field
 * (or structure) and what was expected. Codes are part of the public contract
 * (tests and scripts match on them); messages may be reworded.
 */
import { SgfError } from '../model/errors.js';

export const PCAP_ERROR = {
  /** The file cannot be opened or read. */
  IO: 'SGF_PCAP_IO',
  /** Fewer bytes than a file header. */
  TRUNCATED_HEADER: 'SGF_PCAP_TRUNCATED_HEADER',
  /** Neither a pcap nor a pcapng magic number. */
  BAD_MAGIC: 'SGF_PCAP_BAD_MAGIC',
  /** The "modified" pcap format (magic a1b2cd34), refused. */
  MODIFIED_FORMAT: 'SGF_PCAP_MODIFIED_FORMAT',
  /** pcap major version other than 2. */
  BAD_VERSION: 'SGF_PCAP_BAD_VERSION',
  /** The 10 reserved bits of the pcap linktype word are not zero. */
  LINKTYPE_RESERVED: 'SGF_PCAP_LINKTYPE_RESERVED',
  /** A record header or its data is cut short by the end of the file. */
  TRUNCATED_RECORD: 'SGF_PCAP_TRUNCATED_RECORD',
  /** A record claims more than MAX_CAPLEN (262144) captured bytes. */
  CAPLEN_TOO_LARGE: 'SGF_PCAP_CAPLEN_TOO_LARGE',
  /** pcapng: byte-order magic is not 1a2b3c4d in either order. */
  PCAPNG_BAD_BYTE_ORDER: 'SGF_PCAPNG_BAD_BYTE_ORDER',
  /** pcapng: section header version other than 1.0 (or 1.2). */
  PCAPNG_BAD_VERSION: 'SGF_PCAPNG_BAD_VERSION',
  /** pcapng: block total length too small, not a multiple of 4, trailer mismatch, or too small for its contents. */
  PCAPNG_BAD_BLOCK_LENGTH: 'SGF_PCAPNG_BAD_BLOCK_LENGTH',
  /** pcapng: block larger than MAX_BLOCK_BYTES. */
  PCAPNG_BLOCK_TOO_LARGE: 'SGF_PCAPNG_BLOCK_TOO_LARGE',
  /** pcapng: block cut short by the end of the file. */
  PCAPNG_TRUNCATED_BLOCK: 'SGF_PCAPNG_TRUNCATED_BLOCK',
  /** pcapng: an option runs past the end of its block's options. */
  PCAPNG_BAD_OPTION_LENGTH: 'SGF_PCAPNG_BAD_OPTION_LENGTH',
  /** pcapng: if_tsresol or if_tsoffset has a bad length or value. */
  PCAPNG_BAD_OPTION_VALUE: 'SGF_PCAPNG_BAD_OPTION_VALUE',
  /** pcapng: packet block names an interface not described in its section. */
  PCAPNG_UNKNOWN_INTERFACE: 'SGF_PCAPNG_UNKNOWN_INTERFACE',
  /** pcapng: one section describes more interfaces than the reader's table holds (MAX_CAPTURE_INTERFACES). */
  PCAPNG_TOO_MANY_INTERFACES: 'SGF_PCAPNG_TOO_MANY_INTERFACES',
  /** pcapng: a packet's caplen exceeds MAX_CAPLEN. */
  PCAPNG_CAPLEN_TOO_LARGE: 'SGF_PCAPNG_CAPLEN_TOO_LARGE',
} as const;
export type PcapErrorCode = (typeof PCAP_ERROR)[keyof typeof PCAP_ERROR];

/** Anomalies that do not stop reading: counted, first offset kept. */
export const PCAP_WARNING = {
  /** Timestamp fraction not below 1e6 (µs) / 1e9 (ns); carried into the seconds. */
  BAD_TIMESTAMP: 'SGF_PCAP_BAD_TIMESTAMP',
  /** caplen above the file's / interface's snaplen; the captured bytes are kept. */
  CAPLEN_EXCEEDS_SNAPLEN: 'SGF_PCAP_CAPLEN_EXCEEDS_SNAPLEN',
  /** caplen above the original length; kept as recorded. */
  CAPLEN_EXCEEDS_LEN: 'SGF_PCAP_CAPLEN_EXCEEDS_LEN',
} as const;
export type PcapWarningCode = (typeof PCAP_WARNING)[keyof typeof PCAP_WARNING];

export class PcapError extends SgfError {
  readonly code: PcapErrorCode;
  readonly file: string;
  /** Byte offset, in the file, of the offending field or structure. */
  readonly offset: number;
  /** The message without the "file: offset" prefix. */
  readonly detail: string;

  constructor(code: PcapErrorCode, file: string, offset: number, detail: string) {
    super(`${file}: byte ${offset}: ${detail} [${code}]`);
    this.name = 'PcapError';
    this.code = code;
    this.file = file;
    this.offset = offset;
    this.detail = detail;
  }
}

export interface PcapWarning {
  code: PcapWarningCode;
  /** Offset of the first record that raised it. */
  offset: number;
  count: number;
  detail: string;
}

export function isPcapError(e: unknown): e is PcapError {
  return e instanceof PcapError;
}
