import type { UsageJson } from '../../protocol/api/usage.js';
import { UserError } from '../../node/errors.js';
import { ApiClient, type ApiTarget } from '../client.js';
import { table } from '../table.js';

export interface TopOptions {
  resource: 'nodes' | 'workloads';
  output: 'table' | 'json';
  api: ApiTarget;
  key: string;
  /** Workloads only: the namespace shown (default `default`), unless allNamespaces. */
  namespace?: string;
  allNamespaces?: boolean;
}

/** Millicores, as kubectl top shows CPU. */
export const cpuText = (millis: number): string => `${Math.round(millis)}m`;

/** Mebibytes, as kubectl top shows memory. */
export const memoryText = (bytes: number): string => `${Math.round(bytes / 2 ** 20)}Mi`;

/** `Workload/<namespace>/<name>` into its namespace and name. */
const nameOf = (key: string): { namespace: string; name: string } => {
  const [, namespace = '', ...name] = key.split('/');
  return { namespace, name: name.join('/') };
};

/**
 * `shoal top nodes | workloads`: what each node's replicas use, or each workload's, as
 * the node asked last heard from every node (each publishes every few seconds).
 */
export async function top(opts: TopOptions): Promise<void> {
  const usage = await new ApiClient(opts.api, opts.key).get<UsageJson>('/v1/usage');
  if (usage === undefined) throw new UserError('the node does not serve /v1/usage: it runs an older version of Shoal');
  if (opts.resource === 'nodes') {
    if (opts.output === 'json') console.log(JSON.stringify(usage.nodes, null, 2));
    else
      console.log(
        table(
          ['NODE', 'CPU', 'MEMORY', 'REPLICAS'],
          usage.nodes.map((n) => [n.node, cpuText(n.cpuMillis), memoryText(n.memoryBytes), String(n.replicas)]),
        ),
      );
    return;
  }
  const namespace = opts.namespace ?? 'default';
  const workloads = usage.workloads.filter((w) => opts.allNamespaces === true || nameOf(w.workload).namespace === namespace);
  if (opts.output === 'json') {
    console.log(JSON.stringify(workloads, null, 2));
    return;
  }
  const rows = workloads.map((w) => {
    const { namespace: ns, name } = nameOf(w.workload);
    return [ns, name, String(w.replicas.length), cpuText(w.cpuMillis), memoryText(w.memoryBytes)];
  });
  console.log(table(['NAMESPACE', 'NAME', 'REPLICAS', 'CPU', 'MEMORY'], rows));
}
