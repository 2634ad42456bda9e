import { err, ok, type Result } from '../../base/result.js';
import { IMAGE_ID } from '../images/image-record.js';

/**
 * An artifact is a tar of files (`shoal artifact push DIR`) whose sha256 is its id, the
 * same form as an image's: `sha256:<64 hex>`. The process runtime runs a replica's
 * command in a copy of it. These are the rules an archive must meet before any of it is
 * written to disk, the same for the CLI that packs one and the node that unpacks one.
 */
export const ARTIFACT_ID = IMAGE_ID;

/** Entries of one artifact at most: a source tree with its dependencies is tens of thousands. */
export const MAX_ARTIFACT_ENTRIES = 100_000;
/** Bytes of its files at most, unpacked: a larger bundle belongs in an image. */
export const MAX_ARTIFACT_BYTES = 4 * 2 ** 30;
/** An entry's path (or a link's target) at most, in characters: Linux's PATH_MAX. */
export const MAX_ARTIFACT_PATH_CHARS = 4096;
/** Links followed to resolve one link's target, as Linux's ELOOP bound. */
const MAX_LINK_HOPS = 40;

export type ArtifactEntryType = 'file' | 'directory' | 'symlink';

/** A tar header as tar-stream reads it, the fields these rules look at. */
export interface TarHeader {
  name: string;
  type?: string | null | undefined;
  size?: number | undefined;
  mode?: number | undefined;
  linkname?: string | null | undefined;
}

/** An entry as it is to be written: its path inside the artifact (no `./`, no trailing `/`) and normalised mode. */
export interface ArtifactEntry {
  path: string;
  type: ArtifactEntryType;
  sizeBytes: number;
  mode: number;
  /** A symbolic link's target, relative, as written. */
  target?: string;
}

/**
 * Modes kept are the executable bit and nothing else: 0755 or 0644 for a file, 0755 for a
 * directory. No setuid, no world-writable file, and the same id whatever the packer's umask.
 */
export const artifactMode = (type: ArtifactEntryType, mode: number): number => (type === 'directory' || (mode & 0o111) !== 0 ? 0o755 : 0o644);

/**
 * An entry's name as a path inside the artifact: `./a//b/` is `a/b`; the root itself is ''.
 * Refused: an absolute path, a `..` anywhere, a NUL, an overlong one.
 */
export function entryPath(name: string): Result<string, string> {
  if (name.length > MAX_ARTIFACT_PATH_CHARS) return err(`an entry's path is longer than ${MAX_ARTIFACT_PATH_CHARS} characters`);
  if (name.includes('\0')) return err(`entry ${JSON.stringify(name)} has a NUL in its path`);
  if (name.startsWith('/')) return err(`entry ${name} is an absolute path`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return err(`entry ${name} climbs out with ..`);
  return ok(parts.join('/'));
}

/**
 * Where a symbolic link at `path` leads, resolved as the kernel would with the archive's
 * own links (`links`, path to target), or undefined where it leads outside the artifact
 * (or loops). Lexical resolution is not enough: with `b -> .`, `a -> b/..` reads as the
 * root but is its parent.
 */
export function resolveLink(path: string, links: ReadonlyMap<string, string>): string | undefined {
  const target = links.get(path);
  if (target === undefined) return undefined;
  const budget = { hops: MAX_LINK_HOPS };
  const resolved = follow(path.split('/').slice(0, -1), target, links, budget);
  return resolved?.join('/');
}

function follow(from: readonly string[], target: string, links: ReadonlyMap<string, string>, budget: { hops: number }): string[] | undefined {
  if (target.startsWith('/') || target === '') return undefined;
  let at = [...from];
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (at.length === 0) return undefined;
      at.pop();
      continue;
    }
    at.push(part);
    const next = links.get(at.join('/'));
    if (next === undefined) continue;
    if (--budget.hops < 0) return undefined;
    at.pop();
    const resolved = follow(at, next, links, budget);
    if (resolved === undefined) return undefined;
    at = resolved;
  }
  return at;
}

/**
 * The entries of one archive, admitted one at a time as they are read, so that nothing
 * unsafe reaches the disk: only files, directories and symbolic links; paths inside;
 * no entry twice, none beneath a file or a link (writing through a link is how an archive
 * escapes); within the bounds. Links are checked once all are known (`finish`), since a
 * link may lead through one that comes later; the caller creates them only then.
 */
export class ArtifactEntries {
  private entries = 0;
  private bytes = 0;
  private readonly types = new Map<string, ArtifactEntryType>();
  /** Every directory some entry lies beneath. */
  private readonly parents = new Set<string>();
  private readonly links = new Map<string, string>();

  get count(): number {
    return this.entries;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** The entry to write, undefined for the archive's root (`./`), or why the archive is refused. */
  admit(header: TarHeader): Result<ArtifactEntry | undefined, string> {
    if (++this.entries > MAX_ARTIFACT_ENTRIES) return err(`more than ${MAX_ARTIFACT_ENTRIES} entries`);
    const type = entryType(header.type);
    const named = entryPath(header.name);
    if (!named.ok) return named;
    const path = named.value;
    if (type === undefined) return err(`entry ${path} is a ${header.type ?? 'file of a type tar does not know'}: an artifact holds files, directories and symbolic links only`);
    if (path === '') return type === 'directory' ? ok(undefined) : err('an entry other than a directory names the root');
    if (this.types.has(path)) return err(`entry ${path} appears twice`);
    if (type !== 'directory' && this.parents.has(path)) return err(`entry ${path} is a ${type}, and other entries lie beneath it`);
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const above = this.types.get(parent);
      if (above !== undefined && above !== 'directory') return err(`entry ${path} lies beneath the ${above} ${parent}`);
    }
    const sizeBytes = type === 'file' ? (header.size ?? 0) : 0;
    if (!(Number.isSafeInteger(sizeBytes) && sizeBytes >= 0)) return err(`entry ${path} has no valid size`);
    this.bytes += sizeBytes;
    if (this.bytes > MAX_ARTIFACT_BYTES) return err(`its files hold more than ${MAX_ARTIFACT_BYTES / 2 ** 30} GiB`);
    let target: string | undefined;
    if (type === 'symlink') {
      target = header.linkname ?? '';
      if (target === '' || target.length > MAX_ARTIFACT_PATH_CHARS || target.includes('\0')) return err(`symbolic link ${path} has no valid target`);
      if (target.startsWith('/')) return err(`symbolic link ${path} points to ${target}, an absolute path: outside the artifact`);
      this.links.set(path, target);
    }
    this.types.set(path, type);
    for (let i = 1; i < parts.length; i++) this.parents.add(parts.slice(0, i).join('/'));
    return ok({ path, type, sizeBytes, mode: artifactMode(type, header.mode ?? 0o644), ...(target === undefined ? {} : { target }) });
  }

  /** Once every entry is in: the links to create (path, target), or the first that leads outside. */
  finish(): Result<ReadonlyMap<string, string>, string> {
    for (const [path, target] of this.links) {
      if (resolveLink(path, this.links) === undefined) return err(`symbolic link ${path} -> ${target} leads outside the artifact`);
    }
    return ok(this.links);
  }
}

function entryType(type: string | null | undefined): ArtifactEntryType | undefined {
  // No type (null) is a type flag tar-stream does not know, as GNU's sparse files: refused, not read as a file.
  if (type === 'file' || type === 'contiguous-file') return 'file';
  if (type === 'directory' || type === 'symlink') return type;
  return undefined;
}
