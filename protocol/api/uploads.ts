/**
 * Chunked uploads (node/api/uploads.ts): a file larger than an API body reaches a node in
 * pieces, each a signed request of its own, then is finished into what it is for.
 *
 * 1. `POST /v1/uploads` with `{}` → 200 `UploadJson`.
 * 2. `POST /v1/uploads/:upload/chunks` with `UploadChunkRequest` → 200 `UploadChunkJson`;
 *    409 `wrong-offset` with `UploadOffsetJson` when `offset` is not where the upload
 *    stands: the client goes on from `sizeBytes` (a chunk whose answer it lost).
 * 3. `POST /v1/uploads/:upload/finish` with `{ kind, ...}` (for `artifact`:
 *    `ArtifactFinishRequest`) → 200 `UploadFinishJson`; 400 `invalid` when the bytes are
 *    not what the request says they are (the upload is then gone).
 *
 * An upload belongs to the operator who began it; it is abandoned after 10 minutes
 * without a chunk, and on a node restart. Refusals: 403 `forbidden` (another operator's),
 * 404 `not-found`, 409 `upload-busy`, 413 `upload-too-large`, 429 `too-many-uploads`.
 */
export interface UploadJson {
  upload: string;
  /** Decoded bytes one chunk may hold. */
  maxChunkBytes: number;
  /** Bytes the whole upload may hold. */
  maxUploadBytes: number;
}

export interface UploadChunkRequest {
  /** Where this chunk starts: the bytes the upload holds so far. */
  offset: number;
  /** The bytes, base64. */
  data: string;
}

export interface UploadChunkJson {
  sizeBytes: number;
}

/** The body of a 409 `wrong-offset` or `upload-busy`: where the upload stands. */
export interface UploadOffsetJson {
  error: 'wrong-offset' | 'upload-busy';
  detail: string;
  sizeBytes: number;
}

/** What the upload becomes: one kind per finisher the node has (`artifact`; `image` to come). */
export interface UploadFinishRequest {
  kind: string;
  [field: string]: unknown;
}

/** An artifact: the tar whose sha256 is `id`, checked by the node before it keeps it. */
export interface ArtifactFinishRequest extends UploadFinishRequest {
  kind: 'artifact';
  id: string;
}

export interface UploadFinishJson {
  kind: string;
  id: string;
  sizeBytes: number;
  /** The node that took it (its peer id): it announces the content, so the others fetch it from there. */
  node: string;
}
