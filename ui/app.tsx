// The dashboard every node serves at /ui/: it logs in with the link `shoal dashboard`
// prints, then shows the snapshots the node streams (protocol/api/dashboard.ts).
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { DashboardSnapshot } from '../protocol/api/dashboard.js';
import { forgetLoginLink, logIn, logOut, openStream, type Stream, type StreamStatus } from './connection.js';
import { Events } from './events.js';
import { Header } from './header.js';
import { appendSample, type UsageSample } from './history.js';
import { LoginNeeded } from './login-needed.js';
import { loginTokenFromHash } from './login-link.js';
import { NodesTable } from './nodes-table.js';
import { Rollouts } from './rollouts.js';
import { UsageSection } from './usage-section.js';
import { Workloads } from './workloads.js';

type Phase = { kind: 'logging-in' } | { kind: 'dashboard' } | { kind: 'login-needed'; reason: string };

const EXPIRED = 'This login link has expired or was used';
const NO_SESSION = 'This browser is not logged in, or its session has ended';
const LOGGED_OUT = 'You have logged out';

function App() {
  const [phase, setPhase] = useState<Phase>({ kind: 'logging-in' });
  const [status, setStatus] = useState<StreamStatus>('connecting');
  const [snapshot, setSnapshot] = useState<DashboardSnapshot | null>(null);
  const [samples, setSamples] = useState<UsageSample[]>([]);
  const stream = useRef<Stream | null>(null);

  const loginNeeded = (reason: string): void => {
    stream.current?.close();
    stream.current = null;
    setSnapshot(null);
    setSamples([]);
    setPhase({ kind: 'login-needed', reason });
  };

  useEffect(() => {
    let unmounted = false;
    const start = async (): Promise<void> => {
      const token = loginTokenFromHash(location.hash);
      if (token !== undefined) {
        const result = await logIn(token);
        // A token the server answered for is spent either way; after a network failure a reload may try it again.
        if (result.kind !== 'failed') forgetLoginLink();
        if (unmounted) return;
        if (result.kind === 'expired') return loginNeeded(EXPIRED);
        if (result.kind === 'failed') return loginNeeded(`Logging in failed (${result.reason})`);
      }
      setPhase({ kind: 'dashboard' });
      stream.current = openStream({
        snapshot: (next) => {
          setSnapshot(next);
          setSamples((previous) => appendSample(previous, next));
        },
        status: setStatus,
        loginNeeded: () => loginNeeded(NO_SESSION),
      });
    };
    void start();
    return () => {
      unmounted = true;
      stream.current?.close();
    };
  }, []);

  const onLogOut = (): void => {
    stream.current?.close();
    stream.current = null;
    void logOut().then(() => loginNeeded(LOGGED_OUT));
  };

  return (
    <div class="dashboard" data-snapshot-at={snapshot?.atMs}>
      {phase.kind === 'login-needed' ? (
        <>
          <header class="top">
            <h1>Shoal</h1>
          </header>
          <LoginNeeded reason={phase.reason} />
        </>
      ) : (
        <>
          <Header snapshot={snapshot} status={phase.kind === 'logging-in' ? 'connecting' : status} onLogOut={onLogOut} />
          {snapshot === null ? (
            <p class="empty">{phase.kind === 'logging-in' ? 'Logging in…' : 'Waiting for the first snapshot…'}</p>
          ) : (
            <main>
              <NodesTable nodes={snapshot.nodes} />
              <UsageSection samples={samples} />
              <Rollouts rollouts={snapshot.rollouts} />
              <Workloads workloads={snapshot.workloads} />
              <Events events={snapshot.events} />
            </main>
          )}
        </>
      )}
    </div>
  );
}

const root = document.getElementById('app');
if (root !== null) {
  root.replaceChildren();
  render(<App />, root);
}
