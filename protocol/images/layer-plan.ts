/**
 * Layer by layer: what a node fetches of an image when its engine already holds some of
 * the layers, and the archive `docker load` then gets.
 *
 * An engine keeps a layer by its chain (the layer with everything under it), and
 * `docker load` skips a layer's file only where it holds that chain. So what a node can
 * leave out is a prefix of the image's layers that is also the bottom of an image it
 * holds (the same base, a previous version of the same app); a layer it holds higher up
 * in another stack is fetched all the same.
 */

/** How many of `diffIds`, from the bottom, some held image's layers begin with. */
export function heldPrefix(diffIds: readonly string[], held: Iterable<readonly string[]>): number {
  let best = 0;
  for (const layers of held) {
    let shared = 0;
    while (shared < diffIds.length && shared < layers.length && layers[shared] === diffIds[shared]) shared++;
    best = Math.max(best, shared);
  }
  return best;
}

export interface LayerPlan {
  /** Layers from the bottom the engine holds as a chain: left out of the archive. */
  held: number;
  /** The other layers' ids, each once, bottom first: what to fetch. */
  fetch: string[];
}

export function planLayers(diffIds: readonly string[], held: Iterable<readonly string[]>): LayerPlan {
  const count = heldPrefix(diffIds, held);
  return { held: count, fetch: [...new Set(diffIds.slice(count))] };
}

const hexOf = (id: string): string => id.slice('sha256:'.length);

/** Where the config and each layer go in the archive built from pieces (docker save's legacy layout). */
export const piecePaths = (id: string, diffIds: readonly string[]): { configPath: string; layerPaths: string[] } => ({
  configPath: `${hexOf(id)}.json`,
  layerPaths: diffIds.map((d) => `${hexOf(d)}/layer.tar`),
});

/**
 * manifest.json for an archive of image `id` built from its pieces: every layer listed
 * (the engine walks the chain), with no tags; the files of the held ones are absent.
 */
export function piecesManifest(id: string, diffIds: readonly string[]): Uint8Array {
  const { configPath, layerPaths } = piecePaths(id, diffIds);
  return new TextEncoder().encode(JSON.stringify([{ Config: configPath, RepoTags: [], Layers: layerPaths }]));
}
