import { stringify } from 'yaml';
import { loadSpecSource } from '../spec-source.js';

/**
 * `shoal convert -f FILE`: the `shoal/v1` objects a Kubernetes or Compose file becomes,
 * as YAML a user can keep; applying them writes what applying the original writes.
 */
export function convert(opts: { file: string; strict: boolean }): void {
  const { documents } = loadSpecSource(opts.file, opts.strict);
  process.stdout.write(documents.map((d) => stringify(d, { lineWidth: 0 })).join('---\n'));
}
