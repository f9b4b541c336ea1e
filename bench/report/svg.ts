/**
 * Two small chart kinds drawn as inline SVG strings (no chart library):
 * grouped horizontal bars with whiskers (the figures' spreads) and lines on
 * log-log axes. Values arrive in display units (e.g. millions per second).
 */

/** Okabe-Ito: distinguishable with the common colour-vision deficiencies. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#999999', '#F0E442'];

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

/** Rough text width at a font size (no layout engine here). */
function textWidth(s: string, size = 12): number {
  return s.length * size * 0.56;
}

/** Short number for ticks and labels. */
export function tickText(x: number): string {
  if (x === 0) return '0';
  if (x >= 1000) return `${+(x / 1000).toPrecision(3)}K`;
  if (x >= 1) return `${+x.toPrecision(3)}`;
  return `${+x.toPrecision(2)}`;
}

interface Scale {
  map: (v: number) => number;
  ticks: number[];
}

function linearScale(max: number, lo: number, hi: number): Scale {
  const raw = max / 5;
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks: number[] = [];
  for (let t = 0; t <= top + step / 2; t += step) ticks.push(+t.toPrecision(12));
  return { map: (v) => lo + ((hi - lo) * v) / top, ticks };
}

function logScale(min: number, max: number, lo: number, hi: number, exact = false): Scale {
  if (exact) {
    // the axis spans exactly min..max, padded by 8 % of the range at both ends
    const a0 = Math.log10(min);
    const b0 = Math.max(a0 + 1, Math.log10(max));
    const pad = (b0 - a0) * 0.08;
    const a = a0 - pad;
    const b = b0 + pad;
    return { map: (v) => lo + ((hi - lo) * (Math.log10(v) - a)) / (b - a), ticks: [] };
  }
  const a = Math.floor(Math.log10(min));
  const b = Math.max(a + 1, Math.ceil(Math.log10(max)));
  const ticks: number[] = [];
  for (let e = a; e <= b; e++) {
    ticks.push(10 ** e);
    if (b - a <= 2 && e < b) ticks.push(2 * 10 ** e, 5 * 10 ** e);
  }
  ticks.sort((x, y) => x - y);
  return { map: (v) => lo + ((hi - lo) * (Math.log10(Math.max(v, 10 ** a)) - a)) / (b - a), ticks };
}

export interface BarValue {
  v: number;
  lo?: number;
  hi?: number;
  /** Drawn hatched: quoted, not measured here. */
  quoted?: boolean;
}

export interface BarChart {
  title: string;
  subtitle?: string;
  unit: string;
  series: string[];
  groups: { label: string; values: (BarValue | null)[] }[];
  log?: boolean;
  width?: number;
}

