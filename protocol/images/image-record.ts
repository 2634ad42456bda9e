import type { ClusterDocument, ObjectValue } from '../../crdt/document.js';
import type { Json } from '../../crdt/json.js';
import { compareStamp, type Stamp } from '../../crdt/stamp.js';

/**
 * An image's content id: the sha256 of its config, what `docker inspect` calls Id. Shoal
 * moves images without registries, so this, not a registry's manifest digest, is what
 * `name@sha256:<hex>` names and what the nodes announce and verify.
 */
export const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;

export const IMAGE_KIND = 'Image';
/** References one pushed image may carry (`shoal image push` with several tags). */
export const MAX_IMAGE_REFERENCES = 16;
/** A reference as Docker bounds it: name and tag, without the digest part. */
const MAX_REFERENCE_LENGTH = 255;

/**
 * `Image/<namespace>/<hex>`: an operator pushed the image of content id `sha256:<hex>`
 * into the namespace under `references` (`shoal image push`). A workload in that
 * namespace that names one of those references runs that content and no other: a
 * node resolves the tag through this record, not through what a peer claims.
 */
export interface ImageRecord {
  id: string;
  namespace: string;
  references: readonly string[];
  /** Bytes of the image as `docker save` writes it: for `get images` and progress. */
  sizeBytes: number;
}

export const imageKey = (namespace: string, id: string): string => `${IMAGE_KIND}/${namespace}/${id.slice('sha256:'.length)}`;

/** The record's fields as `shoal image push` writes them. */
export const imageFields = (record: Omit<ImageRecord, 'id' | 'namespace'>): Record<string, Json> => ({
  references: [...record.references],
  sizeBytes: record.sizeBytes,
});

/** An Image object read back, or undefined where its key or fields are not one. */
export function imageRecordOf(key: string, fields: ObjectValue | undefined): ImageRecord | undefined {
  const [kind, namespace, hex] = key.split('/');
  if (kind !== IMAGE_KIND || namespace === undefined || hex === undefined || fields === undefined) return undefined;
  const id = `sha256:${hex}`;
  const { references, sizeBytes } = fields;
  if (!IMAGE_ID.test(id) || !Array.isArray(references) || references.length === 0 || references.length > MAX_IMAGE_REFERENCES) return undefined;
  if (!references.every((r): r is string => typeof r === 'string' && r.length > 0 && r.length <= MAX_REFERENCE_LENGTH)) return undefined;
  if (typeof sizeBytes !== 'number' || !Number.isSafeInteger(sizeBytes) || sizeBytes < 0) return undefined;
  return { id, namespace, references, sizeBytes };
}

/** Every readable Image record of the document, in key order. */
export function imageRecords(document: ClusterDocument): ImageRecord[] {
  return document.keys(IMAGE_KIND).flatMap((key) => imageRecordOf(key, document.get(key)) ?? []);
}

/**
 * Resolves what a workload names to the content id it runs: the digest it names
 * (`name@sha256:<hex>`, or a bare `sha256:<hex>`), else the image pushed into its
 * namespace under that reference (the latest push where two claim it, by the stamps
 * that order every write, so the same on every node), else undefined: the node's
 * engine or a registry decides. Reads the Image records once, for many lookups.
 */
export function imageResolver(document: ClusterDocument): (namespace: string, image: string) => string | undefined {
  const pushed = new Map<string, { id: string; stamp: Stamp | undefined }>();
  for (const key of document.keys(IMAGE_KIND)) {
    const record = imageRecordOf(key, document.get(key));
    if (record === undefined) continue;
    const stamp = document.fieldStamp(key, 'references');
    for (const reference of record.references) {
      const name = `${record.namespace}/${reference}`;
      const found = pushed.get(name);
      if (found === undefined || (stamp !== undefined && (found.stamp === undefined || compareStamp(stamp, found.stamp) > 0))) pushed.set(name, { id: record.id, stamp });
    }
  }
  return (namespace, image) => {
    const at = image.lastIndexOf('@');
    const digest = at >= 0 ? image.slice(at + 1) : image;
    return IMAGE_ID.test(digest) ? digest : pushed.get(`${namespace}/${image}`)?.id;
  };
}

/** One lookup of `imageResolver`. */
export const imageIdFor = (document: ClusterDocument, namespace: string, image: string): string | undefined => imageResolver(document)(namespace, image);

const WORKLOAD_KINDS = ['Workload', 'Job', 'CronJob'];

/**
 * The content ids the cluster refers to: every pushed image, and what each workload's
 * image resolves to. Nodes tell the cluster which of these they hold (holders.ts), not
 * every image their engine happens to have.
 */
export function referencedImageIds(document: ClusterDocument): Set<string> {
  const ids = new Set(imageRecords(document).map((r) => r.id));
  const resolve = imageResolver(document);
  for (const kind of WORKLOAD_KINDS) {
    for (const key of document.keys(kind)) {
      const image = document.get(key)?.['spec.image'];
      const id = typeof image === 'string' ? resolve(key.split('/')[1] ?? '', image) : undefined;
      if (id !== undefined) ids.add(id);
    }
  }
  return ids;
}
