import type { ClusterDocument } from '../../crdt/index.js';
import type { DesiredReplica } from '../../protocol/agent/replica.js';
import type { SecretRefs } from '../../protocol/manifests/container.js';
import { secretField, secretKey } from '../../protocol/manifests/secret.js';
import type { SecretBox } from '../secret-box.js';

/**
 * Puts the values of the Secrets a replica names into its env and files, opened here,
 * at the last moment. A missing secret or key leaves the replica unstartable with a
 * message that names it (never a value); its start then fails and backs off as any other.
 */
export function withSecrets(replica: DesiredReplica, refs: SecretRefs, document: ClusterDocument, box: SecretBox): DesiredReplica {
  if (refs.env.length === 0 && refs.mounts.length === 0) return replica;
  const namespace = replica.workload.split('/')[1] ?? 'default';
  const problems: string[] = [];
  const open = (secret: string, key: string): Buffer | undefined => {
    const object = secretKey(namespace, secret);
    const sealed = document.get(object)?.[secretField(key)];
    if (typeof sealed !== 'string') {
      problems.push(`secret ${secret} has no key ${key}`);
      return undefined;
    }
    try {
      return box.open(object, secretField(key), sealed);
    } catch {
      problems.push(`secret ${secret} key ${key} does not open with this cluster's key`);
      return undefined;
    }
  };
  const env = { ...replica.spec.env };
  for (const ref of refs.env) {
    const value = open(ref.secret, ref.key);
    if (value !== undefined) env[ref.name] = value.toString('utf8');
  }
  const files: NonNullable<DesiredReplica['spec']['files']> = [];
  for (const mount of refs.mounts) {
    const fields = document.get(secretKey(namespace, mount.secret));
    if (fields === undefined) problems.push(`secret ${mount.secret} does not exist`);
    for (const field of Object.keys(fields ?? {}).filter((f) => f.startsWith('data.'))) {
      const key = field.slice('data.'.length);
      const value = open(mount.secret, key);
      if (value !== undefined) files.push({ path: `${mount.mountPath.replace(/\/$/, '')}/${key}`, content: value.toString('base64'), mode: 0o400 });
    }
  }
  const spec = { ...replica.spec, env, files, secretEnv: refs.env.map((r) => r.name), ...(problems.length > 0 ? { unresolved: problems.join('; ') } : {}) };
  return { ...replica, spec };
}
