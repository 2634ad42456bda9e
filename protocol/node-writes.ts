import type { Op } from '../crdt/delta.js';
import type { ClusterDocument, ObjectValue } from '../crdt/document.js';
import type { Json } from '../crdt/json.js';
import type { NodeWritePolicy } from '../crdt/node-write-policy.js';
import { heldImagesOf, IMAGE_HOLDERS_KEY, imageHoldersField } from './images/holders.js';

/**
 * Nodes write too: the scheduler's placement decisions, each replica's status, rollout
 * failure marks, autoscale decisions and the images each node holds. A node signs with
 * its own identity key and counts only once admitted (crdt/authority.ts); then it may
 * write only what its role needs, which this policy tells the replica
 * (crdt/node-write-policy.ts):
 * - in `Placement/<slot>`, fields `e<epoch>.<its peer id>` (its decision as an auction's
 *   collector), for a workload that exists, at an epoch at most one past the slot's
 *   latest counted decision;
 * - in `Status/<slot>`, the field `<its peer id>`, for a slot a counted decision placed on it;
 * - in `Rollout/<ns>/<name>`, fields `failed.<spec version>.<its peer id>` naming a slot
 *   of that workload placed on it;
 * - in `Autoscale/<ns>/<name>`, the field `decision` (an autoscaler's replica count, naming
 *   the node), for a replicated workload whose operator set `spec.autoscale`, and only
 *   within its `minReplicas..maxReplicas`: an operator who narrows the bounds later makes
 *   a decision outside them count nowhere, on every node alike;
 * - in `ImageHolders/cluster/nodes`, the field `<its peer id>`: the ids of the images it
 *   holds, sorted, unique, at most 256 (protocol/images/holders.ts). That one depends on
 *   nothing in the document: its shape is its whole verdict.
 * It may delete nothing. The shape is checked before a delta is stored; the rest depends
 * on the document, so it is judged when the document changes, the same way everywhere.
 */
export const PLACEMENT_KIND = 'Placement';
export const STATUS_KIND = 'Status';
export const ROLLOUT_KIND = 'Rollout';
export const AUTOSCALE_KIND = 'Autoscale';
/** The one field of an Autoscale object: the latest decision by stamp wins. */
export const AUTOSCALE_DECISION_FIELD = 'decision';
/** What `spec.autoscale` and a decision may name: `replicas` is bounded so (protocol/manifests/workload.ts). */
export const MAX_REPLICAS = 10_000;
const WORKLOAD_KINDS = ['Workload', 'Job', 'CronJob'];

const EPOCH_FIELD = /^e(\d{1,9})\.(.+)$/;
const ROLLOUT_FAILURE_FIELD = /^failed\.([0-9a-f]{12})\.(.+)$/;

/** `e<epoch>.<node>` for a collector's decision in a Placement object. */
export const placementField = (epoch: number, node: string): string => `e${epoch}.${node}`;

export function parsePlacementField(field: string): { epoch: number; node: string } | undefined {
  const match = EPOCH_FIELD.exec(field);
  return match === null ? undefined : { epoch: Number(match[1]), node: match[2] as string };
}

/** `failed.<spec version>.<node>` in a Rollout object: the node saw that revision fail. */
export const rolloutFailureField = (specVersion: string, node: string): string => `failed.${specVersion}.${node}`;

export function parseRolloutFailureField(field: string): { specVersion: string; node: string } | undefined {
  const match = ROLLOUT_FAILURE_FIELD.exec(field);
  return match === null ? undefined : { specVersion: match[1] as string, node: match[2] as string };
}

const SLOT_KINDS: Record<string, string> = { '': 'Workload', j: 'Job', c: 'CronJob' };
const SLOT_PREFIXES: Record<string, string> = { Workload: '', Job: 'j', CronJob: 'c' };

/**
 * `Placement/<ns>/<name>.<index>` and `Status/<ns>/<name>.<index>` belong to slot
 * `Workload/<ns>/<name>#<index>`; a Job's are `<name>.j<index>` and a CronJob's
 * `<name>.c<tick>`, so objects of one name and different kinds never share them.
 */
export function slotOfObject(key: string): { workload: string; index: number } | undefined {
  const [, namespace, name] = key.split('/');
  const dot = name?.lastIndexOf('.') ?? -1;
  if (namespace === undefined || name === undefined || dot <= 0) return undefined;
  const suffix = /^([jc]?)(\d+)$/.exec(name.slice(dot + 1));
  if (suffix === null) return undefined;
  return { workload: `${SLOT_KINDS[suffix[1] as string]}/${namespace}/${name.slice(0, dot)}`, index: Number(suffix[2]) };
}

const slotObjectName = (workload: string, index: number): string => {
  const [kind = 'Workload', namespace, name] = workload.split('/');
  return `${namespace}/${name}.${SLOT_PREFIXES[kind] ?? ''}${index}`;
};

