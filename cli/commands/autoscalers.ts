import type { AutoscalersJson } from '../../protocol/api/autoscalers.js';
import { UserError } from '../../node/errors.js';
import { ApiClient, type ApiTarget } from '../client.js';
import { table } from '../table.js';

const nameOf = (key: string): { namespace: string; name: string } => {
  const [, namespace = '', name = ''] = key.split('/');
  return { namespace, name };
};

const percent = (metric: string): string => (metric === 'cpu' || metric === 'memory' ? '%' : '');
const shortId = (id: string | undefined): string => (id === undefined ? '-' : id.slice(-8));

/** `shoal get autoscalers`: each autoscaled workload, what it uses against its targets, its count and where it goes, who decides and why. */
export async function getAutoscalers(opts: { name?: string; namespace: string; output: string; api: ApiTarget; key: string; allNamespaces: boolean }): Promise<void> {
  const all = (await new ApiClient(opts.api, opts.key).get<AutoscalersJson>('/v1/autoscalers')) ?? [];
  const shown = all.filter((a) => {
    const { namespace, name } = nameOf(a.workload);
    return (opts.allNamespaces || namespace === opts.namespace) && (opts.name === undefined || name === opts.name);
  });
  if (opts.name !== undefined && shown.length === 0) throw new UserError(`workload ${opts.namespace}/${opts.name} does not autoscale (or does not exist)`);
  if (opts.output === 'json') {
    console.log(JSON.stringify(shown, null, 2));
    return;
  }
  const rows = shown.map((a) => {
    const { namespace, name } = nameOf(a.workload);
    const metrics = a.metrics.map((m) => `${m.metric} ${m.value === undefined ? '?' : Math.round(m.value)}${percent(m.metric)}/${m.target}${percent(m.metric)}`).join(', ');
    const d = a.decision;
    const last =
      d === undefined
        ? '-'
        : `${d.replicas} at ${new Date(d.atMs).toISOString()} (${d.metric} ${d.value}${percent(d.metric)}/${d.target}${percent(d.metric)}) by ${shortId(d.decider)}`;
    return [namespace, name, metrics, `${a.min}-${a.max}`, String(a.current), String(a.desired), shortId(a.decider), last];
  });
  console.log(table(['NAMESPACE', 'NAME', 'METRICS (NOW/TARGET)', 'MIN-MAX', 'REPLICAS', 'DESIRED', 'DECIDER', 'LAST DECISION'], rows));
}
