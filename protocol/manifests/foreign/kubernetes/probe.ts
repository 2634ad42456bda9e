import { checkFields } from '../field-rules.js';
import type { Diagnostics, SourcePath } from '../translation.js';
import { integer, list, mapping, string, stringList } from './values.js';

/** A container port as a probe or a Service names it: a number, or the name of one of the container's ports. */
export function portNumber(d: Diagnostics, value: unknown, path: SourcePath, namedPorts: ReadonlyMap<string, number>, what: string): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const port = namedPorts.get(value) ?? (/^\d+$/.test(value) ? Number(value) : undefined);
    if (port === undefined) d.error(path, `${what} '${value}' names no port of the container: use its number, or name it under ports`);
    return port;
  }
  d.error(path, 'expected a port number or name');
  return undefined;
}

const TIMING = ['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'successThreshold', 'failureThreshold'] as const;

/** Kubernetes' probe as Shoal's: the same timings, httpGet/tcpSocket/exec as http/tcp/exec. */
export function translateProbe(d: Diagnostics, value: unknown, path: SourcePath, namedPorts: ReadonlyMap<string, number>): Record<string, unknown> | undefined {
  const probe = mapping(d, value, path);
  if (probe === undefined) return undefined;
  checkFields(d, probe, path, {
    handled: ['httpGet', 'tcpSocket', 'exec', ...TIMING],
    dropped: { terminationGracePeriodSeconds: 'Shoal stops a replica that fails its liveness probe with its usual grace' },
    refused: { grpc: 'Shoal has no gRPC probe: use exec with grpc_health_probe, or tcpSocket' },
  });
  const out: Record<string, unknown> = {};
  const http = mapping(d, probe.httpGet, [...path, 'httpGet']);
  if (http !== undefined) {
    const at = [...path, 'httpGet'];
    checkFields(d, http, at, {
      handled: ['path', 'port'],
      dropped: { httpHeaders: 'Shoal sends no extra headers with a probe' },
      refused: {
        scheme: (v) => (v === 'HTTPS' ? 'Shoal probes over plain HTTP: probe a plain port, or use exec' : undefined),
        host: 'Shoal probes the replica itself: drop host',
      },
    });
    const port = portNumber(d, http.port, [...at, 'port'], namedPorts, 'port');
    out.http = { path: string(d, http.path, [...at, 'path']) ?? '/', ...(port === undefined ? {} : { port }) };
  }
  const tcp = mapping(d, probe.tcpSocket, [...path, 'tcpSocket']);
  if (tcp !== undefined) {
    checkFields(d, tcp, [...path, 'tcpSocket'], { handled: ['port'], refused: { host: 'Shoal probes the replica itself: drop host' } });
    const port = portNumber(d, tcp.port, [...path, 'tcpSocket', 'port'], namedPorts, 'port');
    out.tcp = port === undefined ? {} : { port };
  }
  const exec = mapping(d, probe.exec, [...path, 'exec']);
  if (exec !== undefined) {
    checkFields(d, exec, [...path, 'exec'], { handled: ['command'] });
    out.exec = { command: stringList(d, exec.command, [...path, 'exec', 'command']) ?? list(d, exec.command, [...path, 'exec', 'command']) };
  }
  for (const field of TIMING) {
    const v = probe[field];
    if (v === undefined) continue;
    out[field] = field.endsWith('Threshold') ? integer(d, v, [...path, field]) : v;
  }
  return out;
}
