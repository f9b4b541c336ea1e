/**
 * Step scripts: each flow kind is a generator function yielding its packets
 * (a Step: the delay before it and the frame), built here from the flow's
 * endpoints with the frame encoder.
 */
import type { PacketRecord, QuotedHeader } from '../../model/packet.js';
import { PROTO, TCP_FLAG } from '../../model/packet.js';
import { concat, ethernet, icmp, ipv4, udp } from '../../pcap/build.js';
import { addressBytes, encodeFrame, type L4 } from '../frames.js';
import type { Prng } from '../prng.js';
import type { FlowChooser } from './endpoints.js';
import { BROADCAST, ETHERTYPE_ARP, mac, PAYLOAD, routerAddress, type Flow, type Step } from './flow.js';
import type { ResolvedTrafficGenOptions } from './options.js';

export class FlowScripts {
  constructor(
    private readonly options: ResolvedTrafficGenOptions,
    private readonly rng: Prng,
    private readonly chooser: FlowChooser,
  ) {}


  private rtt(): number {
    return this.rng.exp(this.options.rttUs * 1000) + 20_000;
  }

  private payloadLen(): number {
    return this.options.payloadMax === 0 ? 0 : this.rng.range(1, this.options.payloadMax);
  }

  private base(f: Flow, fromClient: boolean, proto: number): PacketRecord | undefined {
    if (!this.options.intents) return undefined;
    return { ts: 0n, family: f.family, src: fromClient ? f.c : f.s, dst: fromClient ? f.s : f.c, proto };
  }

  /** The IP packet (no link layer) from one side of the flow. */
  /** The Ethernet frame of one IP packet from one side of the flow (or from `src` to `dst`). */
  private enc(f: Flow, fromClient: boolean, proto: number, l4: L4, frag?: { offset: number; more: boolean; id: number }, src?: Uint8Array, dst?: Uint8Array): Uint8Array {
    if (f.family === 4) f.ipId = (f.ipId + 1) & 0xffff;
    const l3 = { family: f.family, src: src ?? (fromClient ? f.cb : f.sb), dst: dst ?? (fromClient ? f.sb : f.cb), proto, id: f.ipId, ...(frag ? { frag } : {}), ...(f.vlans ? { vlans: f.vlans } : {}) };
    return encodeFrame(l3, l4);
  }

  private tcpStep(f: Flow, fromClient: boolean, flags: number, len: number, dt: number, seq: number, ack: number): Step {
    const sport = fromClient ? f.sport : f.dport;
    const dport = fromClient ? f.dport : f.sport;
    const data = this.enc(f, fromClient, PROTO.TCP, { kind: 'tcp', sport, dport, flags, seq, ack, payload: PAYLOAD.subarray(0, len) });
    const intent = this.base(f, fromClient, PROTO.TCP);
    if (intent) Object.assign(intent, { sport, dport, tcpFlags: flags });
    return intent ? { dt, data, intent } : { dt, data };
  }

  private udpStep(f: Flow, fromClient: boolean, len: number, dt: number): Step {
    const sport = fromClient ? f.sport : f.dport;
    const dport = fromClient ? f.dport : f.sport;
    const data = this.enc(f, fromClient, PROTO.UDP, { kind: 'udp', sport, dport, payload: PAYLOAD.subarray(0, len) });
    const intent = this.base(f, fromClient, PROTO.UDP);
    if (intent) Object.assign(intent, { sport, dport });
    return intent ? { dt, data, intent } : { dt, data };
  }

  private icmpProto(f: Flow): number {
    return f.family === 4 ? PROTO.ICMP : PROTO.ICMPV6;
  }

  private echoStep(f: Flow, request: boolean, id: number, seq: number, len: number, dt: number): Step {
    const type = f.family === 4 ? (request ? 8 : 0) : request ? 128 : 129;
    const proto = this.icmpProto(f);
    const data = this.enc(f, request, proto, { kind: 'icmp', type, code: 0, id, seq, payload: PAYLOAD.subarray(0, len) });
    const intent = this.base(f, request, proto);
    if (intent) Object.assign(intent, { icmpType: type, icmpCode: 0, icmpId: id });
    return intent ? { dt, data, intent } : { dt, data };
  }

