// The arithmetic of the usage plots: scales, ticks and the lines' SVG paths. Pure:
// unit-tested in test/unit/ui/.
import type { SeriesPoint } from './history.js';

/** The linear map from [d0, d1] onto [r0, r1] (a flat domain maps everything to r0). */
export const linear =
  (d0: number, d1: number, r0: number, r1: number) =>
  (v: number): number =>
    d1 === d0 ? r0 : r0 + ((v - d0) * (r1 - r0)) / (d1 - d0);

/** The round step (1, 2 or 5 times a power of ten) at or above `rough`. */
export function niceStep(rough: number): number {
  if (!(rough > 0) || !Number.isFinite(rough)) return 1;
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/** Round ticks from 0 up to the first one at or above `max`, about `count` steps. */
export function niceTicks(max: number, count = 4): number[] {
  const step = niceStep(max / count);
  const steps = Math.max(1, Math.ceil(max / step - 1e-9));
  // toPrecision: 3 * 0.1 is 0.30000000000000004.
  return Array.from({ length: steps + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

export interface TimeTick {
  atMs: number;
  label: string;
}

/** A tick each minute back from `endMs` over `windowMs`: `-5m` ... `-1m`, `now`. */
export function minuteTicks(endMs: number, windowMs: number): TimeTick[] {
  const minutes = Math.floor(windowMs / 60_000);
  return Array.from({ length: minutes + 1 }, (_, i) => {
    const back = minutes - i;
    return { atMs: endMs - back * 60_000, label: back === 0 ? 'now' : `-${back}m` };
  });
}

/** A coordinate to a tenth of a pixel: short paths, and no `-0`. */
const coordinate = (v: number): string => String(Math.round(v * 10) / 10 || 0);

/**
 * The `d` of an SVG path through the points, in order; a point without a value breaks
 * the line, which starts again (`M`) at the next one.
 */
export function linePath(points: readonly SeriesPoint[], x: (atMs: number) => number, y: (value: number) => number): string {
  const parts: string[] = [];
  let drawing = false;
  for (const point of points) {
    if (point.value === null) {
      drawing = false;
      continue;
    }
    parts.push(`${drawing ? 'L' : 'M'}${coordinate(x(point.atMs))} ${coordinate(y(point.value))}`);
    drawing = true;
  }
  return parts.join(' ');
}

/** Ten colours told apart on white (Tableau 10). */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'] as const;

/** A colour for each node, by its place among the sorted ids (the same in every plot). */
export function seriesColors(nodes: readonly string[]): Map<string, string> {
  return new Map([...nodes].sort().map((node, i) => [node, PALETTE[i % PALETTE.length] as string]));
}
