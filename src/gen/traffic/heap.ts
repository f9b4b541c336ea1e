/**
 * The schedule of active flows: a binary min-heap on (time of the flow's next
 * packet, scheduling number), one pending step per active flow.
 */
import type { Flow, Step } from './flow.js';

export interface HeapEntry {
  t: number;
  seq: number;
  flow: Flow;
  script: Generator<Step>;
  step: Step;
}

/** Binary min-heap on (t, seq). */
export class FlowHeap {
  private readonly a: HeapEntry[] = [];
  get size(): number {
    return this.a.length;
  }
  peekTime(): number {
    return this.a[0]!.t;
  }
  private less(x: HeapEntry, y: HeapEntry): boolean {
    return x.t < y.t || (x.t === y.t && x.seq < y.seq);
  }
  push(e: HeapEntry): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): HeapEntry | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

