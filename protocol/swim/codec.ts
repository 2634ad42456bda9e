import { parseJsonBytes } from '../../base/json-bytes.js';
import { MAX_NESTING_DEPTH } from '../../base/limits.js';
import { err, ok, type Result } from '../../base/result.js';
import { STATE_CODES, type MemberRecord } from './member.js';
import { SWIM_WIRE_VERSION, type SwimMessage, type SyncEntry, type Update } from './messages.js';

/**
 * The wire format is JSON with short keys and tuples: readable in a capture, and
 * member records (the bulk of a sync) are serialized once and reused from a cache.
 *
 *   envelope  {"v":2,"t":"ping","s":seq,"g":target,"u":[update...],"l":lagMs}   ("l" only when the sender runs late)
 *   update    ["a",inc,record,signature] | ["s",inc,id,from] | ["d",inc,id,from] | ["l",inc,id,signature]
 *   sync      {"v":2,"t":"sync","r":reply,"m":[[stateCode,inc,record,signature?]...]}   (always with alive and left)
 *   record    {"i":id,"a":[addr...],"l":{label:value},"c":[cpuMillis,memoryBytes],"v":version}
 */

const utf8 = new TextEncoder();

export type DecodeErrorCode = 'oversized' | 'malformed' | 'too-deep' | 'version' | 'invalid';

export interface DecodeError {
  code: DecodeErrorCode;
  detail: string;
}

export interface CodecLimits {
  maxMessageBytes: number;
  maxSyncBytes: number;
}

/** Kubernetes-style label keys; this also keeps keys such as __proto__ out of decoded objects. */
export const LABEL_KEY = /^[A-Za-z0-9][-A-Za-z0-9_./]{0,62}$/;

const LIMITS = {
  idChars: 128,
  addrs: 16,
  addrChars: 256,
  labels: 64,
  labelValueChars: 256,
  versionChars: 32,
  /** An Ed25519 signature is 128 hex digits; room for a stand-in's. */
  signatureChars: 256,
  updates: 4096,
} as const;

interface EncodedRecord {
  json: string;
  bytes: number;
}

const encodedRecords = new WeakMap<MemberRecord, EncodedRecord>();

function encodedRecord(record: MemberRecord): EncodedRecord {
  let encoded = encodedRecords.get(record);
  if (encoded === undefined) {
    const json = JSON.stringify({
      i: record.id,
      a: record.addrs,
      l: record.labels,
      c: [record.capacity.cpuMillis, record.capacity.memoryBytes],
      v: record.version,
    });
    encoded = { json, bytes: utf8.encode(json).length };
    encodedRecords.set(record, encoded);
  }
  return encoded;
}

/** A record's wire form, which members also sign (member-signatures.ts). */
export const encodeRecord = (record: MemberRecord): string => encodedRecord(record).json;

function encodeUpdate(update: Update): string {
  switch (update.kind) {
    case 'alive':
      return `["a",${update.incarnation},${encodeRecord(update.member)},${JSON.stringify(update.signature)}]`;
    case 'suspect':
      return `["s",${update.incarnation},${JSON.stringify(update.id)},${JSON.stringify(update.from)}]`;
    case 'dead':
      return `["d",${update.incarnation},${JSON.stringify(update.id)},${JSON.stringify(update.from)}]`;
    case 'left':
      return `["l",${update.incarnation},${JSON.stringify(update.id)},${JSON.stringify(update.signature)}]`;
  }
}

const signatureTail = (entry: SyncEntry): string => (entry.signature === undefined ? '' : `,${JSON.stringify(entry.signature)}`);

const encodeSyncEntry = (entry: SyncEntry): string => `[${STATE_CODES.indexOf(entry.state)},${entry.incarnation},${encodeRecord(entry.member)}${signatureTail(entry)}]`;

/** The message as wire text; `encode` turns it into bytes. */
export function encodeText(message: SwimMessage): string {
  const head = `{"v":${SWIM_WIRE_VERSION},"t":"${message.type}"`;
  // A key older decoders ignore, and present only when the sender runs late.
  const tail = message.lagMs === undefined ? '}' : `,"l":${message.lagMs}}`;
  switch (message.type) {
    case 'sync':
      return `${head},"r":${message.reply},"m":[${message.members.map(encodeSyncEntry).join(',')}]${tail}`;
    case 'gossip':
      return `${head},"u":[${message.updates.map(encodeUpdate).join(',')}]${tail}`;
    case 'ack':
    case 'nack':
      return `${head},"s":${message.seq},"u":[${message.updates.map(encodeUpdate).join(',')}]${tail}`;
    case 'ping':
    case 'ping-req':
      return `${head},"s":${message.seq},"g":${JSON.stringify(message.target)},"u":[${message.updates.map(encodeUpdate).join(',')}]${tail}`;
  }
}

export function encode(message: SwimMessage): Uint8Array {
  return utf8.encode(encodeText(message));
}

/** The encoded length of a message without building a full sync's text: the simulator counts bytes this way. */
export function encodedBytes(message: SwimMessage): number {
  if (message.type !== 'sync') return utf8.encode(encodeText(message)).length;
  let bytes = `{"v":${SWIM_WIRE_VERSION},"t":"sync","r":${message.reply},"m":[]}`.length + Math.max(0, message.members.length - 1);
  if (message.lagMs !== undefined) bytes += `,"l":${message.lagMs}`.length;
  for (const entry of message.members) {
    bytes += `[${STATE_CODES.indexOf(entry.state)},${entry.incarnation},]`.length + encodedRecord(entry.member).bytes + signatureTail(entry).length;
  }
  return bytes;
}

/** Bytes an update adds to a message, for filling a message up to its bound. */
export function encodedUpdateBytes(update: Update): number {
  return utf8.encode(encodeUpdate(update)).length + 1;
}

