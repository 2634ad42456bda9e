import type { Random } from '../../base/random.js';
import { endpointId, type Endpoint } from './endpoints.js';

/**
 * The endpoint for a new connection: this node's own replicas first (no hop), then the
 * others; within each, the less busy of two drawn at random (power of two choices,
 * which keeps load even without every node knowing every other's counts). Endpoints
 * already tried for this connection are skipped; none left, undefined. With none in
 * rotation left, replicas whose node is only suspect are tried (as Envoy's panic
 * routing): slow is not dead, and a busy host's false suspicion must not take a service
 * down.
 */
export function chooseEndpoint(endpoints: readonly Endpoint[], active: (id: string) => number, random: Random, tried: ReadonlySet<string> = new Set()): Endpoint | undefined {
  const untried = endpoints.filter((e) => !tried.has(endpointId(e)));
  const inRotation = untried.filter((e) => e.excluded === null);
  const open = inRotation.length > 0 ? inRotation : untried.filter((e) => e.excluded === 'node suspect');
  const local = open.filter((e) => e.local);
  const pool = local.length > 0 ? local : open;
  if (pool.length <= 1) return pool[0];
  const first = random.int(pool.length);
  const second = (first + 1 + random.int(pool.length - 1)) % pool.length;
  const a = pool[first] as Endpoint;
  const b = pool[second] as Endpoint;
  return active(endpointId(b)) < active(endpointId(a)) ? b : a;
}
