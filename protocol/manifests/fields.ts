import type { Json } from '../../crdt/json.js';

/**
 * A manifest as document fields: one last-writer-wins register per top-level spec field,
 * so `scale` on one node and an image change on another both survive.
 */
export function manifestFields(manifest: { apiVersion: string; metadata: { labels?: Record<string, string> | undefined }; spec: object }): Record<string, Json> {
  const fields: Record<string, Json> = { apiVersion: manifest.apiVersion };
  if (manifest.metadata.labels !== undefined) fields['metadata.labels'] = manifest.metadata.labels;
  for (const [field, value] of Object.entries(manifest.spec)) if (value !== undefined) fields[`spec.${field}`] = value as Json;
  return fields;
}
