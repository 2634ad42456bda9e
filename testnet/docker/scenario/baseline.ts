import type { Json } from '../../../crdt/index.js';
import type { TestnetNode } from '../testnet.js';
import { perform, type Writer } from './clients.js';
import { BASELINE_CLIENT, type ClientOp, type OpKind } from './history.js';

/**
 * A busy host makes a testnet slow, not broken: the runner waits this long for its own
 * write (a round of 2 s attempts on a busy host once stopped the suite before its first
 * scenario, issue 20 item 8), and gives each attempt this long.
 */
const BASELINE_DEADLINE_MS = 120_000;
const BASELINE_ATTEMPT_MS = 15_000;

/**
 * The runner's own write, which the scenario must start from: tried on each node in turn,
 * round after round, until one acknowledges it. Every attempt is returned for the
 * history, since one that timed out may still have landed.
 */
export async function writeUntilAcknowledged(
  nodes: readonly TestnetNode[],
  writer: Writer,
  kind: OpKind,
  workload: string,
  fields: Record<string, Json> | null,
): Promise<ClientOp[]> {
  const attempts: ClientOp[] = [];
  const deadline = Date.now() + BASELINE_DEADLINE_MS;
  while (Date.now() < deadline) {
    for (const node of nodes) {
      const op = await perform(BASELINE_CLIENT, { kind, node, workload, fields }, writer, BASELINE_ATTEMPT_MS);
      attempts.push(op);
      if (op.result.ok) return attempts;
    }
  }
  throw new Error(
    `no node acknowledged the ${kind} of ${workload} within ${BASELINE_DEADLINE_MS / 1000} s: ${attempts.map((a) => `${a.node} ${a.result.ok ? 'ok' : a.result.error}`).join('; ')}`,
  );
}
