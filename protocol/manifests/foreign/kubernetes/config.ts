import { checkFields, type Mapping } from '../field-rules.js';
import { ManifestBuilder } from '../manifest-builder.js';
import type { SourcePath, TranslatedObject } from '../translation.js';
import type { KubeContext } from './context.js';
import type { Metadata } from './metadata.js';
import { stringMap } from './values.js';

const LABELS = 'a Shoal Secret has no labels';

function secretBuilder(ctx: KubeContext, path: SourcePath, metadata: Metadata): ManifestBuilder {
  if (metadata.labels !== undefined) ctx.diagnostics.warning([...path, 'metadata', 'labels'], LABELS);
  return new ManifestBuilder('Secret', { name: metadata.name, namespace: metadata.namespace }, path);
}

/** A Kubernetes Secret is Shoal's: base64 `data` and plain `stringData`, sealed by a node before they are written. */
export function translateSecret(ctx: KubeContext, object: Mapping, path: SourcePath, metadata: Metadata): TranslatedObject {
  const d = ctx.diagnostics;
  checkFields(d, object, path, {
    handled: ['apiVersion', 'kind', 'metadata', 'data', 'stringData', 'type', 'status'],
    dropped: { immutable: 'a Shoal Secret changes when it is applied again' },
  });
  const b = secretBuilder(ctx, path, metadata);
  for (const field of ['data', 'stringData'] as const) {
    const values = stringMap(d, object[field], [...path, field]);
    if (values !== undefined) b.set(field, values, [...path, field]);
  }
  return b.build();
}

/**
 * A ConfigMap becomes a Shoal Secret of the same name: mounted as files or read into
 * variables as a Secret is. Sealing plain settings costs little, and one kind of
 * object serves both.
 */
export function translateConfigMap(ctx: KubeContext, object: Mapping, path: SourcePath, metadata: Metadata): TranslatedObject {
  const d = ctx.diagnostics;
  checkFields(d, object, path, {
    handled: ['apiVersion', 'kind', 'metadata', 'data', 'binaryData'],
    dropped: { immutable: 'a Shoal Secret changes when it is applied again' },
  });
  const b = secretBuilder(ctx, path, metadata);
  const data = stringMap(d, object.data, [...path, 'data']);
  if (data !== undefined) b.set('stringData', data, [...path, 'data']);
  const binary = stringMap(d, object.binaryData, [...path, 'binaryData']);
  if (binary !== undefined) b.set('data', binary, [...path, 'binaryData']);
  return b.build();
}
