import type Dockerode from 'dockerode';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { IMAGE_ID } from '../../protocol/images/image-record.js';
import type { ArchiveVerdict } from '../../protocol/images/archive-check.js';
import { ContentMismatchError, type ContentReceiver, type ContentStore, type GrowingFile, type ServedFile } from '../content/content-store.js';
import { checkWhileReceiving, inspectArchive, loadableArchive } from './image-archive.js';
import { spoolGrowing } from './spool-file.js';

/** Images announced at most: an engine may hold hundreds nobody in the cluster asks for. */
const MAX_ANNOUNCED = 256;
/** Saved archives kept for serving; the oldest go first. A resume needs the same bytes, so they are kept, not saved again. */
const MAX_SPOOLED = 8;

/**
 * The engine's images as content: listed by id, served as `docker save` archives spooled
 * to disk (the same bytes for every request, so a receiver can resume; the first request
 * is served while the archive is still being written), and taken in
 * only after every byte is checked against the id (node/images/image-archive.ts), with
 * the sender's tags stripped.
 */
export class DockerImageStore implements ContentStore {
  readonly kind = 'image';
  private readonly saving = new Map<string, Promise<GrowingFile>>();
  /** Each image's layers (diff_ids, bottom first), by image id: an image's never change. */
  private readonly layersOf = new Map<string, readonly string[]>();

  constructor(
    private readonly docker: Dockerode,
    private readonly spoolDir: string,
  ) {}

  async list(): Promise<string[]> {
    const images = await this.docker.listImages();
    return images
      .sort((a, b) => b.Created - a.Created)
      .map((i) => i.Id)
      .filter((id) => IMAGE_ID.test(id))
      .slice(0, MAX_ANNOUNCED);
  }

  async has(id: string): Promise<boolean> {
    return (await this.inspect(id)) !== undefined;
  }

  /** The image's id and size where the engine holds `reference` (a tag or an id). */
  async inspect(reference: string): Promise<{ id: string; sizeBytes: number; tags: string[] } | undefined> {
    try {
      const info = await this.docker.getImage(reference).inspect();
      return { id: info.Id, sizeBytes: info.Size, tags: info.RepoTags ?? [] };
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return undefined;
      throw e;
    }
  }

  async serve(id: string): Promise<ServedFile | GrowingFile | undefined> {
    if (!IMAGE_ID.test(id) || !(await this.has(id))) return undefined;
    const saving = this.saving.get(id);
    if (saving !== undefined) return saving;
    const path = join(this.spoolDir, `${id.slice('sha256:'.length)}.tar`);
    const spooled = await stat(path).then(
      (s) => ({ path, sizeBytes: s.size }),
      () => undefined,
    );
    if (spooled !== undefined) return spooled;
    // Checked again: another request may have started the save while this one looked at the spool.
    let started = this.saving.get(id);
    if (started === undefined) {
      started = this.save(id, path);
      this.saving.set(id, started);
      const forget = (): void => {
        this.saving.delete(id);
      };
      started.then((file) => file.finished.then(forget, forget), forget);
    }
    return started;
  }

  /** The layers (diff_ids, bottom first) of each image listed: what the engine holds as chains (protocol/images/layer-plan.ts). */
  async layerLists(): Promise<Map<string, readonly string[]>> {
    const out = new Map<string, readonly string[]>();
    for (const id of await this.list()) {
      let layers = this.layersOf.get(id);
      if (layers === undefined) {
        const info = await this.docker
          .getImage(id)
          .inspect()
          .catch(() => undefined);
        // Removed since it was listed: left out.
        if (info === undefined) continue;
        layers = (info.RootFS?.Layers ?? []).filter((l) => IMAGE_ID.test(l));
        this.layersOf.set(id, layers);
      }
      out.set(id, layers);
    }
    for (const id of this.layersOf.keys()) if (!out.has(id)) this.layersOf.delete(id);
    return out;
  }

  /** The `docker save` archive of `id`, written out whole (its pieces are read from it by range), or undefined where not held. */
  async archive(id: string): Promise<ServedFile | undefined> {
    const file = await this.serve(id);
    return file === undefined || !('finished' in file) ? file : file.finished;
  }

  async accept(id: string, path: string): Promise<void> {
    await this.load(id, path, await inspectArchive(path, id));
  }

  /** Checks the archive of `id` as it arrives from a peer, so loading it needs no check pass of its own. */
  receive(id: string): ContentReceiver {
    const check = checkWhileReceiving(id);
    return {
      write: (parts) => check.write(parts),
      accept: async (path) => this.load(id, path, await check.finish()),
      discard: () => check.destroy(),
    };
  }

  /** Loads the checked files of the archive at `path` (checked again as they go), nothing else, no tags. */
  private async load(id: string, path: string, verdict: ArchiveVerdict): Promise<void> {
    await this.loadArchive(id, loadableArchive(path, verdict));
  }

  /** Loads `archive`, built here of checked files (a received one's, or pieces': node/images/image-pieces.ts); throws ContentMismatchError where the engine refuses it or it is not `id`. */
  async loadArchive(id: string, archive: Readable): Promise<void> {
    const stream = await this.docker.loadImage(archive, { quiet: true });
    const output = await new Promise<unknown[]>((resolve, reject) => this.docker.modem.followProgress(stream, (e, out) => (e ? reject(e) : resolve(out))));
    const failed = output.find((o): o is { error: string } => typeof (o as { error?: unknown }).error === 'string');
    if (failed !== undefined) throw new ContentMismatchError(`the engine refused it: ${failed.error}`);
    if (!(await this.has(id))) throw new ContentMismatchError(`the engine loaded it but holds no image ${id}`);
  }

  /** Names the image `reference` in the engine, as the operator's Image record says. */
  async tag(id: string, reference: string): Promise<void> {
    const colon = reference.lastIndexOf(':');
    const [repo, tag] = colon > reference.lastIndexOf('/') ? [reference.slice(0, colon), reference.slice(colon + 1)] : [reference, 'latest'];
    await this.docker.getImage(id).tag({ repo, tag });
  }

  /** Starts `docker save` into the spool; resolves once the archive's file exists, to follow as it is written. */
  private async save(id: string, path: string): Promise<GrowingFile> {
    await mkdir(this.spoolDir, { recursive: true });
    await this.prune();
    const partial = `${path}.${process.pid}.partial`;
    return spoolGrowing(await this.docker.getImage(id).get(), partial, path);
  }

  /** Keeps the spool to the newest few archives (and none of an image the engine dropped). */
  private async prune(): Promise<void> {
    const files = (await readdir(this.spoolDir)).filter((f) => f.endsWith('.tar'));
    const dated = await Promise.all(files.map(async (f) => ({ f, at: (await stat(join(this.spoolDir, f))).mtimeMs, held: await this.has(`sha256:${f.slice(0, -4)}`) })));
    dated.sort((a, b) => b.at - a.at);
    for (const [i, { f, held }] of dated.entries()) if (!held || i >= MAX_SPOOLED - 1) await rm(join(this.spoolDir, f), { force: true });
  }
}
