import { UserError } from '../../node/errors.js';
import { ApiClient, type ApiTarget } from '../client.js';

/**
 * `shoal dashboard`: a one-time login link to a node's dashboard. The request is signed
 * with the operator key like any other; the token travels in the URL's fragment, which
 * the browser never sends to a server, and buys one session within a minute.
 */
export async function dashboard(opts: { api: ApiTarget; key: string }): Promise<void> {
  const client = new ApiClient(opts.api, opts.key);
  const reply = await client.post<{ token?: string; detail?: string }>('/v1/ui/login', {});
  if (reply.status !== 200 || reply.body.token === undefined) throw new UserError(`the node gave no login link: ${reply.body.detail ?? reply.status}`);
  console.log(`${client.baseUrl}/ui/#login=${reply.body.token}`);
  console.error('Open it within a minute; it works once. A node off loopback serves HTTPS with its own certificate: check its fingerprint (shoal context).');
}