class Invalid extends Error {}

function fail(detail: string): never {
  throw new Invalid(detail);
}

function str(value: unknown, field: string, maxChars: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxChars) fail(field);
  return value;
}

function uint(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(field);
  return value;
}

const MAX_INCARNATION = 0xffffffff;

function incarnationField(value: unknown, field: string): number {
  const n = uint(value, field);
  if (n > MAX_INCARNATION) fail(field);
  return n;
}

function array(value: unknown, field: string, maxItems: number): unknown[] {
  if (!Array.isArray(value) || value.length > maxItems) fail(field);
  return value;
}

function labels(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('record.labels');
  const entries = Object.entries(value);
  if (entries.length > LIMITS.labels) fail('record.labels');
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (!LABEL_KEY.test(k)) fail('record.labels.key');
    if (typeof v !== 'string' || v.length > LIMITS.labelValueChars) fail(`record.labels.${k}`);
    out[k] = v;
  }
  return out;
}

function record(value: unknown): MemberRecord {
  if (typeof value !== 'object' || value === null) fail('record');
  const r = value as Record<string, unknown>;
  const capacity = array(r.c, 'record.capacity', 2);
  if (capacity.length !== 2) fail('record.capacity');
  return {
    id: str(r.i, 'record.id', LIMITS.idChars),
    addrs: array(r.a, 'record.addrs', LIMITS.addrs).map((a) => str(a, 'record.addrs', LIMITS.addrChars)),
    labels: labels(r.l),
    capacity: { cpuMillis: uint(capacity[0], 'record.capacity.cpu'), memoryBytes: uint(capacity[1], 'record.capacity.memory') },
    version: str(r.v, 'record.version', LIMITS.versionChars),
  };
}

function update(value: unknown): Update {
  const u = array(value, 'update', 4);
  const incarnation = incarnationField(u[1], 'update.incarnation');
  switch (u[0]) {
    case 'a':
      return { kind: 'alive', incarnation, member: record(u[2]), signature: str(u[3], 'update.signature', LIMITS.signatureChars) };
    case 's':
      return { kind: 'suspect', incarnation, id: str(u[2], 'update.id', LIMITS.idChars), from: str(u[3], 'update.from', LIMITS.idChars) };
    case 'd':
      return { kind: 'dead', incarnation, id: str(u[2], 'update.id', LIMITS.idChars), from: str(u[3], 'update.from', LIMITS.idChars) };
    case 'l':
      return { kind: 'left', incarnation, id: str(u[2], 'update.id', LIMITS.idChars), signature: str(u[3], 'update.signature', LIMITS.signatureChars) };
    default:
      return fail('update.kind');
  }
}

function syncEntry(value: unknown): SyncEntry {
  const e = array(value, 'sync.entry', 4);
  const state = STATE_CODES[uint(e[0], 'sync.state')];
  if (state === undefined) fail('sync.state');
  const entry: SyncEntry = { state, incarnation: incarnationField(e[1], 'sync.incarnation'), member: record(e[2]) };
  // What only the member may say comes with its signature; an accusation may carry the
  // member's signature of the incarnation it accuses.
  if (e[3] !== undefined || state === 'alive' || state === 'left') entry.signature = str(e[3], 'sync.signature', LIMITS.signatureChars);
  return entry;
}

/** A lag over this is a sender's error, not a lag: a day. */
const MAX_LAG_MS = 86_400_000;

function message(m: Record<string, unknown>): SwimMessage {
  const body = messageBody(m);
  if (m.l === undefined) return body;
  const lagMs = uint(m.l, 'lag');
  if (lagMs > MAX_LAG_MS) fail('lag');
  return { ...body, lagMs };
}

function messageBody(m: Record<string, unknown>): SwimMessage {
  const updates = (): Update[] => array(m.u, 'updates', LIMITS.updates).map(update);
  switch (m.t) {
    case 'ping':
    case 'ping-req':
      return { type: m.t, seq: uint(m.s, 'seq'), target: str(m.g, 'target', LIMITS.idChars), updates: updates() };
    case 'ack':
    case 'nack':
      return { type: m.t, seq: uint(m.s, 'seq'), updates: updates() };
    case 'gossip':
      return { type: 'gossip', updates: updates() };
    case 'sync':
      if (typeof m.r !== 'boolean') fail('reply');
      return { type: 'sync', reply: m.r, members: array(m.m, 'members', Number.MAX_SAFE_INTEGER).map(syncEntry) };
    default:
      return fail('type');
  }
}

/**
 * Validates everything: a message that passes cannot put a malformed member into the
 * table. A sync carries the whole member table, so its bound is the configured
 * maxSyncBytes rather than one frame; every other message is held to maxMessageBytes.
 */
export function decode(bytes: Uint8Array, limits: CodecLimits): Result<SwimMessage, DecodeError> {
  const json = parseJsonBytes(bytes, { maxBytes: limits.maxSyncBytes, maxDepth: MAX_NESTING_DEPTH });
  if (!json.ok) return json;
  const parsed = json.value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return err({ code: 'malformed', detail: 'not an object' });
  }
  const envelope = parsed as Record<string, unknown>;
  // Not String(v): a peer's object can carry a toString that throws.
  if (envelope.v !== SWIM_WIRE_VERSION) return err({ code: 'version', detail: `version ${typeof envelope.v === 'number' ? envelope.v : typeof envelope.v}` });
  if (envelope.t !== 'sync' && bytes.length > limits.maxMessageBytes) {
    return err({ code: 'oversized', detail: `${bytes.length} bytes` });
  }
  try {
    return ok(message(envelope));
  } catch (e) {
    if (e instanceof Invalid) return err({ code: 'invalid', detail: e.message });
    throw e;
  }
}
