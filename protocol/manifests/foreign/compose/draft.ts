import type { SourcePath } from '../translation.js';

/** A manifest's spec as it is built, with where each field came from. */
export class SpecDraft {
  readonly spec: Record<string, unknown> = {};
  readonly fieldOrigins: Record<string, SourcePath> = {};

  set(field: string, value: unknown, source: SourcePath): void {
    this.spec[field] = value;
    this.fieldOrigins[`spec.${field}`] = source;
  }

  /** Where a field below a spec field came from (`readinessProbe.periodSeconds`). */
  from(field: string, source: SourcePath): void {
    this.fieldOrigins[`spec.${field}`] = source;
  }

  has(field: string): boolean {
    return Object.hasOwn(this.spec, field);
  }
}
