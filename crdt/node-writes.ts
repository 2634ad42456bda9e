import { peerIdOfPublicKey } from '../protocol/identity/peer-id.js';
import type { Delta } from './delta.js';

/**
 * Nodes write too: the scheduler's placement decisions and each replica's status. A
 * node signs with its own identity key, not an operator's, and may write only about
 * itself: in a Placement object, fields `e<epoch>.<its peer id>` (its decision as an
 * auction's collector); in a Status object, the field `<its peer id>`; in a Rollout
 * object, fields `failed.<spec version>.<its peer id>` (a revision that could not get
 * ready on it). It may delete nothing. Holding the cluster key is what makes a process a node, so this bounds
 * what a compromised node can claim to others, not whether it can write.
 */
export const PLACEMENT_KIND = 'Placement';
export const STATUS_KIND = 'Status';
export const ROLLOUT_KIND = 'Rollout';

const EPOCH_FIELD = /^e(\d{1,9})\.(.+)$/;
const ROLLOUT_FAILURE_FIELD = /^failed\.([0-9a-f]{12})\.(.+)$/;

/** `failed.<spec version>.<node>` in a Rollout object: the node saw that revision fail. */
export const rolloutFailureField = (specVersion: string, node: string): string => `failed.${specVersion}.${node}`;

export function parseRolloutFailureField(field: string): { specVersion: string; node: string } | undefined {
  const match = ROLLOUT_FAILURE_FIELD.exec(field);
  return match === null ? undefined : { specVersion: match[1] as string, node: match[2] as string };
}

export class NodeWritePolicy {
  private readonly ids = new Map<string, string | undefined>();

  /** The node id an author key stands for, or undefined where it is no Ed25519 key. */
  nodeIdOf(author: string): string | undefined {
    if (!this.ids.has(author)) {
      let id: string | undefined;
      try {
        id = peerIdOfPublicKey(author);
      } catch {
        id = undefined;
      }
      this.ids.set(author, id);
    }
    return this.ids.get(author);
  }

  allows(delta: Delta): boolean {
    const node = this.nodeIdOf(delta.body.author);
    if (node === undefined) return false;
    return delta.body.ops.every((op) => {
      if ('delete' in op) return false;
      const kind = op.key.slice(0, op.key.indexOf('/'));
      const fields = Object.keys(op.set);
      if (kind === PLACEMENT_KIND) return fields.every((f) => EPOCH_FIELD.exec(f)?.[2] === node);
      if (kind === STATUS_KIND) return fields.every((f) => f === node);
      if (kind === ROLLOUT_KIND) return fields.every((f) => ROLLOUT_FAILURE_FIELD.exec(f)?.[2] === node);
      return false;
    });
  }
}

/** `e<epoch>.<node>` for a collector's decision in a Placement object. */
export const placementField = (epoch: number, node: string): string => `e${epoch}.${node}`;

export function parsePlacementField(field: string): { epoch: number; node: string } | undefined {
  const match = EPOCH_FIELD.exec(field);
  return match === null ? undefined : { epoch: Number(match[1]), node: match[2] as string };
}
