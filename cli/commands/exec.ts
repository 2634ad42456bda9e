import type { ExecJson } from '../../protocol/api/replicas.js';
import { UserError } from '../../node/errors.js';
import { ApiClient, type ApiTarget } from '../client.js';

/** `shoal exec NAME -- CMD...`: runs CMD in a replica, wherever it runs; exits with CMD's status. */
export async function exec(opts: { name: string; namespace: string; slot: string; command: string[]; api: ApiTarget; key: string }): Promise<void> {
  const slot = Number(opts.slot);
  if (!Number.isInteger(slot) || slot < 0) throw new UserError(`invalid --slot '${opts.slot}': expected a slot number`);
  if (opts.command.length === 0) throw new UserError('no command: shoal exec NAME -- CMD [ARGS...]');
  const reply = await new ApiClient(opts.api, opts.key).post<ExecJson & { error?: string; detail?: string }>(`/v1/workloads/${opts.namespace}/${opts.name}/exec`, {
    slot,
    command: opts.command,
  });
  if (reply.status !== 200) throw new UserError(reply.body.detail ?? `exec failed with ${reply.status}`);
  process.stdout.write(reply.body.stdout);
  process.stderr.write(reply.body.stderr);
  process.exitCode = reply.body.exitCode;
}
