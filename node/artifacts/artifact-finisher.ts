import { z } from 'zod';
import { ARTIFACT_ID } from '../../protocol/content/artifact-entries.js';
import { UploadFinishRefusal, type UploadFinisher } from '../api/uploads.js';
import { ArtifactStoreFullError, type ArtifactStore } from './artifact-store.js';

const body = z.strictObject({
  kind: z.literal('artifact'),
  id: z.string().regex(ARTIFACT_ID, 'an artifact id: sha256: and 64 lower-case hex digits, the sha256 of the tar'),
});

/**
 * `POST /v1/uploads/:upload/finish` with `{ kind: 'artifact', id }`: the uploaded tar is
 * kept as artifact `id` if its sha256 is that and it unpacks by the artifact rules
 * (else ContentMismatchError, 400 `invalid`) and the store's quota has room for it (else
 * 507, naming the limit), and the node announces it, so peers that need it fetch it from here.
 */
export function artifactFinisher(store: ArtifactStore, content: { announce(): void }): UploadFinisher {
  return async ({ path, sizeBytes, body: request }) => {
    const parsed = body.safeParse(request);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UploadFinishRefusal(400, 'bad-request', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
    }
    await store.accept(parsed.data.id, path).catch((e: unknown) => {
      throw e instanceof ArtifactStoreFullError ? new UploadFinishRefusal(507, 'artifact-store-full', e.message) : e;
    });
    content.announce();
    return { id: parsed.data.id, sizeBytes };
  };
}
