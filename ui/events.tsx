import type { DashboardEvent } from '../protocol/api/dashboard.js';
import { clockText, shortId } from './format.js';

interface Props {
  /** Oldest first, as the snapshot has them. */
  events: readonly DashboardEvent[];
}

/** The cluster's recent events, newest first. */
export function Events({ events }: Props) {
  const newestFirst = keyed(events).reverse();
  return (
    <section id="events">
      <h2>Recent events</h2>
      {newestFirst.length === 0 ? (
        <p class="empty">No events in the last minutes.</p>
      ) : (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>time</th>
                <th>node</th>
                <th>kind</th>
                <th>object</th>
                <th>message</th>
              </tr>
            </thead>
            <tbody>
              {newestFirst.map(({ key, event }) => (
                <tr key={key}>
                  <td title={new Date(event.atMs).toISOString()}>{clockText(event.atMs)}</td>
                  <td>
                    <code title={event.node}>{shortId(event.node)}</code>
                  </td>
                  <td>{event.kind}</td>
                  <td>{event.object}</td>
                  <td class="message">{event.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Events have no id: their content is one, and the same event twice gets a count. */
function keyed(events: readonly DashboardEvent[]): { key: string; event: DashboardEvent }[] {
  const seen = new Map<string, number>();
  return events.map((event) => {
    const content = `${event.atMs}|${event.node}|${event.kind}|${event.object}|${event.message}`;
    const count = seen.get(content) ?? 0;
    seen.set(content, count + 1);
    return { key: `${content}|${count}`, event };
  });
}
