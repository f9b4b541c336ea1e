/**
 * Where a model object is in the input file: native path -> original JSON
 * path (through the importers' Origins for Alibaba and Huawei exports) ->
 * 1-based line and column of the value (a small JSON scanner that records
 * the start of every value by path). ClassBench files: rule i is line i of
 * the filter lines.
 */
import { readFileSync } from 'node:fs';
import { aliyunToNative } from '../parse/aliyun.js';
import { huaweiToNative } from '../parse/huawei.js';
import { formatPath, type PathSegment } from '../parse/issues.js';
import { lineColumn, type TopologyFormat } from '../parse/load.js';

export interface Position {
  line: number;
  column: number;
}

/** Start index of every value of a JSON text, by formatted path. Returns null on syntax it does not expect. */
export function jsonValueOffsets(text: string): Map<string, number> | null {
  const out = new Map<string, number>();
  let i = 0;
  const ws = () => { while (i < text.length && /\s/.test(text[i]!)) i++; };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: PathSegment[]): void => {
    ws();
    out.set(formatPath(path), i);
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws();
        if (text[i] !== '"') throw new Error('key');
        const key = str();
        ws();
        if (text[i] !== ':') throw new Error(':');
        i++;
        value([...path, key]);
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return; }
        throw new Error('}');
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') { i++; return; }
      for (let k = 0; ; k++) {
        value([...path, k]);
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return; }
        throw new Error(']');
      }
    } else if (c === '"') {
      str();
    } else {
      const start = i;
      while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++;
      if (i === start) throw new Error('value');
    }
  };
  try {
    if (text.charCodeAt(0) === 0xfeff) i = 1;
    value([]);
    return out;
  } catch {
    return null;
  }
}

/** Resolves native model paths of one input file to positions. */
export class Locator {
  private text = '';
  private offsets: Map<string, number> | null = null;
  private toOriginal: (p: string) => string = (p) => p;
  private classbenchLines: number[] | null = null;

  constructor(readonly file: string, readonly format: TopologyFormat | undefined, groupType?: 'basic' | 'advanced') {
    try {
      this.text = readFileSync(file, 'utf8');
    } catch {
      return;
    }
    if (format === 'classbench') {
      this.classbenchLines = [];
      this.text.split('\n').forEach((l, n) => { if (l.trimStart().startsWith('@')) this.classbenchLines!.push(n + 1); });
      return;
    }
    this.offsets = jsonValueOffsets(this.text);
    if (format === 'aliyun' || format === 'huawei') {
      try {
        const doc = JSON.parse(this.text.charCodeAt(0) === 0xfeff ? this.text.slice(1) : this.text) as unknown;
        const { origins } = format === 'aliyun' ? aliyunToNative(doc, groupType ? { groupType } : {}) : huaweiToNative(doc);
        this.toOriginal = (p) => origins.lookup(p)?.path ?? p;
      } catch {
        /* positions are best effort */
      }
    }
  }

  /** The original document path of a native path (identity for native files). */
  originalPath(nativePath: string): string {
    return this.toOriginal(nativePath);
  }

  /** Position of an ORIGINAL-document path (or of its nearest recorded ancestor). */
  positionOf(originalPath: string): Position | undefined {
    if (this.classbenchLines) {
      const m = /^securityGroups\[0\]\.rules\[(\d+)\]/.exec(originalPath);
      const line = m ? this.classbenchLines[Number(m[1])] : undefined;
      return line ? { line, column: 1 } : undefined;
    }
    if (!this.offsets) return undefined;
    let p = originalPath;
    for (;;) {
      const at = this.offsets.get(p);
      if (at !== undefined) return lineColumn(this.text, at);
      if (p === '') return undefined;
      const m = /(\.[A-Za-z_$][\w$]*|\[[^\]]*\])$/.exec(p);
      p = m ? p.slice(0, m.index) : '';
    }
  }
}
