/**
 * What translating a foreign manifest (Kubernetes, Compose) yields: Shoal manifests, each
 * with where it came from, and what the translator kept, dropped and refused. Pure: the
 * CLI reads files and turns paths into lines.
 */

/** A path into the source document: keys and list indexes, as `yaml`'s getIn takes them. */
export type SourcePath = readonly (string | number)[];

export interface Diagnostic {
  /** `error`: Shoal cannot honour the field, nothing is written. `warning`: dropped on purpose (`--strict` refuses these too). */
  severity: 'error' | 'warning';
  path: SourcePath;
  message: string;
}

export interface TranslatedObject {
  /** A `shoal/v1` manifest, validated by its schema afterwards like a hand-written one. */
  manifest: Record<string, unknown>;
  /** The source object it came from. */
  origin: SourcePath;
  /**
   * Where a field of the manifest came from, by its dotted path (`spec.image`,
   * `spec.ports.0`): a schema problem is reported at the longest path listed here that
   * starts the problem's path, else at `origin`.
   */
  fieldOrigins: Record<string, SourcePath>;
}

export interface Translation {
  objects: TranslatedObject[];
  diagnostics: Diagnostic[];
}

export class Diagnostics {
  readonly list: Diagnostic[] = [];

  error(path: SourcePath, message: string): void {
    this.list.push({ severity: 'error', path, message });
  }

  warning(path: SourcePath, message: string): void {
    this.list.push({ severity: 'warning', path, message });
  }
}

/** The source path a schema problem at `problemPath` (zod's issue path) belongs to. */
export function sourcePathOf(object: TranslatedObject, problemPath: readonly PropertyKey[]): SourcePath {
  for (let depth = problemPath.length; depth > 0; depth--) {
    const origin = object.fieldOrigins[problemPath.slice(0, depth).map(String).join('.')];
    if (origin !== undefined) return origin;
  }
  return object.origin;
}