export const placementKey = (workload: string, index: number): string => `${PLACEMENT_KIND}/${slotObjectName(workload, index)}`;
export const statusKey = (workload: string, index: number): string => `${STATUS_KIND}/${slotObjectName(workload, index)}`;

const kindOf = (key: string): string => key.slice(0, key.indexOf('/'));

/** The workload an object written by nodes belongs to, or undefined where it belongs to none. */
export function workloadOfNodeObject(key: string): string | undefined {
  const kind = kindOf(key);
  if (kind === PLACEMENT_KIND || kind === STATUS_KIND) return slotOfObject(key)?.workload;
  if (kind === ROLLOUT_KIND || kind === AUTOSCALE_KIND) return `Workload/${key.slice(kind.length + 1)}`;
  return undefined;
}

/** `Autoscale/<ns>/<name>` of `Workload/<ns>/<name>`; undefined for other kinds, which do not autoscale. */
export const autoscaleKeyOf = (workload: string): string | undefined => (workload.startsWith('Workload/') ? `${AUTOSCALE_KIND}/${workload.slice('Workload/'.length)}` : undefined);

/**
 * The replica count an autoscaler decided, the node that decided it, and why: the metric
 * that asked for the most replicas, its value and its target, in the metric's unit
 * (percent of the request for cpu and memory, the replica's own number for a custom one).
 */
export interface AutoscaleDecision {
  replicas: number;
  decider: string;
  metric: string;
  value: number;
  target: number;
  /** When the decider decided, by its clock: for people; the stamp orders decisions. */
  atMs: number;
}

const DECISION_FIELDS = ['replicas', 'decider', 'metric', 'value', 'target', 'atMs'];
const finiteAtLeastZero = (v: Json | undefined): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1e15;

/** A decision as a node must write it, or undefined: every field present, of its type and bounds, nothing more. */
export function autoscaleDecisionOf(value: Json | undefined): AutoscaleDecision | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== DECISION_FIELDS.length || !DECISION_FIELDS.every((f) => Object.hasOwn(value, f))) return undefined;
  const { replicas, decider, metric, target, atMs } = value;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0 || replicas > MAX_REPLICAS) return undefined;
  if (typeof decider !== 'string' || decider.length === 0 || decider.length > 128) return undefined;
  if (typeof metric !== 'string' || !/^[a-z][a-z0-9_:]{0,63}$/.test(metric)) return undefined;
  if (!finiteAtLeastZero(value.value) || !finiteAtLeastZero(target) || !finiteAtLeastZero(atMs) || !Number.isInteger(atMs)) return undefined;
  return { replicas, decider, metric, value: value.value, target, atMs };
}

/**
 * `minReplicas..maxReplicas` of a replicated workload's `spec.autoscale`, or undefined
 * where it has none (or a malformed one, never from a validated apply). The one reading
 * of the bounds: the merge judges decisions by it and the scheduler clamps by it.
 */
export function autoscaleBounds(fields: ObjectValue | undefined): { min: number; max: number } | undefined {
  const spec = fields?.['spec.autoscale'];
  if (fields?.['spec.mode'] === 'global' || spec === null || typeof spec !== 'object' || Array.isArray(spec)) return undefined;
  const { minReplicas, maxReplicas } = spec;
  const whole = (v: Json | undefined): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_REPLICAS;
  // A manifest that leaves minReplicas out means 1, as Kubernetes' does.
  const min = minReplicas === undefined ? 1 : minReplicas;
  return whole(min) && whole(maxReplicas) && min <= maxReplicas ? { min, max: maxReplicas } : undefined;
}

const isWorkloadKey = (key: string): boolean => WORKLOAD_KINDS.includes(kindOf(key));

/** A node's list of the images it holds: its own field only, each value a well-formed list. */
function holdingsAllowed(op: Op, node: string): boolean {
  if ('delete' in op) return false;
  const fields = Object.keys(op.set);
  return fields.length === 1 && fields[0] === imageHoldersField(node) && heldImagesOf(op.set[fields[0]]) !== undefined;
}

/**
 * Whose changes may change the verdict on a node-written key: a workload for the
 * scheduler's kinds; for the holders object, the object itself, since no other object
 * moves its verdict (it is named so the replica keeps and rebuilds it as node-written,
 * and `dependents` names nothing for it, so no recount follows).
 */
function ownerOf(key: string): string | undefined {
  return key === IMAGE_HOLDERS_KEY ? IMAGE_HOLDERS_KEY : workloadOfNodeObject(key);
}