  /**
   * An ICMP error sent by `from` to the sender of `offending` (an IP packet
   * from this flow), quoting its IP header and first 8 transport bytes.
   */
  private errorStep(f: Flow, offending: Uint8Array, from: bigint, to: bigint, type: number, code: number, dt: number, quoted: QuotedHeader | undefined): Step {
    const hlen = f.family === 4 ? (offending[0]! & 0x0f) * 4 : 40;
    const quote = offending.subarray(0, Math.min(offending.byteLength, hlen + 8));
    const proto = this.icmpProto(f);
    const l4: L4 = { kind: 'icmp', type, code, id: 0, seq: type === 2 && f.family === 6 ? 1280 : 0, payload: quote };
    const data = this.enc(f, false, proto, l4, undefined, addressBytes(f.family, from), addressBytes(f.family, to));
    let intent: PacketRecord | undefined;
    if (this.options.intents) {
      intent = { ts: 0n, family: f.family, src: from, dst: to, proto, icmpType: type, icmpCode: code };
      if (quoted) intent.quoted = quoted;
    }
    return intent ? { dt, data, intent, icmpError: true } : { dt, data, icmpError: true };
  }

  script(f: Flow): Generator<Step> {
    switch (f.kind) {
      case 'tcp': return this.tcpScript(f);
      case 'udp': return this.udpScript(f);
      case 'echo': return this.echoScript(f);
      case 'icmp-error': return this.icmpErrorScript(f);
      case 'gre': return this.greScript(f);
      case 'other': return this.otherScript(f);
      case 'fragment': return this.fragmentScript(f);
      case 'denied': return this.deniedScript(f);
      case 'scan': return this.scanScript(f);
      case 'arp': return this.arpScript(f);
    }
  }

  private *tcpScript(f: Flow): Generator<Step> {
    const rng = this.rng;
    const { SYN, ACK, RST, PSH } = TCP_FLAG;
    let cs = rng.u32();
    let ss = rng.u32();
    yield this.tcpStep(f, true, SYN, 0, 0, cs, 0);
    cs = (cs + 1) >>> 0;
    if (rng.chance(0.04)) {
      // Refused: the server answers RST.
      yield this.tcpStep(f, false, RST | ACK, 0, this.rtt(), 0, cs);
      return;
    }
    yield this.tcpStep(f, false, SYN | ACK, 0, this.rtt(), ss, cs);
    ss = (ss + 1) >>> 0;
    yield this.tcpStep(f, true, ACK, 0, this.rtt() / 4, cs, ss);
    const teardown = rng.weighted([70, 20, 10]); // FIN, RST, none
    const tail = teardown === 0 ? 4 : teardown === 1 ? 1 : 0;
    const data = Math.max(0, f.n - 3 - tail);
    const idleAt = f.idleNs > 0 ? rng.int(data + 1) : -1;
    for (let j = 0; j <= data; j++) {
      let dt = rng.exp(this.options.rttUs * 250) + 10_000;
      const idle = j === idleAt;
      if (idle) dt += f.idleNs;
      if (j === data) {
        if (idle) {
          // The pause falls before the teardown: a keepalive-less pause, then the close.
          yield* this.tcpTeardown(f, teardown, dt, cs, ss, true);
          return;
        }
        break;
      }
      const fromClient = rng.chance(0.55);
      const len = rng.chance(0.3) ? 0 : this.payloadLen();
      const step = this.tcpStep(f, fromClient, len > 0 ? PSH | ACK : ACK, len, dt, fromClient ? cs : ss, fromClient ? ss : cs);
      if (idle) step.idle = true;
      yield step;
      if (fromClient) cs = (cs + len) >>> 0;
      else ss = (ss + len) >>> 0;
    }
    yield* this.tcpTeardown(f, teardown, this.rtt(), cs, ss, false);
  }

