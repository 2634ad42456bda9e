import type { ClusterDocument } from '../../crdt/index.js';
import type { ArtifactJson } from '../../protocol/api/images.js';
import { namedArtifacts } from '../../protocol/content/named-artifacts.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { ContentService } from '../content/content-service.js';
import { mapBounded } from '../usage/bounded.js';

/** How long `get images` waits for the DHT to say who holds the artifacts: a listing, not a fetch. */
const LOOKUP_MS = 3_000;
/** DHT lookups in flight at once for one listing: a viewer's request must not flood the cluster. */
const LOOKUPS_IN_FLIGHT = 8;

/**
 * The artifacts of `GET /v1/images`: every one a workload names and every one this node
 * holds, with who holds it. The document records no artifact holders (unlike images), so
 * they come from the DHT, all lookups within one short deadline.
 */
export async function artifactsListing(document: ClusterDocument, store: ArtifactStore, content: ContentService): Promise<ArtifactJson[]> {
  const named = namedArtifacts(document);
  const ids = [...new Set([...named.keys(), ...(await store.list())])].sort();
  const deadline = AbortSignal.timeout(LOOKUP_MS);
  return mapBounded(ids, LOOKUPS_IN_FLIGHT, async (id) => ({
    id,
    workloads: [...(named.get(id) ?? [])].sort(),
    sizeBytes: (await store.serve(id))?.sizeBytes,
    holders: deadline.aborted ? [] : await content.holders('artifact', id, deadline).catch(() => []),
  }));
}
