/**
 * Frames + decoder: captured packets as PacketRecords with their capture
 * metadata (`CapturedPacket`), from a buffer or streamed from a file.
 */
import type { PacketRecord } from '../model/packet.js';
import { decodeFrame } from './decode.js';
import { PcapError } from './errors.js';
import { CaptureFileReader, CaptureReader, frameTime, type CaptureSummary, type CapturedFrame, type FileReaderOptions } from './reader.js';
import type { CaptureInterface } from './scanner.js';

export interface CapturedPacket {
  /** 1-based packet number. */
  n: number;
  /** Interface id inside its pcapng section (tshark's frame.interface_id); 0 for pcap. */
  iface: number;
  /** pcapng section number (0 for pcap). */
  section: number;
  linktype: number;
  caplen: number;
  len: number;
  /** File offset of the record/block. */
  offset: number;
  record: PacketRecord;
}

/** Decode one frame of a reader whose interfaces are `interfaces`. */
export function decodeCaptured(interfaces: readonly CaptureInterface[], f: CapturedFrame): CapturedPacket {
  const t = frameTime(interfaces, f.ifaceIndex, f.tsA, f.tsB);
  return {
    n: f.n,
    iface: f.iface,
    section: f.section,
    linktype: f.linktype,
    caplen: f.caplen,
    len: f.len,
    offset: f.offset,
    record: decodeFrame(f.linktype, f.data, t.ts, t.tsText),
  };
}

/** Decode a whole capture held in memory. Never throws a PcapError: it is in `summary.error`. */
export function decodeCapture(bytes: Uint8Array, file?: string): { packets: CapturedPacket[]; summary: CaptureSummary } {
  const r = new CaptureReader(bytes, file !== undefined ? { file } : {});
  const packets: CapturedPacket[] = [];
  try {
    for (const f of r) packets.push(decodeCaptured(r.interfaces, f));
  } catch (e) {
    if (!(e instanceof PcapError)) throw e;
  }
  return { packets, summary: r.summary };
}

/**
 * Stream a capture file as decoded packets. Throws the PcapError after the
 * last good packet; `reader.summary` tells the rest.
 */
export async function* readPackets(reader: CaptureFileReader): AsyncGenerator<CapturedPacket> {
  for await (const f of reader) yield decodeCaptured(reader.interfaces, f);
}

export function openCapture(path: string, opts: FileReaderOptions = {}): CaptureFileReader {
  return new CaptureFileReader(path, opts);
}
