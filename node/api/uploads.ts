import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Json } from '../../crdt/json.js';
import type { ApiErrorBody, ApiErrorCode } from '../../protocol/api/errors.js';
import type { UploadChunkJson, UploadFinishJson, UploadJson } from '../../protocol/api/uploads.js';
import { UploadLedger, uploadLimits, type UploadLimits, type UploadRefusal } from '../../protocol/content/upload-ledger.js';
import { ContentMismatchError } from '../content/content-store.js';
import type { Caller } from './auth.js';

/** An upload's id: 128 random bits, so nobody finds another's by trying. */
const UPLOAD_ID = /^[0-9a-f]{32}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** How often abandoned uploads are looked for: a minute late is nothing against their ten. */
const EXPIRY_INTERVAL_MS = 30_000;

/** A whole upload, handed to the finisher its `kind` names. */
export interface FinishedUpload {
  /** The file of its bytes: the finisher reads it (or moves its content elsewhere); the route deletes it after. */
  path: string;
  sizeBytes: number;
  caller: Caller;
  /** The finish request's body, `kind` included: the finisher checks the rest of it. */
  body: Record<string, unknown>;
}

/** What a finisher answers: the content's id and size, and anything of its own, to the client. */
export type FinishedContent = { id: string; sizeBytes: number } & Record<string, Json>;

/**
 * Turns a whole upload into what it is for (an artifact, an image). Throws
 * UploadFinishRefusal for a request it will not take (the upload stays, for a corrected
 * finish), ContentMismatchError for bytes that are not what the request says (400
 * `invalid`; the upload is gone), anything else for a failure of its own (500; the upload
 * stays, for a retry).
 */
export type UploadFinisher = (upload: FinishedUpload) => Promise<FinishedContent>;

