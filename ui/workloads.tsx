import type { DashboardSlot, DashboardWorkload } from '../protocol/api/dashboard.js';
import { cpuText, memoryText, shortId, stateClass } from './format.js';

interface Props {
  workloads: readonly DashboardWorkload[];
}

/** Every workload, sorted by key, with its slots: where each replica runs and how. */
export function Workloads({ workloads }: Props) {
  const sorted = [...workloads].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return (
    <section id="workloads">
      <h2>Workloads</h2>
      {sorted.length === 0 && <p class="empty">No workloads.</p>}
      {sorted.map((workload) => (
        <Workload key={workload.key} workload={workload} />
      ))}
    </section>
  );
}

function Workload({ workload }: { workload: DashboardWorkload }) {
  const kind = workload.key.split('/')[0] ?? '';
  const slots = [...workload.slots].sort((a, b) => a.slot - b.slot);
  return (
    <article class="workload">
      <h3 title={workload.key}>
        {workload.namespace}/{workload.name} <span class="kind">{kind}</span>
      </h3>
      <p class="meta">
        <code class="image">{workload.image}</code>
        <span>{workload.replicas} desired</span>
        {workload.usage !== undefined && (
          <span>
            {cpuText(workload.usage.cpuMillis)} CPU, {memoryText(workload.usage.memoryBytes)}
          </span>
        )}
      </p>
      {slots.length === 0 ? (
        <p class="empty">No replica placed.</p>
      ) : (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th class="num">slot</th>
                <th>node</th>
                <th>state</th>
                <th>ready</th>
                <th class="num">restarts</th>
                <th class="num">CPU</th>
                <th class="num">memory</th>
              </tr>
            </thead>
            <tbody>
              {slots.map((slot) => (
                <SlotRow key={`${slot.slot}/${slot.node ?? ''}`} workload={workload.key} slot={slot} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </article>
  );
}

function SlotRow({ workload, slot }: { workload: string; slot: DashboardSlot }) {
  return (
    <tr data-workload={workload} data-slot={slot.slot} data-state={slot.state} data-node={slot.node ?? ''}>
      <td class="num">{slot.slot}</td>
      <td>{slot.node === null ? '—' : <code title={slot.node}>{shortId(slot.node)}</code>}</td>
      <td>
        <span class={stateClass(slot.state)}>{slot.state}</span>
      </td>
      <td>{slot.ready ? 'yes' : 'no'}</td>
      <td class="num">{slot.restarts}</td>
      <td class="num">{slot.usage === undefined ? '—' : cpuText(slot.usage.cpuMillis)}</td>
      <td class="num">{slot.usage === undefined ? '—' : memoryText(slot.usage.memoryBytes)}</td>
    </tr>
  );
}
