/**
 * Where a compiled classifier's walk and scans spend their steps, counted (no
 * timing): a JS replay of the first tree of the ClassBench list's classifier
 * over every packet of a trace, read from the compiled table's bytes (format
 * docs/table-format.md) and the tuples the WASM matcher would read.
 *
 *   node dist/bench/classify/walkstats.js [--dir DIR] [--sets a,b] [--families 4,6]
 *
 * Per set and family: the classifier's trees and fixed walk (WALK_STEPS, or
 * "loop"); the packets' leaf depth in the first tree (mean, and the deepest
 * of each 8 consecutive packets, which the 8-lane lockstep walk pays); the
 * depth histogram (% of packets) beside the builder's 2^-depth model (the
 * tree's leaves weighted 2^-depth, as compile.ts's fill model weighs them);
 * leaf groups scanned per packet until the first with a match, as
 * scanLeafFirst does, and dimensions stored per scanned group. Used in
 * docs/classifier.md ("Lanes in SIMD registers, and short fixed walks").
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileTopology } from '../../src/compile/compile.js';
import { CLASSIFIER, LEAF_DIM, LEAF_ENTRY, LEAF_GROUP, LEAF_SETS, LIST_ENTRY, NODE, SECTION, TREE_ENTRY, TUPLE, validateTable } from '../../src/compile/format.js';
import { TupleBatch } from '../../src/compile/matcher.js';
import { Table } from '../../src/compile/table.js';
import { writeTrace } from '../../src/cli/classify.js';
import { CLASSBENCH_INTERFACE, classBenchToIpv6, parseClassBenchRules, parseClassBenchTrace } from '../../src/parse/classbench.js';
import { WasmInstance } from '../../src/wasm/loader.js';
import { classbenchDir } from './main.js';
import { benchProgram, listOption, parseBenchArgs, runBenchScript } from '../cli.js';

export interface WalkStats {
  set: string;
  family: 4 | 6;
  trees: number;
  /** WALK_STEPS of the classifier (0: the lockstep loop). */
  walkSteps: number;
  /** The first tree's leaves by depth. */
  leavesByDepth: number[];
  /** Packets by the depth of the first tree's leaf they reach. */
  packetsByDepth: number[];
  meanDepth: number;
  /** Mean over groups of 8 consecutive packets of their deepest leaf. */
  deepestOf8: number;
  groupsPerPacket: number;
  dimsPerGroup: number;
}

/** Replay the first tree of `list`'s family-`family` classifier over the n tuples at `tuples` in `mem`. */
export function walkStats(table: Uint8Array, list: number, family: 4 | 6, mem: DataView, tuples: number, n: number): Omit<WalkStats, 'set' | 'family'> {
  const dv = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const u32 = (at: number) => dv.getUint32(at, true);
  const lists = validateTable(table, 'walkstats').get(SECTION.LISTS)!.offset;
  const cls = u32(lists + list * LIST_ENTRY.SIZE + (family === 6 ? LIST_ENTRY.V6 : LIST_ENTRY.V4));
  if (cls === 0) throw new Error(`list ${list} has no IPv${family} classifier`);
  const field = (f: number) => u32(cls + f);
  const trees = cls + field(CLASSIFIER.TREES_OFF);
  const nodes = cls + field(CLASSIFIER.NODES_OFF);
  const info = cls + field(CLASSIFIER.LEAF_INFO_OFF);
  const leaves = cls + field(CLASSIFIER.LEAVES_OFF);
  const nodeCount = field(CLASSIFIER.NODE_COUNT);
  const root = u32(trees + TREE_ENTRY.ROOT);
  // The first tree's leaves by depth (children come after their node).
  const depth = new Int32Array(nodeCount).fill(-1);
  depth[root] = 0;
  const leavesByDepth: number[] = [];
  for (let i = root; i < nodeCount; i++) {
    const d = depth[i]!;
    if (d < 0) continue;
    const child = u32(nodes + i * NODE.SIZE + NODE.META) >>> NODE.KEY_BITS;
    if (child === i) {
      leavesByDepth[d] = (leavesByDepth[d] ?? 0) + 1;
      continue;
    }
    depth[child] = Math.max(depth[child]!, d + 1);
    depth[child + 1] = Math.max(depth[child + 1]!, d + 1);
  }
  const packetsByDepth: number[] = [];
  let sumDepth = 0;
  let sumDeepest8 = 0;
  let deepest8 = 0;
  let groups = 0;
  let dims = 0;
  for (let i = 0; i < n; i++) {
    const t = tuples + i * TUPLE.SIZE;
    let node = root;
    let d = 0;
    for (;;) {
      const p = nodes + node * NODE.SIZE;
      const meta = u32(p + NODE.META);
      const next = (meta >>> NODE.KEY_BITS) + (mem.getUint32(t + (meta & NODE.KEY_MASK), true) > u32(p + NODE.THRESHOLD) ? 1 : 0);
      if (next === node) break;
      node = next;
      d++;
    }
    packetsByDepth[d] = (packetsByDepth[d] ?? 0) + 1;
    sumDepth += d;
    deepest8 = Math.max(deepest8, d);
    if (i % 8 === 7 || i === n - 1) {
      sumDeepest8 += deepest8 * (i % 8 + 1);
      deepest8 = 0;
    }
    // The leaf's groups until one has a box containing the key (sets ignored: ClassBench has none).
    const e = info + node * LEAF_ENTRY.SIZE;
    let g = leaves + u32(e + LEAF_ENTRY.FIRST);
    const count = u32(e + LEAF_ENTRY.COUNT);
    for (let k = 0; k < count; k++) {
      const nd = table[g + LEAF_GROUP.N_DIMS]!;
      groups++;
      dims += nd;
      let hit = false;
      for (let lane = 0; lane < 4 && !hit; lane++) {
        let all = true;
        for (let j = 0; j < nd && all; j++) {
          const key = mem.getUint32(t + table[g + LEAF_GROUP.KEY_OFFS + j]!, true);
          const dim = g + LEAF_GROUP.HEAD + j * LEAF_DIM.SIZE;
          all = ((key - u32(dim + LEAF_DIM.LO + 4 * lane)) >>> 0) <= u32(dim + LEAF_DIM.SPAN + 4 * lane);
        }
        hit = all;
      }
      if (hit) break;
      g += LEAF_GROUP.HEAD + nd * LEAF_DIM.SIZE + (table[g + LEAF_GROUP.HAS_SET] ? LEAF_SETS.SIZE : 0);
    }
  }
  return {
    trees: field(CLASSIFIER.N_TREES),
    walkSteps: field(CLASSIFIER.WALK_STEPS),
    leavesByDepth: Array.from(leavesByDepth, (x) => x ?? 0),
    packetsByDepth: Array.from(packetsByDepth, (x) => x ?? 0),
    meanDepth: sumDepth / n,
    deepestOf8: sumDeepest8 / n,
    groupsPerPacket: groups / n,
    dimsPerGroup: groups ? dims / groups : 0,
  };
}

