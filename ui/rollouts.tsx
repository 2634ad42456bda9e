import type { DashboardRollout } from '../protocol/api/dashboard.js';
import { abbreviate } from './format.js';

interface Props {
  rollouts: readonly DashboardRollout[];
}

/** Rollouts not yet complete; nothing at all when there are none. */
export function Rollouts({ rollouts }: Props) {
  if (rollouts.length === 0) return null;
  return (
    <section id="rollouts">
      <h2>Rollouts in progress</h2>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>workload</th>
              <th>target revision</th>
              <th class="num">updated</th>
              <th>rolled back from</th>
            </tr>
          </thead>
          <tbody>
            {rollouts.map((rollout) => (
              <tr key={rollout.workload} data-rollout={rollout.workload}>
                <td>{rollout.workload}</td>
                <td>
                  <code title={rollout.target}>{abbreviate(rollout.target)}</code>
                </td>
                <td class="num">
                  {rollout.updated}/{rollout.replicas}
                </td>
                <td>{rollout.rolledBackFrom === null ? '—' : <code title={rollout.rolledBackFrom}>{abbreviate(rollout.rolledBackFrom)}</code>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
