import { type FileHandle, open } from 'node:fs/promises';
import { parseJsonBytes } from '../../base/json-bytes.js';
import { MAX_NESTING_DEPTH } from '../../base/limits.js';
import { configDiffIds, MAX_ARCHIVE_FILES, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES } from '../../protocol/images/archive-check.js';
import type { ServedFile } from '../content/content-store.js';

const BLOCK = 512;
const MANIFEST = 'manifest.json';

/** Where a file's bytes lie in a tar. */
interface Range {
  offsetBytes: number;
  sizeBytes: number;
}

/** The pieces of an image inside its spooled `docker save`: its config and each layer, by id. */
export interface SpoolIndex {
  config: ServedFile;
  layers: ReadonlyMap<string, ServedFile>;
}

const text = (block: Buffer, from: number, length: number): string => {
  const field = block.subarray(from, from + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
};

/** A header's size field: octal digits, or base-256 (the high bit set) for sizes past 8 GiB. */
function sizeField(block: Buffer): number {
  const field = block.subarray(124, 136);
  if ((field[0] as number) & 0x80) {
    let size = (field[0] as number) & 0x7f;
    for (let i = 1; i < field.length; i++) size = size * 256 + (field[i] as number);
    return size;
  }
  const digits = text(block, 124, 12).trim();
  return digits === '' ? 0 : Number.parseInt(digits, 8);
}

/** A pax extended header's `path` record, where it has one (`<length> path=<value>\n`). */
function paxPath(data: Buffer): string | undefined {
  for (let at = 0; at < data.length; ) {
    const space = data.indexOf(0x20, at);
    if (space < 0) return undefined;
    const length = Number.parseInt(data.subarray(at, space).toString('ascii'), 10);
    if (!Number.isSafeInteger(length) || length <= 0) return undefined;
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    if (record.startsWith('path=')) return record.slice('path='.length);
    at += length;
  }
  return undefined;
}

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  if (bytesRead !== length) throw new Error(`the archive ends at ${position + bytesRead} bytes, inside a header or file`);
  return buffer;
}

/**
 * The regular files of the tar at `path`, by name, from their headers alone (no file's
 * bytes are read but pax and GNU long names): serving one layer of a spooled archive
 * needs where it lies, not a pass over the whole.
 */
export async function indexTar(path: string): Promise<Map<string, Range>> {
  const file = await open(path, 'r');
  try {
    const { size: total } = await file.stat();
    const files = new Map<string, Range>();
    let longName: string | undefined;
    for (let at = 0; at + BLOCK <= total; ) {
      const header = await readAt(file, at, BLOCK);
      if (header.every((b) => b === 0)) break;
      const size = sizeField(header);
      const type = String.fromCharCode(header[156] as number);
      const dataAt = at + BLOCK;
      if (!Number.isSafeInteger(size) || dataAt + size > total) throw new Error(`a header at ${at} declares ${size} bytes past the archive's end`);
      const ustarPrefix = text(header, 257, 5) === 'ustar' ? text(header, 345, 155) : '';
      const name = longName ?? (ustarPrefix === '' ? text(header, 0, 100) : `${ustarPrefix}/${text(header, 0, 100)}`);
      longName = undefined;
      if (type === 'x' || type === 'L') {
        if (size > MAX_MANIFEST_BYTES) throw new Error(`an extended header of ${size} bytes at ${at}`);
        const data = await readAt(file, dataAt, size);
        longName = type === 'L' ? text(data, 0, data.length) : paxPath(data);
      } else if (type === '0' || type === '\0' || type === '7') {
        if (files.size === MAX_ARCHIVE_FILES) throw new Error(`more than ${MAX_ARCHIVE_FILES} files`);
        files.set(name, { offsetBytes: dataAt, sizeBytes: size });
      }
      at = dataAt + Math.ceil(size / BLOCK) * BLOCK;
    }
    return files;
  } finally {
    await file.close();
  }
}

async function readRange(path: string, range: Range, max: number, what: string): Promise<Buffer> {
  if (range.sizeBytes > max) throw new Error(`${what} is ${range.sizeBytes} bytes; at most ${max}`);
  const file = await open(path, 'r');
  try {
    return await readAt(file, range.offsetBytes, range.sizeBytes);
  } finally {
    await file.close();
  }
}

/**
 * Where the config and layers of the image in the `docker save` archive at `path` lie,
 * as manifest.json and the config say. This node's own engine wrote the archive; a
 * receiver checks every piece against its id all the same.
 */
export async function indexImageArchive(path: string): Promise<SpoolIndex> {
  const files = await indexTar(path);
  const manifestRange = files.get(MANIFEST);
  if (manifestRange === undefined) throw new Error(`no ${MANIFEST} in ${path}`);
  const manifest = parseJsonBytes(await readRange(path, manifestRange, MAX_MANIFEST_BYTES, MANIFEST), { maxBytes: MAX_MANIFEST_BYTES, maxDepth: MAX_NESTING_DEPTH });
  const entry = manifest.ok && Array.isArray(manifest.value) ? (manifest.value[0] as { Config?: unknown; Layers?: unknown } | undefined) : undefined;
  const configPath = entry?.Config;
  const layerPaths = entry?.Layers;
  if (typeof configPath !== 'string' || !Array.isArray(layerPaths)) throw new Error(`${MANIFEST} in ${path} names no config and layers`);
  const configRange = files.get(configPath);
  if (configRange === undefined) throw new Error(`the config ${configPath} is not in ${path}`);
  const diffIds = configDiffIds(await readRange(path, configRange, MAX_CONFIG_BYTES, configPath), configPath);
  if (!diffIds.ok) throw new Error(diffIds.error.detail);
  if (diffIds.value.length !== layerPaths.length) throw new Error(`${MANIFEST} lists ${layerPaths.length} layers; the config has ${diffIds.value.length}`);
  const layers = new Map<string, ServedFile>();
  for (const [i, layerPath] of layerPaths.entries()) {
    const range = typeof layerPath === 'string' ? files.get(layerPath) : undefined;
    if (range === undefined) throw new Error(`layer ${i} (${String(layerPath)}) is not in ${path}`);
    layers.set(diffIds.value[i] as string, { path, ...range });
  }
  return { config: { path, ...configRange }, layers };
}
