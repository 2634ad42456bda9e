import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { configDiffIds, MAX_CONFIG_BYTES } from '../../protocol/images/archive-check.js';
import { IMAGE_ID } from '../../protocol/images/image-record.js';
import { ContentMismatchError, type ContentKind, type ContentReceiver, type ContentStore, type ServedFile } from '../content/content-store.js';
import type { DockerImageStore } from './docker-image-store.js';
import { piecesArchive } from './image-archive.js';
import { indexImageArchive } from './spool-index.js';

/** Layers announced at most: those of the newest images first (each is a DHT record to keep). */
const MAX_ANNOUNCED_LAYERS = 256;

type PieceKind = Extract<ContentKind, 'config' | 'layer'>;

/**
 * An image as its pieces (protocol/images/layer-plan.ts): its config and its layers, each
 * content of its own, named by its sha256 (the image id, a diff_id). Served by range from
 * the image's spooled `docker save`; received into a directory of their own, checked
 * against their ids as the bytes arrive, until the image is loaded from them.
 */
export class ImagePieces {
  readonly configs: ContentStore;
  readonly layers: ContentStore;

  constructor(
    private readonly images: DockerImageStore,
    private readonly dir: string,
  ) {
    this.configs = this.store('config');
    this.layers = this.store('layer');
  }

  /** Empties the directory: pieces of a transfer a restart cut short are fetched again. */
  async start(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { recursive: true });
  }

  /** The layer lists of the images the engine holds: the chains a plan may leave out. */
  async heldLayerLists(): Promise<Iterable<readonly string[]>> {
    return (await this.images.layerLists()).values();
  }

  /** Whether a piece was received here and not yet loaded. */
  private async received(kind: PieceKind, id: string): Promise<boolean> {
    return stat(this.pathOf(kind, id)).then(
      () => true,
      () => false,
    );
  }

  /** The layers of image `id`, from its received config (checked against the id when it arrived). */
  async configLayers(id: string): Promise<readonly string[]> {
    const layers = configDiffIds(await readFile(this.pathOf('config', id)), id);
    if (!layers.ok) throw new ContentMismatchError(layers.error.detail);
    return layers.value;
  }

  /** Loads image `id` from its received config and the layers above the `held` ones. */
  async load(id: string, diffIds: readonly string[], held: number): Promise<void> {
    await this.images.loadArchive(
      id,
      piecesArchive(id, diffIds, held, (pieceId) => this.pathOf(pieceId === id ? 'config' : 'layer', pieceId)),
    );
  }

  /** Drops the received pieces of image `id`: loaded, or given up on. */
  async forget(id: string, diffIds: readonly string[]): Promise<void> {
    await rm(this.pathOf('config', id), { force: true });
    for (const layer of diffIds) await rm(this.pathOf('layer', layer), { force: true });
  }

  private pathOf(kind: PieceKind, id: string): string {
    if (!IMAGE_ID.test(id)) throw new Error(`${JSON.stringify(id)} is not a sha256 id`);
    return join(this.dir, `${kind}-${id.slice('sha256:'.length)}`);
  }

  private store(kind: PieceKind): ContentStore {
    return {
      kind,
      list: async () => (kind === 'layer' ? this.layerIds() : []),
      has: async (id) => (await this.received(kind, id)) || (await this.holderOf(kind, id)) !== undefined,
      serve: (id) => this.serve(kind, id),
      accept: async (id, path) => {
        const receiver = this.receive(kind, id);
        for await (const chunk of createReadStream(path)) await receiver.write([chunk as Buffer]);
        await receiver.accept(path);
      },
      receive: (id) => this.receive(kind, id),
    };
  }

  /** The layers of the images held, newest image first, each once: what this node announces. */
  private async layerIds(): Promise<string[]> {
    const ids = new Set<string>();
    for (const layers of (await this.images.layerLists()).values()) for (const layer of layers) ids.add(layer);
    return [...ids].slice(0, MAX_ANNOUNCED_LAYERS);
  }

  /** An image the engine holds that has the piece: the image itself for its config, one with the layer for a layer. */
  private async holderOf(kind: PieceKind, id: string): Promise<string | undefined> {
    const lists = await this.images.layerLists();
    if (kind === 'config') return lists.has(id) ? id : undefined;
    for (const [image, layers] of lists) if (layers.includes(id)) return image;
    return undefined;
  }

  /**
   * The piece's bytes inside the holding image's spooled archive. Where the archive
   * cannot be read as one (the image removed meanwhile, a spool damaged), the piece is
   * not served: the asker is told it is not here and goes elsewhere or fetches whole.
   */
  private async serve(kind: PieceKind, id: string): Promise<ServedFile | undefined> {
    try {
      const image = await this.holderOf(kind, id);
      const archive = image === undefined ? undefined : await this.images.archive(image);
      if (archive === undefined) return undefined;
      const index = await indexImageArchive(archive.path);
      return kind === 'config' ? index.config : index.layers.get(id);
    } catch {
      return undefined;
    }
  }

  /** Hashes the bytes as they arrive; the part file is moved in only where they are the piece. */
  private receive(kind: PieceKind, id: string): ContentReceiver {
    const hash = createHash('sha256');
    let bytes = 0;
    return {
      write: async (parts) => {
        for (const part of parts) {
          bytes += part.length;
          // A config is a few kilobytes: a provider sending more is not sending one.
          if (kind === 'config' && bytes > MAX_CONFIG_BYTES) throw new ContentMismatchError(`a config of more than ${MAX_CONFIG_BYTES} bytes`);
          hash.update(part);
        }
      },
      accept: async (path) => {
        const actual = `sha256:${hash.digest('hex')}`;
        if (actual !== id) throw new ContentMismatchError(`the ${kind} received is ${actual}`);
        await rename(path, this.pathOf(kind, id));
      },
      discard: () => undefined,
    };
  }
}
