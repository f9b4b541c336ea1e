#!/usr/bin/env node
// Generate the two sides of the host <-> WASM boundary from layout/layouts.json:
//   assembly/layout.ts   AssemblyScript constants (PREFIX_FIELD: usize offsets,
//                        PREFIX_SIZE, enum values), exported by the module
//   src/wasm/layout.ts   the same numbers as TypeScript objects, the layout
//                        hash the loader compares, and the list of every
//                        constant with its module export name (for the test)
// Plain Node, no dependencies; `npm run build` runs it before asc and tsc.
// `--check`: write nothing, exit 1 when a generated file differs from what
// the spec gives (the test suite runs this).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SPEC = 'layout/layouts.json';
const OUT_AS = 'assembly/layout.ts';
const OUT_HOST = 'src/wasm/layout.ts';

const BASE = { u8: 1, u16: 2, u32: 4, i32: 4, u64: 8, i64: 8, addr: 16 };
const NAME = /^[A-Z][A-Z0-9_]*$/;

function fail(where, msg) {
  throw new Error(`${SPEC}: ${where}: ${msg}`);
}

/** Validate the spec; returns it with every field's byte size resolved. */
export function load(text) {
  const spec = JSON.parse(text);
  const structSize = new Map();
  const asNames = new Set();
  const hostNames = new Set();
  const claim = (where, asName, hostName) => {
    if (asName !== undefined) {
      if (asNames.has(asName)) fail(where, `AssemblyScript name ${asName} is declared twice`);
      asNames.add(asName);
    }
    if (hostName !== undefined) {
      if (hostNames.has(hostName)) fail(where, `host name ${hostName} is declared twice`);
      hostNames.add(hostName);
    }
  };
  const sizeOf = (where, type) => {
    const m = /^([a-z0-9]+)(?:\[(\d*)\])?$/.exec(type);
    if (!m) fail(where, `type ${JSON.stringify(type)} is not T, T[n] or T[]`);
    const one = BASE[m[1]] ?? structSize.get(m[1]);
    if (one === undefined) fail(where, `unknown type ${m[1]} (a base type or an earlier struct)`);
    if (m[2] === undefined) return one;
    if (m[2] === '') return null; // variable tail
    return one * Number(m[2]);
  };
  spec.structs.forEach((s, si) => {
    const where = `structs[${si}] (${s.name})`;
    claim(where, undefined, s.host);
    const variable = s.size === 'variable';
    if (!variable && !(Number.isInteger(s.size) && s.size > 0)) fail(where, `size must be a positive integer or "variable"`);
    let at = 0;
    s.fields = s.fields.map(([name, off, type, doc], fi) => {
      const fw = `${where}.fields[${fi}] (${name})`;
      if (name !== '-' && !NAME.test(name)) fail(fw, 'field names are UPPER_SNAKE');
      if (name === 'SIZE') fail(fw, 'SIZE is the struct size, not a field');
      if (off !== at) fail(fw, `offset ${off}, but the previous field ends at ${at} (fields must tile the struct)`);
      const size = sizeOf(fw, type);
      if (size === null && fi !== s.fields.length - 1) fail(fw, 'only the last field may be a variable tail T[]');
      if (size === null && !variable) fail(fw, 'a variable tail needs size "variable"');
      const elem = type.replace(/\[.*$/, '');
      const align = elem in BASE ? Math.min(8, BASE[elem]) : 4;
      if (off % align !== 0) fail(fw, `offset ${off} is not ${align}-aligned for ${type}`);
      at = size === null ? at : at + size;
      if (name !== '-') claim(fw, s.as + name);
      return { name, off, type, size, doc };
    });
    if (!variable && at !== s.size) fail(where, `fields end at ${at}, the size is ${s.size}`);
    if (!variable) {
      claim(where, s.as + 'SIZE');
      structSize.set(s.name, s.size);
    }
    for (const [name] of s.consts ?? []) claim(`${where}.consts`, s.as + name);
  });
  spec.enums.forEach((e, ei) => {
    const where = `enums[${ei}] (${e.name})`;
    claim(where, undefined, e.host);
    const max = { u8: 0xff, u16: 0xffff, u32: 0xffffffff, i32: 0x7fffffff }[e.type];
    const min = e.type === 'i32' ? -0x80000000 : 0;
    if (max === undefined) fail(where, `type must be u8, u16, u32 or i32`);
    for (const [name, value] of e.values) {
      if (!NAME.test(name)) fail(where, `${name}: names are UPPER_SNAKE`);
      if (!(Number.isInteger(value) && value >= min && value <= max)) fail(where, `${name}: ${value} does not fit ${e.type}`);
      claim(where, e.as + name);
    }
  });
  return spec;
}

/** Every constant: [AssemblyScript name, AssemblyScript type, value, host object, host key]. */
function constants(spec) {
  const out = [];
  for (const s of spec.structs) {
    for (const f of s.fields) if (f.name !== '-') out.push([s.as + f.name, 'usize', f.off, s.host, f.name]);
    if (s.size !== 'variable') out.push([s.as + 'SIZE', 'usize', s.size, s.host, 'SIZE']);
    for (const [name, value] of s.consts ?? []) out.push([s.as + name, 'u32', value, s.host, name]);
  }
  for (const e of spec.enums) for (const [name, value] of e.values) out.push([e.as + name, e.type, value, e.host, name]);
  return out;
}

/** The layout hash: the first 32 bits of a SHA-256 over every constant's name, type and value. */
export function layoutHash(spec) {
  const h = createHash('sha256');
  for (const [asName, type, value] of constants(spec)) h.update(`${asName}:${type}:${value}\n`);
  return parseInt(h.digest('hex').slice(0, 8), 16) >>> 0;
}

const hex = (n) => '0x' + n.toString(16).padStart(8, '0');

function drawStruct(s, indent) {
  const lines = [`${s.name} (${s.size === 'variable' ? 'variable size' : s.size + ' bytes'})`];
  lines.push('  off  size  field            meaning');
  for (const f of s.fields) {
    const size = f.size === null ? '...' : String(f.size);
    lines.push(`${String(f.off).padStart(5)} ${size.padStart(5)}  ${(f.name === '-' ? '-' : f.name).padEnd(16)} ${f.type}${f.doc ? ' ' + f.doc : ''}`);
  }
  return lines.map((l) => (indent + l).trimEnd());
}

function wrap(text, width, indent) {
  const words = text.split(/\s+/);
  const lines = [];
  let cur = '';
  for (const w of words) {
    if (cur && (cur + ' ' + w).length > width) {
      lines.push(indent + cur);
      cur = w;
    } else cur = cur ? cur + ' ' + w : w;
  }
  if (cur) lines.push(indent + cur);
  return lines;
}

const HEADER = 'GENERATED by layout/generate.mjs from layout/layouts.json: edit the spec, then `npm run build` (or `node layout/generate.mjs`).';

export function generateAs(spec) {
  const hash = layoutHash(spec);
  const out = [`// ${HEADER}`, '//', '// The binary layouts shared with the host (src/wasm/layout.ts holds the same', '// numbers). index.ts re-exports this file, so every constant is also a module', '// export: the host test compares them, and the loader compares LAYOUT_HASH.', ''];
  out.push(`/** Hash of every layout constant (layout/generate.mjs); the host refuses a module whose hash differs. */`);
  out.push(`export const LAYOUT_HASH: u32 = ${hex(hash)};`, '');
  for (const s of spec.structs) {
    out.push('// ' + '-'.repeat(75));
    out.push(...drawStruct(s, '// '));
    out.push(...wrap(s.doc, 76, '// '));
    for (const f of s.fields) if (f.name !== '-') out.push(`export const ${s.as}${f.name}: usize = ${f.off};`);
    if (s.size !== 'variable') out.push(`export const ${s.as}SIZE: usize = ${s.size};`);
    for (const [name, value, doc] of s.consts ?? []) out.push(`/** ${doc} */`, `export const ${s.as}${name}: u32 = ${value};`);
    out.push('');
  }
  for (const e of spec.enums) {
    out.push(`// ${e.name} (host: ${e.host})`);
    for (const [name, value, doc] of e.values) out.push(`export const ${e.as}${name}: ${e.type} = ${e.type === 'u32' && value > 0xff ? hex(value) : value};${doc ? ' // ' + doc : ''}`);
    out.push('');
  }
  return out.join('\n');
}

export function generateHost(spec) {
  const hash = layoutHash(spec);
  const out = [`// ${HEADER}`, '/**', ' * The binary layouts shared with the WASM module (assembly/layout.ts holds the', ' * same numbers and exports them). Offsets are bytes, except DESC (u32 words:', ' * the scanner fills a Uint32Array).', ' */', ''];
  out.push(`/** Hash of every layout constant; the module's layoutHash() must return it (src/wasm/loader.ts). */`);
  out.push(`export const LAYOUT_HASH = ${hex(hash)};`, '');
  for (const s of spec.structs) {
    out.push('/**');
    out.push(...drawStruct(s, ' * ').map((l) => l.replace(/\*\//g, '* /')));
    out.push(...wrap(s.doc, 76, ' * '));
    out.push(' */');
    const entries = [];
    if (s.hostWords) {
      for (const f of s.fields) if (f.name !== '-') entries.push(`${f.name}: ${f.off / 4}`);
      entries.push(`WORDS: ${s.size / 4}`, `BYTES: ${s.size}`);
    } else {
      for (const f of s.fields) if (f.name !== '-') entries.push(`${f.name}: ${f.off}`);
      if (s.size !== 'variable') entries.push(`SIZE: ${s.size}`);
    }
    for (const [name, value] of s.consts ?? []) entries.push(`${name}: ${value}`);
    out.push(`export const ${s.host} = {`, ...entries.map((e) => `  ${e},`), '} as const;', '');
  }
  for (const e of spec.enums) {
    out.push(`/** ${e.name} (module: ${e.as}*). */`);
    out.push(`export const ${e.host} = {`, ...e.values.map(([name, value, doc]) => `  ${name}: ${value > 0xff ? hex(value) : value},${doc ? ' // ' + doc : ''}`), '} as const;', '');
  }
  out.push('/** Every constant above with its module export name and value (byte offsets, also for DESC). */');
  out.push('export const LAYOUT_CONSTANTS: readonly (readonly [exportName: string, value: number])[] = [');
  for (const [asName, , value] of constants(spec)) out.push(`  ['${asName}', ${value > 0xff ? hex(value) : value}],`);
  out.push('];', '');
  return out.join('\n');
}

function main() {
  const check = process.argv.includes('--check');
  const spec = load(readFileSync(join(root, SPEC), 'utf8'));
  const files = [[OUT_AS, generateAs(spec)], [OUT_HOST, generateHost(spec)]];
  let stale = 0;
  for (const [path, text] of files) {
    let have = null;
    try {
      have = readFileSync(join(root, path), 'utf8');
    } catch {
      /* missing: written below, or stale */
    }
    if (have === text) continue;
    if (check) {
      console.error(`${path} is out of date with ${SPEC}; run \`node layout/generate.mjs\``);
      stale++;
    } else writeFileSync(join(root, path), text);
  }
  if (stale) process.exit(1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main();
  } catch (err) {
    console.error(String(err instanceof Error ? err.message : err));
    process.exit(1);
  }
}
