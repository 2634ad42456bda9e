/**
 * Every code the API's own handlers send in a refusal's `error` (node/api/, node/ui/routes.ts).
 * A client acts on the code; the `detail` is a sentence for a person.
 */
export const API_ERROR_CODES = [
  // The gate (node/api/auth.ts): 401 who are you, 403 not you, 429 the nonce ledger is full.
  'unsigned',
  'bad-signature',
  'bad-digest',
  'stale',
  'replayed',
  'not-an-operator',
  'removed',
  'forbidden',
  'bad-host',
  'no-session',
  'no-scrape-token',
  'busy',
  // The routes.
  'bad-request',
  'invalid',
  'not-found',
  'exec-failed',
  'storage-unavailable',
  'bad-login',
  // Chunked uploads (node/api/uploads.ts): 409 a chunk not where the upload stands (the body
  // says where), 409 another request on the upload under way, 413 past its bound, 429 too many open.
  'wrong-offset',
  'upload-busy',
  'upload-too-large',
  'too-many-uploads',
  // 507: the artifact store has no room for it within its quota (--artifact-store-bytes).
  'artifact-store-full',
  // A delta refused (`POST /v1/deltas`, with its `id`): its decoding (crdt/delta-codec.ts), the
  // replica's checks (crdt/replica.ts), the write quota (node/state-service.ts). `duplicate` comes with 200.
  'oversized',
  'malformed',
  'too-deep',
  'duplicate',
  'wrong-cluster',
  'bad-id',
  'unknown-author',
  'not-allowed',
  'revoked',
  'demoted',
  'clock-ahead',
  'clock-counter',
  'too-old',
  'over-quota',
] as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** The body of a refusal, as the API sends it. */
export interface ApiErrorBody {
  error: ApiErrorCode;
  detail?: string;
}

export const isApiErrorCode = (value: unknown): value is ApiErrorCode => typeof value === 'string' && (API_ERROR_CODES as readonly string[]).includes(value);

/**
 * A response body read as a refusal, whatever it holds: `code` when its `error` is one of
 * ours (else undefined: a newer node's code, or Fastify's own refusals, a malformed body or
 * one too large, whose `error` is the status text); `error` that text as it came, to show.
 */
export interface ReadApiError {
  code: ApiErrorCode | undefined;
  error: string | undefined;
  detail: string | undefined;
}

export function readApiError(body: unknown): ReadApiError {
  const { error, detail } = typeof body === 'object' && body !== null ? (body as { error?: unknown; detail?: unknown }) : {};
  return {
    code: isApiErrorCode(error) ? error : undefined,
    error: typeof error === 'string' ? error : undefined,
    detail: typeof detail === 'string' ? detail : undefined,
  };
}
