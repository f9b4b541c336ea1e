/** Captures in memory for replay tests: generated traffic written with the project's writer. */
import { generateTraffic, type TrafficGenOptions } from '../../src/gen/index.js';
import type { NativeTopology } from '../../src/parse/native.js';
import type { Topology } from '../../src/model/topology.js';
import { PcapWriter, PcapngWriter } from '../../src/pcap/writer.js';

export function captureFor(topology: Topology | NativeTopology, traffic: TrafficGenOptions, format: 'pcap' | 'pcapng' = 'pcap'): Uint8Array {
  const w = format === 'pcap' ? new PcapWriter({ nanos: traffic.nanos === true }) : new PcapngWriter();
  for (const f of generateTraffic(topology, traffic)) w.addParts(f.sec, f.nsec, f.data);
  return w.finish();
}
