import type { DashboardSnapshot } from '../protocol/api/dashboard.js';
import type { StreamStatus } from './connection.js';
import { clockText, shortId } from './format.js';

interface Props {
  snapshot: DashboardSnapshot | null;
  status: StreamStatus;
  onLogOut: () => void;
}

/** The cluster, the node answering, when it last did, and whether the stream is up. */
export function Header({ snapshot, status, onLogOut }: Props) {
  return (
    <header class="top">
      <h1>Shoal</h1>
      {snapshot !== null && (
        <dl class="facts">
          <div>
            <dt>cluster</dt>
            <dd title={snapshot.clusterId}>{shortId(snapshot.clusterId)}</dd>
          </div>
          <div>
            <dt>node</dt>
            <dd title={snapshot.node}>{shortId(snapshot.node)}</dd>
          </div>
          <div>
            <dt>as of</dt>
            <dd title={new Date(snapshot.atMs).toISOString()}>{clockText(snapshot.atMs)}</dd>
          </div>
        </dl>
      )}
      {status === 'reconnecting' && (
        <span class="badge badge-reconnecting" role="status" data-reconnecting>
          reconnecting…
        </span>
      )}
      {status === 'connecting' && (
        <span class="badge" role="status">
          connecting…
        </span>
      )}
      <button type="button" class="logout" onClick={onLogOut}>
        log out
      </button>
    </header>
  );
}
