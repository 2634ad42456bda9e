import { connect } from 'node:net';
import type { ProbeSpec } from '../../protocol/agent/probe.js';
import type { ContainerRuntime } from './runtime.js';

export interface CheckResult {
  ok: boolean;
  /** Why it failed, in words that stay the same from one failure to the next: a status carries it. */
  message: string | null;
  /** What an exec probe printed to stderr: for the event a failed liveness probe writes, never for a status. */
  output?: string;
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<CheckResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (result: CheckResult): void => {
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => done({ ok: true, message: null }));
    socket.once('timeout', () => done({ ok: false, message: `tcp ${host}:${port}: no answer within ${timeoutMs} ms` }));
    socket.once('error', (e) => done({ ok: false, message: `tcp ${host}:${port}: ${e.message}` }));
  });
}

async function httpCheck(host: string, port: number, path: string, timeoutMs: number): Promise<CheckResult> {
  const url = `http://${host}:${port}${path}`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await response.body?.cancel();
    // As Kubernetes: any status from 200 to 399 passes.
    return response.status >= 200 && response.status < 400 ? { ok: true, message: null } : { ok: false, message: `GET ${url}: ${response.status}` };
  } catch (e) {
    return { ok: false, message: `GET ${url}: ${(e as Error).message}` };
  }
}

/** Runs one probe against a replica: from the node for http and tcp, inside the replica for exec. */
export async function runCheck(spec: ProbeSpec, replica: { id: string; address?: string | undefined }, runtime: ContainerRuntime): Promise<CheckResult> {
  const { check, timeoutMs } = spec;
  if (check.kind === 'exec') {
    try {
      const result = await runtime.exec(replica.id, check.command, timeoutMs);
      return result.exitCode === 0
        ? { ok: true, message: null }
        : { ok: false, message: `exec ${check.command.join(' ')}: exit ${result.exitCode}`, output: result.stderr.trim().slice(0, 200) };
    } catch (e) {
      return { ok: false, message: `exec ${check.command.join(' ')}: ${(e as Error).message}` };
    }
  }
  if (replica.address === undefined) return { ok: false, message: 'the replica has no address yet' };
  return check.kind === 'tcp' ? tcpCheck(replica.address, check.port, timeoutMs) : httpCheck(replica.address, check.port, check.path, timeoutMs);
}