/** Whether a node's op has the shape its role allows: checked before the delta is stored. */
function shapeAllowed(op: Op, node: string): boolean {
  if ('delete' in op) return false;
  if (op.key === IMAGE_HOLDERS_KEY) return holdingsAllowed(op, node);
  const kind = kindOf(op.key);
  const fields = Object.keys(op.set);
  if (fields.length === 0 || workloadOfNodeObject(op.key) === undefined) return false;
  if (kind === PLACEMENT_KIND) return fields.every((f) => parsePlacementField(f)?.node === node);
  if (kind === STATUS_KIND) return fields.every((f) => f === node);
  if (kind === ROLLOUT_KIND) return fields.every((f) => parseRolloutFailureField(f)?.node === node && slotOf(op.set[f]) !== undefined);
  if (kind === AUTOSCALE_KIND) return fields.length === 1 && fields[0] === AUTOSCALE_DECISION_FIELD && autoscaleDecisionOf(op.set[AUTOSCALE_DECISION_FIELD])?.decider === node;
  return false;
}

const slotOf = (value: Json | undefined): number | undefined => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const slot = value.slot;
  return typeof slot === 'number' && Number.isInteger(slot) && slot >= 0 ? slot : undefined;
};

const claimWinner = (value: Json | undefined): string | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && typeof value.winner === 'string' ? value.winner : undefined;

/** The highest epoch among the decisions a Placement object shows (0 for none). */
function latestEpoch(document: ClusterDocument, key: string): number {
  let max = 0;
  for (const field of document.fieldNames(key)) max = Math.max(max, parsePlacementField(field)?.epoch ?? 0);
  return max;
}

/** Whether a Placement object holds a decision that made `node` the winner. */
export function placedOn(fields: ObjectValue | undefined, node: string): boolean {
  for (const [field, value] of Object.entries(fields ?? {})) if (parsePlacementField(field) !== undefined && claimWinner(value) === node) return true;
  return false;
}

/**
 * Whether a node's op counts against the document as it stands. A slot's decisions are
 * judged in epoch order (`rank`), since one decision can make the next one's epoch valid.
 */
function counts(document: ClusterDocument, op: Op, node: string): boolean {
  if ('delete' in op) return false;
  // Its shape is its whole verdict: judged here again, so that this verdict too stands on the op alone.
  if (op.key === IMAGE_HOLDERS_KEY) return holdingsAllowed(op, node);
  const kind = kindOf(op.key);
  const workload = workloadOfNodeObject(op.key);
  if (workload === undefined) return false;
  if (kind === PLACEMENT_KIND) {
    const limit = latestEpoch(document, op.key) + 1;
    return document.get(workload) !== undefined && Object.keys(op.set).every((f) => (parsePlacementField(f)?.epoch ?? Infinity) <= limit);
  }
  if (kind === STATUS_KIND) return placedOn(document.get(`${PLACEMENT_KIND}/${op.key.slice(kind.length + 1)}`), node);
  if (kind === ROLLOUT_KIND) {
    return Object.values(op.set).every((value) => {
      const slot = slotOf(value);
      return slot !== undefined && placedOn(document.get(placementKey(workload, slot)), node);
    });
  }
  if (kind === AUTOSCALE_KIND) {
    const bounds = autoscaleBounds(document.get(workload));
    const replicas = autoscaleDecisionOf(op.set[AUTOSCALE_DECISION_FIELD])?.replicas;
    return bounds !== undefined && replicas !== undefined && replicas >= bounds.min && replicas <= bounds.max;
  }
  return false;
}

/** Epoch of a node's Placement op, for judging a slot's decisions in order. */
function opEpoch(op: Op): number {
  if ('delete' in op) return 0;
  return Math.max(0, ...Object.keys(op.set).map((f) => parsePlacementField(f)?.epoch ?? 0));
}

/**
 * What a change moves: a workload's existence, its slots' decisions (their deletion
 * takes the node writes with it); any change to a workload, its autoscale decisions
 * (its bounds judge them); a slot's decisions, that slot's status and the workload's
 * rollout marks.
 */
function dependents(changed: string, written: ReadonlySet<string>, existence: boolean): string[] {
  const keys = [...written];
  if (isWorkloadKey(changed)) {
    const autoscale = keys.filter((k) => k.startsWith(`${AUTOSCALE_KIND}/`));
    return existence ? [...autoscale, ...keys.filter((k) => k.startsWith(`${PLACEMENT_KIND}/`))] : autoscale;
  }
  if (!changed.startsWith(`${PLACEMENT_KIND}/`)) return [];
  const slot = slotOfObject(changed);
  if (slot === undefined) return [];
  const rollout = `${ROLLOUT_KIND}/${slot.workload.slice(slot.workload.indexOf('/') + 1)}`;
  return [statusKey(slot.workload, slot.index), rollout].filter((k) => written.has(k));
}

/** The scheduler's and the agent's node writes, as every replica judges them. */
export const NODE_WRITES: NodeWritePolicy = {
  ownerOf,
  shapeAllowed,
  counts,
  rank: opEpoch,
  dependents,
  // Decisions first: statuses and rollout marks are judged by them (autoscale decisions by the workload alone).
  pass: (key) => (key.startsWith(`${PLACEMENT_KIND}/`) ? 0 : 1),
  summary: 'its own placement decisions, replica status, rollout marks, autoscale decisions and image holdings',
};
