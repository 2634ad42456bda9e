import type { SourcePath, TranslatedObject } from './translation.js';

/** Builds a Shoal manifest field by field, remembering where each field came from. */
export class ManifestBuilder {
  private readonly manifest: Record<string, unknown>;
  private readonly fieldOrigins: Record<string, SourcePath> = {};

  constructor(
    kind: string,
    metadata: { name: string; namespace: string; labels?: Record<string, string> | undefined },
    private readonly origin: SourcePath,
    metadataOrigin: SourcePath = [...origin, 'metadata'],
  ) {
    this.manifest = { apiVersion: 'shoal/v1', kind, metadata: { ...metadata } };
    this.fieldOrigins.metadata = metadataOrigin;
    this.fieldOrigins['metadata.name'] = [...metadataOrigin, 'name'];
    if (metadata.labels !== undefined) this.fieldOrigins['metadata.labels'] = [...metadataOrigin, 'labels'];
  }

  /** Sets `spec.image` (and so on) to `value`, from `from`. */
  set(field: string, value: unknown, from: SourcePath): this {
    const parts = field.split('.');
    let target = this.manifest;
    for (const part of parts.slice(0, -1)) {
      const next = target[part];
      target = (next !== null && typeof next === 'object' && !Array.isArray(next) ? next : (target[part] = {})) as Record<string, unknown>;
    }
    target[parts[parts.length - 1] as string] = value;
    this.fieldOrigins[field] = from;
    return this;
  }

  /** Adds where a field nested in one already set came from (`spec.ports.1`). */
  cameFrom(field: string, from: SourcePath): this {
    this.fieldOrigins[field] = from;
    return this;
  }

  has(field: string): boolean {
    let target: unknown = this.manifest;
    for (const part of field.split('.')) {
      if (target === null || typeof target !== 'object') return false;
      target = (target as Record<string, unknown>)[part];
    }
    return target !== undefined;
  }

  build(): TranslatedObject {
    return { manifest: this.manifest, origin: this.origin, fieldOrigins: { ...this.fieldOrigins } };
  }
}