export function barChart(c: BarChart): string {
  const width = c.width ?? 920;
  const barH = 13;
  const gap = 12;
  const labelW = Math.min(260, Math.max(80, ...c.groups.map((g) => textWidth(g.label))) + 14);
  const right = 70;
  const top = 52 + (c.subtitle ? 16 : 0);
  const perGroup = c.series.length * barH + gap;
  const plotH = c.groups.length * perGroup;
  const height = top + plotH + 44;
  const x0 = labelW;
  const x1 = width - right;
  const all = c.groups.flatMap((g) => g.values.flatMap((v) => (v ? [v.v, v.hi ?? v.v, v.lo ?? v.v] : []))).filter((v) => v > 0);
  const max = Math.max(...all, 1e-9);
  const min = Math.min(...all, max);
  const scale = c.log ? logScale(min, max, x0, x1) : linearScale(max, x0, x1);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(c.title)}" ${FONT}>`);
  // one hatch per series colour (quoted values); ids are unique per chart so that charts can share a page
  const uid = `h${(hashString(c.title) >>> 0).toString(36)}`;
  out.push(`<defs>${c.series.map((_, i) => `<pattern id="${uid}-${i}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="3"/></pattern>`).join('')}</defs>`);
  const quotedSeries = c.series.map((_, i) => c.groups.some((g) => g.values[i]?.quoted));
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="12" y="22" font-size="16" font-weight="600" fill="#111">${esc(c.title)}</text>`);
  if (c.subtitle) out.push(`<text x="12" y="40" font-size="12" fill="#555">${esc(c.subtitle)}</text>`);
  // legend
  let lx = 12;
  const ly = top - 16;
  c.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${quotedSeries[i] ? `url(#${uid}-${i})` : color}" stroke="${color}" stroke-width="${quotedSeries[i] ? 1.5 : 0}"/>`);
    out.push(`<text x="${lx + 16}" y="${ly}" font-size="12" fill="#333">${esc(s)}</text>`);
    lx += 16 + textWidth(s) + 18;
  });
  // grid and axis
  for (const t of scale.ticks) {
    const x = scale.map(t);
    out.push(`<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${top + plotH}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${x.toFixed(1)}" y="${top + plotH + 16}" font-size="11" fill="#555" text-anchor="middle">${tickText(t)}</text>`);
  }
  out.push(`<line x1="${x0}" y1="${top}" x2="${x0}" y2="${top + plotH}" stroke="#888"/>`);
  out.push(`<text x="${((x0 + x1) / 2).toFixed(1)}" y="${top + plotH + 36}" font-size="12" fill="#333" text-anchor="middle">${esc(c.unit)}${c.log ? ' (log scale)' : ''}</text>`);
  c.groups.forEach((g, gi) => {
    const gy = top + gi * perGroup + gap / 2;
    out.push(`<text x="${x0 - 8}" y="${(gy + (c.series.length * barH) / 2 + 4).toFixed(1)}" font-size="12" fill="#222" text-anchor="end">${esc(g.label)}</text>`);
    g.values.forEach((v, si) => {
      if (!v) return;
      const y = gy + si * barH;
      const xe = scale.map(v.v);
      const color = PALETTE[si % PALETTE.length]!;
      out.push(`<rect x="${x0}" y="${y + 1}" width="${Math.max(1, xe - x0).toFixed(1)}" height="${barH - 2}" fill="${v.quoted ? `url(#${uid}-${si})` : color}" stroke="${color}" stroke-width="${v.quoted ? 1.5 : 0}"><title>${esc(`${g.label} · ${c.series[si]}: ${tickText(v.v)}${v.quoted ? ' (quoted)' : ''}`)}</title></rect>`);
      let tx = xe + 4;
      if (v.lo !== undefined && v.hi !== undefined && v.hi > v.lo) {
        const a = scale.map(v.lo);
        const b = scale.map(v.hi);
        const cy = y + barH / 2;
        out.push(`<path d="M${a.toFixed(1)} ${cy}H${b.toFixed(1)}M${a.toFixed(1)} ${cy - 3}V${cy + 3}M${b.toFixed(1)} ${cy - 3}V${cy + 3}" stroke="#222" stroke-width="1"/>`);
        tx = Math.max(tx, b + 4);
      }
      out.push(`<text x="${tx.toFixed(1)}" y="${y + barH - 3}" font-size="10.5" fill="#333">${tickText(v.v)}</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n');
}

export interface LinePoint {
  x: number;
  y: number;
  lo?: number;
  hi?: number;
}

export interface LineChart {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: { name: string; points: LinePoint[]; dashed?: boolean }[];
  width?: number;
  height?: number;
}

/** Lines on log-log axes (x: e.g. rules per interface, y: throughput). */
export function lineChart(c: LineChart): string {
  const width = c.width ?? 920;
  const height = c.height ?? 420;
  const left = 70;
  const right = 24;
  const top = 58 + (c.subtitle ? 16 : 0);
  const bottom = 52;
  const xs = c.series.flatMap((s) => s.points.map((p) => p.x)).filter((v) => v > 0);
  const ys = c.series.flatMap((s) => s.points.flatMap((p) => [p.y, p.lo ?? p.y, p.hi ?? p.y])).filter((v) => v > 0);
  const sx = logScale(Math.min(...xs), Math.max(...xs), left, width - right, true);
  // x ticks: the measured x values themselves (e.g. 10, 100, 1K, 10K rules)
  sx.ticks = [...new Set(xs)].sort((a, b) => a - b);
  const sy = logScale(Math.min(...ys), Math.max(...ys), height - bottom, top);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(c.title)}" ${FONT}>`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="12" y="22" font-size="16" font-weight="600" fill="#111">${esc(c.title)}</text>`);
  if (c.subtitle) out.push(`<text x="12" y="40" font-size="12" fill="#555">${esc(c.subtitle)}</text>`);
  let lx = left;
  const ly = top - 14;
  c.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 18}" y2="${ly - 4}" stroke="${color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    out.push(`<text x="${lx + 22}" y="${ly}" font-size="12" fill="#333">${esc(s.name)}</text>`);
    lx += 22 + textWidth(s.name) + 18;
  });
  for (const t of sy.ticks) {
    const y = sy.map(t);
    out.push(`<line x1="${left}" y1="${y.toFixed(1)}" x2="${width - right}" y2="${y.toFixed(1)}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${left - 6}" y="${(y + 4).toFixed(1)}" font-size="11" fill="#555" text-anchor="end">${tickText(t)}</text>`);
  }
  for (const t of sx.ticks) {
    const x = sx.map(t);
    out.push(`<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${height - bottom}" stroke="#eee"/>`);
    out.push(`<text x="${x.toFixed(1)}" y="${height - bottom + 16}" font-size="11" fill="#555" text-anchor="middle">${tickText(t)}</text>`);
  }
  out.push(`<rect x="${left}" y="${top}" width="${width - right - left}" height="${height - bottom - top}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${((left + width - right) / 2).toFixed(1)}" y="${height - 12}" font-size="12" fill="#333" text-anchor="middle">${esc(c.xLabel)} (log scale)</text>`);
  out.push(`<text transform="translate(16 ${((top + height - bottom) / 2).toFixed(1)}) rotate(-90)" font-size="12" fill="#333" text-anchor="middle">${esc(c.yLabel)} (log scale)</text>`);
  // Point labels: the first of a few places around the point that overlaps no label placed before.
  const placed: { x0: number; y0: number; x1: number; y1: number }[] = [];
  const placeLabel = (x: number, y: number, text: string, color: string) => {
    const w = textWidth(text, 10.5);
    const nearRight = x > width - right - 50;
    const sx0 = nearRight ? x - 6 - w : x + 6;
    const tries = [-6, 14, -18, 26, -30];
    let dy = tries[0]!;
    for (const t of tries) {
      const box = { x0: sx0, y0: y + t - 10, x1: sx0 + w, y1: y + t + 2 };
      if (!placed.some((b) => box.x0 < b.x1 && b.x0 < box.x1 && box.y0 < b.y1 && b.y0 < box.y1)) {
        dy = t;
        break;
      }
    }
    placed.push({ x0: sx0, y0: y + dy - 10, x1: sx0 + w, y1: y + dy + 2 });
    return `<text x="${sx0.toFixed(1)}" y="${(y + dy).toFixed(1)}" font-size="10.5" fill="${color}">${esc(text)}</text>`;
  };
  const labels: string[] = [];
  c.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const pts = s.points.filter((p) => p.x > 0 && p.y > 0).sort((a, b) => a.x - b.x);
    if (pts.length > 1) {
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${pts.map((p) => `${sx.map(p.x).toFixed(1)},${sy.map(p.y).toFixed(1)}`).join(' ')}"/>`);
    }
    for (const p of pts) {
      const x = sx.map(p.x);
      const y = sy.map(p.y);
      if (p.lo !== undefined && p.hi !== undefined && p.hi > p.lo) {
        out.push(`<path d="M${x.toFixed(1)} ${sy.map(p.lo).toFixed(1)}V${sy.map(p.hi).toFixed(1)}" stroke="${color}" stroke-width="1.2"/>`);
      }
      out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4" fill="${color}"><title>${esc(`${s.name}: ${tickText(p.x)} → ${tickText(p.y)}`)}</title></circle>`);
      labels.push(placeLabel(x, y, tickText(p.y), color));
    }
  });
  out.push(...labels);
  out.push('</svg>');
  return out.join('\n');
}