  private *tcpTeardown(f: Flow, teardown: number, dt: number, cs: number, ss: number, idle: boolean): Generator<Step> {
    const { ACK, FIN, RST } = TCP_FLAG;
    const rng = this.rng;
    if (teardown === 2) {
      // Left open; a pause asked for here ends with a bare ACK.
      if (idle) {
        const s = this.tcpStep(f, true, ACK, 0, dt, cs, ss);
        s.idle = true;
        yield s;
      }
      return;
    }
    const x = rng.chance(0.6); // who closes: true = client
    if (teardown === 1) {
      const s = this.tcpStep(f, x, RST | ACK, 0, dt, x ? cs : ss, x ? ss : cs);
      if (idle) s.idle = true;
      yield s;
      return;
    }
    const first = this.tcpStep(f, x, FIN | ACK, 0, dt, x ? cs : ss, x ? ss : cs);
    if (idle) first.idle = true;
    yield first;
    yield this.tcpStep(f, !x, ACK, 0, this.rtt() / 2, x ? ss : cs, x ? cs + 1 : ss + 1);
    yield this.tcpStep(f, !x, FIN | ACK, 0, rng.exp(1_000_000), x ? ss : cs, x ? cs + 1 : ss + 1);
    yield this.tcpStep(f, x, ACK, 0, this.rtt() / 2, x ? cs + 1 : ss + 1, x ? ss + 1 : cs + 1);
  }

  private *udpScript(f: Flow): Generator<Step> {
    const rng = this.rng;
    const pairs = Math.max(1, Math.ceil(f.n / 2));
    let emitted = 0;
    const idleAt = f.idleNs > 0 ? rng.range(1, Math.max(1, pairs - 1)) : -1;
    for (let k = 0; k < pairs && emitted < f.n; k++) {
      let dt = k === 0 ? 0 : rng.exp(this.options.rttUs * 2000);
      const idle = k === idleAt;
      if (idle) dt += f.idleNs;
      const req = this.udpStep(f, true, this.payloadLen(), dt);
      if (idle) req.idle = true;
      yield req;
      emitted++;
      if (emitted < f.n && rng.chance(0.9)) {
        yield this.udpStep(f, false, this.payloadLen(), this.rtt());
        emitted++;
      }
    }
    if (idleAt >= pairs) {
      // Too short to pause between pairs: pause, then one more request.
      const req = this.udpStep(f, true, this.payloadLen(), f.idleNs);
      req.idle = true;
      yield req;
    }
  }

  private *echoScript(f: Flow): Generator<Step> {
    const rng = this.rng;
    const id = rng.int(65536);
    const pairs = Math.max(1, Math.ceil(f.n / 2));
    let emitted = 0;
    for (let k = 0; k < pairs && emitted < f.n; k++) {
      const len = rng.range(8, 56);
      yield this.echoStep(f, true, id, k + 1, len, k === 0 ? 0 : 1e9 * (0.5 + rng.float()));
      emitted++;
      if (emitted < f.n && rng.chance(0.9)) {
        yield this.echoStep(f, false, id, k + 1, len, this.rtt());
        emitted++;
      }
    }
  }

