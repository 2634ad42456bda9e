import { z } from 'zod';
import { decodeJson, type JsonDecodeError } from '../../base/json-decode.js';
import type { Result } from '../../base/result.js';
import { IMAGE_ID } from './image-record.js';

/**
 * The frames of `/shoal/content/1.0.0`, over which nodes hand each other content named
 * by its sha256 (node/content/transfer.ts). The asker sends one request frame; the
 * holder answers with one header frame, and after an ok header the content's bytes
 * from the requested offset to its end, raw and unframed (not read by this codec), at
 * the pace the asker reads them. A transfer that breaks resumes at the offset the
 * asker already holds, from the same provider or another: every holder serves the same
 * bytes for an id. A holder still writing the content out (its `docker save`) serves
 * it as it is written, with no size in the header: then the content ends where the
 * holder ends its side of the stream cleanly (a failed write resets the stream), and
 * the check of the content is what tells a whole archive from a cut one.
 * Kinds: `image` a whole `docker save` archive named by the image id; `config` that
 * image's config alone and `layer` one of its layers (the uncompressed tar named by its
 * diff_id), so a node that holds an image's lower layers fetches only the rest
 * (protocol/images/layer-plan.ts); `artifact` a file bundle of the process runtime.
 */
export const CONTENT_KINDS = ['image', 'artifact', 'layer', 'config'] as const;
export type ContentKindName = (typeof CONTENT_KINDS)[number];

/** A request or header: a few hundred bytes at most, so a peer's frame is refused long before it costs anything. */
export const MAX_CONTENT_MESSAGE_BYTES = 4 * 1024;
/** At six bytes a character escaped (`\u0001`), a refusal's detail still fits in a message. */
export const MAX_DETAIL_CHARS = 512;

export const CONTENT_REFUSALS = ['not-found', 'busy', 'bad-request'] as const;
export type ContentRefusal = (typeof CONTENT_REFUSALS)[number];

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const request = z.strictObject({
  kind: z.enum(CONTENT_KINDS),
  id: z.string().regex(IMAGE_ID),
  /** Bytes the asker already holds: the holder sends from here on. */
  offset: count,
});

const header = z.discriminatedUnion('ok', [
  /**
   * The whole content's size, not what follows: `sizeBytes - offset` bytes come after
   * this header. Absent where the holder does not know it yet (still writing it out).
   */
  z.strictObject({ ok: z.literal(true), sizeBytes: count.optional() }),
  z.strictObject({ ok: z.literal(false), code: z.enum(CONTENT_REFUSALS), detail: z.string().max(MAX_DETAIL_CHARS) }),
]);

export type ContentRequest = z.output<typeof request>;
export type ContentHeader = z.output<typeof header>;

// Both messages are flat objects.
const LIMITS = { maxBytes: MAX_CONTENT_MESSAGE_BYTES, maxDepth: 1 };
const utf8 = new TextEncoder();

// Field by field: a caller's object may carry more, which the receiver's strict schema refuses.
export const encodeContentRequest = ({ kind, id, offset }: ContentRequest): Uint8Array => utf8.encode(JSON.stringify({ kind, id, offset }));

export const decodeContentRequest = (bytes: Uint8Array): Result<ContentRequest, JsonDecodeError> => decodeJson(bytes, request, LIMITS);

/** A detail cut to what a receiver reads, never between the halves of a surrogate pair. */
function cutDetail(detail: string): string {
  if (detail.length <= MAX_DETAIL_CHARS) return detail;
  const cut = detail.slice(0, MAX_DETAIL_CHARS);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/** A refusal's detail longer than a receiver reads is cut, not turned into a header it refuses. */
export const encodeContentHeader = (h: ContentHeader): Uint8Array =>
  utf8.encode(JSON.stringify(h.ok ? { ok: true, sizeBytes: h.sizeBytes } : { ok: false, code: h.code, detail: cutDetail(h.detail) }));

export const decodeContentHeader = (bytes: Uint8Array): Result<ContentHeader, JsonDecodeError> => decodeJson(bytes, header, LIMITS);
