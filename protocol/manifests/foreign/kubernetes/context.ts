import type { Diagnostics, SourcePath } from '../translation.js';
import type { Mapping } from '../field-rules.js';

/** One Kubernetes object of the apply, where it sits in the files. */
export interface KubeObject {
  value: Mapping;
  path: SourcePath;
  kind: string;
  namespace: string;
  name: string;
}

/** What one object's translation may look up in the others of the same apply. */
export interface KubeContext {
  diagnostics: Diagnostics;
  /** The keys of each ConfigMap and Secret in this apply, by `namespace/name`: what `envFrom` expands to. */
  configMapKeys: ReadonlyMap<string, readonly string[]>;
  secretKeys: ReadonlyMap<string, readonly string[]>;
  /** The workloads of this apply: a Service's named `targetPort` resolves against their container ports. */
  workloads: readonly { namespace: string; labels: Readonly<Record<string, string>>; namedPorts: ReadonlyMap<string, number> }[];
}

export const objectRef = (namespace: string, name: string): string => `${namespace}/${name}`;
