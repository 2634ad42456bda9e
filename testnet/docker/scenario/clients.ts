import { setTimeout as delay } from 'node:timers/promises';
import type { Json, Op, Stamp } from '../../../crdt/index.js';
import type { OperatorKey } from '../../../node/operator-key.js';
import { createRandom, type Random } from '../../../base/random.js';
import type { TestnetNode } from '../testnet.js';
import type { ClientOp, OpKind } from './history.js';
import { failureText } from './http.js';
import { signedWrite } from './signed-write.js';
import { nameOf, poolKeys, workloadSpec, type WorkloadPool } from './workloads.js';

/** A down, paused or cut-off node must cost a client seconds, not the scenario. */
export const REQUEST_TIMEOUT_MS = 2_000;
const PAUSE_MS = { min: 200, spread: 600 };
const MAX_REPLICAS = 3;

export interface Writer {
  cluster: string;
  key: OperatorKey;
}

export interface ClientsOptions extends Writer {
  nodes: readonly TestnetNode[];
  pool: WorkloadPool;
  clients: number;
  seed: number;
}

export interface Request {
  kind: OpKind;
  node: TestnetNode;
  workload: string;
  fields: Record<string, Json> | null;
}

/**
 * `options.clients` clients, each issuing random writes to random nodes, one at a time
 * with a short pause between, until `stop` aborts. Each finished request goes to `record`.
 * Resolves once every client's last request has ended.
 */
export async function runClients(options: ClientsOptions, record: (op: ClientOp) => void, stop: AbortSignal): Promise<void> {
  const seeds = createRandom(options.seed);
  await Promise.all(Array.from({ length: options.clients }, (_, i) => runClient(`client-${i}`, createRandom(seeds.int(2 ** 32)), options, record, stop)));
}

async function runClient(name: string, random: Random, options: ClientsOptions, record: (op: ClientOp) => void, stop: AbortSignal): Promise<void> {
  while (!stop.aborted) {
    record(await perform(name, nextRequest(random, options.nodes, options.pool), options));
    await delay(PAUSE_MS.min + random.int(PAUSE_MS.spread), undefined, { signal: stop }).catch(() => undefined);
  }
}

/** Applies go to any workload of the pool, scales (to zero too) to the scaled ones, deletes to the churned ones. */
export function nextRequest(random: Random, nodes: readonly TestnetNode[], pool: WorkloadPool): Request {
  const node = pick(random, nodes);
  const roll = random.next();
  if (roll < 0.3) {
    const workload = pick(random, poolKeys(pool));
    return { kind: 'apply', node, workload, fields: workloadSpec(nameOf(workload), 1 + random.int(MAX_REPLICAS)) };
  }
  if (roll < 0.75) return { kind: 'scale', node, workload: pick(random, pool.scaled), fields: { 'spec.replicas': random.int(MAX_REPLICAS + 1) } };
  return { kind: 'delete', node, workload: pick(random, pool.churned), fields: null };
}

/** Sends one request and records it, answered or not; it never throws. */
export async function perform(client: string, request: Request, writer: Writer, timeoutMs = REQUEST_TIMEOUT_MS): Promise<ClientOp> {
  const startMs = Date.now();
  let stamp: Stamp | null = null;
  const op: Op = request.fields === null ? { key: request.workload, delete: true } : { key: request.workload, set: request.fields };
  const entry = { client, kind: request.kind, node: request.node.name, workload: request.workload, fields: request.fields, startMs };
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    const delta = await signedWrite(request.node.api, writer.cluster, writer.key, [op], signal, (s) => (stamp = s));
    return { ...entry, stamp, endMs: Date.now(), result: { ok: true, delta } };
  } catch (e) {
    return { ...entry, stamp, endMs: Date.now(), result: { ok: false, error: failureText(e, timeoutMs) } };
  }
}

const pick = <T>(random: Random, items: readonly T[]): T => items[random.int(items.length)] as T;
