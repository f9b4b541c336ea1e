/**
 * Capture writers: pcap (microsecond or nanosecond magic, little-endian) and
 * pcapng (one section, little-endian, interfaces with if_tsresol 10^-6 or
 * 10^-9). What they write reads back bit-exactly through reader.ts.
 *
 * In memory: `new PcapWriter({ nanos, linktype, snaplen })`, `.add(tsNs, bytes,
 * origLen?)`, `.finish()` returns the file. To a file: `PcapWriter.toFile(path,
 * opts)`, same `.add`, `.finish()` flushes and closes (the buffer is bounded:
 * 1 MiB). `addParts(sec, nsec, ...)` skips the bigint arithmetic for
 * generators that write millions of packets.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { BLOCK, EPB, IDB, LINKTYPE, MAX_CAPLEN, OPT, PCAP_HDR, PCAP_MAGIC_NS, PCAP_MAGIC_US, PCAP_REC, PCAPNG_BYTE_ORDER_MAGIC, SHB } from './format.js';
import { ApiUsageError } from '../model/errors.js';

const FLUSH_AT = 1 << 20;
const NS = 1_000_000_000n;

/** Output buffer: grows in memory, or flushes to a file descriptor past 1 MiB. */
class Out {
  buf = new Uint8Array(1 << 16);
  dv = new DataView(this.buf.buffer);
  len = 0;
  private readonly chunks: Uint8Array[] = [];
  private total = 0;
  constructor(private readonly fd: number | null) {}

  /** Make room for `n` more bytes; returns the write position. */
  reserve(n: number): number {
    if (this.len + n > this.buf.byteLength) {
      if (this.fd !== null || this.len >= FLUSH_AT) this.spill();
      if (this.len + n > this.buf.byteLength) {
        const bigger = new Uint8Array(Math.max(this.buf.byteLength * 2, this.len + n));
        bigger.set(this.buf.subarray(0, this.len));
        this.buf = bigger;
        this.dv = new DataView(bigger.buffer);
      }
    }
    const at = this.len;
    this.len += n;
    return at;
  }

  private spill(): void {
    if (this.len === 0) return;
    if (this.fd !== null) {
      let off = 0;
      while (off < this.len) off += writeSync(this.fd, this.buf, off, this.len - off);
    } else {
      this.chunks.push(this.buf.slice(0, this.len));
    }
    this.total += this.len;
    this.len = 0;
  }

  finish(): Uint8Array {
    if (this.fd !== null) {
      this.spill();
      closeSync(this.fd);
      return new Uint8Array(0);
    }
    if (this.chunks.length === 0) return this.buf.slice(0, this.len);
    this.spill();
    const out = new Uint8Array(this.total);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.byteLength;
    }
    return out;
  }
}

function splitNs(tsNs: bigint): [number, number] {
  if (tsNs < 0n) throw new ApiUsageError(`capture writer: negative timestamp ${tsNs}`);
  return [Number(tsNs / NS), Number(tsNs % NS)];
}

function checkFrame(data: Uint8Array, origLen: number): void {
  if (data.byteLength > MAX_CAPLEN) throw new ApiUsageError(`capture writer: frame of ${data.byteLength} bytes exceeds ${MAX_CAPLEN}`);
  if (!Number.isInteger(origLen) || origLen < 0 || origLen > 0xffffffff) throw new ApiUsageError(`capture writer: bad original length ${origLen}`);
}

export interface PcapWriterOptions {
  /** Nanosecond magic (a1b23c4d) instead of microseconds. */
  nanos?: boolean;
  linktype?: number;
  /** Default 262144. */
  snaplen?: number;
}

/** Classic pcap writer (little-endian). */
export class PcapWriter {
  private readonly out: Out;
  readonly nanos: boolean;
  packets = 0;

