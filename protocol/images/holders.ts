import type { ClusterDocument } from '../../crdt/document.js';
import type { Json } from '../../crdt/json.js';
import { IMAGE_ID } from './image-record.js';

/**
 * Which images each node holds, as the nodes say: one object for the whole cluster, one
 * field per node, named by its peer id (as in Status objects), holding the sorted ids
 * (IMAGE_ID) of the images the cluster refers to that the node has. Each node writes
 * only its own field, the latest by stamp wins, and nothing else judges it: a node that
 * claims an image it lacks only draws replicas it must then pull, as any node would.
 * The scheduler reads it to prefer holders (protocol/auction/scores/index.ts).
 */
export const IMAGE_HOLDERS_KEY = 'ImageHolders/cluster/nodes';
export const IMAGE_HOLDERS_KIND = 'ImageHolders';
/**
 * Ids one node may list: well above the images a cluster's workloads name at once, and
 * it bounds the object at about 20 KiB a node (71 bytes an id).
 */
export const MAX_HELD_IMAGES = 256;

/** The field of `node` in the holders object. */
export const imageHoldersField = (node: string): string => node;

/** The ids a holders field lists, or undefined where it is not a sorted list of unique image ids, at most MAX_HELD_IMAGES. */
export function heldImagesOf(value: Json | undefined): readonly string[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_HELD_IMAGES) return undefined;
  for (let i = 0; i < value.length; i++) {
    const id = value[i];
    if (typeof id !== 'string' || !IMAGE_ID.test(id)) return undefined;
    // Strictly ascending: sorted and unique in one test, so one node's list has one spelling.
    if (i > 0 && (value[i - 1] as string) >= id) return undefined;
  }
  return value as readonly string[];
}

/** The value a node writes into its field: its ids, deduplicated and sorted, so heldImagesOf reads them back. */
export const heldImagesField = (ids: Iterable<string>): string[] => [...new Set(ids)].sort();

/** Each node's images, by peer id; a field that is not a well-formed list is left out. */
export function imageHoldings(document: ClusterDocument): Map<string, ReadonlySet<string>> {
  const out = new Map<string, ReadonlySet<string>>();
  for (const [node, value] of Object.entries(document.get(IMAGE_HOLDERS_KEY) ?? {})) {
    const ids = heldImagesOf(value);
    if (ids !== undefined) out.set(node, new Set(ids));
  }
  return out;
}
