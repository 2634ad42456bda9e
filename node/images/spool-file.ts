import { type FileHandle, open, rename, rm, stat } from 'node:fs/promises';
import type { GrowingFile, ServedFile } from '../content/content-store.js';

/**
 * Writes `source` to `partial`, renamed to `path` once whole, and returns at once (the
 * partial file created) a GrowingFile readers can follow while it is written: a first
 * request for an image is served while its `docker save` still runs, instead of after.
 * Where the writing fails, the partial file is removed and `finished` rejects.
 */
export async function spoolGrowing(source: AsyncIterable<unknown>, partial: string, path: string): Promise<GrowingFile> {
  const file = await open(partial, 'w');
  let written = 0;
  let ended = false;
  const waiting = new Set<() => void>();
  const wake = (): void => {
    for (const resolve of waiting) resolve();
    waiting.clear();
  };
  const write = async (): Promise<ServedFile> => {
    try {
      try {
        for await (const chunk of source) {
          // Node's readable streams are typed as yielding anything; `docker save`'s yields bytes.
          if (!(chunk instanceof Uint8Array)) throw new TypeError(`the archive stream yielded ${typeof chunk}, not bytes`);
          await file.write(chunk);
          written += chunk.length;
          wake();
        }
      } finally {
        await file.close();
      }
      await rename(partial, path);
      return { path, sizeBytes: (await stat(path)).size };
    } catch (e) {
      await rm(partial, { force: true });
      throw e;
    } finally {
      ended = true;
      wake();
    }
  };
  const finished = write();
  // A failed save with no reader is the caller's to see through `finished` when it asks; not an unhandled rejection.
  finished.catch(() => undefined);
  return {
    finished,
    writtenBytes: () => written,
    open: async (): Promise<FileHandle> => {
      try {
        return await open(partial, 'r');
      } catch (e) {
        // Renamed already: written out whole (or failed, which `finished` says).
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        return open((await finished).path, 'r');
      }
    },
    grown: (bytes, signal) =>
      new Promise<void>((resolve, reject) => {
        if (ended || written > bytes) return resolve();
        if (signal.aborted) return reject(signal.reason);
        const done = (): void => {
          signal.removeEventListener('abort', aborted);
          resolve();
        };
        const aborted = (): void => {
          waiting.delete(done);
          reject(signal.reason);
        };
        waiting.add(done);
        signal.addEventListener('abort', aborted, { once: true });
      }),
  };
}
