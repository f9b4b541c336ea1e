/**
 * `sgfilter explain --topology T --packet SPEC [--json]`: judge one packet
 * from an empty conntrack state and say, per hop, what decided and why.
 */
import type { Command } from 'commander';
import { decisionJson } from '../model/decision.js';
import { parsePacketSpec, PacketSpecError } from '../model/packet-spec.js';
import type { PacketRecord } from '../model/packet.js';
import { ReferenceEngine } from '../reference/engine.js';
import { explainDecision } from '../reference/explain.js';
import { die, formatOption, groupTypeOption, loadForCommand, tfDirOption, type TopologyCliOptions } from './common.js';

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('judge one packet (from an empty conntrack state) and explain each hop')
    .requiredOption('--topology <file>', 'topology file')
    .requiredOption('--packet <spec>', 'e.g. "tcp 203.0.113.7:40000 -> 10.0.1.10:22", "icmp 1.2.3.4 -> 10.0.0.5 type 8 code 0", "udp [2001:db8::1]:53 -> [2001:db8::2]:5353"')
    .addOption(formatOption())
    .addOption(groupTypeOption())
    .addOption(tfDirOption())
    .option('--json', 'print exactly the SEMANTICS §9 decision object')
    .addHelpText('after', `
Packet specs: PROTO SRC -> DST [words]
  PROTO   tcp, udp, icmp, icmpv6, gre or a number 0-255
  SRC/DST ADDR, ADDR:PORT, [IPV6]:PORT (tcp and udp need ports)
  words   type N code N id N (icmp), flags FSRPAUEC (tcp, default S),
          fragoffset BYTES, mf, fragid N, ts SECONDS,
          quoting <packet spec>  (the header quoted by an ICMP error)`)
    .action((opts: TopologyCliOptions & { topology: string; packet: string; json?: boolean }) => {
      let packet: PacketRecord;
      try {
        packet = parsePacketSpec(opts.packet);
      } catch (e) {
        if (e instanceof PacketSpecError) die(e.message);
        throw e;
      }
      const { topology } = loadForCommand(opts.topology, opts, opts.json === true);
      const engine = new ReferenceEngine(topology);
      const decision = engine.judge(packet);
      if (opts.json) process.stdout.write(JSON.stringify(decisionJson(decision)) + '\n');
      else process.stdout.write(explainDecision(decision, packet, engine.index) + '\n');
    });
}
