import type { Service } from '../manifests/service.js';
import { serviceId } from './port-owners.js';

const envName = (name: string): string => name.toUpperCase().replace(/-/g, '_');

/**
 * What Kubernetes gives a container for each service of its namespace: `<NAME>_SERVICE_HOST`
 * and `<NAME>_SERVICE_PORT` (its first port), and `<NAME>_SERVICE_PORT_<PORT NAME>` for each
 * named port. The host is the service's own address on the replica's node. Given at start:
 * a service made later is found by DNS, not here.
 */
export function serviceEnv(services: readonly Service[], namespace: string, addressOf: (service: string) => string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const service of services) {
    if (service.namespace !== namespace) continue;
    const prefix = `${envName(service.name)}_SERVICE`;
    const [first] = service.ports;
    const address = addressOf(serviceId(service));
    if (first === undefined || address === undefined) continue;
    env[`${prefix}_HOST`] = address;
    env[`${prefix}_PORT`] = String(first.port);
    for (const p of service.ports) if (p.name !== undefined) env[`${prefix}_PORT_${envName(p.name)}`] = String(p.port);
  }
  return env;
}
