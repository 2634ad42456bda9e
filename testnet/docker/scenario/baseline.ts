import type { Json } from '../../../crdt/index.js';
import type { TestnetNode } from '../testnet.js';
import { perform, type Writer } from './clients.js';
import { BASELINE_CLIENT, type ClientOp, type OpKind } from './history.js';

/**
 * The runner's own write, which the scenario must start from: tried on each node in turn
 * until one acknowledges it. Every attempt is returned for the history, since one that
 * timed out may still have landed.
 */
export async function writeUntilAcknowledged(nodes: readonly TestnetNode[], writer: Writer, kind: OpKind, workload: string, fields: Record<string, Json> | null): Promise<ClientOp[]> {
  const attempts: ClientOp[] = [];
  for (const node of nodes) {
    const op = await perform(BASELINE_CLIENT, { kind, node, workload, fields }, writer);
    attempts.push(op);
    if (op.result.ok) return attempts;
  }
  throw new Error(`no node acknowledged the ${kind} of ${workload}: ${attempts.map((a) => `${a.node} ${a.result.ok ? 'ok' : a.result.error}`).join('; ')}`);
}
