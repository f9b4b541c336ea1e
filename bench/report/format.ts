/** Number formatting shared by the terminal, Markdown and HTML reports. */
import type { Figure } from './schema.js';

/** Millions with about three significant digits: 21.4, 2.46, 0.173, 0.00929. */
export function mega(x: number): string {
  const m = x / 1e6;
  if (m >= 100) return m.toFixed(0);
  if (m >= 10) return m.toFixed(1);
  if (m >= 1) return m.toFixed(2);
  if (m === 0) return '0';
  return m.toPrecision(3);
}

export function kib(bytes: number): string {
  const k = bytes / 1024;
  return k >= 100 ? k.toFixed(0) : k.toFixed(1);
}

export function mib(bytes: number): string {
  const m = bytes / (1024 * 1024);
  return m >= 100 ? m.toFixed(0) : m.toFixed(1);
}

export function ms(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

export function ratio(x: number): string {
  if (!Number.isFinite(x)) return '-';
  return x >= 10 ? `${x.toFixed(0)}x` : x >= 1 ? `${x.toFixed(1)}x` : `${x.toFixed(2)}x`;
}

export function percent(x: number, signed = true): string {
  const v = x * 100;
  const digits = Math.abs(v) >= 10 ? 0 : 1;
  return `${signed && v > 0 ? '+' : ''}${v.toFixed(digits)}%`;
}

/** Half the spread relative to the value: the ± of a figure. */
export function relSpread(f: Figure): number {
  return f.value > 0 ? (f.spread.hi - f.spread.lo) / 2 / f.value : 0;
}

/** A figure's value in its natural display unit. */
export function showValue(f: Figure): string {
  switch (f.unit) {
    case 'packets/s':
    case 'lookups/s':
      return `${mega(f.value)} M`;
    case 'ms':
      return `${ms(f.value)} ms`;
    case 'bytes':
      return f.value >= 1024 * 1024 ? `${mib(f.value)} MiB` : `${kib(f.value)} KiB`;
  }
}

export function unitLabel(f: Figure): string {
  return f.unit === 'packets/s' ? 'M packets/s' : f.unit === 'lookups/s' ? 'M lookups/s' : f.unit;
}
