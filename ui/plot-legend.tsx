import { shortId } from './format.js';

interface Props {
  colors: ReadonlyMap<string, string>;
}

/** Which line is which node: a swatch (an SVG, so that no inline style is needed) and its short id. */
export function PlotLegend({ colors }: Props) {
  return (
    <ul class="legend">
      {[...colors].map(([node, color]) => (
        <li key={node} title={node}>
          <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
            <rect width="12" height="12" rx="2" fill={color} />
          </svg>
          <code>{shortId(node)}</code>
        </li>
      ))}
    </ul>
  );
}
