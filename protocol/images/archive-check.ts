import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { parseJsonBytes } from '../../base/json-bytes.js';
import { MAX_NESTING_DEPTH } from '../../base/limits.js';
import { err, ok, type Result } from '../../base/result.js';
import { IMAGE_ID } from './image-record.js';

/**
 * An image archive as `docker save` writes it, checked by content before `docker load`
 * sees any of it: its one manifest entry names a config whose sha256 is the image id,
 * and layers whose sha256s are the config's `rootfs.diff_ids`, in order. Paths are only
 * looked up, never trusted to mean anything, so both layouts pass: the legacy one
 * (`<hex>.json`, `<hex>/layer.tar`) and Docker 25's OCI one (`blobs/sha256/<hex>`).
 * What `docker load` then gets is rebuilt from the verdict: a manifest written here
 * (loadManifest), without the sender's tags, and only the files checked.
 */

/** manifest.json: a few hundred bytes for one image, under a hundred kilobytes with 256 layers. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** An image config: a few kilobytes, history included. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** overlay2 stacks at most 128 layers; twice that leaves room for other drivers. */
export const MAX_LAYERS = 256;
/**
 * Regular files in the archive. The legacy layout has three a layer (layer.tar, json,
 * VERSION) and three more, so 771 at MAX_LAYERS; the OCI layout a blob a layer and a
 * few more. Every one costs the reader a path and a digest in memory until the end.
 */
export const MAX_ARCHIVE_FILES = 4096;
/** A path in the archive: `blobs/sha256/<hex>` is 77 characters. */
export const MAX_PATH_CHARS = 1024;
/**
 * All the archive's files together. As much as node/content/transfer.ts takes from a
 * peer (16 GiB): an image larger than that is not one a fleet moves peer to peer. It
 * also keeps every sum a safe integer, whatever sizes a reader reports.
 */
export const MAX_ARCHIVE_BYTES = 16 * 2 ** 30;
/**
 * Bytes of small JSON files a reader keeps while it streams an archive whose id it does
 * not know yet, one of which is the config: manifest.json comes last in `docker save`'s
 * output, so which one is not known until the end. The legacy layout's per-layer `json`
 * files are a few kilobytes each: about 1 MiB at MAX_LAYERS.
 */
export const MAX_KEPT_BYTES = 8 * MAX_CONFIG_BYTES;

/** A regular file of the archive, as its reader saw it. */
export interface ArchiveFile {
  path: string;
  /** Lowercase hex, 64 digits. */
  sha256: string;
  sizeBytes: number;
}

export interface ArchiveContents {
  /** manifest.json's bytes, undefined where the archive has none. */
  manifest: Uint8Array | undefined;
  /** Every regular file of the archive, manifest.json included, as the tar lists them. */
  files: readonly ArchiveFile[];
  /** Bytes of small files the reader kept, by their sha256 (hex): the config, if it is one of them. */
  kept: ReadonlyMap<string, Uint8Array>;
}

export interface ArchiveVerdict {
  /** `sha256:<hex>`, the config's digest. */
  id: string;
  configPath: string;
  /** In the config's order; one path twice where two layers are the same bytes (the OCI layout stores a blob once). */
  layerPaths: readonly string[];
  /** The layers' ids (`sha256:<hex>`, the config's diff_ids), path for path: a second read of the archive is checked against them. */
  layerIds: readonly string[];
  /** The config and each distinct layer: what is forwarded to `docker load`, the manifest aside. */
  totalBytes: number;
}

/**
 * `too-large`: an input past its bound. `manifest`: manifest.json missing or not one
 * image's entry. `path`: a path the manifest names is unsafe or in the archive twice.
 * `missing`: a file the manifest names is not in the archive. `config`: the config is
 * not the expected one or not an image config. `layer`: the layers are not the config's.
 * `invalid`: the reader's own records are malformed (never the sender's doing).
 */
export type ArchiveErrorCode = 'too-large' | 'manifest' | 'path' | 'missing' | 'config' | 'layer' | 'invalid';

export interface ArchiveError {
  code: ArchiveErrorCode;
  detail: string;
}

const HEX_64 = /^[0-9a-f]{64}$/;
const MANIFEST = 'manifest.json';

const manifestEntry = z.object({
  Config: z.string(),
  RepoTags: z.array(z.string()).nullable().optional(),
  Layers: z.array(z.string()).max(MAX_LAYERS),
});
const imageConfig = z.object({
  rootfs: z.object({ type: z.literal('layers'), diff_ids: z.array(z.string().regex(IMAGE_ID)).max(MAX_LAYERS) }),
});

const firstIssue = (error: z.ZodError): string => {
  const issue = error.issues[0];
  return `${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`;
};

