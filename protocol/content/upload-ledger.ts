import { err, ok, type Result } from '../../base/result.js';

/**
 * Chunked uploads into a node (`POST /v1/uploads`...): an API body is at most 256 KiB
 * (base/limits.ts), so a file of content (an artifact, an image archive) comes in pieces
 * and is kept on the node's disk until it is finished. This is the bookkeeping, with no
 * IO: who owns each upload, how much has arrived, what may come next, what is abandoned.
 * The node writes the bytes (node/api/uploads.ts) only where the ledger said yes.
 */
export interface UploadLimits {
  /** Open uploads of one operator: a client uploads one file at a time; a few for retries and parallel pushes. */
  maxOpenPerOperator: number;
  /** Open uploads on the node, of all operators: each holds a file on disk. */
  maxOpen: number;
  /** Bytes one upload may grow to. */
  maxUploadBytes: number;
  /** Bytes all open uploads together may hold on the node's disk. */
  maxTotalBytes: number;
  /** Bytes one operator's open uploads may hold together: one key cannot take the node's whole room. */
  maxOperatorBytes: number;
  /** Bytes of one chunk, decoded: its base64 and the JSON around it must fit in one API body. */
  maxChunkBytes: number;
  /** An upload that has had no chunk for this long is abandoned, and its file deleted. */
  idleMs: number;
  /** An upload not finished this long after it began is abandoned, however its chunks trickle in. */
  maxAgeMs: number;
}

export const uploadLimits: UploadLimits = {
  maxOpenPerOperator: 4,
  maxOpen: 16,
  maxUploadBytes: 2 * 2 ** 30,
  maxTotalBytes: 8 * 2 ** 30,
  maxOperatorBytes: 2 * 2 ** 30,
  // 176 KiB is 240 KiB of base64, which leaves 16 KiB of the 256 KiB body for the JSON around it.
  maxChunkBytes: 176 * 1024,
  idleMs: 10 * 60_000,
  // 2 GiB at 1 Mbit/s, a slow edge uplink, takes under five hours.
  maxAgeMs: 24 * 3_600_000,
};

export type UploadState = 'open' | 'writing' | 'finishing';

export interface Upload {
  id: string;
  /** The operator's public key: only its own requests reach the upload. */
  operator: string;
  /** Bytes received and written. */
  sizeBytes: number;
  /** A chunk being written or a finish under way: no other request may touch it meanwhile. */
  state: UploadState;
  /** When its last chunk was written, or it began. */
  lastActiveMs: number;
  startedAtMs: number;
}

/** Why a request on an upload is refused; the API answers each with its own status. */
export type UploadRefusal =
  | { code: 'too-many'; detail: string }
  | { code: 'not-found'; detail: string }
  | { code: 'not-yours'; detail: string }
  | { code: 'busy'; detail: string; sizeBytes: number }
  | { code: 'wrong-offset'; detail: string; sizeBytes: number }
  | { code: 'too-large'; detail: string }
  | { code: 'bad-chunk'; detail: string };

export class UploadLedger {
  private readonly uploads = new Map<string, Upload>();

  constructor(readonly limits: UploadLimits = uploadLimits) {}

  get open(): number {
    return this.uploads.size;
  }

  /** Bytes all open uploads hold. */
  get totalBytes(): number {
    let total = 0;
    for (const u of this.uploads.values()) total += u.sizeBytes;
    return total;
  }

  get(id: string): Upload | undefined {
    const upload = this.uploads.get(id);
    return upload === undefined ? undefined : { ...upload };
  }

  /** A new upload `id` (random, the caller's) for `operator`, within the bounds of open uploads. */
  begin(id: string, operator: string, nowMs: number): Result<Upload, UploadRefusal> {
    const own = [...this.uploads.values()].filter((u) => u.operator === operator).length;
    if (own >= this.limits.maxOpenPerOperator)
      return err({ code: 'too-many', detail: `you have ${own} uploads open on this node already: finish one, or wait ${this.limits.idleMs / 60_000} min for it to be abandoned` });
    if (this.uploads.size >= this.limits.maxOpen) return err({ code: 'too-many', detail: `this node has ${this.uploads.size} uploads open, its most: retry later` });
    if (this.uploads.has(id)) return err({ code: 'busy', detail: `upload ${id} exists`, sizeBytes: this.uploads.get(id)?.sizeBytes ?? 0 });
    const upload: Upload = { id, operator, sizeBytes: 0, state: 'open', lastActiveMs: nowMs, startedAtMs: nowMs };
    this.uploads.set(id, upload);
    return ok({ ...upload });
  }

