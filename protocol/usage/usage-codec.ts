import { z } from 'zod';
import { parseJsonBytes, type JsonBytesErrorCode } from '../../base/json-bytes.js';
import { MAX_FRAME_BYTES, MAX_NESTING_DEPTH } from '../../base/limits.js';
import { err, ok, type Result } from '../../base/result.js';
import { METRIC_NAME } from '../manifests/workload.js';

/**
 * The usage topic: every node publishes, every few seconds, what each replica it runs
 * uses. Usage is a reading that is stale within seconds, so it is gossiped and kept in
 * memory, never written to the document.
 */
export const USAGE_VERSION = 2;
/** Version 1 had no custom metrics; a node still reads it, from a node not yet upgraded. */
const READABLE_VERSIONS: readonly number[] = [1, USAGE_VERSION];
/** Custom metrics a replica may report: as many as a workload's autoscale metrics. */
export const MAX_CUSTOM_METRICS = 8;
/** Far more replicas than one node runs; a node with more publishes its heaviest. */
export const MAX_USAGE_REPLICAS = 2_000;
export const MAX_USAGE_SUMMARY_BYTES = MAX_FRAME_BYTES;

const count = z.number().int().min(0);
// A workload's key is Workload/namespace/name: up to 349 characters (crdt's OBJECT_KEY).
/** A custom metric's value is within this either way: what a replica serves beyond it is left out (node/usage/custom-metrics.ts). */
export const MAX_CUSTOM_VALUE = 1e15;
const customValue = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= MAX_CUSTOM_VALUE;
// Judged on the object as parsed: a record schema would skip a `__proto__` key rather than refuse it.
const custom = z.custom<Record<string, number>>(
  (v) =>
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    Object.keys(v).length <= MAX_CUSTOM_METRICS &&
    Object.entries(v).every(([name, value]) => METRIC_NAME.test(name) && customValue(value)),
  `at most ${MAX_CUSTOM_METRICS} custom metrics, each a metric name and a number within ±${MAX_CUSTOM_VALUE}`,
);
const replica = z.strictObject({ workload: z.string().min(1).max(512), slot: count, epoch: count, cpuMillis: count, memoryBytes: count, custom: custom.optional() });
const summary = z.strictObject({
  v: z.union(READABLE_VERSIONS.map((v) => z.literal(v))),
  node: z.string().min(1).max(128),
  atMs: count,
  replicas: z.array(replica).max(MAX_USAGE_REPLICAS),
});

export type ReplicaUsage = z.output<typeof replica>;
export type UsageSummary = Omit<z.output<typeof summary>, 'v'>;

/** `version`: a summary in a format this node does not read (a newer node's); not its sender's fault. */
export type UsageDecodeErrorCode = JsonBytesErrorCode | 'invalid' | 'version';

export interface UsageDecodeError {
  code: UsageDecodeErrorCode;
  detail: string;
}

const utf8 = new TextEncoder();

// Field by field: a caller's object may carry more, which a receiver's strict schema refuses.
const wireReplica = ({ workload, slot, epoch, cpuMillis, memoryBytes, custom }: ReplicaUsage): ReplicaUsage =>
  custom === undefined ? { workload, slot, epoch, cpuMillis, memoryBytes } : { workload, slot, epoch, cpuMillis, memoryBytes, custom };

/** The summary as it goes on the wire; it must be fitted (fitUsageSummary) to be read back. */
export const encodeUsageSummary = (s: UsageSummary): Uint8Array =>
  utf8.encode(JSON.stringify({ v: USAGE_VERSION, node: s.node, atMs: s.atMs, replicas: s.replicas.map(wireReplica) }));

/**
 * A summary off the network. Beyond the schema, its own encoding must fit too: numbers
 * written short (1e15) grow when encoded again, and what a node accepts it must be able
 * to hand on unchanged.
 */
export function decodeUsageSummary(bytes: Uint8Array): Result<UsageSummary, UsageDecodeError> {
  const parsed = parseJsonBytes(bytes, { maxBytes: MAX_USAGE_SUMMARY_BYTES, maxDepth: MAX_NESTING_DEPTH });
  if (!parsed.ok) return parsed;
  const version = (parsed.value as { v?: unknown } | null)?.v;
  if (typeof version === 'number' && !READABLE_VERSIONS.includes(version)) return err({ code: 'version', detail: `version ${version}` });
  const result = summary.safeParse(parsed.value);
  if (!result.success) {
    const issue = result.error.issues[0];
    return err({ code: 'invalid', detail: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` });
  }
  const { v: _, ...decoded } = result.data;
  const size = encodeUsageSummary(decoded).length;
  return size > MAX_USAGE_SUMMARY_BYTES ? err({ code: 'oversized', detail: `${size} bytes once encoded` }) : ok(decoded);
}

/**
 * The summary cut to what a receiver accepts: its first MAX_USAGE_REPLICAS replicas, fewer
 * if their encoding outgrows a frame. Callers put the replicas that matter most first.
 */
export function fitUsageSummary(s: UsageSummary): UsageSummary {
  let bytes = encodeUsageSummary({ ...s, replicas: [] }).length;
  const kept: ReplicaUsage[] = [];
  for (const r of s.replicas) {
    bytes += utf8.encode(JSON.stringify(wireReplica(r))).length + (kept.length > 0 ? 1 : 0);
    if (kept.length === MAX_USAGE_REPLICAS || bytes > MAX_USAGE_SUMMARY_BYTES) break;
    kept.push(r);
  }
  return kept.length === s.replicas.length ? s : { ...s, replicas: kept };
}
