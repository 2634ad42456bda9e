import { useEffect, useRef, useState } from 'preact/hooks';
import { HISTORY_WINDOW_MS, type NodeUsage, nodeSeries, type UsageSample } from './history.js';
import { linear, linePath, minuteTicks, niceTicks } from './plot.js';

interface Props {
  title: string;
  samples: readonly UsageSample[];
  /** The plotted quantity, in the unit the axis is labelled in. */
  value: (usage: NodeUsage) => number;
  /** An axis label for a tick's value. */
  label: (value: number) => string;
  /** The axis goes at least this high, so that an idle cluster's noise stays flat. */
  floor: number;
  colors: ReadonlyMap<string, string>;
}

const HEIGHT = 180;
const MARGIN = { top: 10, right: 18, bottom: 22, left: 56 };
/** Until the page is laid out. */
const DEFAULT_WIDTH = 640;

/** The plot is drawn at the width it is shown, so that its text keeps its size on a phone. */
function useWidth() {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(DEFAULT_WIDTH);
  useEffect(() => {
    const element = ref.current;
    if (element === null) return;
    const observer = new ResizeObserver(() => setWidth(Math.max(200, Math.floor(element.clientWidth))));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return { ref, width };
}

/** One line per node over the last minutes, in an SVG drawn here (no chart library). */
export function UsagePlot({ title, samples, value, label, floor, colors }: Props) {
  const { ref, width } = useWidth();
  const last = samples[samples.length - 1];
  const series = nodeSeries(samples, value);
  let max = floor;
  for (const s of series) for (const p of s.points) if (p.value !== null && p.value > max) max = p.value;
  const yTicks = niceTicks(max);
  const top = yTicks[yTicks.length - 1] ?? max;
  const endMs = last?.atMs ?? 0;
  const x = linear(endMs - HISTORY_WINDOW_MS, endMs, MARGIN.left, width - MARGIN.right);
  const y = linear(0, top, HEIGHT - MARGIN.bottom, MARGIN.top);
  return (
    <figure class="plot">
      <figcaption>{title}</figcaption>
      <div ref={ref} class="plot-area">
        <svg width={width} height={HEIGHT} viewBox={`0 0 ${width} ${HEIGHT}`} role="img" aria-label={title}>
          {yTicks.map((tick) => (
            <g key={tick} class="tick">
              {/* On the middle of a pixel: a one-pixel line stays sharp. */}
              <line class="grid" x1={MARGIN.left} x2={width - MARGIN.right} y1={Math.round(y(tick)) + 0.5} y2={Math.round(y(tick)) + 0.5} />
              <text class="y-label" x={MARGIN.left - 6} y={Math.round(y(tick))}>
                {label(tick)}
              </text>
            </g>
          ))}
          {last !== undefined &&
            minuteTicks(endMs, HISTORY_WINDOW_MS).map((tick) => (
              <text key={tick.label} class="x-label" x={x(tick.atMs)} y={HEIGHT - 6}>
                {tick.label}
              </text>
            ))}
          <line class="axis" x1={MARGIN.left} x2={MARGIN.left} y1={MARGIN.top} y2={HEIGHT - MARGIN.bottom} />
          <line class="axis" x1={MARGIN.left} x2={width - MARGIN.right} y1={HEIGHT - MARGIN.bottom} y2={HEIGHT - MARGIN.bottom} />
          {series.map((s) => (
            <path key={s.node} class="line" data-series={s.node} d={linePath(s.points, x, y)} stroke={colors.get(s.node) ?? 'currentColor'}>
              <title>{s.node}</title>
            </path>
          ))}
        </svg>
      </div>
    </figure>
  );
}
