import { normalFingerprint } from '../node/api/tls.js';
import { UserError } from '../node/errors.js';
import { defaultOperatorKeyPath } from '../node/operator-key.js';
import type { ApiTarget, Endpoint } from './client.js';
import { loadConfig, selectedContext } from './contexts.js';
import { localEndpoint, urlOfApi } from './options.js';

export interface ConnectionFlags {
  api?: string | undefined;
  fingerprint?: string | undefined;
  context?: string | undefined;
  key?: string | undefined;
  dataDir: string;
}

/** Which node or nodes a command talks to, and the key it signs with. */
export interface Connection {
  api: ApiTarget;
  key: string;
}

/**
 * As kubectl: `--api` names one node (its fingerprint from --fingerprint, a context that
 * lists it, or the local node's record); else the context (--context, SHOAL_CONTEXT, the
 * current one) names its nodes, any of which answers; else the node on --data-dir. The
 * key: --key, else the context's, else ~/.shoal/operator.key.
 */
export function connection(flags: ConnectionFlags): Connection {
  const config = loadConfig();
  const selected = selectedContext(flags.context, config);
  const key = flags.key ?? selected?.context.key ?? defaultOperatorKeyPath();
  if (flags.api !== undefined) {
    const url = urlOfApi(flags.api);
    const known = Object.values(config.contexts)
      .flatMap((c) => c.nodes)
      .find((n) => urlOfApi(n.api) === url)?.fingerprint;
    const local = localEndpoint(flags.dataDir);
    const fingerprint = flags.fingerprint ?? known ?? (local.url === url ? local.fingerprint : undefined);
    return { api: { url, fingerprint: fingerprint === undefined ? undefined : normalFingerprint(fingerprint) }, key };
  }
  if (flags.fingerprint !== undefined) throw new UserError('--fingerprint goes with --api: it pins that node');
  if (selected !== undefined) {
    const nodes: Endpoint[] = selected.context.nodes.map((n) => ({ url: urlOfApi(n.api), fingerprint: n.fingerprint }));
    if (nodes.length === 0) throw new UserError(`context '${selected.name}' lists no node: \`shoal context add ${selected.name} --api HOST:PORT ...\``);
    return { api: nodes, key };
  }
  return { api: localEndpoint(flags.dataDir), key };
}
