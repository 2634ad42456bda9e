import { z } from 'zod';
import { decodeJson, type JsonDecodeError } from '../base/json-decode.js';
import { MAX_FRAME_BYTES, MAX_NESTING_DEPTH } from '../base/limits.js';
import type { Result } from '../base/result.js';

/**
 * The events stream (node/event-feed.ts): the asker sends `{"sinceMs":N}`, the member
 * answers with its events after then, as a JSON array in one frame.
 */
export const MAX_EVENTS_QUERY_BYTES = 1024;
export const MAX_EVENTS = 10_000;
const MAX_MESSAGE_CHARS = 4096;

const query = z.strictObject({ sinceMs: z.number().int().min(0) });
// An object key is kind/namespace/name: up to 349 characters (crdt's OBJECT_KEY).
const event = z.strictObject({ atMs: z.number(), node: z.string().max(128), kind: z.string().max(64), object: z.string().max(512), message: z.string().max(MAX_MESSAGE_CHARS) });
const answer = z.array(event).max(MAX_EVENTS);

export type EventsQuery = z.output<typeof query>;
export type FeedEvent = z.output<typeof event>;

const utf8 = new TextEncoder();

export const encodeEventsQuery = (q: EventsQuery): Uint8Array => utf8.encode(JSON.stringify(q));

export const decodeEventsQuery = (bytes: Uint8Array): Result<EventsQuery, JsonDecodeError> =>
  decodeJson(bytes, query, { maxBytes: MAX_EVENTS_QUERY_BYTES, maxDepth: MAX_NESTING_DEPTH });

/**
 * The newest events that fit in a frame, oldest first: a member whose events outgrow a
 * frame leaves out its oldest, as its log does when full. A message longer than an
 * asker accepts is cut rather than costing the whole answer.
 */
export function encodeEventsAnswer(events: readonly FeedEvent[]): Uint8Array {
  const kept: FeedEvent[] = [];
  let bytes = 2;
  for (let i = events.length - 1; i >= 0 && kept.length < MAX_EVENTS; i--) {
    const e = events[i] as FeedEvent;
    const fitted = e.message.length > MAX_MESSAGE_CHARS ? { ...e, message: e.message.slice(0, MAX_MESSAGE_CHARS) } : e;
    bytes += utf8.encode(JSON.stringify(fitted)).length + 1;
    if (bytes > MAX_FRAME_BYTES) break;
    kept.push(fitted);
  }
  return utf8.encode(JSON.stringify(kept.reverse()));
}

export const decodeEventsAnswer = (bytes: Uint8Array): Result<FeedEvent[], JsonDecodeError> => decodeJson(bytes, answer);