  /**
   * A chunk of `length` bytes at `offset`: yes only if it continues exactly where the
   * upload stands (otherwise the refusal says where, so the client resumes there), fits
   * the bounds and nothing else is being written to it. On yes the upload is `writing`
   * until `written` or `unwritten`.
   */
  chunk(id: string, operator: string, offset: number, length: number, nowMs: number): Result<Upload, UploadRefusal> {
    const upload = this.owned(id, operator);
    if (!upload.ok) return upload;
    const u = upload.value;
    if (u.state !== 'open') return err({ code: 'busy', detail: `upload ${id} is ${u.state === 'writing' ? 'taking another chunk' : 'being finished'}`, sizeBytes: u.sizeBytes });
    if (!(Number.isSafeInteger(length) && length >= 1 && length <= this.limits.maxChunkBytes))
      return err({ code: 'bad-chunk', detail: `a chunk holds 1 to ${this.limits.maxChunkBytes} bytes, not ${length}` });
    if (offset !== u.sizeBytes)
      return err({ code: 'wrong-offset', detail: `upload ${id} holds ${u.sizeBytes} bytes: the next chunk starts at offset ${u.sizeBytes}`, sizeBytes: u.sizeBytes });
    if (u.sizeBytes + length > this.limits.maxUploadBytes) return err({ code: 'too-large', detail: `an upload holds at most ${this.limits.maxUploadBytes} bytes` });
    if (this.totalBytes + length > this.limits.maxTotalBytes)
      return err({ code: 'too-many', detail: `uploads open on this node hold ${this.totalBytes} bytes, its most is ${this.limits.maxTotalBytes}: retry later` });
    const own = this.bytesOf(operator);
    if (own + length > this.limits.maxOperatorBytes)
      return err({ code: 'too-many', detail: `your uploads open on this node hold ${own} bytes, an operator's most is ${this.limits.maxOperatorBytes}: finish one first` });
    u.state = 'writing';
    u.lastActiveMs = nowMs;
    return ok({ ...u });
  }

  /** The chunk `chunk` allowed is on disk: the upload grows by it. */
  written(id: string, length: number, nowMs: number): Upload | undefined {
    const u = this.uploads.get(id);
    if (u === undefined || u.state !== 'writing') return undefined;
    u.sizeBytes += length;
    u.state = 'open';
    u.lastActiveMs = nowMs;
    return { ...u };
  }

  /** The chunk could not be written (the caller truncated the file back to its size): the upload stands as before. */
  unwritten(id: string, nowMs: number): void {
    const u = this.uploads.get(id);
    if (u === undefined || u.state !== 'writing') return;
    u.state = 'open';
    u.lastActiveMs = nowMs;
  }

  /** The owner finishes: no chunk is taken meanwhile. Then `end` (done, or refused for good) or `reopen` (a failure worth a retry). */
  finish(id: string, operator: string): Result<Upload, UploadRefusal> {
    const upload = this.owned(id, operator);
    if (!upload.ok) return upload;
    const u = upload.value;
    if (u.state !== 'open') return err({ code: 'busy', detail: `upload ${id} is ${u.state === 'writing' ? 'taking a chunk' : 'being finished'}`, sizeBytes: u.sizeBytes });
    u.state = 'finishing';
    return ok({ ...u });
  }

  /** A refused finish keeps the upload as it was, idle since its last chunk: finishes refused on purpose do not keep it open. */
  reopen(id: string): void {
    const u = this.uploads.get(id);
    if (u === undefined || u.state !== 'finishing') return;
    u.state = 'open';
  }

  /** The upload is gone (finished, refused, abandoned): its file is the caller's to delete. */
  end(id: string): void {
    this.uploads.delete(id);
  }

  /**
   * Uploads idle for `idleMs` or more, or begun `maxAgeMs` ago, now ended: their files are
   * the caller's to delete. One with a chunk or a finish under way is left to it, however
   * long that takes.
   */
  expire(nowMs: number): Upload[] {
    const expired = [...this.uploads.values()].filter((u) => u.state === 'open' && (nowMs - u.lastActiveMs >= this.limits.idleMs || nowMs - u.startedAtMs >= this.limits.maxAgeMs));
    for (const u of expired) this.uploads.delete(u.id);
    return expired;
  }

  private bytesOf(operator: string): number {
    let total = 0;
    for (const u of this.uploads.values()) if (u.operator === operator) total += u.sizeBytes;
    return total;
  }

  private owned(id: string, operator: string): Result<Upload, UploadRefusal> {
    const u = this.uploads.get(id);
    if (u === undefined)
      return err({ code: 'not-found', detail: `no upload ${id} on this node: it was finished, abandoned after ${this.limits.idleMs / 60_000} min idle, or the node restarted` });
    if (u.operator !== operator) return err({ code: 'not-yours', detail: `upload ${id} belongs to another operator` });
    return ok(u);
  }
}
