/**
 * Time and memory against size: drydock's import (and the mysql client's, for scale) at several
 * dump sizes, one JSON file and a hand-written SVG (docs/bench-scaling.svg): wall time on the
 * left, peak RSS (drydock's own and the server's) on the right. Bounded memory shows as a flat
 * drydock RSS line.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Comparison } from './comparisons.js';

export const DEFAULT_SIZES = [50_000, 100_000, 200_000, 400_000];

export interface ScalingPoint {
  patches: number;
  dumpBytes: number;
  rows: number;
  tool: string;
  seconds: number;
  peakRssBytes: number;
  serverPeakRssBytes: number | null;
}

export function pointsFrom(patches: number, dumpBytes: number, c: Comparison): ScalingPoint[] {
  return c.tools
    .filter((t) => t.median)
    .map((t) => ({
      patches,
      dumpBytes,
      rows: c.rows,
      tool: t.tool,
      seconds: t.median!.seconds,
      peakRssBytes: t.median!.peakRssBytes,
      serverPeakRssBytes: t.median!.serverPeakRssBytes,
    }));
}

interface Series {
  name: string;
  color: string;
  dash?: string;
  points: Array<[number, number]>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A "nice" axis maximum: 1, 2 or 5 × 10^k at or above v. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function panel(x0: number, y0: number, w: number, h: number, title: string, xLabel: string, yLabel: string, series: Series[], fmtX: (v: number) => string): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = niceMax(Math.max(0, ...xs));
  const yMax = niceMax(Math.max(0, ...ys));
  const px = (v: number) => x0 + (v / xMax) * w;
  const py = (v: number) => y0 + h - (v / yMax) * h;
  const out: string[] = [];
  out.push(`<text x="${x0 + w / 2}" y="${y0 - 14}" text-anchor="middle" font-weight="bold">${esc(title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const yv = (yMax * i) / 4;
    const xv = (xMax * i) / 4;
    out.push(`<line x1="${x0}" y1="${py(yv)}" x2="${x0 + w}" y2="${py(yv)}" stroke="#ddd"/>`);
    out.push(`<text x="${x0 - 6}" y="${py(yv) + 4}" text-anchor="end" font-size="11">${+yv.toPrecision(3)}</text>`);
    out.push(`<text x="${px(xv)}" y="${y0 + h + 16}" text-anchor="middle" font-size="11">${fmtX(xv)}</text>`);
  }
  out.push(`<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${x0 + w / 2}" y="${y0 + h + 34}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`);
  out.push(`<text x="${x0 - 44}" y="${y0 + h / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 ${x0 - 44} ${y0 + h / 2})">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    if (pts.length) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} points="${pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of pts) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${s.color}"/>`);
    const ly = y0 + 14 + i * 16;
    out.push(`<line x1="${x0 + 10}" y1="${ly - 4}" x2="${x0 + 30}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    out.push(`<text x="${x0 + 34}" y="${ly}" font-size="11">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

/** The SVG text: wall time vs patches, and peak RSS vs patches. */
export function renderScalingSvg(points: ScalingPoint[], caption: string): string {
  const tools = [...new Set(points.map((p) => p.tool))];
  const time: Series[] = tools.map((t, i) => ({ name: t, color: COLORS[i % COLORS.length]!, points: points.filter((p) => p.tool === t).map((p) => [p.patches, p.seconds]) }));
  const mem: Series[] = [];
  tools.forEach((t, i) => {
    const ps = points.filter((p) => p.tool === t);
    mem.push({ name: `${t} (tool)`, color: COLORS[i % COLORS.length]!, points: ps.map((p) => [p.patches, p.peakRssBytes / 1e6]) });
    mem.push({
      name: `server during ${t}`,
      color: COLORS[i % COLORS.length]!,
      dash: '5,4',
      points: ps.filter((p) => p.serverPeakRssBytes !== null).map((p) => [p.patches, p.serverPeakRssBytes! / 1e6]),
    });
  });
  const k = (v: number) => (v >= 1000 ? `${+(v / 1000).toPrecision(3)}k` : String(v));
  const W = 900;
  const H = 380;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    panel(80, 50, 330, 250, 'Import wall time', 'patches', 'seconds', time, k),
    panel(540, 50, 330, 250, 'Peak resident memory', 'patches', 'MB', mem, k),
    `<text x="${W / 2}" y="${H - 10}" text-anchor="middle" font-size="11" fill="#555">${esc(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

export function writeScaling(jsonPath: string, svgPath: string, points: ScalingPoint[], caption: string, machine: unknown): void {
  mkdirSync(dirname(jsonPath), { recursive: true });
  mkdirSync(dirname(svgPath), { recursive: true });
  writeFileSync(jsonPath, JSON.stringify({ tool: 'drydock-bench-scaling', createdAt: new Date().toISOString(), machine, points }, null, 2) + '\n');
  writeFileSync(svgPath, renderScalingSvg(points, caption));
}

export function scalingJsonPath(resultsDir: string, date: string): string {
  return join(resultsDir, `scaling-${date}.json`);
}
