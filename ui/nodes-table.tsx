import type { DashboardNode } from '../protocol/api/dashboard.js';
import { capacityMemoryText, coresText, cpuText, labelsText, memoryText, shortId, stateClass } from './format.js';

interface Props {
  nodes: readonly DashboardNode[];
}

/** Every member the answering node knows, sorted by id. */
export function NodesTable({ nodes }: Props) {
  const sorted = [...nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return (
    <section id="nodes">
      <h2>Nodes</h2>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>node</th>
              <th>state</th>
              <th>labels</th>
              <th class="num">capacity</th>
              <th class="num">CPU</th>
              <th class="num">memory</th>
              <th class="num">replicas</th>
              <th>admitted</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((node) => (
              <tr key={node.id} data-node={node.id} data-state={node.state}>
                <td>
                  <code title={node.id}>{shortId(node.id)}</code>
                </td>
                <td>
                  <span class={stateClass(node.state)}>{node.state}</span>
                </td>
                <td class="labels">{labelsText(node.labels) || '—'}</td>
                <td class="num">
                  {coresText(node.capacity.cpuMillis)}, {capacityMemoryText(node.capacity.memoryBytes)}
                </td>
                <td class="num">{node.usage === undefined ? '—' : cpuText(node.usage.cpuMillis)}</td>
                <td class="num">{node.usage === undefined ? '—' : memoryText(node.usage.memoryBytes)}</td>
                <td class="num">{node.usage === undefined ? '—' : node.usage.replicas}</td>
                <td>{node.admitted ? 'yes' : <span class="warn">no</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
