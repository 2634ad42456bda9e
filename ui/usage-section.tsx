import type { NodeUsage, UsageSample } from './history.js';
import { PlotLegend } from './plot-legend.js';
import { seriesColors } from './plot.js';
import { UsagePlot } from './usage-plot.js';

interface Props {
  samples: readonly UsageSample[];
}

const cpuMillis = (usage: NodeUsage): number => usage.cpuMillis;
const memoryMi = (usage: NodeUsage): number => usage.memoryBytes / 2 ** 20;

/** Each node's CPU and memory over the last five minutes this page has been open. */
export function UsageSection({ samples }: Props) {
  const colors = seriesColors([...new Set(samples.flatMap((s) => [...s.nodes.keys()]))]);
  return (
    <section id="usage">
      <h2>Usage, last 5 minutes</h2>
      {colors.size === 0 ? (
        <p class="empty">No node has reported its usage yet.</p>
      ) : (
        <>
          <div class="plots">
            <UsagePlot title="CPU (millicores)" samples={samples} value={cpuMillis} label={(v) => `${v}m`} floor={100} colors={colors} />
            <UsagePlot title="Memory (MiB)" samples={samples} value={memoryMi} label={(v) => `${v}Mi`} floor={64} colors={colors} />
          </div>
          <PlotLegend colors={colors} />
        </>
      )}
    </section>
  );
}
