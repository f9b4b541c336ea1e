/**
 * `sgfilter decode FILE [--jsonl]`: print every packet of a pcap/pcapng
 * capture as the decoder sees it, then a summary.
 *
 * Output: one line per packet on stdout (text, or with --jsonl one JSON object
 * per line, keys as src/pcap/json.ts). The summary goes to stdout in text
 * mode and to stderr with --jsonl (so stdout stays pure JSONL). Warnings and
 * the error go to stderr.
 *
 * Exit codes: 0 the capture was read to its end; 1 the capture is damaged
 * (every packet before the damage was printed, then the error); 2 the file
 * cannot be read at all, or a bad option. A pipe or FIFO is read to its end
 * (`cat x.pcap | sgfilter decode /dev/stdin`); when stdout's reader goes
 * away (`| head`), decode stops quietly.
 */
import type { Command } from 'commander';
import { PCAP_ERROR, PcapError } from '../pcap/errors.js';
import { packetJson, packetText } from '../pcap/json.js';
import { decodeCaptured } from '../pcap/packets.js';
import { CaptureFileReader, type CaptureSummary } from '../pcap/reader.js';
import { intValue } from './common.js';

/** --chunk-size bounds: the reader's floor (64 KiB) and 256 MiB. */
const MIN_CHUNK = 65536;
const MAX_CHUNK = 256 * 1024 * 1024;

interface DecodeOptions {
  jsonl?: boolean;
  chunkSize?: string;
}

class Out {
  private parts: string[] = [];
  private size = 0;
  push(line: string): Promise<void> | undefined {
    this.parts.push(line);
    this.size += line.length + 1;
    return this.size > 1 << 16 ? this.flush() : undefined;
  }
  flush(): Promise<void> {
    const text = this.parts.join('\n') + (this.parts.length ? '\n' : '');
    this.parts = [];
    this.size = 0;
    if (!text) return Promise.resolve();
    return new Promise((resolve) => {
      if (process.stdout.write(text)) resolve();
      else process.stdout.once('drain', () => resolve());
    });
  }
}

export function summaryLines(s: CaptureSummary): string[] {
  const lines = [`${s.file}: ${s.format}, ${s.packets} packet(s), ${s.bytes} bytes, ${s.bytesRead} read, ${s.bytesUnread} unread`];
  for (const w of s.warnings) lines.push(`${s.file}: warning: byte ${w.offset}: ${w.detail} [${w.code}]${w.count > 1 ? ` (${w.count} times)` : ''}`);
  return lines;
}

export async function runDecode(file: string, opts: DecodeOptions): Promise<number> {
  const chunk = intValue('chunk-size', opts.chunkSize, MIN_CHUNK, MAX_CHUNK);
  const reader = new CaptureFileReader(file, chunk !== undefined ? { chunkSize: chunk } : {});
  const out = new Out();
  let error: PcapError | undefined;
  try {
    for await (const f of reader) {
      const p = decodeCaptured(reader.interfaces, f);
      const pcapng = reader.summary.format === 'pcapng';
      const line = opts.jsonl ? JSON.stringify(packetJson(p, pcapng)) : packetText(p, pcapng);
      const w = out.push(line);
      if (w) await w;
    }
  } catch (e) {
    if (!(e instanceof PcapError)) throw e;
    error = e;
  }
  await out.flush();
  const s = reader.summary;
  const lines = error?.code === PCAP_ERROR.IO ? [] : summaryLines(s);
  if (lines.length === 0) {
    // nothing was read: only the error below
  } else if (opts.jsonl) process.stderr.write(lines.join('\n') + '\n');
  else {
    process.stdout.write(lines[0] + '\n');
    if (lines.length > 1) process.stderr.write(lines.slice(1).join('\n') + '\n');
  }
  if (error) {
    process.stderr.write(`sgfilter: ${error.message}\n`);
    return error.code === PCAP_ERROR.IO ? 2 : 1;
  }
  return 0;
}

export function registerDecode(program: Command): void {
  program
    .command('decode')
    .description('print the packets of a pcap/pcapng capture as decoded for evaluation, then a summary')
    .argument('<file>', 'capture file (pcap or pcapng; detected by its magic)')
    .option('--jsonl', 'one JSON object per packet (summary to stderr)')
    .option('--chunk-size <bytes>', 'read buffer size, 65536 to 268435456 (default 2 MiB)')
    .addHelpText('after', '\nExit codes: 0 read to the end; 1 damaged capture (packets before the damage are printed); 2 unreadable file.')
    .action(async (file: string, opts: DecodeOptions) => {
      process.exitCode = await runDecode(file, opts);
    });
}