  private *icmpErrorScript(f: Flow): Generator<Step> {
    const rng = this.rng;
    const v6 = f.family === 6;
    const rounds = Math.max(1, Math.floor(f.n / 2));
    const variant = rng.weighted([50, 30, 20]); // UDP -> unreachable, TCP SYN -> time exceeded, echo -> unreachable
    const router = this.options.routers > 0 ? routerAddress(f.family, rng.int(this.options.routers)) : this.chooser.outside(f.family);
    const echoId = rng.int(65536);
    for (let k = 0; k < rounds; k++) {
      const dt = k === 0 ? 0 : 1e9 * (0.2 + rng.float());
      let req: Step;
      let proto: number;
      let q: QuotedHeader | undefined;
      if (variant === 0) {
        req = this.udpStep(f, true, this.payloadLen(), dt);
        proto = PROTO.UDP;
        if (this.options.intents) q = { family: f.family, src: f.c, dst: f.s, proto, sport: f.sport, dport: f.dport };
      } else if (variant === 1) {
        req = this.tcpStep(f, true, TCP_FLAG.SYN, 0, dt, rng.u32(), 0);
        proto = PROTO.TCP;
        if (this.options.intents) q = { family: f.family, src: f.c, dst: f.s, proto, sport: f.sport, dport: f.dport };
      } else {
        req = this.echoStep(f, true, echoId, k + 1, 32, dt);
        proto = this.icmpProto(f);
        if (this.options.intents) q = { family: f.family, src: f.c, dst: f.s, proto, icmpType: v6 ? 128 : 8, icmpId: echoId };
      }
      // With a router pool, a quarter of the errors quote a request the capture
      // does not hold (sent by another path): not related, judged by the rules.
      if (this.options.routers === 0 || !rng.chance(0.25)) yield req;
      const ip = req.data.subarray(14 + 4 * (f.vlans?.length ?? 0));
      let type: number, code: number, from: bigint;
      if (variant === 1) {
        [type, code, from] = v6 ? [3, 0, router] : [11, 0, router];
      } else if (variant === 0) {
        // Port unreachable from the server, or now and then "packet too big" / "fragmentation needed" from a router.
        if (rng.chance(0.8)) [type, code, from] = v6 ? [1, 4, f.s] : [3, 3, f.s];
        else [type, code, from] = v6 ? [2, 0, router] : [3, 4, router];
      } else {
        [type, code, from] = v6 ? [1, 3, router] : [3, 1, router];
      }
      yield this.errorStep(f, ip, from, f.c, type, code, this.rtt(), q);
    }
  }

  private *greScript(f: Flow): Generator<Step> {
    const rng = this.rng;
    for (let k = 0; k < f.n; k++) {
      const fromClient = k === 0 || rng.chance(0.5);
      const inner = ipv4({ src: 0xc0a80001n + BigInt(rng.int(200)), dst: 0xc0a80101n, proto: PROTO.UDP, id: k }, udp({ sport: 4789, dport: 4789 }, PAYLOAD.subarray(0, rng.range(0, 64))));
      const l4 = concat(new Uint8Array([0, 0, 0x08, 0x00]), inner);
      const data = this.enc(f, fromClient, PROTO.GRE, { kind: 'raw', payload: l4 });
      const intent = this.base(f, fromClient, PROTO.GRE);
      const dt = k === 0 ? 0 : rng.exp(this.options.rttUs * 500);
      yield intent ? { dt, data, intent } : { dt, data };
    }
  }

  private *otherScript(f: Flow): Generator<Step> {
    const rng = this.rng;
    for (let k = 0; k < f.n; k++) {
      const fromClient = k === 0 || rng.chance(0.5);
      const data = this.enc(f, fromClient, f.proto, { kind: 'raw', payload: PAYLOAD.subarray(0, rng.range(20, 120)) });
      const intent = this.base(f, fromClient, f.proto);
      const dt = k === 0 ? 0 : rng.exp(this.options.rttUs * 500);
      yield intent ? { dt, data, intent } : { dt, data };
    }
  }

