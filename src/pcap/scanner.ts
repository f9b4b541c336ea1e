/**
 * The capture scanner: walks pcap records or pcapng blocks in a byte window
 * and writes one descriptor per packet into a FrameBatch (struct of typed
 * arrays: no object per packet, no copy of packet bytes). It validates every
 * length before using it, keeps the per-section state of pcapng (byte order,
 * interfaces, timestamp resolution), and stops at the first damage with a
 * PcapError naming the byte offset. Everything before the damage has been
 * emitted by then.
 *
 * The scanner never reads outside [pos, end) of the window it is given: when a
 * record does not fit it reports NEED with the byte count it wants, and the
 * caller (reader.ts) refills. With `eof` set, a record that does not fit is a
 * truncation error instead.
 *
 * Offsets in errors: a damaged record or block is reported at its first byte
 * (which is also where reading stopped); a bad field of a file or section
 * header, a bad option or a bad trailer at that field's own offset.
 */
import {
  BLK, BLOCK, EPB, IDB, LT_LINKTYPE_MASK, LT_RESERVED1_MASK, MAX_BLOCK_BYTES, MAX_CAPLEN, OPT,
  PB, PCAP_HDR, PCAP_MAGIC_MODIFIED, PCAP_MAGIC_NS, PCAP_MAGIC_US, PCAP_REC, PCAPNG_BYTE_ORDER_MAGIC,
  PCAPNG_SHB_TYPE, SHB, SPB, TS_KIND,
} from './format.js';
import { DESC } from '../wasm/layout.js';
import { PCAP_ERROR, PCAP_WARNING, PcapError, type PcapErrorCode, type PcapWarning, type PcapWarningCode } from './errors.js';
import type { TsClock } from './timestamp.js';
import { ApiUsageError, InternalError } from '../model/errors.js';

/** One link (pcap: the file; pcapng: one interface description block). */
export interface CaptureInterface {
  /**
   * Position in the scanner's `interfaces` table (descriptors name it). Counts
   * interfaces across sections until the table holds MAX_CAPTURE_INTERFACES;
   * then the interfaces of finished sections are dropped between batches and
   * the rest renumbered from 0 (so a file of many sections stays bounded).
   */
  index: number;
  /** The interface id inside its section, as packet blocks (and tshark's frame.interface_id) name it. */
  id: number;
  /** 0-based pcapng section number (pcap: 0). */
  section: number;
  /** Link-layer header type (16 bits). */
  linktype: number;
  /** Snapshot length; 0 = not limited. */
  snaplen: number;
  clock: TsClock;
  name?: string;
}

/**
 * Frame descriptors, one per packet, 6 × u32 each (array of structs, so that
 * a batch can live in WASM memory and be handed to assembly/decode.ts as is;
 * declared in layout/layouts.json, generated into src/wasm/layout.ts as DESC):
 * ```
 *  word  field     meaning
 *  0     dataOff   offset of the packet's first byte in the window buffer
 *  1     caplen    captured bytes
 *  2     len       original (wire) length
 *  3     iface     interface table index (CaptureInterface.index)
 *  4     tsA       raw timestamp word A (timestamp.ts)
 *  5     tsB       raw timestamp word B
 * ```
 */
export { DESC } from '../wasm/layout.js';

/** Descriptors of the packets found in one window. */
export class FrameBatch {
  readonly capacity: number;
  count = 0;
  /** capacity × DESC.WORDS words; may be a view into WASM memory. */
  readonly desc: Uint32Array;
  /** File offset of each packet's block (pcapng; host only). Read through `recordOffset`. */
  readonly recOff: Float64Array;
  /**
   * A classic pcap batch: the file offset of the window's first byte minus
   * the record header's size, so that a packet's record offset is this plus
   * its dataOff (no per-packet store). NaN: the offsets are in `recOff`.
   */
  recBase = NaN;
  /** 1-based packet number of the first packet in the batch. */
  firstN = 1;

  constructor(capacity = 4096, desc?: Uint32Array) {
    this.capacity = capacity;
    if (desc && desc.length < capacity * DESC.WORDS) throw new ApiUsageError(`FrameBatch: descriptor array of ${desc.length} words is too small for ${capacity} frames`);
    this.desc = desc ?? new Uint32Array(capacity * DESC.WORDS);
    this.recOff = new Float64Array(capacity);
  }

