import { join } from 'node:path';
import { signDelta, type Delta, type Json } from '../../crdt/index.js';
import { dataPaths } from '../../node/data-dir.js';
import type { OperatorKey } from '../../node/operator-key.js';
import { StateStore } from '../../node/state-store.js';

/**
 * A history as an operator writes it, for restart tests and benchmarks: `workloads`
 * workloads, then changes to their image, one delta each, chained. Replicas 0: a node
 * that loads them runs nothing.
 */
export function operatorHistory(count: number, cluster: string, key: OperatorKey, workloads = 100): Delta[] {
  const deltas: Delta[] = [];
  const start = Date.now() - count;
  let prev: string | undefined;
  for (let i = 0; i < count; i++) {
    const set: Record<string, Json> =
      i < workloads
        ? { apiVersion: 'shoal/v1', 'spec.image': 'registry.local/web:1.0.0', 'spec.replicas': 0, 'spec.resources': { cpu: '0.1', memory: '32Mi' }, 'spec.restartPolicy': 'always' }
        : { 'spec.image': `registry.local/web:1.0.${i}` };
    const delta = signDelta(
      {
        v: 1,
        cluster,
        author: key.publicKey,
        seq: i + 1,
        ...(prev ? { prev: [prev] } : {}),
        hlc: { wallMs: start + i, counter: 0 },
        ops: [{ key: `Workload/default/w${i % workloads}`, set }],
      },
      key.sign,
    );
    prev = delta.id;
    deltas.push(delta);
  }
  return deltas;
}

/** Writes deltas straight into a stopped node's store, as if it had accepted them. */
export async function storeDeltas(dataDir: string, deltas: readonly Delta[]): Promise<void> {
  const store = await StateStore.open(join(dataPaths(dataDir).root, 'state'));
  try {
    for (let i = 0; i < deltas.length; i += 1_000) await Promise.all(deltas.slice(i, i + 1_000).map((d) => store.append(d)));
  } finally {
    await store.close();
  }
}