  /** Fragmented UDP (f.proto 17) or echo (f.proto 0) datagrams. */
  private *fragmentScript(f: Flow): Generator<Step> {
    const rng = this.rng;
    const udpFlow = f.proto === PROTO.UDP;
    const proto = udpFlow ? PROTO.UDP : this.icmpProto(f);
    const echoId = rng.int(65536);
    const datagrams = Math.max(1, Math.floor(f.n / 3));
    let fragId = rng.u32();
    for (let k = 0; k < datagrams; k++) {
      const chunk = 8 * rng.range(32, 96); // 256-768 bytes per fragment
      const size = rng.range(chunk + 16, 3 * chunk);
      const body = PAYLOAD.subarray(0, size - 8);
      const l4 = udpFlow ? udp({ sport: f.sport, dport: f.dport }, body) : icmp({ type: f.family === 4 ? 8 : 128, code: 0, id: echoId, seq: k + 1 }, body);
      const id = f.family === 4 ? (f.ipId = (f.ipId + 1) & 0xffff) : (fragId = (fragId + 1) >>> 0);
      const orphan = rng.chance(0.2); // later fragments without the first
      let first = true;
      for (let off = 0; off < l4.byteLength; off += chunk) {
        const more = off + chunk < l4.byteLength;
        const piece = l4.subarray(off, Math.min(l4.byteLength, off + chunk));
        const dt = first && k > 0 ? 1e9 * (0.2 + rng.float()) : 20_000 + rng.int(200_000);
        if (off === 0 && orphan) {
          first = false;
          continue;
        }
        const data = this.enc(f, true, proto, { kind: 'raw', payload: piece }, { offset: off, more, id });
        const intent = this.base(f, true, proto);
        if (intent) {
          if (off === 0) {
            if (udpFlow) Object.assign(intent, { sport: f.sport, dport: f.dport });
            else Object.assign(intent, { icmpType: f.family === 4 ? 8 : 128, icmpCode: 0, icmpId: echoId });
          }
          Object.assign(intent, { fragOffset: off, moreFragments: more, fragId: id });
        }
        const step: Step = { dt, data, frag: true };
        if (intent) step.intent = intent;
        if (orphan) step.orphan = true;
        first = false;
        yield step;
      }
      if (rng.chance(0.7)) {
        yield udpFlow ? this.udpStep(f, false, this.payloadLen(), this.rtt()) : this.echoStep(f, false, echoId, k + 1, 32, this.rtt());
      }
    }
  }

  private *deniedScript(f: Flow): Generator<Step> {
    const rng = this.rng;
    if (rng.chance(0.75)) {
      const tries = Math.min(f.n, 3);
      const isn = rng.u32();
      for (let k = 0; k < tries; k++) yield this.tcpStep(f, true, TCP_FLAG.SYN, 0, k === 0 ? 0 : 1e9 * 2 ** (k - 1), isn, 0);
    } else {
      const tries = Math.min(f.n, 2);
      for (let k = 0; k < tries; k++) yield this.udpStep(f, true, this.payloadLen(), k === 0 ? 0 : 1e9);
    }
  }

  private *scanScript(f: Flow): Generator<Step> {
    const rng = this.rng;
    const count = Math.max(1, f.n);
    const sequential = rng.chance(0.6);
    const isn = rng.u32();
    for (let k = 0; k < count; k++) {
      const port = sequential ? ((f.dport + k - 1) % 65535) + 1 : rng.range(1, 65535);
      f.dport = port;
      yield this.tcpStep(f, true, TCP_FLAG.SYN, 0, k === 0 ? 0 : 100_000 + rng.int(2_000_000), isn, 0);
      if (rng.chance(0.2)) yield this.tcpStep(f, false, TCP_FLAG.RST | TCP_FLAG.ACK, 0, this.rtt(), 0, (isn + 1) >>> 0);
    }
  }

  private *arpScript(f: Flow): Generator<Step> {
    const arp = (op: number, sha: Uint8Array, spa: bigint, tha: Uint8Array, tpa: bigint): Uint8Array => {
      const b = new Uint8Array(28);
      const dv = new DataView(b.buffer);
      dv.setUint16(0, 1); // Ethernet
      dv.setUint16(2, 0x0800);
      b[4] = 6;
      b[5] = 4;
      dv.setUint16(6, op);
      b.set(sha, 8);
      dv.setUint32(14, Number(spa & 0xffffffffn));
      b.set(tha, 18);
      dv.setUint32(24, Number(tpa & 0xffffffffn));
      return b;
    };
    const cm = mac(f.c);
    const sm = mac(f.s);
    const mk = (dt: number, dst: Uint8Array, src: Uint8Array, body: Uint8Array): Step => {
      const data = ethernet(f.vlans ? { type: ETHERTYPE_ARP, dst, src, vlans: f.vlans } : { type: ETHERTYPE_ARP, dst, src }, body);
      return this.options.intents ? { dt, data, intent: { ts: 0n, reason: 'non-ip' } } : { dt, data };
    };
    yield mk(0, BROADCAST, cm, arp(1, cm, f.c, new Uint8Array(6), f.s));
    yield mk(this.rtt() / 4, cm, sm, arp(2, sm, f.s, cm, f.c));
  }
}