  dataOff(i: number): number { return this.desc[i * DESC.WORDS + DESC.DATA_OFF]!; }
  /** File offset of packet i's record header (pcap) or block (pcapng). */
  recordOffset(i: number): number { return Number.isNaN(this.recBase) ? this.recOff[i]! : this.recBase + this.dataOff(i); }
  caplen(i: number): number { return this.desc[i * DESC.WORDS + DESC.CAPLEN]!; }
  len(i: number): number { return this.desc[i * DESC.WORDS + DESC.LEN]!; }
  iface(i: number): number { return this.desc[i * DESC.WORDS + DESC.IFACE]!; }
  tsA(i: number): number { return this.desc[i * DESC.WORDS + DESC.TS_A]!; }
  tsB(i: number): number { return this.desc[i * DESC.WORDS + DESC.TS_B]!; }
}

export type CaptureFormat = 'pcap' | 'pcapng' | 'unknown';

/**
 * Interfaces the scanner's table holds at once (and the WASM decoder's and
 * engine's interface tables). A pcapng file may name more over many sections:
 * finished sections are forgotten; one section may describe at most this many
 * (SGF_PCAPNG_TOO_MANY_INTERFACES).
 */
export const MAX_CAPTURE_INTERFACES = 4096;

/** Why scan() returned. */
export const SCAN = {
  /** The batch is full; call again from `pos`. */
  FULL: 0,
  /** The next record/block needs `need` bytes from `pos`; refill and call again. */
  NEED: 1,
  /** The end of the capture was reached cleanly. */
  END: 2,
  /** Damage: `error` is set, nothing more will be read. */
  ERROR: 3,
} as const;
export type ScanStatus = (typeof SCAN)[keyof typeof SCAN];

const enum Phase { Start, Pcap, Pcapng, Done }

/**
 * An accelerated classic-pcap walk (the WASM decoder, pcap/wasm.ts, over
 * assembly/decode.ts scanPcap), for a window that sits in WASM memory:
 * `walkPcap` takes only records the scanner would accept silently, writes
 * their descriptors from index n, returns [new n, new pos]. The scanner
 * handles whatever it stops at.
 */
export interface PcapWalk {
  walkPcap(pos: number, end: number, little: boolean, fracLimit: number, snaplen: number, batch: FrameBatch, n: number): [number, number];
}

export class CaptureScanner {
  readonly file: string;
  format: CaptureFormat = 'unknown';
  readonly interfaces: CaptureInterface[] = [];
  /** Packets emitted so far. */
  packets = 0;
  /** Position (in the current window) where scanning stopped. */
  pos = 0;
  /** With NEED: bytes wanted from `pos`. */
  need = 0;
  error: PcapError | undefined;
  private readonly warnMap = new Map<PcapWarningCode, PcapWarning>();
  private phase = Phase.Start;
  private little = true;
  // pcap
  private lengthsSwapped: 0 | 1 | 2 = 0; // 0 no, 1 always, 2 when caplen > len (version 2.3)
  // pcapng: table indices of the current section's interfaces
  private section = -1;
  private sectionIfaces: number[] = [];

  /** The decoder the scanner asks to walk classic pcap records (windows in WASM memory), if any. */
  walk: PcapWalk | undefined;

  constructor(file = '<buffer>', walk?: PcapWalk) {
    this.file = file;
    this.walk = walk;
  }

  get warnings(): PcapWarning[] {
    return [...this.warnMap.values()];
  }

  private warn(code: PcapWarningCode, offset: number, detail: string): void {
    const w = this.warnMap.get(code);
    if (w) w.count++;
    else this.warnMap.set(code, { code, offset, count: 1, detail });
  }

  private fail(code: PcapErrorCode, offset: number, detail: string): ScanStatus {
    this.error = new PcapError(code, this.file, offset, detail);
    this.phase = Phase.Done;
    return SCAN.ERROR;
  }