/** Why `path` may not be handed to `docker load`, or undefined: a relative path of plain components, not our manifest's. */
export function unsafePath(path: string): string | undefined {
  if (path === '') return 'an empty path';
  if (path.length > MAX_PATH_CHARS) return `a path of ${path.length} characters (at most ${MAX_PATH_CHARS})`;
  if (path.startsWith('/')) return `${path} is absolute`;
  if (path.includes('\u0000')) return `${JSON.stringify(path)} holds a NUL`;
  if (path === MANIFEST) return `${MANIFEST} names itself`;
  for (const component of path.split('/')) {
    if (component === '') return `${path} has an empty component`;
    if (component === '.' || component === '..') return `${path} has a ${component} component`;
  }
  return undefined;
}

/** The reader's records within their bounds: how many, how long, how large, and well formed. */
function checkFiles(files: readonly ArchiveFile[]): ArchiveError | undefined {
  if (files.length > MAX_ARCHIVE_FILES) return { code: 'too-large', detail: `${files.length} files in the archive; at most ${MAX_ARCHIVE_FILES}` };
  let total = 0;
  for (const file of files) {
    if (file.path.length > MAX_PATH_CHARS) return { code: 'too-large', detail: `a path of ${file.path.length} characters; at most ${MAX_PATH_CHARS}` };
    if (!HEX_64.test(file.sha256)) return { code: 'invalid', detail: `${file.path}: digest ${JSON.stringify(file.sha256)} is not 64 lowercase hex digits` };
    if (!Number.isSafeInteger(file.sizeBytes) || file.sizeBytes < 0) return { code: 'invalid', detail: `${file.path}: size ${file.sizeBytes} is not a byte count` };
    total += file.sizeBytes;
    if (total > MAX_ARCHIVE_BYTES) return { code: 'too-large', detail: `the archive holds more than ${MAX_ARCHIVE_BYTES} bytes` };
  }
  return undefined;
}

/** The one file at `path`, or why not: absent, in the archive twice, or a path not to forward. */
function fileAt(byPath: ReadonlyMap<string, ArchiveFile[]>, path: string, what: string): Result<ArchiveFile, ArchiveError> {
  const unsafe = unsafePath(path);
  if (unsafe !== undefined) return err({ code: 'path', detail: `${what}: ${unsafe}` });
  const found = byPath.get(path) ?? [];
  if (found.length === 0) return err({ code: 'missing', detail: `${what} ${path} is not in the archive` });
  if (found.length > 1) return err({ code: 'path', detail: `${what} ${path} is in the archive ${found.length} times` });
  return ok(found[0] as ArchiveFile);
}

function readManifest(bytes: Uint8Array | undefined, count: number): Result<z.output<typeof manifestEntry>, ArchiveError> {
  if (bytes === undefined) return err({ code: 'manifest', detail: `no ${MANIFEST} in the archive` });
  if (count > 1) return err({ code: 'path', detail: `${MANIFEST} is in the archive ${count} times` });
  if (bytes.length > MAX_MANIFEST_BYTES) return err({ code: 'too-large', detail: `${MANIFEST} is ${bytes.length} bytes; at most ${MAX_MANIFEST_BYTES}` });
  const parsed = parseJsonBytes(bytes, { maxBytes: MAX_MANIFEST_BYTES, maxDepth: MAX_NESTING_DEPTH });
  if (!parsed.ok) return err({ code: 'manifest', detail: `${MANIFEST} is not JSON (${parsed.error.code}: ${parsed.error.detail})` });
  const entries = parsed.value;
  if (!Array.isArray(entries)) return err({ code: 'manifest', detail: `${MANIFEST} is not a list of images` });
  if (entries.length !== 1) return err({ code: 'manifest', detail: `${MANIFEST} lists ${entries.length} images; exactly one expected` });
  const entry = manifestEntry.safeParse(entries[0]);
  return entry.success ? ok(entry.data) : err({ code: 'manifest', detail: `${MANIFEST}: ${firstIssue(entry.error)}` });
}

/**
 * An image config's layers (`rootfs.diff_ids`, bottom first), read from its bytes; the
 * caller has checked the bytes hash to the image id. `where` names the file in errors.
 */
