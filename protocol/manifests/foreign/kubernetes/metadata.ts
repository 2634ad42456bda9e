import { checkFields, type Mapping } from '../field-rules.js';
import type { Diagnostics, SourcePath } from '../translation.js';
import { mapping, string, stringMap } from './values.js';

export interface Metadata {
  name: string;
  namespace: string;
  labels: Record<string, string> | undefined;
}

const GENERATED = 'written by Kubernetes, not by its author';

/** An object's name, namespace and labels; what Kubernetes itself writes there is dropped. */
export function readMetadata(d: Diagnostics, object: Mapping, path: SourcePath): Metadata | undefined {
  const at = [...path, 'metadata'];
  const metadata = mapping(d, object.metadata, at);
  if (metadata === undefined) {
    d.error(path, 'an object needs metadata.name');
    return undefined;
  }
  checkFields(d, metadata, at, {
    handled: ['name', 'namespace', 'labels'],
    dropped: {
      annotations: 'Shoal keeps no annotations',
      uid: GENERATED,
      resourceVersion: GENERATED,
      creationTimestamp: (v) => (v === null ? undefined : GENERATED),
      generation: GENERATED,
      managedFields: GENERATED,
      selfLink: GENERATED,
      ownerReferences: 'Shoal objects have no owners',
      finalizers: 'Shoal objects have no finalizers',
    },
    refused: { generateName: 'a Shoal object needs a fixed name: set metadata.name' },
  });
  const name = string(d, metadata.name, [...at, 'name']);
  if (name === undefined) {
    d.error(at, 'an object needs metadata.name');
    return undefined;
  }
  return { name, namespace: string(d, metadata.namespace, [...at, 'namespace']) ?? 'default', labels: stringMap(d, metadata.labels, [...at, 'labels']) };
}

/** `status` is what Kubernetes reports, not what its author asked for. */
export function dropStatus(d: Diagnostics, object: Mapping, path: SourcePath): void {
  const status = object.status;
  if (status !== undefined && status !== null && !(typeof status === 'object' && Object.keys(status).length === 0)) d.warning([...path, 'status'], `${GENERATED}; dropped`);
}
