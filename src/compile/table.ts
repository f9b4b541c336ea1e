/**
 * Saving, loading and reading compiled tables on the host. Loading validates
 * the header, version, length, checksum and sections (format.ts
 * validateTable), then every offset, count and tree link the matchers follow
 * (validate.ts), before anything trusts an offset: a table that loads cannot
 * make the matcher loop or read outside it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Direction } from '../model/topology.js';
import type { CompiledTable, TableMeta } from './compile.js';
import { validateContent } from './validate.js';
import { BINDING_ENTRY, LIST_ENTRY, NO_LIST, SECTION, TABLE_ERROR, TableError, validateTable, type SectionInfo } from './format.js';

/** A validated table: its bytes and what its results mean. */
export class Table {
  readonly meta: TableMeta;
  private readonly sections: Map<number, SectionInfo>;
  private readonly dv: DataView;
  private readonly ifaceIndex: Map<string, number>;

  constructor(readonly bytes: Uint8Array, readonly source = 'table') {
    this.sections = validateTable(bytes, source);
    validateContent(bytes, this.sections, source);
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const m = this.sections.get(SECTION.META)!;
    try {
      this.meta = JSON.parse(new TextDecoder().decode(bytes.subarray(m.offset, m.offset + m.length))) as TableMeta;
    } catch (err) {
      throw new TableError(TABLE_ERROR.SECTION, `${source}: byte ${m.offset}: the META section is not JSON (${(err as Error).message})`);
    }
    if (!this.meta || !Array.isArray(this.meta.lists) || !Array.isArray(this.meta.interfaces) ||
        this.meta.lists.length !== this.listCount || this.meta.interfaces.length !== this.sections.get(SECTION.BINDINGS)!.count) {
      throw new TableError(TABLE_ERROR.SECTION, `${source}: byte ${m.offset}: the META section does not describe the table's ${this.listCount} lists`);
    }
    this.ifaceIndex = new Map(this.meta.interfaces.map((id, i) => [id, i] as const));
  }

  static fromCompiled(c: CompiledTable): Table {
    return new Table(c.bytes, 'compiled table');
  }

  get listCount(): number {
    return this.sections.get(SECTION.LISTS)!.count;
  }

  /** The list an interface uses in a direction, or null when it has no group. */
  listFor(iface: string, direction: Direction): number | null {
    const i = this.ifaceIndex.get(iface);
    if (i === undefined) throw new TableError(TABLE_ERROR.LIST, `${this.source}: no interface ${JSON.stringify(iface)} in this table`);
    const b = this.sections.get(SECTION.BINDINGS)!;
    const v = this.dv.getUint32(b.offset + i * BINDING_ENTRY.SIZE + (direction === 'ingress' ? BINDING_ENTRY.INGRESS : BINDING_ENTRY.EGRESS), true);
    return v === NO_LIST ? null : v;
  }

  /** Number of rules in list `list`. */
  ruleCount(list: number): number {
    const l = this.sections.get(SECTION.LISTS)!;
    return this.dv.getUint32(l.offset + list * LIST_ENTRY.SIZE + LIST_ENTRY.RULE_COUNT, true);
  }

  /** The [group id, rule id] at `pos` of `list`. */
  ruleAt(list: number, pos: number): [string, string] {
    return this.meta.lists[list]!.rules[pos]!;
  }
}

export function saveTable(path: string, table: CompiledTable | Table): void {
  writeFileSync(path, table.bytes);
}

export function loadTable(path: string): Table {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new TableError(TABLE_ERROR.READ, `${path}: cannot read the table (${(err as Error).message})`);
  }
  return new Table(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}