  /**
   * Scan `buf[pos, end)`, where buf[0] is at file offset `base`. Descriptors go
   * into `batch` (appended; the caller empties it). Sets `this.pos`.
   */
  scan(buf: Uint8Array, pos: number, end: number, base: number, eof: boolean, batch: FrameBatch): ScanStatus {
    this.pos = pos;
    this.need = 0;
    if (this.phase === Phase.Done) return this.error ? SCAN.ERROR : SCAN.END;
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    if (this.phase === Phase.Start) {
      const st = this.start(dv, pos, end, base, eof);
      if (st !== undefined) return st;
    }
    return this.phase === Phase.Pcap ? this.scanPcap(dv, end, base, eof, batch) : this.scanPcapng(dv, end, base, eof, batch);
  }

  /** Read the magic and, for pcap, the file header. Undefined = go on. */
  private start(dv: DataView, pos: number, end: number, base: number, eof: boolean): ScanStatus | undefined {
    const avail = end - pos;
    if (avail < 4) {
      if (!eof) return this.needBytes(4);
      return this.fail(PCAP_ERROR.TRUNCATED_HEADER, base + pos, avail === 0 ? 'empty file: expected a pcap or pcapng file header' : `file of ${avail} bytes: expected a pcap or pcapng file header`);
    }
    const le = dv.getUint32(pos, true);
    const be = dv.getUint32(pos, false);
    if (le === PCAPNG_SHB_TYPE) {
      this.format = 'pcapng';
      this.phase = Phase.Pcapng;
      return undefined;
    }
    if (le === PCAP_MAGIC_MODIFIED || be === PCAP_MAGIC_MODIFIED) {
      return this.fail(PCAP_ERROR.MODIFIED_FORMAT, base + pos, 'the "modified" pcap format (magic a1b2cd34, extra per-record fields) is not supported: convert it with editcap');
    }
    let kind: number;
    if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS) {
      this.little = true;
      kind = le === PCAP_MAGIC_NS ? TS_KIND.PAIR_NS : TS_KIND.PAIR_US;
    } else if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) {
      this.little = false;
      kind = be === PCAP_MAGIC_NS ? TS_KIND.PAIR_NS : TS_KIND.PAIR_US;
    } else {
      return this.fail(PCAP_ERROR.BAD_MAGIC, base + pos, `magic ${hex8(be)}: expected a pcap (a1b2c3d4, a1b23c4d, either byte order) or pcapng (0a0d0d0a) file`);
    }
    this.format = 'pcap';
    if (avail < PCAP_HDR.SIZE) {
      if (!eof) return this.needBytes(PCAP_HDR.SIZE);
      return this.fail(PCAP_ERROR.TRUNCATED_HEADER, base + pos, `pcap file header cut short: ${avail} of ${PCAP_HDR.SIZE} bytes`);
    }
    const L = this.little;
    const major = dv.getUint16(pos + PCAP_HDR.VERSION_MAJOR, L);
    const minor = dv.getUint16(pos + PCAP_HDR.VERSION_MINOR, L);
    if (major !== 2) {
      return this.fail(PCAP_ERROR.BAD_VERSION, base + pos + PCAP_HDR.VERSION_MAJOR, `pcap version ${major}.${minor}: expected major version 2`);
    }
    this.lengthsSwapped = minor < 3 ? 1 : minor === 3 ? 2 : 0;
    const word = dv.getUint32(pos + PCAP_HDR.LINKTYPE, L);
    if ((word & LT_RESERVED1_MASK) !== 0) {
      return this.fail(PCAP_ERROR.LINKTYPE_RESERVED, base + pos + PCAP_HDR.LINKTYPE, `linktype word ${hex8(word)}: the reserved bits 16-25 must be zero`);
    }
    this.interfaces.push({
      index: 0,
      id: 0,
      section: 0,
      linktype: word & LT_LINKTYPE_MASK,
      snaplen: dv.getUint32(pos + PCAP_HDR.SNAPLEN, L),
      clock: { kind: kind as 0 | 1, exp: kind === TS_KIND.PAIR_NS ? 9 : 6, offset: 0n },
    });
    this.phase = Phase.Pcap;
    this.pos = pos + PCAP_HDR.SIZE;
    return undefined;
  }

  private needBytes(n: number): ScanStatus {
    this.need = n;
    return SCAN.NEED;
  }

  private scanPcap(dv: DataView, end: number, base: number, eof: boolean, batch: FrameBatch): ScanStatus {
    const L = this.little;
    const ifc = this.interfaces[0]!;
    const snaplen = ifc.snaplen;
    const kind = ifc.clock.kind;
    const fracLimit = kind === TS_KIND.PAIR_NS ? 1_000_000_000 : 1_000_000;
    let pos = this.pos;
    let n = batch.count;
    const cap = batch.capacity;
    const desc = batch.desc;
    const walk = this.lengthsSwapped === 0 ? this.walk : undefined;
    // Every packet's record offset is recBase + its dataOff (one window, one base).
    if (n > 0 && batch.recBase !== base - PCAP_REC.SIZE) throw new InternalError('internal: a pcap batch continued over another window');
    batch.recBase = base - PCAP_REC.SIZE;
    for (;;) {
      if (walk) [n, pos] = walk.walkPcap(pos, end, L, fracLimit, snaplen, batch, n);
      if (end - pos < PCAP_REC.SIZE) break;
      if (n === cap) {
        this.finishBatch(batch, n, pos);
        return SCAN.FULL;
      }
      let caplen = dv.getUint32(pos + PCAP_REC.CAPLEN, L);
      let len = dv.getUint32(pos + PCAP_REC.LEN, L);
      if (this.lengthsSwapped === 1 || (this.lengthsSwapped === 2 && caplen > len)) {
        const t = caplen; caplen = len; len = t;
      }
      if (caplen > MAX_CAPLEN) {
        this.finishBatch(batch, n, pos);
        return this.fail(PCAP_ERROR.CAPLEN_TOO_LARGE, base + pos, `record caplen ${caplen} exceeds the maximum of ${MAX_CAPLEN} bytes (damaged or not a pcap file)`);
      }
      if (end - pos - PCAP_REC.SIZE < caplen) {
        this.finishBatch(batch, n, pos);
        if (!eof) return this.needBytes(PCAP_REC.SIZE + caplen);
        return this.fail(PCAP_ERROR.TRUNCATED_RECORD, base + pos, `record of ${caplen} captured bytes cut short by the end of the file (${end - pos - PCAP_REC.SIZE} bytes left)`);
      }
      const a = dv.getUint32(pos + PCAP_REC.TS_SEC, L);
      const b = dv.getUint32(pos + PCAP_REC.TS_FRAC, L);
      if (b >= fracLimit) this.warn(PCAP_WARNING.BAD_TIMESTAMP, base + pos, `timestamp fraction ${b} is not below ${fracLimit}; carried into the seconds`);
      if (snaplen !== 0 && caplen > snaplen) this.warn(PCAP_WARNING.CAPLEN_EXCEEDS_SNAPLEN, base + pos, `caplen ${caplen} above the snaplen ${snaplen}; all captured bytes kept`);
      if (caplen > len) this.warn(PCAP_WARNING.CAPLEN_EXCEEDS_LEN, base + pos, `caplen ${caplen} above the original length ${len}`);
      const k = n * DESC.WORDS;
      desc[k] = pos + PCAP_REC.SIZE;
      desc[k + 1] = caplen;
      desc[k + 2] = len;
      desc[k + 3] = 0;
      desc[k + 4] = a;
      desc[k + 5] = b;
      n++;
      pos += PCAP_REC.SIZE + caplen;
    }
    this.finishBatch(batch, n, pos);
    if (pos === end && eof) {
      this.phase = Phase.Done;
      return SCAN.END;
    }
    if (!eof) return this.needBytes(PCAP_REC.SIZE);
    return this.fail(PCAP_ERROR.TRUNCATED_RECORD, base + pos, `record header cut short by the end of the file: ${end - pos} of ${PCAP_REC.SIZE} bytes`);
  }

  private finishBatch(batch: FrameBatch, n: number, pos: number): void {
    this.packets += n - batch.count;
    batch.count = n;
    this.pos = pos;
  }

  private scanPcapng(dv: DataView, end: number, base: number, eof: boolean, batch: FrameBatch): ScanStatus {
    let pos = this.pos;
    batch.recBase = NaN; // block offsets in recOff
    for (;;) {
      const avail = end - pos;
      if (avail === 0 && eof) {
        this.finishBatch(batch, batch.count, pos);
        this.phase = Phase.Done;
        return SCAN.END;
      }
      // The SHB's length is in the byte order that its own magic announces.
      const typeLE = avail >= 8 ? dv.getUint32(pos, true) : 0;
      const head = typeLE === PCAPNG_SHB_TYPE ? 12 : 8;
      if (avail < head) {
        this.finishBatch(batch, batch.count, pos);
        if (!eof) return this.needBytes(head);
        return this.fail(PCAP_ERROR.PCAPNG_TRUNCATED_BLOCK, base + pos, `block header cut short by the end of the file: ${avail} of ${head} bytes`);
      }
      if (typeLE === PCAPNG_SHB_TYPE) {
        const bom = dv.getUint32(pos + SHB.BYTE_ORDER_MAGIC, true);
        if (bom === PCAPNG_BYTE_ORDER_MAGIC) this.little = true;
        else if (bom === 0x4d3c2b1a) this.little = false;
        else {
          this.finishBatch(batch, batch.count, pos);
          return this.fail(PCAP_ERROR.PCAPNG_BAD_BYTE_ORDER, base + pos + SHB.BYTE_ORDER_MAGIC, `section header byte-order magic ${hex8(dv.getUint32(pos + SHB.BYTE_ORDER_MAGIC, false))}: expected 1a2b3c4d in either byte order`);
        }
      }
      const L = this.little;
      const type = dv.getUint32(pos + BLK.TYPE, L);
      const total = dv.getUint32(pos + BLK.TOTAL_LENGTH, L);
      const minSize = type === BLOCK.SHB ? SHB.MIN_SIZE : BLK.OVERHEAD;
      if (total < minSize || total % 4 !== 0) {
        this.finishBatch(batch, batch.count, pos);
        return this.fail(PCAP_ERROR.PCAPNG_BAD_BLOCK_LENGTH, base + pos, `block type ${hex8(type)} total length ${total}: expected a multiple of 4, at least ${minSize}`);
      }
      if (total > MAX_BLOCK_BYTES) {
        this.finishBatch(batch, batch.count, pos);
        return this.fail(PCAP_ERROR.PCAPNG_BLOCK_TOO_LARGE, base + pos, `block type ${hex8(type)} total length ${total} exceeds the reader's limit of ${MAX_BLOCK_BYTES} bytes`);
      }
      if (avail < total) {
        this.finishBatch(batch, batch.count, pos);
        if (!eof) return this.needBytes(total);
        return this.fail(PCAP_ERROR.PCAPNG_TRUNCATED_BLOCK, base + pos, `block type ${hex8(type)} of ${total} bytes cut short by the end of the file (${avail} bytes left)`);
      }
      const isPacket = type === BLOCK.EPB || type === BLOCK.SPB || type === BLOCK.PB;
      if (isPacket && batch.count === batch.capacity) {
        this.finishBatch(batch, batch.count, pos);
        return SCAN.FULL;
      }
      const st = this.block(dv, pos, type, total, base, batch);
      if (st !== undefined) {
        this.finishBatch(batch, batch.count, pos);
        return st;
      }
      const trailer = dv.getUint32(pos + total - 4, L);
      if (trailer !== total) {
        // Withdraw a packet this block may have added: the block is damaged.
        if (isPacket && batch.count > 0 && batch.recOff[batch.count - 1] === base + pos) {
          batch.count--;
          this.packets--;
        }
        this.finishBatch(batch, batch.count, pos);
        return this.fail(PCAP_ERROR.PCAPNG_BAD_BLOCK_LENGTH, base + pos + total - 4, `block type ${hex8(type)}: trailing total length ${trailer} differs from the leading ${total}`);
      }
      pos += total;
      this.pos = pos;
    }
  }

  /** Process one complete block. Returns a status only on error. */
  private block(dv: DataView, pos: number, type: number, total: number, base: number, batch: FrameBatch): ScanStatus | undefined {
    const L = this.little;
    const bodyEnd = pos + total - 4;
    switch (type) {
      case BLOCK.SHB: {
        const major = dv.getUint16(pos + SHB.VERSION_MAJOR, L);
        const minor = dv.getUint16(pos + SHB.VERSION_MINOR, L);
        if (major !== 1 || (minor !== 0 && minor !== 2)) {
          return this.fail(PCAP_ERROR.PCAPNG_BAD_VERSION, base + pos + SHB.VERSION_MAJOR, `section header version ${major}.${minor}: expected 1.0`);
        }
        const st = this.options(dv, pos + SHB.OPTIONS, bodyEnd, base, null);
        if (st !== undefined) return st;
        this.section++;
        this.sectionIfaces = [];
        return undefined;
      }
      case BLOCK.IDB: {
        if (total < IDB.MIN_SIZE) return this.tooShort(type, pos, base, total, IDB.MIN_SIZE);
        if (this.interfaces.length >= MAX_CAPTURE_INTERFACES) {
          // The table is full: end the batch here (its descriptors name the
          // current indices), then forget the finished sections.
          if (batch.count > 0) return SCAN.FULL;
          this.forgetFinishedSections();
          if (this.interfaces.length >= MAX_CAPTURE_INTERFACES) {
            return this.fail(PCAP_ERROR.PCAPNG_TOO_MANY_INTERFACES, base + pos, `section ${this.section} describes more than ${MAX_CAPTURE_INTERFACES} interfaces (the reader's limit)`);
          }
        }
        const ifc: CaptureInterface = {
          index: this.interfaces.length,
          id: this.sectionIfaces.length,
          section: this.section,
          linktype: dv.getUint16(pos + IDB.LINKTYPE, L),
          snaplen: dv.getUint32(pos + IDB.SNAPLEN, L),
          clock: { kind: TS_KIND.DEC, exp: 6, offset: 0n },
        };
        const st = this.options(dv, pos + IDB.OPTIONS, bodyEnd, base, ifc);
        if (st !== undefined) return st;
        this.interfaces.push(ifc);
        this.sectionIfaces.push(ifc.index);
        return undefined;
      }
      case BLOCK.EPB:
      case BLOCK.PB: {
        if (total < EPB.MIN_SIZE) return this.tooShort(type, pos, base, total, EPB.MIN_SIZE);
        const local = type === BLOCK.EPB ? dv.getUint32(pos + EPB.INTERFACE_ID, L) : dv.getUint16(pos + PB.INTERFACE_ID, L);
        const g = this.sectionIfaces[local];
        if (g === undefined) {
          return this.fail(PCAP_ERROR.PCAPNG_UNKNOWN_INTERFACE, base + pos + EPB.INTERFACE_ID, `packet block names interface ${local}, but its section describes ${this.sectionIfaces.length}`);
        }
        const caplen = dv.getUint32(pos + EPB.CAPLEN, L);
        const len = dv.getUint32(pos + EPB.LEN, L);
        if (caplen > MAX_CAPLEN) {
          return this.fail(PCAP_ERROR.PCAPNG_CAPLEN_TOO_LARGE, base + pos, `packet caplen ${caplen} exceeds the maximum of ${MAX_CAPLEN} bytes`);
        }
        const optStart = pos + EPB.DATA + pad4(caplen);
        if (optStart > bodyEnd) {
          return this.fail(PCAP_ERROR.PCAPNG_BAD_BLOCK_LENGTH, base + pos, `packet block of ${total} bytes cannot hold its caplen of ${caplen} bytes`);
        }
        const st = this.options(dv, optStart, bodyEnd, base, null);
        if (st !== undefined) return st;
        this.emit(batch, pos + EPB.DATA, caplen, len, g, dv.getUint32(pos + EPB.TS_HIGH, L), dv.getUint32(pos + EPB.TS_LOW, L), base + pos);
        return undefined;
      }
      case BLOCK.SPB: {
        if (total < SPB.MIN_SIZE) return this.tooShort(type, pos, base, total, SPB.MIN_SIZE);
        const g = this.sectionIfaces[0];
        if (g === undefined) {
          return this.fail(PCAP_ERROR.PCAPNG_UNKNOWN_INTERFACE, base + pos, 'simple packet block before any interface description in its section');
        }
        const len = dv.getUint32(pos + SPB.LEN, L);
        const snap = this.interfaces[g]!.snaplen;
        let caplen = Math.min(len, bodyEnd - (pos + SPB.DATA));
        if (snap !== 0) caplen = Math.min(caplen, snap);
        if (caplen > MAX_CAPLEN) {
          return this.fail(PCAP_ERROR.PCAPNG_CAPLEN_TOO_LARGE, base + pos, `simple packet of ${caplen} captured bytes exceeds the maximum of ${MAX_CAPLEN} bytes`);
        }
        this.emit(batch, pos + SPB.DATA, caplen, len, g, 0, 0, base + pos);
        return undefined;
      }
      default:
        // NRB, ISB, DSB, custom, systemd journal, unknown: skipped by length.
        return undefined;
    }
  }

  /** Drop the interfaces of sections before the current one; renumber the rest (no descriptor may name them). */
  private forgetFinishedSections(): void {
    const keep = this.interfaces.filter((x) => x.section === this.section);
    this.interfaces.length = 0;
    keep.forEach((x, i) => {
      x.index = i;
      this.interfaces.push(x);
    });
    this.sectionIfaces = keep.map((x) => x.index);
  }

  private emit(batch: FrameBatch, dataOff: number, caplen: number, len: number, iface: number, a: number, b: number, rec: number): void {
    const ifc = this.interfaces[iface]!;
    if (ifc.snaplen !== 0 && caplen > ifc.snaplen) this.warn(PCAP_WARNING.CAPLEN_EXCEEDS_SNAPLEN, rec, `caplen ${caplen} above interface ${iface}'s snaplen ${ifc.snaplen}; all captured bytes kept`);
    if (caplen > len) this.warn(PCAP_WARNING.CAPLEN_EXCEEDS_LEN, rec, `caplen ${caplen} above the original length ${len}`);
    const n = batch.count;
    const k = n * DESC.WORDS;
    const desc = batch.desc;
    desc[k + DESC.DATA_OFF] = dataOff;
    desc[k + DESC.CAPLEN] = caplen;
    desc[k + DESC.LEN] = len;
    desc[k + DESC.IFACE] = iface;
    desc[k + DESC.TS_A] = a;
    desc[k + DESC.TS_B] = b;
    batch.recOff[n] = rec;
    batch.count = n + 1;
    this.packets++;
  }

  private tooShort(type: number, pos: number, base: number, total: number, min: number): ScanStatus {
    return this.fail(PCAP_ERROR.PCAPNG_BAD_BLOCK_LENGTH, base + pos, `block type ${hex8(type)} total length ${total}: at least ${min} bytes expected`);
  }

  /** Walk options in [p, end); check lengths; read the interface options into `ifc`. */
  private options(dv: DataView, p: number, end: number, base: number, ifc: CaptureInterface | null): ScanStatus | undefined {
    const L = this.little;
    while (end - p >= 4) {
      const code = dv.getUint16(p + OPT.CODE, L);
      const olen = dv.getUint16(p + OPT.LENGTH, L);
      if (code === OPT.END) return undefined;
      if (olen > end - p - OPT.VALUE) {
        return this.fail(PCAP_ERROR.PCAPNG_BAD_OPTION_LENGTH, base + p, `option ${code} of length ${olen} runs past the end of its block (${end - p - OPT.VALUE} bytes left)`);
      }
      const v = p + OPT.VALUE;
      if (ifc) {
        if (code === OPT.IF_TSRESOL) {
          const r = olen === 1 ? dv.getUint8(v) : -1;
          const binary = r >= 0 && (r & 0x80) !== 0;
          const exp = r & 0x7f;
          if (r < 0 || (binary ? exp > 63 : exp > 19)) {
            return this.fail(PCAP_ERROR.PCAPNG_BAD_OPTION_VALUE, base + p, olen !== 1 ? `if_tsresol of length ${olen}: expected 1` : `if_tsresol ${hex2(r)}: expected 10^-0..19 or 2^-0..63`);
          }
          ifc.clock.kind = binary ? TS_KIND.BIN : TS_KIND.DEC;
          ifc.clock.exp = exp;
        } else if (code === OPT.IF_TSOFFSET) {
          if (olen !== 8) return this.fail(PCAP_ERROR.PCAPNG_BAD_OPTION_VALUE, base + p, `if_tsoffset of length ${olen}: expected 8`);
          ifc.clock.offset = dv.getBigInt64(v, L);
        } else if (code === OPT.IF_NAME) {
          ifc.name = new TextDecoder().decode(new Uint8Array(dv.buffer, dv.byteOffset + v, olen)).replace(/\0+$/, '');
        }
      }
      p = v + pad4(olen);
    }
    return undefined;
  }
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}
function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
