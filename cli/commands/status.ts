import { ApiClient, type ApiTarget } from '../client.js';
import { UserError } from '../../node/errors.js';

interface StatusJson {
  id: string;
  cluster: string;
  startedAt: string;
  liveMembers: number;
  runtime: string;
  state: {
    deltas: number;
    accepted: number;
    rejected: Record<string, number>;
    equivocations: number;
    admittedNodes: number;
    ready: boolean;
    digest: { count: number; xor: string };
  };
  antiEntropy: { exchanges: number; failed: number; dropped: Record<string, number> };
  /** `refused`: updates forged or accusing above a signed incarnation (absent from nodes before signed members). */
  swim: { dropped: Record<string, number>; refused?: Record<string, number> };
  scheduler: { dropped: Record<string, number> };
  streamErrorsSurvived: number;
  api: { accepted: number; refused: Record<string, number> };
}

const counts = (byCode: Record<string, number>): string =>
  Object.entries(byCode)
    .filter(([, n]) => n > 0)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ') || 'none';

/** `shoal status`: what one node holds and has refused, from GET /v1/status; -o json prints all of it. */
export async function status(opts: { api: ApiTarget; key: string; output: string }): Promise<void> {
  if (opts.output !== 'text' && opts.output !== 'json') throw new UserError(`invalid -o '${opts.output}': expected text or json`);
  const client = new ApiClient(opts.api, opts.key);
  const s = await client.get<StatusJson>('/v1/status');
  if (s === undefined) throw new UserError(`${client.baseUrl} is not a Shoal node`);
  if (opts.output === 'json') {
    console.log(JSON.stringify(s, null, 2));
    return;
  }
  const lines: [string, string][] = [
    ['node', s.id],
    ['cluster', s.cluster],
    ['started', s.startedAt],
    ['runtime', s.runtime],
    ['live members', String(s.liveMembers)],
    ['admitted nodes', String(s.state.admittedNodes)],
    ['desired state', `${s.state.deltas} deltas, digest ${s.state.digest.count}/${s.state.digest.xor}${s.state.ready ? '' : ' (not ready: writes refused)'}`],
    ['requests accepted', String(s.api.accepted)],
    ['requests refused', counts(s.api.refused)],
    ['writes accepted', String(s.state.accepted)],
    ['writes refused', counts(s.state.rejected)],
    ['equivocations', String(s.state.equivocations)],
    ['anti-entropy', `${s.antiEntropy.exchanges} exchanges, ${s.antiEntropy.failed} failed; dropped ${counts(s.antiEntropy.dropped)}`],
    ['SWIM dropped', counts(s.swim.dropped)],
    ['SWIM refused', counts(s.swim.refused ?? {})],
    ['auction dropped', counts(s.scheduler.dropped)],
    ['stream errors survived', String(s.streamErrorsSurvived)],
  ];
  const width = Math.max(...lines.map(([label]) => label.length));
  for (const [label, value] of lines) console.log(`${label.padEnd(width)}  ${value}`);
}
