/**
 * Liveness and readiness as Kubernetes defines them: a probe runs every period after an
 * initial delay; `failureThreshold` failures in a row make it fail, `successThreshold`
 * successes in a row make it pass. Liveness starts passing (a replica is alive until
 * shown otherwise) and readiness starts failing (it is not ready until shown to be).
 */
export type ProbeCheck = { kind: 'http'; path: string; port: number } | { kind: 'tcp'; port: number } | { kind: 'exec'; command: string[] };

export interface ProbeSpec {
  check: ProbeCheck;
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

export interface ProbeState {
  passing: boolean;
  successes: number;
  failures: number;
  lastRunAtMs: number | null;
  lastMessage: string | null;
}

export const initialProbeState = (role: 'liveness' | 'readiness'): ProbeState => ({
  passing: role === 'liveness',
  successes: 0,
  failures: 0,
  lastRunAtMs: null,
  lastMessage: null,
});

export const probeDue = (state: ProbeState, spec: ProbeSpec, startedAtMs: number, nowMs: number): boolean =>
  nowMs >= startedAtMs + spec.initialDelayMs && (state.lastRunAtMs === null || nowMs >= state.lastRunAtMs + spec.periodMs);

export function observeProbe(state: ProbeState, spec: ProbeSpec, ok: boolean, message: string | null, nowMs: number): ProbeState {
  const successes = ok ? state.successes + 1 : 0;
  const failures = ok ? 0 : state.failures + 1;
  const passing = state.passing ? failures < spec.failureThreshold : successes >= spec.successThreshold;
  return { passing, successes, failures, lastRunAtMs: nowMs, lastMessage: ok ? null : message };
}