export function configDiffIds(bytes: Uint8Array, where: string): Result<readonly string[], ArchiveError> {
  if (bytes.length > MAX_CONFIG_BYTES) return err({ code: 'too-large', detail: `the config ${where} is ${bytes.length} bytes; at most ${MAX_CONFIG_BYTES}` });
  const parsed = parseJsonBytes(bytes, { maxBytes: MAX_CONFIG_BYTES, maxDepth: MAX_NESTING_DEPTH });
  if (!parsed.ok) return err({ code: 'config', detail: `the config ${where} is not JSON (${parsed.error.code}: ${parsed.error.detail})` });
  const config = imageConfig.safeParse(parsed.value);
  return config.success ? ok(config.data.rootfs.diff_ids) : err({ code: 'config', detail: `the config ${where} is not an image config: ${firstIssue(config.error)}` });
}

/** The config's diff_ids, read from its bytes, which must be the file the manifest names (and, given one, the expected id). */
function readConfig(file: ArchiveFile, kept: ReadonlyMap<string, Uint8Array>, expectedId: string | undefined): Result<readonly string[], ArchiveError> {
  const id = `sha256:${file.sha256}`;
  if (expectedId !== undefined && id !== expectedId) return err({ code: 'config', detail: `the config ${file.path} is ${id}, not the expected ${expectedId}` });
  if (file.sizeBytes > MAX_CONFIG_BYTES) return err({ code: 'too-large', detail: `the config ${file.path} is ${file.sizeBytes} bytes; at most ${MAX_CONFIG_BYTES}` });
  const bytes = kept.get(file.sha256);
  if (bytes === undefined) return err({ code: 'missing', detail: `the config ${file.path}: its bytes were not kept while reading` });
  // The reader's digest is not taken on trust for the one file whose bytes are at hand.
  if (bytes.length !== file.sizeBytes || bytesToHex(sha256(bytes)) !== file.sha256) return err({ code: 'config', detail: `the config bytes kept are not ${file.path}'s` });
  return configDiffIds(bytes, file.path);
}

/**
 * The archive's verdict: its id, config and layers where every check passes, else the
 * first that failed. `expectedId` is the id asked for (undefined where an operator
 * uploads a file and the id is learnt from it). Files the manifest does not name are
 * never looked at, whatever their paths: they are not forwarded.
 */
export function checkArchive(contents: ArchiveContents, expectedId: string | undefined): Result<ArchiveVerdict, ArchiveError> {
  const wrongFiles = checkFiles(contents.files);
  if (wrongFiles !== undefined) return err(wrongFiles);
  const byPath = new Map<string, ArchiveFile[]>();
  for (const file of contents.files) {
    const same = byPath.get(file.path);
    if (same === undefined) byPath.set(file.path, [file]);
    else same.push(file);
  }
  const manifest = readManifest(contents.manifest, byPath.get(MANIFEST)?.length ?? 0);
  if (!manifest.ok) return manifest;
  const { Config: configPath, Layers: layerPaths } = manifest.value;
  const configFile = fileAt(byPath, configPath, 'the config');
  if (!configFile.ok) return configFile;
  const diffIds = readConfig(configFile.value, contents.kept, expectedId);
  if (!diffIds.ok) return diffIds;
  if (layerPaths.length !== diffIds.value.length) {
    return err({ code: 'layer', detail: `${MANIFEST} lists ${layerPaths.length} layers; the config's rootfs has ${diffIds.value.length}` });
  }
  let totalBytes = configFile.value.sizeBytes;
  const counted = new Set<string>([configPath]);
  for (const [i, path] of layerPaths.entries()) {
    const layer = fileAt(byPath, path, `layer ${i}`);
    if (!layer.ok) return layer;
    const expected = diffIds.value[i] as string;
    if (`sha256:${layer.value.sha256}` !== expected)
      return err({ code: 'layer', detail: `layer ${i} (${path}) is sha256:${layer.value.sha256}; the config's diff_ids[${i}] is ${expected}` });
    if (!counted.has(path)) totalBytes += layer.value.sizeBytes;
    counted.add(path);
  }
  return ok({ id: `sha256:${configFile.value.sha256}`, configPath, layerPaths, layerIds: diffIds.value, totalBytes });
}

/** The files to forward to `docker load`, each once, with the id each must hash to: the config, then the layers in order. */
export function forwardedFiles(verdict: ArchiveVerdict): Map<string, string> {
  const files = new Map([[verdict.configPath, verdict.id]]);
  for (const [i, path] of verdict.layerPaths.entries()) files.set(path, verdict.layerIds[i] as string);
  return files;
}

/**
 * manifest.json as `docker load` gets it: the one image, with the config and layers
 * checked and no tags. The sender's tags would retag whatever image this node holds
 * under those names; the node tags the loaded image afterwards, from the operator's
 * Image record.
 */
export const loadManifest = (verdict: ArchiveVerdict): Uint8Array =>
  new TextEncoder().encode(JSON.stringify([{ Config: verdict.configPath, RepoTags: [], Layers: [...verdict.layerPaths] }]));