  constructor(opts: PcapWriterOptions = {}, fd: number | null = null) {
    this.out = new Out(fd);
    this.nanos = opts.nanos ?? false;
    const at = this.out.reserve(PCAP_HDR.SIZE);
    const dv = this.out.dv;
    dv.setUint32(at + PCAP_HDR.MAGIC, this.nanos ? PCAP_MAGIC_NS : PCAP_MAGIC_US, true);
    dv.setUint16(at + PCAP_HDR.VERSION_MAJOR, 2, true);
    dv.setUint16(at + PCAP_HDR.VERSION_MINOR, 4, true);
    dv.setInt32(at + PCAP_HDR.THISZONE, 0, true);
    dv.setUint32(at + PCAP_HDR.SIGFIGS, 0, true);
    dv.setUint32(at + PCAP_HDR.SNAPLEN, opts.snaplen ?? MAX_CAPLEN, true);
    dv.setUint32(at + PCAP_HDR.LINKTYPE, opts.linktype ?? LINKTYPE.ETHERNET, true);
  }

  /** A writer that streams to `path` (created or truncated). */
  static toFile(path: string, opts: PcapWriterOptions = {}): PcapWriter {
    return new PcapWriter(opts, openSync(path, 'w'));
  }

  /** Add a frame with a nanosecond timestamp (µs files round down). */
  add(tsNs: bigint, data: Uint8Array, origLen = data.byteLength): this {
    const [sec, nsec] = splitNs(tsNs);
    return this.addParts(sec, nsec, data, origLen);
  }

  /** Add a frame at `sec` seconds + `nsec` nanoseconds (0 ≤ nsec < 1e9). */
  addParts(sec: number, nsec: number, data: Uint8Array, origLen = data.byteLength): this {
    checkFrame(data, origLen);
    if (!(sec >= 0 && sec <= 0xffffffff)) throw new ApiUsageError(`pcap writer: seconds ${sec} do not fit 32 bits`);
    const at = this.out.reserve(PCAP_REC.SIZE + data.byteLength);
    const dv = this.out.dv;
    dv.setUint32(at + PCAP_REC.TS_SEC, sec, true);
    dv.setUint32(at + PCAP_REC.TS_FRAC, this.nanos ? nsec : Math.floor(nsec / 1000), true);
    dv.setUint32(at + PCAP_REC.CAPLEN, data.byteLength, true);
    dv.setUint32(at + PCAP_REC.LEN, origLen, true);
    this.out.buf.set(data, at + PCAP_REC.SIZE);
    this.packets++;
    return this;
  }

  /** The finished file (in memory), or flush and close (file writer; returns an empty array). */
  finish(): Uint8Array {
    return this.out.finish();
  }
}

export interface PcapngInterface {
  linktype: number;
  /** 0 = unlimited (default). */
  snaplen?: number;
  /** Nanosecond timestamps (if_tsresol 9) instead of the default microseconds. */
  nanos?: boolean;
  name?: string;
}

/** pcapng writer: one little-endian section, the given interfaces, enhanced packet blocks. */
export class PcapngWriter {
  private readonly out: Out;
  private readonly ifaces: PcapngInterface[];
  packets = 0;