/** A finish request a finisher refuses, with the status and code the client gets. */
export class UploadFinishRefusal extends Error {
  override readonly name = 'UploadFinishRefusal';
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 507,
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface UploadRoutesOptions {
  /** Where uploads' files wait, `<data root>/content/uploads`: emptied at start, since an upload does not outlive its node. */
  dir: string;
  /** By kind, what a finished upload becomes. More may be added later (`UploadRoutes.addFinisher`). */
  finishers: Readonly<Record<string, UploadFinisher>>;
  /** This node's peer id, in each finish's answer. */
  node: string;
  limits?: UploadLimits;
  /** Milliseconds on a clock that never steps (idle times are durations); the host's monotonic one by default. */
  nowMs?: () => number;
}

export interface UploadCounters {
  begun: number;
  chunks: number;
  bytes: number;
  finished: number;
  abandoned: number;
  /** Requests refused, by code: malformed, another's, too many, too large, out of place. */
  refused: Record<string, number>;
}

export interface UploadRoutes {
  counters: UploadCounters;
  /** Adds what uploads of `kind` become, for a module registered after this one. */
  addFinisher(kind: string, finisher: UploadFinisher): void;
  /** Ends the uploads idle past their time and deletes their files, as the timer does every 30 s; how many. */
  expire(): Promise<number>;
}

const chunkBody = z.strictObject({
  offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  data: z
    .string()
    .min(1)
    .regex(BASE64, 'base64')
    .refine((d) => d.length % 4 === 0, 'base64, padded to a multiple of 4 characters'),
});
const beginBody = z.strictObject({}).optional();
const finishBody = z.looseObject({ kind: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a kind of content, such as artifact') });

const STATUS: Record<UploadRefusal['code'], { status: number; code: ApiErrorCode }> = {
  'too-many': { status: 429, code: 'too-many-uploads' },
  'not-found': { status: 404, code: 'not-found' },
  'not-yours': { status: 403, code: 'forbidden' },
  busy: { status: 409, code: 'upload-busy' },
  'wrong-offset': { status: 409, code: 'wrong-offset' },
  'too-large': { status: 413, code: 'upload-too-large' },
  'bad-chunk': { status: 400, code: 'bad-request' },
};

/**
 * Chunked uploads (protocol/api/uploads.ts): a file larger than an API body arrives as
 * signed chunks of at most 176 KiB, each where the last ended, into a file of the node's;
 * the bookkeeping (who, how much, what next, what is abandoned) is the ledger's
 * (protocol/content/upload-ledger.ts), the bytes are written here. An upload is its
 * operator's alone: another operator's request on it is refused (403).
 *
 * @example
 * const uploads = registerUploadRoutes(app, { dir, node, finishers: { artifact: artifactFinisher(store, content) } });
 * uploads.addFinisher('image', imageFinisher(...)); // or in `finishers` above
 */
export function registerUploadRoutes(app: FastifyInstance, options: UploadRoutesOptions): UploadRoutes {
  const ledger = new UploadLedger(options.limits ?? uploadLimits);
  const finishers = new Map(Object.entries(options.finishers));
  const nowMs = options.nowMs ?? (() => performance.now());
  const counters: UploadCounters = { begun: 0, chunks: 0, bytes: 0, finished: 0, abandoned: 0, refused: {} };
  const fileOf = (upload: string): string => join(options.dir, upload);
  const ready = emptyDir(options.dir);
  // Until the directory is ready the routes wait for it; a failure there is each request's 500.
  ready.catch(() => undefined);

  const refuse = (reply: FastifyReply, status: number, error: ApiErrorCode, detail: string, extra: Record<string, Json> = {}): FastifyReply => {
    counters.refused[error] = (counters.refused[error] ?? 0) + 1;
    return reply.code(status).send({ error, detail, ...extra } satisfies ApiErrorBody);
  };
  const refuseBy = (reply: FastifyReply, refusal: UploadRefusal): FastifyReply => {
    const { status, code } = STATUS[refusal.code];
    return refuse(reply, status, code, refusal.detail, 'sizeBytes' in refusal ? { sizeBytes: refusal.sizeBytes } : {});
  };
  const malformed = (reply: FastifyReply, error: z.ZodError): FastifyReply =>
    refuse(reply, 400, 'bad-request', `${error.issues[0]?.path.join('.') || 'body'}: ${error.issues[0]?.message ?? 'invalid'}`);
  /** The upload named in the path, by a caller: undefined when refused (already answered). */
  const named = (request: FastifyRequest<{ Params: { upload: string } }>, reply: FastifyReply): { upload: string; caller: Caller } | undefined => {
    const { upload } = request.params;
    const caller = request.caller;
    if (caller === undefined) {
      refuse(reply, 403, 'forbidden', "an upload is its operator's own: sign the request");
      return undefined;
    }
    if (!UPLOAD_ID.test(upload)) {
      refuse(reply, 404, 'not-found', 'not an upload id: 32 hex digits, as POST /v1/uploads answers');
      return undefined;
    }
    return { upload, caller };
  };

  app.post('/v1/uploads', async (request, reply) => {
    const parsed = beginBody.safeParse(request.body ?? undefined);
    if (!parsed.success) return malformed(reply, parsed.error);
    const caller = request.caller;
    if (caller === undefined) return refuse(reply, 403, 'forbidden', "an upload is its operator's own: sign the request");
    await ready;
    const upload = randomBytes(16).toString('hex');
    const begun = ledger.begin(upload, caller.publicKey, nowMs());
    if (!begun.ok) return refuseBy(reply, begun.error);
    try {
      await (await open(fileOf(upload), 'wx', 0o600)).close();
    } catch (e) {
      ledger.end(upload);
      throw e;
    }
    counters.begun++;
    return { upload, maxChunkBytes: ledger.limits.maxChunkBytes, maxUploadBytes: ledger.limits.maxUploadBytes } satisfies UploadJson;
  });

  app.post<{ Params: { upload: string } }>('/v1/uploads/:upload/chunks', async (request, reply) => {
    const who = named(request, reply);
    if (who === undefined) return reply;
    const parsed = chunkBody.safeParse(request.body);
    if (!parsed.success) return malformed(reply, parsed.error);
    const { offset, data: text } = parsed.data;
    // The length of what the base64 decodes to, before decoding: an oversized chunk costs no buffer.
    const length = (text.length / 4) * 3 - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0);
    const allowed = ledger.chunk(who.upload, who.caller.publicKey, offset, length, nowMs());
    if (!allowed.ok) return refuseBy(reply, allowed.error);
    const bytes = Buffer.from(text, 'base64');
    if (bytes.length !== length) {
      ledger.unwritten(who.upload, nowMs());
      return refuse(reply, 400, 'bad-request', 'data: not base64');
    }
    try {
      await writeAt(fileOf(who.upload), bytes, offset);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        ledger.end(who.upload);
        return refuse(reply, 404, 'not-found', `upload ${who.upload} lost its file`);
      }
      ledger.unwritten(who.upload, nowMs());
      throw e;
    }
    const upload = ledger.written(who.upload, length, nowMs());
    counters.chunks++;
    counters.bytes += length;
    return { sizeBytes: upload?.sizeBytes ?? offset + length } satisfies UploadChunkJson;
  });

  app.post<{ Params: { upload: string } }>('/v1/uploads/:upload/finish', async (request, reply) => {
    const who = named(request, reply);
    if (who === undefined) return reply;
    const parsed = finishBody.safeParse(request.body);
    if (!parsed.success) return malformed(reply, parsed.error);
    const finisher = finishers.get(parsed.data.kind);
    if (finisher === undefined)
      return refuse(reply, 400, 'bad-request', `kind: this node takes uploads of ${[...finishers.keys()].join(', ') || 'nothing'}, not ${parsed.data.kind}`);
    const finishing = ledger.finish(who.upload, who.caller.publicKey);
    if (!finishing.ok) return refuseBy(reply, finishing.error);
    const path = fileOf(who.upload);
    let content: FinishedContent;
    try {
      content = await finisher({ path, sizeBytes: finishing.value.sizeBytes, caller: who.caller, body: parsed.data });
    } catch (e) {
      if (e instanceof UploadFinishRefusal) {
        ledger.reopen(who.upload);
        return refuse(reply, e.status, e.code, e.message);
      }
      if (e instanceof ContentMismatchError) {
        ledger.end(who.upload);
        await rm(path, { force: true });
        return refuse(reply, 400, 'invalid', `upload ${who.upload} is refused: ${e.message}`);
      }
      ledger.reopen(who.upload);
      throw e;
    }
    ledger.end(who.upload);
    await rm(path, { force: true });
    counters.finished++;
    return { ...content, kind: parsed.data.kind, node: options.node } satisfies UploadFinishJson;
  });

  const expire = async (): Promise<number> => {
    const gone = ledger.expire(nowMs());
    counters.abandoned += gone.length;
    await Promise.all(gone.map((u) => rm(fileOf(u.id), { force: true })));
    return gone.length;
  };
  const timer = setInterval(() => void expire().catch(() => undefined), EXPIRY_INTERVAL_MS);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));

  return {
    counters,
    addFinisher: (kind, finisher) => {
      finishers.set(kind, finisher);
    },
    expire,
  };
}

/** Writes `bytes` at `offset` of the file; on failure the file is cut back to `offset`, so it holds what the ledger says. */
async function writeAt(path: string, bytes: Buffer, offset: number): Promise<void> {
  const file = await open(path, 'r+');
  try {
    await file.write(bytes, 0, bytes.length, offset);
  } catch (e) {
    await file.truncate(offset).catch(() => undefined);
    throw e;
  } finally {
    await file.close();
  }
}

/** Makes `dir` and deletes what it holds: uploads of an earlier run of the node, which no ledger knows. */
async function emptyDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const name of await readdir(dir)) await rm(join(dir, name), { recursive: true, force: true });
}
