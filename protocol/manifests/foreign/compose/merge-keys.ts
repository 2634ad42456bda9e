import type { Diagnostics, SourcePath } from '../translation.js';
import { isMapping, type Mapping } from './values.js';

/**
 * YAML's merge key (`<<: *defaults`), which compose files use to share service fields:
 * the `yaml` package applies it only when asked, so a document may still hold it. The
 * mapping's own keys win, then the merged mappings in their order.
 */
export function withMergedKeys(mapping: Mapping, path: SourcePath, diagnostics: Diagnostics): Mapping {
  if (!Object.hasOwn(mapping, '<<')) return mapping;
  const merged = mapping['<<'];
  // Array.from: a sparse list's holes are values that are not mappings, not entries to skip.
  const sources: unknown[] = Array.isArray(merged) ? Array.from(merged) : [merged];
  if (!sources.every(isMapping)) {
    diagnostics.error([...path, '<<'], 'a merge key takes a mapping, or a list of mappings, such as <<: *defaults');
    return Object.fromEntries(Object.entries(mapping).filter(([key]) => key !== '<<'));
  }
  const entries = new Map<string, unknown>();
  for (const source of [...(sources as Mapping[])].reverse()) for (const [key, value] of Object.entries(source)) entries.set(key, value);
  for (const [key, value] of Object.entries(mapping)) if (key !== '<<') entries.set(key, value);
  return Object.fromEntries(entries);
}