  constructor(opts: { interfaces?: PcapngInterface[] } = {}, fd: number | null = null) {
    this.out = new Out(fd);
    this.ifaces = opts.interfaces ?? [{ linktype: LINKTYPE.ETHERNET }];
    // Section header: no options.
    let at = this.out.reserve(SHB.MIN_SIZE);
    let dv = this.out.dv;
    dv.setUint32(at, BLOCK.SHB, true);
    dv.setUint32(at + 4, SHB.MIN_SIZE, true);
    dv.setUint32(at + SHB.BYTE_ORDER_MAGIC, PCAPNG_BYTE_ORDER_MAGIC, true);
    dv.setUint16(at + SHB.VERSION_MAJOR, 1, true);
    dv.setUint16(at + SHB.VERSION_MINOR, 0, true);
    dv.setBigInt64(at + SHB.SECTION_LENGTH, -1n, true);
    dv.setUint32(at + SHB.MIN_SIZE - 4, SHB.MIN_SIZE, true);
    for (const ifc of this.ifaces) {
      const name = ifc.name !== undefined ? new TextEncoder().encode(ifc.name) : null;
      const optBytes = 8 /* tsresol */ + (name ? 4 + pad4(name.byteLength) : 0) + 4 /* end */;
      const total = IDB.MIN_SIZE + optBytes;
      at = this.out.reserve(total);
      dv = this.out.dv;
      this.out.buf.fill(0, at, at + total);
      dv.setUint32(at, BLOCK.IDB, true);
      dv.setUint32(at + 4, total, true);
      dv.setUint16(at + IDB.LINKTYPE, ifc.linktype, true);
      dv.setUint32(at + IDB.SNAPLEN, ifc.snaplen ?? 0, true);
      let o = at + IDB.OPTIONS;
      dv.setUint16(o + OPT.CODE, OPT.IF_TSRESOL, true);
      dv.setUint16(o + OPT.LENGTH, 1, true);
      dv.setUint8(o + OPT.VALUE, ifc.nanos ? 9 : 6);
      o += 8;
      if (name) {
        dv.setUint16(o + OPT.CODE, OPT.IF_NAME, true);
        dv.setUint16(o + OPT.LENGTH, name.byteLength, true);
        this.out.buf.set(name, o + OPT.VALUE);
        o += 4 + pad4(name.byteLength);
      }
      o += 4; // opt_endofopt (zeros)
      dv.setUint32(o, total, true);
    }
  }

  static toFile(path: string, opts: { interfaces?: PcapngInterface[] } = {}): PcapngWriter {
    return new PcapngWriter(opts, openSync(path, 'w'));
  }

  add(tsNs: bigint, data: Uint8Array, origLen = data.byteLength, iface = 0): this {
    const [sec, nsec] = splitNs(tsNs);
    return this.addParts(sec, nsec, data, origLen, iface);
  }

  addParts(sec: number, nsec: number, data: Uint8Array, origLen = data.byteLength, iface = 0): this {
    checkFrame(data, origLen);
    const ifc = this.ifaces[iface];
    if (!ifc) throw new ApiUsageError(`pcapng writer: no interface ${iface}`);
    // units = sec * 10^k + frac, as 64 bits, without bigint: split sec into 16-bit halves.
    const unit = ifc.nanos ? 1e9 : 1e6;
    const frac = ifc.nanos ? nsec : Math.floor(nsec / 1000);
    const hiSec = Math.floor(sec / 65536);
    const loSec = sec % 65536;
    const low = loSec * unit + frac; // < 2^46
    const high = hiSec * unit; // units of 2^16
    // total = high * 2^16 + low
    const lowPart = (high % 65536) * 65536 + low; // < 2^47
    const tsLow = lowPart % 4294967296;
    const tsHigh = Math.floor(high / 65536) + Math.floor(lowPart / 4294967296);
    if (tsHigh > 0xffffffff) throw new ApiUsageError(`pcapng writer: timestamp ${sec}s does not fit 64 bits`);
    const total = EPB.MIN_SIZE + pad4(data.byteLength);
    const at = this.out.reserve(total);
    const dv = this.out.dv;
    dv.setUint32(at, BLOCK.EPB, true);
    dv.setUint32(at + 4, total, true);
    dv.setUint32(at + EPB.INTERFACE_ID, iface, true);
    dv.setUint32(at + EPB.TS_HIGH, tsHigh, true);
    dv.setUint32(at + EPB.TS_LOW, tsLow, true);
    dv.setUint32(at + EPB.CAPLEN, data.byteLength, true);
    dv.setUint32(at + EPB.LEN, origLen, true);
    this.out.buf.set(data, at + EPB.DATA);
    this.out.buf.fill(0, at + EPB.DATA + data.byteLength, at + total - 4);
    dv.setUint32(at + total - 4, total, true);
    this.packets++;
    return this;
  }

  finish(): Uint8Array {
    return this.out.finish();
  }
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}
