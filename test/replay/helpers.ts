/** Captures in memory for replay tests: generated traffic written with the project's writer. */
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateTopology, generateTraffic, type TrafficGenOptions } from '../../src/gen/index.js';
import { topology as parsed } from '../helpers/scenario.js';
import type { NativeTopology } from '../../src/parse/native.js';
import type { Topology } from '../../src/model/topology.js';
import { PcapWriter, PcapngWriter } from '../../src/pcap/writer.js';

export function captureFor(topology: Topology | NativeTopology, traffic: TrafficGenOptions, format: 'pcap' | 'pcapng' = 'pcap'): Uint8Array {
  const w = format === 'pcap' ? new PcapWriter({ nanos: traffic.nanos === true }) : new PcapngWriter();
  for (const f of generateTraffic(topology, traffic)) w.addParts(f.sec, f.nsec, f.data);
  return w.finish();
}

/** The traffic of the replay tests' rich captures: ICMP errors, fragments, IPv6, idle flows, routers. */
export const RICH_TRAFFIC = { packetsPerFlow: 8, start: 1000, ipv6Share: 0.3, fragmentShare: 0.1, idleShare: 0.1, routers: 2, mix: { tcp: 40, udp: 20, echo: 8, 'icmp-error': 30, gre: 1, other: 1 } };

/** A generated topology of 5 interfaces and its rich capture, written to DIR/CLOUD-SEED.pcap. */
export function richCapture(dir: string, cloud: 'aliyun-basic' | 'aliyun-advanced' | 'huawei' | 'generic', seed: number, flows: number): { topology: Topology; pcap: string } {
  const doc = generateTopology({ seed, cloud, interfaces: 5, rulesPerGroup: 8, ipv6Share: 0.4 });
  const pcap = join(dir, `${cloud}-${seed}.pcap`);
  writeFileSync(pcap, captureFor(doc, { seed, flows, ...RICH_TRAFFIC }));
  return { topology: parsed(doc), pcap };
}

/** Aborts `stop` as soon as `out` (removed first) has bytes: decisions are being written, well before the end. Clear the returned poll after the call. */
export function abortOnceWritten(out: string, stop: AbortController): ReturnType<typeof setInterval> {
  rmSync(out, { force: true });
  const poll = setInterval(() => {
    if (existsSync(out) && statSync(out).size > 0) {
      clearInterval(poll);
      stop.abort();
    }
  }, 1);
  return poll;
}