/** "d:p%" for the depths with a share of at least 0.5 %. */
function shares(xs: number[]): string {
  const total = xs.reduce((a, x) => a + x, 0);
  return xs.map((x, d) => [d, (100 * x) / total] as const).filter(([, p]) => p >= 0.5).map(([d, p]) => `${d}:${p.toFixed(0)}`).join(' ');
}

interface Cli {
  dir?: string;
  sets?: string[];
  families?: string[];
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<WalkStats[]> {
  const o = parseBenchArgs<Cli>(
    benchProgram('walkstats', "counted walk and scan statistics of the compiled classifier's first tree over ClassBench traces (no timing)")
      .option('--dir <dir>', 'the sets of this directory (NAME.rules + NAME.trace) instead of the shared corpus')
      .option('--sets <a,b,...>', 'only these sets', listOption())
      .option('--families <4,6>', 'IP families', listOption(['4', '6'])),
    argv,
  );
  const dir = o.dir ?? classbenchDir();
  if (!dir) throw new Error('walkstats: ../shared/corpus/classbench not found (set SGFILTER_CORPUS or give --dir)');
  const sets = o.sets ?? readdirSync(dir).filter((f) => f.endsWith('.rules')).map((f) => f.slice(0, -'.rules'.length)).sort();
  const out: WalkStats[] = [];
  for (const set of sets) {
    for (const family of (o.families ?? ['4', '6']).map((f) => (f === '6' ? 6 : 4) as 4 | 6)) {
      let rules = readFileSync(join(dir, `${set}.rules`), 'utf8');
      let trace = readFileSync(join(dir, `${set}.trace`), 'utf8');
      if (family === 6) ({ rules, trace } = classBenchToIpv6(rules, trace, set));
      const parsed = parseClassBenchRules(rules, set);
      const tr = parseClassBenchTrace(trace, set);
      const compiled = compileTopology(parsed.topology);
      const table = Table.fromCompiled(compiled);
      const list = table.listFor(CLASSBENCH_INTERFACE, 'ingress')!;
      const wasm = new WasmInstance();
      const batch = new TupleBatch(wasm, tr.length);
      writeTrace(batch, list, tr);
      const mem = new DataView(wasm.u8().buffer);
      const s = { set, family, ...walkStats(compiled.bytes, list, family, mem, batch.tuples, tr.length) };
      out.push(s);
      const model = s.leavesByDepth.map((c, d) => c * 2 ** -d);
      console.log(
        `${set} IPv${family}: trees ${s.trees}, walk ${s.walkSteps || 'loop'}, deepest leaf ${s.leavesByDepth.length - 1}; ` +
          `packets' depth mean ${s.meanDepth.toFixed(2)}, deepest of 8 ${s.deepestOf8.toFixed(2)}; ` +
          `groups/packet ${s.groupsPerPacket.toFixed(2)}, dims/group ${s.dimsPerGroup.toFixed(2)}\n` +
          `  packets by depth % ${shares(s.packetsByDepth)}  |  2^-depth model % ${shares(model)}`,
      );
    }
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runBenchScript(() => main());
